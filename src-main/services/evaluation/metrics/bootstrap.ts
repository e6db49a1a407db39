/**
 * Stratified bootstrap of the ROC AUC: each replicate resamples the positives (n₁ draws with
 * replacement) and the negatives (n₀ draws) separately, so every replicate has the original class
 * sizes and a defined AUC. Percentile CI: the (1 ∓ level)/2 quantiles of the replicate AUCs with
 * linear interpolation (numpy's default). The paired version resamples the same images for both
 * models and bootstraps AUC_A − AUC_B.
 *
 * Randomness: src-main/random/prng.ts (Rng, mulberry32) from `seed` (default 0) — a given seed gives
 * the same replicates. Per replicate, n₀ negative indices are drawn first, then n₁ positive indices.
 *
 * Cost O(B·n) without re-sorting: each negative's place in the sorted negatives (its lower bound, tied
 * scores share it) and each positive's lower/upper bound are found once; a replicate counts how often
 * each place was drawn, takes prefix sums, and a drawn positive adds (#drawn negatives below + ½ tied)
 * = cum[lower] + cum[upper] (doubled, exact integers).
 */
import { Rng } from '../../../random/prng';
import { lowerBound, splitByClass, upperBound } from './ranks';
import { checkBinary, checkLevel, checkScores, fail, type BinaryLabels } from './validate';

export interface BootstrapOptions {
  /** Number of replicates B; default 2000. */
  replicates?: number;
  /** PRNG seed; default 0. */
  seed?: number;
  /** CI level; default 0.95. */
  level?: number;
}

export interface BootstrapResult {
  /** The statistic on the original sample (AUC, or AUC_A − AUC_B). */
  estimate: number;
  lower: number;
  upper: number;
  level: number;
  /** Mean and standard deviation (n − 1) of the replicates. */
  mean: number;
  sd: number;
  replicates: number;
  seed: number;
  /** Every replicate's statistic, in draw order. */
  samples: Float64Array;
}

/** numpy.quantile(x, q) with the default linear interpolation, on an ascending array. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return a + (h - lo) * (b - a);
}

interface Prepared {
  /** Place (lower bound in the sorted negatives) of each negative, input order. */
  negPlace: Uint32Array;
  posLo: Uint32Array;
  posHi: Uint32Array;
}

function prepare(pos: Float64Array, neg: Float64Array): Prepared {
  const sortedNeg = neg.slice().sort();
  const negPlace = new Uint32Array(neg.length);
  for (let j = 0; j < neg.length; j++) negPlace[j] = lowerBound(sortedNeg, neg[j]!);
  const posLo = new Uint32Array(pos.length);
  const posHi = new Uint32Array(pos.length);
  for (let i = 0; i < pos.length; i++) {
    posLo[i] = lowerBound(sortedNeg, pos[i]!);
    posHi[i] = upperBound(sortedNeg, pos[i]!);
  }
  return { negPlace, posLo, posHi };
}

function summarise(estimate: number, samples: Float64Array, level: number, seed: number): BootstrapResult {
  const b = samples.length;
  let mean = 0;
  for (let k = 0; k < b; k++) mean += samples[k]!;
  mean /= b;
  let ss = 0;
  for (let k = 0; k < b; k++) ss += (samples[k]! - mean) ** 2;
  const sorted = samples.slice().sort();
  const alpha = (1 - level) / 2;
  return {
    estimate,
    lower: quantileSorted(sorted, alpha),
    upper: quantileSorted(sorted, 1 - alpha),
    level,
    mean,
    sd: b > 1 ? Math.sqrt(ss / (b - 1)) : 0,
    replicates: b,
    seed,
    samples,
  };
}

function options(fn: string, o: BootstrapOptions): { replicates: number; seed: number; level: number } {
  const replicates = o.replicates ?? 2000;
  const seed = o.seed ?? 0;
  const level = o.level ?? 0.95;
  if (!Number.isInteger(replicates) || replicates < 1) fail(fn, `replicates must be a positive integer, got ${replicates}`);
  if (!Number.isInteger(seed)) fail(fn, `seed must be an integer, got ${seed}`);
  checkLevel(fn, level);
  return { replicates, seed, level };
}

/** Runs B replicates for one model, or two models sharing the same resampled images. */
function run(models: [Prepared] | [Prepared, Prepared], n1: number, n0: number, replicates: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  const denom = 2 * n1 * n0;
  const [pa, pb] = models;
  const outA = new Float64Array(replicates);
  const outB = new Float64Array(pb ? replicates : 0);
  // cum[t] (after the prefix sum) = #drawn negatives whose place is < t.
  const cumA = new Int32Array(n0 + 1);
  const cumB = new Int32Array(pb ? n0 + 1 : 0);
  const { negPlace: placeA, posLo: loA, posHi: hiA } = pa;
  for (let r = 0; r < replicates; r++) {
    cumA.fill(0);
    if (pb) {
      cumB.fill(0);
      const placeB = pb.negPlace;
      for (let k = 0; k < n0; k++) {
        const j = Math.floor(rng.next() * n0);
        cumA[placeA[j]! + 1]!++;
        cumB[placeB[j]! + 1]!++;
      }
      for (let t = 1; t <= n0; t++) {
        cumA[t]! += cumA[t - 1]!;
        cumB[t]! += cumB[t - 1]!;
      }
      const loB = pb.posLo;
      const hiB = pb.posHi;
      let sa = 0;
      let sb = 0;
      for (let k = 0; k < n1; k++) {
        const i = Math.floor(rng.next() * n1);
        sa += cumA[loA[i]!]! + cumA[hiA[i]!]!;
        sb += cumB[loB[i]!]! + cumB[hiB[i]!]!;
      }
      outA[r] = sa / denom;
      outB[r] = sb / denom;
    } else {
      for (let k = 0; k < n0; k++) cumA[placeA[Math.floor(rng.next() * n0)]! + 1]!++;
      for (let t = 1; t <= n0; t++) cumA[t]! += cumA[t - 1]!;
      let sa = 0;
      for (let k = 0; k < n1; k++) {
        const i = Math.floor(rng.next() * n1);
        sa += cumA[loA[i]!]! + cumA[hiA[i]!]!;
      }
      outA[r] = sa / denom;
    }
  }
  return pb ? [outA, outB] : [outA];
}

/** Stratified bootstrap percentile CI of the AUC (default B = 2000, seed 0, 95 %). */
export function bootstrapAuc(labels: BinaryLabels, scores: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapResult {
  const fn = 'bootstrapAuc';
  const o = options(fn, opts);
  const x = checkBinary(fn, labels, scores);
  const { pos, neg } = splitByClass(x.labels, x.scores, x.nPositive);
  const p = prepare(pos, neg);
  const estimate = sumPrepared(p, x.nPositive, x.nNegative);
  const [samples] = run([p], x.nPositive, x.nNegative, o.replicates, o.seed);
  return summarise(estimate, samples!, o.level, o.seed);
}

/** AUC of the original sample from the prepared bounds. */
function sumPrepared(p: Prepared, n1: number, n0: number): number {
  let s = 0;
  for (let i = 0; i < n1; i++) s += p.posLo[i]! + p.posHi[i]!;
  return s / (2 * n1 * n0);
}

export interface PairedBootstrapResult extends BootstrapResult {
  aucA: number;
  aucB: number;
}

/** Stratified paired bootstrap percentile CI of AUC_A − AUC_B (same resampled images for both). */
export function pairedBootstrapAuc(
  labels: BinaryLabels,
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  opts: BootstrapOptions = {},
): PairedBootstrapResult {
  const fn = 'pairedBootstrapAuc';
  const o = options(fn, opts);
  const x = checkBinary(fn, labels, scoresA);
  const sb = checkScores(fn, 'scoresB', scoresB, x.labels.length);
  const a = splitByClass(x.labels, x.scores, x.nPositive);
  const b = splitByClass(x.labels, sb, x.nPositive);
  const pa = prepare(a.pos, a.neg);
  const pb = prepare(b.pos, b.neg);
  const aucA = sumPrepared(pa, x.nPositive, x.nNegative);
  const aucB = sumPrepared(pb, x.nPositive, x.nNegative);
  const [sa, sbs] = run([pa, pb], x.nPositive, x.nNegative, o.replicates, o.seed);
  const diff = new Float64Array(o.replicates);
  for (let r = 0; r < o.replicates; r++) diff[r] = sa![r]! - sbs![r]!;
  return { ...summarise(aucA - aucB, diff, o.level, o.seed), aucA, aucB };
}
