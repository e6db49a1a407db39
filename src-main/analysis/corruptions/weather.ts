/**
 * The weather corruptions of the reference (`imagecorruptions.corruptions`) and spatter:
 *
 * - snow: a layer N(c₀, c₁²) (one normal per pixel, row-major), centre-zoomed by c₂ (scipy order 1,
 *   full zoomed size), zeroed below c₃, clipped, motion-blurred (radius c₄, sigma c₅, angle drawn
 *   in [−135°, −45°) after the layer), rounded to bytes; the image is blended c₆·x + (1 − c₆)·max(x,
 *   1.5·grey + 0.5) (OpenCV's RGB→grey, float32) and the layer and its 180° rotation are added.
 * - frost: c₀·x + c₁·frost, clipped to bytes, where frost is a crop of one of five frost textures
 *   chosen uniformly (index drawn first), bicubically rescaled (cv2 INTER_CUBIC) by the reference's
 *   rule — by 1.1 if the texture covers the image, else by 1.1 × the covering ratio — at an
 *   offset drawn uniformly (row, then column). The reference's textures are photographs; FundusLab
 *   uses procedural ones (frost-texture.ts).
 * - fog: x + c₀·plasma (one plasma fractal of side next_pow2(max(H, W)), wibble decay c₁, shared by
 *   the channels), rescaled by max(x)/(max(x) + c₀).
 * - spatter: a liquid layer N(c₀, c₁²) smoothed by a Gaussian (sigma c₂, 'nearest') and zeroed
 *   below c₃. Water (severities 1–3): the layer as bytes, its Canny edges (50, 150), the chamfer
 *   distance to them (cv2 DIST_L2, mask 5) truncated at 20, box-blurred, histogram-equalised,
 *   embossed, box-blurred again; mask m = layer·that, scaled to max 1, times c₄; pale turquoise
 *   (175, 238, 238)/255 · m added (float32). Mud (severities 4–5): m = Gaussian(layer > c₃, sigma c₄)
 *   zeroed below 0.8; x·(1 − m) + mud brown (63, 42, 20)/255 · m. (A water mask that is zero
 *   everywhere — no liquid above the threshold — leaves the image unchanged; the reference divides
 *   0 by 0 there and returns a black image.)
 */
import type { Rng } from '../../random/prng';
import { motionBlurArray } from './blur';
import { boxBlur3F32, boxBlur3U8, canny, distanceTransformL2Mask5, equalizeHist, filter2D3x3U8 } from './cv';
import { gaussianFilter } from './filters';
import { type FrostTextureSource, defaultFrostTextures } from './frost-texture';
import { fromBytes, fromUnit, fromUnitF32, toUnit, toUnitF32, type RgbImage } from './image';
import { roundHalfEven } from './numeric';
import { FOG, FROST, SNOW, SPATTER } from './params';
import { nextPowerOfTwo, plasmaFractal } from './plasma';
import { normalField } from './random';
import { clippedZoom, cvResizeCubic8u } from './resample';
import { atSeverity, type Severity } from './severity';

const f32 = Math.fround;

/** OpenCV's COLOR_RGB2GRAY on float32 values: 0.299·R + 0.587·G + 0.114·B in float32. */
function greyF32(r: number, g: number, b: number): number {
  return f32(f32(f32(r * f32(0.299)) + f32(g * f32(0.587))) + f32(b * f32(0.114)));
}

export function snow(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const [loc, scale, zoom, threshold, radius, sigma, weight] = atSeverity(SNOW, severity);
  const { width: w, height: h } = image;
  const x = toUnitF32(image);
  const layer = normalField(rng, h * w, loc, scale);
  const zoomed = clippedZoom(layer, h, w, 1, zoom);
  const z = zoomed.data;
  for (let i = 0; i < z.length; i++) {
    const v = z[i]! < threshold ? 0 : z[i]!;
    z[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  const angle = rng.range(-135, -45);
  const blurred = motionBlurArray(z, zoomed.height, zoomed.width, 1, radius, sigma, angle);
  const snowAt = (y: number, xx: number): number => roundHalfEven(blurred[y * zoomed.width + xx]! * 255) / 255;
  const wx = f32(weight);
  const wm = f32(1 - weight);
  const out = new Float64Array(x.length);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const p = (y * w + xx) * 3;
      const t = f32(f32(greyF32(x[p]!, x[p + 1]!, x[p + 2]!) * 1.5) + 0.5);
      const s = snowAt(y, xx);
      const sr = snowAt(h - 1 - y, w - 1 - xx);
      for (let ch = 0; ch < 3; ch++) {
        const v = x[p + ch]!;
        const blend = f32(f32(wx * v) + f32(wm * Math.max(v, t)));
        out[p + ch] = blend + s + sr;
      }
    }
  }
  return fromUnit(w, h, out);
}

/** Resized frost textures, keyed by texture index and size (a job corrupts many images of one size). */
const resizedFrost = new Map<string, Uint8Array>();
const RESIZED_FROST_CACHE = 16;

export function frost(image: RgbImage, severity: Severity, rng: Rng, textures: FrostTextureSource = defaultFrostTextures): RgbImage {
  const [a, b] = atSeverity(FROST, severity);
  const { width: w, height: h } = image;
  const index = rng.int(0, 4);
  const tex = textures.get(index);
  const fh = tex.height;
  const fw = tex.width;
  let s = 1;
  if (fh >= h && fw >= w) s = 1;
  else if (fh < h && fw >= w) s = h / fh;
  else if (fh >= h && fw < w) s = w / fw;
  else s = Math.max(h / fh, w / fw);
  s *= 1.1;
  const nw = Math.ceil(fw * s);
  const nh = Math.ceil(fh * s);
  const key = `${textures.id}:${index}:${nw}x${nh}`;
  let resized = resizedFrost.get(key);
  if (!resized) {
    resized = cvResizeCubic8u(tex.data, fw, fh, 3, nw, nh);
    if (resizedFrost.size >= RESIZED_FROST_CACHE) resizedFrost.delete(resizedFrost.keys().next().value!);
    resizedFrost.set(key, resized);
  }
  const top = rng.int(0, nh - h - 1);
  const left = rng.int(0, nw - w - 1);
  const src = image.data;
  const out = new Float64Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const p = (y * w + xx) * 3;
      const q = ((top + y) * nw + left + xx) * 3;
      for (let ch = 0; ch < 3; ch++) out[p + ch] = a * src[p + ch]! + b * resized[q + ch]!;
    }
  }
  return fromBytes(w, h, out);
}

export function fog(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const [strength, decay] = atSeverity(FOG, severity);
  const { width: w, height: h } = image;
  const x = toUnit(image);
  let maxVal = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > maxVal) maxVal = x[i]!;
  const n = nextPowerOfTwo(Math.max(h, w, 3));
  const plasma = plasmaFractal(rng, n, decay);
  const denom = maxVal + strength;
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const add = strength * plasma[y * n + xx]!;
      const p = (y * w + xx) * 3;
      for (let ch = 0; ch < 3; ch++) x[p + ch] = ((x[p + ch]! + add) * maxVal) / denom;
    }
  }
  return fromUnit(w, h, x);
}

const EMBOSS = [-2, -1, 0, -1, 1, 1, 0, 1, 2] as const;

export function spatter(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const [loc, scale, sigma, threshold, intensity, mud] = atSeverity(SPATTER, severity);
  const { width: w, height: h } = image;
  const n = w * h;
  const x = toUnitF32(image);
  const liquid = gaussianFilter(normalField(rng, n, loc, scale), h, w, 1, sigma, sigma, 'nearest');
  for (let i = 0; i < n; i++) if (liquid[i]! < threshold) liquid[i] = 0;
  if (mud === 0) {
    const l8 = new Uint8Array(n);
    for (let i = 0; i < n; i++) l8[i] = Math.trunc(liquid[i]! * 255) & 255;
    const edges = canny(l8, h, w, 50, 150);
    for (let i = 0; i < n; i++) edges[i] = 255 - edges[i]!;
    const dist = distanceTransformL2Mask5(edges, h, w);
    for (let i = 0; i < n; i++) if (dist[i]! > 20) dist[i] = 20;
    const blurred = boxBlur3F32(dist, h, w);
    const d8 = new Uint8Array(n);
    for (let i = 0; i < n; i++) d8[i] = Math.trunc(blurred[i]!);
    const d2 = boxBlur3U8(filter2D3x3U8(equalizeHist(d8), h, w, EMBOSS), h, w);
    const m = new Float32Array(n);
    let max = 0;
    for (let i = 0; i < n; i++) {
      m[i] = l8[i]! * d2[i]!;
      if (m[i]! > max) max = m[i]!;
    }
    if (max === 0) return { width: w, height: h, data: Uint8Array.from(image.data) };
    const k = f32(intensity);
    for (let i = 0; i < n; i++) m[i] = f32(f32(m[i]! / max) * k);
    const colour = [f32(175 / 255), f32(238 / 255), f32(238 / 255)];
    const out = new Float32Array(x.length);
    for (let i = 0; i < n; i++) for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] = f32(x[i * 3 + ch]! + f32(m[i]! * colour[ch]!));
    return fromUnitF32(w, h, out);
  }
  const mask = new Float64Array(n);
  for (let i = 0; i < n; i++) mask[i] = liquid[i]! > threshold ? 1 : 0;
  const mg = gaussianFilter(mask, h, w, 1, intensity, intensity, 'nearest', 4, true);
  for (let i = 0; i < n; i++) if (mg[i]! < 0.8) mg[i] = 0;
  const colour = [63 / 255, 42 / 255, 20 / 255];
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    const keep = f32(1 - mg[i]!);
    for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] = f32(x[i * 3 + ch]! * keep) + colour[ch]! * mg[i]!;
  }
  return fromUnit(w, h, out);
}
