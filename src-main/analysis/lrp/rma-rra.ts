/**
 * Relevance mass accuracy (RMA) and relevance rank accuracy (RRA) of a heatmap against a binary
 * ground-truth mask (Arras, Osman & Samek, "CLEVR-XAI", Information Fusion 2022; their evaluation
 * code `relevance_accuracy`, by L. Arras), as the paper's Table 3 uses them (docs/design.md "RMA / RRA").
 * Plain float64 arithmetic (CLEVR-XAI casts heatmaps to float64), no tfjs.
 *
 * Pooling over channels of a relevance heatmap R [H, W, C] to one non-negative value per pixel:
 *   `sum,pos`     max(Σ_c R_c, 0)
 *   `sum,abs`     |Σ_c R_c|
 *   `max-norm`    max_c |R_c|
 *   `l2-norm,sq`  Σ_c R_c²
 * With P the pooled map, M the mask (H×W booleans) and N = |M| (mask pixels):
 *   RMA = Σ_{p∈M} P_p / Σ_p P_p                                    (undefined — null — when Σ_p P_p = 0)
 *   RRA = |{the N highest-ranked pixels of P} ∩ M| / N               (undefined when N = 0)
 * Tie rule of RRA: CLEVR-XAI ranks with numpy's argsort, whose order among equal values is
 * unspecified. Here pixels of equal value share the ranks they occupy: with t the N-th largest value,
 * every pixel above t counts fully and the k = N − #{P > t} remaining places are shared by the
 * #{P = t} tied pixels, each counting k/#{P = t}. This is the mean RRA over all orders of the tied
 * pixels, independent of pixel order; it differs from CLEVR-XAI's only when ties straddle rank N
 * (e.g. the zeros `sum,pos` makes), and equals it otherwise.
 *
 * Regions: each lesion mask (MA, HE, EX) and their union (pixel-wise OR of the lesion masks the image
 * has). An image without a mask for a lesion, or whose mask has no pixel at the heatmap's size, is
 * skipped for that region and counted (`no-mask`, `empty-mask`); a pooled heatmap with zero total
 * relevance has no RMA (counted as `zero-relevance`) but an RRA (all pixels tie: the mask fraction).
 *
 * Control: the heatmap replaced by Gaussian noise N(0, 1) of the same shape [H, W, C], seeded per
 * image (`noiseHeatmap(h, w, c, seed)`, src-main/random/prng.ts), pooled and scored the same way.
 *
 * Summaries across images (`summarize`): mean, population standard deviation (numpy's default
 * ddof = 0, as CLEVR-XAI's np.std), median, 20th and 80th percentiles with numpy's default linear
 * interpolation, min, max, and the count n.
 */
import { AppError } from '../../../src-shared/errors';
import { Pooling } from '../../../src-shared/explanations';
import { Rng } from '../../random/prng';

export type { Pooling };
/** The poolings in the order results list them (src-shared/explanations.ts Pooling). */
export const POOLINGS: readonly Pooling[] = Pooling.options;

/** Pools a heatmap stored HWC (pixel-major, `channels` values per pixel) to one value per pixel. */
export function poolHeatmap(relevance: ArrayLike<number>, channels: number, pooling: Pooling): Float64Array {
  if (!Number.isInteger(channels) || channels < 1 || relevance.length % channels !== 0) {
    throw new AppError('BAD_REQUEST', `poolHeatmap: ${relevance.length} values are not a whole number of pixels of ${channels} channel(s)`);
  }
  const n = relevance.length / channels;
  const out = new Float64Array(n);
  for (let p = 0, o = 0; p < n; p++, o += channels) {
    let v = 0;
    switch (pooling) {
      case 'sum,pos':
      case 'sum,abs': {
        for (let c = 0; c < channels; c++) v += relevance[o + c]!;
        v = pooling === 'sum,pos' ? Math.max(v, 0) : Math.abs(v);
        break;
      }
      case 'max-norm':
        for (let c = 0; c < channels; c++) v = Math.max(v, Math.abs(relevance[o + c]!));
        break;
      case 'l2-norm,sq':
        for (let c = 0; c < channels; c++) v += relevance[o + c]! * relevance[o + c]!;
        break;
      default:
        throw new AppError('BAD_REQUEST', `Unknown pooling "${String(pooling)}"; expected one of ${POOLINGS.join(', ')}`);
    }
    out[p] = v;
  }
  return out;
}

function checkPair(pooled: ArrayLike<number>, mask: ArrayLike<number>, what: string): void {
  if (pooled.length !== mask.length)
    throw new AppError(
      'BAD_REQUEST',
      `${what}: heatmap has ${pooled.length} pixels, mask ${mask.length}; the mask must be at the heatmap's size`,
    );
}

/** Number of non-zero mask pixels. */
export function maskSize(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

/** RMA = relevance inside the mask / total relevance; null when the total is 0 (or the mask is empty). */
export function relevanceMassAccuracy(pooled: ArrayLike<number>, mask: ArrayLike<number>): number | null {
  checkPair(pooled, mask, 'RMA');
  let inside = 0;
  let total = 0;
  let n = 0;
  for (let i = 0; i < pooled.length; i++) {
    const v = pooled[i]!;
    if (!(v >= 0)) throw new AppError('BAD_REQUEST', `RMA: pooled relevance must be non-negative and finite (pixel ${i} is ${v})`);
    total += v;
    if (mask[i]) {
      inside += v;
      n++;
    }
  }
  if (n === 0 || total === 0) return null;
  return Math.min(1, inside / total); // the subset sum can round a last bit above the total
}

/** RRA with the shared-rank tie rule (module comment); null when the mask is empty. */
export function relevanceRankAccuracy(pooled: ArrayLike<number>, mask: ArrayLike<number>): number | null {
  checkPair(pooled, mask, 'RRA');
  const N = maskSize(mask);
  if (N === 0) return null;
  const sorted = Float64Array.from(pooled).sort(); // ascending; NaN would sort last
  if (Number.isNaN(sorted[sorted.length - 1]!)) throw new AppError('BAD_REQUEST', 'RRA: the pooled heatmap contains NaN');
  const t = sorted[sorted.length - N]!; // the N-th largest value
  let above = 0;
  let aboveIn = 0;
  let tied = 0;
  let tiedIn = 0;
  for (let i = 0; i < pooled.length; i++) {
    const v = pooled[i]!;
    if (v > t) {
      above++;
      if (mask[i]) aboveIn++;
    } else if (v === t) {
      tied++;
      if (mask[i]) tiedIn++;
    }
  }
  const k = N - above; // places left for the tied pixels (1 ≤ k ≤ tied)
  return Math.min(1, (aboveIn + (k * tiedIn) / tied) / N);
}

/** Gaussian noise N(0, 1) of shape [h, w, c] (HWC), from its own seeded generator. */
export function noiseHeatmap(h: number, w: number, c: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(h * w * c);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

export const LESION_REGIONS = ['MA', 'HE', 'EX'] as const;
export type Region = 'MA' | 'HE' | 'EX' | 'union';
export type SkipReason = 'no-mask' | 'empty-mask';

/** RMA/RRA of one heatmap, per pooling. */
export type PoolingScores = Record<Pooling, { rma: number | null; rra: number }>;
export type RegionResult = { scores: PoolingScores; maskPixels: number } | { skipped: SkipReason };

/** Pixel-wise OR of the masks given (null when none is given). */
export function unionMask(masks: readonly (ArrayLike<number> | undefined)[]): Uint8Array | null {
  const present = masks.filter((m): m is ArrayLike<number> => m !== undefined);
  if (present.length === 0) return null;
  const n = present[0]!.length;
  const out = new Uint8Array(n);
  for (const m of present) {
    if (m.length !== n) throw new AppError('BAD_REQUEST', `unionMask: masks of ${n} and ${m.length} pixels`);
    for (let i = 0; i < n; i++) if (m[i]) out[i] = 1;
  }
  return out;
}

/**
 * Scores one heatmap (HWC, `channels` per pixel) against each region: the lesions' masks (undefined
 * = the image has no mask for that lesion) and their union.
 */
export function scoreRegions(
  relevance: ArrayLike<number>,
  channels: number,
  masks: Partial<Record<'MA' | 'HE' | 'EX', ArrayLike<number>>>,
  lesions: readonly ('MA' | 'HE' | 'EX')[] = LESION_REGIONS,
): Partial<Record<Region, RegionResult>> {
  const pooled = Object.fromEntries(POOLINGS.map((p) => [p, poolHeatmap(relevance, channels, p)])) as Record<Pooling, Float64Array>;
  const regions: [Region, ArrayLike<number> | null][] = lesions.map((l) => [l, masks[l] ?? null]);
  regions.push(['union', unionMask(lesions.map((l) => masks[l]))]);
  const out: Partial<Record<Region, RegionResult>> = {};
  for (const [region, mask] of regions) {
    if (!mask) {
      out[region] = { skipped: 'no-mask' };
      continue;
    }
    const maskPixels = maskSize(mask);
    if (maskPixels === 0) {
      out[region] = { skipped: 'empty-mask' };
      continue;
    }
    const scores = {} as PoolingScores;
    for (const p of POOLINGS) scores[p] = { rma: relevanceMassAccuracy(pooled[p], mask), rra: relevanceRankAccuracy(pooled[p], mask)! };
    out[region] = { scores, maskPixels };
  }
  return out;
}

export interface SummaryStats {
  n: number;
  mean: number | null;
  std: number | null;
  median: number | null;
  p20: number | null;
  p80: number | null;
  min: number | null;
  max: number | null;
}

/** numpy.percentile(values, q) with the default linear interpolation, on ascending-sorted values. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new AppError('BAD_REQUEST', 'percentile of no values');
  if (!(q >= 0 && q <= 100)) throw new AppError('BAD_REQUEST', `percentile q must be in [0, 100] (got ${q})`);
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

export function summarize(values: readonly number[]): SummaryStats {
  const n = values.length;
  if (n === 0) return { n, mean: null, std: null, median: null, p20: null, p80: null, min: null, max: null };
  const sorted = Float64Array.from(values).sort();
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  return {
    n,
    mean,
    std: Math.sqrt(variance),
    median: percentileSorted(sorted, 50),
    p20: percentileSorted(sorted, 20),
    p80: percentileSorted(sorted, 80),
    min: sorted[0]!,
    max: sorted[n - 1]!,
  };
}
