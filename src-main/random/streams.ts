/**
 * Seeded streams keyed by several integers: `hashSeeds(seed, epoch, index, …)` hashes the words into
 * one 32-bit seed (murmur3-style), and `StreamRng` draws uniform numbers from it (mulberry32,
 * prng.ts). Augmentation takes each image's parameters from its own stream, derived from (seed,
 * epoch, index, view), so they do not depend on batch composition, order or size; training
 * shuffles, projection-head and queue initialisation and the corrupted images of the robustness
 * analysis are keyed the same way. These streams are part of what the golden and resume tests pin
 * down: changing either function changes every trained model.
 *
 * (prng.ts's `mixSeedPair` and `Rng` are a different pair of streams, used by the demo data, the
 * splits' helpers, bootstrap and the corruptions; the two never mix.)
 */
import { mulberry32 } from './prng';

/** Mixes 32-bit integers into one 32-bit seed (murmur3-style finaliser per word). */
export function hashSeeds(...words: number[]): number {
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

/** Uniform floats in [0, 1) from FundusLab's seeded generator (mulberry32, prng.ts), keyed by hashSeeds. */
export class StreamRng {
  private readonly draw: () => number;
  constructor(seed: number) {
    this.draw = mulberry32(seed);
  }
  static forImage(seed: number, epoch: number, index: number, view = 0): StreamRng {
    return new StreamRng(hashSeeds(seed, epoch, index, view));
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
