/**
 * The symmetric eigensolver (Householder + implicit QL) against a naive cyclic Jacobi
 * re-implementation (tolerance 1e-10 relative to the largest |eigenvalue|); NumPy percentiles (hand
 * computed with numpy 1.24, exact to 1e-15); κ; the component count.
 */
import { describe, expect, it } from 'vitest';
import {
  componentCount,
  conditionNumber,
  explainedVariance,
  percentile,
  symmetricEigenvalues,
} from '../../../src-main/analysis/spectra/eigen';
import { Rng } from '../../../src-main/random/prng';

/** Cyclic Jacobi rotations until the off-diagonal norm vanishes: the textbook oracle. */
function jacobiEigenvalues(a: Float64Array, n: number): number[] {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => m[i * n + i]!).sort((x, y) => y - x);
}

function randomSymmetric(n: number, rng: Rng, rank = n, spread = 1): Float64Array {
  // A = Σ_r s_r v_r v_rᵀ (+ a symmetric perturbation when full rank).
  const a = new Float64Array(n * n);
  for (let r = 0; r < rank; r++) {
    const v = Array.from({ length: n }, () => rng.normal());
    const s = spread ** (r / Math.max(1, rank - 1)) * (rank === n && r % 3 === 0 ? -1 : 1);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = a[i * n + j]! + s * v[i]! * v[j]!;
  }
  return a;
}

describe('symmetricEigenvalues', () => {
  const rng = new Rng(7);
  const cases: [string, number, number, number][] = [
    ['1×1', 1, 1, 1],
    ['2×2', 2, 2, 1],
    ['full rank, indefinite, 30×30', 30, 30, 10],
    ['rank 5 PSD 40×40 (zero eigenvalues)', 40, 5, 1e3],
    ['rank 1 60×60', 60, 1, 1],
    ['wide spread 25×25', 25, 25, 1e8],
  ];
  for (const [name, n, rank, spread] of cases) {
    it(name, () => {
      const a = randomSymmetric(n, rng, rank, spread);
      const expected = jacobiEigenvalues(a, n);
      const got = symmetricEigenvalues(Float64Array.from(a), n);
      const scale = Math.max(...expected.map(Math.abs));
      got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-10 * scale));
      // Trace is preserved.
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i]!;
      expect(Math.abs(got.reduce((x, y) => x + y, 0) - trace)).toBeLessThanOrEqual(1e-10 * scale * n);
    });
  }

  it('repeated eigenvalues (identity and a block of equal values)', () => {
    const n = 12;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = i < 6 ? 3 : 1;
    expect([...symmetricEigenvalues(a, n)]).toEqual([3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1]);
  });

  it('explainedVariance divides by N − 1, clamps the null space at 0 and keeps the top k', () => {
    // Gram of centred data with two features: rank ≤ 2.
    const z = [
      [1, 0],
      [-1, 2],
      [0, -2],
    ];
    const g = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) g[i * 3 + j] = z[i]![0]! * z[j]![0]! + z[i]![1]! * z[j]![1]!;
    // Covariance ZᵀZ/(N−1) = [[2, −2], [−2, 8]]/2 = [[1, −1], [−1, 4]]: eigenvalues (5 ± √13)/2.
    const lam = explainedVariance(Float64Array.from(g), 3, 2);
    expect(lam[0]).toBeCloseTo((5 + Math.sqrt(13)) / 2, 12);
    expect(lam[1]).toBeCloseTo((5 - Math.sqrt(13)) / 2, 12);
    expect(explainedVariance(Float64Array.from(g), 3, 3)[2]).toBeLessThan(1e-12);
  });
});

describe('percentile (numpy linear)', () => {
  // numpy 1.24: np.percentile(v, q) for these values.
  const v = [5, 1, 4, 2, 3];
  it('matches numpy', () => {
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(5);
    expect(percentile(v, 50)).toBe(3);
    expect(percentile(v, 90)).toBeCloseTo(4.6, 15);
    expect(percentile(v, 99.9)).toBeCloseTo(4.996, 15);
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 15);
    expect(percentile([7], 42)).toBe(7);
  });
  it('rejects bad input', () => {
    expect(() => percentile([], 50)).toThrow(/empty/);
    expect(() => percentile([1], 101)).toThrow(/\[0, 100\]/);
  });
});

describe('conditionNumber', () => {
  it('is |P99.9| / |P90| and null when P90 is 0', () => {
    const lam = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    const c = conditionNumber(lam);
    expect(c.pHigh).toBeCloseTo(99.901, 12);
    expect(c.pLow).toBeCloseTo(90.1, 12);
    expect(c.kappa).toBeCloseTo(99.901 / 90.1, 12);
    expect(conditionNumber([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]).kappa).toBeNull();
  });
  it('componentCount = min(k, N − 1, F)', () => {
    expect(componentCount(100, 256, 802816)).toBe(100);
    expect(componentCount(100, 64, 802816)).toBe(63);
    expect(componentCount(100, 256, 5)).toBe(5);
  });
});
