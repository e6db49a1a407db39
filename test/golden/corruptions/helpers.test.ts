/**
 * The building blocks that re-implement OpenCV and numpy behaviour, each against the library's own
 * output (helpers.json, made by make_fixtures.py with OpenCV 4.6 / numpy 1.24):
 * - spatter's OpenCV chain on a liquid-like plane: Canny, distanceTransform(DIST_L2, 5), blur on
 *   float32 and on bytes, equalizeHist, filter2D with the emboss kernel — exact;
 * - cv2.resize(INTER_CUBIC) of the frost formula textures (up- and downscaling) — within 1 grey
 *   level, ≤ 1 % of values off (OpenCV's SIMD float32 rounding order is not reproduced);
 * - the defocus disk kernels — within 5e-9 (float32 rounding of values ~0.005);
 * - the zoom factors of np.arange — identical doubles.
 */
import { describe, expect, it } from 'vitest';
import { zoomFactors } from '../../../src-main/analysis/corruptions/blur';
import {
  boxBlur3F32,
  boxBlur3U8,
  canny,
  distanceTransformL2Mask5,
  equalizeHist,
  filter2D3x3U8,
} from '../../../src-main/analysis/corruptions/cv';
import { defocusKernel } from '../../../src-main/analysis/corruptions/defocus';
import { cvResizeCubic8u } from '../../../src-main/analysis/corruptions/resample';
import type { Severity } from '../../../src-main/analysis/corruptions/severity';
import { bytes, compareBytes, float32s, frostTestTexture, helpers } from './fixtures';

describe("spatter's OpenCV steps reproduce cv2 exactly", () => {
  const p = helpers.plane;
  const { width: w, height: h } = p;
  const l8 = bytes(p.l8);

  it('the plane has liquid edges to work on', () => {
    const edges = bytes(p.canny).filter((v) => v === 255).length;
    expect(edges).toBeGreaterThan(100);
    expect(edges).toBeLessThan((w * h) / 2);
  });

  it('Canny(50, 150)', () => {
    expect(compareBytes(canny(l8, h, w, 50, 150), bytes(p.canny)).differing).toBe(0);
  });

  it('distanceTransform(DIST_L2, 5) to the edges', () => {
    const inv = bytes(p.canny).map((v) => 255 - v);
    const got = distanceTransformL2Mask5(inv, h, w);
    const want = float32s(p.dist);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBe(want[i]);
  });

  it('blur 3x3 on float32, equalizeHist, emboss filter2D, blur 3x3 on bytes', () => {
    const trunc = float32s(p.dist).map((v) => Math.min(v, 20));
    const bf = boxBlur3F32(trunc, h, w);
    const wantBf = float32s(p.blurF32);
    for (let i = 0; i < wantBf.length; i++) expect(bf[i]).toBe(wantBf[i]);
    const d8 = Uint8Array.from(wantBf, (v) => Math.trunc(v));
    expect(compareBytes(equalizeHist(d8), bytes(p.equalized)).differing).toBe(0);
    expect(compareBytes(filter2D3x3U8(bytes(p.equalized), h, w, [-2, -1, 0, -1, 1, 1, 0, 1, 2]), bytes(p.embossed)).differing).toBe(0);
    expect(compareBytes(boxBlur3U8(bytes(p.embossed), h, w), bytes(p.blurU8)).differing).toBe(0);
  });
});

describe('cv2.resize(INTER_CUBIC)', () => {
  it.each(helpers.cubic.map((c) => [c.texture, c.width, c.height, c] as const))(
    'texture %i to %ix%i: within 1, at most 1 percent of values off',
    (index, width, height, c) => {
      const t = frostTestTexture(index);
      const { maxDiff, differing } = compareBytes(cvResizeCubic8u(t.data, t.width, t.height, 3, width, height), bytes(c.data));
      expect(maxDiff).toBeLessThanOrEqual(1);
      expect(differing / (width * height * 3)).toBeLessThanOrEqual(0.01);
    },
  );
});

describe('defocus kernels and zoom factors', () => {
  it.each(helpers.defocusKernels.map((k) => [k.radius, k.aliasBlur, k] as const))(
    'disk(radius %d, alias_blur %d) within 5e-9',
    (radius, alias, k) => {
      const got = defocusKernel(radius, alias);
      expect(got.size).toBe(k.size);
      let maxDiff = 0;
      for (let i = 0; i < k.values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.values[i]! - k.values[i]!));
      expect(maxDiff).toBeLessThanOrEqual(5e-9);
    },
  );

  it('zoom factors equal np.arange to the last bit', () => {
    helpers.zoomFactors.forEach((want, i) => expect(zoomFactors((i + 1) as Severity)).toEqual(want));
  });
});
