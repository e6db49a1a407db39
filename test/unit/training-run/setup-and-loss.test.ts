/** Spec handling of runTraining (IFI init, refusals), the loss against a naive oracle, class weights. */
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { exportSafetensors } from '../../../src-main/engine/weights/export';
import { crossEntropy, inverseFrequencyWeights, runTraining } from '../../../src-main/services/training';
import { crossEntropyRows } from '../../../src-main/engine/loss';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy } from '../../support/studies';

let study: string;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy({ patients: 30 });
}, 120_000);

describe('loss', () => {
  it('inverse-frequency class weights average 1 per training image; absent grades get 0', () => {
    const grades = [0, 0, 0, 0, 1, 1, 2, 4];
    const w = inverseFrequencyWeights(grades);
    expect(w[3]).toBe(0);
    expect(grades.reduce((s, g) => s + w[g]!, 0) / grades.length).toBeCloseTo(1, 12);
    expect(w[0]! * 4).toBeCloseTo(w[1]! * 2, 12); // ∝ 1/n_c
  });

  it('(weighted) cross-entropy equals a naive float64 oracle (torch semantics, 1e-5)', () => {
    const logits = [
      [1, 2, 0.5, -1, 0],
      [0.1, -0.3, 2.2, 1, 0.4],
      [3, 0, 0, 0, -2],
    ];
    const targets = [1, 2, 0];
    const cw = [0.5, 2, 1, 1, 1];
    const naive = (weights: number[] | null) => {
      let num = 0;
      let den = 0;
      logits.forEach((row, i) => {
        const z = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
        const w = weights ? weights[targets[i]!]! : 1;
        num += w * (z - row[targets[i]!]!);
        den += w;
      });
      return num / den;
    };
    const before = tf.memory().numTensors;
    const l = tf.tensor2d(logits);
    const t = tf.tensor1d(targets, 'int32');
    const w = tf.tensor1d(cw);
    const plain = crossEntropy(l, t, null);
    const weighted = crossEntropy(l, t, w);
    expect(Math.abs(plain.dataSync()[0]! - naive(null))).toBeLessThan(1e-5);
    expect(Math.abs(weighted.dataSync()[0]! - naive(cw))).toBeLessThan(1e-5);
    expect(Math.abs(crossEntropyRows(logits.flat(), targets) - naive(null))).toBeLessThan(1e-12);
    tf.dispose([l, t, w, plain, weighted]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('runTraining set-up', () => {
  it('IFI-FS starts from the given weights file (ImageNet-style 1000-class head re-initialised) with ImageNet normalisation', async () => {
    const file = path.join(await tempDir('ifi'), 'imagenet-resnet18-w8.safetensors');
    const pretrained = ResNet.create(parseArch('resnet18-w8', 1000), { seed: 99 });
    await exportSafetensors(pretrained, file);
    pretrained.dispose();
    const ctx = recordingContext();
    const result = await runTraining(demoSpec({ strategy: 'IFI-FS', pretrainedWeights: file, epochs: 1, classWeights: true }), study, ctx, {
      runId: 'ifi',
    });
    expect(result.normalisation).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], source: 'imagenet' });
    expect(ctx.messages.some((m) => m.startsWith(`Initialised from ${file}`) && m.includes('head re-initialised'))).toBe(true);
    expect(result.finalEpoch).toBe(1);
  });

  it('refuses clearly: IFI without weights, a missing weights file, no or unknown dataset, a bad field', async () => {
    const ctx = recordingContext();
    await expect(runTraining(demoSpec({ strategy: 'IFI-FS' }), study, ctx, { runId: 'x1' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'pretrainedWeights' }],
    });
    await expect(
      runTraining(demoSpec({ strategy: 'IFI-FS', pretrainedWeights: 'nope.pth' }), study, ctx, { runId: 'x2' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', issues: [{ path: 'pretrainedWeights' }] });
    await expect(runTraining(demoSpec({ datasetId: undefined }), study, ctx, { runId: 'x3' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'datasetId' }],
    });
    await expect(runTraining(demoSpec({ datasetId: 'missing' }), study, ctx, { runId: 'x4' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runTraining({ ...demoSpec(), lr: -1 } as never, study, ctx)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'lr' }],
    });
  });
});
