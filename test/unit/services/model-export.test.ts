/**
 * `models.export` end to end below the UI: the dispatcher (as every transport calls it) → a real
 * worker process → a tiny trained run's selected model written as .safetensors and as tfjs. The
 * oracle is the run's own best/model.safetensors: the export holds the same tensors, with the same
 * values (the tfjs copy in the tfjs layout). Existing files are replaced only on request.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeightFile } from '../../../src-main/engine/weights/read';
import { toFloat32, transposeRaw, type RawTensor } from '../../../src-main/engine/weights/tensors';
import { testApp, callChannel } from '../../support/app';
import { tempDirSync } from '../../support/files';
import { demoStudy, trainTiny } from '../../support/studies';

const work = tempDirSync('model-export');
const out = path.join(work, 'exports');
const app = testApp({ dataDir: path.join(work, 'data'), preferredBackend: 'cpu' });
let study: string;
let bestModel: string;
const RUN = 'tiny-r1';

afterAll(() => app.shutdown());
beforeAll(async () => {
  study = await demoStudy({ patients: 12, size: 64 });
  bestModel = (await trainTiny(study, RUN)).bestModelPath!;
  mkdirSync(out, { recursive: true });
}, 300_000);

async function refusal(payload: unknown) {
  const response = await app.dispatch('models.export', payload, { transport: 'test' });
  expect(response.ok).toBe(false);
  if (response.ok) throw new Error('expected a refusal');
  return response.error;
}

/** A float tensor's values, to compare exactly. */
function values(t: RawTensor): number[] {
  return Array.from(toFloat32(t));
}

describe('models.export: a run’s selected model where the user chose', () => {
  it('writes .safetensors with exactly the run’s best model tensors', async () => {
    const file = path.join(out, 'm.safetensors');
    const result = (await callChannel(app, 'models.export', { studyPath: study, runId: RUN, format: 'safetensors', out: file })) as {
      files: string[];
      arch: string;
    };
    expect(result.files).toEqual([file]);
    expect(result.arch).toBe('resnet18-w8');
    const exported = await readWeightFile(file);
    const best = await readWeightFile(bestModel);
    expect([...exported.tensors.keys()].sort()).toEqual([...best.tensors.keys()].sort());
    for (const [name, t] of best.tensors) {
      const e = exported.tensors.get(name)!;
      expect(e.shape, name).toEqual(t.shape);
      if (t.dtype === 'float32') expect(values(e), name).toEqual(values(t));
    }
  }, 120_000);

  it('writes a tfjs folder (model.json + weights.bin) holding the same weights in the tfjs layout', async () => {
    const dir = path.join(out, 'm-tfjs');
    const result = (await callChannel(app, 'models.export', { studyPath: study, runId: RUN, format: 'tfjs', out: dir })) as {
      files: string[];
    };
    expect(result.files).toEqual([path.join(dir, 'model.json'), path.join(dir, 'weights.bin')]);
    expect(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).funduslab).toMatchObject({ arch: 'resnet18-w8', layout: 'tfjs' });
    const exported = await readWeightFile(path.join(dir, 'model.json'));
    const best = await readWeightFile(bestModel);
    const conv = 'conv1.weight';
    // torch OIHW → tfjs HWIO.
    expect(values(exported.tensors.get(conv)!)).toEqual(values(transposeRaw(best.tensors.get(conv)!, [2, 3, 1, 0])));
    expect(exported.tensors.size).toBe(best.tensors.size);
  }, 120_000);

  it('does not replace an existing file unless asked to', async () => {
    const file = path.join(out, 'taken.safetensors');
    writeFileSync(file, 'mine');
    const refused = await refusal({ studyPath: study, runId: RUN, format: 'safetensors', out: file });
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toBe(`${file} already exists; the export does not replace it. Choose another name, or allow replacing it.`);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    await callChannel(app, 'models.export', { studyPath: study, runId: RUN, format: 'safetensors', out: file, overwrite: true });
    expect(readFileSync(file).length).toBeGreaterThan(1000);
    const tfjsDir = path.join(out, 'm-tfjs');
    expect((await refusal({ studyPath: study, runId: RUN, format: 'tfjs', out: tfjsDir })).code).toBe('CONFLICT');
  }, 120_000);

  it('refuses a missing folder, a run without a model, a wrong file name and the system folders', async () => {
    const missing = await refusal({ studyPath: study, runId: RUN, format: 'safetensors', out: path.join(out, 'nope', 'm.safetensors') });
    expect(missing.code).toBe('BAD_REQUEST');
    expect(missing.message).toMatch(/nope does not exist; choose an existing folder/);
    const noRun = await refusal({ studyPath: study, runId: 'never-trained', format: 'safetensors', out: path.join(out, 'x.safetensors') });
    expect(noRun.code).not.toBe('INTERNAL');
    expect(existsSync(path.join(out, 'x.safetensors'))).toBe(false);
    const badName = await refusal({ studyPath: study, runId: RUN, format: 'safetensors', out: path.join(out, 'm.bin') });
    expect(badName.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(badName.issues)).toMatch(/A safetensors export is a file ending in \.safetensors/);
    expect((await refusal({ studyPath: study, runId: RUN, format: 'tfjs', out: '/proc/self/m' })).code).toBe('BAD_REQUEST');
    expect((await refusal({ studyPath: study, runId: RUN, format: 'tfjs', out: 'relative/m' })).code).toBe('BAD_REQUEST');
  }, 120_000);
});
