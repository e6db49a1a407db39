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
 * Block products: 'float64' multiplies in JavaScript float64; 'backend' multiplies Z_B Z_Bᵀ with
 * the active TensorFlow.js backend in float32 (fast: the product is N²·F multiply-adds per layer)
 * and adds each block's product into the float64 G, so float32 rounding stays within one block
 * (relative error ~√width·2⁻²⁴ per entry, far below the 1e-4 the eigenvalues are tested to).
 */
import tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';

export type GramPrecision = 'backend' | 'float64';

export interface BlockStandardisation {
  /** Standardised block, row-major N × width (float32 for the backend product, float64 otherwise). */
  z: Float32Array | Float64Array;
  /** Features of the block that are constant (scale 1, standardised to 0). */
  constant: number;
}

/** scikit-learn's `_is_constant_feature`. */
export function isConstantFeature(variance: number, mean: number, n: number): boolean {
  const eps = Number.EPSILON;
  return variance <= n * eps * variance + (n * mean * eps) ** 2;
}

/**
 * Standardises each column of the row-major block `x` (n rows = images, `width` columns = features)
 * as StandardScaler does. Output precision: float32 when `float32Out`, else float64.
 */
export function standardiseBlock(x: ArrayLike<number>, n: number, width: number, float32Out: boolean): BlockStandardisation {
  if (x.length < n * width) throw new AppError('INTERNAL', `standardiseBlock: ${x.length} values for ${n}×${width}`);
  const z = float32Out ? new Float32Array(n * width) : new Float64Array(n * width);
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
  const inv = new Float64Array(width);
  let constant = 0;
  for (let j = 0; j < width; j++) {
    const variance = (sq[j]! - (corr[j]! * corr[j]!) / n) / n;
    if (isConstantFeature(variance, mean[j]!, n)) {
      constant++;
      inv[j] = 1;
    } else {
      inv[j] = 1 / Math.sqrt(variance);
    }
  }
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) z[o + j] = (x[o + j]! - mean[j]!) * inv[j]!;
  }
  // Division by the scale (x − μ)/σ as scikit-learn does, not multiplication by 1/σ: identical to
  // within one rounding, which the tests' 1e-4 tolerance does not see.
  return { z, constant };
}

/** G += Z Zᵀ for the row-major n×width block Z. */
export function accumulateGram(gram: Float64Array, z: Float32Array | Float64Array, n: number, width: number, precision: GramPrecision): void {
  if (gram.length !== n * n) throw new AppError('INTERNAL', `accumulateGram: Gram of ${gram.length} entries for n = ${n}`);
  if (width === 0) return;
  if (precision === 'backend') {
    const product = tf.tidy(() => {
      const t = tf.tensor2d(z instanceof Float32Array ? z : Float32Array.from(z), [n, width]);
      return tf.matMul(t, t, false, true);
    });
    const values = product.dataSync();
    product.dispose();
    for (let i = 0; i < n * n; i++) gram[i] = gram[i]! + values[i]!;
    return;
  }
  for (let i = 0; i < n; i++) {
    const oi = i * width;
    for (let j = 0; j <= i; j++) {
      const oj = j * width;
      let s = 0;
      for (let f = 0; f < width; f++) s += z[oi + f]! * z[oj + f]!;
      gram[i * n + j] = gram[i * n + j]! + s;
      if (j !== i) gram[j * n + i] = gram[j * n + i]! + s;
    }
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
