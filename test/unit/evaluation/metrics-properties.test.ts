/**
 * ROC AUC invariants (fast-check) and input errors. Oracle: the naive O(n²) pair count with ties ½.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  delongVariance,
  pairedDelongTest,
  referableProbability,
  rocAuc,
  rocCurve,
  sensitivitySpecificityAt,
  thresholdForSensitivity,
  youdenPoint,
} from '../../../src-main/services/evaluation/metrics';

function naiveAuc(labels: readonly number[], scores: readonly number[]): number {
  let s = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      s += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return s / pairs;
}

/** Labels with both classes and scores drawn from a small grid (many ties) or continuous. */
const sample = fc
  .integer({ min: 2, max: 60 })
  .chain((n) =>
    fc.record({
      labels: fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
      scores: fc.oneof(
        fc.array(
          fc.integer({ min: -5, max: 5 }).map((k) => k / 4),
          { minLength: n, maxLength: n },
        ),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: n, maxLength: n }),
      ),
    }),
  )
  .filter(({ labels }) => labels.includes(0) && labels.includes(1));

describe('rocAuc properties', () => {
  it('equals the naive pair count with ties = ½ (exactly, up to one rounding)', () => {
    fc.assert(
      fc.property(sample, ({ labels, scores }) => {
        expect(Math.abs(rocAuc(labels, scores) - naiveAuc(labels, scores))).toBeLessThanOrEqual(1e-15);
      }),
      { numRuns: 300 },
    );
  });

  it('is invariant under strictly increasing transforms of the scores', () => {
    const transforms = [(s: number) => Math.atan(s / 1e5), (s: number) => 3 * s - 7, (s: number) => Math.sign(s) * Math.cbrt(Math.abs(s))];
    fc.assert(
      fc.property(sample, fc.constantFrom(0, 1, 2), ({ labels, scores }, t) => {
        const f = transforms[t]!;
        // A monotone map may merge nearly-equal doubles into a tie; only compare when it keeps the order strict.
        const mapped = scores.map(f);
        const keepsOrder = scores.every((a, i) => scores.every((b, j) => Math.sign(a - b) === Math.sign(mapped[i]! - mapped[j]!)));
        fc.pre(keepsOrder);
        expect(rocAuc(labels, mapped)).toBe(rocAuc(labels, scores));
      }),
      { numRuns: 200 },
    );
  });

  it('AUC(labels, −scores) = 1 − AUC(labels, scores)', () => {
    fc.assert(
      fc.property(sample, ({ labels, scores }) => {
        expect(
          Math.abs(
            rocAuc(
              labels,
              scores.map((s) => -s),
            ) -
              (1 - rocAuc(labels, scores)),
          ),
        ).toBeLessThanOrEqual(2e-16);
      }),
      { numRuns: 300 },
    );
  });

  it('the trapezoid area under rocCurve (with or without dropped points) equals rocAuc', () => {
    fc.assert(
      fc.property(sample, fc.boolean(), ({ labels, scores }, drop) => {
        const { fpr, tpr } = rocCurve(labels, scores, { dropIntermediate: drop });
        let area = 0;
        for (let i = 1; i < fpr.length; i++) area += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
        expect(Math.abs(area - rocAuc(labels, scores))).toBeLessThan(1e-12);
        expect(fpr[0]).toBe(0);
        expect(tpr[fpr.length - 1]).toBe(1);
      }),
      { numRuns: 200 },
    );
  });

  it('DeLong variance is non-negative and the paired test of a model with itself gives z = 0, p = 1', () => {
    fc.assert(
      fc.property(
        sample.filter(({ labels }) => labels.filter((l) => l === 1).length >= 2 && labels.filter((l) => l === 0).length >= 2),
        ({ labels, scores }) => {
          expect(delongVariance(labels, scores).variance).toBeGreaterThanOrEqual(0);
          const t = pairedDelongTest(labels, scores, scores);
          expect(t.varianceDifference).toBe(0);
          expect(t.z).toBe(0);
          expect(t.p).toBe(1);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('metrics: defined edge cases and errors', () => {
  it('perfect separation: AUC 1, variance 0, CI [1, 1]; reversed: AUC 0', () => {
    const labels = [0, 0, 0, 1, 1, 1];
    const scores = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
    expect(rocAuc(labels, scores)).toBe(1);
    expect(
      rocAuc(
        labels,
        scores.map((s) => -s),
      ),
    ).toBe(0);
    const d = delongVariance(labels, scores);
    expect(d.variance).toBe(0);
    const p = pairedDelongTest(labels, scores, [0.1, 0.8, 0.3, 0.7, 0.2, 0.9]);
    expect(p.difference).toBeGreaterThan(0);
    expect(p.varianceDifference).toBeGreaterThan(0);
    const both = pairedDelongTest(
      labels,
      scores,
      scores.map((s) => s * 2),
    );
    expect([both.z, both.p]).toEqual([0, 1]);
  });

  it('all scores tied: AUC ½', () => {
    expect(rocAuc([0, 1, 0, 1], [3, 3, 3, 3])).toBe(0.5);
  });

  it('throws clear errors: one class, NaN / infinite scores, length mismatch, bad labels, too few for DeLong', () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/Error in rocAuc: only one class is present \(3 positive, 0 negative\)/);
    expect(() => rocAuc([0, 1], [0.1, NaN])).toThrow(/Error in rocAuc: scores must be finite numbers, got NaN at index 1/);
    expect(() => rocAuc([0, 1], [0.1, Infinity])).toThrow(/finite/);
    expect(() => rocAuc([0, 1, 1], [0.1, 0.2])).toThrow(/differ in length \(3 labels, 2 scores\)/);
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/labels must be 0 or 1, got 2 at index 1/);
    expect(() => rocAuc([], [])).toThrow(/no samples/);
    expect(() => delongVariance([0, 1, 0], [0.1, 0.2, 0.3])).toThrow(/at least 2 samples of each class/);
    expect(() => pairedDelongTest([0, 1, 0, 1], [1, 2, 3, 4], [1, 2, 3])).toThrow(/scoresB has 3 scores for 4 labels/);
    expect(() => rocCurve([0, 0], [1, 2])).toThrow(/Error in rocCurve: only one class/);
  });

  it('operating points on a hand example (score ≥ threshold is referable)', () => {
    const labels = [0, 0, 1, 1, 0, 1, 1, 0];
    const scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2];
    expect(sensitivitySpecificityAt(labels, scores, 0.4)).toEqual({ threshold: 0.4, sensitivity: 0.75, specificity: 0.5 });
    // Sensitivity ≥ 0.9 needs every positive: the lowest positive score 0.35; specificity 2/4.
    expect(thresholdForSensitivity(labels, scores, 0.9)).toEqual({ threshold: 0.35, sensitivity: 1, specificity: 0.5 });
    expect(thresholdForSensitivity(labels, scores, 0.5)).toEqual({ threshold: 0.8, sensitivity: 0.5, specificity: 1 });
    expect(youdenPoint(labels, scores)).toEqual({ threshold: 0.8, sensitivity: 0.5, specificity: 1, j: 0.5 });
    expect(() => thresholdForSensitivity(labels, scores, 0)).toThrow(/target sensitivity must be in \(0, 1\]/);
  });
});

describe('referableProbability', () => {
  it('sums the softmax of the referable grades; stable for huge logits; rows or flat; probabilities pass through', () => {
    const logits = [0, 0, 0, Math.log(2), Math.log(3)]; // softmax ∝ 1,1,1,2,3 → P(3,4) = 5/8
    expect(referableProbability(logits)[0]).toBeCloseTo(5 / 8, 15);
    expect(referableProbability([logits, logits], [2, 3, 4])[1]).toBeCloseTo(6 / 8, 15);
    expect(referableProbability([1000, 1000, 1000, 1000 + Math.log(2), 1000 + Math.log(3)])[0]).toBeCloseTo(5 / 8, 13);
    expect(referableProbability(new Float32Array([-1e4, 0, 0, 0, 0]))[0]).toBe(0.5);
    expect(referableProbability([0.1, 0.2, 0.3, 0.25, 0.15], [3, 4], { input: 'probabilities' })[0]).toBeCloseTo(0.4, 15);
    expect(() => referableProbability([1, 2, 3])).toThrow(/not a multiple of 5/);
    expect(() => referableProbability([0, 0, 0, 0, 0], [5])).toThrow(/referable grade 5 is not one of 0..4/);
    expect(() => referableProbability([0.5, 0.2, 0, 0, 0], [3, 4], { input: 'probabilities' })).toThrow(/sum to 0.7/);
    expect(() => referableProbability([0, NaN, 0, 0, 0])).toThrow(/invalid logit NaN/);
  });
});
