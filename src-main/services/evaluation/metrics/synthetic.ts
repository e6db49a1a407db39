/**
 * Seeded synthetic referable-DR scores for benchmarks and tests (not for science): labels with a
 * given prevalence and two correlated models A and B (binormal on the logit scale, B less
 * separating), mapped to (0, 1) and rounded to `decimals` so that ties are as frequent as in
 * real exported probabilities.
 */
import { Rng } from '../../../random/prng';

export interface SyntheticScores {
  labels: Uint8Array;
  a: Float64Array;
  b: Float64Array;
}

export function syntheticScores(
  n: number,
  options: { prevalence?: number; decimals?: number; seed?: number; separation?: number } = {},
): SyntheticScores {
  const { prevalence = 0.2, decimals = 4, seed = 1, separation = 1.5 } = options;
  const rng = new Rng(seed);
  const labels = new Uint8Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const scale = 10 ** decimals;
  const round = (p: number) => Math.round(p * scale) / scale;
  for (let i = 0; i < n; i++) {
    const y = rng.next() < prevalence ? 1 : 0;
    labels[i] = y;
    const shared = rng.normal();
    const za = separation * y - separation / 2 + 0.8 * shared + 0.6 * rng.normal();
    const zb = 0.8 * separation * y - separation / 2 + 0.8 * shared + 0.6 * rng.normal();
    a[i] = round(1 / (1 + Math.exp(-za)));
    b[i] = round(1 / (1 + Math.exp(-zb)));
  }
  if (n >= 2) {
    labels[0] = 1;
    labels[1] = 0;
  }
  return { labels, a, b };
}
