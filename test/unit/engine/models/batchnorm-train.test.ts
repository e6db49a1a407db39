/**
 * The hand-written gradient of the fused train-mode BatchNorm(+ReLU) (`batchNormTrain`) against
 * tfjs's autodiff of the unfused composition (tf.moments + tf.batchNorm [+ tf.relu]), on the wasm
 * and JS cpu backends, at the shapes where ResNet50's layer4 normalises over few samples per
 * channel (2x2 spatial, batch 2 → 8 samples) and larger ones (channel counts that are not a multiple
 * of 4 and row counts that are not a multiple of 16 exercise the tails of the wasm SIMD kernels).
 * On wasm `batchNormTrain` runs FundusLab's kernels (kernels/wasm/BatchNormTrain.ts), on cpu the
 * composite of tfjs ops; the reference is tfjs's own ops on the same backend. Both are float32, so
 * they may differ by rounding only: ‖Δ‖∞/‖ref‖∞ ≤ 1e-5 for y, the batch mean and variance, dx, dγ and dβ.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, setCpuBackend } from '../../../../src-main/engine/backend';
import { batchNormTrain } from '../../../../src-main/engine/models/resnet';
import { BN_EPS } from '../../../../src-main/engine/models/resnet-spec';
import { relInfDiff as rel } from '../../../support/numeric';

beforeAll(async () => {
  await initEngine({ preference: 'wasm', env: {} });
});

function unfused(x: Tensor4D, gamma: Tensor1D, beta: Tensor1D, relu: boolean): Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.batchNorm(x, mean as Tensor1D, variance as Tensor1D, beta, gamma, BN_EPS);
  return relu ? tf.relu(y) : y;
}

describe('batchNormTrain gradient (fused, hand-written) vs autodiff of moments + batchNorm (+ relu)', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const shape of [
      [2, 2, 2, 32],
      [4, 2, 2, 16],
      [3, 5, 7, 6],
      [2, 9, 11, 70],
      [5, 17, 1, 4],
    ] as [number, number, number, number][]) {
      for (const relu of [false, true]) {
        it(`${backend}, x [${shape}], relu ${relu}`, async () => {
          if (backend === 'cpu') await setCpuBackend();
          else await tf.setBackend('wasm');
          const c = shape[3];
          const before = tf.memory().numTensors;
          const [fused, reference, forward] = tf.tidy(() => {
            // Channel means far from zero and varied scales, so the centring matters.
            const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), tf.linspace(0.2, 3, c)), tf.linspace(-2, 2, c)) as Tensor4D;
            const gamma = tf.add(0.5, tf.randomUniform([c], 0, 1, 'float32', 2)) as Tensor1D;
            const beta = tf.mul(0.3, tf.randomNormal([c], 0, 1, 'float32', 3)) as Tensor1D;
            const dy = tf.randomNormal(shape, 0, 1, 'float32', 4) as Tensor4D;
            const loss = (f: typeof unfused) => (a: Tensor4D, g: Tensor1D, b: Tensor1D) => tf.sum(tf.mul(f(a, g, b, relu), dy));
            const grads = (f: typeof unfused) =>
              tf
                .grads(loss(f) as (...a: tf.Tensor[]) => tf.Tensor)([x, gamma, beta])
                .map((t) => t.dataSync() as Float32Array);
            const stats: Float32Array[] = [];
            const y = batchNormTrain(x, gamma, beta, relu, (count, mean, variance) => {
              expect(count).toBe(shape[0] * shape[1] * shape[2]);
              stats.push(mean.dataSync() as Float32Array, variance.dataSync() as Float32Array);
            });
            const { mean, variance } = tf.moments(x, [0, 1, 2]);
            const values = (t: tf.Tensor) => t.dataSync() as Float32Array;
            const forwardPairs: [string, Float32Array, Float32Array][] = [
              ['y', values(y), values(unfused(x, gamma, beta, relu))],
              ['batch mean', stats[0]!, values(mean)],
              ['batch variance', stats[1]!, values(variance)],
            ];
            return [grads((a, g, b, r) => batchNormTrain(a, g, b, r)), grads(unfused), forwardPairs];
          });
          expect(tf.memory().numTensors).toBe(before);
          for (const [name, got, want] of forward) expect(rel(got, want), name).toBeLessThanOrEqual(1e-5);
          ['dx', 'dγ', 'dβ'].forEach((name, i) => expect(rel(fused[i]!, reference[i]!), name).toBeLessThanOrEqual(1e-5));
        });
      }
    }
  }
});

describe('batchNormTrain statistics when the mean is far larger than the spread', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`${backend}: batch mean and variance match a float64 computation (relative 1e-5)`, async () => {
      if (backend === 'cpu') await setCpuBackend();
      else await tf.setBackend('wasm');
      const shape: [number, number, number, number] = [3, 11, 13, 12];
      const c = shape[3];
      const values = tf.tidy(
        () => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 5), 0.01), tf.linspace(100, 300, c)).dataSync() as Float32Array,
      );
      const rows = values.length / c;
      const mean64 = new Float64Array(c);
      const var64 = new Float64Array(c);
      for (let i = 0; i < values.length; i++) mean64[i % c]! += values[i]! / rows;
      for (let i = 0; i < values.length; i++) var64[i % c]! += (values[i]! - mean64[i % c]!) ** 2 / rows;
      const got = tf.tidy(() => {
        const out: Float32Array[] = [];
        batchNormTrain(tf.tensor4d(values, shape), tf.ones([c]) as Tensor1D, tf.zeros([c]) as Tensor1D, false, (_, m, v) => {
          out.push(m.dataSync() as Float32Array, v.dataSync() as Float32Array);
        });
        return out;
      });
      expect(rel(got[0]!, Float32Array.from(mean64))).toBeLessThanOrEqual(1e-5);
      // The variance (~1e-4) is ~1e-9 of the squared mean: E[x²] − E[x]² in float32 would lose it entirely.
      expect(rel(got[1]!, Float32Array.from(var64))).toBeLessThanOrEqual(1e-5);
    });
  }
});
