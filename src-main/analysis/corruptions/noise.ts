/**
 * The four noise corruptions of the reference (`imagecorruptions.corruptions`), on x = bytes / 255:
 *
 * - gaussian_noise: clip(x + N(0, c²)) — one normal per value (HWC order);
 * - shot_noise: clip(Poisson(x·c) / c) — one uniform per value, Poisson by inversion of the CDF of
 *   λ = x·c (the same distribution as numpy's sampler, different stream);
 * - impulse_noise: skimage's `random_noise(mode='s&p', amount=c)`: each value independently
 *   becomes 1 with probability c/2 and 0 with probability c/2 — one uniform per value u: u < c/2 → 1,
 *   c/2 ≤ u < c → 0 (skimage draws two Bernoulli fields; same joint distribution);
 * - speckle_noise: clip(x + x·N(0, c²)) — one normal per value.
 */
import type { Rng } from '../../random/prng';
import { fromUnit, type RgbImage } from './image';
import { GAUSSIAN_NOISE, IMPULSE_NOISE, SHOT_NOISE, SPECKLE_NOISE } from './params';
import { poissonCdf, poissonFromCdf } from './random';
import { atSeverity, type Severity } from './severity';

export function gaussianNoise(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const c = atSeverity(GAUSSIAN_NOISE, severity);
  const src = image.data;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255 + c * rng.normal();
  return fromUnit(image.width, image.height, out);
}

export function shotNoise(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const c = atSeverity(SHOT_NOISE, severity);
  // One CDF table per byte value (λ = (v/255)·c), built on first use.
  const tables: (Float64Array | undefined)[] = new Array(256);
  const src = image.data;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    const cdf = (tables[v] ??= poissonCdf((v / 255) * c));
    out[i] = poissonFromCdf(cdf, rng.next()) / c;
  }
  return fromUnit(image.width, image.height, out);
}

export function impulseNoise(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const c = atSeverity(IMPULSE_NOISE, severity);
  const half = c / 2;
  const src = image.data;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const u = rng.next();
    out[i] = u < half ? 1 : u < c ? 0 : src[i]! / 255;
  }
  return fromUnit(image.width, image.height, out);
}

export function speckleNoise(image: RgbImage, severity: Severity, rng: Rng): RgbImage {
  const c = atSeverity(SPECKLE_NOISE, severity);
  const src = image.data;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = src[i]! / 255;
    out[i] = x + x * (c * rng.normal());
  }
  return fromUnit(image.width, image.height, out);
}
