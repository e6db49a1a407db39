/**
 * Resampling with the semantics of the libraries the reference calls:
 *
 * - clippedZoom: the reference's `clipped_zoom` — crop the centre ⌈n/z⌉ (start ⌊(n − ⌈n/z⌉)/2⌋) of
 *   each axis and zoom it with `scipy.ndimage.zoom(order=1)`: output length round(⌈n/z⌉·z) (round
 *   half to even), output o samples input o·(in − 1)/(out − 1), linear weights w₀ = 1 − t,
 *   w₁ = 1 − w₀, terms summed in scipy's order. Separable tables, one pass per zoom factor.
 * - sampleReflect: `scipy.ndimage.map_coordinates(order=1, mode='reflect')` at one point.
 * - pilBoxResize / pilNearestResize: Pillow 9's `Image.resize(BOX)` (two passes, horizontal first,
 *   22-bit fixed-point coefficients, rounded) and `Image.resize(NEAREST)` (source ⌊(x + ½)·in/out⌋,
 *   accumulated as Pillow does).
 * - cvResizeCubic8u: OpenCV's `cv2.resize(INTER_CUBIC)` on 8-bit images (A = −0.75, half-pixel
 *   centres, replicated border, 11-bit fixed-point coefficients, horizontal then vertical pass).
 */
import { borderIndex } from './filters';
import { roundHalfEven } from './numeric';

/** Per-axis sampling table of scipy's order-1 zoom of the centre crop. */
export interface ZoomAxis {
  /** Full output length round(crop·z). */
  outLen: number;
  /** For each output index: the two source indices (in the uncropped axis) and their weights. */
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

/** The sampling table of one axis of `clipped_zoom(·, z)` on a length-n axis, for the first `limit` outputs. */
export function zoomAxis(n: number, z: number, limit = Infinity): ZoomAxis {
  const crop = Math.ceil(n / z);
  const top = Math.floor((n - crop) / 2);
  const outLen = roundHalfEven(crop * z);
  const m = Math.min(outLen, limit);
  const step = outLen - 1 !== 0 ? (crop - 1) / (outLen - 1) : 1;
  const i0 = new Int32Array(m);
  const i1 = new Int32Array(m);
  const w0 = new Float64Array(m);
  const w1 = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    const cc = o * step;
    const f = Math.floor(cc);
    const a = 1 - (cc - f);
    i0[o] = top + Math.min(f, crop - 1);
    i1[o] = top + Math.min(f + 1, crop - 1);
    w0[o] = a;
    w1[o] = 1 - a;
  }
  return { outLen, i0, i1, w0, w1 };
}

/**
 * `clipped_zoom(x, z)` of an HWC image (c channels), cropped to its first `rows × cols` outputs
 * (default: the full zoomed size). Float64 result.
 */
export function clippedZoom(
  src: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  z: number,
  rows = Infinity,
  cols = Infinity,
): { data: Float64Array; height: number; width: number } {
  const ay = zoomAxis(h, z, rows);
  const ax = zoomAxis(w, z, cols);
  const oh = ay.i0.length;
  const ow = ax.i0.length;
  const out = new Float64Array(oh * ow * c);
  zoomInto(src, w, c, ay, ax, (i, v) => {
    out[i] = v;
  });
  return { data: out, height: oh, width: ow };
}

/**
 * Evaluates the zoom at every output (row-major, HWC) and hands (index, value) to `sink`.
 * Sum order as scipy: ((v₀₀·wy₀)·wx₀) + ((v₀₁·wy₀)·wx₁) + ((v₁₀·wy₁)·wx₀) + ((v₁₁·wy₁)·wx₁).
 */
export function zoomInto(
  src: ArrayLike<number>,
  w: number,
  c: number,
  ay: ZoomAxis,
  ax: ZoomAxis,
  sink: (index: number, value: number) => void,
): void {
  const oh = ay.i0.length;
  const ow = ax.i0.length;
  for (let y = 0; y < oh; y++) {
    const r0 = ay.i0[y]! * w;
    const r1 = ay.i1[y]! * w;
    const wy0 = ay.w0[y]!;
    const wy1 = ay.w1[y]!;
    for (let x = 0; x < ow; x++) {
      const c0 = ax.i0[x]!;
      const c1 = ax.i1[x]!;
      const wx0 = ax.w0[x]!;
      const wx1 = ax.w1[x]!;
      const o = (y * ow + x) * c;
      for (let ch = 0; ch < c; ch++) {
        let t = 0;
        t += src[(r0 + c0) * c + ch]! * wy0 * wx0;
        t += src[(r0 + c1) * c + ch]! * wy0 * wx1;
        t += src[(r1 + c0) * c + ch]! * wy1 * wx0;
        t += src[(r1 + c1) * c + ch]! * wy1 * wx1;
        sink(o + ch, t);
      }
    }
  }
}

/**
 * Adds the zoom (same values as zoomInto) into a float32 accumulator, rounding each value to float32
 * first — `out += zoom_layer` of two float32 arrays. RGB only; the hot loop of zoom blur.
 */
export function zoomAccumulateRgbF32(src: Float32Array, w: number, ay: ZoomAxis, ax: ZoomAxis, acc: Float32Array): void {
  const oh = ay.i0.length;
  const ow = ax.i0.length;
  const f = Math.fround;
  for (let y = 0; y < oh; y++) {
    const r0 = ay.i0[y]! * w * 3;
    const r1 = ay.i1[y]! * w * 3;
    const wy0 = ay.w0[y]!;
    const wy1 = ay.w1[y]!;
    for (let x = 0; x < ow; x++) {
      const c0 = ax.i0[x]! * 3;
      const c1 = ax.i1[x]! * 3;
      const wx0 = ax.w0[x]!;
      const wx1 = ax.w1[x]!;
      const o = (y * ow + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        let t = 0;
        t += src[r0 + c0 + ch]! * wy0 * wx0;
        t += src[r0 + c1 + ch]! * wy0 * wx1;
        t += src[r1 + c0 + ch]! * wy1 * wx0;
        t += src[r1 + c1 + ch]! * wy1 * wx1;
        acc[o + ch] = acc[o + ch]! + f(t);
      }
    }
  }
}

/** scipy's map_coordinate for mode 'reflect': folds an out-of-range coordinate back (it may stay in [−1, 0)). */
function reflectCoordinate(v: number, n: number): number {
  if (n <= 1) return 0;
  const p = 2 * n;
  if (v < 0) {
    if (v < -p) v = p * Math.trunc(-v / p) + v;
    return v < -n ? v + p : -v - 1;
  }
  if (v > n - 1) {
    v -= p * Math.trunc(v / p);
    if (v >= n) v = p - v - 1;
  }
  return v;
}

/**
 * `map_coordinates(x, [[yc], [xc], [ch]], order=1, mode='reflect')` on an HWC image: bilinear with
 * scipy's reflect folding of the coordinate, then of the neighbour indices.
 */
export function sampleReflect(src: ArrayLike<number>, h: number, w: number, c: number, yc: number, xc: number, ch: number): number {
  const y = reflectCoordinate(yc, h);
  const x = reflectCoordinate(xc, w);
  const fy = Math.floor(y);
  const fx = Math.floor(x);
  const wy0 = 1 - (y - fy);
  const wy1 = 1 - wy0;
  const wx0 = 1 - (x - fx);
  const wx1 = 1 - wx0;
  const y0 = borderIndex(fy, h, 'reflect') * w;
  const y1 = borderIndex(fy + 1, h, 'reflect') * w;
  const x0 = borderIndex(fx, w, 'reflect');
  const x1 = borderIndex(fx + 1, w, 'reflect');
  let t = 0;
  t += src[(y0 + x0) * c + ch]! * wy0 * wx0;
  t += src[(y0 + x1) * c + ch]! * wy0 * wx1;
  t += src[(y1 + x0) * c + ch]! * wy1 * wx0;
  t += src[(y1 + x1) * c + ch]! * wy1 * wx1;
  return t;
}

const PIL_PRECISION_BITS = 32 - 8 - 2;

/** Pillow's precompute_coeffs for the BOX filter, normalised to 22-bit fixed point. */
function pilBoxCoefficients(inSize: number, outSize: number): { bounds: Int32Array; ksize: number; k: Int32Array } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 0.5 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Int32Array(outSize * ksize);
  const ss = 1 / filterscale;
  const pre = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let ww = 0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      const arg = (x + xmin - center + 0.5) * ss;
      const wgt = arg > -0.5 && arg <= 0.5 ? 1 : 0;
      pre[x] = wgt;
      ww += wgt;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax ? (ww !== 0 ? pre[x]! / ww : pre[x]!) : 0;
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PIL_PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PIL_PRECISION_BITS));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { bounds, ksize, k };
}

function pilClip8(v: number): number {
  if (v >= (1 << PIL_PRECISION_BITS) << 8) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / (1 << PIL_PRECISION_BITS));
}

/** Pillow 9 `Image.resize((outW, outH), Image.BOX)` of 8-bit RGB. */
export function pilBoxResize(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const horiz = pilBoxCoefficients(w, outW);
  const vert = pilBoxCoefficients(h, outH);
  const needH = outW !== w;
  const needV = outH !== h;
  // Horizontal pass over the source rows the vertical pass will read.
  const first = vert.bounds[0]!;
  const last = vert.bounds[2 * outH - 2]! + vert.bounds[2 * outH - 1]!;
  let tmp = src;
  let tmpW = w;
  let rowOffset = 0;
  if (needH) {
    const rows = needV ? last - first : h;
    rowOffset = needV ? first : 0;
    tmp = new Uint8Array(rows * outW * 3);
    tmpW = outW;
    const half = 1 << (PIL_PRECISION_BITS - 1);
    for (let y = 0; y < rows; y++) {
      const srow = (y + rowOffset) * w * 3;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = horiz.bounds[2 * xx]!;
        const xmax = horiz.bounds[2 * xx + 1]!;
        const kb = xx * horiz.ksize;
        let s0 = half;
        let s1 = half;
        let s2 = half;
        for (let x = 0; x < xmax; x++) {
          const kv = horiz.k[kb + x]!;
          const p = srow + (x + xmin) * 3;
          s0 += src[p]! * kv;
          s1 += src[p + 1]! * kv;
          s2 += src[p + 2]! * kv;
        }
        const o = (y * outW + xx) * 3;
        tmp[o] = pilClip8(s0);
        tmp[o + 1] = pilClip8(s1);
        tmp[o + 2] = pilClip8(s2);
      }
    }
  }
  if (!needV) return tmp === src ? Uint8Array.from(src) : tmp;
  const out = new Uint8Array(outH * outW * 3);
  const half = 1 << (PIL_PRECISION_BITS - 1);
  const shift = needH ? first : 0;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vert.bounds[2 * yy]! - shift;
    const ymax = vert.bounds[2 * yy + 1]!;
    const kb = yy * vert.ksize;
    for (let xx = 0; xx < outW; xx++) {
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (let y = 0; y < ymax; y++) {
        const kv = vert.k[kb + y]!;
        const p = ((y + ymin) * tmpW + xx) * 3;
        s0 += tmp[p]! * kv;
        s1 += tmp[p + 1]! * kv;
        s2 += tmp[p + 2]! * kv;
      }
      const o = (yy * outW + xx) * 3;
      out[o] = pilClip8(s0);
      out[o + 1] = pilClip8(s1);
      out[o + 2] = pilClip8(s2);
    }
  }
  return out;
}

/** Pillow 9 `Image.resize((outW, outH), Image.NEAREST)` of 8-bit RGB (ImagingScaleAffine). */
export function pilNearestResize(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const ax = w / outW;
  const ay = h / outH;
  const xin = new Int32Array(outW);
  let xo = ax * 0.5;
  for (let x = 0; x < outW; x++) {
    xin[x] = xo < 0 ? -1 : Math.min(Math.trunc(xo), w - 1);
    xo += ax;
  }
  const out = new Uint8Array(outH * outW * 3);
  let yo = ay * 0.5;
  for (let y = 0; y < outH; y++) {
    const yi = yo < 0 ? 0 : Math.min(Math.trunc(yo), h - 1);
    for (let x = 0; x < outW; x++) {
      const s = (yi * w + xin[x]!) * 3;
      const o = (y * outW + x) * 3;
      out[o] = src[s]!;
      out[o + 1] = src[s + 1]!;
      out[o + 2] = src[s + 2]!;
    }
    yo += ay;
  }
  return out;
}

const CV_COEF_BITS = 11;
const CV_COEF_SCALE = 1 << CV_COEF_BITS;

/** OpenCV's interpolateCubic (A = −0.75, float32) at fraction x, as 11-bit fixed point (saturate_cast<short>). */
function cvCubicWeights(x: number): [number, number, number, number] {
  const A = -0.75;
  const f = Math.fround;
  const c0 = f(f(f(f(A * f(x + 1)) - 5 * A) * f(x + 1) + 8 * A) * f(x + 1) - 4 * A);
  const c1 = f(f(f(f(A + 2) * x - (A + 3)) * x) * x + 1);
  const c2 = f(f(f(f(A + 2) * f(1 - x) - (A + 3)) * f(1 - x)) * f(1 - x) + 1);
  const c3 = f(1 - c0 - c1 - c2);
  const w = [c0, c1, c2, c3].map((v) => Math.max(-32768, Math.min(32767, roundHalfEven(v * CV_COEF_SCALE))));
  return [w[0]!, w[1]!, w[2]!, w[3]!];
}

/** Source taps and weights of one axis of cv2.resize(INTER_CUBIC). */
function cvCubicAxis(inSize: number, outSize: number): { idx: Int32Array; wt: Int32Array } {
  const scale = 1 / (outSize / inSize);
  const idx = new Int32Array(outSize * 4);
  const wt = new Int32Array(outSize * 4);
  for (let d = 0; d < outSize; d++) {
    let fx = Math.fround((d + 0.5) * scale - 0.5);
    const sx = Math.floor(fx);
    fx = Math.fround(fx - sx);
    const w = cvCubicWeights(fx);
    for (let k = 0; k < 4; k++) {
      idx[d * 4 + k] = borderIndex(sx - 1 + k, inSize, 'nearest');
      wt[d * 4 + k] = w[k]!;
    }
  }
  return { idx, wt };
}

/** `cv2.resize(src, (outW, outH), interpolation=cv2.INTER_CUBIC)` of 8-bit images with c channels. */
export function cvResizeCubic8u(src: Uint8Array, w: number, h: number, c: number, outW: number, outH: number): Uint8Array {
  const ax = cvCubicAxis(w, outW);
  const ay = cvCubicAxis(h, outH);
  // Horizontal pass of every source row into integers (value × 2048).
  const rows = new Int32Array(h * outW * c);
  for (let y = 0; y < h; y++) {
    const s = y * w * c;
    const o = y * outW * c;
    for (let x = 0; x < outW; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += src[s + ax.idx[x * 4 + k]! * c + ch]! * ax.wt[x * 4 + k]!;
        rows[o + x * c + ch] = acc;
      }
    }
  }
  const out = new Uint8Array(outH * outW * c);
  const f = Math.fround;
  const scale = 1 / (CV_COEF_SCALE * CV_COEF_SCALE);
  for (let y = 0; y < outH; y++) {
    const o = y * outW * c;
    const b = [0, 1, 2, 3].map((k) => f(ay.wt[y * 4 + k]! * scale));
    const r = [0, 1, 2, 3].map((k) => ay.idx[y * 4 + k]! * outW * c);
    for (let i = 0; i < outW * c; i++) {
      let acc = f(rows[r[0]! + i]! * b[0]!);
      for (let k = 1; k < 4; k++) acc = f(acc + f(rows[r[k]! + i]! * b[k]!));
      const v = roundHalfEven(acc);
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
