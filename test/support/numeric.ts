/**
 * Measures for comparing computed numbers with reference numbers (PyTorch goldens, naive
 * implementations, another backend). `b`/`expected` is always the reference.
 */
import { expect } from 'vitest';

/**
 * ‖a − b‖∞ / ‖b‖∞: the largest absolute element difference over the largest absolute reference
 * element (b); the plain largest difference when b is all zeros. The lengths must match.
 */
export function relInfDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** ‖actual − expected‖∞ = maxᵢ |actualᵢ − expectedᵢ|: the largest absolute element difference, not scaled. The lengths must match. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let d = 0;
  for (let i = 0; i < expected.length; i++) d = Math.max(d, Math.abs(actual[i]! - expected[i]!));
  return d;
}

/** Pearson's correlation coefficient Σ(aᵢ − ā)(bᵢ − b̄) / √(Σ(aᵢ − ā)² · Σ(bᵢ − b̄)²). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}
