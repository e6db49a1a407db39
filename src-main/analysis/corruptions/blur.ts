/**
 * The five blur corruptions of the reference (`imagecorruptions.corruptions`):
 *
 * - gaussian_blur: skimage `gaussian(x, sigma=c)` (scipy gaussian_filter, mode 'nearest',
 *   truncate 4), separable.
 * - glass_blur: Gaussian (sigma c₀), bytes (truncated), then c₂ sweeps of local pixel "swaps" over
 *   h = H − c₁ … c₁ + 1 and w = W − c₁ … c₁ + 1 (descending) with dx, dy uniform integers in
 *   [−c₁, c₁) — dx then dy drawn per pixel — then the Gaussian again. The reference's swap
 *   `x[h, w], x[h', w'] = x[h', w'], x[h, w]` acts on numpy row views, so it copies x[h', w'] into
 *   x[h, w] and leaves x[h', w'] unchanged; that behaviour (the published benchmark's) is kept.
 *   The sweep is a typed-array loop: O(H·W·c₂) with one pixel copy per step.
 * - defocus_blur: `cv2.filter2D` with the reference's anti-aliased disk kernel (defocus.ts).
 * - motion_blur: the reference's dependency-free kernel (`_motion_blur`, the version that replaced
 *   ImageMagick): a one-sided Gaussian of width 2r + 1 along a direction drawn uniformly in
 *   [−45°, 45°]; tap i adds weight k_i times the image shifted by
 *   (−⌈i·sin θ − ½⌉, −⌈i·cos θ − ½⌉) with edge replication; taps stop once the shift leaves the image.
 * - zoom_blur: the mean of the image and its centre zooms (scipy order-1 zoom) by each factor of
 *   the severity's `np.arange`, in float32 as the reference; one separable bilinear resample per factor.
 */
import type { Rng } from '../../random/prng';
import { defocusFilter } from './defocus';
import { gaussianFilter } from './filters';
import { fromBytes, fromUnit, fromUnitF32, toUnit, toUnitF32, type RgbImage } from './image';
import { numpySum } from './numeric';
import { DEFOCUS_BLUR, GAUSSIAN_BLUR, GLASS_BLUR, MOTION_BLUR, ZOOM_BLUR } from './params';
import { zoomAccumulateRgbF32, zoomAxis } from './resample';
import { atSeverity, type Severity } from './severity';

export function gaussianBlur(image: RgbImage, severity: Severity): RgbImage {
  const sigma = atSeverity(GAUSSIAN_BLUR, severity);
  const { width: w, height: h } = image;
  return fromUnit(w, h, gaussianFilter(toUnit(image), h, w, 3, sigma, sigma, 'nearest'));
}

export function glassBlur(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const [sigma, delta, iterations] = atSeverity(GLASS_BLUR, severity);
  const { width: w, height: h } = image;
  const first = gaussianFilter(toUnit(image), h, w, 3, sigma, sigma, 'nearest');
  const px = new Uint8Array(first.length);
  for (let i = 0; i < first.length; i++) px[i] = Math.trunc(first[i]! * 255);
  const span = 2 * delta;
  for (let it = 0; it < iterations; it++) {
    for (let y = h - delta; y > delta; y--) {
      for (let x = w - delta; x > delta; x--) {
        const dx = -delta + Math.floor(rng.next() * span);
        const dy = -delta + Math.floor(rng.next() * span);
        const d = (y * w + x) * 3;
        const s = ((y + dy) * w + (x + dx)) * 3;
        px[d] = px[s]!;
        px[d + 1] = px[s + 1]!;
        px[d + 2] = px[s + 2]!;
      }
    }
  }
  const unit = new Float64Array(px.length);
  for (let i = 0; i < px.length; i++) unit[i] = px[i]! / 255;
  return fromUnit(w, h, gaussianFilter(unit, h, w, 3, sigma, sigma, 'nearest'));
}

export function defocusBlur(image: RgbImage, severity: Severity): RgbImage {
  const [radius, aliasBlur] = atSeverity(DEFOCUS_BLUR, severity);
  const { width: w, height: h } = image;
  return fromUnit(w, h, defocusFilter(toUnit(image), h, w, 3, radius, aliasBlur));
}

/**
 * The reference's `_motion_blur(x, radius, sigma, angle)` on an HWC array with c channels (float64
 * result, same scale as the input).
 */
export function motionBlurArray(
  src: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  radius: number,
  sigma: number,
  angleDeg: number,
): Float64Array {
  const width = radius * 2 + 1;
  const k = new Float64Array(width);
  for (let i = 0; i < width; i++) k[i] = Math.exp(-(i * i) / (2 * (sigma * sigma))) / (Math.sqrt(2 * Math.PI) * sigma);
  const z = numpySum(k);
  for (let i = 0; i < width; i++) k[i] = k[i]! / z;
  const rad = angleDeg * (Math.PI / 180);
  const p0 = width * Math.sin(rad);
  const p1 = width * Math.cos(rad);
  const hyp = Math.hypot(p0, p1);
  const out = new Float64Array(h * w * c);
  const rowLen = w * c;
  for (let i = 0; i < width; i++) {
    const dy = -Math.ceil((i * p0) / hyp - 0.5);
    const dx = -Math.ceil((i * p1) / hyp - 0.5);
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) break;
    const ki = k[i]!;
    // shifted(y, x) = src(clamp(y − dy), clamp(x − dx)).
    for (let y = 0; y < h; y++) {
      const sy = Math.min(Math.max(y - dy, 0), h - 1);
      const srow = sy * rowLen;
      const orow = y * rowLen;
      for (let x = 0; x < w; x++) {
        const sx = Math.min(Math.max(x - dx, 0), w - 1);
        const s = srow + sx * c;
        const o = orow + x * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] = out[o + ch]! + ki * src[s + ch]!;
      }
    }
  }
  return out;
}

/** Motion blur at a given angle (degrees); the corruption draws the angle in [−45, 45). */
export function motionBlurAt(image: RgbImage, severity: Severity, angleDeg: number): RgbImage {
  const [radius, sigma] = atSeverity(MOTION_BLUR, severity);
  const { width: w, height: h } = image;
  return fromBytes(w, h, motionBlurArray(image.data, h, w, 3, radius, sigma, angleDeg));
}

export function motionBlur(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  return motionBlurAt(image, severity, rng.range(-45, 45));
}

/** The zoom factors of a severity, as numpy's arange computes them (start + i·((start + step) − start)). */
export function zoomFactors(severity: Severity): number[] {
  const { step, count } = atSeverity(ZOOM_BLUR, severity);
  const delta = 1 + step - 1;
  return Array.from({ length: count }, (_, i) => 1 + i * delta);
}

export function zoomBlur(image: RgbImage, severity: Severity): RgbImage {
  const { width: w, height: h } = image;
  const x = toUnitF32(image);
  const acc = new Float32Array(x.length);
  const factors = zoomFactors(severity);
  for (const z of factors) {
    const ay = zoomAxis(h, z, h);
    const ax = zoomAxis(w, z, w);
    // Each layer value and each running sum is rounded to float32, as numpy does.
    zoomAccumulateRgbF32(x, w, ay, ax, acc);
  }
  const out = new Float32Array(x.length);
  const n = factors.length + 1;
  for (let i = 0; i < x.length; i++) out[i] = Math.fround(x[i]! + acc[i]!) / n;
  return fromUnitF32(w, h, out);
}
