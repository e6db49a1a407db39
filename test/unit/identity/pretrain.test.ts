/**
 * MoCo pretrainings after a re-import: a pretraining records the dataset content and the ids of its
 * images; one stopped after epoch 1 is not resumed on the re-imported dataset, and a finished one is
 * not reused by an IWNE-CL run on it. Each refusal names the pretraining, the dataset and what
 * changed, and leaves the pretraining folder byte-identical.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { datasetContentHash, StoredPretrainSplit } from '../../../src-main/services/runs/identity';
import { runTraining } from '../../../src-main/services/training';
import { pretrainId, runPretraining } from '../../../src-main/services/training/pretrain';
import { AppError } from '../../../src-shared/errors';
import { TrainingSpec } from '../../../src-shared/training';
import { recordingContext } from '../../support/job-context';
import { demoSpec } from '../../support/studies';
import { demoSource, importAs, snapshot, studyWith } from './studies';

const moco = { epochs: 1, batchSize: 8, queueSize: 64, optimizer: 'adamw' as const, lr: 3e-3, augmentation: {}, dim: 16, mlpHidden: 16 };
const clSpec = (epochs: number) =>
  TrainingSpec.parse(
    demoSpec({ strategy: 'IWNE-CL', arch: 'resnet18-w4', inputSize: 32, epochs: 1, batchSize: 8, moco: { ...moco, epochs } }),
  );
const finished = clSpec(1);
const stopped = clSpec(2);
let study: string;
let other: string;
const folder = (spec: TrainingSpec) => path.join(study, 'pretrain', pretrainId(spec).id);

/** `fn` rejects with an AppError; returns it. */
async function refusal(fn: () => Promise<unknown>): Promise<AppError> {
  const error = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await studyWith(await demoSource('identity-pa', { patients: 16, seed: 7 }));
  other = await demoSource('identity-pb', { patients: 12, seed: 99 });
  await runPretraining(finished, study, recordingContext());
  const ctx = recordingContext();
  await expect(runPretraining(stopped, study, ctx, { onEpoch: () => ctx.controller.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
}, 120_000);

describe('a MoCo pretraining after its dataset was imported again', () => {
  let oldHash = '';
  let newHash = '';

  it('records the dataset content and the ids of the images it pretrains on', async () => {
    const split = StoredPretrainSplit.parse(JSON.parse(await fsp.readFile(path.join(folder(stopped), 'split.json'), 'utf8')));
    oldHash = (await datasetContentHash(study, 'demo'))!;
    expect(split).toMatchObject({ datasetId: 'demo', datasetHash: oldHash, images: 32 });
    expect(split.items.length).toBeGreaterThan(1);
    await importAs(study, other, 'demo');
    newHash = (await datasetContentHash(study, 'demo'))!;
    expect(newHash).not.toBe(oldHash);
  });

  it('a pretraining stopped after epoch 1 is not resumed; its folder is untouched', async () => {
    const before = await snapshot(folder(stopped));
    const ctx = recordingContext();
    const error = await refusal(() => runPretraining(stopped, study, ctx));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain(
      `MoCo v2 pretraining ${pretrainId(stopped).id} was trained on dataset demo with content ${oldHash.slice(0, 12)}… (32 images); the dataset now has content ${newHash.slice(0, 12)}… (24 images): its images, grades or splits changed since the pretraining started; the pretraining images changed (`,
    );
    expect(error.message).toContain(`It cannot be resumed on the changed dataset: move its folder ${folder(stopped)} to the trash`);
    expect(ctx.messages.some((m) => m.startsWith('Resuming'))).toBe(false);
    expect(await snapshot(folder(stopped))).toEqual(before);
  });

  it('an IWNE-CL run does not fine-tune from a finished pretraining of the old dataset; the pretraining is untouched', async () => {
    const before = await snapshot(folder(finished));
    const ctx = recordingContext();
    const error = await refusal(() => runTraining(finished, study, ctx, { runId: 'cl' }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toMatch(
      new RegExp(`^MoCo v2 pretraining ${pretrainId(finished).id} was trained on dataset demo .* \\(24 images\\)`),
    );
    expect(error.message).toContain('It cannot start a fine-tuning on the changed dataset');
    expect(ctx.messages.some((m) => m.includes('already finished'))).toBe(false);
    expect(await snapshot(folder(finished))).toEqual(before);
  });
});
