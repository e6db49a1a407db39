/**
 * Referable-DR metrics against scikit-learn 1.2 / SciPy 1.10 / a numpy fast-DeLong reference
 * (fixtures.json, made by make_fixtures.py — run `/usr/bin/python3 test/golden/metrics/make_fixtures.py`).
 *
 * Tolerances (stated per check): AUC vs roc_auc_score 1e-12 absolute; roc_curve fpr/tpr/thresholds
 * 1e-12 (observed: identical); operating points 1e-12; DeLong variance/covariance 1e-9 relative,
 * p-values 1e-9 relative, CIs 1e-12 absolute; erfc 1e-14 relative; Φ⁻¹ 1e-14 relative; softmax 1e-14.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  delongCi,
  delongVariance,
  erfc,
  normalQuantile,
  pairedDelongTest,
  referableProbability,
  rocAuc,
  rocCurve,
  sensitivitySpecificityAt,
  thresholdForSensitivity,
  youdenPoint,
} from '../../../src-main/services/evaluation/metrics';
import { maxAbsDiff } from '../../support/numeric';

interface Curve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}
interface Point {
  threshold: number;
  sensitivity: number;
  specificity: number;
}
interface Case {
  name: string;
  labels: (0 | 1)[];
  a: number[];
  b: number[];
  sklearn_auc: [number, number];
  roc_drop: Curve;
  roc_full: Curve;
  at_0_5: { sensitivity: number; specificity: number };
  sens_0_9: Point;
  youden: Point & { j: number };
  delong: {
    aucs: [number, number];
    cov: [[number, number], [number, number]];
    var_diff: number;
    z?: number;
    p?: number;
    log10p?: number;
    ci: Record<'normal_0.95' | 'normal_0.9' | 'logit_0.95' | 'logit_0.9', [number, number]>;
  };
}
interface Fixtures {
  versions: Record<string, string>;
  softmax: { logits: number[]; ref34: number[]; ref234: number[]; probabilities: number[] };
  erfc: { x: number[]; erfc: number[]; erfc_mpmath: number[] };
  ndtri: { p: number[]; x: number[] };
  cases: Case[];
}

const fx = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures.json'), 'utf8')) as Fixtures;

const rel = (a: number, e: number) => (a === e ? 0 : Math.abs(a - e) / Math.abs(e));

describe('golden metrics: fixtures', () => {
  it('come from scikit-learn 1.2 (first ROC threshold = max + 1)', () => {
    expect(fx.versions.sklearn).toMatch(/^1\.2\./);
    expect(fx.cases.map((c) => c.name)).toEqual([
      'tiny',
      'balanced',
      'imbalanced_5',
      'imbalanced_95',
      'heavy_ties',
      'perfect_separation',
      'large_rounded',
    ]);
  });
});

describe('golden metrics: referableProbability vs scipy.special.softmax', () => {
  const logits = Float32Array.from(fx.softmax.logits);
  it('{3,4} and {2,3,4} from float32 logits (1e-14)', () => {
    expect(maxAbsDiff(referableProbability(logits), fx.softmax.ref34)).toBeLessThan(1e-14);
    expect(maxAbsDiff(referableProbability(logits, [2, 3, 4]), fx.softmax.ref234)).toBeLessThan(1e-14);
  });
  it('accepts probabilities', () => {
    expect(maxAbsDiff(referableProbability(fx.softmax.probabilities, [3, 4], { input: 'probabilities' }), fx.softmax.ref34)).toBeLessThan(
      1e-14,
    );
  });
});

describe('golden metrics: erfc and Φ⁻¹ vs SciPy', () => {
  it('erfc relative error < 1e-14 on [-6, 26.5] against mpmath and against scipy.special.erfc (2e-14: Cephes is off by 1.1e-14 at 26.54)', () => {
    let worstExact = 0;
    let worstScipy = 0;
    fx.erfc.x.forEach((x, i) => {
      const v = erfc(x);
      const exact = fx.erfc.erfc_mpmath[i]!;
      if (exact < 2.2250738585072014e-308)
        expect(Math.abs(v - exact)).toBeLessThan(1e-320); // subnormal: absolute
      else worstExact = Math.max(worstExact, rel(v, exact));
      if (exact >= 2.2250738585072014e-308) worstScipy = Math.max(worstScipy, rel(v, fx.erfc.erfc[i]!));
    });
    expect(worstExact).toBeLessThan(1e-14);
    expect(worstScipy).toBeLessThan(2e-14);
    expect(erfc(27)).toBe(0);
    expect(erfc(-27)).toBe(2);
  });
  it('normalQuantile relative error < 1e-14', () => {
    fx.ndtri.p.forEach((p, i) => {
      const e = fx.ndtri.x[i]!;
      if (e === 0) expect(normalQuantile(p)).toBe(0);
      else expect(rel(normalQuantile(p), e)).toBeLessThan(1e-14);
    });
  });
});

describe.each(fx.cases)('golden metrics: $name', (c) => {
  it('rocAuc equals roc_auc_score (1e-12) and the DeLong reference AUC', () => {
    expect(Math.abs(rocAuc(c.labels, c.a) - c.sklearn_auc[0])).toBeLessThan(1e-12);
    expect(Math.abs(rocAuc(c.labels, c.b) - c.sklearn_auc[1])).toBeLessThan(1e-12);
    expect(Math.abs(rocAuc(c.labels, c.a) - c.delong.aucs[0])).toBeLessThan(1e-12);
  });

  it.each([
    ['drop_intermediate=True', true],
    ['drop_intermediate=False', false],
  ] as const)('rocCurve equals roc_curve, %s (1e-12)', (_label, drop) => {
    const expected = drop ? c.roc_drop : c.roc_full;
    const r = rocCurve(c.labels, c.a, { dropIntermediate: drop });
    expect(maxAbsDiff(r.fpr, expected.fpr)).toBeLessThan(1e-12);
    expect(maxAbsDiff(r.tpr, expected.tpr)).toBeLessThan(1e-12);
    expect(maxAbsDiff(r.thresholds, expected.thresholds)).toBeLessThan(1e-12);
    const inf = rocCurve(c.labels, c.a, { dropIntermediate: drop, firstThreshold: 'inf' });
    expect(inf.thresholds[0]).toBe(Infinity);
    expect(maxAbsDiff(inf.thresholds.subarray(1), expected.thresholds.slice(1))).toBe(0);
  });

  it('operating points equal those read off roc_curve (1e-12)', () => {
    const at = sensitivitySpecificityAt(c.labels, c.a, 0.5);
    expect(Math.abs(at.sensitivity - c.at_0_5.sensitivity)).toBeLessThan(1e-12);
    expect(Math.abs(at.specificity - c.at_0_5.specificity)).toBeLessThan(1e-12);
    const s = thresholdForSensitivity(c.labels, c.a, 0.9);
    expect(s.threshold).toBe(c.sens_0_9.threshold);
    expect(Math.abs(s.sensitivity - c.sens_0_9.sensitivity)).toBeLessThan(1e-12);
    expect(Math.abs(s.specificity - c.sens_0_9.specificity)).toBeLessThan(1e-12);
    const y = youdenPoint(c.labels, c.a);
    expect(y.threshold).toBe(c.youden.threshold);
    expect(Math.abs(y.j - c.youden.j)).toBeLessThan(1e-12);
    expect(Math.abs(y.sensitivity - c.youden.sensitivity)).toBeLessThan(1e-12);
    expect(Math.abs(y.specificity - c.youden.specificity)).toBeLessThan(1e-12);
  });

  it('DeLong variances, covariance and paired p equal the numpy fast-DeLong reference (1e-9 relative)', () => {
    const d = c.delong;
    const va = delongVariance(c.labels, c.a);
    const vb = delongVariance(c.labels, c.b);
    const p = pairedDelongTest(c.labels, c.a, c.b);
    if (d.cov[0][0] === 0) expect(va.variance).toBe(0);
    else expect(rel(va.variance, d.cov[0][0])).toBeLessThan(1e-9);
    expect(rel(vb.variance, d.cov[1][1])).toBeLessThan(1e-9);
    expect(rel(p.varianceA, d.cov[0][0])).toBeLessThan(1e-9);
    expect(rel(p.varianceB, d.cov[1][1])).toBeLessThan(1e-9);
    if (d.cov[0][1] === 0) expect(Math.abs(p.covariance)).toBeLessThan(1e-15);
    else expect(rel(p.covariance, d.cov[0][1])).toBeLessThan(1e-9);
    expect(rel(p.varianceDifference, d.var_diff)).toBeLessThan(1e-9);
    expect(rel(p.z, d.z!)).toBeLessThan(1e-9);
    expect(rel(p.p, d.p!)).toBeLessThan(1e-9);
    expect(Math.abs(Math.log10(p.p) - d.log10p!)).toBeLessThan(1e-9);
  });

  it('DeLong CIs (normal and logit, 95 % and 90 %) equal the reference (1e-12)', () => {
    for (const method of ['normal', 'logit'] as const) {
      for (const level of [0.95, 0.9] as const) {
        const r = delongCi(c.labels, c.a, { level, method });
        const e = c.delong.ci[`${method}_${level}`];
        expect(Math.abs(r.lower - e[0])).toBeLessThan(1e-12);
        expect(Math.abs(r.upper - e[1])).toBeLessThan(1e-12);
      }
    }
  });
});
