/**
 * The study wizard's speed measurement (job kind engine.benchmark) on a tiny configuration: figures
 * per image, no tensor left behind, cancellation, and consistency with an independent timing of the
 * same forward pass.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { QuickBenchParams, QuickBenchResult } from '../../../src-shared/engine';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { runQuickBench } from '../../../src-main/engine/quick-bench';
import { detachedContext } from '../../../src-main/job-context';

describe('runQuickBench', () => {
  it('times forward, training step and both augmentations per image, without leaking tensors', async () => {
    await initEngine({ preference: 'wasm', env: {} });
    const before = tf.memory().numTensors;
    const progress: [number, number, string][] = [];
    const result = QuickBenchResult.parse(
      await runQuickBench(
        QuickBenchParams.parse({ arch: 'resnet18-w16', inputSize: 96, batchSize: 6, steps: 5 }),
        detachedContext((d, t, m) => progress.push([d, t, m])),
      ),
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ backend: 'wasm', arch: 'resnet18-w16', inputSize: 96, batchSize: 6 });
    // A training step (forward in train mode + backward + update) always costs more than an eval forward pass.
    expect(result.trainMsPerImage).toBeGreaterThan(result.forwardMsPerImage);
    // MoCo aug+ augments two views with colour jitter and blur: more work than the supervised preset.
    expect(result.augmentClMsPerImage).toBeGreaterThan(result.augmentFsMsPerImage);
    expect(progress.at(-1)?.slice(0, 2)).toEqual([4, 4]);
    // On wasm: the largest training batch that fits its 4 GB (a small model at 96 px: far more than the batch).
    expect(result.maxTrainBatch).toBeGreaterThan(100);
    expect(progress.map((p) => p[2])).toContain('MoCo v2 augmentation (two views)');

    // Independent timing of the same forward pass (batch 6, median of 7 after a warm-up): the per-image figure agrees within a factor of 3
    // (timing noise on a shared machine).
    const model = ResNet.create(parseArch('resnet18-w16', 5), { seed: 3 });
    const x = tf.randomUniform([6, 96, 96, 3], -1, 1) as Tensor4D;
    const ms: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = performance.now();
      const y = model.forward(x);
      await y.data();
      y.dispose();
      if (i > 0) ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    const perImage = ms[3]! / 6;
    tf.dispose(x);
    model.dispose();
    expect(result.forwardMsPerImage / perImage).toBeGreaterThan(1 / 3);
    expect(result.forwardMsPerImage / perImage).toBeLessThan(3);
  }, 120_000);

  it('stops with CANCELLED when cancelled, leaving no tensor behind', async () => {
    await initEngine({ preference: 'wasm', env: {} });
    const before = tf.memory().numTensors;
    const abort = new AbortController();
    const ctx = { ...detachedContext((done) => (done >= 1 ? abort.abort() : undefined)), signal: abort.signal };
    await expect(
      runQuickBench(QuickBenchParams.parse({ arch: 'resnet18-w4', inputSize: 32, batchSize: 2, steps: 2 }), ctx),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
