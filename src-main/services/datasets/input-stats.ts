/**
 * Statistics of a dataset's preprocessed inputs, the images a model reads (docs/design.md "Domain shift"):
 * per image, inside the fundus circle of its crop geometry, the pixel count, per-channel sums and sums of
 * squares (mean and standard deviation of any set of images follow exactly), per-channel histograms and a
 * luminance histogram (STATS_BINS bins each). The equalisation indicator and the comparison of two sets
 * are in services/evaluation/shift.ts.
 *
 * Computed once per dataset and input size and kept in datasets/<id>/stats/<settings-key>.json (written
 * atomically), one record per image (id and source SHA-256). The file records the dataset's content hash
 * (datasetContentHash): after a re-import that changed the dataset, every record is computed again; images
 * asked for that the file does not hold yet are computed and added.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CropGeometry, DatasetItem } from '../../../src-shared/datasets';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { writeFileAtomic } from '../../fs/atomic';
import { studyLayout } from '../study-folder/layout';
import { datasetContentHash } from '../runs/identity';
import { ImageSource } from '../training/data';
import { placement } from './image';
import type { LoadedManifest } from './manifest-file';
import { mapPool } from './pool';

/** Bins of every histogram (pixel values 0–255: bin = floor(v · BINS / 256)). */
export const STATS_BINS = 32;
/**
 * The fundus region is the circle of the retina found at import, shrunk to this fraction of its radius so the
 * dark rim (vignetting, the crop's Lanczos ringing) does not count.
 */
export const FUNDUS_RADIUS_FRACTION = 0.9;
/** Rec. 601 luma weights: Y = 0.299 R + 0.587 G + 0.114 B. */
export const LUMA = [0.299, 0.587, 0.114] as const;
export const STATS_SCHEMA_VERSION = 1;

const Triple = z.tuple([z.number(), z.number(), z.number()]);
export const ImageStats = z.object({
  id: z.string(),
  sha256: z.string(),
  /** Pixels inside the fundus region. */
  pixels: z.number().int().min(0),
  /** Per channel (R, G, B) sums of the pixel values 0–255 inside the region, and of their squares. */
  sum: Triple,
  sumSq: Triple,
  /** Per channel, STATS_BINS counts. */
  hist: z.tuple([z.array(z.number().int()), z.array(z.number().int()), z.array(z.number().int())]),
  /** Luminance (Rec. 601) histogram, STATS_BINS counts. */
  luma: z.array(z.number().int()),
});
export type ImageStats = z.infer<typeof ImageStats>;

export const InputStatsFile = z.object({
  schemaVersion: z.literal(STATS_SCHEMA_VERSION),
  datasetId: z.string(),
  /** datasetContentHash of the dataset the records were computed from. */
  datasetHash: z.string().nullable(),
  settingsKey: z.string(),
  inputSize: z.number().int(),
  bins: z.literal(STATS_BINS),
  radiusFraction: z.number(),
  images: z.array(ImageStats),
});
export type InputStatsFile = z.infer<typeof InputStatsFile>;

/**
 * The fundus region of a `size` × `size` input (1 inside, 0 outside): pixels whose centre lies within
 * FUNDUS_RADIUS_FRACTION of the retina's radius from the centre of the placed crop box, and inside that box
 * (not the black padding). The retina's diameter is the crop side without the import's margin on both
 * sides, side / (1 + 2 · cropMargin); an item without a crop (not cropped at import) uses the inscribed circle.
 */
export function fundusMask(crop: CropGeometry | undefined, size: number, cropMargin: number): Uint8Array {
  const g = crop ?? { left: 0, top: 0, width: size, height: size, side: size, padLeft: 0, padTop: 0 };
  const p = placement(g, size);
  const cx = p.left + p.width / 2;
  const cy = p.top + p.height / 2;
  const r = (FUNDUS_RADIUS_FRACTION * size) / (2 * (crop ? 1 + 2 * cropMargin : 1));
  const mask = new Uint8Array(size * size);
  for (let y = p.top; y < p.top + p.height; y++) {
    const dy = y + 0.5 - cy;
    for (let x = p.left; x < p.left + p.width; x++) {
      const dx = x + 0.5 - cx;
      if (dx * dx + dy * dy <= r * r) mask[y * size + x] = 1;
    }
  }
  return mask;
}

/** The statistics of one image (RGB, 3 bytes per pixel, row-major) inside `mask`. */
export function imageStats(id: string, sha256: string, rgb: Uint8Array, mask: Uint8Array): ImageStats {
  const sum: [number, number, number] = [0, 0, 0];
  const sumSq: [number, number, number] = [0, 0, 0];
  const hist = [new Array<number>(STATS_BINS).fill(0), new Array<number>(STATS_BINS).fill(0), new Array<number>(STATS_BINS).fill(0)] as [
    number[],
    number[],
    number[],
  ];
  const luma = new Array<number>(STATS_BINS).fill(0);
  let pixels = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    pixels++;
    let y = 0;
    for (let c = 0; c < 3; c++) {
      const v = rgb[i * 3 + c]!;
      sum[c]! += v;
      sumSq[c]! += v * v;
      hist[c]![(v * STATS_BINS) >> 8]!++;
      y += LUMA[c]! * v;
    }
    luma[Math.min(STATS_BINS - 1, Math.floor((y * STATS_BINS) / 256))]!++;
  }
  return { id, sha256, pixels, sum, sumSq, hist, luma };
}

/**
 * The statistics of `items` of the dataset (already at the wanted input size: see datasetAtInputSize), from the
 * stats file when it holds them for the dataset's current content, else computed from the cached inputs and
 * added to the file. Items without a cached input are left out. Returns the records in `items` order.
 */
export async function datasetInputStats(
  study: string,
  loaded: LoadedManifest,
  items: readonly DatasetItem[],
  ctx: JobContext,
): Promise<ImageStats[]> {
  const { manifest, datasetDir } = loaded;
  const size = manifest.settings.inputSize;
  const file = studyLayout(study).dataset(manifest.id).stats(manifest.settingsKey);
  const datasetHash = await datasetContentHash(study, manifest.id);
  let stored = await readStatsFile(file);
  if (stored && (stored.datasetHash !== datasetHash || datasetHash === null || stored.inputSize !== size)) stored = null;
  const known = new Map((stored?.images ?? []).map((s) => [`${s.id}\u0000${s.sha256}`, s]));
  const key = (it: DatasetItem) => `${it.id}\u0000${it.source.sha256}`;
  const cached = items.filter((it) => it.cache);
  const missing = cached.filter((it) => !known.has(key(it)));
  if (missing.length > 0) {
    const source = new ImageSource(size, 0);
    const what = `input statistics of ${missing.length} image(s) of dataset "${manifest.id}" at ${size} px`;
    ctx.progress(0, missing.length, `Computing ${what}`);
    let done = 0;
    const computed = await mapPool(
      missing,
      2,
      async (it) => {
        const rgb = await source.get({ index: 0, id: it.id, grade: it.grade ?? 0, file: path.join(datasetDir, it.cache!.input) });
        const s = imageStats(it.id, it.source.sha256, rgb, fundusMask(it.crop, size, manifest.settings.cropMargin));
        done++;
        ctx.progress(done, missing.length, `Computing ${what}: ${done} of ${missing.length}`);
        return s;
      },
      ctx.signal,
    );
    throwIfCancelled(ctx);
    for (const s of computed) if (s) known.set(`${s.id}\u0000${s.sha256}`, s);
    const next: InputStatsFile = {
      schemaVersion: STATS_SCHEMA_VERSION,
      datasetId: manifest.id,
      datasetHash,
      settingsKey: manifest.settingsKey,
      inputSize: size,
      bins: STATS_BINS,
      radiusFraction: FUNDUS_RADIUS_FRACTION,
      images: [...known.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    };
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify(next) + '\n'); // compact: ~1 KB per image
  }
  return cached.map((it) => known.get(key(it))!);
}

/** The stats file, or null when it is absent or unreadable (then it is computed again and replaced). */
async function readStatsFile(file: string): Promise<InputStatsFile | null> {
  if (!existsSync(file)) return null;
  try {
    const parsed = InputStatsFile.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
