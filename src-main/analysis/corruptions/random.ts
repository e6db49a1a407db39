/**
 * Random fields for the corruptions, drawn from FundusLab's seeded generator (src-main/random/prng.ts)
 * in a fixed order (row-major, HWC for per-value fields), so a corruption is a pure function of
 * (image, severity, seed). Distributions follow numpy's definitions:
 * `normal(loc, scale) = loc + scale·z`, `uniform(lo, hi) = lo + (hi − lo)·u`, Poisson(λ).
 * test/golden/corruptions/make_fixtures.py re-implements the generator and this draw order to feed
 * the reference formulas the same numbers.
 */
import type { Rng } from '../../random/prng';

/** n draws of N(loc, scale²): `loc + scale · rng.normal()`. */
export function normalField(rng: Rng, n: number, loc: number, scale: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = loc + scale * rng.normal();
  return out;
}

/** n draws of U[lo, hi): `lo + (hi − lo) · rng.next()`. */
export function uniformField(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  const out = new Float64Array(n);
  const span = hi - lo;
  for (let i = 0; i < n; i++) out[i] = lo + span * rng.next();
  return out;
}

/**
 * The cumulative distribution of Poisson(λ) as a table: cdf[k] = P(X ≤ k), built by the recurrence
 * p₀ = e^(−λ), p_k = p_(k−1)·λ/k, summed in order, until past the mean with p_k < 1e-17.
 */
export function poissonCdf(lambda: number): Float64Array {
  const cdf: number[] = [];
  let p = Math.exp(-lambda);
  let sum = p;
  cdf.push(sum);
  for (let k = 1; k <= lambda || p >= 1e-17; k++) {
    p = (p * lambda) / k;
    sum += p;
    cdf.push(sum);
    if (k > 10_000) break; // λ is at most 60 here; a guard, never reached
  }
  return Float64Array.from(cdf);
}

/**
 * A Poisson(λ) draw by inversion: the smallest k with u < cdf[k] (u beyond the table's last entry,
 * probability < 1e-16, gives the last k). One uniform per draw.
 */
export function poissonFromCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  if (u >= cdf[hi]!) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u < cdf[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
