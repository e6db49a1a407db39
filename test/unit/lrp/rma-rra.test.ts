/**
 * RMA / RRA (CLEVR-XAI definitions, rma-rra.ts) on hand-built heatmaps and masks with answers worked
 * out by hand; the tie rule of RRA against brute force over every order of the tied pixels; RRA
 * against CLEVR-XAI's argsort formulation on tie-free heatmaps (property); the Gaussian-noise control;
 * summary statistics against numpy (values computed with numpy 1.x: mean, std ddof 0, percentile
 * linear). Exact answers are compared to 1e-12.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  maskSize,
  noiseHeatmap,
  poolHeatmap,
  relevanceMassAccuracy,
  relevanceRankAccuracy,
  scoreRegions,
  summarize,
  unionMask,
  type RegionResult,
} from '../../../src-main/analysis/lrp/rma-rra';

const close = (a: number | null, b: number) => {
  expect(a).not.toBeNull();
  expect(Math.abs(a! - b)).toBeLessThanOrEqual(1e-12);
};

describe('pooling over channels', () => {
  // two pixels, three channels: [1, −2, 0.5] (Σ −0.5) and [3, 1, −1] (Σ 3)
  const heat = [1, -2, 0.5, 3, 1, -1];
  it.each([
    ['sum,pos', [0, 3]],
    ['sum,abs', [0.5, 3]],
    ['max-norm', [2, 3]],
    ['l2-norm,sq', [5.25, 11]],
  ] as const)('%s', (pooling, expected) => {
    expect(Array.from(poolHeatmap(heat, 3, pooling))).toEqual(expected);
  });
  it('refuses a heatmap that is not whole pixels', () => {
    expect(() => poolHeatmap([1, 2, 3, 4], 3, 'sum,abs')).toThrow(/not a whole number of pixels/);
  });
});

describe('relevance mass accuracy', () => {
  it('is the share of pooled relevance inside the mask', () => {
    close(relevanceMassAccuracy([4, 3, 2, 1], [1, 0, 0, 1]), 0.5);
    close(relevanceMassAccuracy([4, 3, 2, 1], [1, 1, 1, 1]), 1);
    close(relevanceMassAccuracy([0, 3, 0, 1], [1, 0, 1, 0]), 0);
  });
  it('is undefined (null) for zero total relevance or an empty mask; refuses negative or size-mismatched input', () => {
    expect(relevanceMassAccuracy([0, 0, 0], [1, 0, 0])).toBeNull();
    expect(relevanceMassAccuracy([1, 2, 3], [0, 0, 0])).toBeNull();
    expect(() => relevanceMassAccuracy([1, -2], [1, 0])).toThrow(/non-negative/);
    expect(() => relevanceMassAccuracy([1, 2], [1, 0, 0])).toThrow(/at the heatmap's size/);
  });
});

describe('relevance rank accuracy', () => {
  it('counts mask pixels among the N = |mask| highest', () => {
    // top 3 of [0.9, 0.1, 0.8, 0.3, 0.5, 0.2] are pixels 0 (in), 2 (out), 4 (in)
    close(relevanceRankAccuracy([0.9, 0.1, 0.8, 0.3, 0.5, 0.2], [1, 1, 0, 0, 1, 0]), 2 / 3);
    close(relevanceRankAccuracy([0.9, 0.1, 0.8], [1, 1, 1]), 1);
    expect(relevanceRankAccuracy([0.9, 0.1], [0, 0])).toBeNull();
  });

  it('tie rule: tied pixels share the ranks left (k = N − #above), each counting k/#tied', () => {
    // N = 3; 5 is above (not in mask); the value 2 is tied at pixels 1 (in), 2, 3; k = 2 → (0 + 2·1/3)/3
    close(relevanceRankAccuracy([5, 2, 2, 2, 1, 0], [0, 1, 0, 0, 1, 1]), 2 / 9);
    // All zero: every order equally likely → the mask fraction
    close(relevanceRankAccuracy([0, 0, 0, 0, 0], [1, 0, 1, 0, 0]), 2 / 5);
  });

  it('tie rule = the mean RRA over every order of the tied pixels (brute force over permutations)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 7 }),
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        (levels, bits) => {
          const pooled = levels;
          const mask = pooled.map((_, i) => (bits[i] ? 1 : 0));
          const N = maskSize(mask);
          if (N === 0) return relevanceRankAccuracy(pooled, mask) === null;
          // Every permutation of pixel indices that is sorted by descending value is one tie order.
          const perms = permutations(pooled.map((_, i) => i)).filter((p) => p.every((v, i) => i === 0 || pooled[p[i - 1]!]! >= pooled[v]!));
          const mean = perms.reduce((s, p) => s + p.slice(0, N).filter((i) => mask[i]).length / N, 0) / perms.length;
          return Math.abs(relevanceRankAccuracy(pooled, mask)! - mean) <= 1e-12;
        },
      ),
      { numRuns: 150, seed: 3 },
    );
  });

  it("equals CLEVR-XAI's argsort formulation when there are no ties (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (values, bits) => {
          const mask = values.map((_, i) => (bits[i] ? 1 : 0));
          const N = maskSize(mask);
          if (N === 0) return true;
          const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!); // argsort descending
          const clevr = order.slice(0, N).filter((i) => mask[i]).length / N;
          return Math.abs(relevanceRankAccuracy(values, mask)! - clevr) <= 1e-12;
        },
      ),
      { numRuns: 200, seed: 4 },
    );
  });
});

describe('regions, union and the noise control', () => {
  it('scores each lesion and the union (OR); a lesion without a mask or with an empty one is skipped with the reason', () => {
    // 2x2 image, one channel; relevance per pixel [4, 3, 2, 1]
    const heat = [4, 3, 2, 1];
    const out = scoreRegions(heat, 1, { MA: [1, 0, 0, 0], EX: [0, 0, 0, 0] });
    expect(out.HE).toEqual({ skipped: 'no-mask' });
    expect(out.EX).toEqual({ skipped: 'empty-mask' });
    const ma = out.MA as Extract<RegionResult, { scores: unknown }>;
    expect(ma.maskPixels).toBe(1);
    close(ma.scores['sum,abs'].rma, 0.4);
    close(ma.scores['l2-norm,sq'].rma, 16 / 30);
    close(ma.scores['max-norm'].rra, 1);
    const union = out.union as Extract<RegionResult, { scores: unknown }>;
    expect(union.maskPixels).toBe(1); // MA ∪ (empty EX)
    expect(Array.from(unionMask([[1, 0, 0, 0], undefined, [0, 0, 1, 0]])!)).toEqual([1, 0, 1, 0]);
    expect(unionMask([undefined, undefined])).toBeNull();
    expect(scoreRegions(heat, 1, {}).union).toEqual({ skipped: 'no-mask' });
  });

  it('sum,pos of a negative heatmap has no RMA (zero total) but an RRA (all tie)', () => {
    const out = scoreRegions([-1, -2, -3, -4], 1, { MA: [1, 1, 0, 0] }).MA as Extract<RegionResult, { scores: unknown }>;
    expect(out.scores['sum,pos'].rma).toBeNull();
    close(out.scores['sum,pos'].rra, 0.5);
    close(out.scores['sum,abs'].rra, 0); // |Σ| ranks pixels 3, 2 first
  });

  it('Gaussian noise: seeded, N(0, 1) moments; its RMA (sum,abs) is about the mask fraction', () => {
    const a = noiseHeatmap(100, 100, 3, 7);
    expect(Array.from(noiseHeatmap(100, 100, 3, 7).subarray(0, 10))).toEqual(Array.from(a.subarray(0, 10)));
    expect(noiseHeatmap(100, 100, 3, 8)[0]).not.toBe(a[0]);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.02); // 3·σ/√30000 ≈ 0.017
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    const mask = Array.from({ length: 10_000 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 25 %
    const rma = relevanceMassAccuracy(poolHeatmap(a, 3, 'sum,abs'), mask)!;
    expect(Math.abs(rma - 0.25)).toBeLessThan(0.02);
  });
});

describe('summaries across images (numpy reference values)', () => {
  it('mean, std (ddof 0), median and 20/80th percentiles (linear)', () => {
    const s = summarize([0.1, 0.7, 0.3, 0.3, 0.9]);
    expect(s.n).toBe(5);
    for (const [k, v] of [
      ['mean', 0.46],
      ['std', 0.29393876913398137],
      ['median', 0.3],
      ['p20', 0.26],
      ['p80', 0.74],
      ['min', 0.1],
      ['max', 0.9],
    ] as const)
      expect(Math.abs(s[k]! - v), k).toBeLessThanOrEqual(1e-12);
    const t = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([t.mean, t.median, t.p20, t.p80]).toEqual([5.5, 5.5, 2.8, 8.2]);
    expect(Math.abs(t.std! - 2.8722813232690143)).toBeLessThanOrEqual(1e-12);
    expect(summarize([0.42])).toMatchObject({ n: 1, mean: 0.42, std: 0, p20: 0.42, p80: 0.42 });
    expect(summarize([])).toEqual({ n: 0, mean: null, std: null, median: null, p20: null, p80: null, min: null, max: null });
  });
});

function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((v, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [v, ...p]));
}
