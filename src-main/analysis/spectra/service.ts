/**
 * The spectra analysis of a trained run on a dataset (paper Fig 3a, Fig 3b, Table 2; definitions in
 * src-shared/spectra.ts): `runSpectra` loads the run's selected model and normalisation
 * (services/runs/run-model.ts), draws N images of the dataset's preprocessed cache (at the run's input
 * size: made from the source images on demand for a dataset imported at another size), computes every
 * layer's spectrum and κ and the first-layer distribution analysis (`computeSpectra`, which also
 * serves a bare ResNet for tests and the bench), and writes
 * `spectra/<run-id>__<dataset-id>/result.json` as one result folder
 * (services/study-folder/result-folder.ts).
 *
 * Block storage of the activations (capture.ts) goes to `.activations/` inside the result's
 * temporary folder in the study (the study's disk, not a RAM-backed /tmp) and is removed before the
 * result is swapped in, or with the temporary folder on failure or cancel.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import {
  SPECTRA_SCHEMA_VERSION,
  SpectraRequest,
  SpectraResult,
  type FirstLayerSpectrum,
  type LayerSpectrum,
  type SpectraCore,
  type SpectraRequestInput,
  type SpectraSplit,
} from '../../../src-shared/spectra';
import { engineStatus, initEngine } from '../../engine/backend';
import { normalize } from '../../engine/augment/ops';
import type { ResNet } from '../../engine/models/resnet';
import { mulberry32 } from '../../random/prng';
import { readDatasetManifest, requirePreprocessed, type LoadedManifest } from '../../services/datasets/manifest-file';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { loadRunModel } from '../../services/runs/run-model';
import { resultInputs, writeResultInputs } from '../../services/runs/identity';
import { requireStudyFolder } from '../../services/study-folder/study-service';
import { PREPROCESSING_FILE, RESULT_FILE, settingsResultName, studyLayout } from '../../services/study-folder/layout';
import type { ResultSettings } from '../../../src-shared/result-settings';
import { writeResultFolder } from '../../services/study-folder/result-folder';
import { ImageSource, decodeBatch, itemsAtInputSize, type TrainingItem } from '../../services/training/data';
import { writePreprocessingRecord } from '../../services/datasets/at-input-size';
import { captureGrams, spectrumLayers, type ImageFeed } from './capture';
import { componentCount, conditionNumber, explainedVariance, type ConditionPercentiles } from './eigen';
import { densityAt, DISTRIBUTIONS } from './distributions';
import { fitAll } from './fit';
import { mirroredDensity, mirroredSample, rankSample, weightedKurtosis } from './first-layer';
import type { GramPrecision } from './gram';

/** Total weight of the rank sample the distributions are fitted to (only fmin's absolute tolerance sees it). */
export const FIT_SAMPLE_WEIGHT = 10_000;

export interface ComputeOptions {
  k?: number;
  percentiles?: ConditionPercentiles;
  /** Histogram bins of the first-layer fit (default: the number of ranks). */
  bins?: number;
  batchSize?: number;
  gramPrecision?: GramPrecision;
  blockFeatures?: number;
  budgetBytes?: number;
  scratchDir?: string | null;
  memoryBytes?: number;
  /** BatchNorm Gram matrices from their conv's (capture.ts; default true). */
  bnFromConv?: boolean;
}

/** The first-layer analysis of a descending spectrum λ (first-layer.ts, fit.ts). */
export function firstLayerSpectrum(layer: string, eigenvalues: readonly number[], bins?: number): FirstLayerSpectrum {
  const ranks = rankSample(eigenvalues);
  const total = ranks.weights.reduce((a, b) => a + b, 0);
  const fitSample = { values: ranks.values, weights: ranks.weights.map((w) => (w / total) * FIT_SAMPLE_WEIGHT) };
  const table = fitAll(fitSample, bins ?? eigenvalues.length);
  const pareto = table.fits.find((f) => f.distribution === 'pareto');
  return {
    layer,
    eigenvalues: [...eigenvalues],
    mirrored: mirroredDensity(eigenvalues),
    kurtosis: weightedKurtosis(mirroredSample(eigenvalues), true),
    fitSample,
    histogram: table.histogram,
    fits: table.fits.map((f) => ({
      ...f,
      pdfAtCentres: table.histogram.centres.map((c) => finiteOr0(densityAt(DISTRIBUTIONS[f.distribution], c, f.params))),
    })),
    failed: table.failed,
    best: table.best,
    paretoAlpha: pareto ? pareto.params[0]! : null,
  };
}

const finiteOr0 = (v: number): number => (Number.isFinite(v) ? v : 0);

/**
 * Spectra of every Conv, BatchNorm and Linear layer of `model` over the images of `feed` (already
 * normalised), and the first-layer analysis. Progress through `ctx`; cancellable between batches
 * and layers.
 */
export async function computeSpectra(model: ResNet, feed: ImageFeed, opts: ComputeOptions, ctx: JobContext): Promise<SpectraCore> {
  const started = performance.now();
  const k = opts.k ?? 100;
  const percentiles = opts.percentiles ?? { high: 99.9, low: 90 };
  const gramPrecision = opts.gramPrecision ?? 'backend';
  const layers = spectrumLayers(model, feed.size);
  const out: LayerSpectrum[] = [];
  let eigenMs = 0;
  const timings = await captureGrams(
    model,
    layers,
    feed,
    {
      batchSize: opts.batchSize,
      blockFeatures: opts.blockFeatures,
      budgetBytes: opts.budgetBytes,
      scratchDir: opts.scratchDir ?? null,
      memoryBytes: opts.memoryBytes,
      gramPrecision,
      bnFromConv: opts.bnFromConv,
    },
    ctx,
    ({ layer, gram, constantFeatures }) => {
      const t0 = performance.now();
      const kk = componentCount(k, feed.count, layer.features);
      const eigenvalues = explainedVariance(gram, feed.count, kk);
      const kappa = conditionNumber(eigenvalues, percentiles);
      eigenMs += performance.now() - t0;
      out.push({
        name: layer.name,
        kind: layer.kind,
        moduleIndex: layer.moduleIndex,
        shape: layer.shape,
        features: layer.features,
        constantFeatures,
        k: kk,
        eigenvalues,
        kappa: kappa.kappa,
        pHigh: kappa.pHigh,
        pLow: kappa.pLow,
      });
    },
  );
  out.sort((a, b) => a.moduleIndex - b.moduleIndex);
  throwIfCancelled(ctx);
  const t0 = performance.now();
  const first = out.find((l) => l.kind === 'conv')!;
  const firstLayer = firstLayerSpectrum(first.name, first.eigenvalues, opts.bins);
  const fitMs = performance.now() - t0;
  return {
    n: feed.count,
    inputSize: feed.size,
    k,
    percentiles: { high: percentiles.high, low: percentiles.low },
    bins: opts.bins ?? first.eigenvalues.length,
    gramPrecision,
    backend: engineStatus()?.active ?? tf.getBackend(),
    layers: out,
    firstLayer,
    timings: { ...timings, eigenMs, fitMs, totalMs: performance.now() - started },
  };
}

/** An image feed over cached dataset inputs, normalised with the run's mean/std. */
export function datasetFeed(items: readonly TrainingItem[], size: number, mean: readonly number[], std: readonly number[]): ImageFeed {
  const source = new ImageSource(size);
  return {
    count: items.length,
    size,
    async batch(start, n) {
      const { pixels } = await decodeBatch(source, items.slice(start, start + n));
      const normalised = tf.tidy(() => normalize(tf.tensor4d(pixels, [n, size, size, 3]), mean, std));
      try {
        return (await normalised.data()) as Float32Array;
      } finally {
        normalised.dispose();
      }
    },
  };
}

/** N of the dataset's cached images of the split, drawn with the seed (Fisher–Yates on mulberry32), in manifest order. */
async function chooseImages(
  studyPath: string,
  req: SpectraRequest,
): Promise<{ items: TrainingItem[]; split: SpectraSplit; available: number; loaded: LoadedManifest }> {
  const loaded = await readDatasetManifest(studyPath, req.datasetId);
  requirePreprocessed(loaded, req.datasetId);
  const all = loaded.manifest.items.map((it, index) => ({ it, index })).filter(({ it }) => it.cache);
  const split: SpectraSplit = req.split ?? (all.some(({ it }) => it.split === 'test') ? 'test' : 'all');
  const pool = all.filter(({ it }) => split === 'all' || (split === 'test' ? it.split === 'test' : it.split !== 'test'));
  if (pool.length < 3) {
    throw new AppError(
      'BAD_REQUEST',
      `Dataset "${req.datasetId}" has ${pool.length} preprocessed image(s) in split "${split}"; the spectra need at least 3.`,
      [{ path: 'split', message: 'too few images' }],
    );
  }
  const rand = mulberry32(req.seed);
  const order = pool.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen = order.slice(0, Math.min(req.images, pool.length)).sort((a, b) => a - b);
  const items = chosen.map((i) => {
    const { it, index } = pool[i]!;
    return { index, id: it.id, grade: it.grade ?? -1, file: path.join(loaded.datasetDir, it.cache!.input) };
  });
  return { items, split, available: pool.length, loaded };
}

/**
 * Folder name of a spectra result under spectra/ and its settings: run, dataset and the hash of every
 * request setting except `batchSize` (images per forward pass; the spectra do not depend on it), plus
 * the Gram precision when a caller overrides it.
 */
export function spectraName(
  requestInput: SpectraRequestInput,
  compute: RunSpectraOptions['compute'] = {},
): { name: string; settings: ResultSettings } {
  const req = parseOrThrow(SpectraRequest, requestInput, 'spectra request');
  const values = (r: SpectraRequest, gramPrecision: GramPrecision | undefined) => {
    const { runId: _r, datasetId: _d, batchSize: _b, ...rest } = r;
    return { ...rest, gramPrecision };
  };
  const defaults = SpectraRequest.parse({ runId: req.runId, datasetId: req.datasetId });
  return settingsResultName([req.runId, req.datasetId], values(req, compute.gramPrecision), values(defaults, undefined));
}

export interface RunSpectraOptions {
  /** Overrides for the capture (tests, benchmarks). */
  compute?: Pick<ComputeOptions, 'gramPrecision' | 'blockFeatures' | 'budgetBytes' | 'memoryBytes' | 'bnFromConv'>;
}

/** One spectra analysis of a run on a dataset; writes and returns spectra/<run-id>__<dataset-id>__<settings hash>/result.json. */
export async function runSpectra(
  request: SpectraRequestInput,
  studyPath: string,
  ctx: JobContext,
  opts: RunSpectraOptions = {},
): Promise<SpectraResult> {
  const req = parseOrThrow(SpectraRequest, request, 'spectra request');
  const study = requireStudyFolder(studyPath);
  if (!engineStatus()) await initEngine({ preference: 'auto' }).catch(() => null);
  ctx.progress(0, 1, 'Loading the model and choosing images');
  const chosen = await chooseImages(study, req);
  const inputs = await resultInputs(study, { datasets: [req.datasetId], runs: [req.runId] });
  const loaded = await loadRunModel(study, req.runId);
  const { name, settings } = spectraName(req, opts.compute);
  const layout = studyLayout(study).result('spectra', name);
  try {
    // A dataset imported at another size than the run's is read at the run's size, preprocessed from its source images (once).
    const at = await itemsAtInputSize(chosen.loaded, loaded.inputSize, [chosen.items], ctx);
    if (at.report) ctx.log(`Spectra: ${at.report.message}.`);
    throwIfCancelled(ctx);
    const items = at.lists[0]!;
    ctx.log(
      `Spectra of run ${req.runId} on ${chosen.items.length} images of ${req.datasetId} (split ${chosen.split}, ${chosen.available} available)`,
    );
    // The activations are streamed to scratch files inside the result's temporary folder and removed before it is swapped in.
    return await writeResultFolder(layout, async (tmp) => {
      const scratchDir = path.join(tmp, '.activations');
      const feed = datasetFeed(items, loaded.inputSize, loaded.mean, loaded.std);
      const core = await computeSpectra(
        loaded.model,
        feed,
        { k: req.k, percentiles: req.percentiles, bins: req.bins, batchSize: req.batchSize, scratchDir, ...opts.compute },
        ctx,
      );
      await fsp.rm(scratchDir, { recursive: true, force: true });
      const result: SpectraResult = {
        schemaVersion: SPECTRA_SCHEMA_VERSION,
        name,
        settings,
        ...core,
        run: {
          runId: req.runId,
          strategy: loaded.spec.strategy,
          fraction: loaded.spec.fraction,
          seed: loaded.spec.seed,
          arch: loaded.spec.arch,
          normalisation: {
            mean: [...loaded.best.normalisation.mean],
            std: [...loaded.best.normalisation.std],
            source: loaded.best.normalisation.source,
          },
        },
        dataset: {
          datasetId: req.datasetId,
          split: chosen.split,
          available: chosen.available,
          seed: req.seed,
          imageIds: chosen.items.map((i) => i.id),
        },
        created: new Date().toISOString(),
      };
      const checked = SpectraResult.parse(result);
      await fsp.writeFile(path.join(tmp, RESULT_FILE), JSON.stringify(checked, null, 2) + '\n');
      await writeResultInputs(tmp, inputs);
      await writePreprocessingRecord(path.join(tmp, PREPROCESSING_FILE), [at.use]);
      ctx.progress(1, 1, 'Done');
      return checked;
    });
  } finally {
    loaded.model.dispose();
  }
}
