/**
 * `weights.inspect` end to end below the UI: the dispatcher (as every transport calls it) → a real
 * worker process (dist/worker.js forked by the Node launcher) → the engine's reader, with the
 * committed golden fixtures (test/golden/resnet, made by PyTorch).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeightsInspection } from '../../../src-shared/weights';
import { TASKS, toWeightsInspection } from '../../../src-main/worker/tasks';
import { inspectWeights } from '../../../src-main/engine/weights/inspect';
import { testApp } from '../../support/app';
import { tempDirSync } from '../../support/files';

const GOLDEN = path.resolve(import.meta.dirname, '..', '..', 'golden', 'resnet');
const work = tempDirSync('weights');
const app = testApp({ dataDir: path.join(work, 'data'), preferredBackend: 'cpu' });
afterAll(() => app.shutdown());

async function inspect(payload: unknown): Promise<WeightsInspection> {
  const response = await app.dispatch('weights.inspect', payload, { transport: 'test' });
  if (!response.ok) throw new Error(`${response.error.code}: ${response.error.message}`);
  return WeightsInspection.parse(response.value);
}
async function refusal(payload: unknown) {
  const response = await app.dispatch('weights.inspect', payload, { transport: 'test' });
  expect(response.ok).toBe(false);
  if (response.ok) throw new Error('expected a refusal');
  return response.error;
}

/** The malicious pickle behind a legacy torch.save header, so the reader gets as far as unpickling it. */
function evilCheckpoint(): string {
  const legacy = readFileSync(path.join(GOLDEN, 'resnet18_w4_legacy.pt'));
  const header = legacy.subarray(0, legacy.indexOf(0x2e, legacy.indexOf(0x2e, legacy.indexOf(0x2e) + 1) + 1) + 1);
  const file = path.join(work, 'evil.pt');
  writeFileSync(file, Buffer.concat([header, readFileSync(path.join(GOLDEN, 'malicious_posix_system.pkl'))]));
  return file;
}

describe('weights.inspect through the dispatcher and a worker process', () => {
  it('a MoCo v2 checkpoint: query encoder loads into resnet50-w4, key encoder/queue/projection head are skipped, fc re-initialised', async () => {
    const file = path.join(GOLDEN, 'moco_resnet50_w4.pth.tar');
    // the main event loop keeps ticking while the worker reads the file
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const r = await inspect({ path: file, archs: ['resnet50-w4', 'resnet50'] });
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(2);
    expect(r.format).toBe('torch-zip');
    expect(r.stateDictKey).toBe('state_dict');
    expect(r.otherFields.map((f) => f.key)).toEqual(expect.arrayContaining(['epoch', 'arch']));
    expect(r.detected).toMatchObject({ arch: 'resnet50-w4', depth: 50, width: 4, block: 'bottleneck', classes: null, moco: true });
    expect(r.imports.map((p) => p.arch)).toEqual(['resnet50-w4', 'resnet50']);
    const [w4, full] = r.imports;
    expect(w4!.ok).toBe(true);
    expect(w4!.moco).toBe(true);
    expect(w4!.classes).toBe(5);
    expect(w4!.skipped.some((s) => s.name.startsWith('module.encoder_k.') && /key \(momentum\) encoder/.test(s.reason))).toBe(true);
    expect(w4!.skipped.some((s) => /^module\.encoder_q\.fc\.[02]\./.test(s.name) && /projection head/.test(s.reason))).toBe(true);
    expect(w4!.skipped.map((s) => s.name)).toEqual(expect.arrayContaining(['module.queue', 'module.queue_ptr']));
    expect(w4!.reinitialised.map((x) => x.name).sort()).toEqual(['fc.bias', 'fc.weight']);
    expect(w4!.missing).toEqual([]);
    // every loaded tensor comes from the query encoder
    expect(w4!.loaded.every((l) => l.source.startsWith('module.encoder_q.'))).toBe(true);
    // the same file into a full-width ResNet50 cannot work: every conv/bn has the wrong shape
    expect(full!.ok).toBe(false);
    expect(full!.mismatched.length).toBeGreaterThan(100);
    expect(full!.mismatched.find((m) => m.name === 'conv1.weight')).toEqual({
      name: 'conv1.weight',
      source: 'module.encoder_q.conv1.weight',
      expectedShape: [64, 3, 7, 7],
      foundShape: [4, 3, 7, 7],
    });
    // the worker's answer is exactly the engine's report, mapped (nothing lost or invented on the way)
    expect(r).toEqual(toWeightsInspection(await inspectWeights(file, { archs: ['resnet50-w4', 'resnet50'], classes: 5 })));
  });

  it('a torchvision-style .pt (resnet18-w4, 5-class head) asked for 3 classes: detected, head skipped and re-initialised', async () => {
    const r = await inspect({ path: path.join(GOLDEN, 'resnet18_w4.pt'), classes: 3 });
    expect(r.detected).toMatchObject({ arch: 'resnet18-w4', block: 'basic', moco: false });
    expect(r.detected!.classes).not.toBeNull();
    // default architectures: resnet50, resnet18 and the detected one
    expect(r.imports.map((p) => p.arch)).toEqual(['resnet50', 'resnet18', 'resnet18-w4']);
    const own = r.imports.find((p) => p.arch === 'resnet18-w4')!;
    expect(own.ok).toBe(true);
    expect(own.classes).toBe(3);
    expect(own.reinitialised.map((x) => x.name).sort()).toEqual(['fc.bias', 'fc.weight']);
    expect(own.skipped.map((s) => s.name).sort()).toEqual(['fc.bias', 'fc.weight']);
    expect(r.tensors.parameters).toBeLessThan(r.tensors.elements); // running statistics are not parameters
    expect(Object.keys(r.tensors.dtypes)).toEqual(expect.arrayContaining(['float32', 'int64']));
  });

  it('a .safetensors file reads the same tensors as the torch.save zip of the same weights', async () => {
    const [st, pt] = await Promise.all([
      inspect({ path: path.join(GOLDEN, 'resnet50_w4.safetensors'), archs: ['resnet50-w4'] }),
      inspect({ path: path.join(GOLDEN, 'resnet50_w4.pt'), archs: ['resnet50-w4'] }),
    ]);
    expect(st.format).toBe('safetensors');
    expect(st.tensors).toEqual(pt.tensors);
    expect(st.imports[0]!.loaded.length).toBe(pt.imports[0]!.loaded.length);
    expect(st.imports[0]!.ok).toBe(true);
  });

  it("errors come back as the engine's AppErrors with their messages", async () => {
    const missing = await refusal({ path: path.join(work, 'nope.pth') });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('Weights file not found') });

    const evil = await refusal({ path: evilCheckpoint() });
    expect(evil.code).toBe('UNSUPPORTED');
    expect(evil.message).toMatch(/global "posix\.system" is not on the allow-list/);
    expect(evil.message).toMatch(/\(byte \d+\)/);

    // the bare pickle is not a checkpoint format at all
    const bare = await refusal({ path: path.join(GOLDEN, 'malicious_posix_system.pkl') });
    expect(bare).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('not a recognised weights file') });

    const truncatedFile = path.join(work, 'truncated.pt');
    const whole = readFileSync(path.join(GOLDEN, 'resnet18_w4.pt'));
    writeFileSync(truncatedFile, whole.subarray(0, whole.length >> 1));
    const truncated = await refusal({ path: truncatedFile });
    expect(truncated.code).toBe('BAD_REQUEST');
    expect(truncated.message).toContain('truncated.pt');

    // schema refusals at the door name the field
    const relative = await refusal({ path: 'weights/x.pth' });
    expect(relative.code).toBe('BAD_REQUEST');
    expect(relative.issues?.map((i) => i.path)).toContain('path');
    const arch = await refusal({ path: '/tmp/x.pth', archs: ['vgg16'] });
    expect(arch.issues?.map((i) => i.path).join(' ')).toContain('archs');
  });

  it('the task parses its own parameters (a worker is not trusted to receive valid ones)', async () => {
    const ctx = {} as Parameters<NonNullable<(typeof TASKS)['weights.inspect']>>[1];
    await expect(TASKS['weights.inspect']!({ path: 'relative.pth' }, ctx)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('dialog.pickFile is refused in browser mode; app.info says there is no file dialog', async () => {
    const picked = await app.dispatch('dialog.pickFile', { title: 'Weights' }, { transport: 'test' });
    expect(picked).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } });
    const info = await app.dispatch('app.info', {}, { transport: 'test' });
    expect(info).toMatchObject({ ok: true, value: { capabilities: { folderDialog: false, fileDialog: false } } });
  });
});
