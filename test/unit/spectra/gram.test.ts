/**
 * The block Gram kernels of gram.ts against naive float64 re-implementations:
 * - `shiftedStatistics` (one pass, shifted by the first image) vs `referenceStatistics`
 *   (scikit-learn's two-pass): identical constant flags; mean within 1e-15·(|μ| + σ) and variance
 *   within 1e-12 relative, on adversarial columns (large mean with a small spread, an outlier as
 *   the shift, constants 0 / 3.7 / −1e3 / subnormal / 3e38, two values one float32 ulp apart at 1e6),
 *   for N = 2 … 64 (the four-row sweep and its remainder).
 * - `accumulateBlock`: the 'float64' path vs naiveStandardisedGram on the kept columns, 1e-12
 *   relative to the largest entry; the 'backend' path (float32 standardisation on the backend +
 *   matMul(Z, transpose(Z))) on the cpu and wasm backends vs the same, 1e-5 (float32 rounding, in
 *   one block of 300 features); excluded columns: kept + excluded equals the Gram of every column
 *   (1e-12 / 1e-5) and no product is formed for constant excluded columns; non-finite activations
 *   are reported, not multiplied. No tensor leaks.
 * - `accumulateGram` (already standardised blocks) on the backend vs float64: 1e-5.
 */
import tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accumulateBlock,
  accumulateGram,
  naiveStandardisedGram,
  referenceStatistics,
  shiftedStatistics,
  standardiseBlock,
} from '../../../src-main/analysis/spectra/gram';
import { initEngine, setCpuBackend } from '../../../src-main/engine/backend';
import { Rng } from '../../../src-main/random/prng';
import { relInfDiff } from '../../support/numeric';

beforeAll(async () => {
  await initEngine({ preference: 'wasm', env: {} });
});
afterAll(async () => {
  await setCpuBackend();
});

/** n × width float32 block with hard columns first, then random ones. */
function adversarialBlock(n: number, width: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n * width);
  const col = (j: number, f: (i: number) => number) => {
    for (let i = 0; i < n; i++) x[i * width + j] = f(i);
  };
  col(0, () => 0); // dead ReLU
  col(1, () => 3.7);
  col(2, () => -1e3);
  col(3, () => 1e-40); // subnormal in float32
  col(4, () => 3e38);
  col(5, (i) => (i === n - 1 ? Math.fround(1e6) + 0.0625 : Math.fround(1e6))); // one ulp apart: not constant
  col(6, () => 1000 + 0.05 * rng.normal()); // large mean, small spread
  col(7, (i) => (i === 0 ? 50 : rng.normal())); // the shift K is an outlier
  col(8, (i) => (i === 0 ? -7 : 2)); // two values, the first alone
  for (let j = 9; j < width; j++) {
    const scale = Math.exp(3 * rng.normal());
    const shift = 10 * rng.normal();
    col(j, () => Math.max(shift + scale * rng.normal(), shift - scale)); // ReLU-like floor
  }
  return x;
}

/** Columns `cols` of the row-major n × width block. */
function columns(x: Float32Array, n: number, width: number, cols: number[]): Float32Array {
  const out = new Float32Array(n * cols.length);
  for (let i = 0; i < n; i++) cols.forEach((c, k) => (out[i * cols.length + k] = x[i * width + c]!));
  return out;
}

describe('shiftedStatistics vs scikit-learn two-pass statistics', () => {
  for (const n of [2, 3, 5, 8, 9, 64]) {
    it(`N = ${n}`, () => {
      const width = 40;
      const x = adversarialBlock(n, width, 100 + n);
      const fast = shiftedStatistics(x, n, width);
      const ref = referenceStatistics(x, n, width);
      expect([...fast.constant]).toEqual([...ref.constant]);
      expect([...ref.constant.slice(0, 9)]).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0]);
      expect(fast.constantCount).toBe(ref.constantCount);
      expect(fast.nonFinite).toBe(0);
      for (let j = 0; j < width; j++) {
        const sd = Math.sqrt(ref.variance[j]!);
        expect(Math.abs(fast.mean[j]! - ref.mean[j]!), `mean ${j}`).toBeLessThanOrEqual(1e-15 * (Math.abs(ref.mean[j]!) + sd));
        if (ref.constant[j]) expect(fast.variance[j], `variance ${j}`).toBe(0);
        else expect(Math.abs(fast.variance[j]! - ref.variance[j]!) / ref.variance[j]!, `variance ${j}`).toBeLessThanOrEqual(1e-12);
      }
    });
  }

  it('counts non-finite features', () => {
    const x = adversarialBlock(5, 12, 1);
    x[2 * 12 + 10] = Number.NaN;
    x[3 * 12 + 11] = Number.POSITIVE_INFINITY;
    expect(shiftedStatistics(x, 5, 12).nonFinite).toBe(2);
    expect(referenceStatistics(x, 5, 12).nonFinite).toBe(2);
  });
});

describe('accumulateBlock', () => {
  const n = 23;
  const width = 300;
  const x = adversarialBlock(n, width, 7);
  const all = Array.from({ length: width }, (_, j) => j);
  // Exclude every third column (among them the constant column 2) and columns 1 (constant) and 6.
  const excludedFlags = Uint8Array.from(all, (j) => (j % 3 === 2 || j === 1 || j === 6 ? 1 : 0));
  const kept = all.filter((j) => !excludedFlags[j]);
  const excluded = all.filter((j) => excludedFlags[j]);
  const full = naiveStandardisedGram(x, n, width);
  const keptRef = naiveStandardisedGram(columns(x, n, width, kept), n, kept.length);
  const excludedRef = naiveStandardisedGram(columns(x, n, width, excluded), n, excluded.length);
  const constantExcluded = excluded.filter((j) => referenceStatistics(x, n, width).constant[j]).length;

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const precision of ['float64', 'backend'] as const) {
      if (precision === 'float64' && backend === 'wasm') continue; // pure JavaScript
      const tol = precision === 'float64' ? 1e-12 : 1e-5;
      it(`${precision} on ${backend}: every column, then kept / excluded (${tol})`, async () => {
        if (backend === 'cpu') await setCpuBackend();
        else await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const gram = new Float64Array(n * n);
        const r = await accumulateBlock(x, n, width, precision, { kept: gram });
        expect(r).toEqual({ constant: full.constant, excludedVarying: 0, nonFinite: 0 });
        expect(relInfDiff(gram, full.gram)).toBeLessThanOrEqual(tol);
        expect(full.constant).toBe(5);

        const k = new Float64Array(n * n);
        const e = new Float64Array(n * n);
        const split = await accumulateBlock(x, n, width, precision, { kept: k, excluded: e }, excludedFlags);
        expect(split.constant).toBe(full.constant);
        expect(split.excludedVarying).toBe(excluded.length - constantExcluded);
        expect(constantExcluded).toBe(2); // columns 1 and 2
        expect(relInfDiff(k, keptRef.gram)).toBeLessThanOrEqual(tol);
        expect(relInfDiff(e, excludedRef.gram)).toBeLessThanOrEqual(tol);
        expect(
          relInfDiff(
            Float64Array.from(k, (v, i) => v + e[i]!),
            full.gram,
          ),
        ).toBeLessThanOrEqual(tol);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('accumulates over blocks, needs an excluded Gram only for varying excluded columns, reports non-finite blocks', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    // Two blocks of 150 columns add up to the one-block Gram.
    const gram = new Float64Array(n * n);
    for (const cols of [all.slice(0, 150), all.slice(150)])
      await accumulateBlock(columns(x, n, width, cols), n, cols.length, 'backend', { kept: gram });
    expect(relInfDiff(gram, full.gram)).toBeLessThanOrEqual(1e-5);
    // Only constant columns excluded: no excluded Gram needed, nothing lands in it.
    const only = Uint8Array.from(all, (j) => (j < 5 ? 1 : 0));
    const g2 = new Float64Array(n * n);
    expect((await accumulateBlock(x, n, width, 'backend', { kept: g2 }, only)).excludedVarying).toBe(0);
    expect(relInfDiff(g2, full.gram)).toBeLessThanOrEqual(1e-5);
    expect(() => accumulateBlock(x, n, width, 'backend', { kept: g2 }, excludedFlags)).toThrow(/excluded columns without an excluded Gram/);
    // Non-finite values: reported, the Gram untouched.
    const bad = Float32Array.from(x);
    bad[5 * width + 20] = Number.NaN;
    const g3 = new Float64Array(n * n);
    expect((await accumulateBlock(bad, n, width, 'backend', { kept: g3 })).nonFinite).toBe(1);
    expect(g3.every((v) => v === 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('accumulateGram (standardised blocks) on the backend', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend} vs float64 (1e-5)`, async () => {
      if (backend === 'cpu') await setCpuBackend();
      else await tf.setBackend('wasm');
      const n = 17;
      const width = 500;
      const { z } = standardiseBlock(adversarialBlock(n, width, 3), n, width, true);
      const before = tf.memory().numTensors;
      const a = new Float64Array(n * n);
      const b = new Float64Array(n * n);
      await accumulateGram(a, z, n, width, 'backend');
      await accumulateGram(b, z, n, width, 'float64');
      expect(relInfDiff(a, b)).toBeLessThanOrEqual(1e-5);
      expect(relInfDiff(a, b)).toBeGreaterThan(0); // float32 products: not the float64 path by accident
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
