/**
 * Stratified bootstrap sanity (no external oracle exists for a seeded resampler: checked against
 * the estimate, its own reproducibility, a naive per-replicate recomputation, and DeLong) and the
 * speed requirement at the EyePACS test-set size (53,576 images).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/random/prng';
import {
  bootstrapAuc,
  delongCi,
  pairedBootstrapAuc,
  pairedDelongTest,
  quantileSorted,
  rocAuc,
  syntheticScores,
} from '../../../src-main/services/evaluation/metrics';

const EYEPACS_TEST = 53_576;

describe('stratified bootstrap of the AUC', () => {
  const { labels, a, b } = syntheticScores(3000, { seed: 7, decimals: 3 });

  it('each replicate equals rocAuc on the same resample drawn naively (same Rng stream: negatives, then positives)', () => {
    const pos: number[] = [];
    const neg: number[] = [];
    labels.forEach((y, i) => (y === 1 ? pos : neg).push(a[i]!));
    const r = bootstrapAuc(labels, a, { replicates: 5, seed: 42 });
    const rng = new Rng(42);
    for (let k = 0; k < 5; k++) {
      const negDraw = Array.from({ length: neg.length }, () => neg[Math.floor(rng.next() * neg.length)]!);
      const posDraw = Array.from({ length: pos.length }, () => pos[Math.floor(rng.next() * pos.length)]!);
      const auc = rocAuc([...posDraw.map(() => 1), ...negDraw.map(() => 0)], [...posDraw, ...negDraw]);
      expect(Math.abs(r.samples[k]! - auc)).toBeLessThan(1e-15);
    }
  });

  it('is centred on the AUC, contains it, is reproducible from the seed and changes with it', () => {
    const r = bootstrapAuc(labels, a, { replicates: 1000, seed: 3 });
    expect(r.estimate).toBe(rocAuc(labels, a));
    expect(Math.abs(r.mean - r.estimate)).toBeLessThan(0.2 * r.sd);
    expect(r.lower).toBeLessThan(r.estimate);
    expect(r.upper).toBeGreaterThan(r.estimate);
    const again = bootstrapAuc(labels, a, { replicates: 1000, seed: 3 });
    expect([again.lower, again.upper]).toEqual([r.lower, r.upper]);
    expect(again.samples).toEqual(r.samples);
    const other = bootstrapAuc(labels, a, { replicates: 1000, seed: 4 });
    expect(other.lower).not.toBe(r.lower);
  });

  it('agrees with the DeLong CI width within a loose factor (n = 3000)', () => {
    const r = bootstrapAuc(labels, a, { replicates: 2000, seed: 11 });
    const d = delongCi(labels, a);
    const ratio = (r.upper - r.lower) / (d.upper - d.lower);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
    expect(r.sd / d.se).toBeGreaterThan(0.85);
    expect(r.sd / d.se).toBeLessThan(1.15);
  });

  it('paired: difference of the same resamples; agrees with the paired DeLong CI; a model against itself gives 0', () => {
    const r = pairedBootstrapAuc(labels, a, b, { replicates: 2000, seed: 5 });
    const d = pairedDelongTest(labels, a, b);
    expect(r.estimate).toBeCloseTo(d.difference, 15);
    expect(r.aucA).toBe(rocAuc(labels, a));
    expect(r.lower).toBeLessThan(r.estimate);
    expect(r.upper).toBeGreaterThan(r.estimate);
    const ratio = (r.upper - r.lower) / (d.upper - d.lower);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
    const single = bootstrapAuc(labels, a, { replicates: 50, seed: 5 });
    const pairedSelf = pairedBootstrapAuc(labels, a, a, { replicates: 50, seed: 5 });
    expect(pairedSelf.samples.every((v) => v === 0)).toBe(true);
    // Model A's replicates inside the paired run use the same draws as the single-model run.
    expect(pairedBootstrapAuc(labels, a, b, { replicates: 50, seed: 5 }).samples[0]).toBeCloseTo(
      single.samples[0]! - bootstrapAuc(labels, b, { replicates: 1, seed: 5 }).samples[0]!,
      15,
    );
  });

  it('percentile = numpy.quantile (linear), and options are validated', () => {
    const s = Float64Array.from([1, 2, 3, 4, 10]);
    expect(quantileSorted(s, 0.025)).toBeCloseTo(1.1, 12); // numpy.quantile([1, 2, 3, 4, 10], [0.025, 0.975]) = [1.1, 9.4]
    expect(quantileSorted(s, 0.975)).toBeCloseTo(9.4, 12);
    expect(() => bootstrapAuc(labels, a, { replicates: 0 })).toThrow(/replicates must be a positive integer/);
    expect(() => bootstrapAuc(labels, a, { level: 1 })).toThrow(/level must be in \(0, 1\)/);
  });
});

describe('speed at the EyePACS test-set size (n = 53,576, ~20 % referable, scores rounded to 1e-4)', () => {
  const { labels, a, b } = syntheticScores(EYEPACS_TEST, { seed: 2022 });

  it('AUC + DeLong 95 % CI in < 1 s (shared machine: generous margin; typical ~10 ms)', () => {
    delongCi(labels, a); // warm-up (JIT)
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const auc = rocAuc(labels, a);
      const ci = delongCi(labels, a);
      times.push(performance.now() - t0);
      expect(ci.auc).toBe(auc);
      expect(ci.lower).toBeLessThan(auc);
    }
    times.sort((x, y) => x - y);
    expect(times[1]!).toBeLessThan(1000);
  });

  it('paired DeLong test in < 1 s', () => {
    const t0 = performance.now();
    const t = pairedDelongTest(labels, a, b);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(t.p).toBeLessThan(1e-6);
  });
});
