/**
 * Input checks shared by the metrics: binary labels (0/1) and finite scores of the same length,
 * copied into typed arrays. Errors are AppError('BAD_REQUEST', 'Error in <fn>: …') so a bad input
 * reaches the user with the function's name and what was wrong.
 */
import { AppError } from '../../../../src-shared/errors';

/** Binary labels, 1 = referable (positive), 0 = non-referable. */
export type BinaryLabels = ArrayLike<number>;

export interface BinaryInput {
  labels: Uint8Array;
  /** Scores as float64; −0 normalised to +0. */
  scores: Float64Array;
  nPositive: number;
  nNegative: number;
}

export function fail(fn: string, message: string): never {
  throw new AppError('BAD_REQUEST', `Error in ${fn}: ${message}`);
}

/** Validates labels/scores; `minPerClass` is the fewest positives and negatives the caller needs (default 1). */
export function checkBinary(fn: string, labels: BinaryLabels, scores: ArrayLike<number>, minPerClass = 1): BinaryInput {
  const n = labels.length;
  if (n !== scores.length) fail(fn, `labels and scores differ in length (${n} labels, ${scores.length} scores)`);
  if (n === 0) fail(fn, 'no samples');
  const l = new Uint8Array(n);
  const s = new Float64Array(n);
  let nPositive = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) fail(fn, `labels must be 0 or 1, got ${String(y)} at index ${i}`);
    const v = scores[i]!;
    if (!Number.isFinite(v)) fail(fn, `scores must be finite numbers, got ${String(v)} at index ${i}`);
    l[i] = y;
    s[i] = v + 0; // −0 → +0
    nPositive += y;
  }
  const nNegative = n - nPositive;
  if (nPositive < minPerClass || nNegative < minPerClass) {
    const what = nPositive === 0 || nNegative === 0 ? 'only one class is present' : `needs at least ${minPerClass} samples of each class`;
    fail(fn, `${what} (${nPositive} positive, ${nNegative} negative); the ROC AUC is not defined in that case`);
  }
  return { labels: l, scores: s, nPositive, nNegative };
}

/** Checks a second score vector for a paired comparison on the same images. */
export function checkScores(fn: string, name: string, scores: ArrayLike<number>, n: number): Float64Array {
  if (scores.length !== n) fail(fn, `${name} has ${scores.length} scores for ${n} labels`);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = scores[i]!;
    if (!Number.isFinite(v)) fail(fn, `${name} must be finite numbers, got ${String(v)} at index ${i}`);
    s[i] = v + 0;
  }
  return s;
}

/** Level of a confidence interval in (0, 1). */
export function checkLevel(fn: string, level: number): void {
  if (!(level > 0 && level < 1)) fail(fn, `level must be in (0, 1), got ${level}`);
}
