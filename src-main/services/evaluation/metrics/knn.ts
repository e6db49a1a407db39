/**
 * k-nearest-neighbour classification with cosine distance, as scikit-learn's
 * `KNeighborsClassifier(n_neighbors=k, metric='cosine', algorithm='brute', weights='uniform')`:
 * distance 1 − a·b / (|a|·|b|) in float64, the k smallest distances, class probabilities = the
 * share of each class among them, prediction = the most frequent class (a tie goes to the smaller
 * class label, as numpy's argmax over sklearn's sorted classes).
 *
 * The pretraining learning check (services/training/learning-check.ts) uses it leave-one-patient-
 * out: each image is classified by its neighbours among the OTHER patients' images (`groups`), so a
 * patient's other eye never votes. Oracle: test/golden/knn (scikit-learn fitted on the other groups).
 *
 * A tie in distance at the k-th place is broken by the lower index; scikit-learn's choice there is
 * unspecified (argpartition), so the golden cases have no such ties.
 */

export interface KnnOptions {
  /** Neighbours per query (scikit-learn n_neighbors). */
  k: number;
  /** Group of each sample (e.g. patient id): a query's neighbours are taken from other groups only. Absent: every other sample. */
  groups?: readonly (string | number)[];
}

export interface KnnResult {
  /** Predicted class per sample. */
  predictions: number[];
  /** Share of neighbours with label 1 (for binary labels 0/1: scikit-learn's predict_proba[:, 1]). */
  positiveShare: number[];
}

/** Rows of `features` ([n, d] row-major) scaled to unit length (zero rows stay zero, as sklearn's normalize). */
export function unitRows(features: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Number(features[i * d + j]) ** 2;
    const norm = Math.sqrt(s);
    for (let j = 0; j < d; j++) out[i * d + j] = norm > 0 ? Number(features[i * d + j]) / norm : 0;
  }
  return out;
}

/**
 * Leave-one-out (or leave-one-group-out) k-NN: every sample is classified by its k nearest other
 * samples (outside its group when `groups` is given). Labels are class indices 0, 1, 2, ….
 */
export function knnLeaveOneOut(features: ArrayLike<number>, labels: readonly number[], d: number, opts: KnnOptions): KnnResult {
  const n = labels.length;
  if (!(Number.isInteger(opts.k) && opts.k > 0)) throw new Error(`Error in knnLeaveOneOut: k must be a positive integer, got ${opts.k}`);
  if (features.length !== n * d) throw new Error(`Error in knnLeaveOneOut: ${features.length} feature values for ${n} samples × ${d}`);
  if (opts.groups && opts.groups.length !== n) throw new Error(`Error in knnLeaveOneOut: ${opts.groups.length} groups for ${n} samples`);
  for (const y of labels)
    if (!(Number.isInteger(y) && y >= 0)) throw new Error(`Error in knnLeaveOneOut: labels must be class indices 0, 1, …, got ${y}`);
  const classes = Math.max(1, ...labels.map((y) => y + 1));
  const votes = new Array<number>(classes);
  const unit = unitRows(features, n, d);
  const predictions: number[] = [];
  const positiveShare: number[] = [];
  const dist = new Float64Array(n);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    order.length = 0;
    for (let j = 0; j < n; j++) {
      if (j === i || (opts.groups && opts.groups[j] === opts.groups[i])) continue;
      let dot = 0;
      for (let t = 0; t < d; t++) dot += unit[i * d + t]! * unit[j * d + t]!;
      // sklearn's cosine_distances: 1 − similarity, clipped to [0, 2].
      dist[j] = Math.min(2, Math.max(0, 1 - dot));
      order.push(j);
    }
    if (order.length < opts.k)
      throw new Error(`Error in knnLeaveOneOut: sample ${i} has ${order.length} candidate neighbours, fewer than k = ${opts.k}`);
    order.sort((a, b) => dist[a]! - dist[b]! || a - b);
    votes.fill(0);
    for (let r = 0; r < opts.k; r++) votes[labels[order[r]!]!]!++;
    // The most votes; the first (smallest) class wins a tie, as numpy's argmax.
    let best = 0;
    for (let c = 1; c < classes; c++) if (votes[c]! > votes[best]!) best = c;
    predictions.push(best);
    positiveShare.push((votes[1] ?? 0) / opts.k);
  }
  return { predictions, positiveShare };
}
