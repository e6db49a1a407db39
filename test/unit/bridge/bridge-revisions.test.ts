/**
 * Over the HTTP bridge (the browser mode's transport), with the real composition: two windows save the
 * same study's grid; the save based on the older revision answers 409 CONFLICT and changes nothing.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../../src-main/bridge/server';
import { memoryLogger } from '../../../src-main/services/log';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { GridView } from '../../../src-shared/grid';
import { testApp } from '../../support/app';
import { tempDirSync } from '../../support/files';
import { makeStudy } from '../../support/studies';

const app = testApp({ dataDir: tempDirSync('bridge-revisions'), preferredBackend: 'cpu' });
let bridge: Bridge;
let study: string;
beforeAll(async () => {
  bridge = await startBridge({ dispatch: app.dispatch, bus: app.bus, log: memoryLogger(), rendererDir: null });
  study = await makeStudy();
});
afterAll(async () => {
  await bridge.close();
  await app.shutdown();
});

const call = async (channel: string, body: unknown) => {
  const res = await fetch(`${bridge.origin}/api/call/${channel}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } } };
};
const grid = (epochs: number) => ({ strategies: ['IWNE-FS'], fractions: [1], seeds: [0], base: { datasetId: 'demo', epochs } });

describe('grid revisions over the bridge', () => {
  it('reads the revision, counts saves, and answers a save based on an older revision with 409 "changed elsewhere — reload"', async () => {
    const opened = await call('grid.get', { studyPath: study });
    expect(opened.status).toBe(200);
    const base = GridView.parse(opened.body.value).revision ?? 0;
    // Window A saves epochs 6; window B, still on the revision both opened, removes nothing silently.
    const a = await call('grid.save', { studyPath: study, spec: grid(6), baseRevision: base });
    expect(a.status).toBe(200);
    expect(GridView.parse(a.body.value).revision).toBe(base + 1);
    const stored = readFileSync(studyLayout(study).gridFile, 'utf8');
    const b = await call('grid.save', { studyPath: study, spec: grid(1), baseRevision: base });
    expect(b.status).toBe(409);
    expect(b.body).toEqual({
      ok: false,
      error: {
        code: 'CONFLICT',
        message: `The training grid changed elsewhere — reload (it is at revision ${base + 1}; this save was based on revision ${base}).`,
        issues: [{ path: 'baseRevision', message: `changed elsewhere: now revision ${base + 1}` }],
      },
    });
    expect(readFileSync(studyLayout(study).gridFile, 'utf8')).toBe(stored);
    const reloaded = GridView.parse((await call('grid.get', { studyPath: study })).body.value);
    expect(reloaded.revision).toBe(base + 1);
    expect(reloaded.spec?.base).toMatchObject({ epochs: 6 });
  });
});
