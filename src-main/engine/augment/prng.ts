/**
 * Seeded randomness for augmentation: never Math.random. Each image's parameters come from its own
 * stream, derived from (seed, epoch, index, view), so they do not depend on batch composition,
 * order or size.
 */
import { mulberry32 } from '../../random/prng';

/** Mixes 32-bit integers into one 32-bit seed (murmur3-style finaliser per word). */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    let k = Math.imul(w | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform floats in [0, 1) from FundusLab's seeded generator (mulberry32, src-main/random/prng.ts). */
export class Rng {
  private readonly draw: () => number;
  constructor(seed: number) {
    this.draw = mulberry32(seed);
  }
  static forImage(seed: number, epoch: number, index: number, view = 0): Rng {
    return new Rng(mixSeed(seed, epoch, index, view));
  }
  next(): number {
    return this.draw();
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.min(hi - lo, Math.floor(this.next() * (hi - lo + 1)));
  }
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
  /** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}
