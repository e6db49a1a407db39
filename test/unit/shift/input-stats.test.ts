/**
 * The domain-shift check's statistics (services/datasets/input-stats.ts) and comparison
 * (services/evaluation/shift.ts), on synthetic images. Oracles: a naive re-implementation of the per-image
 * statistics (two-pass float64 mean and standard deviation over the list of fundus pixels, histograms by
 * Math.floor(v / 8)), the area of the fundus circle, closed forms of the flatness distance and the JS
 * divergence, and histogram equalisation done by hand. Tolerances are stated per assertion.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fundusGeometry, renderImage } from '../../../src-main/services/datasets/image';
import { FUNDUS_RADIUS_FRACTION, fundusMask, imageStats, STATS_BINS } from '../../../src-main/services/datasets/input-stats';
import { compareInputSets, flatness, jsDivergence, summariseSet } from '../../../src-main/services/evaluation/shift';
import { SHIFT_THRESHOLDS } from '../../../src-shared/shift';
import { mulberry32 } from '../../../src-main/random/prng';

/** A seeded uniform [0, 1) generator. */
function rng(seed: number): () => number {
  return mulberry32(seed);
}

/** Box–Muller normal. */
function normal(r: () => number, mean: number, sd: number): number {
  const u = Math.max(1e-12, r());
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/**
 * A size × size RGB input: black outside a centred disc of radius size/2 · 0.96 (what an import gives a fundus
 * filling its square), inside it pixels drawn by `pixel`.
 */
function fundusImage(size: number, pixel: () => [number, number, number]): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const r = (size / 2) * 0.96;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      if ((x + 0.5 - size / 2) ** 2 + (y + 0.5 - size / 2) ** 2 > r * r) continue;
      const [a, b, c] = pixel();
      out.set([a, b, c], (y * size + x) * 3);
    }
  return out;
}

/** Naive statistics: the list of fundus pixels, then two-pass mean and standard deviation and floor(v / 8) histograms. */
function naiveStats(rgb: Uint8Array, mask: Uint8Array) {
  const px: number[][] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) px.push([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!]);
  const mean = [0, 1, 2].map((c) => px.reduce((a, p) => a + p[c]!, 0) / px.length);
  const std = [0, 1, 2].map((c) => Math.sqrt(px.reduce((a, p) => a + (p[c]! - mean[c]!) ** 2, 0) / px.length));
  const hist = [0, 1, 2].map((c) => {
    const h = new Array<number>(32).fill(0);
    for (const p of px) h[Math.floor(p[c]! / 8)]!++;
    return h;
  });
  const luma = new Array<number>(32).fill(0);
  for (const p of px) luma[Math.min(31, Math.floor((0.299 * p[0]! + 0.587 * p[1]! + 0.114 * p[2]!) / 8))]!++;
  return { n: px.length, mean, std, hist, luma };
}

describe('fundus region', () => {
  it('is the circle of the retina the import found, shrunk to 0.9 of its radius (area within 2 %, all inside the retina)', async () => {
    // A 300 × 200 photograph of a bright disc of radius 120 centred at (150, 100): cut at top and bottom, as IDRiD's.
    const W = 300;
    const H = 200;
    const data = Buffer.alloc(W * H * 3);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        if ((x + 0.5 - 150) ** 2 + (y + 0.5 - 100) ** 2 <= 120 ** 2) data.fill(180, (y * W + x) * 3, (y * W + x) * 3 + 3);
    const settings = { cropThreshold: 15, cropMargin: 0.02 };
    const crop = await fundusGeometry({ data, width: W, height: H, channels: 3 }, settings);
    const size = 64;
    const { data: rendered } = await sharp(await renderImage({ data, width: W, height: H, channels: 3 }, crop, size, 'png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const mask = fundusMask(crop, size, settings.cropMargin);
    const inside = mask.reduce((a, v) => a + v, 0);
    // The disc's radius in the input: 120 original pixels · size / crop side; the region keeps 0.9 of it, cut by the
    // rows the photograph lacks (|dy| ≤ 100 original pixels).
    const s = size / crop.side;
    const R = 120 * FUNDUS_RADIUS_FRACTION * s;
    const half = Math.min(R, 100 * s);
    // Area of a disc of radius R between two chords at ±half: 2 ∫ 2√(R² − y²) dy from 0 to half.
    const segment = (y: number) => y * Math.sqrt(R * R - y * y) + R * R * Math.asin(y / R);
    expect(Math.abs(inside - 2 * segment(half)) / (2 * segment(half))).toBeLessThan(0.02);
    // Every pixel of the region is retina (bright), none is the black border.
    for (let i = 0; i < mask.length; i++) if (mask[i]) expect(rendered[i * 3]!).toBeGreaterThan(150);
  });

  it('without a crop is the inscribed circle at 0.9 of the radius (area within 2 %)', () => {
    const mask = fundusMask(undefined, 100, 0.02);
    const n = mask.reduce((a, v) => a + v, 0);
    expect(Math.abs(n - Math.PI * 45 ** 2) / (Math.PI * 45 ** 2)).toBeLessThan(0.02);
  });
});

describe('per-image statistics against a naive re-implementation', () => {
  it('pixel count, histograms exactly; mean and standard deviation within 1e-12 (relative)', () => {
    const r = rng(7);
    const size = 48;
    const rgb = fundusImage(size, () => [clamp(normal(r, 150, 40)), clamp(normal(r, 80, 25)), clamp(r() * 256)]);
    const mask = fundusMask(undefined, size, 0.02);
    const s = imageStats('a', 'h', rgb, mask);
    const n = naiveStats(rgb, mask);
    expect(s.pixels).toBe(n.n);
    expect(s.hist).toEqual(n.hist);
    expect(s.luma).toEqual(n.luma);
    expect(s.hist[0]!.length).toBe(STATS_BINS);
    const sum = summariseSet('d', [s]);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(sum.mean[c]! * 255 - n.mean[c]!) / n.mean[c]!).toBeLessThan(1e-12);
      expect(Math.abs(sum.std[c]! * 255 - n.std[c]!) / n.std[c]!).toBeLessThan(1e-9); // Σx²/n − μ² loses ~7 digits at most here
    }
  });

  it('pools several images as one list of pixels (mean, std within 1e-9 relative)', () => {
    const r = rng(11);
    const size = 40;
    const mask = fundusMask(undefined, size, 0.02);
    const images = [0, 1, 2].map((k) =>
      fundusImage(size, () => [clamp(normal(r, 60 + 50 * k, 20)), clamp(normal(r, 90, 10 + 10 * k)), 30]),
    );
    const pooled = summariseSet(
      'd',
      images.map((img, k) => imageStats(String(k), 'h', img, mask)),
    );
    const all = new Uint8Array(images.length * size * size * 3);
    images.forEach((img, k) => all.set(img, k * img.length));
    const allMask = new Uint8Array(images.length * mask.length);
    images.forEach((_, k) => allMask.set(mask, k * mask.length));
    const n = naiveStats(all, allMask);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(pooled.mean[c]! * 255 - n.mean[c]!) / n.mean[c]!).toBeLessThan(1e-9);
      if (n.std[c]! > 0) expect(Math.abs(pooled.std[c]! * 255 - n.std[c]!) / n.std[c]!).toBeLessThan(1e-9);
    }
    expect(pooled.std[2]).toBe(0); // a constant channel
  });
});

describe('flatness and JS divergence', () => {
  it('closed forms (1e-15)', () => {
    const B = STATS_BINS;
    expect(flatness(new Array<number>(B).fill(5))).toBeCloseTo(0, 15);
    // All mass in the first bin: (1/B) Σₖ (1 − (k + 1)/B) = (B − 1) / (2B).
    expect(flatness([10, ...new Array<number>(B - 1).fill(0)])).toBeCloseTo((B - 1) / (2 * B), 15);
    const p = [1, 0, 0, 0];
    const q = [0, 0, 3, 0];
    expect(jsDivergence(p, q)).toBeCloseTo(1, 15);
    expect(jsDivergence([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(0, 15);
    // p = (½, ½), q = (1, 0): JSD = ½ KL(p‖m) + ½ KL(q‖m), m = (¾, ¼).
    const expected = 0.5 * (0.5 * Math.log2(0.5 / 0.75) + 0.5 * Math.log2(0.5 / 0.25)) + 0.5 * Math.log2(1 / 0.75);
    expect(jsDivergence([1, 1], [1, 0])).toBeCloseTo(expected, 15);
  });
});

describe('equalisation indicator on synthetic images', () => {
  /** Histogram equalisation of one channel over the whole image (black border included), by hand: v → round(255 · CDF(v)). */
  function equalise(rgb: Uint8Array): Uint8Array {
    const out = new Uint8Array(rgb.length);
    for (let c = 0; c < 3; c++) {
      const h = new Array<number>(256).fill(0);
      for (let i = c; i < rgb.length; i += 3) h[rgb[i]!]!++;
      const cdf: number[] = [];
      let acc = 0;
      for (const v of h) cdf.push((acc += v));
      const min = cdf.find((v) => v > 0)!;
      const n = rgb.length / 3;
      for (let i = c; i < rgb.length; i += 3) out[i] = Math.round((255 * (cdf[rgb[i]!]! - min)) / (n - min));
    }
    return out;
  }

  it('a natural-looking fundus is not equalised; the same image equalised is', () => {
    const r = rng(3);
    const size = 64;
    const mask = fundusMask(undefined, size, 0.02);
    const natural = [0, 1, 2, 3].map(() =>
      fundusImage(size, () => [clamp(normal(r, 170, 25)), clamp(normal(r, 85, 18)), clamp(normal(r, 25, 10))]),
    );
    const plain = summariseSet(
      'plain',
      natural.map((img, k) => imageStats(String(k), 'h', img, mask)),
    );
    const eq = summariseSet(
      'eq',
      natural.map((img, k) => imageStats(String(k), 'h', equalise(img), mask)),
    );
    expect(plain.flatness).toBeGreaterThan(SHIFT_THRESHOLDS.equalised);
    expect(plain.equalised).toBe(false);
    expect(eq.flatness).toBeLessThan(SHIFT_THRESHOLDS.equalised);
    expect(eq.equalised).toBe(true);
    expect(eq.equalisedShare).toBe(1);
    const cmp = compareInputSets('run1', 64, eq, plain);
    expect(cmp.equalisationDiffers).toBe(true);
    expect(cmp.warning).toMatch(
      /^Test set plain differs from run run1's training set eq: the training images look histogram-equalised, the test images do not; mean red inside the fundus /,
    );
    expect(cmp.warning).toMatch(/The model's outputs on this set may not be meaningful\.$/);
  });

  it('two samples of the same images give no warning', () => {
    const r = rng(5);
    const size = 64;
    const mask = fundusMask(undefined, size, 0.02);
    const draw = () =>
      imageStats(
        'x',
        'h',
        fundusImage(size, () => [clamp(normal(r, 170, 25)), clamp(normal(r, 85, 18)), clamp(normal(r, 25, 10))]),
        mask,
      );
    const a = summariseSet('a', [draw(), draw(), draw()]);
    const b = summariseSet('a', [draw(), draw(), draw()]);
    const cmp = compareInputSets('run1', 64, a, b);
    expect(cmp.shifted).toBe(false);
    expect(cmp.warning).toBeNull();
    for (const ch of cmp.channels) {
      expect(Math.abs(ch.smd)).toBeLessThan(0.05);
      expect(ch.jsd).toBeLessThan(0.01);
    }
  });
});
