/**
 * Training data of one run: which images (validation split, label fraction), their pixels, and a
 * prefetching batch loader.
 *
 * - Items: the dataset's graded images with split 'train' (or no split). Validation = a fixed
 *   patient-level, grade-stratified split (spec.validationFraction, spec.validationSeed); the label
 *   fraction is the nested, stratified subset of the remaining patients drawn with spec.seed
 *   (src-main/services/datasets/splits.ts, planSplits).
 * - Pixels: the preprocessed cache inputs at spec.inputSize (datasets/<id>/<cache.input>; for a dataset
 *   imported at another size, the cache at the run's size made from the source images on demand by
 *   itemsAtInputSize → datasets/at-input-size.ts), decoded by sharp (in libuv threads) to uint8 RGB.
 *   ImageSource never resizes a cache image (one at another size is an error); only images that are
 *   not a dataset's cache (the demo's texture set, `resample`) are resized to the size asked for.
 *   Decoded images are kept as uint8 up to a byte budget (default 512 MiB), the rest are decoded per
 *   batch; float32 exists only for the batch being computed and those loaded ahead.
 * - Prefetch: while the model computes batch i, the next batch (training: the next AUGMENT_AHEAD
 *   batches) is being decoded and, for training, augmented in a worker thread (augmentInPool: the
 *   AugmentPool of engine/augment/augment-pool.ts); the time the loop then still waits is the stall.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { CacheUse, DatasetItem, DatasetManifest } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import type { TrainingSpec } from '../../../src-shared/training';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../engine/augment/ops';
import type { JobContext } from '../../job-context';
import { readDatasetManifest, requirePreprocessed, type LoadedManifest } from '../datasets/manifest-file';
import { cacheUse, datasetAtInputSize, type OnDemandPreprocessing } from '../datasets/at-input-size';
import { cacheDecodeError, readCacheFile } from '../datasets/cache-check';
import { planSplits } from '../datasets/splits';
import { mapPool } from '../datasets/pool';
import type { AugmentSettings, ResolvedNormalisation } from '../../../src-shared/training';
import type { AugmentPool } from '../../engine/augment/augment-pool';

export interface TrainingItem {
  /** Position in the manifest (the stable dataset index that seeds the augmentation). */
  index: number;
  id: string;
  grade: number;
  file: string;
  /**
   * Not a dataset's preprocessing cache (the demo's texture images): resized to the size asked for. A cache
   * image is never resized: it must already have the size (datasets/at-input-size.ts makes other sizes).
   */
  resample?: boolean;
}

export interface TrainingData {
  datasetId: string;
  datasetDir: string;
  /** The dataset's manifest as read for this plan (so callers need not read it again). */
  manifest: DatasetManifest;
  train: TrainingItem[];
  validation: TrainingItem[];
  trainPatients: number;
  validationPatients: number;
}

/** Loads the manifest and plans the validation split and the label-fraction subset of a spec. */
export async function planTrainingData(spec: TrainingSpec, studyPath: string): Promise<TrainingData> {
  if (!spec.datasetId)
    throw new AppError('BAD_REQUEST', 'The training spec names no dataset: set "datasetId" to a dataset of the study.', [
      { path: 'datasetId', message: 'required to run' },
    ]);
  const loaded = await readDatasetManifest(studyPath, spec.datasetId);
  requirePreprocessed(loaded, spec.datasetId);
  const { datasetDir, manifest } = loaded;

  const byId = new Map<string, TrainingItem>();
  const usable: DatasetItem[] = [];
  manifest.items.forEach((it, index) => {
    if (it.grade === null || it.split === 'test' || !it.cache) return;
    usable.push(it);
    byId.set(it.id, { index, id: it.id, grade: it.grade, file: path.join(datasetDir, it.cache.input) });
  });
  if (usable.length === 0) throw new AppError('BAD_REQUEST', `Dataset "${spec.datasetId}" has no graded training images.`);
  const { validation, fractions } = planSplits(
    usable.map((it) => ({ id: it.id, patient: it.patient, grade: it.grade })),
    { seed: spec.seed, validationSeed: spec.validationSeed, validationFraction: spec.validationFraction, fractions: [spec.fraction] },
  );
  const subset = fractions[0]!;
  const pick = (ids: readonly string[]) => ids.map((id) => byId.get(id)!).sort((a, b) => a.index - b.index);
  const data: TrainingData = {
    datasetId: spec.datasetId,
    datasetDir,
    manifest,
    train: pick(subset.items),
    validation: pick(validation.validation),
    trainPatients: subset.patients.length,
    validationPatients: validation.validationPatients.length,
  };
  if (data.train.length < 2)
    throw new AppError(
      'BAD_REQUEST',
      `The label fraction ${spec.fraction} of dataset "${spec.datasetId}" holds ${data.train.length} image(s); at least 2 are needed.`,
      [{ path: 'fraction', message: 'too few training images' }],
    );
  if (data.validation.length === 0)
    throw new AppError(
      'BAD_REQUEST',
      `The validation split of dataset "${spec.datasetId}" is empty; raise validationFraction or use more patients.`,
      [{ path: 'validationFraction', message: 'empty validation split' }],
    );
  return data;
}

/**
 * `lists` of items of the dataset `loaded` (as planned from its manifest) with their files at `inputSize`:
 * the import's own cache at the import's size, else the cache at that size made from the source images
 * on demand (datasetAtInputSize: only the listed items; rendered once, reused afterwards; progress and
 * cancel through `ctx`). `use` is what the caller records in its preprocessing.json; `report` says what
 * was rendered now (null at the import's size).
 */
export async function itemsAtInputSize<T extends TrainingItem>(
  loaded: LoadedManifest,
  inputSize: number,
  lists: readonly (readonly T[])[],
  ctx: JobContext,
): Promise<{ lists: T[][]; use: CacheUse; report: OnDemandPreprocessing | null }> {
  const wanted = new Set(lists.flatMap((list) => list.map((it) => it.index)));
  const use = cacheUse(loaded, inputSize, wanted.size);
  if (loaded.manifest.settings.inputSize === inputSize) return { lists: lists.map((l) => [...l]), use, report: null };
  const at = await datasetAtInputSize(loaded, inputSize, { select: (_item, index) => wanted.has(index) }, ctx);
  const out = lists.map((list) =>
    list.map((it) => {
      const input = at.loaded.manifest.items[it.index]?.cache?.input;
      if (!input) throw new AppError('INTERNAL', `Image ${it.id} of dataset "${loaded.manifest.id}" has no cache file at ${inputSize} px.`);
      return { ...it, file: path.join(loaded.datasetDir, input) };
    }),
  );
  return { lists: out, use, report: at.report };
}

/**
 * Decodes inputs to uint8 RGB (HWC) at a fixed size, keeping them up to a byte budget. A dataset cache
 * image must have that size already (an error naming the file otherwise: a bug upstream); only items
 * marked `resample` are resized (lanczos3).
 */
export class ImageSource {
  private readonly kept = new Map<string, Uint8Array>();
  private keptBytes = 0;

  constructor(
    readonly size: number,
    private readonly budgetBytes = 512 * 1024 * 1024,
  ) {}

  async get(item: TrainingItem): Promise<Uint8Array> {
    const hit = this.kept.get(item.file);
    if (hit) return hit;
    if (!existsSync(item.file))
      throw new AppError('NOT_FOUND', `Cached image of ${item.id} is missing (${item.file}); import the dataset again.`);
    let decoder = sharp(await readCacheFile(item.file, item.id))
      .removeAlpha()
      .toColourspace('srgb');
    if (item.resample) decoder = decoder.resize(this.size, this.size, { fit: 'fill', kernel: 'lanczos3' });
    const { data, info } = await decoder
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch((error: unknown) => Promise.reject(cacheDecodeError(item.file, item.id, error)));
    if (info.channels !== 3 || info.width !== this.size || info.height !== this.size) {
      throw new AppError(
        'INTERNAL',
        `The cached image of ${item.id} (${item.file}) is ${info.width}x${info.height} px with ${info.channels} channel(s), but ${this.size}x${this.size} RGB was asked for: ` +
          'the images are read from the cache at the input size they were preprocessed at, never resized (a bug: this image was not preprocessed at that size).',
      );
    }
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.keptBytes + pixels.byteLength <= this.budgetBytes) {
      this.kept.set(item.file, pixels);
      this.keptBytes += pixels.byteLength;
    }
    return pixels;
  }
}

export interface Batch {
  items: TrainingItem[];
  /** [n, size, size, 3] pixels in [0, 1] (empty once handed to the augmentation workers). */
  pixels: Float32Array;
  /** The augmented views, [n, outSize, outSize, 3] each in [0, 1], when the loader augments. */
  views?: Float32Array[];
}

/**
 * Batches a training loader keeps in flight (decoded and augmented ahead) while the model computes
 * one: 2, because the hand-off of a batch to the augmentation worker needs the main thread, which
 * the (synchronous) training step blocks; with one batch ahead, the batch after a ready one would
 * only start augmenting after the step, and the loop would wait for it.
 */
export const AUGMENT_AHEAD = 2;

/** Augments a decoded batch (its `position` among the loader's batches); returns its views. */
export type BatchAugmenter = (batch: Batch, position: number) => Promise<Float32Array[]>;

/**
 * A loader's augmentation in the worker pool: the views of each batch (pipeline.ts's per-image
 * streams of seed, epoch, dataset index and view). `label(position)` names a batch in errors.
 */
export function augmentInPool(
  pool: AugmentPool,
  o: {
    settings: AugmentSettings;
    seed: number;
    epoch: number;
    size: number;
    views: readonly number[];
    label: (position: number) => string;
  },
): BatchAugmenter {
  return (batch, position) =>
    pool.augment({
      pixels: batch.pixels,
      size: o.size,
      outSize: o.size,
      settings: o.settings,
      seed: o.seed,
      epoch: o.epoch,
      indices: batch.items.map((i) => i.index),
      views: o.views,
      label: o.label(position),
    });
}

/** Decodes a batch (a few images at a time in sharp's threads) into one float32 array in [0, 1]. */
export async function decodeBatch(source: ImageSource, items: TrainingItem[], concurrency = 4): Promise<Batch> {
  const per = source.size * source.size * 3;
  const pixels = new Float32Array(items.length * per);
  await mapPool(items, concurrency, async (item, i) => {
    const u8 = await source.get(item);
    const o = i * per;
    for (let k = 0; k < per; k++) pixels[o + k] = u8[k]! / 255;
  });
  return { items, pixels };
}

/**
 * Iterates batches with `depth` batches decoded (and, given `augment`, augmented) ahead. `stallMs`
 * accumulates the time `next()` waited for a batch that was not ready yet.
 */
export class PrefetchLoader {
  private readonly pending: Promise<Batch>[] = [];
  private cursor = 0;
  stallMs = 0;

  constructor(
    private readonly source: ImageSource,
    private readonly batches: TrainingItem[][],
    private readonly depth = 1,
    private readonly augment?: BatchAugmenter,
  ) {}

  private load(position: number): Promise<Batch> {
    const decoded = decodeBatch(this.source, this.batches[position]!);
    const augment = this.augment;
    if (!augment) return decoded;
    return decoded.then(async (b) => {
      const views = await augment(b, position);
      return { items: b.items, pixels: new Float32Array(0), views };
    });
  }

  get length(): number {
    return this.batches.length;
  }

  /**
   * Starts loading the first `depth` batches now (e.g. the next epoch's, while this epoch's last batch trains
   * and the validation runs), so the first `next()` need not wait for it.
   */
  prime(): void {
    while (this.pending.length < this.depth && this.cursor < this.batches.length) this.fetch();
  }

  private fetch(): void {
    const p = this.load(this.cursor++);
    p.catch(() => {}); // surfaced when awaited
    this.pending.push(p);
  }

  async next(): Promise<Batch | null> {
    while (this.pending.length <= this.depth && this.cursor < this.batches.length) this.fetch();
    // One turn of the event loop: the loads in flight take their next steps (a decode's continuation, the
    // hand-off to an augmentation worker, its answer), which a training loop whose awaits are all already
    // resolved would otherwise hold back until it waits for one of them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const head = this.pending.shift();
    if (!head) return null;
    const t0 = performance.now();
    const batch = await head;
    this.stallMs += performance.now() - t0;
    // `depth` batches stay in flight while the caller computes this one.
    return batch;
  }

  /** Waits for decodes still in flight (so nothing runs after the loop ends). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.pending.splice(0));
  }
}

/** Splits items into batches of `batchSize`; a final batch of one image is dropped (BatchNorm needs ≥ 2). */
export function toBatches<T>(items: readonly T[], batchSize: number, dropSingleton: boolean): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) out.push(items.slice(i, i + batchSize));
  if (dropSingleton && out.length > 1 && out[out.length - 1]!.length === 1) out.pop();
  return out;
}

/** Exact per-channel mean and population std of uint8 RGB images (integer sums, float64). */
export async function datasetChannelStats(
  source: ImageSource,
  items: readonly TrainingItem[],
  onProgress?: (done: number) => void,
): Promise<{ mean: [number, number, number]; std: [number, number, number] }> {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let n = 0;
  let done = 0;
  for (let i = 0; i < items.length; i += 16) {
    const chunk = items.slice(i, i + 16);
    const images = await Promise.all(chunk.map((it) => source.get(it)));
    for (const u8 of images) {
      for (let k = 0; k < u8.length; k += 3) {
        for (let c = 0; c < 3; c++) {
          const v = u8[k + c]!;
          sum[c]! += v;
          sq[c]! += v * v;
        }
      }
      n += u8.length / 3;
    }
    done += chunk.length;
    onProgress?.(done);
  }
  const mean = sum.map((s) => s / n / 255) as [number, number, number];
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n / 65025 - mean[c]! ** 2))) as [number, number, number];
  return { mean, std };
}

/** The mean/std a run normalises its inputs with, and where they came from (the shared ResolvedNormalisation). */
export type Normalisation = ResolvedNormalisation;

/**
 * The input mean/std of a spec: ImageNet's, the given values, or (kind "dataset") the exact
 * per-channel statistics of `items` at the spec's input size; `source` describes those items.
 */
export async function resolveNormalisation(
  spec: TrainingSpec,
  source: ImageSource,
  items: readonly TrainingItem[],
  ctx: JobContext,
  describeItems: string,
): Promise<Normalisation> {
  const n = spec.normalisation;
  if (n.kind === 'imagenet') return { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], source: 'imagenet' };
  if (n.kind === 'custom') return { mean: [...n.mean], std: [...n.std], source: 'custom' };
  ctx.progress(0, items.length, 'Computing the mean/std of the images');
  const stats = await datasetChannelStats(source, items, (done) =>
    ctx.progress(done, items.length, `Computing the mean/std of the images (${done}/${items.length})`),
  );
  if (stats.std.some((s) => !(s > 0)))
    throw new AppError('BAD_REQUEST', 'The images have a constant channel (std 0); use another normalisation.', [
      { path: 'normalisation', message: 'std is 0' },
    ]);
  return { ...stats, source: describeItems };
}
