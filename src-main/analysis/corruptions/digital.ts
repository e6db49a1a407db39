/**
 * The "digital" corruptions of the reference (`imagecorruptions.corruptions`) plus saturate:
 *
 * - brightness: V += c in skimage's HSV, clipped to [0, 1];
 * - contrast: (x − m)·c + m with m each channel's mean (numpy's sequential sum over the pixels);
 * - saturate: S ← clip(S·c₀ + c₁) in skimage's HSV;
 * - elastic_transform: displacement fields dx, dy = Gaussian(U(±0.005·H), sigma 0.01·(H, W),
 *   mode 'reflect', truncate 3)·alpha (float32), drawn dx first, then bilinear resampling at
 *   (y + dy, x + dx) with scipy's map_coordinates(order=1, mode='reflect'); float32 as the reference;
 * - pixelate: Pillow BOX downscale to (⌊W·c⌋, ⌊H·c⌋), then NEAREST back;
 * - jpeg_compression: JPEG at the reference's quality with 4:2:0 chroma subsampling (Pillow's
 *   default) and baseline Huffman tables, decoded again — through sharp (libvips with
 *   libjpeg-turbo-compatible defaults, the same quantisation tables as Pillow's libjpeg).
 */
import sharp from 'sharp';
import type { Rng } from '../../random/prng';
import { hsvToRgbInPlace, rgbToHsvInPlace } from './color';
import { gaussianFilter } from './filters';
import { fromUnit, fromUnitF32, toUnit, toUnitF32, type RgbImage } from './image';
import { BRIGHTNESS, CONTRAST, ELASTIC_TRANSFORM, JPEG_COMPRESSION, PIXELATE, SATURATE } from './params';
import { uniformField } from './random';
import { pilBoxResize, pilNearestResize, sampleReflect } from './resample';
import { atSeverity, type Severity } from './severity';

export function brightness(image: RgbImage, severity: Severity): RgbImage {
  const c = atSeverity(BRIGHTNESS, severity);
  const x = toUnit(image);
  rgbToHsvInPlace(x);
  for (let i = 2; i < x.length; i += 3) x[i] = Math.min(Math.max(x[i]! + c, 0), 1);
  hsvToRgbInPlace(x);
  return fromUnit(image.width, image.height, x);
}

export function contrast(image: RgbImage, severity: Severity): RgbImage {
  const c = atSeverity(CONTRAST, severity);
  const x = toUnit(image);
  const n = image.width * image.height;
  const sums = [0, 0, 0];
  for (let i = 0; i < x.length; i += 3) {
    sums[0]! += x[i]!;
    sums[1]! += x[i + 1]!;
    sums[2]! += x[i + 2]!;
  }
  const means = sums.map((s) => s / n);
  for (let i = 0; i < x.length; i++) {
    const m = means[i % 3]!;
    x[i] = (x[i]! - m) * c + m;
  }
  return fromUnit(image.width, image.height, x);
}

export function saturate(image: RgbImage, severity: Severity): RgbImage {
  const [mul, add] = atSeverity(SATURATE, severity);
  const x = toUnit(image);
  rgbToHsvInPlace(x);
  for (let i = 1; i < x.length; i += 3) x[i] = Math.min(Math.max(x[i]! * mul + add, 0), 1);
  hsvToRgbInPlace(x);
  return fromUnit(image.width, image.height, x);
}

/** The elastic displacement fields (float32 values), dx drawn before dy. */
export function elasticField(rng: Rng, h: number, w: number, severity: Severity): { dx: Float32Array; dy: Float32Array } {
  const alpha = atSeverity(ELASTIC_TRANSFORM, severity);
  const sigmaY = h * 0.01;
  const sigmaX = w * 0.01;
  const maxD = h * 0.005;
  const field = (): Float32Array => {
    const u = uniformField(rng, h * w, -maxD, maxD);
    const g = gaussianFilter(u, h, w, 1, sigmaY, sigmaX, 'reflect', 3);
    const out = new Float32Array(h * w);
    for (let i = 0; i < out.length; i++) out[i] = g[i]! * alpha;
    return out;
  };
  const dx = field();
  const dy = field();
  return { dx, dy };
}

export function elasticTransform(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const { width: w, height: h } = image;
  const { dx, dy } = elasticField(rng, h, w, severity);
  const x = toUnitF32(image);
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const p = y * w + xx;
      const yc = y + dy[p]!;
      const xc = xx + dx[p]!;
      for (let ch = 0; ch < 3; ch++) out[p * 3 + ch] = sampleReflect(x, h, w, 3, yc, xc, ch);
    }
  }
  return fromUnitF32(w, h, out);
}

export function pixelate(image: RgbImage, severity: Severity): RgbImage {
  const c = atSeverity(PIXELATE, severity);
  const { width: w, height: h } = image;
  const sw = Math.trunc(w * c);
  const sh = Math.trunc(h * c);
  const small = pilBoxResize(image.data, w, h, sw, sh);
  return { width: w, height: h, data: pilNearestResize(small, sw, sh, w, h) };
}

export async function jpegCompression(image: RgbImage, severity: Severity): Promise<RgbImage> {
  const quality = atSeverity(JPEG_COMPRESSION, severity);
  const { width, height } = image;
  const encoded = await sharp(image.data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false, optimiseCoding: false, progressive: false })
    .toBuffer();
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`JPEG round trip changed the image to ${info.width}×${info.height}×${info.channels}`);
  }
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
