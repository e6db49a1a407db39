/**
 * Explaining a trained run on a dataset with lesion masks (paper Fig 5 and Table 3; docs/design.md
 * "LRP α1β0", "RMA / RRA").
 *
 * Pipeline: the run's selected model (loadRunModel) canonized and explained with the LRP-α1β0
 * composite (index.ts; zB bounds from the run's normalisation: (0 − mean)/std, (1 − mean)/std); the
 * chosen images of the dataset in manifest order with exactly the run's validation preprocessing
 * (cached input decoded by ImageSource at the run's input size, pixels/255, (x − mean)/std); the
 * relevance per input element [H, W, 3]; per region (each requested lesion and their union) and per
 * pooling the RMA and RRA of the heatmap and of the seeded Gaussian-noise control; summaries across
 * images (rma-rra.ts).
 *
 * Masks: the dataset cache's binary masks at the input size (`masks[lesion].cache.input`, rendered
 * with the image's crop geometry, src-main/services/datasets/image.ts renderMask); a pixel is in the
 * mask when its value is > 0. The dataset must have been preprocessed at the run's input size, so
 * masks and heatmaps share their pixel grid (no resampling).
 *
 * Output: explanations/<run-id>__<dataset-id>__<settings hash>/ (explanationName) with result.json (ExplanationResult) and
 * heatmaps/<manifest index>.f32 (float32 LE [H, W]: relevance summed over RGB), written as one result
 * folder (services/study-folder/result-folder.ts): an earlier explanation of the same name is only
 * replaced by a complete one; an error or a cancellation leaves nothing behind.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import sharp, { type OutputInfo } from 'sharp';
import type { CacheUse, DatasetItem } from '../../../src-shared/datasets';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import {
  EXPLANATION_SCHEMA_VERSION,
  ExplainRequest,
  ExplanationResult,
  type ExplainedImage,
  type ExplainLesion,
  type ExplainRequestInput,
  type PoolingAccuracies,
  type Region,
  type RegionOutcome,
  type RegionSummary,
} from '../../../src-shared/explanations';
import { normalize } from '../../engine/augment/ops';
import { engineStatus, initEngine } from '../../engine/backend';
import { mixSeedPair } from '../../random/prng';
import { cacheDecodeError, readCacheFile } from '../../services/datasets/cache-check';
import { readDatasetManifest, requirePreprocessed, type LoadedManifest } from '../../services/datasets/manifest-file';
import { cacheUse, datasetAtInputSize, writePreprocessingRecord, type OnDemandPreprocessing } from '../../services/datasets/at-input-size';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { loadRunModel, readRunInfo, type LoadedRunModel } from '../../services/runs/run-model';
import { resultInputs, writeResultInputs } from '../../services/runs/identity';
import type { RunInfo } from '../../services/runs/run-info';
import { PREPROCESSING_FILE, RESULT_FILE, settingsResultName, studyLayout } from '../../services/study-folder/layout';
import type { ResultSettings } from '../../../src-shared/result-settings';
import { writeResultFolder } from '../../services/study-folder/result-folder';
import { requireStudyFolder } from '../../services/study-folder/study-service';
import { ImageSource, decodeBatch, toBatches, type TrainingItem } from '../../services/training/data';
import { describeAssignment, normalisedBounds } from './composite';
import { startRelevance } from './explain';
import { resnetExplainer } from './index';
import { fundusCircle, fundusMask, outsideFundusShare } from './fundus';
import { noiseHeatmap, POOLINGS, scoreRegions, summarize, type Pooling, type RegionResult } from './rma-rra';

export const HEATMAPS_DIR = 'heatmaps';
export const OUTSIDE_FUNDUS_DEFINITION =
  "Σ max(h, 0) outside the fundus / Σ max(h, 0), h = the heatmap; fundus: circle of diameter max(w, h)/(1 + 2·crop margin) about the centre of the import's crop box, within the box, at the input size";
export const HEATMAP_CONTENT = 'signed LRP relevance summed over the R, G, B input channels, row-major [H, W] at the model input size';

/**
 * The result's folder name and settings: run, dataset and the hash of every request setting except
 * `batchSize` (images per LRP pass; the heatmaps do not depend on it, test/unit/lrp-service.test.ts).
 */
export function explanationName(requestInput: ExplainRequestInput | ExplainRequest): { name: string; settings: ResultSettings } {
  const request = parseOrThrow(ExplainRequest, requestInput, 'explanation request');
  const values = (r: ExplainRequest) => {
    const { runId: _r, datasetId: _d, batchSize: _b, ...rest } = r;
    return rest;
  };
  const defaults = ExplainRequest.parse({ runId: request.runId, datasetId: request.datasetId });
  return settingsResultName([request.runId, request.datasetId], values(request), values(defaults));
}

/** Heatmap file of an image, relative to the explanation folder (by manifest index: ids may hold '/'). */
export function heatmapFile(index: number): string {
  return `${HEATMAPS_DIR}/${String(index).padStart(5, '0')}.f32`;
}

interface PlannedImage extends TrainingItem {
  item: DatasetItem;
  /** Absolute paths of the cached input-size masks per requested lesion (absent: no mask). */
  masks: Partial<Record<ExplainLesion, string>>;
  startClasses: number[];
  startSource: ExplainedImage['startSource'];
}

export interface ExplainOptions {
  /** Preprocess a dataset cached at another size than the run's (the chosen images and masks) instead of refusing it. */
  preprocessOnDemand?: boolean;
  onPreprocessed?: (report: OnDemandPreprocessing) => void;
}

export async function explainRun(
  requestInput: ExplainRequestInput | ExplainRequest,
  studyPath: string,
  ctx: JobContext,
  opts: ExplainOptions = {},
): Promise<ExplanationResult> {
  const started = performance.now();
  const request = parseOrThrow(ExplainRequest, requestInput, 'explanation request');
  const study = requireStudyFolder(studyPath);
  const plan = await planExplanation(request, study, ctx, opts);
  const inputs = await resultInputs(study, { datasets: [request.datasetId], runs: [request.runId] });
  if (!engineStatus()) await initEngine({ preference: 'auto' });
  const backend = engineStatus()?.active ?? tf.getBackend();
  throwIfCancelled(ctx);
  const layout = studyLayout(study).result('explanations', plan.name);
  const run = await loadRunModel(study, request.runId, 'runId');
  let lrp: ReturnType<typeof resnetExplainer> | null = null;
  try {
    lrp = resnetExplainer(run.model, {
      firstLayer: request.lrp.firstLayer,
      maxPool: request.lrp.maxPool,
      sum: request.lrp.sum,
      stabilizer: request.lrp.stabilizer,
      bounds: normalisedBounds(run.mean, run.std),
    });
    const explainer = lrp;
    const result = await writeResultFolder(layout, async (tmp) => {
      const explained = await explainImages(request, plan, run, explainer, tmp, ctx);
      const result = explanationResult(request, plan, run, explainer, explained, backend, (performance.now() - started) / 1000);
      await fsp.writeFile(path.join(tmp, RESULT_FILE), JSON.stringify(result, null, 2) + '\n');
      await writeResultInputs(tmp, inputs);
      await writePreprocessingRecord(path.join(tmp, PREPROCESSING_FILE), [plan.cache]);
      throwIfCancelled(ctx);
      return result;
    });
    const u = result.summary.union?.lrp['sum,pos'];
    ctx.log(`Wrote ${layout.dir}; union RMA (sum,pos) mean ${u?.rma.mean?.toFixed(4) ?? '–'}, RRA mean ${u?.rra.mean?.toFixed(4) ?? '–'}`);
    return result;
  } finally {
    lrp?.dispose();
    run.model.dispose();
  }
}

interface ExplanationPlan {
  name: string;
  settings: ResultSettings;
  info: RunInfo;
  dataset: LoadedManifest;
  /** The dataset's cache input size (= the run's). */
  dataSize: number;
  classes: number;
  referable: number[];
  images: PlannedImage[];
  /** The preprocessing cache the images are read from (preprocessing.json). */
  cache: CacheUse;
}

/** Every check without tensors: run, dataset, input size, images, classes. */
async function planExplanation(request: ExplainRequest, study: string, ctx: JobContext, opts: ExplainOptions): Promise<ExplanationPlan> {
  ctx.progress(0, 1, 'Checking the run and the dataset');
  const info = await readRunInfo(study, request.runId, 'runId');
  if (!info.best)
    throw new AppError(
      'BAD_REQUEST',
      `Run "${request.runId}" has no selected model yet (no best/metrics.json): train it for at least one epoch first.`,
      [{ path: 'runId', message: 'no trained model' }],
    );
  let loaded = await readDatasetManifest(study, request.datasetId, 'datasetId');
  requirePreprocessed(loaded, request.datasetId);
  const runSize = info.spec.inputSize;
  let dataSize = loaded.manifest.settings.inputSize;
  const imported = loaded;
  if (dataSize !== runSize && opts.preprocessOnDemand) {
    const wanted = new Set(planImages(request, loaded.datasetDir, loaded.manifest.items, info.spec.referable).map((img) => img.index));
    const at = await datasetAtInputSize(loaded, runSize, { select: (_item, index) => wanted.has(index), masks: true }, ctx);
    loaded = at.loaded;
    dataSize = loaded.manifest.settings.inputSize;
    if (at.report) opts.onPreprocessed?.(at.report);
    throwIfCancelled(ctx);
  }
  if (dataSize !== runSize) {
    throw new AppError(
      'BAD_REQUEST',
      `Dataset "${request.datasetId}" was preprocessed at ${dataSize} px, but run "${request.runId}" was trained on ${runSize} px inputs; import the dataset again at the run's size (funduslab import … --input-size ${runSize}, under another --id) so heatmaps and lesion masks share one pixel grid.`,
      [{ path: 'datasetId', message: `preprocessed at ${dataSize} px, the run needs ${runSize} px` }],
    );
  }
  const classes = info.best.classes;
  const referable = [...(request.referable ?? info.spec.referable)].sort((a, b) => a - b);
  for (const c of [...referable, request.ungradedClass]) {
    if (c >= classes)
      throw new AppError('BAD_REQUEST', `Class ${c} is not an output of run "${request.runId}" (its head has ${classes} classes).`, [
        { path: request.referable ? 'referable' : 'ungradedClass', message: `must be < ${classes}` },
      ]);
  }
  const images = planImages(request, loaded.datasetDir, loaded.manifest.items, referable);
  const { name, settings } = explanationName(request);
  ctx.log(
    `Explaining run ${request.runId} (${info.spec.strategy}, ${info.spec.arch}) on ${images.length} image(s) of dataset ${request.datasetId} with LRP-α1β0 (first layer ${request.lrp.firstLayer}, max pooling ${request.lrp.maxPool}, residual sums ${request.lrp.sum}); start: ${request.start}`,
  );
  return { name, settings, info, dataset: loaded, dataSize, classes, referable, images, cache: cacheUse(imported, runSize, images.length) };
}

/** The relevance of every planned image, batch by batch: its heatmap file (into `dir`) and its scores. */
async function explainImages(
  request: ExplainRequest,
  plan: ExplanationPlan,
  run: LoadedRunModel,
  lrp: ReturnType<typeof resnetExplainer>,
  dir: string,
  ctx: JobContext,
): Promise<ExplainedImage[]> {
  const { images, classes } = plan;
  const S = run.inputSize;
  const cropMargin = plan.dataset.manifest.settings.cropMargin;
  await fsp.mkdir(path.join(dir, HEATMAPS_DIR));
  const source = new ImageSource(S, 0);
  const explained: ExplainedImage[] = [];
  const batches = toBatches(images, request.batchSize, false);
  for (const batch of batches) {
    throwIfCancelled(ctx);
    const { pixels } = await decodeBatch(source, batch);
    const n = batch.length;
    const x = tf.tidy(() => normalize(tf.tensor4d(pixels, [n, S, S, 3]) as Tensor4D, run.mean, run.std));
    let relevance: Float32Array;
    let logits: Float32Array;
    let start: Float32Array;
    try {
      const r = lrp.explainer.explain(x, (z) =>
        startRelevance(
          z,
          batch.map((b) => b.startClasses),
          request.startValue,
        ),
      );
      try {
        [relevance, logits, start] = (await Promise.all([r.relevance.data(), r.logits.data(), r.start.data()])) as [
          Float32Array,
          Float32Array,
          Float32Array,
        ];
      } finally {
        tf.dispose([r.relevance, r.logits, r.start]);
      }
    } finally {
      x.dispose();
    }
    const per = S * S * 3;
    for (let i = 0; i < n; i++) {
      const img = batch[i]!;
      const rel = relevance.subarray(i * per, (i + 1) * per);
      const heat = new Float32Array(S * S);
      let relevanceSum = 0;
      for (let p = 0; p < S * S; p++) {
        const v = rel[3 * p]! + rel[3 * p + 1]! + rel[3 * p + 2]!;
        heat[p] = v;
        relevanceSum += v;
      }
      await fsp.writeFile(path.join(dir, heatmapFile(img.index)), new Uint8Array(heat.buffer));
      // Share of positive relevance outside the fundus (fundus.ts); null without a recorded crop.
      const outsideShare = img.item.crop ? outsideFundusShare(heat, fundusMask(fundusCircle(img.item.crop, cropMargin, S))) : null;
      const masks = await readMasks(img, S);
      const lrpScores = scoreRegions(rel, 3, masks, request.lesions);
      const noiseScores = scoreRegions(noiseHeatmap(S, S, 3, mixSeedPair(request.noiseSeed, img.index)), 3, masks, request.lesions);
      const row = logits.subarray(i * classes, (i + 1) * classes);
      explained.push({
        id: img.id,
        index: img.index,
        grade: img.item.grade,
        startClasses: img.startClasses,
        startSource: img.startSource,
        logits: Array.from(row),
        startRelevance: start.subarray(i * classes, (i + 1) * classes).reduce((a, b) => a + b, 0),
        relevanceSum,
        heatmap: heatmapFile(img.index),
        outsideFundusShare: outsideShare,
        regions: combineRegions(lrpScores, noiseScores),
      });
    }
    ctx.progress(explained.length, images.length, `${explained.length}/${images.length} images explained`);
  }
  return explained;
}

/** The result record: summaries per region and pooling, checked against its schema. */
function explanationResult(
  request: ExplainRequest,
  plan: ExplanationPlan,
  run: LoadedRunModel,
  lrp: ReturnType<typeof resnetExplainer>,
  explained: ExplainedImage[],
  backend: string,
  seconds: number,
): ExplanationResult {
  const { name, settings, info, referable, dataSize } = plan;
  const loaded = plan.dataset;
  const S = run.inputSize;
  const regions: Region[] = [...request.lesions, 'union'];
  const summary: Partial<Record<Region, RegionSummary>> = {};
  for (const region of regions) summary[region] = summarizeRegion(explained, region);
  const shares = explained.map((im) => im.outsideFundusShare).filter((v): v is number => typeof v === 'number');
  const parsed = ExplanationResult.safeParse({
    schemaVersion: EXPLANATION_SCHEMA_VERSION,
    name,
    settings,
    run: {
      runId: info.runId,
      strategy: info.spec.strategy,
      arch: info.spec.arch,
      inputSize: S,
      normalisation: { mean: run.mean, std: run.std, source: run.best.normalisation.source },
      referable,
    },
    dataset: { datasetId: request.datasetId, type: loaded.manifest.type, inputSize: dataSize },
    request,
    composite: { name: lrp.composite.name, canonizers: [...lrp.graph.canonizers], rules: describeAssignment(lrp.graph, lrp.composite) },
    heatmap: { format: 'float32le', shape: [S, S], content: HEATMAP_CONTENT },
    images: explained,
    summary,
    outsideFundus: {
      mean: shares.length > 0 ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
      images: shares.length,
      definition: OUTSIDE_FUNDUS_DEFINITION,
    },
    backend,
    seconds,
    createdAt: new Date().toISOString(),
  });
  if (!parsed.success)
    throw new AppError(
      'INTERNAL',
      `The explanation result does not fit its schema: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

/** The images to explain, in manifest order, with their masks and the classes to start from. */
function planImages(request: ExplainRequest, datasetDir: string, items: readonly DatasetItem[], referable: number[]): PlannedImage[] {
  const cached = items.map((item, index) => ({ item, index })).filter(({ item }) => item.cache);
  let chosen: typeof cached;
  if (Array.isArray(request.images)) {
    const byId = new Map(cached.map((c) => [c.item.id, c]));
    const missing = request.images.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      const known = new Set(items.map((i) => i.id));
      throw new AppError(
        'BAD_REQUEST',
        `Dataset "${request.datasetId}" has no preprocessed image ${missing.map((m) => `"${m}"${known.has(m) ? ' (not preprocessed)' : ''}`).join(', ')}.`,
        [{ path: 'images', message: 'unknown image id' }],
      );
    }
    const wanted = new Set(request.images);
    chosen = cached.filter((c) => wanted.has(c.item.id));
  } else chosen = request.images === undefined ? cached : cached.slice(0, request.images);
  if (chosen.length === 0)
    throw new AppError('BAD_REQUEST', `Dataset "${request.datasetId}" has no preprocessed images to explain.`, [
      { path: 'datasetId', message: 'no images' },
    ]);
  return chosen.map(({ item, index }) => {
    const masks: PlannedImage['masks'] = {};
    for (const lesion of request.lesions) {
      const file = item.masks?.[lesion]?.cache?.input;
      if (file) masks[lesion] = path.join(datasetDir, file);
    }
    let startClasses: number[];
    let startSource: PlannedImage['startSource'];
    if (request.start === 'referable') [startClasses, startSource] = [referable, 'referable'];
    else if (item.grade !== null) [startClasses, startSource] = [[item.grade], 'grade'];
    else [startClasses, startSource] = [[request.ungradedClass], 'ungraded-class'];
    return {
      index,
      id: item.id,
      grade: item.grade ?? -1,
      file: path.join(datasetDir, item.cache!.input),
      item,
      masks,
      startClasses,
      startSource,
    };
  });
}

/** Decodes the image's cached masks (> 0 = lesion) and checks they are at the heatmap size. */
async function readMasks(img: PlannedImage, size: number): Promise<Partial<Record<ExplainLesion, Uint8Array>>> {
  const out: Partial<Record<ExplainLesion, Uint8Array>> = {};
  for (const [lesion, file] of Object.entries(img.masks) as [ExplainLesion, string][]) {
    let decoded: { data: Buffer; info: OutputInfo };
    const what = `${img.id} (${lesion} mask)`;
    try {
      decoded = await sharp(await readCacheFile(file, what))
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw cacheDecodeError(file, what, e);
    }
    const { data, info } = decoded;
    if (info.width !== size || info.height !== size)
      throw new AppError(
        'STUDY_CORRUPT',
        `The cached ${lesion} mask of ${img.id} (${file}) is ${info.width}x${info.height}, expected ${size}x${size}; import the dataset again.`,
      );
    const mask = new Uint8Array(size * size);
    for (let p = 0; p < mask.length; p++) mask[p] = data[p * info.channels]! > 0 ? 1 : 0;
    out[lesion] = mask;
  }
  return out;
}

function accuracies(r: Extract<RegionResult, { scores: unknown }>): PoolingAccuracies {
  return Object.fromEntries(POOLINGS.map((p) => [p, { rma: r.scores[p].rma, rra: r.scores[p].rra }])) as PoolingAccuracies;
}

function combineRegions(
  lrp: Partial<Record<Region, RegionResult>>,
  noise: Partial<Record<Region, RegionResult>>,
): Partial<Record<Region, RegionOutcome>> {
  const out: Partial<Record<Region, RegionOutcome>> = {};
  for (const [region, r] of Object.entries(lrp) as [Region, RegionResult][]) {
    const nr = noise[region]!;
    out[region] =
      'skipped' in r || 'skipped' in nr
        ? { skipped: 'skipped' in r ? r.skipped : (nr as { skipped: 'no-mask' | 'empty-mask' }).skipped }
        : { maskPixels: r.maskPixels, lrp: accuracies(r), noise: accuracies(nr) };
  }
  return out;
}

function summarizeRegion(images: readonly ExplainedImage[], region: Region): RegionSummary {
  const scored = images
    .map((im) => im.regions[region])
    .filter((r): r is Extract<RegionOutcome, { lrp: unknown }> => r !== undefined && 'lrp' in r);
  const count = (why: 'no-mask' | 'empty-mask') =>
    images.filter((im) => {
      const r = im.regions[region];
      return r !== undefined && 'skipped' in r && r.skipped === why;
    }).length;
  const per = (which: 'lrp' | 'noise') =>
    Object.fromEntries(
      POOLINGS.map((p: Pooling) => [
        p,
        {
          rma: summarize(scored.map((r) => r[which][p].rma).filter((v): v is number => v !== null)),
          rra: summarize(scored.map((r) => r[which][p].rra)),
        },
      ]),
    ) as RegionSummary['lrp'];
  return {
    scored: scored.length,
    skipped: { noMask: count('no-mask'), emptyMask: count('empty-mask') },
    lrp: per('lrp'),
    noise: per('noise'),
  };
}
