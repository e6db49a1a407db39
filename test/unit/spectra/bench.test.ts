/**
 * `funduslab bench spectra` on a small model (resnet18-w4 at 32 px, 6 images): the report's
 * bookkeeping (layers, options, eigen share = (Gram + eigenvalues) / (forward + Gram + eigenvalues)),
 * --verify (backend path vs the float64 reference on the stem's and the first block's layers: the
 * eigenvalues within 1e-4 of each layer's largest and κ within 1e-4 relative, the bound the golden
 * tests use), --bn-direct, and bad arguments rejected naming the option. Timings are not asserted.
 */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchSpectra, runBenchSpectra } from '../../../src-main/cli/commands/bench-spectra';
import { initEngine } from '../../../src-main/engine/backend';

beforeAll(async () => {
  await initEngine({ preference: 'auto' }); // what the bench itself selects
});

describe('bench spectra', () => {
  it('reports the split of the time, the options and the --verify accuracy', async () => {
    const before = tf.memory().numTensors;
    const r = await benchSpectra({ arch: 'resnet18-w4', size: 32, images: 6, batch: 4, k: 5, verify: true, seed: 1 });
    expect(r).toMatchObject({
      arch: 'resnet18-w4',
      size: 32,
      images: 6,
      batch: 4,
      layers: 41,
      gram: 'backend',
      blockFeatures: 2048,
      bnFromConv: true,
      forwardPasses: 1,
    });
    expect(r.eigenShare).toBeCloseTo((r.gramMs + r.eigenMs) / (r.forwardMs + r.gramMs + r.eigenMs), 12);
    expect(r.verify!.map((v) => v.layer)).toEqual(['conv1', 'bn1', 'layer1.0.conv1', 'layer1.0.bn1', 'layer1.0.conv2', 'layer1.0.bn2']);
    for (const v of r.verify!) {
      expect(v.maxEigenDiff, v.layer).toBeLessThanOrEqual(1e-4);
      expect(v.kappaRelDiff, v.layer).toBeLessThanOrEqual(1e-4);
    }
    const direct = await benchSpectra({ arch: 'resnet18-w4', size: 32, images: 6, k: 5, bnFromConv: false, blockFeatures: 100, seed: 1 });
    expect(direct).toMatchObject({ bnFromConv: false, blockFeatures: 100, verify: null });
    // Same weights and images (seed 1: tfjs takes seed 0 as 'unseeded', so ResNet.create's first
    // parameter would be random): the first layer's κ does not depend on the path (1e-4).
    expect(Math.abs(direct.firstLayerKappa! - r.firstLayerKappa!)).toBeLessThanOrEqual(1e-4 * r.firstLayerKappa!);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('rejects bad options naming them', async () => {
    await expect(runBenchSpectra(['--gram', 'float32'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('--gram'),
    });
    await expect(runBenchSpectra(['--block', '0'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('--block'),
    });
    await expect(runBenchSpectra(['--images', '2', '--arch', 'resnet18-w4'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('--images'),
    });
    await expect(runBenchSpectra(['spectra', 'extra'])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
