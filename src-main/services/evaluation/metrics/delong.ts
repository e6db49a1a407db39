/**
 * DeLong, DeLong & Clarke-Pearson (1988) variance of the ROC AUC and the paired test of two AUCs on
 * the same images, in the fast O(n log n) form of Sun & Xu (2014). Placement values:
 *   V10(x_i) = (#negatives < x_i + ½ #negatives = x_i) / n₀    for each positive x_i,
 *   V01(y_j) = (#positives > y_j + ½ #positives = y_j) / n₁    for each negative y_j
 * (mid-rank differences; see ranks.ts), AUC = mean V10 = mean V01, and
 *   Var(AUC) = S10/n₁ + S01/n₀,  S = sample (co)variance (denominator n − 1) of the placements.
 * For two models the same formula with covariances gives Var(AUC_A − AUC_B); z = ΔAUC / √Var and
 * p = erfc(|z|/√2) (two-sided).
 *
 * Needs ≥ 2 positives and ≥ 2 negatives (the sample variance is undefined otherwise).
 * Perfect separation (AUC 0 or 1) has variance 0: the CI is [AUC, AUC]. In the paired test a zero
 * variance of the difference gives z = 0, p = 1 when the AUCs are equal and z = ±∞, p = 0 otherwise
 * (numpy's reference formula gives NaN / inf there).
 *
 * CIs: 'normal' (default, as pROC): AUC ± z_{(1+level)/2}·SE, clipped to [0, 1]. 'logit': the same
 * on logit(AUC) with SE/(AUC(1 − AUC)) (delta method), mapped back — stays inside (0, 1) and is
 * asymmetric near the ends.
 */
import { normalQuantile, twoSidedP } from './normal';
import { placements, splitByClass } from './ranks';
import { checkBinary, checkLevel, checkScores, fail, type BinaryLabels } from './validate';

export type CiMethod = 'normal' | 'logit';

export interface DeLongResult {
  auc: number;
  variance: number;
  se: number;
  nPositive: number;
  nNegative: number;
}

export interface DeLongCi extends DeLongResult {
  level: number;
  method: CiMethod;
  lower: number;
  upper: number;
}

export interface PairedDeLongResult {
  aucA: number;
  aucB: number;
  /** aucA − aucB. */
  difference: number;
  varianceA: number;
  varianceB: number;
  covariance: number;
  /** Var(aucA − aucB) = varianceA + varianceB − 2·covariance. */
  varianceDifference: number;
  /** Signed: difference / √varianceDifference. */
  z: number;
  /** Two-sided p-value. */
  p: number;
  /** Normal CI of the difference at `level`. */
  level: number;
  lower: number;
  upper: number;
  nPositive: number;
  nNegative: number;
}

interface Components {
  auc: number;
  v10: Float64Array;
  v01: Float64Array;
}

function components(pos: Float64Array, neg: Float64Array): Components {
  const n1 = pos.length;
  const n0 = neg.length;
  const pl = placements(pos, neg);
  const v10 = pl.posCount2;
  const v01 = pl.negCount2;
  for (let i = 0; i < n1; i++) v10[i] = v10[i]! / (2 * n0);
  for (let j = 0; j < n0; j++) v01[j] = v01[j]! / (2 * n1);
  return { auc: pl.sum2 / (2 * n1 * n0), v10, v01 };
}

/** Σ(a − ma)(b − mb)/(n − 1) with the exact means supplied. */
function coVariance(a: Float64Array, ma: number, b: Float64Array, mb: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - ma) * (b[i]! - mb);
  return s / (a.length - 1);
}

function aucVariance(c: Components): number {
  return coVariance(c.v10, c.auc, c.v10, c.auc) / c.v10.length + coVariance(c.v01, c.auc, c.v01, c.auc) / c.v01.length;
}

/** AUC with its DeLong variance and standard error. */
export function delongVariance(labels: BinaryLabels, scores: ArrayLike<number>): DeLongResult {
  const x = checkBinary('delongVariance', labels, scores, 2);
  const { pos, neg } = splitByClass(x.labels, x.scores, x.nPositive);
  const c = components(pos, neg);
  const variance = aucVariance(c);
  return { auc: c.auc, variance, se: Math.sqrt(variance), nPositive: x.nPositive, nNegative: x.nNegative };
}

/** CI from an AUC and its standard error (exported for callers that already have both). */
export function aucCi(auc: number, se: number, level = 0.95, method: CiMethod = 'normal'): { lower: number; upper: number } {
  checkLevel('aucCi', level);
  const z = normalQuantile(0.5 + level / 2);
  if (se === 0) return { lower: auc, upper: auc };
  if (method === 'normal') return { lower: Math.max(0, auc - z * se), upper: Math.min(1, auc + z * se) };
  if (method !== 'logit') fail('aucCi', `unknown CI method ${String(method)}`);
  const l = Math.log(auc / (1 - auc));
  const h = (z * se) / (auc * (1 - auc));
  const expit = (t: number) => 1 / (1 + Math.exp(-t));
  return { lower: expit(l - h), upper: expit(l + h) };
}

/** AUC with its DeLong CI (default 95 %, normal approximation clipped to [0, 1]). */
export function delongCi(labels: BinaryLabels, scores: ArrayLike<number>, options: { level?: number; method?: CiMethod } = {}): DeLongCi {
  const level = options.level ?? 0.95;
  const method = options.method ?? 'normal';
  checkLevel('delongCi', level);
  const r = delongVariance(labels, scores);
  return { ...r, level, method, ...aucCi(r.auc, r.se, level, method) };
}

/** Paired DeLong test of two score vectors on the same images (H0: equal AUCs). */
export function pairedDelongTest(
  labels: BinaryLabels,
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  options: { level?: number } = {},
): PairedDeLongResult {
  const fn = 'pairedDelongTest';
  const level = options.level ?? 0.95;
  checkLevel(fn, level);
  const x = checkBinary(fn, labels, scoresA, 2);
  const sb = checkScores(fn, 'scoresB', scoresB, x.labels.length);
  const a = splitByClass(x.labels, x.scores, x.nPositive);
  const b = splitByClass(x.labels, sb, x.nPositive);
  const ca = components(a.pos, a.neg);
  const cb = components(b.pos, b.neg);
  const n1 = x.nPositive;
  const n0 = x.nNegative;
  const varianceA = aucVariance(ca);
  const varianceB = aucVariance(cb);
  const covariance = coVariance(ca.v10, ca.auc, cb.v10, cb.auc) / n1 + coVariance(ca.v01, ca.auc, cb.v01, cb.auc) / n0;
  // Var of the difference from the differences of the placements (no cancellation for similar models).
  const difference = ca.auc - cb.auc;
  const d10 = new Float64Array(n1);
  const d01 = new Float64Array(n0);
  for (let i = 0; i < n1; i++) d10[i] = ca.v10[i]! - cb.v10[i]!;
  for (let j = 0; j < n0; j++) d01[j] = ca.v01[j]! - cb.v01[j]!;
  const varianceDifference = Math.max(
    0,
    coVariance(d10, difference, d10, difference) / n1 + coVariance(d01, difference, d01, difference) / n0,
  );
  let z: number;
  if (varianceDifference > 0) z = difference / Math.sqrt(varianceDifference);
  else z = difference === 0 ? 0 : difference > 0 ? Infinity : -Infinity;
  const half = normalQuantile(0.5 + level / 2) * Math.sqrt(varianceDifference);
  return {
    aucA: ca.auc,
    aucB: cb.auc,
    difference,
    varianceA,
    varianceB,
    covariance,
    varianceDifference,
    z,
    p: twoSidedP(z),
    level,
    lower: difference - half,
    upper: difference + half,
    nPositive: n1,
    nNegative: n0,
  };
}
