/**
 * A non-fundus synthetic image set: 10 classes of procedural textures and shapes, deterministic from
 * a seed. It exists so "demo stand-in" pretrained weights can be derived honestly from data we
 * generate ourselves (never from ImageNet or any downloaded set).
 */
import { Rng } from '../../random/prng';
import { valueNoise } from './raster';

export const TEXTURE_CLASSES = [
  'stripes-0',
  'stripes-45',
  'stripes-90',
  'stripes-135',
  'checkerboard',
  'blobs',
  'rings',
  'gradient',
  'dots',
  'noise',
] as const;
export type TextureClass = (typeof TEXTURE_CLASSES)[number];

export interface TextureImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  label: number;
  className: TextureClass;
}

function randomColour(rng: Rng): [number, number, number] {
  return [rng.next(), rng.next(), rng.next()];
}

/** Renders one texture of class `label` (0-9) as interleaved 8-bit RGB. */
export function renderTexture(opts: { size: number; label: number; seed: number }): TextureImage {
  const { size, label, seed } = opts;
  const className = TEXTURE_CLASSES[label];
  if (className === undefined) throw new RangeError(`texture label must be 0-${TEXTURE_CLASSES.length - 1}, got ${label}`);
  if (!Number.isInteger(size) || size < 8 || size > 4096) throw new RangeError(`texture size must be 8-4096 pixels, got ${size}`);
  const rng = new Rng(seed);
  const S = size;
  const n = S * S;
  const v = new Float32Array(n);
  let c1 = randomColour(rng);
  let c2 = randomColour(rng);
  // Ensure some contrast between the two colours.
  const diff = Math.abs(c1[0] - c2[0]) + Math.abs(c1[1] - c2[1]) + Math.abs(c1[2] - c2[2]);
  if (diff < 0.6) c2 = [1 - c1[0], 1 - c1[1], 1 - c1[2]];
  if (rng.chance(0.5)) [c1, c2] = [c2, c1];
  const jitter = rng.range(-0.14, 0.14);
  const freq = rng.range(3, 10);
  const phase = rng.range(0, 2 * Math.PI);
  const sharp = rng.range(1, 6);
  const wave = (t: number) => (Math.tanh(Math.sin(t) * sharp) / Math.tanh(sharp)) * 0.5 + 0.5;

  if (className.startsWith('stripes')) {
    const theta = (Number(className.slice(8)) * Math.PI) / 180 + jitter;
    const kx = (Math.cos(theta) * 2 * Math.PI * freq) / S;
    const ky = (Math.sin(theta) * 2 * Math.PI * freq) / S;
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) v[y * S + x] = wave(x * kx + y * ky + phase);
  } else if (className === 'checkerboard') {
    const theta = rng.range(0, Math.PI / 2);
    const k = (Math.PI * freq) / S;
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const a = Math.sin((x * c + y * s) * k + phase);
        const b = Math.sin((-x * s + y * c) * k);
        v[y * S + x] = Math.tanh(a * b * sharp * 3) * 0.5 + 0.5;
      }
    }
  } else if (className === 'blobs') {
    const noise = valueNoise(S, S, rng.int(3, 7), rng.fork(1));
    const thr = rng.range(-0.2, 0.2);
    for (let i = 0; i < n; i++) v[i] = Math.tanh((noise[i]! - thr) * 12) * 0.5 + 0.5;
  } else if (className === 'rings') {
    const cx = rng.range(0.2, 0.8) * S;
    const cy = rng.range(0.2, 0.8) * S;
    const k = (2 * Math.PI * freq) / S;
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) v[y * S + x] = wave(Math.hypot(x - cx, y - cy) * k + phase);
  } else if (className === 'gradient') {
    const theta = rng.range(0, 2 * Math.PI);
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    const half = S / 2;
    const span = (Math.abs(c) + Math.abs(s)) * half;
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) v[y * S + x] = ((x - half) * c + (y - half) * s) / (2 * span) + 0.5;
  } else if (className === 'dots') {
    const cell = S / rng.range(4, 10);
    const radius = cell * rng.range(0.18, 0.38);
    const ox = rng.range(0, cell);
    const oy = rng.range(0, cell);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const fx = ((((x + ox) % cell) + cell) % cell) - cell / 2;
        const fy = ((((y + oy) % cell) + cell) % cell) - cell / 2;
        const d = Math.sqrt(fx * fx + fy * fy);
        v[y * S + x] = Math.min(1, Math.max(0, radius - d + 0.5));
      }
    }
  } else {
    const noise = valueNoise(S, S, Math.max(8, Math.round(S / rng.range(2, 5))), rng.fork(2));
    for (let i = 0; i < n; i++) v[i] = noise[i]! * 0.5 + 0.5;
  }

  const sigma = rng.range(0.01, 0.05);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const t = v[i]!;
    for (let c = 0; c < 3; c++) {
      const val = c1[c]! + (c2[c]! - c1[c]!) * t + sigma * rng.normal();
      rgb[j + c] = Math.max(0, Math.min(255, Math.round(val * 255)));
    }
  }
  return { rgb, width: S, height: S, label, className };
}
