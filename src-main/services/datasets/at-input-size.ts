/**
 * A dataset at another input size than its import's, preprocessed on demand: each needed image is read
 * from the source folder again (its content checked against the manifest's SHA-256), cropped with the
 * crop the import found, and rendered at the new size exactly as the import renders it (the same
 * renderImage / renderMask), into the dataset's own preprocessing cache under the settings key of
 * the import's settings with that input size — the very files an import at that size writes. A second
 * call finds them there and processes nothing. The manifest on disk is not changed: the caller gets a
 * copy whose settings and `cache.input` files are those of the new size (overlays stay the import's).
 *
 * Training, pretraining, the spectra, evaluation, robustness and explanations all read a dataset at
 * another size through here, so every consumer reads the same pixels at a given size. A later import
 * of the dataset keeps these folders (Cache.prune removes only the files of images no longer in the
 * dataset; cache-sizes.ts). `cacheUse` is what a consumer records in its preprocessing.json.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CacheUse, DatasetItem, Lesion, PreprocessingRecord } from '../../../src-shared/datasets';
import { writeJsonAtomic } from '../../fs/atomic';
import { AppError } from '../../../src-shared/errors';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { Cache, ImageEntry, MaskCacheEntry, settingsKey, sha256 } from './cache';
import { registerCacheHash } from './cache-check';
import { conversions, decodeImage, decodeMask, fundusGeometry, renderImage, renderMask } from './image';
import type { LoadedManifest } from './manifest-file';
import { mapPool } from './pool';

/** What preprocessing a dataset at another input size did. */
export interface OnDemandPreprocessing {
  datasetId: string;
  /** The input size of the dataset's import. */
  fromSize: number;
  inputSize: number;
  /** Images needed at `inputSize`. */
  images: number;
  /** Of those, rendered now (the rest were in the cache from an earlier call). */
  preprocessed: number;
  reused: number;
  /** Lesion masks rendered now. */
  masks: number;
  seconds: number;
  /** One line for the user, e.g. `preprocessed 40 images at 64 px (dataset "eyepacs" was imported at 224 px)`. */
  message: string;
}

export interface AtInputSizeOptions {
  /** The items needed (others keep no cache files in the copy, so nothing reads them at the wrong size). */
  select(item: DatasetItem, index: number): boolean;
  /** Also render the items' lesion masks at the new size (explanations score heatmaps against them). */
  masks?: boolean;
  /** Images processed at the same time (default 2). */
  concurrency?: number;
}

/** Limits that accept every image the import accepted (the import already checked the sizes). */
const ANY_SIZE = { minSide: 1, maxSide: Number.MAX_SAFE_INTEGER, maxAspect: Number.MAX_SAFE_INTEGER };

/**
 * The dataset `loaded` with the selected items preprocessed at `inputSize` (see the file comment); `loaded` itself when it is
 * at that size already (report null).
 */
export async function datasetAtInputSize(
  loaded: LoadedManifest,
  inputSize: number,
  opts: AtInputSizeOptions,
  ctx: JobContext,
): Promise<{ loaded: LoadedManifest; report: OnDemandPreprocessing | null }> {
  const { manifest, datasetDir } = loaded;
  const fromSize = manifest.settings.inputSize;
  if (fromSize === inputSize) return { loaded, report: null };
  const started = performance.now();
  const settings = { ...manifest.settings, inputSize };
  const key = settingsKey(settings);
  const cache = new Cache(datasetDir, key, settings.format);
  const chosen = manifest.items.map((item, index) => ({ item, index })).filter(({ item, index }) => item.cache && opts.select(item, index));
  let done = 0;
  let preprocessed = 0;
  let masks = 0;
  const what = `${chosen.length} image(s) of dataset "${manifest.id}" at ${inputSize} px`;
  ctx.progress(0, Math.max(chosen.length, 1), `Preprocessing ${what}`);
  const items = await mapPool(
    chosen,
    opts.concurrency ?? 2,
    async ({ item }) => {
      const out = await itemAtSize(item, loaded, cache, inputSize, opts.masks ?? false);
      if (out.processed) preprocessed++;
      masks += out.masks;
      done++;
      ctx.progress(done, chosen.length, `Preprocessing ${what}: ${done} of ${chosen.length}`);
      return out.item;
    },
    ctx.signal,
  );
  throwIfCancelled(ctx);
  const byIndex = new Map(chosen.map(({ index }, k) => [index, items[k]!]));
  const reused = chosen.length - preprocessed;
  const report: OnDemandPreprocessing = {
    datasetId: manifest.id,
    fromSize,
    inputSize,
    images: chosen.length,
    preprocessed,
    reused,
    masks,
    seconds: (performance.now() - started) / 1000,
    message: `${preprocessedWords(preprocessed, reused, inputSize)} (dataset "${manifest.id}" was imported at ${fromSize} px; kept in its preprocessing cache)`,
  };
  ctx.log(`Dataset "${manifest.id}" was imported at ${fromSize} px: ${preprocessedWords(preprocessed, reused, inputSize)} into its cache.`);
  const copy = {
    ...manifest,
    settings,
    settingsKey: key,
    items: manifest.items.map((item, index) => byIndex.get(index) ?? withoutCache(item)),
  };
  return { loaded: { datasetDir, manifest: copy }, report };
}

/**
 * The cache a consumer reads `images` images of dataset `original` (as imported) from at `inputSize`: the
 * folder of the import's settings with that size.
 */
export function cacheUse(original: LoadedManifest, inputSize: number, images: number): CacheUse {
  const { manifest } = original;
  return {
    datasetId: manifest.id,
    inputSize,
    importSize: manifest.settings.inputSize,
    settingsKey: settingsKey({ ...manifest.settings, inputSize }),
    resampling: 'from source',
    images,
  };
}

/** Writes a run's, a pretraining's or a result's preprocessing.json (atomically). */
export async function writePreprocessingRecord(file: string, caches: CacheUse[], now = new Date()): Promise<void> {
  const record: PreprocessingRecord = { caches, recordedAt: now.toISOString() };
  await writeJsonAtomic(file, record);
}

const images = (n: number) => `${n} image${n === 1 ? '' : 's'}`;

/** `preprocessed 40 images at 64 px`, `reused 40 images preprocessed at 64 px before`, or both. */
function preprocessedWords(preprocessed: number, reused: number, size: number): string {
  if (preprocessed === 0) return `reused ${images(reused)} preprocessed at ${size} px before`;
  return `preprocessed ${images(preprocessed)} at ${size} px${reused > 0 ? `, reused ${reused} preprocessed before` : ''}`;
}

function withoutCache(item: DatasetItem): DatasetItem {
  const { cache: _cache, ...rest } = item;
  return rest;
}

/** The item with its input (and masks) at `size`, rendered from the source unless the cache has them. */
async function itemAtSize(
  item: DatasetItem,
  loaded: LoadedManifest,
  cache: Cache,
  size: number,
  withMasks: boolean,
): Promise<{ item: DatasetItem; processed: boolean; masks: number }> {
  const hash = item.source.sha256;
  const files = cache.imageFiles(hash);
  let processed = false;
  let crop = item.crop;
  let raw: Awaited<ReturnType<typeof decodeImage>> | null = null;
  const entry = await cache.readEntry(ImageEntry, files.entry, [files.input]);
  // A file rendered before is reused only while it has the hash its entry recorded (or, recorded before hashes were, still decodes).
  let inputHash = entry?.ok ? await cache.verify(files.input, entry.files?.input) : null;
  if (!entry?.ok || !inputHash) {
    raw = await decodeImage(await readSource(loaded, item.source.file, hash, item.id), ANY_SIZE);
    crop ??= await fundusGeometry(raw, loaded.manifest.settings);
    inputHash = await cache.write(files.input, await renderImage(raw, crop, size, loaded.manifest.settings.format));
    await cache.writeEntry(files.entry, {
      ok: true,
      width: raw.width,
      height: raw.height,
      crop,
      ...conversions(raw),
      files: { input: inputHash },
    });
    processed = true;
  } else crop ??= entry.crop;
  registerCacheHash(loaded.datasetDir, files.input, inputHash);

  let maskCount = 0;
  const masks: DatasetItem['masks'] = item.masks ? { ...item.masks } : undefined;
  if (withMasks && masks) {
    for (const [lesion, mask] of Object.entries(masks) as [Lesion, NonNullable<(typeof masks)[Lesion]>][]) {
      if (!mask.cache) continue;
      const mf = cache.maskFiles(hash, mask.source.sha256, lesion);
      const mentry = await cache.readEntry(MaskCacheEntry, mf.entry, [mf.input]);
      let maskHash = mentry?.ok ? await cache.verify(mf.input, mentry.files?.input) : null;
      if (!mentry?.ok || !maskHash) {
        const m = await decodeMask(
          await readSource(loaded, mask.source.file, mask.source.sha256, `${item.id} (${lesion} mask)`),
          undefined,
          undefined,
          item.orientation,
        );
        maskHash = await cache.write(mf.input, await renderMask(m, crop, size));
        await cache.writeEntry(mf.entry, { ok: true, width: m.width, height: m.height, positive: m.positive, files: { input: maskHash } });
        maskCount++;
      }
      registerCacheHash(loaded.datasetDir, mf.input, maskHash);
      masks[lesion] = { ...mask, cache: { ...mask.cache, input: mf.input, inputSha256: maskHash } };
    }
  }
  return {
    item: { ...item, crop, cache: { ...item.cache!, input: files.input, inputSha256: inputHash }, ...(masks ? { masks } : {}) },
    processed,
    masks: maskCount,
  };
}

/** A source file of the dataset, refused when it is gone or differs from what was imported. */
async function readSource(loaded: LoadedManifest, file: string, expected: string, what: string): Promise<Buffer> {
  const source = loaded.manifest.source;
  const abs = path.isAbsolute(file) ? file : path.join(source, ...file.split('/'));
  const again = `import dataset "${loaded.manifest.id}" again at the size you need (funduslab import … --input-size N)`;
  let buf: Buffer;
  try {
    buf = await fsp.readFile(abs);
  } catch (error) {
    throw new AppError(
      'NOT_FOUND',
      `Preprocessing ${what} at another size needs its source file ${abs}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${again}.`,
      [{ path: 'datasetId', message: 'source image not readable' }],
    );
  }
  if (sha256(buf) !== expected)
    throw new AppError(
      'CONFLICT',
      `The source file ${abs} of ${what} has changed since dataset "${loaded.manifest.id}" was imported; ${again}.`,
      [{ path: 'datasetId', message: 'source image changed since the import' }],
    );
  return buf;
}
