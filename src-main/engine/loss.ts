/**
 * Supervised loss on the 5 ICDR grades: softmax cross-entropy with optional class weights, with
 * torch.nn.CrossEntropyLoss(weight=w) semantics (weighted mean: Σ w_y·CE / Σ w_y over the batch).
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor1D, Tensor2D } from '@tensorflow/tfjs';

export const GRADES = 5;

/**
 * Inverse-frequency class weights of a training subset, normalised so that the mean weight per
 * training image is 1 (Σ_c (n_c/N)·w_c = 1, i.e. w_c = N / (K·n_c) with K the classes present).
 * A grade absent from the subset gets weight 0 (it never occurs as a target).
 */
export function inverseFrequencyWeights(grades: readonly number[], classes = GRADES): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const g of grades) counts[g]!++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? grades.length / (present * c) : 0));
}

/** Mean cross-entropy of logits [N, C] against integer targets, optionally class-weighted (as torch). */
export function crossEntropy(logits: Tensor2D, targets: Tensor1D, classWeights: Tensor1D | null): Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.cast(targets, 'int32'), logits.shape[1]);
    const ce = tf.neg(tf.sum(tf.mul(onehot, logp), 1));
    if (!classWeights) return tf.mean(ce) as Scalar;
    const w = tf.gather(classWeights, tf.cast(targets, 'int32'));
    return tf.div(tf.sum(tf.mul(w, ce)), tf.sum(w)) as Scalar;
  });
}

/** Per-image cross-entropy from row-major logits in float64 (validation loss, no tensors). */
export function crossEntropyRows(logits: ArrayLike<number>, targets: readonly number[], classes = GRADES): number {
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    const o = i * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[o + k]!);
    let z = 0;
    for (let k = 0; k < classes; k++) z += Math.exp(logits[o + k]! - max);
    total += -(logits[o + targets[i]!]! - max - Math.log(z));
  }
  return targets.length > 0 ? total / targets.length : NaN;
}
