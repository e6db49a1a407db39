/**
 * The OpenCV 4 operations the reference's water spatter chains (`cv2.Canny`, `cv2.distanceTransform`,
 * `cv2.threshold`, `cv2.blur`, `cv2.equalizeHist`, `cv2.filter2D`), on single-channel planes,
 * re-implemented with OpenCV's arithmetic (integer where OpenCV is integer) so the chain's bytes
 * match cv2's; test/golden/corruptions checks each one against cv2.
 */
import { borderIndex } from './filters';
import { roundHalfEven } from './numeric';

/** Plane values at (y + dy, x + dx) with a border mode, for 3×3 neighbourhoods. */
function at(src: ArrayLike<number>, h: number, w: number, y: number, x: number, mode: 'nearest' | 'reflect101'): number {
  return src[borderIndex(y, h, mode) * w + borderIndex(x, w, mode)]!;
}

/**
 * `cv2.Canny(img, low, high)` (aperture 3, L1 gradient): Sobel with a replicated border,
 * |dx| + |dy|, non-maximum suppression in four directions with OpenCV's integer tangent test
 * (tan 22.5° as 13573/2¹⁵), hysteresis by 8-connectivity from pixels above `high`. Returns 0/255.
 */
export function canny(src: Uint8Array, h: number, w: number, low: number, high: number): Uint8Array {
  const dx = new Int32Array(h * w);
  const dy = new Int32Array(h * w);
  const mag = new Int32Array((h + 2) * (w + 2)); // zero border
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (yy: number, xx: number) => at(src, h, w, y + yy, x + xx, 'nearest');
      const gx = p(-1, 1) + 2 * p(0, 1) + p(1, 1) - (p(-1, -1) + 2 * p(0, -1) + p(1, -1));
      const gy = p(1, -1) + 2 * p(1, 0) + p(1, 1) - (p(-1, -1) + 2 * p(-1, 0) + p(-1, 1));
      dx[y * w + x] = gx;
      dy[y * w + x] = gy;
      mag[(y + 1) * (w + 2) + x + 1] = Math.abs(gx) + Math.abs(gy);
    }
  }
  const lo = Math.floor(low);
  const hi = Math.floor(high);
  const SHIFT = 15;
  // tan(22.5°) as OpenCV spells it; the nearest double is what both compute with.
  // eslint-disable-next-line no-loss-of-precision
  const TG22 = Math.trunc(0.4142135623730950488016887242097 * (1 << SHIFT) + 0.5);
  // 0 = candidate, 1 = not an edge, 2 = edge.
  const map = new Uint8Array(h * w).fill(1);
  const stack: number[] = [];
  const M = (y: number, x: number) => mag[(y + 1) * (w + 2) + x + 1]!;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const m = M(y, x);
      if (m <= lo) continue;
      const xs = dx[y * w + x]!;
      const ys = dy[y * w + x]!;
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * (1 << SHIFT);
      const tg22x = ax * TG22;
      let keep: boolean;
      if (ay < tg22x) keep = m > M(y, x - 1) && m >= M(y, x + 1);
      else {
        const tg67x = tg22x + ax * (1 << (SHIFT + 1));
        if (ay > tg67x) keep = m > M(y - 1, x) && m >= M(y + 1, x);
        else {
          const s = xs < 0 !== ys < 0 ? -1 : 1;
          keep = m > M(y - 1, x - s) && m > M(y + 1, x + s);
        }
      }
      if (!keep) continue;
      if (m > hi) {
        map[y * w + x] = 2;
        stack.push(y * w + x);
      } else map[y * w + x] = 0;
    }
  }
  while (stack.length > 0) {
    const i = stack.pop()!;
    const y = Math.floor(i / w);
    const x = i - y * w;
    for (let yy = y - 1; yy <= y + 1; yy++) {
      if (yy < 0 || yy >= h) continue;
      for (let xx = x - 1; xx <= x + 1; xx++) {
        if (xx < 0 || xx >= w) continue;
        const j = yy * w + xx;
        if (map[j] === 0) {
          map[j] = 2;
          stack.push(j);
        }
      }
    }
  }
  const out = new Uint8Array(h * w);
  for (let i = 0; i < out.length; i++) out[i] = map[i] === 2 ? 255 : 0;
  return out;
}

/**
 * `cv2.distanceTransform(src, cv2.DIST_L2, 5)`: distance to the nearest zero pixel by OpenCV's 5×5
 * chamfer (weights 1, 1.4, 2.1969 in 16-bit fixed point, forward then backward pass, float32 out).
 */
export function distanceTransformL2Mask5(src: Uint8Array, h: number, w: number): Float32Array {
  const SHIFT = 16;
  const HV = Math.round(1 * (1 << SHIFT));
  const DIAG = Math.round(1.4 * (1 << SHIFT));
  const LONG = Math.round(2.1969 * (1 << SHIFT));
  const INIT = 0x7fffffff >> 2;
  const B = 2;
  const sw = w + 2 * B;
  const t = new Float64Array((h + 2 * B) * sw).fill(INIT);
  const T = (y: number, x: number) => (y + B) * sw + x + B;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const j = T(y, x);
      if (src[y * w + x] === 0) {
        t[j] = 0;
        continue;
      }
      let t0 = t[j - 2 * sw - 1]! + LONG;
      t0 = Math.min(t0, t[j - 2 * sw + 1]! + LONG);
      t0 = Math.min(t0, t[j - sw - 2]! + LONG);
      t0 = Math.min(t0, t[j - sw - 1]! + DIAG);
      t0 = Math.min(t0, t[j - sw]! + HV);
      t0 = Math.min(t0, t[j - sw + 1]! + DIAG);
      t0 = Math.min(t0, t[j - sw + 2]! + LONG);
      t0 = Math.min(t0, t[j - 1]! + HV);
      t[j] = t0;
    }
  }
  const out = new Float32Array(h * w);
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const j = T(y, x);
      let t0 = t[j]!;
      if (t0 > HV) {
        t0 = Math.min(t0, t[j + 2 * sw + 1]! + LONG);
        t0 = Math.min(t0, t[j + 2 * sw - 1]! + LONG);
        t0 = Math.min(t0, t[j + sw + 2]! + LONG);
        t0 = Math.min(t0, t[j + sw + 1]! + DIAG);
        t0 = Math.min(t0, t[j + sw]! + HV);
        t0 = Math.min(t0, t[j + sw - 1]! + DIAG);
        t0 = Math.min(t0, t[j + sw - 2]! + LONG);
        t0 = Math.min(t0, t[j + 1]! + HV);
        t[j] = t0;
      }
      out[y * w + x] = t0 * (1 / (1 << SHIFT));
    }
  }
  return out;
}

/**
 * `cv2.blur(src, (3, 3))` on a float32 plane: BORDER_REFLECT_101, row sums (a + b) + c in float64,
 * then OpenCV's sliding column sum (s₀ = Σ + newest row, out = s₀/9 as float32, Σ = s₀ − oldest row).
 */
export function boxBlur3F32(src: ArrayLike<number>, h: number, w: number): Float32Array {
  const rows = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * w;
      rows[o + x] = src[o + borderIndex(x - 1, w, 'reflect101')]! + src[o + x]! + src[o + borderIndex(x + 1, w, 'reflect101')]!;
    }
  }
  const out = new Float32Array(h * w);
  const scale = 1 / 9;
  for (let x = 0; x < w; x++) {
    let sum = rows[borderIndex(-1, h, 'reflect101') * w + x]! + rows[x]!;
    for (let y = 0; y < h; y++) {
      const s0 = sum + rows[borderIndex(y + 1, h, 'reflect101') * w + x]!;
      out[y * w + x] = s0 * scale;
      sum = s0 - rows[borderIndex(y - 1, h, 'reflect101') * w + x]!;
    }
  }
  return out;
}

/** `cv2.blur(src, (3, 3))` on an 8-bit plane: integer 3×3 sums, divided by 9 as OpenCV does ((s + 4)·7282 ≫ 16). */
export function boxBlur3U8(src: Uint8Array, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += at(src, h, w, y + dy, x + dx, 'reflect101');
      out[y * w + x] = Math.floor(((s + 4) * 7282) / 65536);
    }
  }
  return out;
}

/** `cv2.equalizeHist` of an 8-bit plane (float32 scale 255/(total − first bin count), cvRound). */
export function equalizeHist(src: Uint8Array): Uint8Array {
  const hist = new Int32Array(256);
  for (let i = 0; i < src.length; i++) hist[src[i]!]!++;
  let i = 0;
  while (hist[i] === 0) i++;
  const total = src.length;
  if (hist[i] === total) return new Uint8Array(total).fill(i);
  const lut = new Uint8Array(256);
  const scale = Math.fround(255 / (total - hist[i]!));
  let sum = 0;
  lut[i++] = 0;
  for (; i < 256; i++) {
    sum += hist[i]!;
    const v = roundHalfEven(Math.fround(sum * scale));
    lut[i] = v > 255 ? 255 : v < 0 ? 0 : v;
  }
  const out = new Uint8Array(total);
  for (let k = 0; k < total; k++) out[k] = lut[src[k]!]!;
  return out;
}

/**
 * `cv2.filter2D(src, cv2.CV_8U, kernel)` with an integer 3×3 kernel on an 8-bit plane: exact
 * integer correlation, BORDER_REFLECT_101, saturated to [0, 255].
 */
export function filter2D3x3U8(src: Uint8Array, h: number, w: number, kernel: readonly number[]): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) s += kernel[ky * 3 + kx]! * at(src, h, w, y + ky - 1, x + kx - 1, 'reflect101');
      out[y * w + x] = s < 0 ? 0 : s > 255 ? 255 : s;
    }
  }
  return out;
}
