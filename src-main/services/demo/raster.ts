/**
 * Small raster helpers for the procedural generators: value noise, anti-aliased capsules (vessel
 * segments) and alpha "stamps" (lesions) drawn only inside their bounding boxes.
 */
import type { Rng } from '../../random/prng';

/** Smooth value noise in [-1, 1]: a random grid of `cells` cells across the larger side, bicubic-smoothed bilinear. */
export function valueNoise(width: number, height: number, cells: number, rng: Rng): Float32Array {
  const side = Math.max(width, height);
  const cell = side / cells;
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  const out = new Float32Array(width * height);
  // Precompute per-column cell index and smoothed weight.
  const colIdx = new Int32Array(width);
  const colW = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = x / cell;
    const ix = Math.floor(fx);
    const t = fx - ix;
    colIdx[x] = ix;
    colW[x] = t * t * (3 - 2 * t);
  }
  for (let y = 0; y < height; y++) {
    const fy = y / cell;
    const iy = Math.floor(fy);
    let ty = fy - iy;
    ty = ty * ty * (3 - 2 * ty);
    const row0 = iy * gw;
    const row1 = row0 + gw;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const ix = colIdx[x]!;
      const tx = colW[x]!;
      const a = grid[row0 + ix]!;
      const b = grid[row0 + ix + 1]!;
      const c = grid[row1 + ix]!;
      const d = grid[row1 + ix + 1]!;
      const top = a + (b - a) * tx;
      const bottom = c + (d - c) * tx;
      out[o + x] = top + (bottom - top) * ty;
    }
  }
  return out;
}

/**
 * Draws an anti-aliased capsule (segment with radius r) into `buf` keeping the maximum alpha.
 * Pixel (x, y) has its centre at (x, y). Sub-pixel radii fade the alpha (coverage).
 */
export function drawCapsule(
  buf: Float32Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  r: number,
  strength: number,
): void {
  const pad = r + 1;
  const minX = Math.max(0, Math.floor(Math.min(x0, x1) - pad));
  const maxX = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + pad));
  const minY = Math.max(0, Math.floor(Math.min(y0, y1) - pad));
  const maxY = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + pad));
  if (minX > maxX || minY > maxY) return;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const inv = len2 > 1e-12 ? 1 / len2 : 0;
  const cover = Math.min(1, 2 * r) * strength;
  for (let y = minY; y <= maxY; y++) {
    const py = y - y0;
    const row = y * width;
    for (let x = minX; x <= maxX; x++) {
      const px = x - x0;
      let t = (px * dx + py * dy) * inv;
      if (t < 0) t = 0;
      else if (t > 1) t = 1;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const d = Math.sqrt(ex * ex + ey * ey);
      let a = r + 0.5 - d;
      if (a <= 0) continue;
      if (a > 1) a = 1;
      a *= cover;
      if (a > buf[row + x]!) buf[row + x] = a;
    }
  }
}

/** An alpha patch over a bounding box, built from (rotated) ellipses by maximum. */
export class Stamp {
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly alpha: Float32Array;

  constructor(minX: number, minY: number, maxX: number, maxY: number, width: number, height: number) {
    this.x0 = Math.max(0, Math.floor(minX));
    this.y0 = Math.max(0, Math.floor(minY));
    const x1 = Math.min(width - 1, Math.ceil(maxX));
    const y1 = Math.min(height - 1, Math.ceil(maxY));
    this.w = Math.max(0, x1 - this.x0 + 1);
    this.h = Math.max(0, y1 - this.y0 + 1);
    this.alpha = new Float32Array(this.w * this.h);
  }

  /** Ellipse centred at (cx, cy), semi-axes rx, ry, rotated by `angle`; `edge` is the soft edge width in pixels. */
  ellipse(cx: number, cy: number, rx: number, ry: number, angle: number, edge: number, strength = 1): void {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const ext = Math.max(rx, ry) + edge + 1;
    const minX = Math.max(this.x0, Math.floor(cx - ext));
    const maxX = Math.min(this.x0 + this.w - 1, Math.ceil(cx + ext));
    const minY = Math.max(this.y0, Math.floor(cy - ext));
    const maxY = Math.min(this.y0 + this.h - 1, Math.ceil(cy + ext));
    const rMin = Math.max(0.5, Math.min(rx, ry));
    const k = rMin / Math.max(edge, 0.3);
    const cover = Math.min(1, 2 * Math.min(rx, ry) + 0.2) * strength;
    for (let y = minY; y <= maxY; y++) {
      const dy = y - cy;
      const row = (y - this.y0) * this.w - this.x0;
      for (let x = minX; x <= maxX; x++) {
        const dx = x - cx;
        const u = (dx * c + dy * s) / rx;
        const v = (-dx * s + dy * c) / ry;
        const q = Math.sqrt(u * u + v * v);
        let a = (1 - q) * k + 0.5;
        if (a <= 0) continue;
        if (a > 1) a = 1;
        a *= cover;
        if (a > this.alpha[row + x]!) this.alpha[row + x] = a;
      }
    }
  }
}
