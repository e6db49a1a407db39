/**
 * Images of a dataset's preprocessing cache as PNG data URLs, optionally with lesion masks drawn
 * over them (each lesion in its LESION_COLOURS colour: a translucent fill and an opaque outline, so
 * a few-pixel microaneurysm stays visible). Cache paths come from the manifest and are checked to
 * stay inside the dataset folder.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { LESION_COLOURS } from '../../../../src-shared/contract';
import type { Lesion } from '../../../../src-shared/datasets';
import { AppError } from '../../../../src-shared/errors';
import { cacheDecodeError, readCacheFile, registerCacheHashes } from '../cache-check';
import { findItem, loadDataset } from './study-datasets';

export interface ImageRequest {
  studyPath: string;
  datasetId: string;
  itemId: string;
  variant: 'input' | 'overlay';
  size?: number | undefined;
  masks?: readonly Lesion[] | undefined;
}

export interface ImageAnswer {
  dataUrl: string;
  width: number;
  height: number;
}

const FILL_ALPHA = 0.45;

/** Absolute path of a manifest-recorded cache file, refused unless it stays inside the dataset folder. */
export async function cacheFile(datasetDir: string, relPath: string): Promise<string> {
  const parts = relPath.split('/');
  if (path.isAbsolute(relPath) || parts.some((p) => p === '..' || p === '' || p.includes('\\'))) {
    throw new AppError('STUDY_CORRUPT', `The manifest names a cache file outside its dataset folder (${relPath}).`);
  }
  const abs = path.join(datasetDir, ...parts);
  let real: string;
  let realDir: string;
  try {
    [real, realDir] = [await fsp.realpath(abs), await fsp.realpath(datasetDir)];
  } catch {
    throw new AppError('NOT_FOUND', `The cached image ${relPath} is missing. Import the dataset again to rebuild its cache.`);
  }
  const inside = path.relative(realDir, real);
  if (inside.startsWith('..') || path.isAbsolute(inside))
    throw new AppError('STUDY_CORRUPT', `The cache file ${relPath} resolves outside its dataset folder.`);
  return real;
}

function hexColour(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Blends one binary mask over an RGB buffer: translucent inside, opaque on the outline. */
export function blendMask(
  rgb: Uint8Array,
  mask: Uint8Array,
  width: number,
  height: number,
  colour: [number, number, number],
  threshold: number,
): void {
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x]! > threshold;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!on(x, y)) continue;
      const edge = !on(x - 1, y) || !on(x + 1, y) || !on(x, y - 1) || !on(x, y + 1);
      const a = edge ? 1 : FILL_ALPHA;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) rgb[o + c] = Math.round(rgb[o + c]! * (1 - a) + colour[c]! * a);
    }
  }
}

export async function datasetImage(req: ImageRequest): Promise<ImageAnswer> {
  const dataset = await loadDataset(req.studyPath, req.datasetId);
  const item = findItem(dataset, req.itemId);
  if (!item.cache) {
    throw new AppError(
      'NOT_FOUND',
      `"${item.id}" has no cached image: the dataset was imported with "validate only". Import it again with preprocessing to see its images.`,
      [{ path: 'itemId', message: 'no cached image' }],
    );
  }
  const file = await cacheFile(dataset.dir, item.cache[req.variant]);
  registerCacheHashes(dataset.dir, dataset.manifest);
  const bytes = await readCacheFile(file, item.id);
  const meta = await sharp(bytes)
    .metadata()
    .catch((error: unknown) => Promise.reject(cacheDecodeError(file, item.id, error)));
  const native = meta.width ?? dataset.manifest.settings[req.variant === 'input' ? 'inputSize' : 'overlaySize'];
  const side = req.size ?? native;
  const lesions = [...new Set(req.masks ?? [])];
  const base = await sharp(bytes)
    .removeAlpha()
    .toColourspace('srgb')
    .resize(side, side, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => Promise.reject(cacheDecodeError(file, item.id, error)));
  const { width, height, channels } = base.info;
  let rgb = new Uint8Array(base.data.buffer, base.data.byteOffset, base.data.length);
  if (channels !== 3) {
    const three = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) three[i * 3 + c] = rgb[i * channels + Math.min(c, channels - 1)]!;
    rgb = three;
  }
  for (const lesion of lesions) {
    const mask = item.masks?.[lesion];
    if (!mask) {
      throw new AppError('NOT_FOUND', `"${item.id}" has no ${lesion} mask.`, [
        { path: 'masks', message: `no ${lesion} mask for this item` },
      ]);
    }
    if (!mask.cache)
      throw new AppError('NOT_FOUND', `The ${lesion} mask of "${item.id}" is not cached. Import the dataset again with preprocessing.`, [
        { path: 'masks', message: 'mask not cached' },
      ]);
    const maskFile = await cacheFile(dataset.dir, mask.cache[req.variant]);
    const m = await sharp(await readCacheFile(maskFile, `${item.id} (${lesion} mask)`))
      .extractChannel(0)
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer()
      .catch((error: unknown) => Promise.reject(cacheDecodeError(maskFile, `${item.id} (${lesion} mask)`, error)));
    // Shrinking averages a small lesion away: any coverage counts then; enlarging keeps the binary edge.
    blendMask(
      rgb,
      new Uint8Array(m.buffer, m.byteOffset, m.length),
      width,
      height,
      hexColour(LESION_COLOURS[lesion]),
      side < native ? 8 : 127,
    );
  }
  const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return { dataUrl: `data:image/png;base64,${png.toString('base64')}`, width, height };
}
