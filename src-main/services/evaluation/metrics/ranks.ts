/**
 * The counting core shared by the AUC, DeLong and the bootstrap. For a positive score x and the
 * sorted negative scores, lowerBound = #negatives < x and upperBound = #negatives ≤ x, so
 * (lowerBound + upperBound)/2 is the mid-rank count "negatives below x, ties ½" — exactly
 * Sun & Xu's (2014) midrank(x in all) − midrank(x among positives), obtained with one native sort
 * and a binary search per score (O(n log n), no comparator sort). All counts are integers, kept
 * doubled so that they stay exact in float64.
 */

/** First index i with a[i] ≥ x (a sorted ascending). */
export function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with a[i] > x (a sorted ascending). */
export function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ClassSplit {
  /** Positive scores in input order. */
  pos: Float64Array;
  /** Negative scores in input order. */
  neg: Float64Array;
  /** Input index of each positive / negative (to align two models on the same images). */
  posIndex: Uint32Array;
  negIndex: Uint32Array;
}

export function splitByClass(labels: Uint8Array, scores: Float64Array, nPositive: number): ClassSplit {
  const n = labels.length;
  const pos = new Float64Array(nPositive);
  const neg = new Float64Array(n - nPositive);
  const posIndex = new Uint32Array(nPositive);
  const negIndex = new Uint32Array(n - nPositive);
  let p = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) {
      posIndex[p] = i;
      pos[p++] = scores[i]!;
    } else {
      negIndex[q] = i;
      neg[q++] = scores[i]!;
    }
  }
  return { pos, neg, posIndex, negIndex };
}

export interface Placements {
  /** Per positive (input order): 2 × (#negatives below + ½ #tied). */
  posCount2: Float64Array;
  /** Per negative (input order): 2 × (#positives above + ½ #tied). */
  negCount2: Float64Array;
  /** Σ posCount2 = 2 × Mann–Whitney U (exact integer). */
  sum2: number;
}

/** DeLong placement values (as doubled integer counts) of every positive and every negative. */
export function placements(pos: Float64Array, neg: Float64Array): Placements {
  const n1 = pos.length;
  const n0 = neg.length;
  const sortedNeg = neg.slice().sort();
  const sortedPos = pos.slice().sort();
  const posCount2 = new Float64Array(n1);
  const negCount2 = new Float64Array(n0);
  let sum2 = 0;
  for (let i = 0; i < n1; i++) {
    const x = pos[i]!;
    const c = lowerBound(sortedNeg, x) + upperBound(sortedNeg, x);
    posCount2[i] = c;
    sum2 += c;
  }
  for (let j = 0; j < n0; j++) {
    const y = neg[j]!;
    negCount2[j] = 2 * n1 - lowerBound(sortedPos, y) - upperBound(sortedPos, y);
  }
  return { posCount2, negCount2, sum2 };
}

/** 2 × U only (the AUC without DeLong components): one sort of the negatives. */
export function mannWhitneyU2(pos: Float64Array, neg: Float64Array): number {
  const sortedNeg = neg.slice().sort();
  let sum2 = 0;
  for (let i = 0; i < pos.length; i++) {
    const x = pos[i]!;
    sum2 += lowerBound(sortedNeg, x) + upperBound(sortedNeg, x);
  }
  return sum2;
}
