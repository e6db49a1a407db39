/**
 * The typed-array augmentation (src-main/engine/augment/cpu.ts, what training runs in its worker
 * threads) against the tfjs ops of ops.ts on the cpu backend, the reference: every op on its own
 * (odd sizes, crops at the border, upscaling crops, rotations, every jitter order, blur) and the
 * whole fsTrain, mocoAugPlus (both views) and validation presets over many seeds and sizes.
 * Tolerance: 1e-6 max abs difference on [0, 1] images.
 */
import tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ops from '../../../src-main/engine/augment/ops';
import * as cpu from '../../../src-main/engine/augment/cpu';
import { augmentBatch, PRESETS, sampleAugParams, type ImageAugParams } from '../../../src-main/engine/augment/pipeline';
import { StreamRng } from '../../../src-main/random/streams';

const TOL = 1e-6;
let previousBackend = '';

beforeAll(async () => {
  previousBackend = tf.getBackend();
  await tf.setBackend('cpu');
  await tf.ready();
});

afterAll(async () => {
  if (previousBackend) await tf.setBackend(previousBackend);
});

function images(seed: number, n: number, h: number, w: number, c = 3): cpu.Images {
  const rng = new StreamRng(seed);
  const data = new Float32Array(n * h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  // a few saturated and equal-channel pixels (HSV's special cases, clamps)
  for (let i = 0; i < data.length; i += 97) data[i] = i % 2 ? 1 : 0;
  for (let p = 0; p + 2 < data.length; p += 3 * 41) data[p + 1] = data[p + 2] = data[p]!;
  return { data, n, h, w, c };
}

const tensor = (x: cpu.Images) => tf.tensor4d(x.data, [x.n, x.h, x.w, x.c]);

/** Max abs difference between the tfjs op's output and the typed-array op's, checking the shape too. */
function diff(t: tf.Tensor, y: cpu.Images): number {
  expect(t.shape).toEqual([y.n, y.h, y.w, y.c]);
  const a = t.dataSync();
  t.dispose();
  expect(a.length).toBe(y.data.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - y.data[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function compare(x: cpu.Images, tfOp: (t: tf.Tensor4D) => tf.Tensor, cpuOp: (x: cpu.Images) => cpu.Images): number {
  const t = tensor(x);
  try {
    return diff(
      tf.tidy(() => tfOp(t)),
      cpuOp(x),
    );
  } finally {
    t.dispose();
  }
}

const SIZES: [number, number][] = [
  [9, 11],
  [16, 16],
  [17, 13],
  [32, 32],
];

describe('typed-array augmentation ops equal ops.ts (cpu backend)', () => {
  it('resizedCrop: down- and upscaling, boxes at every border, full image', () => {
    for (const [h, w] of SIZES) {
      const x = images(h * 100 + w, 4, h, w);
      const boxes: cpu.CropBox[] = [
        { top: 0, left: 0, height: h, width: w },
        { top: h - 3, left: w - 2, height: 3, width: 2 }, // upscaled, bottom-right corner
        { top: 0, left: 1, height: Math.max(1, h - 4), width: w - 1 }, // right border
        { top: 2, left: 0, height: h - 2, width: 5 },
      ];
      for (const [oh, ow] of [
        [7, 7],
        [h, w],
        [24, 19],
      ] as const) {
        expect(
          compare(
            x,
            (t) => ops.resizedCrop(t, boxes, oh, ow),
            (y) => cpu.resizedCrop(y, boxes, oh, ow),
          ),
        ).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('flips and rotations (angles of both signs, 0, ±90, 180)', () => {
    for (const [h, w] of SIZES) {
      const x = images(h + w, 5, h, w);
      const mask = [true, false, true, true, false];
      for (const axis of ['horizontal', 'vertical'] as const)
        expect(
          compare(
            x,
            (t) => ops.flip(t, mask, axis),
            (y) => cpu.flip(y, mask, axis),
          ),
        ).toBe(0);
      const angles = [0, 13.7, -15, 90, -180.5];
      expect(
        compare(
          x,
          (t) => ops.rotate(t, angles),
          (y) => cpu.rotate(y, angles),
        ),
      ).toBeLessThanOrEqual(TOL);
    }
  });

  it('brightness, contrast, saturation, hue, grayscale, luminance', () => {
    for (const [h, w] of SIZES) {
      const x = images(7 * h + w, 4, h, w);
      const factors = [0.6, 1, 1.4, 0.93];
      const shifts = [-0.5, -0.1, 0.0371, 0.5];
      expect(
        compare(
          x,
          (t) => ops.adjustBrightness(t, factors),
          (y) => cpu.adjustBrightness(y, factors),
        ),
      ).toBeLessThanOrEqual(TOL);
      expect(
        compare(
          x,
          (t) => ops.adjustContrast(t, factors),
          (y) => cpu.adjustContrast(y, factors),
        ),
      ).toBeLessThanOrEqual(TOL);
      expect(
        compare(
          x,
          (t) => ops.adjustSaturation(t, factors),
          (y) => cpu.adjustSaturation(y, factors),
        ),
      ).toBeLessThanOrEqual(TOL);
      expect(
        compare(
          x,
          (t) => ops.adjustHue(t, shifts),
          (y) => cpu.adjustHue(y, shifts),
        ),
      ).toBeLessThanOrEqual(TOL);
      expect(
        compare(
          x,
          (t) => ops.grayscale(t, [true, false, false, true]),
          (y) => cpu.grayscale(y, [true, false, false, true]),
        ),
      ).toBe(0);
      expect(
        compare(
          x,
          (t) => ops.luminance(t),
          (y) => cpu.luminance(y),
        ),
      ).toBe(0);
    }
  });

  it('colorJitter: all 24 orders, skipped ops, images without jitter in the batch', () => {
    const perms: number[][] = [];
    const permute = (rest: number[], acc: number[]) =>
      rest.length === 0 ? perms.push(acc) : rest.forEach((v, i) => permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, v]));
    permute([0, 1, 2, 3], []);
    expect(perms).toHaveLength(24);
    const x = images(5, 6, 13, 15);
    for (let k = 0; k < perms.length; k += 4) {
      const params: (cpu.JitterParams | null)[] = [
        { order: perms[k]!, brightness: 1.3, contrast: 0.7, saturation: 1.35, hue: 0.08 },
        { order: perms[k + 1]!, brightness: 0.65, contrast: 1.25, saturation: 0.6, hue: -0.1 },
        { order: perms[k + 2]!, brightness: null, contrast: 1.1, saturation: null, hue: 0.02 },
        { order: perms[k + 3]!, brightness: 1.05, contrast: 0.95, saturation: 1.02, hue: null },
        null,
        { order: perms[(k + 7) % 24]!, brightness: 1.39, contrast: 1.39, saturation: 0.61, hue: -0.099 },
      ];
      expect(
        compare(
          x,
          (t) => ops.colorJitter(t, params),
          (y) => cpu.colorJitter(y, params),
        ),
      ).toBeLessThanOrEqual(TOL);
    }
  });

  it('colorJitter clamps every image of a batch where one blends (ops.ts semantics), also a share of a batch given the whole', () => {
    const x = images(11, 3, 6, 6);
    for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! * 1.4 - 0.2; // values outside [0, 1]
    const jitter: cpu.JitterParams = { order: [1, 0, 2, 3], brightness: null, contrast: 1.2, saturation: null, hue: null };
    const params = [null, jitter, null];
    expect(
      compare(
        x,
        (t) => ops.colorJitter(t, params),
        (y) => cpu.colorJitter(y, params),
      ),
    ).toBeLessThanOrEqual(TOL);
    expect(Math.max(...cpu.colorJitter(x, params).data)).toBe(1);
    // applyAugParams on image 0 alone: given the whole batch's parameters it clamps as in the batch, else not
    const aug = (j: cpu.JitterParams | null): ImageAugParams => ({
      crop: { top: 0, left: 0, height: 6, width: 6 },
      hflip: false,
      vflip: false,
      angle: 0,
      jitter: j,
      gray: false,
      blurSigma: null,
    });
    const batch = params.map(aug);
    const share = { ...x, n: 1, data: x.data.slice(0, 6 * 6 * 3) };
    const shared = cpu.applyAugParams(share, [batch[0]!], 6, batch).data;
    expect(shared).toEqual(cpu.applyAugParams(x, batch, 6).data.slice(0, 6 * 6 * 3));
    expect(Math.max(...shared)).toBe(1);
    expect(Math.max(...cpu.applyAugParams(share, [batch[0]!], 6).data)).toBeGreaterThan(1);
  });

  it('gaussianBlur: kernel sizes 3 to 9, reflect padding on odd sides, images without blur', () => {
    for (const [h, w] of SIZES) {
      const x = images(h * w, 3, h, w);
      for (const k of [3, 5, 9].filter((k) => (k - 1) / 2 < Math.min(h, w))) {
        const sigmas = [0.1, null, 2.4];
        expect(
          compare(
            x,
            (t) => ops.gaussianBlur(t, sigmas, k),
            (y) => cpu.gaussianBlur(y, sigmas, k),
          ),
        ).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('rejects what ops.ts rejects', () => {
    const x = images(1, 2, 8, 8);
    expect(() =>
      cpu.resizedCrop(
        x,
        [
          { top: 0, left: 0, height: 9, width: 8 },
          { top: 0, left: 0, height: 8, width: 8 },
        ],
        4,
        4,
      ),
    ).toThrow(/resizedCrop/);
    expect(() => cpu.gaussianBlur(x, [1, 1], 4)).toThrow(/gaussianBlur/);
    expect(() => cpu.flip(x, [true], 'horizontal')).toThrow(/1 parameter sets for a batch of 2/);
  });
});

describe('whole presets: typed-array pipeline equals augmentBatch (cpu backend)', () => {
  const cases: { preset: keyof typeof PRESETS; size: number; out: number; views: number }[] = [
    { preset: 'fsTrain', size: 33, out: 33, views: 1 },
    { preset: 'fsTrain', size: 40, out: 31, views: 1 },
    { preset: 'fsTrain', size: 24, out: 48, views: 1 },
    { preset: 'mocoAugPlus', size: 41, out: 41, views: 2 },
    { preset: 'mocoAugPlus', size: 48, out: 48, views: 2 },
    { preset: 'mocoAugPlus', size: 30, out: 45, views: 2 },
    { preset: 'validation', size: 20, out: 16, views: 1 },
    { preset: 'validation', size: 20, out: 20, views: 1 },
  ];
  for (const c of cases) {
    const seeds = c.preset === 'mocoAugPlus' ? 3 : 6;
    it(`${c.preset} ${c.size} px → ${c.out} px, ${c.views} view(s), ${seeds} seeds × 2 epochs`, () => {
      const before = tf.memory().numTensors;
      let worst = 0;
      let blurred = 0;
      let jittered = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const x = images(seed * 31 + c.size, 6, c.size, c.size);
        const indices = [0, 5, 17, 2, 99, 1234].map((i) => i + seed);
        for (const epoch of [1, 7]) {
          for (let view = 0; view < c.views; view++) {
            const params: ImageAugParams[] = indices.map((i) =>
              sampleAugParams(PRESETS[c.preset], StreamRng.forImage(seed, epoch, i, view), c.size, c.size, c.out),
            );
            blurred += params.filter((p) => p.blurSigma !== null).length;
            jittered += params.filter((p) => p.jitter !== null).length;
            const t = tensor(x);
            const ref = augmentBatch(t, PRESETS[c.preset], { seed, epoch, indices, view, outSize: c.out });
            t.dispose();
            worst = Math.max(worst, diff(ref, cpu.applyAugParams(x, params, c.out)));
          }
        }
      }
      expect(worst).toBeLessThanOrEqual(TOL);
      if (c.preset === 'mocoAugPlus') expect(blurred).toBeGreaterThan(10);
      if (c.preset !== 'validation') expect(jittered).toBeGreaterThan(10);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('does not modify its input (both MoCo views come from the same pixels)', () => {
    const x = images(3, 2, 20, 20);
    const copy = x.data.slice();
    const params = [0, 1].map((i) => sampleAugParams(PRESETS.mocoAugPlus, StreamRng.forImage(1, 1, i, 0), 20, 20, 20));
    cpu.applyAugParams(x, params, 20);
    cpu.applyAugParams(
      x,
      [0, 1].map(() => ({ ...params[0]!, crop: { top: 0, left: 0, height: 20, width: 20 } })),
      20,
    );
    expect(x.data).toEqual(copy);
  });
});
