/**
 * FundusLab's wasm kernels above 2 GiB of the wasm heap: Emscripten returns addresses as signed
 * 32-bit numbers (negative from 2 GiB on), so scratch memory taken there must be read as unsigned.
 * A ResNet50 training step at 224 px, batch 8, fills more than 2 GiB; here 2.25 GiB of tensors do.
 * Oracle: the same AdamW step and BatchNorm forward on the JavaScript cpu backend.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor1D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initEngine, setCpuBackend } from '../../../src-main/engine/backend';
import { simdContext } from '../../../src-main/engine/kernels/wasm/simd/module';
import { batchNormTrain } from '../../../src-main/engine/models/resnet';
import { AdamW } from '../../../src-main/engine/optim/adamw';
import { relInfDiff } from '../../support/numeric';

/** One AdamW step on a small parameter and a BatchNorm forward, read back. */
async function fusedSteps(): Promise<{ param: Float32Array; bn: Float32Array }> {
  const p = tf.variable(tf.linspace(-1, 1, 96).reshape([4, 24]), true, `p${tf.getBackend()}`);
  const opt = new AdamW(new Map([['p', p]]), { lr: 1e-2, weightDecay: 0.05 });
  // Inputs from JavaScript numbers: tfjs's sin/cos differ between backends by ~1e-4.
  const g = tf.tensor2d(
    Float32Array.from({ length: 96 }, (_, i) => Math.sin(i / 13)),
    [4, 24],
  );
  opt.step(new Map([['p', g]]));
  const param = (await p.data()) as Float32Array;
  const x = tf.tensor4d(
    Float32Array.from({ length: 400 }, (_, i) => Math.cos(i / 8)),
    [2, 5, 5, 8],
  );
  const bnOut = tf.tidy(() => batchNormTrain(x, tf.ones([8]) as Tensor1D, tf.zeros([8]) as Tensor1D, true));
  const bn = (await bnOut.data()) as Float32Array;
  tf.dispose([p, g, x, bnOut]);
  opt.dispose();
  return { param, bn };
}

describe('wasm kernels with the heap above 2 GiB', () => {
  it('AdamW and BatchNorm take scratch memory above 2 GiB and still match the cpu backend', async () => {
    await setCpuBackend();
    const ref = await fusedSteps();
    await initEngine({ preference: 'wasm', env: {} });
    // 9 × 256 MiB: the heap's next allocations lie beyond 2 GiB.
    const ballast = Array.from({ length: 9 }, () => tf.zeros([64 * 1024 * 1024]));
    const offsets = ballast.map((t) => (tf.backend() as unknown as { getMemoryOffset(id: object): number }).getMemoryOffset(t.dataId));
    expect(Math.max(...offsets)).toBeGreaterThan(2 ** 31);
    const ctx = simdContext(tf.backend());
    // 64 MiB of scratch cannot fit below the ballast: it lies above 2 GiB, and is addressed there.
    const scratch = ctx.malloc(64 * 1024 * 1024);
    try {
      expect(scratch).toBeGreaterThan(2 ** 31);
      ctx.f32().set([1.5, -2.5], scratch / 4);
      expect(Array.from(ctx.f32().subarray(scratch / 4, scratch / 4 + 2))).toEqual([1.5, -2.5]);
      const got = await fusedSteps();
      expect(relInfDiff(got.param, ref.param)).toBeLessThan(1e-6); // same float32 operations in the same order
      expect(relInfDiff(got.bn, ref.bn)).toBeLessThan(1e-5); // float32 sums in another order, as in models/batchnorm-train.test.ts
    } finally {
      ctx.free(scratch);
      tf.dispose(ballast);
    }
  });
});
