/**
 * Memory of a forward pass: without hooks each residual block's intermediates are freed when the
 * block ends (and in eval mode the previous block's output too), so the peak is about one block's
 * activations instead of the whole network's. Measured with tf.profile's peakBytes against the
 * same forward with a pass-through hook (which keeps every module's output until the end, the
 * behaviour before), and checked to change no number and to leak nothing; gradients through the
 * eval and train forward equal those of the hooked forward.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../../src-main/engine/backend';
import { ResNet } from '../../../../src-main/engine/models/resnet';
import { parseArch } from '../../../../src-main/engine/models/resnet-spec';

beforeAll(async () => {
  await initEngine({ preference: 'wasm', env: {} });
});

/** The most memory `fn` had allocated at once beyond what existed before it (tf.profile's peak is of the whole engine). */
async function peak(fn: () => tf.Tensor): Promise<{ peakBytes: number; out: Float32Array }> {
  let out: Float32Array | null = null;
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => {
    const y = fn();
    out = y.dataSync() as Float32Array;
    y.dispose();
  });
  return { peakBytes: info.peakBytes - before, out: out! };
}

describe('ResNet forward memory', () => {
  it('an eval forward of ResNet50 peaks at under a fifth of the memory of keeping every activation, with the same logits', async () => {
    const model = ResNet.create(parseArch('resnet50-w16', 5), { seed: 2 });
    const x = tf.randomNormal([4, 96, 96, 3], 0, 1, 'float32', 5) as Tensor4D;
    model.forward(x).dispose(); // build the folded-filter cache outside the measurement
    const before = tf.memory().numTensors;
    const lean = await peak(() => model.forward(x));
    // A pass-through hook switches off the per-block release (and the BatchNorm folding): every
    // module's output stays alive until the end, as every forward did before.
    const kept = await peak(() => model.forward(x, { hook: () => undefined }));
    expect(tf.memory().numTensors).toBe(before);
    // Observed 3.4 MB against 27.6 MB (batch 4, 96 px, width 16).
    expect(lean.peakBytes).toBeLessThan(0.2 * kept.peakBytes);
    let maxDiff = 0;
    for (let i = 0; i < lean.out.length; i++) maxDiff = Math.max(maxDiff, Math.abs(lean.out[i]! - kept.out[i]!));
    expect(maxDiff).toBeLessThan(1e-4); // folded BN vs separate BN: float32 rounding only
    tf.dispose(x);
    model.dispose();
  }, 60_000);

  it('gradients through the forward (eval and train mode) equal those of the hooked forward', () => {
    const model = ResNet.create(parseArch('resnet18-w4', 5), { seed: 3 });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 6) as Tensor4D;
    for (const training of [false, true]) {
      const f = (hook: boolean) => (input: tf.Tensor) =>
        tf.sum(
          tf.square(model.forward(input as Tensor4D, { training, updateRunningStats: false, ...(hook ? { hook: () => undefined } : {}) })),
        );
      const a = tf.grad(f(false))(x);
      const b = tf.grad(f(true))(x);
      const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      const scale = tf.max(tf.abs(b)).dataSync()[0]!;
      expect(diff / scale).toBeLessThan(1e-4);
      tf.dispose([a, b]);
    }
    tf.dispose(x);
    model.dispose();
  });
});
