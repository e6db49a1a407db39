/**
 * `files.list`, the file browser of browser mode: one folder's sub-folders and only the weights files
 * (.pth, .pth.tar, .safetensors, .json), folders first, by name, with sizes; hidden names only on
 * request; links listed as what they point to; relative paths, missing folders, files and the kernel's
 * pseudo file systems refused with named errors. Then the same through the HTTP bridge of the composed
 * app, as the browser calls it: a relative path is refused by the contract before any service runs.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../../src-main/services/files/list-files';
import { startBridge, type Bridge } from '../../../src-main/bridge/server';
import { memoryLogger } from '../../../src-main/services/log';
import type { ComposedApp } from '../../../src-main/host/compose';
import { testApp } from '../../support/app';
import { tempDirSync } from '../../support/files';

let root: string;

beforeAll(() => {
  root = tempDirSync('files-list');
  mkdirSync(path.join(root, 'weights'));
  mkdirSync(path.join(root, 'a-folder'));
  mkdirSync(path.join(root, '.hidden-folder'));
  writeFileSync(path.join(root, 'resnet50-0676ba61.pth'), Buffer.alloc(1234));
  writeFileSync(path.join(root, 'moco_v2_800ep_pretrain.pth.tar'), Buffer.alloc(77));
  writeFileSync(path.join(root, 'encoder.safetensors'), 'x');
  writeFileSync(path.join(root, 'model.json'), '{}');
  writeFileSync(path.join(root, 'notes.txt'), 'not weights');
  writeFileSync(path.join(root, 'photo.jpg'), 'no');
  writeFileSync(path.join(root, 'archive.tar'), 'no');
  writeFileSync(path.join(root, '.secret.pth'), 'hidden');
  symlinkSync(path.join(root, 'weights'), path.join(root, 'link-to-weights'));
  symlinkSync(path.join(root, 'gone.pth'), path.join(root, 'broken.pth'));
});

describe('listFiles', () => {
  it('lists folders, then only weights files, each by name, with file sizes; hidden names on request', async () => {
    const listing = await listFiles(root);
    expect(listing.path).toBe(root);
    expect(listing.parent).toBe(path.dirname(root));
    expect(listing.truncated).toBe(false);
    expect(listing.entries).toEqual([
      { name: 'a-folder', kind: 'dir', size: null },
      { name: 'link-to-weights', kind: 'dir', size: null },
      { name: 'weights', kind: 'dir', size: null },
      { name: 'encoder.safetensors', kind: 'file', size: 1 },
      { name: 'moco_v2_800ep_pretrain.pth.tar', kind: 'file', size: 77 },
      { name: 'model.json', kind: 'file', size: 2 },
      { name: 'resnet50-0676ba61.pth', kind: 'file', size: 1234 },
    ]);
    const hidden = await listFiles(root, { hidden: true });
    expect(hidden.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['.hidden-folder', '.secret.pth']));
    expect((await listFiles('/')).parent).toBeNull();
    expect((await listFiles(path.join(root, 'weights', '..'))).path).toBe(root);
  });

  it('refuses relative paths, missing folders, files and the kernel pseudo file systems, naming the problem', async () => {
    await expect(listFiles('weights')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'The folder must be an absolute path: weights',
    });
    await expect(listFiles(path.join(root, 'nope'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `The folder ${path.join(root, 'nope')} does not exist.`,
    });
    await expect(listFiles(path.join(root, 'notes.txt'))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${path.join(root, 'notes.txt')} is a file, not a folder.`,
    });
    for (const p of ['/proc', '/proc/self/fd', '/sys', '/dev'])
      await expect(listFiles(p)).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: `${p} is a system folder of the kernel, not a place for weights files.`,
      });
  });
});

describe('files.list through the HTTP bridge', () => {
  let app: ComposedApp;
  let bridge: Bridge;
  beforeAll(async () => {
    app = testApp({ dataDir: tempDirSync('files-app'), preferredBackend: 'cpu' });
    bridge = await startBridge({ dispatch: app.dispatch, bus: app.bus, log: memoryLogger(), rendererDir: null });
  });
  afterAll(async () => {
    await bridge.close();
    await app.shutdown();
  });
  const call = async (body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${bridge.port}/api/call/files.list`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        ok: boolean;
        value?: { entries: { name: string }[] };
        error?: { code: string; message: string; issues?: unknown[] };
      },
    };
  };

  it('lists a folder; refuses a relative path and a missing folder with named errors', async () => {
    const ok = await call({ path: root });
    expect(ok.status).toBe(200);
    expect(ok.body.value!.entries.map((e) => e.name)).toEqual([
      'a-folder',
      'link-to-weights',
      'weights',
      'encoder.safetensors',
      'moco_v2_800ep_pretrain.pth.tar',
      'model.json',
      'resnet50-0676ba61.pth',
    ]);
    const relative = await call({ path: 'weights' });
    expect(relative.body).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', issues: [{ path: 'path', message: 'Must be an absolute path' }] },
    });
    // Refused by the contract, before any service runs.
    expect(relative.body.error!.message).toMatch(/^Invalid input for files\.list: /);
    const dotdot = await call({ path: '../etc' });
    expect(dotdot.body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(dotdot.body.error!.message).toMatch(/^Invalid input for files\.list: /);
    const missing = await call({ path: path.join(root, 'nope') });
    expect(missing.body).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: `The folder ${path.join(root, 'nope')} does not exist.` },
    });
    const extra = await call({ path: root, contents: true });
    expect(extra.body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});
