/**
 * The corruptions' building blocks against naive re-implementations or known values:
 * border modes (scipy's documented patterns), Gaussian filtering (against a direct 2-D sum with the
 * outer-product kernel, 1e-12), the defocus decomposition (against tap-by-tap filtering with the
 * float32 kernel, 1e-6), colour conversion (round trip 1e-12 and the hue of primaries), Poisson and
 * normal draws (moments within 5 standard errors), numpy's pairwise sum, rounding, statistics
 * (against a naive computation), the plasma fractal and the procedural frost textures.
 */
import { describe, expect, it } from 'vitest';
import { hsvToRgbInPlace, rgbToHsvInPlace } from '../../../src-main/analysis/corruptions/color';
import { defocusFilter, defocusKernel } from '../../../src-main/analysis/corruptions/defocus';
import { borderIndex, correlate2d, gaussianFilter, gaussianHalfKernel } from '../../../src-main/analysis/corruptions/filters';
import { FROST_TEXTURE_COUNT, FROST_TEXTURE_SIZES, generateFrostTexture } from '../../../src-main/analysis/corruptions/frost-texture';
import { fromUnit, fromUnitF32 } from '../../../src-main/analysis/corruptions/image';
import { numpySum, roundHalfEven } from '../../../src-main/analysis/corruptions/numeric';
import { plasmaFractal } from '../../../src-main/analysis/corruptions/plasma';
import { normalField, poissonCdf, poissonFromCdf, uniformField } from '../../../src-main/analysis/corruptions/random';
import { clippedZoom, zoomAxis } from '../../../src-main/analysis/corruptions/resample';
import { corruptionStats, psnr } from '../../../src-main/analysis/corruptions/stats';
import { Rng } from '../../../src-main/random/prng';

function randomArray(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.next());
}

describe('border modes', () => {
  const seq = (mode: 'nearest' | 'reflect' | 'reflect101') => Array.from({ length: 12 }, (_, k) => borderIndex(k - 4, 4, mode));
  it("scipy 'reflect' (d c b a | a b c d | d c b a), 'nearest' and OpenCV's REFLECT_101", () => {
    expect(seq('reflect')).toEqual([3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]);
    expect(seq('nearest')).toEqual([0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3]);
    expect(seq('reflect101')).toEqual([2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1]);
  });
});

describe('gaussianFilter (scipy gaussian_filter)', () => {
  it('kernel: radius int(truncate·sigma + 0.5), normalised', () => {
    expect(gaussianHalfKernel(1, 4).length).toBe(5);
    expect(gaussianHalfKernel(0.64, 3).length).toBe(3);
    const k = gaussianHalfKernel(2.3, 4);
    expect(k[0]! + 2 * numpySum(k.subarray(1))).toBeCloseTo(1, 14);
  });

  it.each([
    ['nearest', 1.3, 2.1, 4],
    ['reflect', 0.9, 0.5, 3],
    ['reflect', 7, 6, 4], // kernel longer than the image: reflection repeats
  ] as const)('%s, sigma (%d, %d), truncate %d, equals a direct 2-D sum within 1e-12', (mode, sy, sx, truncate) => {
    const h = 9;
    const w = 13;
    const c = 2;
    const src = randomArray(h * w * c, 5);
    const got = gaussianFilter(src, h, w, c, sy, sx, mode, truncate);
    const ky = gaussianHalfKernel(sy, truncate);
    const kx = gaussianHalfKernel(sx, truncate);
    const ry = ky.length - 1;
    const rx = kx.length - 1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let a = -ry; a <= ry; a++)
            for (let b = -rx; b <= rx; b++)
              s += ky[Math.abs(a)]! * kx[Math.abs(b)]! * src[(borderIndex(y + a, h, mode) * w + borderIndex(x + b, w, mode)) * c + ch]!;
          expect(Math.abs(got[(y * w + x) * c + ch]! - s)).toBeLessThan(1e-12);
        }
      }
    }
  });
});

describe('defocus filter', () => {
  it.each([
    [3, 0.1],
    [4, 0.5],
    [6, 0.5],
    [8, 0.5],
    [10, 0.5],
  ])('disk(%d, %d): the decomposition (1e-6) and the FFT (1e-12) equal tap-by-tap filtering', (radius, alias) => {
    const h = 37;
    const w = 45;
    const src = randomArray(h * w * 3, radius);
    const k = defocusKernel(radius, alias);
    const direct = correlate2d(src, h, w, 3, k.values, k.size, k.size);
    const maxDiff = (a: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - direct[i]!)), 0);
    expect(maxDiff(defocusFilter(src, h, w, 3, radius, alias, 'decomposition'))).toBeLessThan(1e-6);
    expect(maxDiff(defocusFilter(src, h, w, 3, radius, alias, 'fft'))).toBeLessThan(1e-12);
    expect(maxDiff(defocusFilter(src, h, w, 3, radius, alias))).toBeLessThan(1e-6);
    // A normalised, anti-aliased, symmetric disk: it sums to 1 within float32 rounding unless it
    // touches the grid's edge (radius 8 and 10), where the reference's reflect-101 blur adds ~1 % mass.
    const sum = numpySum(k.values);
    if (radius <= 6) expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    else expect(sum).toBeGreaterThan(1.005);
    expect(k.values[0]).toBe(k.values[k.size * k.size - 1]);
    expect(k.values[radius]).toBe(k.values[k.size * k.size - 1 - radius]);
  });
});

describe('colour (skimage rgb2hsv / hsv2rgb)', () => {
  it('round trip within 1e-12, known hues', () => {
    const a = randomArray(3 * 500, 11);
    const b = Float64Array.from(a);
    rgbToHsvInPlace(b);
    for (let i = 0; i < b.length; i++) expect(b[i]).toBeGreaterThanOrEqual(0);
    hsvToRgbInPlace(b);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-12);
    const p = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0.5, 0, 0, 0]);
    rgbToHsvInPlace(p);
    expect(Array.from(p)).toEqual([0, 1, 1, 1 / 3, 1, 1, 2 / 3, 1, 1, 0, 0, 0.5, 0, 0, 0]);
  });
});

describe('random draws', () => {
  it.each([0, 0.4, 3, 12, 60])('Poisson(%d) by inversion: mean and variance within 5 standard errors', (lambda) => {
    const cdf = poissonCdf(lambda);
    expect(cdf[cdf.length - 1]).toBeGreaterThan(1 - 1e-15);
    for (let k = 1; k < cdf.length; k++) expect(cdf[k]).toBeGreaterThanOrEqual(cdf[k - 1]!);
    const rng = new Rng(1);
    const n = 20000;
    const xs = Array.from({ length: n }, () => poissonFromCdf(cdf, rng.next()));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    if (lambda === 0) {
      expect(xs.every((x) => x === 0)).toBe(true);
      return;
    }
    expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
    // Var of the sample variance ≈ (μ4 − σ⁴)/n with μ4 = λ(1 + 3λ) for the Poisson.
    expect(Math.abs(variance - lambda)).toBeLessThan(5 * Math.sqrt((lambda * (1 + 3 * lambda) - lambda * lambda) / n));
  });

  it('normal and uniform fields have the requested moments', () => {
    const n = 40000;
    const z = normalField(new Rng(2), n, 0.65, 0.3);
    const m = z.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(z.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    expect(Math.abs(m - 0.65)).toBeLessThan((5 * 0.3) / Math.sqrt(n));
    expect(Math.abs(sd - 0.3)).toBeLessThan(0.01);
    const u = uniformField(new Rng(3), n, -2, 2);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(2);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / n)).toBeLessThan((5 * 4) / Math.sqrt(12 * n));
  });
});

describe('numeric helpers', () => {
  it('numpySum: pairwise blocks of 8 (a value order where the plain loop rounds differently)', () => {
    expect(numpySum([1, 2, 3])).toBe(6);
    const a = [1e16, 1, 1, 1, 1, 1, 1, 1, -1e16, 1, 1, 1, 1, 1, 1, 1];
    // numpy: (1e16 − 1e16) + 7·(1 + 1) exactly = 14; a left-to-right loop loses the 1s next to 1e16.
    expect(numpySum(a)).toBe(14);
    expect(a.reduce((s, v) => s + v, 0)).not.toBe(14);
    const big = randomArray(1000, 4);
    expect(Math.abs(numpySum(big) - big.reduce((s, v) => s + v, 0))).toBeLessThan(1e-10);
  });

  it('roundHalfEven, and byte conversion truncates like np.uint8', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
    expect(Array.from(fromUnit(1, 1, [0.999, -0.2, Number.NaN]).data)).toEqual([254, 0, 0]);
    expect(Array.from(fromUnit(1, 1, [1.2, 3 / 255, 0.5]).data)).toEqual([255, 3, 127]);
    // float32: f32(3/255)·255 rounds to exactly 3 in float32.
    expect(Array.from(fromUnitF32(1, 1, [Math.fround(3 / 255), 1, 0]).data)).toEqual([3, 255, 0]);
  });
});

describe('zoom', () => {
  it('factor 1 is the identity; larger factors crop the centre', () => {
    const src = randomArray(7 * 9 * 3, 8);
    expect(Array.from(clippedZoom(src, 7, 9, 3, 1).data)).toEqual(Array.from(src));
    const ax = zoomAxis(224, 1.3);
    // ceil(224/1.3) = 173 source pixels starting at (224 − 173) // 2 = 25, zoomed to round(173·1.3) = 225.
    expect(ax.outLen).toBe(225);
    expect(ax.i0[0]).toBe(25);
    expect(ax.i1[ax.outLen - 1]).toBe(25 + 172);
  });
});

describe('statistics', () => {
  it('PSNR, mean and std shifts equal a naive computation', () => {
    const w = 5;
    const h = 4;
    const a = { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256) };
    const b = { width: w, height: h, data: Uint8Array.from(a.data, (v, i) => Math.min(255, v + (i % 5))) };
    let se = 0;
    for (let i = 0; i < a.data.length; i++) se += (a.data[i]! - b.data[i]!) ** 2;
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10((255 * 255 * a.data.length) / se), 12);
    expect(psnr(a, a)).toBe(Infinity);
    const s = corruptionStats(a, b);
    for (let c = 0; c < 3; c++) {
      const ch = (img: typeof a) => Array.from(img.data).filter((_, i) => i % 3 === c);
      const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
      const std = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
      expect(s.meanShift[c]).toBeCloseTo(mean(ch(b)) - mean(ch(a)), 12);
      expect(s.stdShift[c]).toBeCloseTo(std(ch(b)) - std(ch(a)), 12);
    }
  });
});

describe('plasma fractal', () => {
  it('is deterministic, spans [0, 1], and rejects sizes that are not powers of two', () => {
    const a = plasmaFractal(new Rng(4), 64, 2);
    const b = plasmaFractal(new Rng(4), 64, 2);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(...a)).toBe(0);
    expect(Math.max(...a)).toBe(1);
    expect(() => plasmaFractal(new Rng(4), 48, 2)).toThrow(RangeError);
  });
});

describe('procedural frost textures', () => {
  it('five deterministic textures of the declared sizes: bright cold-blue crystals over haze', () => {
    expect(FROST_TEXTURE_SIZES).toHaveLength(FROST_TEXTURE_COUNT);
    for (let i = 0; i < FROST_TEXTURE_COUNT; i++) {
      const t = generateFrostTexture(i);
      const again = generateFrostTexture(i);
      expect(Buffer.from(t.data).equals(Buffer.from(again.data))).toBe(true);
      expect([t.width, t.height]).toEqual(FROST_TEXTURE_SIZES[i]);
      const n = t.width * t.height;
      const mean = [0, 0, 0];
      for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) mean[c]! += t.data[p * 3 + c]! / n;
      let varB = 0;
      for (let p = 0; p < n; p++) varB += (t.data[p * 3 + 2]! - mean[2]!) ** 2 / n;
      expect(mean[2]).toBeGreaterThan(mean[0]!); // bluish
      expect(mean[2]).toBeGreaterThan(80);
      expect(mean[2]).toBeLessThan(170);
      expect(Math.sqrt(varB)).toBeGreaterThan(20); // crystals against the haze, not a flat film
    }
    expect(() => generateFrostTexture(5)).toThrow(RangeError);
  });
});
