/**
 * ROC AUC and ROC curve for binary labels (1 = referable DR) and a score (P(referable)).
 *
 * rocAuc is the Mann–Whitney statistic with mid-ranks: the fraction of (positive, negative) pairs
 * ordered correctly, ties counting ½. The count is an exact integer (kept doubled), so the AUC is the
 * correctly rounded value of U/(n₁n₀); it equals sklearn.metrics.roc_auc_score (a trapezoid sum over
 * roc_curve) to ≤ 1e-15 (golden test).
 *
 * rocCurve reproduces sklearn.metrics.roc_curve (pos_label 1, no sample weights) operation for
 * operation: thresholds are the distinct scores in decreasing order (a sample is called positive when
 * score ≥ threshold); with dropIntermediate, points collinear with both neighbours on a horizontal or
 * vertical segment are dropped (sklearn: keep i where the second difference of fps or tps is
 * non-zero, plus the two ends); then (0, 0) is prepended with threshold
 *   - 'max+1' (default): thresholds[0] + 1, as scikit-learn ≤ 1.2 (Debian's 1.2.1, used for the
 *     golden fixtures). Finite, so the curve survives JSON; for probabilities it is 1 + max score.
 *   - 'inf': +Infinity, as scikit-learn ≥ 1.3.
 */
import { mannWhitneyU2, splitByClass } from './ranks';
import { checkBinary, type BinaryLabels } from './validate';

/** Exact ROC AUC (Mann–Whitney U / (n₁·n₀), ties ½). Throws for one class, NaN/∞ scores, length mismatch. */
export function rocAuc(labels: BinaryLabels, scores: ArrayLike<number>): number {
  const x = checkBinary('rocAuc', labels, scores);
  const { pos, neg } = splitByClass(x.labels, x.scores, x.nPositive);
  return mannWhitneyU2(pos, neg) / (2 * x.nPositive * x.nNegative);
}

export interface RocCurveOptions {
  /** Drop suboptimal points that do not change the curve's shape (sklearn's drop_intermediate); default true. */
  dropIntermediate?: boolean;
  /** Threshold of the prepended (0, 0) point: 'max+1' (sklearn ≤ 1.2, default) or 'inf' (sklearn ≥ 1.3). */
  firstThreshold?: 'max+1' | 'inf';
}

export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** Decreasing; point k counts the samples with score ≥ thresholds[k] as positive. */
  thresholds: Float64Array;
}

/** Cumulative counts at each distinct score, highest first (sklearn's _binary_clf_curve). */
export function binaryClfCurve(
  labels: Uint8Array,
  scores: Float64Array,
): { fps: Float64Array; tps: Float64Array; thresholds: Float64Array } {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    tp += labels[i]!;
    const s = scores[i]!;
    if (k === n - 1 || scores[order[k + 1]!]! !== s) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(s);
    }
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thresholds) };
}

export function rocCurve(labels: BinaryLabels, scores: ArrayLike<number>, options: RocCurveOptions = {}): RocCurve {
  const { dropIntermediate = true, firstThreshold = 'max+1' } = options;
  const x = checkBinary('rocCurve', labels, scores);
  let { fps, tps, thresholds } = binaryClfCurve(x.labels, x.scores);
  const m = fps.length;
  if (dropIntermediate && m > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < m - 1; i++) {
      const d2f = fps[i + 1]! - 2 * fps[i]! + fps[i - 1]!;
      const d2t = tps[i + 1]! - 2 * tps[i]! + tps[i - 1]!;
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(m - 1);
    fps = Float64Array.from(keep, (i) => fps[i]!);
    tps = Float64Array.from(keep, (i) => tps[i]!);
    thresholds = Float64Array.from(keep, (i) => thresholds[i]!);
  }
  const k = fps.length + 1;
  const fpr = new Float64Array(k);
  const tpr = new Float64Array(k);
  const th = new Float64Array(k);
  const fTotal = fps[fps.length - 1]!;
  const tTotal = tps[tps.length - 1]!;
  th[0] = firstThreshold === 'inf' ? Infinity : thresholds[0]! + 1;
  for (let i = 1; i < k; i++) {
    fpr[i] = fps[i - 1]! / fTotal;
    tpr[i] = tps[i - 1]! / tTotal;
    th[i] = thresholds[i - 1]!;
  }
  return { fpr, tpr, thresholds: th };
}
