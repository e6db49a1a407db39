/**
 * The first-layer spectrum as a distribution (docs/design.md "First-layer spectrum"; paper Fig 3b and
 * Table 2).
 *
 * Definition. With λ_1 ≥ … ≥ λ_k the top-k explained variances of the first conv layer, the
 * spectrum is the distribution over component rank r ∈ {1, …, k} with P(r) = λ_r / Σλ. As a
 * *weighted sample* it is the values r with weights λ_r: every statistic below is the one of the
 * plain sample in which rank r is repeated c·λ_r times (c > 0 arbitrary; for integer weights this is
 * exactly `numpy.repeat(r, w)`), so scipy on that repeated sample is the oracle.
 *
 * - Mirrored (for display and kurtosis): values ±r, each with weight λ_r/2 — symmetric around 0,
 *   mean 0. Its density is the probability mass λ_r/(2Σλ) at ±r (a histogram with one unit-wide bin
 *   per rank); rank 0 does not exist, so there is no mass at 0.
 * - Kurtosis: Fisher's (excess) kurtosis with the biased moments, scipy.stats.kurtosis's default
 *   (fisher=True, bias=True), of the mirrored weighted sample: m4/m2² − 3 with m_p = Σ w·x^p / Σ w
 *   (the mean is 0). A normal distribution scores 0; the peaked, heavy-tailed spectra score > 0.
 * - Distribution fitting (fit.ts) uses the one-sided rank sample (r, λ_r): the paper's Pareto fit
 *   needs positive support. Its histogram (for the RSS) has `bins` equal-width bins over [1, k]
 *   (numpy.histogram(r, bins, weights=λ, density=True)); the default bins = k puts each rank in a
 *   bin of its own (k = 100 is also the `fitter` package's default of 100 bins).
 */
import { AppError } from '../../../src-shared/errors';

export interface WeightedSample {
  values: number[];
  weights: number[];
}

/** Ranks 1..k weighted by the eigenvalues (descending order expected; negative weights rejected). */
export function rankSample(eigenvalues: readonly number[]): WeightedSample {
  if (eigenvalues.length === 0) throw new AppError('BAD_REQUEST', 'The first-layer spectrum has no eigenvalues');
  if (eigenvalues.some((l) => !(l >= 0) || !Number.isFinite(l)))
    throw new AppError('BAD_REQUEST', 'Eigenvalues must be finite and non-negative');
  if (!(eigenvalues.reduce((a, b) => a + b, 0) > 0))
    throw new AppError('BAD_REQUEST', 'The first-layer eigenvalues are all 0 (constant activations)');
  return { values: eigenvalues.map((_, i) => i + 1), weights: [...eigenvalues] };
}

/** The mirrored sample: −k..−1, 1..k (ascending), rank r carrying λ_r/2 on each side. */
export function mirroredSample(eigenvalues: readonly number[]): WeightedSample {
  const { values, weights } = rankSample(eigenvalues);
  const k = values.length;
  const v: number[] = [];
  const w: number[] = [];
  for (let i = k - 1; i >= 0; i--) {
    v.push(-values[i]!);
    w.push(weights[i]! / 2);
  }
  for (let i = 0; i < k; i++) {
    v.push(values[i]!);
    w.push(weights[i]! / 2);
  }
  return { values: v, weights: w };
}

/** Mirrored density: x = ±r (ascending), density = λ_r / (2Σλ) (sums to 1 over the 2k points). */
export function mirroredDensity(eigenvalues: readonly number[]): { x: number[]; density: number[] } {
  const { values, weights } = mirroredSample(eigenvalues);
  const total = weights.reduce((a, b) => a + b, 0);
  return { x: values, density: weights.map((w) => w / total) };
}

/** Weighted central moment of order p (biased: divides by Σw). */
function weightedCentralMoment(s: WeightedSample, p: number, mean: number): number {
  let num = 0;
  let den = 0;
  s.values.forEach((x, i) => {
    num += s.weights[i]! * (x - mean) ** p;
    den += s.weights[i]!;
  });
  return num / den;
}

export function weightedMean(s: WeightedSample): number {
  let num = 0;
  let den = 0;
  s.values.forEach((x, i) => {
    num += s.weights[i]! * x;
    den += s.weights[i]!;
  });
  if (!(den > 0)) throw new AppError('BAD_REQUEST', 'Weighted sample with zero total weight');
  return num / den;
}

/** scipy.stats.kurtosis(sample, fisher, bias=True) of a weighted sample (the repeated-sample semantics above). */
export function weightedKurtosis(s: WeightedSample, fisher = true): number {
  const mean = weightedMean(s);
  const m2 = weightedCentralMoment(s, 2, mean);
  const m4 = weightedCentralMoment(s, 4, mean);
  if (m2 === 0) return Number.NaN;
  return m4 / (m2 * m2) - (fisher ? 3 : 0);
}

/** scipy.stats.skew(sample, bias=True) of a weighted sample. */
export function weightedSkew(s: WeightedSample): number {
  const mean = weightedMean(s);
  const m2 = weightedCentralMoment(s, 2, mean);
  const m3 = weightedCentralMoment(s, 3, mean);
  return m2 === 0 ? 0 : m3 / m2 ** 1.5;
}

/** Weighted population variance (numpy.var of the repeated sample). */
export function weightedVariance(s: WeightedSample): number {
  return weightedCentralMoment(s, 2, weightedMean(s));
}

export interface Histogram {
  /** bins + 1 ascending edges. */
  edges: number[];
  /** Bin centres (the points where the fitted pdfs are compared). */
  centres: number[];
  /** Density: weight in the bin / (total weight × bin width); integrates to 1. */
  density: number[];
}

/**
 * numpy.histogram(values, bins, weights, density=True) with equal-width bins over [min, max]
 * (the last bin includes its right edge; numpy's rule for a value on an inner edge: the upper bin).
 */
export function weightedHistogram(s: WeightedSample, bins: number): Histogram {
  if (!Number.isInteger(bins) || bins < 1)
    throw new AppError('BAD_REQUEST', `Histogram bins must be a positive integer, got ${bins}`, [
      { path: 'bins', message: 'positive integer' },
    ]);
  let lo = Math.min(...s.values);
  let hi = Math.max(...s.values);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins; // numpy.linspace(lo, hi, bins + 1)
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step + lo);
  edges[bins] = hi;
  const norm = bins / (hi - lo);
  const mass = new Array<number>(bins).fill(0);
  let total = 0;
  s.values.forEach((x, i) => {
    let b = Math.floor((x - lo) * norm);
    if (b >= bins) b = bins - 1;
    if (b < 0) b = 0;
    // Correct for rounding in the division, as numpy does (compare with the actual edges).
    if (x < edges[b]!) b--;
    else if (b + 1 < bins && x >= edges[b + 1]!) b++;
    mass[b]! += s.weights[i]!;
    total += s.weights[i]!;
  });
  const density = mass.map((m, b) => m / (edges[b + 1]! - edges[b]!) / total);
  const centres = edges.slice(0, -1).map((e, b) => (e + edges[b + 1]!) / 2);
  return { edges, centres, density };
}
