/**
 * Operating points of a referable-DR score. Convention throughout (as sklearn's roc_curve): an image
 * is called referable when score ≥ threshold. Sensitivity = TP / positives, specificity =
 * TN / negatives. Candidate thresholds are the distinct scores (the full ROC curve, no points dropped).
 */
import { binaryClfCurve } from './roc';
import { checkBinary, fail, type BinaryLabels } from './validate';

export interface OperatingPoint {
  threshold: number;
  sensitivity: number;
  specificity: number;
}

/** Sensitivity and specificity when score ≥ threshold is called referable. */
export function sensitivitySpecificityAt(labels: BinaryLabels, scores: ArrayLike<number>, threshold: number): OperatingPoint {
  const fn = 'sensitivitySpecificityAt';
  if (Number.isNaN(threshold)) fail(fn, 'threshold is NaN');
  const x = checkBinary(fn, labels, scores);
  let tp = 0;
  let tn = 0;
  for (let i = 0; i < x.scores.length; i++) {
    const called = x.scores[i]! >= threshold;
    if (x.labels[i] === 1) tp += called ? 1 : 0;
    else tn += called ? 0 : 1;
  }
  return { threshold, sensitivity: tp / x.nPositive, specificity: tn / x.nNegative };
}

/**
 * The highest threshold whose sensitivity reaches `target` (e.g. 0.9, the high-sensitivity screening
 * point), with the specificity there — the best specificity among thresholds meeting the target.
 */
export function thresholdForSensitivity(labels: BinaryLabels, scores: ArrayLike<number>, target = 0.9): OperatingPoint {
  const fn = 'thresholdForSensitivity';
  if (!(target > 0 && target <= 1)) fail(fn, `target sensitivity must be in (0, 1], got ${target}`);
  const x = checkBinary(fn, labels, scores);
  const { fps, tps, thresholds } = binaryClfCurve(x.labels, x.scores);
  for (let k = 0; k < tps.length; k++) {
    const sensitivity = tps[k]! / x.nPositive;
    if (sensitivity >= target) return { threshold: thresholds[k]!, sensitivity, specificity: 1 - fps[k]! / x.nNegative };
  }
  /* c8 ignore next */ throw new Error('unreachable: the lowest threshold has sensitivity 1');
}

export interface YoudenPoint extends OperatingPoint {
  /** Youden's J = sensitivity + specificity − 1 = tpr − fpr. */
  j: number;
}

/** Threshold maximising Youden's J (first, i.e. highest, threshold on ties; as np.argmax over roc_curve). */
export function youdenPoint(labels: BinaryLabels, scores: ArrayLike<number>): YoudenPoint {
  const x = checkBinary('youdenPoint', labels, scores);
  const { fps, tps, thresholds } = binaryClfCurve(x.labels, x.scores);
  // The (0, 0) point sklearn prepends has J = 0; start from it.
  let best: YoudenPoint = { threshold: thresholds[0]! + 1, sensitivity: 0, specificity: 1, j: 0 };
  for (let k = 0; k < tps.length; k++) {
    const tpr = tps[k]! / x.nPositive;
    const fpr = fps[k]! / x.nNegative;
    const j = tpr - fpr;
    if (j > best.j) best = { threshold: thresholds[k]!, sensitivity: tpr, specificity: 1 - fpr, j };
  }
  return best;
}
