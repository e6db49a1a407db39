/**
 * A refused training spec writes nothing (issue 23, case 8): `funduslab train` with a spec the
 * study refuses — a dataset it does not have, an IFI weights file that does not exist — exits 1
 * naming the field and leaves runs/ as it was, so the corrected spec trains under the same run id
 * instead of being refused as "a different spec". A spec refused only after the run folder was
 * claimed (the weights file's content, the batch-fit check) has the folder removed, as nothing was
 * trained in it.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/main';
import type { TrainingSpecInput } from '../../../src-shared/training';
import { captureOutput } from '../../support/cli';
import { tempDir } from '../../support/files';
import { demoSpec, demoStudy } from '../../support/studies';

let study: string;

beforeAll(async () => {
  study = await demoStudy({ patients: 16 });
}, 120_000);
afterEach(() => vi.restoreAllMocks());

/** `funduslab train <spec> --study … [--run-id …] --json`: the exit code and the JSON printed. */
async function train(
  spec: TrainingSpecInput,
  runId?: string,
): Promise<{ code: number; json: { ok: boolean; error?: { issues?: { path: string }[] } } }> {
  const file = path.join(await tempDir('refused-spec'), 'spec.json');
  await fsp.writeFile(file, JSON.stringify(spec));
  const output = captureOutput();
  const code = await main(['train', file, '--study', study, ...(runId ? ['--run-id', runId] : []), '--json']);
  const printed = output.out();
  vi.restoreAllMocks();
  return { code, json: JSON.parse(printed.slice(printed.lastIndexOf('\n{') + 1)) as never };
}

const runsFolder = () => fsp.readdir(path.join(study, 'runs'));

describe('a refused spec', () => {
  const refused: [string, Partial<TrainingSpecInput>, string][] = [
    ['a dataset the study does not have', { datasetId: 'nope' }, 'datasetId'],
    ['an IFI weights file that does not exist', { strategy: 'IFI-FS', pretrainedWeights: 'missing-resnet18.pth' }, 'pretrainedWeights'],
  ];
  it.each(refused)('with %s writes nothing under runs/, with or without a run id', async (_what, change, field) => {
    const before = await runsFolder();
    for (const runId of ['fixed', undefined]) {
      const { code, json } = await train(demoSpec({ epochs: 1, inputSize: 64, ...change }), runId);
      expect(code).toBe(1);
      expect(json.error?.issues?.map((i) => i.path)).toContain(field);
      expect(await runsFolder()).toEqual(before);
    }
  });

  it('does not block the corrected spec under the same run id', async () => {
    expect((await train(demoSpec({ epochs: 1, inputSize: 64, datasetId: 'nope' }), 'corrected')).code).toBe(1);
    expect(existsSync(path.join(study, 'runs', 'corrected'))).toBe(false);
    const { code } = await train(demoSpec({ epochs: 1, inputSize: 64 }), 'corrected');
    expect(code).toBe(0);
    expect(existsSync(path.join(study, 'runs', 'corrected', 'metrics.json'))).toBe(true);
  });

  it('refused only once the run folder is claimed (IFI weights that are not a weights file) leaves no folder either', async () => {
    await fsp.writeFile(path.join(study, 'not-weights.pth'), Buffer.from('these bytes are not a weights file\n'));
    const before = await runsFolder();
    const { code, json } = await train(
      demoSpec({ epochs: 1, inputSize: 64, strategy: 'IFI-FS', arch: 'resnet18-w4', pretrainedWeights: 'not-weights.pth' }),
      'late',
    );
    expect(code).toBe(1);
    expect(json.ok).toBe(false);
    expect(await runsFolder()).toEqual(before);
    const { code: corrected } = await train(demoSpec({ epochs: 1, inputSize: 64 }), 'late');
    expect(corrected).toBe(0);
  });
});
