/**
 * The N×N Gram matrix G = ZZᵀ of a layer's standardised activations, accumulated over blocks of
 * features (G = Σ_blocks Z_B Z_Bᵀ), so only N × (block width) activations are ever in memory.
 *
 * Standardisation follows scikit-learn's StandardScaler (with_mean, with_std; sklearn 1.2
 * `_incremental_mean_and_var` on one batch and `_is_constant_feature`): for each feature,
 *   mean μ = Σx/N; variance σ² = (Σ(x−μ)² − (Σ(x−μ))²/N)/N (population, corrected two-pass);
 *   the feature is constant when σ² ≤ N·ε·σ² + (N·μ·ε)² (ε = float64 machine epsilon), and then its
 *   scale is 1 (so it standardises to exactly 0); otherwise z = (x − μ)/σ.
 * Every statistic is computed in float64 from all N values of the feature (a block holds every
 * image), so it is exact up to float64 rounding — no streaming approximation.
 *
 * Two paths (`GramPrecision`):
 * - 'float64' (the reference): scikit-learn's two-pass statistics above (`referenceStatistics`), z in
 *   float64, products in JavaScript float64.
 * - 'backend' (the fast default, `accumulateBlock`): the statistics in float64 in one pass over the
 *   block (`shiftedStatistics`: sums of x − K with K the first image's value, see there for the
 *   error bound); then on the active TensorFlow.js backend in float32, Z = ((X − μ_hi)·s) + (−μ_lo·s)
 *   with μ = μ_hi + μ_lo split into a float32 part and its float64 remainder and s = 1/σ (0 for a
 *   constant feature), so each z is within ~3 float32 roundings of (x − μ)/σ even where |μ| ≫ σ;
 *   then Z_B Z_Bᵀ as matMul(Z, transpose(Z)). The explicit transpose matters: on the wasm backend,
 *   matMul(Z, Z, false, true) takes a generic loop ~13× slower than the XNNPACK GEMM that
 *   matMul(Z, Zᵀ) uses (bench spectra). Each block's float32 product is added into the float64 G,
 *   so float32 rounding stays within one block (relative error ~√width·2⁻²⁴ per entry, far below the
 *   1e-4 the eigenvalues are tested to). Measured: on the golden fixtures (test/golden/spectra) the
 *   backend path's eigenvalues are within 1.1e-5 (relative, wasm, one block of all 300 features;
 *   7e-7 on cpu with blocks of 17) and κ within 1.6e-7 of scikit-learn's, about as before this
 *   path (float32 z from JavaScript: 8e-6); on ResNet50 at 224 px with N = 64 (bench spectra
 *   --verify: the stem and layer1.0, up to 802,816 features, blocks of 2048) within 6.2e-8 of the
 *   largest eigenvalue and κ within 3.5e-8 of the float64 path.
 *
 * Excluded columns (capture.ts, BatchNorm spectra from the conv): a block's columns can be split
 * into kept and excluded ones; `kept` receives Σ over the kept features z zᵀ and `excluded` the sum
 * over the excluded ones, so the full Gram is kept + excluded and no Gram is formed by subtraction.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';

export type GramPrecision = 'backend' | 'float64';

/** scikit-learn's `_is_constant_feature`. */
export function isConstantFeature(variance: number, mean: number, n: number): boolean {
  const eps = Number.EPSILON;
  return variance <= n * eps * variance + (n * mean * eps) ** 2;
}

/** Per-feature statistics of an n × width block (float64). */
export interface FeatureStatistics {
  mean: Float64Array;
  /** Population variance. */
  variance: Float64Array;
  /** 1 where the feature is constant (`isConstantFeature`): it standardises to 0. */
  constant: Uint8Array;
  constantCount: number;
  /** Features with a non-finite mean or variance (non-finite activations). */
  nonFinite: number;
}

function finishStatistics(mean: Float64Array, variance: Float64Array, n: number): FeatureStatistics {
  const width = mean.length;
  const constant = new Uint8Array(width);
  let constantCount = 0;
  let nonFinite = 0;
  for (let j = 0; j < width; j++) {
    if (!Number.isFinite(mean[j]!) || !Number.isFinite(variance[j]!)) nonFinite++;
    else if (isConstantFeature(variance[j]!, mean[j]!, n)) {
      constant[j] = 1;
      constantCount++;
    }
  }
  return { mean, variance, constant, constantCount, nonFinite };
}

/** scikit-learn's statistics (two passes: mean, then the corrected sum of squared deviations). */
export function referenceStatistics(x: ArrayLike<number>, n: number, width: number): FeatureStatistics {
  if (x.length < n * width) throw new AppError('INTERNAL', `referenceStatistics: ${x.length} values for ${n}×${width}`);
  const mean = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) mean[j] = mean[j]! + x[o + j]!;
  }
  for (let j = 0; j < width; j++) mean[j] = mean[j]! / n;
  const corr = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) {
      const dlt = x[o + j]! - mean[j]!;
      corr[j] = corr[j]! + dlt;
      sq[j] = sq[j]! + dlt * dlt;
    }
  }
  const variance = new Float64Array(width);
  for (let j = 0; j < width; j++) variance[j] = (sq[j]! - (corr[j]! * corr[j]!) / n) / n;
  return finishStatistics(mean, variance, n);
}

/**
 * The same statistics in one pass over a float32 block, for speed: with K_j = x_0j (the first
 * image's value), S1 = Σ(x − K), S2 = Σ(x − K)² in float64, μ = K + S1/N, σ² = (S2 − S1²/N)/N.
 * x − K is exact in float64 for float32 x and K (or correctly rounded when their exponents are more
 * than 29 apart), so the only errors are the float64 roundings of the squares and sums: relative to
 * σ², at most ~N·(1 + (μ − K)²/σ²)·2⁻⁵³ ≤ N²·2⁻⁵³ (≈ 5e-13 at N = 64, since (K − μ)² ≤ (N−1)σ²).
 * A constant feature gives S1 = S2 = 0 exactly, so σ² = 0 and it is constant here as in
 * scikit-learn; for float32 data a non-constant feature has σ² far above scikit-learn's constant
 * threshold (two distinct float32 values differ by ≥ 2⁻²⁵ of the larger), so both decide alike
 * (tested in test/unit/spectra/gram.test.ts against `referenceStatistics`).
 */
export function shiftedStatistics(x: Float32Array, n: number, width: number): FeatureStatistics {
  if (x.length < n * width) throw new AppError('INTERNAL', `shiftedStatistics: ${x.length} values for ${n}×${width}`);
  const s1 = new Float64Array(width);
  const s2 = new Float64Array(width);
  let r = 1;
  // Four rows per sweep: the accumulators are read and written once per four values.
  for (; r + 3 < n; r += 4) {
    const o0 = r * width;
    const o1 = o0 + width;
    const o2 = o1 + width;
    const o3 = o2 + width;
    for (let j = 0; j < width; j++) {
      const k = x[j]!;
      const a = x[o0 + j]! - k;
      const b = x[o1 + j]! - k;
      const c = x[o2 + j]! - k;
      const d = x[o3 + j]! - k;
      s1[j] = s1[j]! + (a + b + (c + d));
      s2[j] = s2[j]! + (a * a + b * b + (c * c + d * d));
    }
  }
  for (; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) {
      const a = x[o + j]! - x[j]!;
      s1[j] = s1[j]! + a;
      s2[j] = s2[j]! + a * a;
    }
  }
  const mean = new Float64Array(width);
  const variance = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    const t = s1[j]!;
    mean[j] = x[j]! + t / n;
    variance[j] = (s2[j]! - (t * t) / n) / n;
  }
  return finishStatistics(mean, variance, n);
}

export interface BlockStandardisation {
  /** Standardised block, row-major N × width (float32 for the backend product, float64 otherwise). */
  z: Float32Array | Float64Array;
  /** Features of the block that are constant (scale 1, standardised to 0). */
  constant: number;
}

/**
 * Standardises each column of the row-major block `x` (n rows = images, `width` columns = features)
 * as StandardScaler does (`referenceStatistics`). Output precision: float32 when `float32Out`, else
 * float64.
 */
export function standardiseBlock(x: ArrayLike<number>, n: number, width: number, float32Out: boolean): BlockStandardisation {
  return standardiseWith(referenceStatistics(x, n, width), x, n, width, float32Out);
}

function standardiseWith(
  stats: FeatureStatistics,
  x: ArrayLike<number>,
  n: number,
  width: number,
  float32Out: boolean,
): BlockStandardisation {
  const z = float32Out ? new Float32Array(n * width) : new Float64Array(n * width);
  const inv = new Float64Array(width);
  for (let j = 0; j < width; j++) inv[j] = stats.constant[j] ? 1 : 1 / Math.sqrt(stats.variance[j]!);
  const mean = stats.mean;
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) z[o + j] = (x[o + j]! - mean[j]!) * inv[j]!;
  }
  // Multiplication by 1/σ rather than scikit-learn's division by σ: identical to within one
  // rounding, which the tests' tolerances do not see.
  return { z, constant: stats.constantCount };
}

/** gram += Z_C Z_Cᵀ in float64 over the columns C of the row-major n × width block z (all when null). */
function addProductFloat64(gram: Float64Array, z: ArrayLike<number>, n: number, width: number, columns: Int32Array | null): void {
  for (let i = 0; i < n; i++) {
    const oi = i * width;
    for (let j = 0; j <= i; j++) {
      const oj = j * width;
      let s = 0;
      if (columns) for (let c = 0; c < columns.length; c++) s += z[oi + columns[c]!]! * z[oj + columns[c]!]!;
      else for (let f = 0; f < width; f++) s += z[oi + f]! * z[oj + f]!;
      gram[i * n + j] = gram[i * n + j]! + s;
      if (j !== i) gram[j * n + i] = gram[j * n + i]! + s;
    }
  }
}

function addInto(gram: Float64Array, values: ArrayLike<number>): void {
  for (let i = 0; i < gram.length; i++) gram[i] = gram[i]! + values[i]!;
}

/** G += Z Zᵀ for the row-major n×width block Z (already standardised); the backend's product is read back asynchronously. */
export async function accumulateGram(
  gram: Float64Array,
  z: Float32Array | Float64Array,
  n: number,
  width: number,
  precision: GramPrecision,
): Promise<void> {
  if (gram.length !== n * n) throw new AppError('INTERNAL', `accumulateGram: Gram of ${gram.length} entries for n = ${n}`);
  if (width === 0) return;
  if (precision === 'backend') {
    const product = tf.tidy(() => {
      const t = tf.tensor2d(z instanceof Float32Array ? z : Float32Array.from(z), [n, width]);
      return tf.matMul(t, tf.transpose(t));
    });
    try {
      addInto(gram, await product.data());
    } finally {
      product.dispose();
    }
    return;
  }
  addProductFloat64(gram, z, n, width, null);
}

/** Where one block's products go (see the module comment). */
export interface BlockGrams {
  /** Σ z zᵀ over the kept features (every feature when nothing is excluded). */
  kept: Float64Array;
  /** Σ z zᵀ over the excluded features; needed only when `excluded` is given. */
  excluded?: Float64Array | null;
}

export interface BlockResult {
  /** Constant features of the block. */
  constant: number;
  /** Excluded features that are not constant (their z zᵀ went to `grams.excluded`). */
  excludedVarying: number;
  /** Features with non-finite statistics. */
  nonFinite: number;
}

/**
 * Standardises the row-major float32 block `x` (n images × width features) and adds its products
 * to `grams`. `excluded` (optional, length width) marks columns whose products go to
 * `grams.excluded` instead of `grams.kept`. Invalid arguments throw at once; the backend's products
 * are read back asynchronously (await the result before using `grams`).
 */
export function accumulateBlock(
  x: Float32Array,
  n: number,
  width: number,
  precision: GramPrecision,
  grams: BlockGrams,
  excluded: Uint8Array | null = null,
): Promise<BlockResult> {
  if (grams.kept.length !== n * n) throw new AppError('INTERNAL', `accumulateBlock: Gram of ${grams.kept.length} entries for n = ${n}`);
  if (x.length !== n * width) throw new AppError('INTERNAL', `accumulateBlock: ${x.length} values for ${n}×${width}`);
  if (excluded && excluded.length !== width)
    throw new AppError('INTERNAL', `accumulateBlock: ${excluded.length} exclusion flags for ${width} columns`);
  if (width === 0) return Promise.resolve({ constant: 0, excludedVarying: 0, nonFinite: 0 });
  const stats = precision === 'float64' ? referenceStatistics(x, n, width) : shiftedStatistics(x, n, width);
  let excludedVarying = 0;
  if (excluded) for (let j = 0; j < width; j++) if (excluded[j] && !stats.constant[j]) excludedVarying++;
  if (excludedVarying > 0 && !grams.excluded) throw new AppError('INTERNAL', 'accumulateBlock: excluded columns without an excluded Gram');
  const result = { constant: stats.constantCount, excludedVarying, nonFinite: stats.nonFinite };
  if (stats.nonFinite > 0) return Promise.resolve(result);

  if (precision === 'float64') {
    const { z } = standardiseWith(stats, x, n, width, false);
    if (excludedVarying === 0) addProductFloat64(grams.kept, z, n, width, null);
    else {
      const keptCols: number[] = [];
      const exclCols: number[] = [];
      for (let j = 0; j < width; j++) (excluded![j] ? exclCols : keptCols).push(j);
      addProductFloat64(grams.kept, z, n, width, Int32Array.from(keptCols));
      addProductFloat64(grams.excluded!, z, n, width, Int32Array.from(exclCols));
    }
    return Promise.resolve(result);
  }

  // Backend: per column the float32 mean part, and scale/offset for the kept and excluded products.
  const hi = new Float32Array(width);
  const scaleKept = new Float32Array(width);
  const offsetKept = new Float32Array(width);
  const scaleExcl = excludedVarying > 0 ? new Float32Array(width) : null;
  const offsetExcl = excludedVarying > 0 ? new Float32Array(width) : null;
  for (let j = 0; j < width; j++) {
    if (stats.constant[j]) continue; // scale 0: the column standardises to exactly 0
    const m = stats.mean[j]!;
    hi[j] = m;
    const s = 1 / Math.sqrt(stats.variance[j]!);
    const off = -(m - hi[j]!) * s;
    if (scaleExcl && excluded![j]) {
      scaleExcl[j] = s;
      offsetExcl![j] = off;
    } else if (!excluded || !excluded[j]) {
      scaleKept[j] = s;
      offsetKept[j] = off;
    }
  }
  const products = tf.tidy(() => {
    const d = tf.sub(tf.tensor2d(x, [n, width]), tf.tensor1d(hi));
    const product = (scale: Float32Array, offset: Float32Array) => {
      const z = tf.add(tf.mul(d, tf.tensor1d(scale)), tf.tensor1d(offset));
      return tf.matMul(z, tf.transpose(z));
    };
    return scaleExcl ? [product(scaleKept, offsetKept), product(scaleExcl, offsetExcl!)] : [product(scaleKept, offsetKept)];
  });
  return addProducts(grams, products).then(() => result);
}

/** Adds the kept (and excluded) products, read back asynchronously, to the Grams; disposes them. */
async function addProducts(grams: BlockGrams, products: Tensor[]): Promise<void> {
  try {
    const values = await Promise.all(products.map((p) => p.data()));
    addInto(grams.kept, values[0]!);
    if (values[1]) addInto(grams.excluded!, values[1]);
  } finally {
    tf.dispose(products);
  }
}

/**
 * The naive in-memory reference: the Gram matrix of the standardised rows of the full activation
 * matrix `rows` (n × features, row-major), in float64 (no blocks). For tests.
 */
export function naiveStandardisedGram(rows: ArrayLike<number>, n: number, features: number): { gram: Float64Array; constant: number } {
  const { z, constant } = standardiseBlock(rows, n, features, false);
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let f = 0; f < features; f++) s += z[i * features + f]! * z[j * features + f]!;
      gram[i * n + j] = s;
    }
  }
  return { gram, constant };
}
