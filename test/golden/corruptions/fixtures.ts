/**
 * Loads the golden fixtures written by make_fixtures.py (see README.md beside it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FrostTexture, FrostTextureSource } from '../../../src-main/analysis/corruptions/frost-texture';
import type { RgbImage } from '../../../src-main/analysis/corruptions/image';
import type { CorruptionName } from '../../../src-main/analysis/corruptions/index';

const dir = import.meta.dirname;

/** [mean, sample sd] over the reference's seeds (mean null for an infinite PSNR). */
export type MeanSd = [number | null, number];

export interface ReferenceStats {
  psnr: MeanSd;
  meanShift: [MeanSd, MeanSd, MeanSd];
  stdShift: [MeanSd, MeanSd, MeanSd];
}

export interface ParityStats {
  psnr: number;
  meanShift: [number, number, number];
  stdShift: [number, number, number];
  seed: number;
}

export interface Meta {
  images: Record<string, { width: number; height: number }>;
  referenceSeeds: number;
  stochastic: CorruptionName[];
  parityImage: string;
  frostTestSizes: [number, number][];
  versions: Record<string, string>;
}

export const reference = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as {
  meta: Meta;
  stats: Record<string, Partial<Record<CorruptionName, ReferenceStats[]>>>;
};

export const parity = JSON.parse(readFileSync(path.join(dir, 'parity.json'), 'utf8')) as {
  meta: Meta;
  order: [CorruptionName, number, number][];
  stats: Record<string, Record<CorruptionName, ParityStats[]>>;
  motionAngles: number[];
};

export const helpers = JSON.parse(readFileSync(path.join(dir, 'helpers.json'), 'utf8')) as {
  plane: {
    width: number;
    height: number;
    l8: string;
    canny: string;
    dist: string;
    blurF32: string;
    equalized: string;
    embossed: string;
    blurU8: string;
  };
  cubic: { texture: number; width: number; height: number; data: string }[];
  defocusKernels: { radius: number; aliasBlur: number; size: number; values: number[] }[];
  zoomFactors: number[][];
};

/** parity.bin.gz: the tall image's outputs in parity.order, then motion blur at each of motionAngles × severities 1–5. */
export const parityBlob: Buffer = gunzipSync(readFileSync(path.join(dir, 'parity.bin.gz')));

export function fixtureImage(name: string): RgbImage {
  const meta = reference.meta.images[name];
  if (!meta) throw new Error(`no fixture image ${name}`);
  const data = new Uint8Array(readFileSync(path.join(dir, 'images', `${name}.rgb`)));
  if (data.length !== meta.width * meta.height * 3) throw new Error(`${name}.rgb has ${data.length} bytes`);
  return { width: meta.width, height: meta.height, data };
}

export const IMAGE_NAMES = Object.keys(reference.meta.images);

export function bytes(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

export function float32s(b64: string): Float32Array {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** make_fixtures.py's frost_test_texture(index): a formula texture standing in for the photographs. */
export function frostTestTexture(index: number): FrostTexture {
  const size = parity.meta.frostTestSizes[index];
  if (!size) throw new Error(`no frost test texture ${index}`);
  const [w, h] = size;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      data[o] = (x * 37 + y * 11 + 5 * index) % 256;
      data[o + 1] = (x * 13 + y * 29 + 7) % 256;
      data[o + 2] = ((x ^ y) * 3 + index * 40) % 256;
    }
  }
  return { width: w, height: h, data };
}

export const frostTestTextures: FrostTextureSource = { id: 'golden-test', get: frostTestTexture };

/** Largest absolute difference and number of differing values. */
export function compareBytes(a: ArrayLike<number>, b: ArrayLike<number>): { maxDiff: number; differing: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) differing++;
    if (d > maxDiff) maxDiff = d;
  }
  return { maxDiff, differing };
}
