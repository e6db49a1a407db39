/**
 * evaluateRun refuses bad input with an AppError naming the field and what was expected, before any
 * forward pass, and leaves no evaluations/ folder behind: unknown run or dataset, a run without a
 * selected model, a head with another number of classes (best/metrics.json and the weights file), a
 * dataset preprocessed at another size, a split without (graded) images, one class only, an invalid
 * request, a folder that is not a study; and a cancellation writes nothing.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { exportSafetensors } from '../../../src-main/engine/weights/export';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import type { EvaluateRequestInput } from '../../../src-shared/evaluation';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { copyDataset, evalStudy, trainTiny } from '../../support/studies';
import { evaluationsDirExists } from './helpers';

let study: string;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  await trainTiny(study, 'ok');
  await trainTiny(study, 'at48', { inputSize: 48 });
  const runs = path.join(study, 'runs');
  // A run folder with a spec but no trained model.
  await fsp.mkdir(path.join(runs, 'untrained'));
  await fsp.copyFile(path.join(runs, 'ok', 'spec.json'), path.join(runs, 'untrained', 'spec.json'));
  // best/metrics.json says 3 classes.
  await fsp.cp(path.join(runs, 'ok'), path.join(runs, 'three-meta'), { recursive: true });
  const metaFile = path.join(runs, 'three-meta', 'best', 'metrics.json');
  await fsp.writeFile(metaFile, JSON.stringify({ ...JSON.parse(await fsp.readFile(metaFile, 'utf8')), classes: 3 }));
  // metrics.json says 5, but the weights file has a 3-output fc layer.
  await fsp.cp(path.join(runs, 'ok'), path.join(runs, 'three-fc'), { recursive: true });
  const m3 = ResNet.create(parseArch('resnet18-w8', 3), { seed: 1 });
  await exportSafetensors(m3, path.join(runs, 'three-fc', 'best', 'model.safetensors'));
  m3.dispose();
  // Datasets: no grades at all; one class only; a single referable image.
  await copyDataset(study, 'demo-eval', 'nogrades', (m) => m.items.forEach((it) => (it.grade = null)));
  await copyDataset(study, 'demo-eval', 'oneclass', (m) => m.items.forEach((it) => (it.grade = it.grade === null ? null : 1)));
  await copyDataset(study, 'demo-eval', 'onepositive', (m) => m.items.forEach((it, i) => (it.grade = i === 0 ? 4 : 0)));
  await copyDataset(study, 'demo-eval', 'testungraded', (m) => m.items.forEach((it) => (it.grade = it.split === 'test' ? null : it.grade)));
}, 120_000);

async function expectRefused(
  request: EvaluateRequestInput,
  expected: { code: string; field: string; message: RegExp },
  where = study,
): Promise<void> {
  const tensors = tf.memory().numTensors;
  const error = await evaluateRun(request, where, recordingContext()).then(
    () => null,
    (e: unknown) => e as { code: string; message: string; issues?: { path: string }[] },
  );
  expect(error, 'should throw').not.toBeNull();
  expect(error!.code).toBe(expected.code);
  expect(error!.message).toMatch(expected.message);
  expect(error!.issues?.map((i) => i.path)).toContain(expected.field);
  expect(evaluationsDirExists(where)).toBe(false);
  expect(tf.memory().numTensors).toBe(tensors);
}

describe('evaluateRun bad input', () => {
  it('unknown run / unknown dataset', async () => {
    await expectRefused(
      { runId: 'nope', datasetId: 'demo-eval' },
      { code: 'NOT_FOUND', field: 'runId', message: /Run "nope" is not in the study/ },
    );
    await expectRefused(
      { runId: 'ok', datasetId: 'nope' },
      { code: 'NOT_FOUND', field: 'datasetId', message: /Dataset "nope" is not in the study/ },
    );
  });

  it('a run without a trained model', async () => {
    await expectRefused(
      { runId: 'untrained', datasetId: 'demo-eval' },
      {
        code: 'BAD_REQUEST',
        field: 'runId',
        message: /Run "untrained" has no selected model yet .*model\.safetensors is missing.*train it/,
      },
    );
  });

  it('a head with another number of classes than 5 (metrics.json, and the fc shape in the weights)', async () => {
    await expectRefused(
      { runId: 'three-meta', datasetId: 'demo-eval' },
      { code: 'BAD_REQUEST', field: 'runId', message: /head has 3 classes.*needs the 5 ICDR grade outputs/ },
    );
    await expectRefused(
      { runId: 'three-fc', datasetId: 'demo-eval' },
      {
        code: 'BAD_REQUEST',
        field: 'runId',
        message: /fc\.weight in .*model\.safetensors has shape \[3, 64\] \(3 outputs\).*needs the 5 ICDR grade outputs/,
      },
    );
  });

  it('a dataset preprocessed at another input size than the run', async () => {
    await expectRefused(
      { runId: 'at48', datasetId: 'demo-eval' },
      {
        code: 'BAD_REQUEST',
        field: 'datasetId',
        message:
          /preprocessed at 64 px, but run "at48" was trained on 48 px inputs; import the dataset again at the run's size \(.*--input-size 48/,
      },
    );
  });

  it('a dataset (or split) without grades says how many images and that none is graded', async () => {
    await expectRefused(
      { runId: 'ok', datasetId: 'nogrades' },
      {
        code: 'BAD_REQUEST',
        field: 'datasetId',
        message: /split "test" of dataset "nogrades" has 32 image\(s\) and none of them is graded/,
      },
    );
    await expectRefused(
      { runId: 'ok', datasetId: 'testungraded', split: 'test' },
      { code: 'BAD_REQUEST', field: 'datasetId', message: /has 32 image\(s\) and none of them is graded/ },
    );
    await expectRefused(
      { runId: 'ok', datasetId: 'demo', split: 'test' },
      { code: 'BAD_REQUEST', field: 'split', message: /split "test" of dataset "demo" has no images \(its images are in split train\)/ },
    );
  });

  it('one class only (AUC undefined), and a single image of a class (no DeLong variance)', async () => {
    await expectRefused(
      { runId: 'ok', datasetId: 'oneclass' },
      {
        code: 'BAD_REQUEST',
        field: 'datasetId',
        message: /0 referable and 32 non-referable .*referable = grades 2, 3, 4\): only one class, so the AUC is undefined/,
      },
    );
    await expectRefused(
      { runId: 'ok', datasetId: 'onepositive', split: 'all', referable: [4] },
      { code: 'BAD_REQUEST', field: 'referable', message: /1 referable and 43 non-referable .*at least 2 of each/ },
    );
  });

  it('an invalid request names each field; a folder that is not a study', async () => {
    await expectRefused(
      { runId: 'ok', datasetId: 'demo-eval', split: 'val' as 'test', operatingPoint: { targetSensitivity: 1.5 } },
      { code: 'BAD_REQUEST', field: 'operatingPoint.targetSensitivity', message: /split.*operatingPoint\.targetSensitivity/ },
    );
    await expectRefused(
      { runId: 'ok', datasetId: 'demo-eval', referable: [3, 3] },
      { code: 'BAD_REQUEST', field: 'referable', message: /referable: Each grade at most once/ },
    );
    await expectRefused(
      { runId: 'ok', datasetId: 'demo-eval' },
      { code: 'NOT_FOUND', field: 'studyPath', message: /is not a FundusLab study/ },
      await tempDir('not-a-study'),
    );
  });

  it('a cancellation during the forward passes writes nothing', async () => {
    const ctx = recordingContext();
    const progress = ctx.progress;
    ctx.progress = (d, t, m) => {
      progress(d, t, m);
      if (/batch 1\//.test(m)) ctx.controller.abort();
    };
    const tensors = tf.memory().numTensors;
    await expect(evaluateRun({ runId: 'ok', datasetId: 'demo-eval', batchSize: 8 }, study, ctx)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(ctx.progress_.filter((m) => /batch \d/.test(m))).toHaveLength(1);
    expect(evaluationsDirExists(study)).toBe(false);
    expect(tf.memory().numTensors).toBe(tensors);
    // The same request without cancelling succeeds (the refusals above were about the input).
    const ok = await evaluateRun(
      { runId: 'ok', datasetId: 'demo-eval', batchSize: 8, bootstrap: { samples: 50 } },
      study,
      recordingContext(),
    );
    expect(ok.n).toBe(32);
  });
});
