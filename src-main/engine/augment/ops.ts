/**
 * Augmentation operations on batches (NHWC float32, values in [0, 1] before normalisation), each
 * with explicit per-image parameters (sampling lives in pipeline.ts). Semantics follow torchvision
 * 0.14's tensor functional ops (torchvision.transforms.functional_tensor), differences stated:
 *
 * - resizedCrop: crop box in pixels, then bilinear resize with half-pixel centres and edge clamping
 *   inside the crop (torch `interpolate(mode='bilinear', align_corners=False)`, antialias off — the
 *   tensor path's default; PIL's antialiased downscaling is not reproduced). Done as one batched
 *   gather of the 4 neighbours, not tf.image.cropAndResize: cropAndResize samples with
 *   align-corners spacing and fills 0 outside the image, so it cannot reproduce torch's sample
 *   positions when a crop is upscaled at the image border.
 * - rotate: about the image centre, counter-clockwise for positive angles (torchvision), bilinear,
 *   each of the four neighbours outside the image counts as 0 (grid_sample zero padding). torchvision's
 *   RandomRotation defaults to nearest; bilinear is used here. (Not tf.image.transform: its CPU kernel
 *   in tfjs 4.22 only transforms the first image of a batch.)
 * - colour: brightness = blend with black, contrast = blend with the mean of the grayscale image,
 *   saturation = blend with the grayscale image, each clamped to [0, 1]; hue = shift H in HSV
 *   (torchvision's _rgb2hsv/_hsv2rgb). Grayscale = 0.299R + 0.587G + 0.114B (ITU-R 601-2, PIL's
 *   convert('L') which MoCo's PIL pipeline uses; torchvision's tensor path uses 0.2989 for R).
 * - gaussianBlur: torchvision gaussian_blur: 1-D kernel exp(−x²/2σ²) on x = −(k−1)/2 … (k−1)/2,
 *   normalised, applied separably, reflect padding.
 *
 * Training runs the same operations on typed arrays in worker threads (cpu.ts, augment-pool.ts);
 * these tfjs versions are their reference in tests. `normalize` and the constants are used as is.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { axisSamples, blurKernelSize, gaussianKernel1d, type CropBox, type JitterParams } from './cpu';

export const GRAY_WEIGHTS = [0.299, 0.587, 0.114] as const;
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

// The crop box (torchvision's i, j, h, w) and the colour-jitter parameters are cpu.ts's types.
export type { CropBox, JitterParams };

function assertBatch(op: string, x: Tensor, n?: number): asserts x is Tensor4D {
  if (x.rank !== 4) throw new AppError('BAD_REQUEST', `Error in ${op}: expected [N, H, W, C], got [${x.shape.join(', ')}]`);
  if (n !== undefined && x.shape[0] !== n)
    throw new AppError('BAD_REQUEST', `Error in ${op}: ${n} parameter sets for a batch of ${x.shape[0]}`);
}

const perImage = (values: readonly number[]): Tensor4D => tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);

/**
 * Bilinear resampling by gather: for every output pixel, four source pixel indices (into the
 * flattened batch; −1 = outside, contributes 0) and their weights.
 */
function gatherResample(x: Tensor4D, outH: number, outW: number, idx: Int32Array, w: Float32Array): Tensor4D {
  const [n, h, wd, c] = x.shape;
  return tf.tidy(() => {
    const zeroRow = n * h * wd;
    for (let i = 0; i < idx.length; i++) if (idx[i]! < 0) idx[i] = zeroRow;
    const flat = tf.concat([tf.reshape(x, [zeroRow, c]), tf.zeros([1, c])], 0);
    const g = tf.reshape(tf.gather(flat, tf.tensor1d(idx, 'int32')), [n * outH * outW, 4, c]);
    const y = tf.sum(tf.mul(g, tf.tensor3d(w, [n * outH * outW, 4, 1])), 1);
    return tf.reshape(y, [n, outH, outW, c]);
  });
}

/** Crops each image to its box and resizes to outH × outW (torchvision resized_crop, bilinear). */
export function resizedCrop(x: Tensor4D, boxes: readonly CropBox[], outH: number, outW: number): Tensor4D {
  assertBatch('resizedCrop', x, boxes.length);
  const [n, h, w] = x.shape;
  const idx = new Int32Array(n * outH * outW * 4);
  const wt = new Float32Array(n * outH * outW * 4);
  boxes.forEach((b, k) => {
    if (b.top < 0 || b.left < 0 || b.height < 1 || b.width < 1 || b.top + b.height > h || b.left + b.width > w) {
      throw new AppError('BAD_REQUEST', `Error in resizedCrop: box ${JSON.stringify(b)} outside a ${h}x${w} image`);
    }
    const ys = axisSamples(b.top, b.height, outH);
    const xs = axisSamples(b.left, b.width, outW);
    const base = k * h * w;
    for (let oy = 0; oy < outH; oy++) {
      const fy = ys.frac[oy]!;
      for (let ox = 0; ox < outW; ox++) {
        const fx = xs.frac[ox]!;
        const p = ((k * outH + oy) * outW + ox) * 4;
        idx[p] = base + ys.i0[oy]! * w + xs.i0[ox]!;
        idx[p + 1] = base + ys.i0[oy]! * w + xs.i1[ox]!;
        idx[p + 2] = base + ys.i1[oy]! * w + xs.i0[ox]!;
        idx[p + 3] = base + ys.i1[oy]! * w + xs.i1[ox]!;
        wt[p] = (1 - fy) * (1 - fx);
        wt[p + 1] = (1 - fy) * fx;
        wt[p + 2] = fy * (1 - fx);
        wt[p + 3] = fy * fx;
      }
    }
  });
  return gatherResample(x, outH, outW, idx, wt);
}

/** Rotates each image by its angle in degrees (counter-clockwise), bilinear, zero outside. */
export function rotate(x: Tensor4D, degrees: readonly number[]): Tensor4D {
  assertBatch('rotate', x, degrees.length);
  const [n, h, w] = x.shape;
  const idx = new Int32Array(n * h * w * 4);
  const wt = new Float32Array(n * h * w * 4);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const at = (k: number, yy: number, xx: number): number => (yy >= 0 && yy < h && xx >= 0 && xx < w ? (k * h + yy) * w + xx : -1);
  degrees.forEach((deg, k) => {
    const a = (deg * Math.PI) / 180;
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < w; ox++) {
        const u = ox - cx;
        const v = oy - cy;
        const sx = cos * u - sin * v + cx;
        const sy = sin * u + cos * v + cy;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        const p = ((k * h + oy) * w + ox) * 4;
        idx[p] = at(k, y0, x0);
        idx[p + 1] = at(k, y0, x0 + 1);
        idx[p + 2] = at(k, y0 + 1, x0);
        idx[p + 3] = at(k, y0 + 1, x0 + 1);
        wt[p] = (1 - fy) * (1 - fx);
        wt[p + 1] = (1 - fy) * fx;
        wt[p + 2] = fy * (1 - fx);
        wt[p + 3] = fy * fx;
      }
    }
  });
  return gatherResample(x, h, w, idx, wt);
}

/** Flips the images where `mask` is true; axis 'horizontal' mirrors left-right, 'vertical' top-bottom. */
export function flip(x: Tensor4D, mask: readonly boolean[], axis: 'horizontal' | 'vertical'): Tensor4D {
  assertBatch('flip', x, mask.length);
  if (!mask.some(Boolean)) return tf.clone(x);
  return tf.tidy(() => {
    const flipped = tf.reverse(x, axis === 'horizontal' ? 2 : 1);
    return tf.where(tf.tensor4d(mask.map(Number), [mask.length, 1, 1, 1]).cast('bool').broadcastTo(x.shape), flipped, x) as Tensor4D;
  });
}

/** Luminance [N, H, W, 1] = 0.299R + 0.587G + 0.114B. */
export function luminance(x: Tensor4D): Tensor4D {
  return tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d(GRAY_WEIGHTS as unknown as number[])), 3, true) as Tensor4D);
}

/** Replaces the images where `mask` is true by their grayscale version in all three channels. */
export function grayscale(x: Tensor4D, mask: readonly boolean[]): Tensor4D {
  assertBatch('grayscale', x, mask.length);
  return tf.tidy(() => {
    const g = tf.broadcastTo(luminance(x), x.shape);
    return tf.where(tf.broadcastTo(perImage(mask.map(Number)).cast('bool'), x.shape), g, x) as Tensor4D;
  });
}

function blend(x: Tensor4D, target: Tensor, factors: readonly number[]): Tensor4D {
  const f = perImage(factors);
  return tf.clipByValue(tf.add(tf.mul(f, x), tf.mul(tf.sub(1, f), target)), 0, 1) as Tensor4D;
}

/** torchvision adjust_brightness: blend with black, clamp to [0, 1]. */
export function adjustBrightness(x: Tensor4D, factors: readonly number[]): Tensor4D {
  assertBatch('adjustBrightness', x, factors.length);
  return tf.tidy(() => blend(x, tf.zerosLike(x), factors));
}

/** torchvision adjust_contrast: blend with the mean of the image's grayscale version. */
export function adjustContrast(x: Tensor4D, factors: readonly number[]): Tensor4D {
  assertBatch('adjustContrast', x, factors.length);
  return tf.tidy(() => blend(x, tf.mean(luminance(x), [1, 2, 3], true), factors));
}

/** torchvision adjust_saturation: blend with the grayscale image. */
export function adjustSaturation(x: Tensor4D, factors: readonly number[]): Tensor4D {
  assertBatch('adjustSaturation', x, factors.length);
  return tf.tidy(() => blend(x, luminance(x), factors));
}

/** RGB → HSV (torchvision _rgb2hsv), channels last, H in [0, 1). */
export function rgbToHsv(x: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const [r, g, b] = tf.split(x, 3, 3) as [Tensor4D, Tensor4D, Tensor4D];
    const maxc = tf.maximum(tf.maximum(r, g), b);
    const minc = tf.minimum(tf.minimum(r, g), b);
    const eqc = tf.equal(maxc, minc);
    const cr = tf.sub(maxc, minc);
    const ones = tf.onesLike(maxc);
    const s = tf.div(cr, tf.where(eqc, ones, maxc));
    const crDiv = tf.where(eqc, ones, cr);
    const rc = tf.div(tf.sub(maxc, r), crDiv);
    const gc = tf.div(tf.sub(maxc, g), crDiv);
    const bc = tf.div(tf.sub(maxc, b), crDiv);
    const isR = tf.equal(maxc, r);
    const isG = tf.logicalAnd(tf.equal(maxc, g), tf.logicalNot(isR));
    const isB = tf.logicalAnd(tf.notEqual(maxc, g), tf.logicalNot(isR));
    const hr = tf.mul(tf.cast(isR, 'float32'), tf.sub(bc, gc));
    const hg = tf.mul(tf.cast(isG, 'float32'), tf.add(2, tf.sub(rc, bc)));
    const hb = tf.mul(tf.cast(isB, 'float32'), tf.add(4, tf.sub(gc, rc)));
    const h = tf.mod(tf.add(tf.div(tf.add(tf.add(hr, hg), hb), 6), 1), 1);
    return tf.concat([h, s, maxc], 3) as Tensor4D;
  });
}

/** HSV → RGB (torchvision _hsv2rgb). */
export function hsvToRgb(x: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const [h, s, v] = tf.split(x, 3, 3) as [Tensor4D, Tensor4D, Tensor4D];
    const h6 = tf.mul(h, 6);
    const fi = tf.floor(h6);
    const f = tf.sub(h6, fi);
    const i = tf.mod(fi, 6);
    const p = tf.clipByValue(tf.mul(v, tf.sub(1, s)), 0, 1);
    const q = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, f))), 0, 1);
    const t = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, tf.sub(1, f)))), 0, 1);
    const sel = [0, 1, 2, 3, 4, 5].map((k) => tf.cast(tf.equal(i, k), 'float32'));
    const pick = (vals: Tensor[]): Tensor => tf.addN(vals.map((val, k) => tf.mul(sel[k]!, val)));
    const [vv, pp, qq, tt] = [v, p, q, t] as Tensor[];
    return tf.concat(
      [pick([vv!, qq!, pp!, pp!, tt!, vv!]), pick([tt!, vv!, vv!, qq!, pp!, pp!]), pick([pp!, pp!, tt!, vv!, vv!, qq!])],
      3,
    ) as Tensor4D;
  });
}

/** torchvision adjust_hue: H ← (H + shift) mod 1, shift in [−0.5, 0.5]. */
export function adjustHue(x: Tensor4D, shifts: readonly number[]): Tensor4D {
  assertBatch('adjustHue', x, shifts.length);
  return tf.tidy(() => {
    const hsv = rgbToHsv(x);
    const [h, s, v] = tf.split(hsv, 3, 3) as [Tensor4D, Tensor4D, Tensor4D];
    const h2 = tf.mod(tf.add(h, perImage(shifts)), 1);
    return hsvToRgb(tf.concat([h2, s, v], 3) as Tensor4D);
  });
}

/**
 * torchvision ColorJitter with per-image random order, vectorised: at each of the four positions,
 * images whose op there is a blend get one blend (target black / mean grey / grayscale per image);
 * images whose op there is hue take the hue-adjusted version. `null` entries leave an image unchanged.
 */
export function colorJitter(x: Tensor4D, params: readonly (JitterParams | null)[]): Tensor4D {
  assertBatch('colorJitter', x, params.length);
  return tf.tidy(() => {
    let cur: Tensor4D = x;
    for (let pos = 0; pos < 4; pos++) {
      const ops = params.map((p) => (p ? p.order[pos]! : -1));
      const factor = params.map((p, k) => {
        const op = ops[k];
        const f = op === 0 ? p?.brightness : op === 1 ? p?.contrast : op === 2 ? p?.saturation : null;
        return f ?? 1;
      });
      const hue = params.map((p, k) => (ops[k] === 3 && p?.hue != null ? p.hue : null));
      if (factor.some((f) => f !== 1)) {
        const gray = luminance(cur);
        const wc = perImage(ops.map((o) => (o === 1 ? 1 : 0)));
        const ws = perImage(ops.map((o) => (o === 2 ? 1 : 0)));
        const target = tf.add(tf.mul(ws, gray), tf.mul(wc, tf.mean(gray, [1, 2, 3], true)));
        cur = blend(cur, target, factor);
      }
      if (hue.some((h) => h !== null)) {
        const hued = adjustHue(
          cur,
          hue.map((h) => h ?? 0),
        );
        cur = tf.where(tf.broadcastTo(perImage(hue.map((h) => (h === null ? 0 : 1))).cast('bool'), cur.shape), hued, cur) as Tensor4D;
      }
    }
    return cur === x ? tf.clone(x) : cur;
  });
}

// torchvision's Gaussian kernel and MoCo v2's kernel size scaled with the image: one definition, in cpu.ts (which imports nothing).
export { blurKernelSize, gaussianKernel1d };

/** Gaussian blur of the images whose sigma is not null (reflect padding, separable). */
export function gaussianBlur(x: Tensor4D, sigmas: readonly (number | null)[], kernelSize: number): Tensor4D {
  assertBatch('gaussianBlur', x, sigmas.length);
  const [, h, w, c] = x.shape;
  const pad = (kernelSize - 1) / 2;
  if (kernelSize % 2 !== 1 || pad >= h || pad >= w) {
    throw new AppError(
      'BAD_REQUEST',
      `Error in gaussianBlur: kernel size ${kernelSize} must be odd and smaller than twice the image side (${h}x${w})`,
    );
  }
  return tf.tidy(() => {
    if (kernelSize === 1 || sigmas.every((s) => s === null)) return tf.clone(x);
    const images = tf.unstack(x);
    const out = images.map((img, k) => {
      const s = sigmas[k];
      if (s == null) return img;
      const k1 = gaussianKernel1d(kernelSize, s);
      const kh = tf.tile(tf.tensor4d(k1, [kernelSize, 1, 1, 1]), [1, 1, c, 1]) as Tensor4D;
      const kw = tf.tile(tf.tensor4d(k1, [1, kernelSize, 1, 1]), [1, 1, c, 1]) as Tensor4D;
      const padded = tf.mirrorPad(
        tf.expandDims(img, 0),
        [
          [0, 0],
          [pad, pad],
          [pad, pad],
          [0, 0],
        ],
        'reflect',
      ) as Tensor4D;
      return tf.squeeze(tf.depthwiseConv2d(tf.depthwiseConv2d(padded, kh, 1, 'valid'), kw, 1, 'valid'), [0]);
    });
    return tf.stack(out) as Tensor4D;
  });
}

/** (x − mean) / std per channel. */
export function normalize(x: Tensor4D, mean: readonly number[], std: readonly number[]): Tensor4D {
  assertBatch('normalize', x);
  if (mean.length !== x.shape[3] || std.length !== x.shape[3] || std.some((s) => !(s > 0))) {
    throw new AppError('BAD_REQUEST', `Error in normalize: need ${x.shape[3]} means and positive stds`);
  }
  return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d([...mean])), tf.tensor1d([...std])) as Tensor4D);
}

/**
 * Streaming per-channel mean and standard deviation of a dataset (population std over all pixels of
 * all images), combining per-batch moments in float64 (Chan et al.), so batch sizes may differ.
 */
export class ChannelStats {
  private n = 0;
  private mean: Float64Array | null = null;
  private m2: Float64Array | null = null;

  /** Adds a batch's pixels; its moments are read back asynchronously (await each update before the next). */
  async update(batch: Tensor4D): Promise<void> {
    assertBatch('ChannelStats.update', batch);
    const [b, h, w, c] = batch.shape;
    const count = b * h * w;
    if (count === 0) return;
    const moments = tf.tidy(() => tf.moments(batch, [0, 1, 2]));
    let mean: Float32Array, variance: Float32Array;
    try {
      [mean, variance] = (await Promise.all([moments.mean.data(), moments.variance.data()])) as [Float32Array, Float32Array];
    } finally {
      tf.dispose([moments.mean, moments.variance]);
    }
    if (!this.mean || !this.m2) {
      this.mean = new Float64Array(c);
      this.m2 = new Float64Array(c);
    }
    if (this.mean.length !== c)
      throw new AppError('BAD_REQUEST', `Error in ChannelStats.update: ${c} channels, earlier batches had ${this.mean.length}`);
    const total = this.n + count;
    for (let ch = 0; ch < c; ch++) {
      const delta = mean[ch]! - this.mean[ch]!;
      this.mean[ch] = this.mean[ch]! + (delta * count) / total;
      this.m2[ch] = this.m2[ch]! + variance[ch]! * count + (delta * delta * this.n * count) / total;
    }
    this.n = total;
  }

  get count(): number {
    return this.n;
  }

  result(): { mean: number[]; std: number[]; pixels: number } {
    if (!this.mean || !this.m2 || this.n === 0) throw new AppError('BAD_REQUEST', 'Error in ChannelStats.result: no pixels seen');
    return { mean: [...this.mean], std: [...this.m2].map((m) => Math.sqrt(m / this.n)), pixels: this.n };
  }
}
