/**
 * Eigenvalues of a layer's standardised activations and the paper's condition number (docs/design.md
 * "Condition number"; Srinivasan et al. 2022, Eq 1 and Fig 3a).
 *
 * - PCA explained variance through the Gram matrix: with Z the N×F standardised activations (every
 *   column has mean 0), the nonzero eigenvalues of ZZᵀ/(N−1) (N×N) are those of the covariance
 *   ZᵀZ/(N−1) (F×F), and they are scikit-learn's `PCA(n_components=k).explained_variance_`
 *   (S²/(N−1) from the SVD of the centred data). The F×F covariance is never formed.
 * - Symmetric eigensolver in float64: Householder reduction to tridiagonal form, then the implicit
 *   QL algorithm with Wilkinson-type shifts (eigenvalues only; Golub & Van Loan §8.3, the EISPACK
 *   tred1/tql1 pair). O(N³) for the reduction, O(N²) for the QL iterations.
 * - κ = |percentile(λ, 99.9)| / |percentile(λ, 90)| over the top-k eigenvalues λ, with NumPy's
 *   default ('linear') percentile interpolation; the two percentiles are parameters.
 */
import { AppError } from '../../../src-shared/errors';

/**
 * All eigenvalues of the symmetric n×n matrix `a` (row-major, float64; only the lower triangle is
 * read), in descending order. `a` is overwritten.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new AppError('INTERNAL', `symmetricEigenvalues: expected ${n * n} entries, got ${a.length}`);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalise(a, n, d, e);
  tridiagonalQl(d, e, n);
  return d.sort().reverse();
}

/**
 * Householder reduction of a symmetric matrix to tridiagonal form (diagonal d, sub-diagonal e with
 * e[i] = T[i][i−1], e[0] = 0), without accumulating the transformations.
 */
function tridiagonalise(a: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const ri = i * n;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]!);
      if (scale === 0) {
        e[i] = a[ri + l]!;
      } else {
        for (let k = 0; k <= l; k++) {
          const v = a[ri + k]! / scale;
          a[ri + k] = v;
          h += v * v;
        }
        let f = a[ri + l]!;
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[ri + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          // p = A·u / h (u = row i), using the lower triangle of A.
          const rj = j * n;
          g = 0;
          for (let k = 0; k <= j; k++) g += a[rj + k]! * a[ri + k]!;
          for (let k = j + 1; k <= l; k++) g += a[k * n + j]! * a[ri + k]!;
          e[j] = g / h;
          f += e[j]! * a[ri + j]!;
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[ri + j]!;
          g = e[j]! - hh * f;
          e[j] = g;
          const rj = j * n;
          for (let k = 0; k <= j; k++) a[rj + k] = a[rj + k]! - (f * e[k]! + g * a[ri + k]!);
        }
      }
    } else {
      e[i] = a[ri + l]!;
    }
    d[i] = h;
  }
  e[0] = 0;
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
}

/** Eigenvalues of the symmetric tridiagonal matrix (d, e) by implicit QL; d is overwritten with them. */
function tridiagonalQl(d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new AppError('INTERNAL', 'Eigenvalues: the QL iteration did not converge (60 iterations)');
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = Math.hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        let underflow = false;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i]!;
          const b = c * e[i]!;
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] = d[i + 1]! - p;
            e[m] = 0;
            underflow = true;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (underflow) continue;
        d[l] = d[l]! - p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}

/** NumPy's default percentile ('linear' method, numpy ≥ 1.22 `_lerp`) of `values` (any order), q in [0, 100]. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) throw new AppError('BAD_REQUEST', 'percentile of an empty list');
  if (!(q >= 0 && q <= 100)) throw new AppError('BAD_REQUEST', `percentile: q must be in [0, 100], got ${q}`);
  const v = Float64Array.from(values).sort();
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = v[lo]!;
  const b = v[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

export interface ConditionPercentiles {
  /** Upper percentile (paper 99.9). */
  high: number;
  /** Lower percentile (paper 90). */
  low: number;
}

export const PAPER_PERCENTILES: ConditionPercentiles = { high: 99.9, low: 90 };

export interface ConditionNumber {
  /** |percentile(λ, high)| / |percentile(λ, low)|; null when the lower percentile is 0. */
  kappa: number | null;
  pHigh: number;
  pLow: number;
}

/** The paper's condition number κ = |P_high(λ)| / |P_low(λ)| over the eigenvalues λ. */
export function conditionNumber(eigenvalues: ArrayLike<number>, p: ConditionPercentiles = PAPER_PERCENTILES): ConditionNumber {
  const pHigh = percentile(eigenvalues, p.high);
  const pLow = percentile(eigenvalues, p.low);
  return { kappa: pLow === 0 ? null : Math.abs(pHigh) / Math.abs(pLow), pHigh, pLow };
}

/** Number of components: min(k, N − 1, F) (the centred data has rank ≤ N − 1). */
export function componentCount(k: number, n: number, features: number): number {
  return Math.max(0, Math.min(k, n - 1, features));
}

/**
 * Top-`k` PCA explained variances (descending) from the Gram matrix G = ZZᵀ (N×N, float64, Z with
 * centred columns): eigenvalues of G/(N−1). Round-off can leave eigenvalues of the null space
 * slightly negative; they are reported as 0 (explained variance is S²/(N−1) ≥ 0). `gram` is
 * overwritten.
 */
export function explainedVariance(gram: Float64Array, n: number, k: number): number[] {
  if (n < 2) throw new AppError('BAD_REQUEST', `PCA needs at least 2 images, got ${n}`);
  const all = symmetricEigenvalues(gram, n);
  const out: number[] = [];
  for (let i = 0; i < Math.min(k, n); i++) out.push(Math.max(0, all[i]!) / (n - 1));
  return out;
}
