/**
 * Procedural frost textures, standing in for the reference's six frost photographs (the reference
 * picks one of the first five), which FundusLab does not ship or download. Five textures of fixed
 * sizes (landscape, portrait and square, 384–640 px like a cropped photograph), each generated
 * deterministically from its index and cached for the process.
 *
 * How a texture is made (all randomness from `Rng(mixSeedPair(FROST_SEED, index))`):
 * 1. haze: a plasma fractal (the fog's diamond-square, wibble decay 2.2) — the uneven film of
 *    condensation;
 * 2. ice crystals: needles grown from random points in random directions, bending slightly as they
 *    grow; every 3–6 px a needle sprouts side needles at ±60° (the hexagonal habit of ice), each
 *    side with probability 0.7, 35–70 % of the remaining length, fainter at each level. Two layers:
 *    large ferns (one per 12,000 px², 10–30 % of the short side, two levels of branches) and a dense
 *    film of small crystals (one per 250 px², 1–4 % of the short side, one level). Needles are
 *    splatted bilinearly every 0.7 px into a (periodic) density map;
 * 3. the density is softened (Gaussian, sigma 0.7) and saturated, f = 1 − exp(−1.4·density);
 * 4. brightness v = clip(0.15 + 0.35·haze + 0.75·f + grain(±0.03)); colour: a cold blue-white,
 *    (0.84·v, 0.92·v, min(1, v + 0.04)).
 * The result: bright, branching, slightly blue crystals over a frosted haze, mean brightness about
 * 0.45. A photograph of frosted glass looks alike, but its statistics are not the reference's:
 * frost is the one corruption whose output cannot be compared with the reference's numbers.
 */
import { mixSeedPair, Rng } from '../../random/prng';
import { gaussianFilter } from './filters';
import { plasmaFractal, nextPowerOfTwo } from './plasma';

export interface FrostTexture {
  width: number;
  height: number;
  /** RGB, interleaved, row-major. */
  data: Uint8Array;
}

/** Where frost() takes its five textures from (tests inject their own). */
export interface FrostTextureSource {
  /** Distinguishes sources in the resize cache. */
  id: string;
  get(index: number): FrostTexture;
}

export const FROST_TEXTURE_COUNT = 5;
export const FROST_TEXTURE_SIZES: readonly (readonly [number, number])[] = [
  [512, 384],
  [384, 512],
  [512, 512],
  [640, 480],
  [480, 640],
];
const FROST_SEED = 0xf2057;

/** Adds v bilinearly at (x, y) into a periodic w × h map (textures tile without a seam). */
function splat(density: Float64Array, w: number, h: number, x: number, y: number, v: number): void {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  const tx = x - fx;
  const ty = y - fy;
  const x0 = ((fx % w) + w) % w;
  const y0 = ((fy % h) + h) % h;
  const x1 = x0 + 1 === w ? 0 : x0 + 1;
  const y1 = y0 + 1 === h ? 0 : y0 + 1;
  density[y0 * w + x0] = density[y0 * w + x0]! + v * (1 - tx) * (1 - ty);
  density[y0 * w + x1] = density[y0 * w + x1]! + v * tx * (1 - ty);
  density[y1 * w + x0] = density[y1 * w + x0]! + v * (1 - tx) * ty;
  density[y1 * w + x1] = density[y1 * w + x1]! + v * tx * ty;
}

/** Draws a needle and, recursively, its side needles (±60°) into `density`. */
function growNeedle(
  rng: Rng,
  density: Float64Array,
  w: number,
  h: number,
  x0: number,
  y0: number,
  angle: number,
  length: number,
  strength: number,
  depth: number,
  maxDepth: number,
): void {
  const step = 0.7;
  let x = x0;
  let y = y0;
  let a = angle;
  let nextBranch = 3 + rng.next() * 3;
  for (let t = 0; t < length; t += step) {
    splat(density, w, h, x, y, strength * step);
    if (depth < maxDepth && t >= nextBranch) {
      const remaining = length - t;
      for (const side of [-1, 1]) {
        if (rng.chance(0.7))
          growNeedle(
            rng,
            density,
            w,
            h,
            x,
            y,
            a + (side * Math.PI) / 3,
            remaining * (0.35 + 0.35 * rng.next()),
            strength * 0.75,
            depth + 1,
            maxDepth,
          );
      }
      nextBranch = t + 3 + rng.next() * 3;
    }
    a += 0.04 * rng.normal();
    x += step * Math.cos(a);
    y += step * Math.sin(a);
  }
}

/** Generates frost texture `index` (0–4). Deterministic. */
export function generateFrostTexture(index: number): FrostTexture {
  const size = FROST_TEXTURE_SIZES[index];
  if (!size) throw new RangeError(`frost texture index must be 0-${FROST_TEXTURE_COUNT - 1}, got ${index}`);
  const [w, h] = size;
  const rng = new Rng(mixSeedPair(FROST_SEED, index));
  const n = nextPowerOfTwo(Math.max(w, h));
  const plasma = plasmaFractal(rng, n, 2.2);
  const density = new Float64Array(w * h);
  const short = Math.min(w, h);
  // Large branching crystals (ferns), then a dense layer of small ones (the frosted film).
  const ferns = Math.round((w * h) / 12000);
  for (let s = 0; s < ferns; s++) {
    growNeedle(
      rng,
      density,
      w,
      h,
      rng.next() * w,
      rng.next() * h,
      rng.next() * 2 * Math.PI,
      short * (0.1 + 0.2 * rng.next()),
      0.6 + 0.4 * rng.next(),
      0,
      2,
    );
  }
  const grains = Math.round((w * h) / 250);
  for (let s = 0; s < grains; s++) {
    growNeedle(
      rng,
      density,
      w,
      h,
      rng.next() * w,
      rng.next() * h,
      rng.next() * 2 * Math.PI,
      short * (0.01 + 0.03 * rng.next()),
      0.25 + 0.25 * rng.next(),
      0,
      1,
    );
  }
  const soft = gaussianFilter(density, h, w, 1, 0.7, 0.7, 'reflect');
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const f = 1 - Math.exp(-1.4 * soft[i]!);
      const grain = (rng.next() - 0.5) * 0.06;
      const v = Math.min(1, Math.max(0, 0.15 + 0.35 * plasma[y * n + x]! + 0.75 * f + grain));
      data[i * 3] = Math.round(255 * 0.84 * v);
      data[i * 3 + 1] = Math.round(255 * 0.92 * v);
      data[i * 3 + 2] = Math.round(255 * Math.min(1, v + 0.04));
    }
  }
  return { width: w, height: h, data };
}

const cache: (FrostTexture | undefined)[] = [];

/** The five procedural textures, generated on first use. */
export const defaultFrostTextures: FrostTextureSource = {
  id: 'procedural-v1',
  get(index: number): FrostTexture {
    return (cache[index] ??= generateFrostTexture(index));
  },
};
