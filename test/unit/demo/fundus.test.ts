import { describe, expect, it } from 'vitest';
import { LESION_COUNTS, renderFundus, type Grade } from '../../../src-main/services/demo';
import { Rng } from '../../../src-main/random/prng';

const grades: Grade[] = [0, 1, 2, 3, 4];

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('seeded PRNG', () => {
  it('is deterministic and roughly uniform', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Rng(43).next()).not.toBe(xs[0]);
  });
});

describe('renderFundus', () => {
  it('is deterministic: same seed gives identical bytes, another seed differs', () => {
    const a = renderFundus({ size: 128, grade: 3, eye: 'right', seed: 7 });
    const b = renderFundus({ size: 128, grade: 3, eye: 'right', seed: 7 });
    const c = renderFundus({ size: 128, grade: 3, eye: 'right', seed: 8 });
    expect(bytesEqual(a.rgb, b.rgb)).toBe(true);
    for (const k of ['MA', 'HE', 'EX', 'SE', 'OD'] as const) expect(bytesEqual(a.masks[k], b.masks[k])).toBe(true);
    expect(a.lesions).toEqual(b.lesions);
    expect(bytesEqual(a.rgb, c.rgb)).toBe(false);
    expect(bytesEqual(a.masks.HE, c.masks.HE)).toBe(false);
  });

  it('draws a retina circle on black: corners black, centre bright; sizes and mask shapes match', () => {
    for (const size of [96, { width: 201, height: 134 }] as const) {
      const img = renderFundus({ size, grade: 2, eye: 'left', seed: 3, style: 'natural' });
      const { width: w, height: h, rgb } = img;
      expect(rgb.length).toBe(w * h * 3);
      for (const m of [img.masks.MA, img.masks.HE, img.masks.EX, img.masks.SE, img.masks.OD]) {
        expect(m.length).toBe(w * h);
        expect(m.every((v) => v === 0 || v === 1)).toBe(true);
      }
      for (const [x, y] of [
        [0, 0],
        [w - 1, 0],
        [0, h - 1],
        [w - 1, h - 1],
        [2, 2],
      ] as const) {
        const i = (y * w + x) * 3;
        expect(Math.max(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!)).toBeLessThan(16);
      }
      const c = (Math.floor(h / 2) * w + Math.floor(w / 2)) * 3;
      expect(rgb[c]!).toBeGreaterThan(60);
    }
  });

  it('natural style is orange-red (R > G > B inside the retina) and equalised style spreads every channel', () => {
    const nat = renderFundus({ size: 128, grade: 0, eye: 'right', seed: 11, style: 'natural' });
    const eq = renderFundus({ size: 128, grade: 0, eye: 'right', seed: 11, style: 'equalised' });
    const mean = (rgb: Uint8Array, ch: number) => {
      let s = 0;
      let n = 0;
      for (let y = 40; y < 88; y++)
        for (let x = 40; x < 88; x++) {
          s += rgb[(y * 128 + x) * 3 + ch]!;
          n++;
        }
      return s / n;
    };
    expect(mean(nat.rgb, 0)).toBeGreaterThan(mean(nat.rgb, 1));
    expect(mean(nat.rgb, 1)).toBeGreaterThan(mean(nat.rgb, 2));
    // After equalisation the blue channel is no longer tiny.
    expect(mean(eq.rgb, 2)).toBeGreaterThan(mean(nat.rgb, 2) + 40);
  });

  it('mirrors the disc: right eye on the right of the image, left eye on the left; the OD mask covers the disc', () => {
    for (const eye of ['left', 'right'] as const) {
      const img = renderFundus({ size: 128, grade: 0, eye, seed: 5 });
      const { disc, cx, fovea } = img.geometry;
      if (eye === 'right') expect(disc.x).toBeGreaterThan(cx);
      else expect(disc.x).toBeLessThan(cx);
      // the fovea is on the other side, about 2.5 disc diameters away
      const dd = Math.hypot(disc.x - fovea.x, disc.y - fovea.y) / (2 * disc.radius);
      expect(dd).toBeGreaterThan(2);
      expect(dd).toBeLessThan(3);
      let sx = 0;
      let n = 0;
      img.masks.OD.forEach((v, i) => {
        if (v) {
          sx += i % 128;
          n++;
        }
      });
      expect(n).toBeGreaterThan(50);
      expect(Math.abs(sx / n - disc.x)).toBeLessThan(2);
    }
  });

  it('grade 0 has no lesions; lesion counts grow with grade on average; NV only in grade 4', () => {
    const seeds = 12;
    const mean: Record<number, { MA: number; HE: number; EX: number; NV: number }> = {};
    for (const g of grades) {
      const m = { MA: 0, HE: 0, EX: 0, NV: 0 };
      for (let s = 0; s < seeds; s++) {
        const img = renderFundus({ size: 64, grade: g, eye: s % 2 ? 'left' : 'right', seed: 1000 + s });
        if (g === 0) {
          for (const k of ['MA', 'HE', 'EX', 'SE'] as const) expect(img.masks[k].every((v) => v === 0)).toBe(true);
          expect(img.lesions).toEqual({ MA: 0, HE: 0, EX: 0, SE: 0, NV: 0 });
        }
        if (g === 1) expect(img.lesions.HE + img.lesions.EX + img.lesions.NV).toBe(0);
        const spec = LESION_COUNTS[g];
        expect(img.lesions.MA).toBeGreaterThanOrEqual(spec.MA[0]);
        expect(img.lesions.MA).toBeLessThanOrEqual(spec.MA[1]);
        m.MA += img.lesions.MA / seeds;
        m.HE += img.lesions.HE / seeds;
        m.EX += img.lesions.EX / seeds;
        m.NV += img.lesions.NV / seeds;
      }
      mean[g] = m;
    }
    expect(mean[1]!.MA).toBeGreaterThan(mean[0]!.MA);
    expect(mean[2]!.MA + mean[2]!.HE).toBeGreaterThan(mean[1]!.MA + mean[1]!.HE);
    expect(mean[3]!.HE).toBeGreaterThan(mean[2]!.HE);
    expect(mean[2]!.EX).toBeGreaterThan(0);
    expect(mean[4]!.NV).toBeGreaterThanOrEqual(1);
    for (const g of [0, 1, 2, 3] as const) expect(mean[g]!.NV).toBe(0);
  });

  it('masks are exactly where lesions were drawn: red lesions darker, exudates brighter than their surroundings', () => {
    const size = 256;
    const stats = { MA: [0, 0], HE: [0, 0], EX: [0, 0] } as Record<'MA' | 'HE' | 'EX', [number, number]>;
    for (let s = 0; s < 4; s++) {
      const img = renderFundus({ size, grade: 3, eye: 'right', seed: 500 + s, style: 'natural' });
      const any = new Uint8Array(size * size);
      for (const k of ['MA', 'HE', 'EX', 'SE'] as const)
        img.masks[k].forEach((v, i) => {
          if (v) any[i] = 1;
        });
      for (const k of ['MA', 'HE', 'EX'] as const) {
        const m = img.masks[k];
        let inside = 0;
        let nIn = 0;
        let ring = 0;
        let nRing = 0;
        const seen = new Uint8Array(size * size);
        for (let i = 0; i < m.length; i++) {
          if (!m[i]) continue;
          // brightness = R + G (red lesions lower both; exudates raise both)
          inside += img.rgb[i * 3]! + img.rgb[i * 3 + 1]!;
          nIn++;
          const x = i % size;
          const y = Math.floor(i / size);
          for (let dy = -5; dy <= 5; dy++)
            for (let dx = -5; dx <= 5; dx++) {
              const xx = x + dx;
              const yy = y + dy;
              if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
              const j = yy * size + xx;
              if (any[j] || seen[j]) continue;
              seen[j] = 1;
              ring += img.rgb[j * 3]! + img.rgb[j * 3 + 1]!;
              nRing++;
            }
        }
        if (nIn > 0 && nRing > 0) {
          stats[k][0] += inside / nIn;
          stats[k][1] += ring / nRing;
        }
      }
    }
    expect(stats.HE[0]).toBeLessThan(stats.HE[1] * 0.85);
    expect(stats.MA[0]).toBeLessThan(stats.MA[1] * 0.95);
    expect(stats.EX[0]).toBeGreaterThan(stats.EX[1] * 1.15);
  });

  // Speed is not asserted here (no timed tests; ~10 ms per image on an idle core): 100 images of every grade and eye render whole.
  it('renders 100 images of 256 px of every grade and eye, each full size with black corners and a lit centre', () => {
    for (let i = 0; i < 100; i++) {
      const img = renderFundus({ size: 256, grade: (i % 5) as Grade, eye: i % 2 ? 'left' : 'right', seed: i, style: 'equalised' });
      expect([img.width, img.height, img.rgb.length]).toEqual([256, 256, 256 * 256 * 3]);
      const at = (x: number, y: number) => img.rgb[3 * (y * 256 + x)]! + img.rgb[3 * (y * 256 + x) + 1]! + img.rgb[3 * (y * 256 + x) + 2]!;
      expect(at(0, 0)).toBeLessThan(8); // black apart from the sensor noise
      expect(at(Math.round(img.geometry.cx), Math.round(img.geometry.cy))).toBeGreaterThan(0);
    }
  });
});
