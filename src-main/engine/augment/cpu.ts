/**
 * The augmentation operations of ops.ts on plain typed arrays (NHWC float32, values in [0, 1]), so
 * they can run in a worker thread (augment-pool.ts) without tfjs. Same semantics as ops.ts (read
 * its header: torchvision's tensor ops) and the same numbers: each step rounds to float32 where the
 * tfjs op it mirrors stores its output (`f32` below), sums run in the order of tfjs's cpu kernels,
 * and an operation a batch needs is applied to all its images as ops.ts does (so e.g. the clamp of a
 * colour blend reaches images whose own factor is 1). Tests compare every op and the whole presets
 * with ops.ts on the cpu backend.
 *
 * This module imports nothing at run time: it is bundled into the augmentation worker's source.
 */

/** [N, H, W, C] float32 images. */
export interface Images {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** A crop box in pixels (torchvision's i, j, h, w). */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * Colour-jitter parameters of one image: the order of the four ops (0 brightness, 1 contrast, 2 saturation, 3 hue) and each factor
 * (null = skipped).
 */
export interface JitterParams {
  order: readonly number[];
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  hue: number | null;
}

/** All augmentation parameters of one image (pipeline.ts samples them). */
export interface ImageAugParams {
  crop: CropBox;
  hflip: boolean;
  vflip: boolean;
  angle: number;
  jitter: JitterParams | null;
  gray: boolean;
  blurSigma: number | null;
}

/**
 * The per-image loops in C (src-main/engine/native/aug.c, through the native addon): the same values
 * bit for bit, several times faster. The augmentation worker installs them when the addon is built
 * (augment-pool.ts); without them the loops below run.
 */
export interface AugmentNative {
  augResizedCrop(
    src: Float32Array,
    srcOffset: number,
    h: number,
    w: number,
    c: number,
    top: number,
    left: number,
    height: number,
    width: number,
    dst: Float32Array,
    dstOffset: number,
    outH: number,
    outW: number,
  ): void;
  augRotate(
    src: Float32Array,
    srcOffset: number,
    h: number,
    w: number,
    c: number,
    cos: number,
    sin: number,
    dst: Float32Array,
    dstOffset: number,
  ): void;
  /** target: 0 black, 1 the mean luminance, 2 the pixel's luminance (Target below). */
  augBlend(data: Float32Array, offset: number, pixels: number, factor: number, target: number): void;
  augHue(data: Float32Array, offset: number, pixels: number, shift: number): void;
  augBlur(
    src: Float32Array,
    srcOffset: number,
    h: number,
    w: number,
    c: number,
    kernel: Float32Array,
    dst: Float32Array,
    dstOffset: number,
  ): void;
}

let native: AugmentNative | null = null;

/** Installs the native loops (null: the JavaScript ones); returns the previous choice. */
export function useNativeAugment(loops: AugmentNative | null): AugmentNative | null {
  const previous = native;
  native = loops;
  return previous;
}

const f32 = Math.fround;
const GRAY = [f32(0.299), f32(0.587), f32(0.114)] as const;

function fail(op: string, message: string): never {
  throw new Error(`Error in ${op}: ${message}`);
}

function check(op: string, x: Images, n?: number): void {
  if (x.data.length !== x.n * x.h * x.w * x.c) fail(op, `${x.data.length} values for [${x.n}, ${x.h}, ${x.w}, ${x.c}]`);
  if (n !== undefined && n !== x.n) fail(op, `${n} parameter sets for a batch of ${x.n}`);
}

function checkRgb(op: string, x: Images): void {
  if (x.c !== 3) fail(op, `expected 3 channels, got ${x.c}`);
}

/** tfjs's cpu Mod kernel (the sign of the result follows the divisor). */
function mod(a: number, b: number): number {
  const rem = a % b;
  return (a < 0 && b < 0) || (a >= 0 && b >= 0) ? rem : (rem + b) % b;
}

/**
 * mod(a, 1) without `%` (a call into C in V8, the hue's largest cost): the same value, signed zero
 * included. For a > 0, a − floor(a) is exactly a % 1; for a < 0, a − ceil(a) is exactly a % 1 and
 * (that + 1) % 1 is that + 1 unless it rounds to 1.
 */
function mod1(a: number): number {
  if (a > 0) return a - Math.floor(a);
  if (a < 0) {
    const r = a - Math.ceil(a) + 1;
    return r === 1 ? 0 : r;
  }
  return a === 0 ? a : NaN;
}

/** torch align_corners=False source positions along one axis of a crop, clamped inside it (ops.ts uses it too). */
export function axisSamples(start: number, length: number, out: number): { i0: Int32Array; i1: Int32Array; frac: Float64Array } {
  const scale = length / out;
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const frac = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    const src = Math.max(0, scale * (o + 0.5) - 0.5);
    const f = Math.floor(src);
    const lo = Math.min(f, length - 1);
    i0[o] = start + lo;
    i1[o] = start + Math.min(lo + 1, length - 1);
    frac[o] = lo === f ? src - f : 0;
  }
  return { i0, i1, frac };
}

/**
 * One bilinear sample as ops.ts's gather computes it: four float32 products with float32 weights,
 * summed in float64, rounded once. `o*` are value offsets (−1 = outside, contributes 0).
 */
function bilinear(
  src: Float32Array,
  o00: number,
  o01: number,
  o10: number,
  o11: number,
  fy: number,
  fx: number,
  dst: Float32Array,
  d: number,
  c: number,
): void {
  const w00 = f32((1 - fy) * (1 - fx));
  const w01 = f32((1 - fy) * fx);
  const w10 = f32(fy * (1 - fx));
  const w11 = f32(fy * fx);
  for (let ch = 0; ch < c; ch++) {
    const v00 = o00 < 0 ? 0 : f32(src[o00 + ch]! * w00);
    const v01 = o01 < 0 ? 0 : f32(src[o01 + ch]! * w01);
    const v10 = o10 < 0 ? 0 : f32(src[o10 + ch]! * w10);
    const v11 = o11 < 0 ? 0 : f32(src[o11 + ch]! * w11);
    dst[d + ch] = v00 + v01 + v10 + v11;
  }
}

/** Crops each image to its box and resizes to outH × outW (ops.ts resizedCrop). */
export function resizedCrop(x: Images, boxes: readonly CropBox[], outH: number, outW: number): Images {
  check('resizedCrop', x, boxes.length);
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1)
    fail('resizedCrop', `the output size ${outH}x${outW} must be positive integers`);
  const { n, h, w, c, data } = x;
  const out = new Float32Array(n * outH * outW * c);
  boxes.forEach((b, k) => {
    if (b.top < 0 || b.left < 0 || b.height < 1 || b.width < 1 || b.top + b.height > h || b.left + b.width > w)
      fail('resizedCrop', `box ${JSON.stringify(b)} outside a ${h}x${w} image`);
    if (native) {
      native.augResizedCrop(data, k * h * w * c, h, w, c, b.top, b.left, b.height, b.width, out, k * outH * outW * c, outH, outW);
      return;
    }
    const ys = axisSamples(b.top, b.height, outH);
    const xs = axisSamples(b.left, b.width, outW);
    const base = k * h * w;
    for (let oy = 0; oy < outH; oy++) {
      const r0 = base + ys.i0[oy]! * w;
      const r1 = base + ys.i1[oy]! * w;
      const fy = ys.frac[oy]!;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = xs.i0[ox]!;
        const x1 = xs.i1[ox]!;
        bilinear(
          data,
          (r0 + x0) * c,
          (r0 + x1) * c,
          (r1 + x0) * c,
          (r1 + x1) * c,
          fy,
          xs.frac[ox]!,
          out,
          ((k * outH + oy) * outW + ox) * c,
          c,
        );
      }
    }
  });
  return { data: out, n, h: outH, w: outW, c };
}

/** Rotates each image by its angle in degrees (counter-clockwise), bilinear, zero outside (ops.ts rotate). */
export function rotate(x: Images, degrees: readonly number[]): Images {
  check('rotate', x, degrees.length);
  const { n, h, w, c, data } = x;
  const out = new Float32Array(data.length);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const at = (k: number, yy: number, xx: number): number => (yy >= 0 && yy < h && xx >= 0 && xx < w ? ((k * h + yy) * w + xx) * c : -1);
  degrees.forEach((deg, k) => {
    const a = (deg * Math.PI) / 180;
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    if (native) {
      native.augRotate(data, k * h * w * c, h, w, c, cos, sin, out, k * h * w * c);
      return;
    }
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < w; ox++) {
        const u = ox - cx;
        const v = oy - cy;
        const sx = cos * u - sin * v + cx;
        const sy = sin * u + cos * v + cy;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        bilinear(
          data,
          at(k, y0, x0),
          at(k, y0, x0 + 1),
          at(k, y0 + 1, x0),
          at(k, y0 + 1, x0 + 1),
          sy - y0,
          sx - x0,
          out,
          ((k * h + oy) * w + ox) * c,
          c,
        );
      }
    }
  });
  return { data: out, n, h, w, c };
}

/** Flips the images where `mask` is true (ops.ts flip): whole rows moved (vertical), pixels within a row (horizontal). */
export function flip(x: Images, mask: readonly boolean[], axis: 'horizontal' | 'vertical'): Images {
  check('flip', x, mask.length);
  const { n, h, w, c, data } = x;
  const out = data.slice();
  const image = h * w * c;
  const row = w * c;
  mask.forEach((m, k) => {
    if (!m) return;
    for (let y = 0; y < h; y++) {
      const d = k * image + y * row;
      if (axis === 'vertical') {
        const s = k * image + (h - 1 - y) * row;
        out.set(data.subarray(s, s + row), d);
        continue;
      }
      for (let xx = 0, s = d + row - c; xx < w; xx++, s -= c) for (let ch = 0; ch < c; ch++) out[d + xx * c + ch] = data[s + ch]!;
    }
  });
  return { data: out, n, h, w, c };
}

/** Luminance of one pixel at offset `o` (ops.ts luminance: float32 products, float64 sum, rounded). */
function lum(d: Float32Array, o: number): number {
  return f32(f32(d[o]! * GRAY[0]) + f32(d[o + 1]! * GRAY[1]) + f32(d[o + 2]! * GRAY[2]));
}

/** Luminance [N, H, W, 1] = 0.299R + 0.587G + 0.114B (ops.ts luminance). */
export function luminance(x: Images): Images {
  check('luminance', x);
  checkRgb('luminance', x);
  const px = x.n * x.h * x.w;
  const out = new Float32Array(px);
  for (let p = 0; p < px; p++) out[p] = lum(x.data, p * 3);
  return { data: out, n: x.n, h: x.h, w: x.w, c: 1 };
}

/** Replaces the images where `mask` is true by their grayscale version (ops.ts grayscale). */
export function grayscale(x: Images, mask: readonly boolean[]): Images {
  check('grayscale', x, mask.length);
  checkRgb('grayscale', x);
  const out = x.data.slice();
  const px = x.h * x.w;
  mask.forEach((m, k) => {
    if (!m) return;
    for (let p = k * px; p < (k + 1) * px; p++) {
      const g = lum(x.data, p * 3);
      out[p * 3] = g;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = g;
    }
  });
  return { data: out, n: x.n, h: x.h, w: x.w, c: x.c };
}

/** tfjs mean over an image's luminance: each value divided by the count (float32), summed in float64. */
function meanLuminance(d: Float32Array, image: number, px: number): number {
  let sum = 0;
  for (let p = image * px; p < (image + 1) * px; p++) sum += f32(lum(d, p * 3) / px);
  return f32(sum);
}

/** Which blend target an image's colour op uses. */
const enum Target {
  Black,
  Mean,
  Gray,
}

/**
 * In-place ops.ts blend of image k: clamp(f·x + (1 − f)·target) with float32 steps; factor 1 (an
 * image that takes no blend at this point of the batch) leaves the clamp only.
 */
function blendImage(d: Float32Array, k: number, px: number, factor: number, target: Target): void {
  if (native) return native.augBlend(d, k * px * 3, px, factor, target);
  const start = k * px * 3;
  const end = start + px * 3;
  if (factor === 1) {
    for (let i = start; i < end; i++) d[i] = Math.min(1, Math.max(0, d[i]!));
    return;
  }
  const f = f32(factor);
  const g = f32(1 - f);
  const clamp = (v: number) => (v > 1 ? 1 : v < 0 ? 0 : v);
  if (target === Target.Black) {
    for (let i = start; i < end; i++) d[i] = clamp(f32(f32(f * d[i]!) + f32(g * 0)));
  } else if (target === Target.Mean) {
    const m = f32(g * meanLuminance(d, k, px));
    for (let i = start; i < end; i++) d[i] = clamp(f32(f32(f * d[i]!) + m));
  } else {
    for (let p = k * px; p < (k + 1) * px; p++) {
      const t = f32(g * lum(d, p * 3));
      for (let ch = 0; ch < 3; ch++) {
        const i = p * 3 + ch;
        d[i] = clamp(f32(f32(f * d[i]!) + t));
      }
    }
  }
}

/** In-place ops.ts adjustHue of image k (RGB → HSV, H shifted mod 1, HSV → RGB), float32 steps as tfjs's kernels. */
function hueImage(d: Float32Array, k: number, px: number, shift: number): void {
  if (native) return native.augHue(d, k * px * 3, px, shift);
  const sh = f32(shift);
  const clip = (v: number) => (v > 1 ? 1 : v < 0 ? 0 : v);
  for (let p = k * px; p < (k + 1) * px; p++) {
    const o = p * 3;
    const r = d[o]!;
    const gg = d[o + 1]!;
    const b = d[o + 2]!;
    // rgbToHsv
    const maxc = Math.max(Math.max(r, gg), b);
    const minc = Math.min(Math.min(r, gg), b);
    const eqc = maxc === minc;
    const cr = f32(maxc - minc);
    const s = f32(cr / (eqc ? 1 : maxc));
    const crDiv = eqc ? 1 : cr;
    const rc = f32(f32(maxc - r) / crDiv);
    const gc = f32(f32(maxc - gg) / crDiv);
    const bc = f32(f32(maxc - b) / crDiv);
    const isR = maxc === r;
    const isG = maxc === gg && !isR;
    const isB = maxc !== gg && !isR;
    const hr = isR ? f32(bc - gc) : 0;
    const hg = isG ? f32(2 + f32(rc - bc)) : 0;
    const hb = isB ? f32(4 + f32(gc - rc)) : 0;
    const h = f32(mod1(f32(f32(f32(f32(hr + hg) + hb) / 6) + 1)));
    // shift
    const h2 = f32(mod1(f32(h + sh)));
    // hsvToRgb
    const v = maxc;
    const h6 = f32(h2 * 6);
    const fi = Math.floor(h6);
    const fr = f32(h6 - fi);
    const i = fi >= 0 && fi < 6 ? fi : f32(mod(fi, 6));
    const pp = clip(f32(v * f32(1 - s)));
    const qq = clip(f32(v * f32(1 - f32(s * fr))));
    const tt = clip(f32(v * f32(1 - f32(s * f32(1 - fr)))));
    // (i is one of 0 … 5; NaN, from a NaN input, gives black as the tfjs kernels' selects do)
    d[o] = i === 0 || i === 5 ? v : i === 1 ? qq : i === 2 || i === 3 ? pp : i === 4 ? tt : 0;
    d[o + 1] = i === 0 ? tt : i === 1 || i === 2 ? v : i === 3 ? qq : i === 4 || i === 5 ? pp : 0;
    d[o + 2] = i === 0 || i === 1 ? pp : i === 2 ? tt : i === 3 || i === 4 ? v : i === 5 ? qq : 0;
  }
}

/** ops.ts adjustBrightness (blend with black, clamp). */
export function adjustBrightness(x: Images, factors: readonly number[]): Images {
  return blendAll('adjustBrightness', x, factors, Target.Black);
}

/** ops.ts adjustContrast (blend with the mean of the grayscale image). */
export function adjustContrast(x: Images, factors: readonly number[]): Images {
  return blendAll('adjustContrast', x, factors, Target.Mean);
}

/** ops.ts adjustSaturation (blend with the grayscale image). */
export function adjustSaturation(x: Images, factors: readonly number[]): Images {
  return blendAll('adjustSaturation', x, factors, Target.Gray);
}

function blendAll(op: string, x: Images, factors: readonly number[], target: Target): Images {
  check(op, x, factors.length);
  checkRgb(op, x);
  const out = x.data.slice();
  // ops.ts blends every image (factor 1 → a clamp), so factor 1 takes the same path here.
  factors.forEach((f, k) => blendImage(out, k, x.h * x.w, f, target));
  return { ...x, data: out };
}

/** ops.ts adjustHue: H ← (H + shift) mod 1. */
export function adjustHue(x: Images, shifts: readonly number[]): Images {
  check('adjustHue', x, shifts.length);
  checkRgb('adjustHue', x);
  const out = x.data.slice();
  shifts.forEach((s, k) => hueImage(out, k, x.h * x.w, s));
  return { ...x, data: out };
}

/** The blend factor of an image's colour op at a position of its order (1 = no blend there). */
function blendFactor(p: JitterParams | null, pos: number): number {
  const op = p ? p.order[pos]! : -1;
  const f = op === 0 ? p?.brightness : op === 1 ? p?.contrast : op === 2 ? p?.saturation : null;
  return f ?? 1;
}

/**
 * In-place ops.ts colorJitter (per-image random order; a blend at a position clamps every image of
 * the batch). `batch`: the parameters of the whole batch when `x` holds only some of its images.
 */
function colorJitterInPlace(x: Images, params: readonly (JitterParams | null)[], batch = params): void {
  const px = x.h * x.w;
  for (let pos = 0; pos < 4; pos++) {
    const ops = params.map((p) => (p ? p.order[pos]! : -1));
    const factor = params.map((p) => blendFactor(p, pos));
    if (batch.some((p) => blendFactor(p, pos) !== 1)) {
      factor.forEach((f, k) => blendImage(x.data, k, px, f, ops[k] === 1 ? Target.Mean : ops[k] === 2 ? Target.Gray : Target.Black));
    }
    params.forEach((p, k) => {
      if (ops[k] === 3 && p?.hue != null) hueImage(x.data, k, px, p.hue);
    });
  }
}

/** ops.ts colorJitter. */
export function colorJitter(x: Images, params: readonly (JitterParams | null)[]): Images {
  check('colorJitter', x, params.length);
  checkRgb('colorJitter', x);
  const y = { ...x, data: x.data.slice() };
  colorJitterInPlace(y, params);
  return y;
}

/** torchvision's Gaussian kernel, normalised (ops.ts uses this one too). */
export function gaussianKernel1d(size: number, sigma: number): Float32Array {
  const half = (size - 1) / 2;
  const k = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const xx = -half + i;
    k[i] = Math.exp(-0.5 * (xx / sigma) ** 2);
    sum += k[i]!;
  }
  return Float32Array.from(k, (v) => v / sum);
}

/** MoCo v2's blur kernel at 224 px is 23 px (≈ 10% of the side, odd), scaled with the image size. */
export function blurKernelSize(imageSize: number): number {
  return 2 * Math.floor(imageSize * 0.05) + 1;
}

/** Reflect padding's source index for i in [−pad, n + pad). */
function reflect(i: number, n: number): number {
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/**
 * Gaussian blur of the images whose sigma is not null (ops.ts gaussianBlur: reflect padding, a
 * vertical then a horizontal pass, each accumulated in float32 tap by tap as tfjs's depthwise conv).
 * Each pass runs tap by tap over a whole row (a float32 accumulator row: every store rounds, as
 * `f32(acc + v · k)` per value would), so a value's sum takes the same taps in the same order.
 */
export function gaussianBlur(x: Images, sigmas: readonly (number | null)[], kernelSize: number): Images {
  check('gaussianBlur', x, sigmas.length);
  const { h, w, c, data } = x;
  const pad = (kernelSize - 1) / 2;
  if (kernelSize % 2 !== 1 || pad >= h || pad >= w)
    fail('gaussianBlur', `kernel size ${kernelSize} must be odd and smaller than twice the image side (${h}x${w})`);
  const out = data.slice();
  if (kernelSize === 1) return { ...x, data: out };
  const image = h * w * c;
  const row = w * c;
  const col = new Float32Array(image);
  // The horizontal pass reads a reflect-padded copy of one row of the vertical pass's result.
  const padded = new Float32Array((w + 2 * pad) * c);
  sigmas.forEach((s, k) => {
    if (s == null) return;
    const kern = gaussianKernel1d(kernelSize, s);
    const base = k * image;
    if (native) return native.augBlur(data, base, h, w, c, kern, out, base);
    // Vertical pass: output row y sums the padded rows y − pad … y + pad, in order.
    for (let y = 0; y < h; y++) {
      const acc = col.subarray(y * row, (y + 1) * row);
      acc.fill(0);
      for (let t = 0; t < kernelSize; t++) {
        const kt = kern[t]!;
        const src = base + reflect(y + t - pad, h) * row;
        for (let i = 0; i < row; i++) acc[i] = acc[i]! + data[src + i]! * kt;
      }
    }
    // Horizontal pass over the (reflect-padded) result of the vertical one.
    for (let y = 0; y < h; y++) {
      const r = y * row;
      for (let xx = -pad; xx < w + pad; xx++) {
        const from = r + reflect(xx, w) * c;
        const to = (xx + pad) * c;
        for (let ch = 0; ch < c; ch++) padded[to + ch] = col[from + ch]!;
      }
      const o = base + r;
      out.fill(0, o, o + row);
      for (let t = 0; t < kernelSize; t++) {
        const kt = kern[t]!;
        const src = t * c;
        for (let i = 0; i < row; i++) out[o + i] = out[o + i]! + padded[src + i]! * kt;
      }
    }
  });
  return { ...x, data: out };
}

/**
 * Applies sampled parameters to a batch; returns [N, outSize, outSize, C] (pipeline.ts
 * applyAugParams). `batch`: the parameters of the whole batch when `x` holds only some of its
 * images (a worker's share): the one choice ops.ts makes per batch that can change a value (the
 * clamp of a colour blend, see colorJitter) then follows the whole batch, so the result does not
 * depend on how a batch is shared among workers.
 */
export function applyAugParams(
  x: Images,
  params: readonly ImageAugParams[],
  outSize: number,
  batch: readonly ImageAugParams[] = params,
): Images {
  check('applyAugParams', x, params.length);
  const { h, w } = x;
  const needsResize =
    params.some((p) => p.crop.top !== 0 || p.crop.left !== 0 || p.crop.height !== h || p.crop.width !== w) ||
    h !== outSize ||
    w !== outSize;
  let y: Images = needsResize
    ? resizedCrop(
        x,
        params.map((p) => p.crop),
        outSize,
        outSize,
      )
    : { ...x, data: x.data.slice() };
  if (params.some((p) => p.hflip))
    y = flip(
      y,
      params.map((p) => p.hflip),
      'horizontal',
    );
  if (params.some((p) => p.vflip))
    y = flip(
      y,
      params.map((p) => p.vflip),
      'vertical',
    );
  if (params.some((p) => p.angle !== 0))
    y = rotate(
      y,
      params.map((p) => p.angle),
    );
  if (batch.some((p) => p.jitter)) {
    checkRgb('colorJitter', y);
    colorJitterInPlace(
      y,
      params.map((p) => p.jitter),
      batch.map((p) => p.jitter),
    );
  }
  if (params.some((p) => p.gray))
    y = grayscale(
      y,
      params.map((p) => p.gray),
    );
  const k = blurKernelSize(outSize);
  if (k > 1 && params.some((p) => p.blurSigma !== null))
    y = gaussianBlur(
      y,
      params.map((p) => p.blurSigma),
      k,
    );
  return y;
}
