/**
 * The fundus region, the share of positive relevance outside it and the overlay PNGs' pixels
 * (src-main/analysis/lrp/fundus.ts, overlays.ts) on synthetic inputs. Oracles, written out here
 * independently of the code:
 * - the share: a naive double loop over a random heatmap and a hand-made fundus mask, float64, 1e-12;
 * - the fundus circle: its centre and radius from the crop box by hand, every outline pixel within one
 *   pixel's diagonal of the circle (or on the box edge), every pixel farther inside not outline;
 * - the heatmap blend: at a pixel inside the heatmap's maximum the colour map's top colour (255, 0, 0)
 *   at alpha round(255 · 0.75) = 191 over the image, round(v · (1 − 191/255) + c · 191/255), exact;
 * - a lesion mask's outline: the mask pixels with a 4-neighbour outside the mask, recomputed here, exact.
 */
import { describe, expect, it } from 'vitest';
import { fundusCircle, fundusMask, inFundus, outsideFundusShare } from '../../../src-main/analysis/lrp/fundus';
import { FUNDUS_OUTLINE_COLOUR, overlayPixels } from '../../../src-main/analysis/lrp/overlays';
import { parseHex } from '../../../src-shared/colour';
import { LESION_COLOURS } from '../../../src-shared/contract';
import type { CropGeometry } from '../../../src-shared/datasets';
import { mulberry32 } from '../../../src-main/random/prng';

// A 1200 × 900 photograph whose retina box is 1000 × 900 (touching top and bottom), side 1000.
const CROP: CropGeometry = { left: 100, top: 0, width: 1000, height: 900, side: 1000, padLeft: 0, padTop: 50 };
const MARGIN = 0.02;

describe('share of positive relevance outside the fundus', () => {
  it('equals a naive computation on a random heatmap and mask (float64, 1e-12); null without positive relevance', () => {
    const rand = mulberry32(7);
    const n = 64 * 64;
    const heat = Float32Array.from({ length: n }, () => (rand() - 0.4) * 10 ** (rand() * 6 - 3));
    const mask = Uint8Array.from({ length: n }, (_, p) => (((p % 64) - 32) ** 2 + (Math.floor(p / 64) - 30) ** 2 <= 25 ** 2 ? 1 : 0));
    let pos = 0;
    let out = 0;
    for (let p = 0; p < n; p++) {
      if (heat[p]! > 0) {
        pos += heat[p]!;
        if (!mask[p]) out += heat[p]!;
      }
    }
    expect(out).toBeGreaterThan(0);
    expect(Math.abs(outsideFundusShare(heat, mask)! - out / pos)).toBeLessThanOrEqual(1e-12);
    expect(outsideFundusShare(new Float32Array(n).fill(-1), mask)).toBeNull();
    expect(outsideFundusShare(Float32Array.from(mask), mask)).toBe(0);
    expect(() => outsideFundusShare(new Float32Array(3), mask)).toThrow(/3 pixels/);
  });

  it('the fundus is the circle of the retina width about the crop box centre, cut by the box', () => {
    const size = 200;
    const c = fundusCircle(CROP, MARGIN, size);
    // By hand: scale 0.2 → box 200 × 180 at top 10; centre (100, 100); radius 200 / 2 / 1.04.
    expect(c.box).toEqual({ left: 0, top: 10, width: 200, height: 180 });
    expect([c.cx, c.cy]).toEqual([100, 100]);
    expect(c.r).toBeCloseTo(100 / 1.04, 12);
    expect(inFundus(c, 100, 100)).toBe(true);
    expect(inFundus(c, 100, 5)).toBe(false); // above the box, though inside the circle's radius from the centre
    expect(inFundus(c, 100, 12)).toBe(true); // the box's top edge cuts the circle
    expect(inFundus(c, 2, 100)).toBe(false); // outside the circle (margin)
    expect(inFundus(c, 5, 100)).toBe(true);
    expect(inFundus(c, 10, 15)).toBe(false); // a corner of the box
  });
});

describe('overlay pixels', () => {
  const O = 100;
  const S = 20;
  const image = Uint8Array.from({ length: O * O * 3 }, (_, i) => (i * 37) % 200);
  // One strong pixel (the heatmap's maximum) at heatmap (10, 6); the rest small.
  const heatmap = Float32Array.from({ length: S * S }, (_, p) => (p === 6 * S + 10 ? 100 : 0.001 * ((p % 7) - 3)));
  // An EX mask: a filled rectangle x 30..44, y 60..71.
  const ex = Uint8Array.from({ length: O * O }, (_, p) =>
    p % O >= 30 && p % O <= 44 && Math.floor(p / O) >= 60 && Math.floor(p / O) <= 71 ? 1 : 0,
  );
  const rgb = overlayPixels({ image, size: O, heatmap, heatmapSize: S, masks: { EX: ex }, crop: CROP, cropMargin: MARGIN });
  const at = (x: number, y: number) => Array.from(rgb.subarray((y * O + x) * 3, (y * O + x) * 3 + 3));

  it('blends the colour map top colour over the image inside the heatmap maximum', () => {
    // Heatmap pixel (10, 6) covers overlay pixels x 50..54, y 30..34 (nearest neighbour, ×5).
    const alpha = Math.round(255 * 0.75) / 255;
    for (const [x, y] of [
      [50, 30],
      [52, 32],
      [54, 34],
    ] as const) {
      const base = Array.from(image.subarray((y * O + x) * 3, (y * O + x) * 3 + 3));
      expect(at(x, y)).toEqual([255, 0, 0].map((c, k) => Math.round(base[k]! * (1 - alpha) + c * alpha)));
    }
  });

  it('draws the lesion mask outline on the mask border and the fundus outline on the fundus circle', () => {
    const exColour = Array.from(parseHex(LESION_COLOURS.EX));
    const fundusColour = Array.from(parseHex(FUNDUS_OUTLINE_COLOUR));
    const fundus = fundusMask(fundusCircle(CROP, MARGIN, O));
    const c = fundusCircle(CROP, MARGIN, O);
    let outlinePixels = 0;
    for (let y = 0; y < O; y++)
      for (let x = 0; x < O; x++) {
        const p = y * O + x;
        // Naive border: set, with a 4-neighbour unset or on the image edge.
        const border = (m: Uint8Array) =>
          m[p] === 1 && (x === 0 || y === 0 || x === O - 1 || y === O - 1 || !m[p - 1] || !m[p + 1] || !m[p - O] || !m[p + O]);
        if (border(fundus)) {
          outlinePixels++;
          expect(at(x, y), `fundus outline ${x},${y}`).toEqual(fundusColour);
          // On the circle: within a pixel's diagonal of radius r, or on the box's cut edge.
          const d = Math.hypot(x + 0.5 - c.cx, y + 0.5 - c.cy);
          const onBoxEdge = y === c.box.top || y === c.box.top + c.box.height - 1 || x === c.box.left || x === c.box.left + c.box.width - 1;
          expect(onBoxEdge || Math.abs(d - c.r) <= Math.SQRT2, `${x},${y} at distance ${d}, r ${c.r}`).toBe(true);
        } else if (border(ex)) expect(at(x, y), `EX outline ${x},${y}`).toEqual(exColour);
        else if (ex[p] && !(x >= 50 && x <= 54 && y >= 30 && y <= 34)) expect(at(x, y)).not.toEqual(exColour);
      }
    expect(outlinePixels).toBeGreaterThan(200);
    // The rectangle's corners and edges are outline; its inside is not.
    expect(at(30, 60)).toEqual(exColour);
    expect(at(44, 65)).toEqual(exColour);
    expect(at(37, 65)).not.toEqual(exColour);
  });
});
