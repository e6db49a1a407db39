/**
 * Linear filters on float images stored HWC (`height × width × channels`, row-major), with the
 * semantics of the libraries the reference calls:
 *
 * - gaussianFilter: `scipy.ndimage.gaussian_filter` (what `skimage.filters.gaussian` runs): a 1-D
 *   kernel exp(−x²/2σ²)/Σ on x = −r … r with r = int(truncate·σ + 0.5), applied along rows (axis 0)
 *   then columns (axis 1), never across channels; symmetric-kernel summation in scipy's order
 *   (x·w₀ + Σ_{j=r..1} (x₋ⱼ + x₊ⱼ)·wⱼ). Border modes 'nearest' (edge value repeated) and 'reflect'
 *   (half-sample symmetric: d c b a | a b c d, periodic 2n when the kernel is longer than the line).
 * - correlate2d: `cv2.filter2D` with the anchor at the kernel centre and BORDER_REFLECT_101
 *   (d c b | a b c d, the edge not repeated), i.e. correlation, one pass per non-zero tap.
 */

import { numpySum } from './numeric';

export type BorderMode = 'nearest' | 'reflect' | 'reflect101';

/** Source index for a possibly out-of-range index i on a line of length n. */
export function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  if (n === 1) return 0;
  if (mode === 'nearest') return i < 0 ? 0 : n - 1;
  if (mode === 'reflect') {
    const p = 2 * n;
    let k = i % p;
    if (k < 0) k += p;
    return k < n ? k : p - 1 - k;
  }
  const p = 2 * n - 2;
  let k = i % p;
  if (k < 0) k += p;
  return k < n ? k : p - k;
}

/** scipy's `_gaussian_kernel1d(sigma, 0, radius)`: weights w[0..r] of the symmetric kernel (w[j] at offset ±j). */
export function gaussianHalfKernel(sigma: number, truncate: number): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const sigma2 = sigma * sigma;
  const full = new Float64Array(2 * radius + 1);
  for (let x = -radius; x <= radius; x++) full[x + radius] = Math.exp((-0.5 / sigma2) * (x * x));
  const sum = numpySum(full);
  const half = new Float64Array(radius + 1);
  for (let j = 0; j <= radius; j++) half[j] = full[radius + j]! / sum;
  return half;
}

/**
 * Correlates along axis 0 (rows) with a symmetric half kernel: whole rows at a time (each row of
 * width·channels values is contiguous).
 */
function symmetricAlongRows(src: ArrayLike<number>, dst: Float64Array, h: number, rowLen: number, w: Float64Array, mode: BorderMode): void {
  const r = w.length - 1;
  const w0 = w[0]!;
  for (let y = 0; y < h; y++) {
    const o = y * rowLen;
    for (let k = 0; k < rowLen; k++) dst[o + k] = src[o + k]! * w0;
    for (let j = r; j >= 1; j--) {
      const a = borderIndex(y - j, h, mode) * rowLen;
      const b = borderIndex(y + j, h, mode) * rowLen;
      const wj = w[j]!;
      for (let k = 0; k < rowLen; k++) dst[o + k] = dst[o + k]! + (src[a + k]! + src[b + k]!) * wj;
    }
  }
}

/** Correlates along axis 1 (columns) of an HWC image with a symmetric half kernel. */
function symmetricAlongColumns(
  src: ArrayLike<number>,
  dst: Float64Array,
  h: number,
  width: number,
  c: number,
  w: Float64Array,
  mode: BorderMode,
): void {
  const r = w.length - 1;
  const w0 = w[0]!;
  // Padded column index table: idx[x + r] = source column of x.
  const idx = new Int32Array(width + 2 * r);
  for (let x = -r; x < width + r; x++) idx[x + r] = borderIndex(x, width, mode) * c;
  const rowLen = width * c;
  for (let y = 0; y < h; y++) {
    const o = y * rowLen;
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = src[o + x * c + ch]! * w0;
        for (let j = r; j >= 1; j--) acc += (src[o + idx[x - j + r]! + ch]! + src[o + idx[x + j + r]! + ch]!) * w[j]!;
        dst[o + x * c + ch] = acc;
      }
    }
  }
}

/**
 * `scipy.ndimage.gaussian_filter(x, (sigmaRows, sigmaCols, 0), mode, truncate)` on an HWC image with
 * c channels (c = 1 for a plane). A sigma of 0 skips that axis. Returns a new float64 array; with
 * `float32` each pass's output is rounded to float32, as scipy stores it for a float32 input.
 */
export function gaussianFilter(
  src: ArrayLike<number>,
  h: number,
  width: number,
  c: number,
  sigmaRows: number,
  sigmaCols: number,
  mode: BorderMode,
  truncate = 4,
  float32 = false,
): Float64Array {
  let cur: ArrayLike<number> = src;
  const roundIfF32 = (a: Float64Array): void => {
    if (float32) for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]!);
  };
  if (sigmaRows > 1e-15) {
    const out = new Float64Array(h * width * c);
    symmetricAlongRows(cur, out, h, width * c, gaussianHalfKernel(sigmaRows, truncate), mode);
    roundIfF32(out);
    cur = out;
  }
  if (sigmaCols > 1e-15) {
    const out = new Float64Array(h * width * c);
    symmetricAlongColumns(cur, out, h, width, c, gaussianHalfKernel(sigmaCols, truncate), mode);
    roundIfF32(out);
    cur = out;
  }
  return cur instanceof Float64Array && cur !== src ? cur : Float64Array.from(cur);
}

/**
 * `cv2.filter2D(x, -1, kernel)` per channel on an HWC float image: correlation with a kh × kw
 * kernel (row-major) anchored at its centre, BORDER_REFLECT_101, tap by tap (the plain definition;
 * defocus.ts has the fast path for the disk kernels). Taps with |w| < minWeight are skipped (their
 * contribution is below float64 resolution of the result).
 */
export function correlate2d(
  src: ArrayLike<number>,
  h: number,
  width: number,
  c: number,
  kernel: ArrayLike<number>,
  kh: number,
  kw: number,
  minWeight = 1e-12,
): Float64Array {
  const ry = (kh - 1) >> 1;
  const rx = (kw - 1) >> 1;
  const pw = width + 2 * rx;
  const pad = padReflect101(src, h, width, c, ry, rx);
  const taps: [number, number, number][] = [];
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const w = kernel[ky * kw + kx]!;
      if (Math.abs(w) >= minWeight) taps.push([ky, kx, w]);
    }
  }
  const out = new Float64Array(h * width * c);
  const rowLen = width * c;
  // Output row outermost, so it stays in cache while every tap adds into it.
  for (let y = 0; y < h; y++) {
    const o = y * rowLen;
    for (const [ky, kx, w] of taps) {
      const p = ((y + ky) * pw + kx) * c;
      for (let k = 0; k < rowLen; k++) out[o + k] = out[o + k]! + pad[p + k]! * w;
    }
  }
  return out;
}

/** An HWC image extended by ry rows and rx columns on each side with BORDER_REFLECT_101. */
export function padReflect101(src: ArrayLike<number>, h: number, width: number, c: number, ry: number, rx: number): Float64Array {
  const pw = width + 2 * rx;
  const ph = h + 2 * ry;
  const pad = new Float64Array(ph * pw * c);
  for (let py = 0; py < ph; py++) {
    const sy = borderIndex(py - ry, h, 'reflect101');
    for (let px = 0; px < pw; px++) {
      const sx = borderIndex(px - rx, width, 'reflect101');
      const s = (sy * width + sx) * c;
      const d = (py * pw + px) * c;
      for (let ch = 0; ch < c; ch++) pad[d + ch] = src[s + ch]!;
    }
  }
  return pad;
}
