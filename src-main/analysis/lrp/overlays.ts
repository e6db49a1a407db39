/**
 * Overlay PNGs of an explanation (`funduslab explain … --png <dir>`): per explained image one PNG at
 * the resolution of the dataset's overlay copy (`overlaySize`, cache `overlay` file), drawn in this
 * order:
 *
 * 1. the overlay copy of the image (RGB);
 * 2. the LRP heatmap in the app's colour map (src-shared/figures.ts `heatmapRgba`, the Explanations
 *    page's and the report's: red = positive, blue = negative relevance, full colour at the 99.5th
 *    percentile of |h|, alpha 0.75·√|t|), enlarged from the input size by nearest neighbour (overlay
 *    pixel (X, Y) takes heatmap pixel (⌊X·S/O⌋, ⌊Y·S/O⌋)), blended "over" the image:
 *    out = round(image · (1 − α/255) + colour · α/255) per channel;
 * 3. the outline of each scored lesion's mask (cache `overlay` mask, > 0 = lesion) in its
 *    LESION_COLOURS colour, opaque: the mask pixels with a 4-neighbour outside the mask (or on the
 *    image edge);
 * 4. the fundus outline (fundus.ts: the circle within the crop box at the overlay size) in
 *    FUNDUS_OUTLINE_COLOUR, opaque: fundus pixels with a 4-neighbour outside the fundus.
 *
 * Beside them `overlays.csv`: image id, manifest index, grade, P(referable) (softmax of the logits
 * summed over the run's referable grades), the union's RMA and RRA (sum,pos), the share of positive
 * relevance outside the fundus, and the PNG file. The files are written atomically, one by one; the
 * folder is the user's (not a result folder).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { parseHex } from '../../../src-shared/colour';
import { LESION_COLOURS } from '../../../src-shared/contract';
import type { CropGeometry } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import type { ExplainLesion } from '../../../src-shared/explanations';
import { heatmapRgba } from '../../../src-shared/figures';
import { writeFileAtomic } from '../../fs/atomic';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { cacheDecodeError, readCacheFile } from '../../services/datasets/cache-check';
import { readDatasetManifest } from '../../services/datasets/manifest-file';
import { referableProbability } from '../../services/evaluation/metrics/probability';
import { csvRow } from '../../services/evaluation/files';
import { fundusCircle, fundusMask, outline } from './fundus';
import { readExplanation } from './results';

export const FUNDUS_OUTLINE_COLOUR = '#ffffff';
export const OVERLAYS_LIST_FILE = 'overlays.csv';

/** The overlay PNG's file name of an image (by manifest index: ids may hold '/'). */
export function overlayFile(index: number): string {
  return `${String(index).padStart(5, '0')}.png`;
}

/** Nearest-neighbour enlargement of RGBA [s, s] to [o, o]. */
export function enlargeRgba(rgba: Uint8ClampedArray, s: number, o: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(o * o * 4);
  for (let Y = 0; Y < o; Y++) {
    const y = Math.floor((Y * s) / o);
    for (let X = 0; X < o; X++) {
      const x = Math.floor((X * s) / o);
      out.set(rgba.subarray((y * s + x) * 4, (y * s + x) * 4 + 4), (Y * o + X) * 4);
    }
  }
  return out;
}

/** `rgb` (3 channels) with `rgba` blended over it: round(v·(1 − α/255) + c·α/255). */
export function blendOver(rgb: Uint8Array, rgba: Uint8ClampedArray): Uint8Array {
  const n = rgb.length / 3;
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < n; p++) {
    const a = rgba[p * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(rgb[p * 3 + c]! * (1 - a) + rgba[p * 4 + c]! * a);
  }
  return out;
}

/** Paints `colour` on the set pixels of `where`. */
function paint(rgb: Uint8Array, where: Uint8Array, colour: string): void {
  const [r, g, b] = parseHex(colour);
  for (let p = 0; p < where.length; p++)
    if (where[p]) {
      rgb[p * 3] = r;
      rgb[p * 3 + 1] = g;
      rgb[p * 3 + 2] = b;
    }
}

export interface OverlayImageInput {
  /** The overlay copy, RGB [o, o]. */
  image: Uint8Array;
  size: number;
  heatmap: Float32Array;
  heatmapSize: number;
  masks: Partial<Record<ExplainLesion, Uint8Array>>;
  crop: CropGeometry | undefined;
  cropMargin: number;
}

/** The overlay's RGB pixels [o, o, 3] (the drawing order of the file comment). */
export function overlayPixels(input: OverlayImageInput): Uint8Array {
  const { size: o } = input;
  const rgb = blendOver(input.image, enlargeRgba(heatmapRgba(input.heatmap), input.heatmapSize, o));
  for (const [lesion, mask] of Object.entries(input.masks) as [ExplainLesion, Uint8Array][])
    paint(rgb, outline(mask, o), LESION_COLOURS[lesion]);
  if (input.crop) paint(rgb, outline(fundusMask(fundusCircle(input.crop, input.cropMargin, o)), o), FUNDUS_OUTLINE_COLOUR);
  return rgb;
}

async function decode(file: string, what: string, size: number, channels: 1 | 3): Promise<Uint8Array> {
  let raw: { data: Buffer; info: OutputInfo };
  try {
    const img = sharp(await readCacheFile(file, what));
    raw = await (channels === 1 ? img.extractChannel(0) : img.removeAlpha().toColourspace('srgb'))
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw cacheDecodeError(file, what, e);
  }
  const { data, info } = raw;
  if (info.width !== size || info.height !== size)
    throw new AppError(
      'STUDY_CORRUPT',
      `The cached ${what} (${file}) is ${info.width}x${info.height}, expected the overlay size ${size}x${size}.`,
    );
  if (channels === 3 && info.channels === 3) return new Uint8Array(data);
  const out = new Uint8Array(size * size * channels);
  for (let p = 0; p < size * size; p++)
    for (let c = 0; c < channels; c++)
      out[p * channels + c] = channels === 1 ? (data[p * info.channels]! > 0 ? 1 : 0) : data[p * info.channels + c]!;
  return out;
}

/** Writes the overlay PNGs of explanations/<name>/ and overlays.csv into `dir`; returns the files written. */
export async function writeOverlays(studyPath: string, name: string, dir: string, ctx: JobContext): Promise<string[]> {
  const { folder, result } = await readExplanation(studyPath, name);
  const { datasetDir, manifest } = await readDatasetManifest(path.resolve(studyPath), result.dataset.datasetId);
  const O = manifest.settings.overlaySize;
  const [S] = result.heatmap.shape;
  await fsp.mkdir(dir, { recursive: true });
  const rows: (string | number | null)[][] = [
    ['image_id', 'index', 'grade', 'p_referable', 'union_rma_sum_pos', 'union_rra_sum_pos', 'outside_fundus_share', 'png'],
  ];
  const written: string[] = [];
  for (const [i, im] of result.images.entries()) {
    throwIfCancelled(ctx);
    const item = manifest.items.find((it) => it.id === im.id);
    if (!item?.cache)
      throw new AppError(
        'NOT_FOUND',
        `Image "${im.id}" of explanation "${name}" is no longer a preprocessed image of dataset "${result.dataset.datasetId}".`,
      );
    const image = await decode(path.join(datasetDir, item.cache.overlay), `${im.id} (overlay copy)`, O, 3);
    const buf = await fsp.readFile(path.join(folder, im.heatmap));
    const heatmap = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const masks: Partial<Record<ExplainLesion, Uint8Array>> = {};
    for (const lesion of result.request.lesions) {
      const m = item.masks?.[lesion]?.cache;
      if (m) masks[lesion] = await decode(path.join(datasetDir, m.overlay), `${im.id} (${lesion} overlay mask)`, O, 1);
    }
    const rgb = overlayPixels({
      image,
      size: O,
      heatmap,
      heatmapSize: S!,
      masks,
      crop: item.crop,
      cropMargin: manifest.settings.cropMargin,
    });
    const file = path.join(dir, overlayFile(im.index));
    await writeFileAtomic(
      file,
      await sharp(Buffer.from(rgb), { raw: { width: O, height: O, channels: 3 } })
        .png()
        .toBuffer(),
    );
    written.push(file);
    const union = im.regions.union;
    const p = referableProbability([im.logits], result.run.referable, { classes: im.logits.length })[0]!;
    rows.push([
      im.id,
      im.index,
      im.grade,
      p,
      union && 'lrp' in union ? union.lrp['sum,pos'].rma : null,
      union && 'lrp' in union ? union.lrp['sum,pos'].rra : null,
      im.outsideFundusShare ?? null,
      overlayFile(im.index),
    ]);
    ctx.progress(i + 1, result.images.length, `${i + 1}/${result.images.length} overlay PNGs`);
  }
  const list = path.join(dir, OVERLAYS_LIST_FILE);
  await writeFileAtomic(list, rows.map(csvRow).join('\n') + '\n');
  written.push(list);
  return written;
}
