/**
 * The augmentation's native per-image loops (src-main/engine/native/aug.c, installed in cpu.ts with
 * useNativeAugment) against cpu.ts's JavaScript loops: every value bit for bit (Object.is: NaN and
 * signed zeros included) — each op on images with edge values (NaN, ±0, below 0, above 1, grays,
 * ties between channels) and the whole presets over many sampled parameter sets. cpu.ts's loops are
 * themselves checked against ops.ts (tfjs) in augment-cpu.test.ts, so the native loops inherit that
 * oracle. Tolerance: none (the same float32 operations in the same order). Also: bad arguments are
 * refused with an error naming the function, never read or written out of range.
 *
 * CI builds the addon (`.ci/run`); elsewhere, without a C compiler, these tests are skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as cpu from '../../../src-main/engine/augment/cpu';
import { PRESETS, sampleAugParams } from '../../../src-main/engine/augment/pipeline';
import { nativeKernels, nativeUnavailableReason } from '../../../src-main/engine/kernels/native/addon';
import { StreamRng } from '../../../src-main/random/streams';

const native = nativeKernels();
if (!native && process.env.CI) throw new Error(`CI needs the native kernels: ${nativeUnavailableReason()}`);

afterEach(() => {
  cpu.useNativeAugment(null);
});

/** Runs `f` with the JavaScript loops and with the native ones; returns both results. */
function both(f: () => cpu.Images): [Float32Array, Float32Array] {
  cpu.useNativeAugment(null);
  const js = f().data;
  cpu.useNativeAugment(native);
  const nat = f().data;
  cpu.useNativeAugment(null);
  return [js, nat];
}

/** Indices where the two differ in any bit (Object.is), with the first few shown. */
function differences(a: Float32Array, b: Float32Array): string[] {
  expect(b.length).toBe(a.length);
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) out.push(`[${i}] js ${a[i]} native ${b[i]}`);
  return out.slice(0, 5);
}

const EDGE = [0, -0, 1, 0.5, 0.25, 1e-8, 1 - 1e-7, 2, -0.5, NaN, 0.3333333, 0.6666667, 0.299, 0.587];

/** Images [n, h, w, 3]: random values in [−0.05, 1.05] with edge values sprinkled in (every 7th value). */
function images(n: number, h: number, w: number, seed: number, edges = true): cpu.Images {
  const rng = new StreamRng(seed);
  const data = Float32Array.from({ length: n * h * w * 3 }, (_, i) =>
    edges && i % 7 === 3 ? EDGE[Math.floor(rng.next() * EDGE.length)]! : rng.next() * 1.1 - 0.05,
  );
  return { data, n, h, w, c: 3 };
}

/** Every RGB combination of the edge values, one pixel each (a 1 × N image). */
function edgePixels(): cpu.Images {
  const px: number[] = [];
  for (const r of EDGE) for (const g of EDGE) for (const b of EDGE) px.push(r, g, b);
  return { data: new Float32Array(px), n: 1, h: 1, w: px.length / 3, c: 3 };
}

describe.skipIf(!native)('native augmentation loops (aug.c) equal cpu.ts bit for bit', () => {
  it('resized crops: down- and upscaling, boxes at every border, odd sizes, the whole image', () => {
    const x = images(4, 23, 31, 1);
    const boxes: cpu.CropBox[] = [
      { top: 0, left: 0, height: 23, width: 31 },
      { top: 3, left: 5, height: 11, width: 20 },
      { top: 22, left: 30, height: 1, width: 1 },
      { top: 10, left: 0, height: 13, width: 31 },
    ];
    for (const [oh, ow] of [
      [17, 17],
      [40, 29],
      [1, 1],
      [23, 31],
    ] as const)
      expect(differences(...both(() => cpu.resizedCrop(x, boxes, oh, ow))), `${oh}x${ow}`).toEqual([]);
  });

  it('rotations: both signs, 0, ±90, 180, odd and even sides', () => {
    for (const [h, w] of [
      [19, 19],
      [16, 25],
    ] as const) {
      const x = images(7, h, w, 2);
      const angles = [0, 90, -90, 180, 37.5, -12.25, 359];
      expect(differences(...both(() => cpu.rotate(x, angles))), `${h}x${w}`).toEqual([]);
    }
  });

  it('brightness, contrast and saturation blends (factor 1: the clamp only) on edge values', () => {
    const x = images(5, 9, 11, 3);
    const factors = [1, 0, 0.6, 1.4, 2.5];
    for (const op of ['adjustBrightness', 'adjustContrast', 'adjustSaturation'] as const) {
      expect(differences(...both(() => cpu[op](x, factors))), op).toEqual([]);
      expect(differences(...both(() => cpu[op](edgePixels(), [0.7]))), `${op} edge pixels`).toEqual([]);
    }
  });

  it('hue shifts on every combination of edge values (NaN, ±0, ties, grays, out of range) and random images', () => {
    for (const shift of [0, -0, 0.5, -0.5, 0.1, -0.1, 1e-9, 0.49999997, -0.49999997])
      expect(differences(...both(() => cpu.adjustHue(edgePixels(), [shift]))), `shift ${shift}`).toEqual([]);
    const x = images(4, 13, 9, 4);
    expect(differences(...both(() => cpu.adjustHue(x, [0.05, -0.3, 0.5, 0])))).toEqual([]);
  });

  it('Gaussian blur: kernel sizes 3 to 23, reflect padding on odd sides, images without blur', () => {
    const x = images(4, 25, 24, 5);
    for (const k of [3, 5, 9, 23])
      expect(differences(...both(() => cpu.gaussianBlur(x, [0.1, null, 1.3, 2], k))), `kernel ${k}`).toEqual([]);
  });

  it('whole presets (fsTrain, MoCo aug+, validation) over 12 parameter sets each, 96 → 64 and 37 → 37 px', () => {
    let blurred = 0;
    let jittered = 0;
    for (const [size, out] of [
      [96, 64],
      [37, 37],
    ] as const) {
      const x = images(6, size, size, size, false);
      for (const preset of ['fsTrain', 'mocoAugPlus', 'validation'] as const) {
        for (let seed = 0; seed < 12; seed++) {
          const params = Array.from({ length: 6 }, (_, i) =>
            sampleAugParams(PRESETS[preset], StreamRng.forImage(seed, 1, i, 0), size, size, out),
          );
          blurred += params.filter((p) => p.blurSigma !== null).length;
          jittered += params.filter((p) => p.jitter !== null).length;
          expect(differences(...both(() => cpu.applyAugParams(x, params, out))), `${preset} ${size} px, seed ${seed}`).toEqual([]);
        }
      }
    }
    // the presets did exercise the native blur and colour loops
    expect(blurred).toBeGreaterThan(20);
    expect(jittered).toBeGreaterThan(50);
  });

  it('refuses bad arguments with an error naming the function, before touching memory', () => {
    const n = native!;
    const img = new Float32Array(5 * 5 * 3);
    const out = new Float32Array(5 * 5 * 3);
    expect(() => n.augResizedCrop(img, 0, 5, 5, 3, 2, 2, 4, 4, out, 0, 5, 5)).toThrow(/augResizedCrop: the box lies outside the image/);
    expect(() => n.augResizedCrop(img, 1, 5, 5, 3, 0, 0, 5, 5, out, 0, 5, 5)).toThrow(/augResizedCrop: an image lies outside/);
    expect(() => n.augResizedCrop(img, 0, 5, 5, 3, 0, 0, 5, 5, out, 0, 6, 5)).toThrow(/augResizedCrop: an image lies outside/);
    expect(() => n.augRotate(img, 0, 5, 5, 3, NaN, 0, out, 0)).toThrow(/augRotate: expected/);
    expect(() => n.augRotate(img, 0, 6, 5, 3, 1, 0, out, 0)).toThrow(/augRotate: an image lies outside/);
    expect(() => n.augBlend(img, 0, 25, 0.5, 3)).toThrow(/augBlend: expected/);
    expect(() => n.augBlend(img, 3, 25, 0.5, 0)).toThrow(/augBlend: the image lies outside/);
    expect(() => n.augHue(img, 0, 26, 0.1)).toThrow(/augHue: the image lies outside/);
    expect(() => n.augBlur(img, 0, 5, 5, 3, new Float32Array(4), out, 0)).toThrow(/augBlur: expected .* odd kernel/);
    expect(() => n.augBlur(img, 0, 5, 5, 3, new Float32Array(11), out, 0)).toThrow(/augBlur: expected .* odd kernel/);
    expect(() => n.augBlur(img, 0, 5, 5, 3, new Float32Array(3), out, 1)).toThrow(/augBlur: an image lies outside/);
    expect(() => (n.augHue as (...a: unknown[]) => void)(img, 0, 25)).toThrow(/expected 4 arguments/);
    expect(Array.from(img).every((v) => v === 0) && Array.from(out).every((v) => v === 0)).toBe(true);
  });
});
