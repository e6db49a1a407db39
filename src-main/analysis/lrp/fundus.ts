/**
 * The fundus of a preprocessed image and the share of positive relevance outside it (docs/design.md
 * "Relevance outside the fundus").
 *
 * Fundus region at a square render of side `size` (the model input, or the overlay copy): the crop
 * box the import found (CropGeometry: the retina's bounding box plus the crop margin, centred in a
 * square) placed as the cache placed it (image.ts `placement`), and in it the circle centred on the
 * box's centre whose diameter is the box's larger side without the margin, `max(w, h) / (1 + 2·margin)`
 * (the retina's own width or height); a pixel belongs to the fundus when its centre lies in both the
 * box and the circle. A retina cut by the photograph's frame keeps the box's straight edges.
 *
 * Share outside: Σ max(h, 0) over pixels outside the fundus / Σ max(h, 0) over all pixels, h the
 * heatmap (relevance summed over R, G, B, as stored in heatmaps/*.f32); null when no pixel is positive.
 * Accumulated in float64.
 */
import type { CropGeometry } from '../../../src-shared/datasets';
import { placement } from '../../services/datasets/image';

export interface FundusCircle {
  /** Side of the square render. */
  size: number;
  /** Centre and radius in pixels (pixel (x, y) has its centre at x + 0.5, y + 0.5). */
  cx: number;
  cy: number;
  r: number;
  /** The crop box in the render: [left, left + width) × [top, top + height). */
  box: { left: number; top: number; width: number; height: number };
}

export function fundusCircle(crop: CropGeometry, cropMargin: number, size: number): FundusCircle {
  const p = placement(crop, size);
  const box = { left: p.left, top: p.top, width: p.width, height: p.height };
  return {
    size,
    cx: p.left + p.width / 2,
    cy: p.top + p.height / 2,
    r: Math.max(p.width, p.height) / (2 * (1 + 2 * cropMargin)),
    box,
  };
}

/** Whether pixel (x, y) of the render is in the fundus. */
export function inFundus(c: FundusCircle, x: number, y: number): boolean {
  const { left, top, width, height } = c.box;
  if (x < left || x >= left + width || y < top || y >= top + height) return false;
  const dx = x + 0.5 - c.cx;
  const dy = y + 0.5 - c.cy;
  return dx * dx + dy * dy <= c.r * c.r;
}

/** 1 for fundus pixels, 0 elsewhere, row-major [size, size]. */
export function fundusMask(c: FundusCircle): Uint8Array {
  const out = new Uint8Array(c.size * c.size);
  for (let y = 0; y < c.size; y++) for (let x = 0; x < c.size; x++) out[y * c.size + x] = inFundus(c, x, y) ? 1 : 0;
  return out;
}

/** Σ positive heatmap outside the fundus / Σ positive heatmap (null when nothing is positive). */
export function outsideFundusShare(heat: ArrayLike<number>, fundus: Uint8Array): number | null {
  if (heat.length !== fundus.length) throw new Error(`heatmap has ${heat.length} pixels, the fundus mask ${fundus.length}`);
  let total = 0;
  let outside = 0;
  for (let p = 0; p < heat.length; p++) {
    const v = heat[p]!;
    if (v > 0) {
      total += v;
      if (fundus[p] === 0) outside += v;
    }
  }
  return total > 0 ? outside / total : null;
}

/** Pixels on the fundus outline: fundus pixels with a 4-neighbour outside the fundus (or on the render's edge). */
export function outline(mask: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      if (!mask[p]) continue;
      if (x === 0 || y === 0 || x === size - 1 || y === size - 1 || !mask[p - 1] || !mask[p + 1] || !mask[p - size] || !mask[p + size])
        out[p] = 1;
    }
  return out;
}
