/**
 * k-NN with cosine distance against scikit-learn 1.2 (fixtures.json, made by make_fixtures.py):
 * leave-one-patient-out predictions and neighbour shares equal KNeighborsClassifier's
 * (metric='cosine', algorithm='brute', weights='uniform') fitted on the other patients' images.
 * Predictions must be identical; shares are multiples of 1/k, compared to 1e-12.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { knnLeaveOneOut } from '../../../src-main/services/evaluation/metrics/knn';

interface Case {
  name: string;
  n: number;
  d: number;
  k: number;
  features: number[];
  labels: number[];
  groups: number[];
  predictions: number[];
  positiveShare: number[];
}
const fixtures = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures.json'), 'utf8')) as { sklearn: string; cases: Case[] };

describe(`k-NN (cosine) vs scikit-learn ${fixtures.sklearn}`, () => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s: identical predictions, equal neighbour shares', (_name, c) => {
    const r = knnLeaveOneOut(new Float32Array(c.features), c.labels, c.d, { k: c.k, groups: c.groups });
    expect(r.predictions).toEqual(c.predictions);
    expect(r.positiveShare.length).toBe(c.n);
    for (let i = 0; i < c.n; i++) expect(Math.abs(r.positiveShare[i]! - c.positiveShare[i]!), `sample ${i}`).toBeLessThan(1e-12);
  });

  it('the clustered case is separable (the oracle is not trivial): most predictions are right', () => {
    const c = fixtures.cases.find((x) => x.name.startsWith('clustered'))!;
    const right = c.predictions.filter((p, i) => p === c.labels[i]).length;
    expect(right / c.n).toBeGreaterThan(0.8);
  });

  it('never lets a sample or its own group vote', () => {
    // Two groups of identical vectors with opposite labels: with groups every vote comes from the other group.
    const f = new Float32Array([1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1]);
    const labels = [1, 1, 1, 0, 0, 0];
    expect(knnLeaveOneOut(f, labels, 2, { k: 3, groups: [0, 0, 0, 1, 1, 1] }).predictions).toEqual([0, 0, 0, 1, 1, 1]);
    expect(knnLeaveOneOut(f, labels, 2, { k: 2 }).predictions).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('refuses bad input naming what is wrong', () => {
    expect(() => knnLeaveOneOut(new Float32Array(4), [0, 1], 2, { k: 0 })).toThrow(/k must be a positive integer/);
    expect(() => knnLeaveOneOut(new Float32Array(4), [0, -1], 2, { k: 1 })).toThrow(/labels must be class indices/);
    expect(() => knnLeaveOneOut(new Float32Array(4), [0, 1], 2, { k: 2 })).toThrow(/fewer than k = 2/);
  });
});
