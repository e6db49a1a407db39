/**
 * How far a corrupted image is from its clean version, on the byte scale (0–255):
 * PSNR = 10·log10(255² / MSE) over all values (+∞ when identical), and per channel (R, G, B) the
 * shift of the mean and of the (population) standard deviation, corrupted minus clean. The golden
 * tests compare these with the reference implementation's; the robustness gallery can show them.
 */
import type { RgbImage } from './image';

export interface CorruptionStats {
  psnr: number;
  meanShift: [number, number, number];
  stdShift: [number, number, number];
}

/** Per-channel mean and population standard deviation (two-pass, float64). */
export function channelMoments(image: RgbImage): { mean: [number, number, number]; std: [number, number, number] } {
  const d = image.data;
  const n = image.width * image.height;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < d.length; i += 3) {
    s0 += d[i]!;
    s1 += d[i + 1]!;
    s2 += d[i + 2]!;
  }
  const m0 = s0 / n;
  const m1 = s1 / n;
  const m2 = s2 / n;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  for (let i = 0; i < d.length; i += 3) {
    q0 += (d[i]! - m0) ** 2;
    q1 += (d[i + 1]! - m1) ** 2;
    q2 += (d[i + 2]! - m2) ** 2;
  }
  return { mean: [m0, m1, m2], std: [Math.sqrt(q0 / n), Math.sqrt(q1 / n), Math.sqrt(q2 / n)] };
}

export function psnr(clean: RgbImage, corrupted: RgbImage): number {
  const a = clean.data;
  const b = corrupted.data;
  if (a.length !== b.length) throw new RangeError(`psnr of images of different sizes (${a.length} vs ${b.length} values)`);
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const e = a[i]! - b[i]!;
    se += e * e;
  }
  if (se === 0) return Infinity;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

export function corruptionStats(clean: RgbImage, corrupted: RgbImage): CorruptionStats {
  const c = channelMoments(clean);
  const k = channelMoments(corrupted);
  return {
    psnr: psnr(clean, corrupted),
    meanShift: [k.mean[0] - c.mean[0], k.mean[1] - c.mean[1], k.mean[2] - c.mean[2]],
    stdShift: [k.std[0] - c.std[0], k.std[1] - c.std[1], k.std[2] - c.std[2]],
  };
}
