/**
 * Augmentation ops against naive per-pixel float64 re-implementations of the torchvision formulas
 * (≤ 1e-5 absolute on [0, 1] images), plus determinism from the seed, shapes, ranges and leaks.
 */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  ChannelStats,
  colorJitter,
  flip,
  gaussianBlur,
  gaussianKernel1d,
  grayscale,
  normalize,
  resizedCrop,
  rotate,
  blurKernelSize,
  type CropBox,
  type JitterParams,
} from '../../../src-main/engine/augment/ops';
import { augmentBatch, PRESETS, roundHalfEven, sampleResizedCrop } from '../../../src-main/engine/augment/pipeline';
import { StreamRng } from '../../../src-main/random/streams';
import { maxAbsDiff } from '../../support/numeric';

const TOL = 1e-5;
const N = 3;
const H = 9;
const W = 11;

/** A naive image: img[n][y][x][c] as float64. */
type Img = number[][][][];

function randomImages(seed: number, n = N, h = H, w = W): { t: tf.Tensor4D; a: Img } {
  const rng = new StreamRng(seed);
  const a: Img = Array.from({ length: n }, () =>
    Array.from({ length: h }, () => Array.from({ length: w }, () => [rng.next(), rng.next(), rng.next()])),
  );
  // round to float32 so both sides start from identical values
  const flat = Float32Array.from(a.flat(3));
  const t = tf.tensor4d(flat, [n, h, w, 3]);
  let i = 0;
  for (const im of a) for (const row of im) for (const px of row) for (let c = 0; c < 3; c++) px[c] = flat[i++]!;
  return { t, a };
}

function maxDiff(t: tf.Tensor, a: Img): number {
  return maxAbsDiff(t.dataSync(), a.flat(3));
}

const gray = (p: number[]) => 0.299 * p[0]! + 0.587 * p[1]! + 0.114 * p[2]!;
const clamp = (v: number) => Math.min(1, Math.max(0, v));
const mapPx = (a: Img, f: (p: number[], n: number) => number[]): Img => a.map((im, n) => im.map((row) => row.map((p) => f(p, n))));

/** Bilinear sample of image im at (y, x) with each out-of-range neighbour counted as 0. */
function sampleZero(im: number[][][], y: number, x: number): number[] {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const out = [0, 0, 0];
  for (const [yy, wy] of [
    [y0, 1 - (y - y0)],
    [y0 + 1, y - y0],
  ] as const) {
    for (const [xx, wx] of [
      [x0, 1 - (x - x0)],
      [x0 + 1, x - x0],
    ] as const) {
      const p = im[yy]?.[xx];
      if (p) for (let c = 0; c < 3; c++) out[c] = out[c]! + wy * wx * p[c]!;
    }
  }
  return out;
}

/** torch interpolate(bilinear, align_corners=False) of a crop. */
function naiveResizedCrop(im: number[][][], b: CropBox, oh: number, ow: number): number[][][] {
  const src = (o: number, len: number, out: number) => {
    const s = Math.max(0, (len / out) * (o + 0.5) - 0.5);
    const i0 = Math.min(Math.floor(s), len - 1);
    const i1 = Math.min(i0 + 1, len - 1);
    return { i0, i1, f: s - Math.floor(s) };
  };
  return Array.from({ length: oh }, (_, oy) =>
    Array.from({ length: ow }, (_, ox) => {
      const ys = src(oy, b.height, oh);
      const xs = src(ox, b.width, ow);
      const px = (yy: number, xx: number) => im[b.top + yy]![b.left + xx]!;
      return [0, 1, 2].map(
        (c) =>
          (1 - ys.f) * ((1 - xs.f) * px(ys.i0, xs.i0)[c]! + xs.f * px(ys.i0, xs.i1)[c]!) +
          ys.f * ((1 - xs.f) * px(ys.i1, xs.i0)[c]! + xs.f * px(ys.i1, xs.i1)[c]!),
      );
    }),
  );
}

/** colorsys-style RGB→HSV→RGB hue shift in float64 (the textbook formulas torchvision implements). */
function naiveHue(p: number[], shift: number): number[] {
  const [r, g, b] = p as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = (g - b) / d / 6;
    else if (max === g) h = (2 + (b - r) / d) / 6;
    else h = (4 + (r - g) / d) / 6;
  }
  h = (((h + shift) % 1) + 1) % 1;
  const s = max === 0 ? 0 : d / max;
  const v = max;
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const pp = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  return [
    [v, t, pp],
    [q, v, pp],
    [pp, v, t],
    [pp, q, v],
    [t, pp, v],
    [v, pp, q],
  ][i]!;
}

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

describe('augmentation ops vs naive per-pixel implementations', () => {
  it('resizedCrop (down- and up-scaling, crops touching the border)', () => {
    const { t, a } = randomImages(1);
    const boxes: CropBox[] = [
      { top: 0, left: 0, height: 9, width: 11 },
      { top: 2, left: 3, height: 4, width: 5 },
      { top: 5, left: 6, height: 4, width: 5 },
    ];
    for (const [oh, ow] of [
      [7, 6],
      [13, 17],
    ] as const) {
      const y = resizedCrop(t, boxes, oh, ow);
      expect(y.shape).toEqual([N, oh, ow, 3]);
      expect(
        maxDiff(
          y,
          a.map((im, n) => naiveResizedCrop(im, boxes[n]!, oh, ow)),
        ),
      ).toBeLessThan(TOL);
      y.dispose();
    }
    // identity box + same size is the identity
    const id = resizedCrop(t, Array(N).fill({ top: 0, left: 0, height: H, width: W }), H, W);
    expect(maxDiff(id, a)).toBeLessThan(1e-7);
    tf.dispose([t, id]);
  });

  it('flips and rotation', () => {
    const { t, a } = randomImages(2);
    const mask = [true, false, true];
    const h = flip(t, mask, 'horizontal');
    expect(
      maxDiff(
        h,
        a.map((im, n) => (mask[n] ? im.map((row) => [...row].reverse()) : im)),
      ),
    ).toBe(0);
    const v = flip(t, mask, 'vertical');
    expect(
      maxDiff(
        v,
        a.map((im, n) => (mask[n] ? [...im].reverse() : im)),
      ),
    ).toBe(0);
    const angles = [0, 12.5, -90];
    const r = rotate(t, angles);
    const expected = a.map((im, n) => {
      const rad = (angles[n]! * Math.PI) / 180;
      const cy = (H - 1) / 2;
      const cx = (W - 1) / 2;
      return im.map((row, y) =>
        row.map((_, x) =>
          sampleZero(
            im,
            Math.sin(rad) * (x - cx) + Math.cos(rad) * (y - cy) + cy,
            Math.cos(rad) * (x - cx) - Math.sin(rad) * (y - cy) + cx,
          ),
        ),
      );
    });
    expect(maxDiff(r, expected)).toBeLessThan(TOL);
    // angle 0 is the identity; +90° counter-clockwise on a square moves the top-right corner to the top-left
    expect(maxDiff(tf.slice(r, [0], [1]), [a[0]!])).toBeLessThan(TOL);
    const sq = randomImages(3, 1, 5, 5);
    const r90 = rotate(sq.t, [90]);
    const v90 = r90.arraySync()[0]!;
    expect(v90[0]![0]![1]).toBeCloseTo(sq.a[0]![0]![4]![1]!, 5);
    tf.dispose([t, h, v, r, sq.t, r90]);
  });

  it('brightness, contrast, saturation, hue, grayscale (torchvision formulas)', () => {
    const { t, a } = randomImages(4);
    const f = [0.6, 1.4, 1.0];
    const b = adjustBrightness(t, f);
    expect(
      maxDiff(
        b,
        mapPx(a, (p, n) => p.map((v) => clamp(f[n]! * v))),
      ),
    ).toBeLessThan(TOL);
    const means = a.map((im) => im.flat().reduce((s, p) => s + gray(p), 0) / (H * W));
    const c = adjustContrast(t, f);
    expect(
      maxDiff(
        c,
        mapPx(a, (p, n) => p.map((v) => clamp(f[n]! * v + (1 - f[n]!) * means[n]!))),
      ),
    ).toBeLessThan(TOL);
    const s = adjustSaturation(t, f);
    expect(
      maxDiff(
        s,
        mapPx(a, (p, n) => p.map((v) => clamp(f[n]! * v + (1 - f[n]!) * gray(p)))),
      ),
    ).toBeLessThan(TOL);
    const shifts = [0.1, -0.35, 0];
    const hu = adjustHue(t, shifts);
    expect(
      maxDiff(
        hu,
        mapPx(a, (p, n) => naiveHue(p, shifts[n]!)),
      ),
    ).toBeLessThan(TOL);
    const g = grayscale(t, [true, false, true]);
    expect(
      maxDiff(
        g,
        mapPx(a, (p, n) => (n === 1 ? p : [gray(p), gray(p), gray(p)])),
      ),
    ).toBeLessThan(TOL);
    tf.dispose([t, b, c, s, hu, g]);
  });

  it('colorJitter applies the four ops in each image’s own order', () => {
    const { t, a } = randomImages(5);
    const params: (JitterParams | null)[] = [
      { order: [3, 0, 2, 1], brightness: 1.3, contrast: 0.7, saturation: 1.5, hue: 0.08 },
      { order: [1, 2, 0, 3], brightness: 0.8, contrast: 1.3, saturation: null, hue: -0.2 },
      null,
    ];
    const y = colorJitter(t, params);
    const expected = a.map((im, n) => {
      const p = params[n];
      if (!p) return im;
      let cur = im;
      for (const op of p.order) {
        const mean = cur.flat().reduce((s, px) => s + gray(px), 0) / (H * W);
        if (op === 0 && p.brightness !== null) cur = cur.map((row) => row.map((px) => px.map((v) => clamp(p.brightness! * v))));
        if (op === 1 && p.contrast !== null)
          cur = cur.map((row) => row.map((px) => px.map((v) => clamp(p.contrast! * v + (1 - p.contrast!) * mean))));
        if (op === 2 && p.saturation !== null)
          cur = cur.map((row) => row.map((px) => px.map((v) => clamp(p.saturation! * v + (1 - p.saturation!) * gray(px)))));
        if (op === 3 && p.hue !== null) cur = cur.map((row) => row.map((px) => naiveHue(px, p.hue!)));
      }
      return cur;
    });
    expect(maxDiff(y, expected)).toBeLessThan(TOL);
    // the order matters (the test can fail): brightness-then-contrast ≠ contrast-then-brightness
    const swapped = colorJitter(t, [{ ...params[0]!, order: [1, 2, 0, 3] }, params[1]!, null]);
    expect(maxDiff(swapped, expected)).toBeGreaterThan(1e-3);
    tf.dispose([t, y, swapped]);
  });

  it('gaussianBlur (reflect padding, torchvision kernel)', () => {
    const { t, a } = randomImages(6);
    const sigmas = [0.8, null, 1.7];
    const k = 5;
    const y = gaussianBlur(t, sigmas, k);
    const refl = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
    const expected = a.map((im, n) => {
      const s = sigmas[n];
      if (s == null) return im;
      const kk = Array.from(gaussianKernel1d(k, s));
      return im.map((row, yy) =>
        row.map((_, xx) =>
          [0, 1, 2].map((c) => {
            let acc = 0;
            for (let i = 0; i < k; i++)
              for (let j = 0; j < k; j++) acc += kk[i]! * kk[j]! * im[refl(yy + i - 2, H)]![refl(xx + j - 2, W)]![c]!;
            return acc;
          }),
        ),
      );
    });
    expect(maxDiff(y, expected)).toBeLessThan(TOL);
    expect(blurKernelSize(224)).toBe(23);
    expect(Array.from(gaussianKernel1d(3, 1)).map((v) => +v.toFixed(6))).toEqual([0.274069, 0.451863, 0.274069]);
    tf.dispose([t, y]);
  });

  it('normalize and streaming channel statistics', async () => {
    const { t, a } = randomImages(7);
    const mean = [0.3203, 0.2244, 0.1609];
    const std = [0.2622, 0.1833, 0.1318];
    const y = normalize(t, mean, std);
    expect(
      maxDiff(
        y,
        mapPx(a, (p) => p.map((v, c) => (v - mean[c]!) / std[c]!)),
      ),
    ).toBeLessThan(1e-5);
    const stats = new ChannelStats();
    // uneven batches: 1 then 2 images
    const b1 = tf.slice(t, [0], [1]);
    const b2 = tf.slice(t, [1], [2]);
    await stats.update(b1);
    await stats.update(b2);
    const r = stats.result();
    const px = a.flat(2);
    for (let c = 0; c < 3; c++) {
      const m = px.reduce((s, p) => s + p[c]!, 0) / px.length;
      const sd = Math.sqrt(px.reduce((s, p) => s + (p[c]! - m) ** 2, 0) / px.length);
      expect(Math.abs(r.mean[c]! - m)).toBeLessThan(1e-6);
      expect(Math.abs(r.std[c]! - sd)).toBeLessThan(1e-6);
    }
    expect(r.pixels).toBe(N * H * W);
    tf.dispose([t, y, b1, b2]);
  });
});

describe('sampling and the pipeline', () => {
  it('RandomResizedCrop parameters follow torchvision (bounds, fallback, banker’s rounding)', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2]);
    const rng = new StreamRng(3);
    for (let i = 0; i < 200; i++) {
      const b = sampleResizedCrop(rng, 100, 140, [0.2, 1], [3 / 4, 4 / 3]);
      expect(b.top + b.height).toBeLessThanOrEqual(100);
      expect(b.left + b.width).toBeLessThanOrEqual(140);
      const area = (b.height * b.width) / (100 * 140);
      expect(area).toBeGreaterThan(0.18);
    }
    // impossible scale → centre crop within the ratio range: 100x300 with max ratio 4/3 → 100x133
    expect(sampleResizedCrop(new StreamRng(1), 100, 300, [5, 6], [3 / 4, 4 / 3])).toEqual({ top: 0, left: 83, height: 100, width: 133 });
  });

  it('presets: shapes, range, determinism per (seed, epoch, index), independence of batch order, no leaks', () => {
    const { t } = randomImages(8, 4, 40, 48);
    const before = tf.memory().numTensors;
    for (const [name, preset] of Object.entries(PRESETS)) {
      const y1 = augmentBatch(t, preset, { seed: 1, epoch: 2, indices: [10, 11, 12, 13], outSize: 32 });
      const y2 = augmentBatch(t, preset, { seed: 1, epoch: 2, indices: [10, 11, 12, 13], outSize: 32 });
      expect(y1.shape, name).toEqual([4, 32, 32, 3]);
      expect(Array.from(y1.dataSync())).toEqual(Array.from(y2.dataSync()));
      const [lo, hi] = tf.tidy(() => [tf.min(y1).dataSync()[0]!, tf.max(y1).dataSync()[0]!]);
      expect(lo).toBeGreaterThanOrEqual(-1e-6);
      expect(hi).toBeLessThanOrEqual(1 + 1e-6);
      // image 12 alone, at position 0, gets the same augmentation as in the batch
      const single = tf.slice(t, [2], [1]);
      const y3 = augmentBatch(single, preset, { seed: 1, epoch: 2, indices: [12], outSize: 32 });
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y3, tf.slice(y1, [2], [1])))).dataSync()[0]!)).toBeLessThan(1e-6);
      if (name !== 'validation') {
        const y4 = augmentBatch(t, preset, { seed: 1, epoch: 3, indices: [10, 11, 12, 13], outSize: 32 });
        expect(Array.from(y4.dataSync())).not.toEqual(Array.from(y1.dataSync()));
        y4.dispose();
      }
      tf.dispose([y1, y2, y3, single]);
    }
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});
