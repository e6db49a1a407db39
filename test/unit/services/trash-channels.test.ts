/**
 * The `trash.*` channels as the browser calls them: the app's composition root behind the real HTTP
 * bridge (token, JSON body). Oracles: the files written here and where they are after each call;
 * malformed requests (relative study path, a path as a name or entry, an unknown kind) are refused as
 * BAD_REQUEST before anything is touched; deleting is refused while a job of the study is running.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../../src-main/bridge/server';
import type { ComposedApp } from '../../../src-main/host/compose';
import { memoryLogger } from '../../../src-main/services/log';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import { TrainingSpec } from '../../../src-shared/training';
import { callChannel, testApp } from '../../support/app';
import { snapshotTree, tempDir } from '../../support/files';

let root: string;
let study: string;
let app: ComposedApp;
let bridge: Bridge;

async function writeFile(rel: string, text: string) {
  const file = path.join(study, rel);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, text);
}

/** POST /api/call/<channel> with the token: the envelope's value, or an Error carrying the error's code and issues. */
async function call(channel: string, payload: unknown): Promise<unknown> {
  const res = await fetch(`${bridge.origin}/api/call/${channel}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = (await res.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
  if (!body.ok) throw Object.assign(new Error(`${body.error!.code}: ${body.error!.message}`), body.error);
  return body.value;
}

beforeAll(async () => {
  root = await tempDir('trash-channels');
  study = path.join(root, 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'Channels');
  const spec = TrainingSpec.parse({ strategy: 'IWNE-FS', datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, fraction: 1, seed: 0 });
  await writeFile('runs/r-a/spec.json', JSON.stringify(spec));
  await writeFile('datasets/demo/manifest.json', '{}');
  app = testApp({ dataDir: path.join(root, 'home'), preferredBackend: 'cpu' });
  bridge = await startBridge({ dispatch: app.dispatch, bus: app.bus, log: memoryLogger(), rendererDir: root });
});
afterAll(async () => {
  await bridge.close();
  await app.shutdown();
});

describe('trash channels over the HTTP bridge', () => {
  it('delete → list → restore a run', async () => {
    const answer = (await call('trash.delete', { studyPath: study, kind: 'run', name: 'r-a' })) as {
      status: string;
      entry: { id: string };
    };
    expect(answer).toMatchObject({ status: 'deleted', entry: { kind: 'run', name: 'r-a', paths: ['runs/r-a'] } });
    expect(existsSync(path.join(study, 'runs', 'r-a'))).toBe(false);
    expect(await call('runs.list', { studyPath: study })).toEqual([]);
    expect(await call('trash.list', { studyPath: study })).toEqual([answer.entry]);
    expect(await call('trash.restore', { studyPath: study, entry: answer.entry.id })).toEqual(answer.entry);
    expect(existsSync(path.join(study, 'runs', 'r-a', 'spec.json'))).toBe(true);
    expect(await call('trash.list', { studyPath: study })).toEqual([]);
  });

  it('a dataset with dependents answers them first and moves only with confirm', async () => {
    expect(await call('trash.delete', { studyPath: study, kind: 'dataset', name: 'demo' })).toMatchObject({
      status: 'needs-confirmation',
      dependents: { runs: ['r-a'], evaluations: [] },
    });
    expect(existsSync(path.join(study, 'datasets', 'demo'))).toBe(true);
    const moved = (await call('trash.delete', { studyPath: study, kind: 'dataset', name: 'demo', confirm: true })) as {
      entry: { id: string };
    };
    expect(existsSync(path.join(study, 'datasets', 'demo'))).toBe(false);
    expect(await call('trash.empty', { studyPath: study, entry: moved.entry.id })).toEqual({ removed: [moved.entry.id] });
    expect(await call('trash.list', { studyPath: study })).toEqual([]);
  });

  it('refuses malformed requests before touching anything', async () => {
    const tree = await snapshotTree(study);
    for (const payload of [
      { studyPath: 'study', kind: 'run', name: 'r-a' },
      { studyPath: study, kind: 'run', name: '../datasets/demo' },
      { studyPath: study, kind: 'run', name: 'runs/r-a' },
      { studyPath: study, kind: 'pretrain', name: 'x' },
      { studyPath: study, kind: 'run', name: 'r-a', extra: 1 },
    ])
      await expect(call('trash.delete', payload), JSON.stringify(payload)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call('trash.restore', { studyPath: study, entry: '../../etc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call('trash.empty', { studyPath: study, entry: '.' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call('trash.list', { studyPath: '/' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await snapshotTree(study)).toEqual(tree);
  });

  it('refuses to delete or restore while a job of the study is queued or running', async () => {
    const job = (await callChannel(app, 'jobs.submit', {
      kind: 'engine.selftest',
      params: { size: 16, batch: 2, steps: 2 },
      studyPath: study,
    })) as { id: string; title: string };
    await expect(call('trash.delete', { studyPath: study, kind: 'run', name: 'r-a' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^Cannot delete while "Compute backend self-test" is (queued|running) in this study/),
    });
    expect(existsSync(path.join(study, 'runs', 'r-a'))).toBe(true);
    await callChannel(app, 'jobs.cancel', { id: job.id });
    for (let i = 0; i < 600; i++) {
      const state = (await callChannel(app, 'jobs.get', { id: job.id })) as { status: string };
      if (state.status !== 'queued' && state.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await call('trash.delete', { studyPath: study, kind: 'run', name: 'r-a' })).toMatchObject({ status: 'deleted' });
  });
});
