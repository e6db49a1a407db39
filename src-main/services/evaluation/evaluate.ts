/**
 * Evaluation of one trained run on one graded dataset (issue 6; docs/design.md "Referable DR").
 *
 * Pipeline: the run's selected model (runs/<run-id>/best/model.safetensors, via loadRunModel), the
 * graded images of the chosen split in manifest order, exactly the run's validation preprocessing
 * (the cached input decoded by ImageSource at the run's inputSize, pixels / 255, then
 * (x − mean) / std with the run's normalisation — training/run.ts `validate()`), the eval-mode
 * forward pass in batches, P(referable) = Σ softmax over the referable grades (referableProbability),
 * then the metrics of services/evaluation/metrics: ROC AUC, DeLong 95% CI, stratified bootstrap
 * percentile CI, ROC curve, sensitivity/specificity at the target-sensitivity operating point and at
 * a fixed threshold, Youden point.
 *
 * Output: evaluations/<run-id>__<dataset-id>__<split>/ with predictions.csv (one row per evaluated
 * image, manifest order) and result.json (EvaluationResult), written as one result folder
 * (services/study-folder/result-folder.ts) once everything has been computed: an earlier evaluation
 * under the same name is replaced only when the new one is complete. Bad input, an error or a
 * cancellation before that point writes nothing.
 *
 * Every bad input is checked before the model is loaded: unknown run or dataset, a run without a
 * selected model, a head with another number of classes than the 5 ICDR grades (best/metrics.json
 * `classes` and the fc.weight shape in the weights file), a dataset preprocessed at another input
 * size than the run (unless `preprocessOnDemand`: then the split's images are preprocessed at the run's
 * size into the dataset's cache first, services/datasets/at-input-size.ts), a split without graded
 * images, and a split with fewer than 2 images of either class (the AUC and its DeLong variance are
 * undefined).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import type { DatasetItem, DatasetManifest } from '../../../src-shared/datasets';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import {
  CI_LEVEL,
  EVALUATION_SCHEMA_VERSION,
  EvaluateRequest,
  EvaluationResult,
  PREDICTIONS_COLUMNS,
  type EvaluateRequestInput,
  type EvaluationSplit,
} from '../../../src-shared/evaluation';
import { normalize } from '../../engine/augment/ops';
import { engineStatus, initEngine } from '../../engine/backend';
import { readDatasetManifest, requirePreprocessed, type LoadedManifest } from '../datasets/manifest-file';
import { cacheUse, datasetAtInputSize, writePreprocessingRecord, type OnDemandPreprocessing } from '../datasets/at-input-size';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { loadRunModel, readRunInfo, type LoadedRunModel, type RunInfo } from '../runs/run-model';
import { resultInputs, writeResultInputs } from '../runs/identity';
import { requireStudyFolder } from '../study-folder/study-service';
import { ImageSource, PrefetchLoader, toBatches, type TrainingItem } from '../training/data';
import {
  bootstrapAuc,
  delongCi,
  referableProbability,
  rocAuc,
  rocCurve,
  sensitivitySpecificityAt,
  thresholdForSensitivity,
  youdenPoint,
} from './metrics';

/** ICDR grades 0–4: the model head every evaluation needs. */
export const EVALUATION_CLASSES = 5;
export { evaluationName, inSplit, defaultSplit, csvField } from './files';
import { evaluationName, inSplit, defaultSplit, csvField } from './files';
import { PREDICTIONS_FILE, PREPROCESSING_FILE, RESULT_FILE, studyLayout } from '../study-folder/layout';
import { writeResultFolder } from '../study-folder/result-folder';
import { checkDomainShift } from './shift';

export interface EvaluateOptions {
  /** Bytes of decoded inputs kept in memory (default 0: each image is decoded once and dropped). */
  imageMemoryBytes?: number;
  /**
   * A dataset preprocessed at another input size than the run's is preprocessed at the run's size (the evaluated split's
   * images, kept in the dataset's cache) instead of refused; `onPreprocessed` hears what that did.
   */
  preprocessOnDemand?: boolean;
  onPreprocessed?: (report: OnDemandPreprocessing) => void;
}

/** What evaluateRun selected from the manifest, before any tensor work. */
interface Plan {
  split: EvaluationSplit;
  referable: number[];
  items: (TrainingItem & { item: DatasetItem })[];
  labels: Uint8Array;
  positives: number;
  skipped: { ungraded: number; uncached: number };
}

export async function evaluateRun(
  requestInput: EvaluateRequestInput | EvaluateRequest,
  studyPath: string,
  ctx: JobContext,
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const started = performance.now();
  const request = parseOrThrow(EvaluateRequest, requestInput, 'evaluation request');
  const study = requireStudyFolder(studyPath);

  // 1. Checks that need no tensors: run, head, dataset, input size, split, classes.
  ctx.progress(0, 1, 'Checking the run and the dataset');
  const info = await readRunInfo(study, request.runId, 'runId');
  await checkHead(info);
  let loaded = await readDatasetManifest(study, request.datasetId, 'datasetId');
  requirePreprocessed(loaded, request.datasetId);
  const runSize = info.spec.inputSize;
  let dataSize = loaded.manifest.settings.inputSize;
  const imported = loaded;
  if (dataSize !== runSize && opts.preprocessOnDemand) {
    // The split's graded images, checked as the plan checks them before anything is rendered.
    const checked = planEvaluation(request, info, loaded);
    const wanted = new Set(checked.items.map((it) => it.index));
    const at = await datasetAtInputSize(loaded, runSize, { select: (_item, index) => wanted.has(index) }, ctx);
    loaded = at.loaded;
    dataSize = loaded.manifest.settings.inputSize;
    if (at.report) opts.onPreprocessed?.(at.report);
    throwIfCancelled(ctx);
  }
  if (dataSize !== runSize) {
    throw new AppError(
      'BAD_REQUEST',
      `Dataset "${request.datasetId}" was preprocessed at ${dataSize} px, but run "${request.runId}" was trained on ${runSize} px inputs; import the dataset again at the run's size (funduslab import … --input-size ${runSize}, under another --id if runs at ${dataSize} px use this one) to evaluate the run on it.`,
      [{ path: 'datasetId', message: `preprocessed at ${dataSize} px, the run needs ${runSize} px` }],
    );
  }
  const plan = planEvaluation(request, info, loaded);
  const overlap = await trainingOverlap(study, info, request.datasetId, loaded, plan);
  const name = evaluationName(request.runId, request.datasetId, plan.split);
  ctx.log(
    `Evaluating run ${request.runId} (${info.spec.strategy}, ${info.spec.arch}, fraction ${info.spec.fraction}, seed ${info.spec.seed}) on dataset ${request.datasetId}, split ${plan.split}: ` +
      `${plan.items.length} graded images, ${plan.positives} referable (grades ${plan.referable.join(', ')})` +
      (plan.skipped.ungraded + plan.skipped.uncached > 0
        ? `; skipped ${plan.skipped.ungraded} ungraded, ${plan.skipped.uncached} without a cached input`
        : ''),
  );
  if (overlap > 0) {
    ctx.log(
      `Warning: ${overlap} of the ${plan.items.length} evaluated images are in the training data of run ${request.runId} (the train split of dataset ${info.spec.datasetId}); the result is marked overlapsTraining and is not an independent test.`,
    );
  }

  // 2. The forward passes (on the dataset content and the run's model recorded in inputs.json).
  const inputs = await resultInputs(study, { datasets: [request.datasetId], runs: [request.runId] });
  if (!engineStatus()) await initEngine({ preference: 'auto' });
  const backend = engineStatus()?.active ?? tf.getBackend();
  throwIfCancelled(ctx);
  const run = await loadRunModel(study, request.runId, 'runId');
  let logits: Float32Array;
  try {
    const fc = run.model.variable('fc.weight').shape;
    if (fc[1] !== EVALUATION_CLASSES) throw headError(request.runId, `the loaded model's fc layer has ${fc[1]} outputs`);
    logits = await forwardAll(run, plan.items, request.batchSize ?? info.spec.batchSize, opts.imageMemoryBytes ?? 0, ctx);
  } finally {
    run.model.dispose();
  }
  throwIfCancelled(ctx);

  // 3. Metrics (plain float64).
  ctx.progress(plan.items.length, plan.items.length, 'Computing AUC, DeLong and bootstrap CIs');
  const scores = referableProbability(logits, plan.referable, { classes: EVALUATION_CLASSES });
  const labels = plan.labels;
  const auc = rocAuc(labels, scores);
  const delong = delongCi(labels, scores, { level: CI_LEVEL });
  const boot = bootstrapAuc(labels, scores, { replicates: request.bootstrap.samples, seed: request.bootstrap.seed, level: CI_LEVEL });
  throwIfCancelled(ctx);
  const roc = rocCurve(labels, scores);
  const target = thresholdForSensitivity(labels, scores, request.operatingPoint.targetSensitivity);
  const fixed = sensitivitySpecificityAt(labels, scores, request.operatingPoint.threshold);
  const youden = youdenPoint(labels, scores);

  // 4. The domain-shift check: the run's training images against the evaluated ones (docs/design.md "Domain shift").
  const domainShift = await checkDomainShift(
    study,
    request.runId,
    loaded,
    plan.items.map((it) => it.item),
    ctx,
  );

  const layout = studyLayout(study).evaluation(name);
  const files = { dir: layout.dir, predictions: layout.predictions, result: layout.result };
  const result = EvaluationResult.parse({
    schemaVersion: EVALUATION_SCHEMA_VERSION,
    name,
    run: {
      runId: info.runId,
      strategy: info.spec.strategy,
      fraction: info.spec.fraction,
      seed: info.spec.seed,
      arch: info.spec.arch,
      inputSize: info.spec.inputSize,
      trainingDatasetId: info.spec.datasetId ?? null,
      bestEpoch: run.best.epoch,
      bestValAuc: run.best.valAuc,
      selection: run.best.selection,
      normalisation: { mean: run.mean, std: run.std, source: run.best.normalisation.source },
    },
    dataset: { datasetId: request.datasetId, type: loaded.manifest.type, inputSize: dataSize, settingsKey: loaded.manifest.settingsKey },
    split: plan.split,
    referable: plan.referable,
    n: plan.items.length,
    positives: plan.positives,
    negatives: plan.items.length - plan.positives,
    skipped: plan.skipped,
    overlapsTraining: overlap > 0,
    trainingOverlap: overlap,
    domainShift,
    auc,
    delong: { lower: delong.lower, upper: delong.upper, level: delong.level, se: delong.se, variance: delong.variance, method: 'normal' },
    bootstrap: {
      lower: boot.lower,
      upper: boot.upper,
      level: boot.level,
      samples: boot.replicates,
      seed: boot.seed,
      mean: boot.mean,
      sd: boot.sd,
    },
    roc: { fpr: Array.from(roc.fpr), tpr: Array.from(roc.tpr), thresholds: Array.from(roc.thresholds) },
    operatingPoint: { targetSensitivity: request.operatingPoint.targetSensitivity, ...target },
    atThreshold: fixed,
    youden,
    files,
    backend,
    seconds: (performance.now() - started) / 1000,
    createdAt: new Date().toISOString(),
  });
  const csv = predictionsCsv(plan, logits, scores);

  // 5. Write (nothing exists under evaluations/<name> until both files are complete).
  throwIfCancelled(ctx);
  await writeResultFolder(layout, async (tmp) => {
    await fsp.writeFile(path.join(tmp, PREDICTIONS_FILE), csv);
    await fsp.writeFile(path.join(tmp, RESULT_FILE), JSON.stringify(result, null, 2) + '\n');
    await writeResultInputs(tmp, inputs);
    await writePreprocessingRecord(path.join(tmp, PREPROCESSING_FILE), [cacheUse(imported, runSize, plan.items.length)]);
  });
  ctx.log(
    `AUC ${auc.toFixed(4)} (DeLong 95% CI ${delong.lower.toFixed(4)}–${delong.upper.toFixed(4)}, bootstrap ${boot.lower.toFixed(4)}–${boot.upper.toFixed(4)}); wrote ${files.predictions}`,
  );
  ctx.progress(plan.items.length, plan.items.length, `AUC ${auc.toFixed(4)}`);
  return result;
}

function headError(runId: string, what: string): AppError {
  return new AppError(
    'BAD_REQUEST',
    `Run "${runId}" cannot be evaluated: ${what}, but P(referable) needs the ${EVALUATION_CLASSES} ICDR grade outputs (grades 0–4).`,
    [{ path: 'runId', message: `head must have ${EVALUATION_CLASSES} classes` }],
  );
}

/** The selected model exists and has a 5-grade head, by best/metrics.json and by the file's fc.weight. */
async function checkHead(info: RunInfo): Promise<void> {
  const weights = info.files.bestModel;
  if (!info.best || !existsSync(weights)) {
    throw new AppError(
      'BAD_REQUEST',
      `Run "${info.runId}" has no selected model yet (${weights} is missing): train it for at least one epoch first.`,
      [{ path: 'runId', message: 'no trained model' }],
    );
  }
  if (info.best.classes !== EVALUATION_CLASSES)
    throw headError(info.runId, `${info.files.bestMetrics} says its head has ${info.best.classes} classes`);
  const shape = await safetensorsShape(weights, 'fc.weight');
  if (shape && shape[0] !== EVALUATION_CLASSES)
    throw headError(info.runId, `fc.weight in ${weights} has shape [${shape.join(', ')}] (${shape[0]} outputs)`);
}

/**
 * Shape of one tensor from a .safetensors header (8-byte little-endian length + JSON); null if absent or unreadable (the import reports
 * it).
 */
export async function safetensorsShape(file: string, name: string): Promise<number[] | null> {
  const handle = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    if ((await handle.read(head, 0, 8, 0)).bytesRead !== 8) return null;
    const length = Number(head.readBigUInt64LE(0));
    if (!(length > 0 && length < 100 * 1024 * 1024)) return null;
    const json = Buffer.alloc(length);
    if ((await handle.read(json, 0, length, 8)).bytesRead !== length) return null;
    const header = JSON.parse(json.toString('utf8')) as Record<string, { shape?: unknown }>;
    const shape = header[name]?.shape;
    return Array.isArray(shape) && shape.every((d) => typeof d === 'number') ? (shape as number[]) : null;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

function planEvaluation(request: EvaluateRequest, info: RunInfo, loaded: LoadedManifest): Plan {
  const { manifest, datasetDir } = loaded;
  const split = request.split ?? defaultSplit(manifest);
  const referable = [...(request.referable ?? info.spec.referable)].sort((a, b) => a - b);
  const refField = request.referable ? 'referable' : 'runId';
  const items: Plan['items'] = [];
  let inSplitCount = 0;
  let ungraded = 0;
  let uncached = 0;
  manifest.items.forEach((item, index) => {
    if (!inSplit(item, split)) return;
    inSplitCount++;
    if (item.grade === null) ungraded++;
    else if (!item.cache) uncached++;
    else items.push({ index, id: item.id, grade: item.grade, file: path.join(datasetDir, item.cache.input), item });
  });
  const where = `split "${split}" of dataset "${request.datasetId}"`;
  if (inSplitCount === 0) {
    const splits = [...new Set(manifest.items.map((it) => it.split ?? 'none'))].join(', ');
    throw new AppError(
      'BAD_REQUEST',
      `The ${where} has no images (its images are in split${splits.includes(',') ? 's' : ''} ${splits || 'none — the dataset is empty'}); choose another split.`,
      [{ path: 'split', message: `no images in split ${split}` }],
    );
  }
  if (items.length === 0) {
    const why =
      ungraded > 0 && uncached === 0 ? `none of them is graded` : `${ungraded} are ungraded and ${uncached} have no preprocessed input`;
    throw new AppError(
      'BAD_REQUEST',
      `The ${where} has ${inSplitCount} image(s) and ${why}; evaluation needs ICDR grades (import the dataset with its grade CSV, or choose another split).`,
      [{ path: 'datasetId', message: `no graded images in split ${split}` }],
    );
  }
  const labels = Uint8Array.from(items, (it) => (referable.includes(it.grade) ? 1 : 0));
  const positives = labels.reduce((a, b) => a + b, 0);
  const negatives = labels.length - positives;
  if (positives < 2 || negatives < 2) {
    const one = positives === 0 || negatives === 0;
    throw new AppError(
      'BAD_REQUEST',
      `The ${where} has ${positives} referable and ${negatives} non-referable graded image(s) (referable = grades ${referable.join(', ')}): ` +
        (one ? 'only one class, so the AUC is undefined' : 'the DeLong CI needs at least 2 of each') +
        '; evaluate on a dataset (or split) with both referable and non-referable images, or change the referable grades.',
      [{ path: one ? 'datasetId' : refField, message: one ? 'one class only: AUC undefined' : 'fewer than 2 images of a class' }],
    );
  }
  return { split, referable, items, labels, positives, skipped: { ungraded, uncached } };
}

/**
 * Evaluated images that are in the run's training pool: the graded, cached train-split images of the
 * dataset it trained on (what planTrainingData draws training and validation from), matched by
 * source content hash, so a copy of the same dataset under another id is caught too.
 */
async function trainingOverlap(study: string, info: RunInfo, datasetId: string, loaded: LoadedManifest, plan: Plan): Promise<number> {
  const trainId = info.spec.datasetId;
  if (!trainId) return 0;
  let manifest: DatasetManifest;
  if (trainId === datasetId) manifest = loaded.manifest;
  else {
    try {
      manifest = (await readDatasetManifest(study, trainId)).manifest;
    } catch {
      return 0; // the training dataset is no longer in the study: nothing to compare with
    }
  }
  const pool = new Set(manifest.items.filter((it) => it.split !== 'test' && it.grade !== null && it.cache).map((it) => it.source.sha256));
  return plan.items.filter((it) => pool.has(it.item.source.sha256)).length;
}

/** Eval-mode logits [n × 5] in plan order, with the run's validation preprocessing. */
async function forwardAll(
  run: LoadedRunModel,
  items: Plan['items'],
  batchSize: number,
  memory: number,
  ctx: JobContext,
): Promise<Float32Array> {
  const S = run.inputSize;
  const source = new ImageSource(S, memory);
  const loader = new PrefetchLoader(source, toBatches(items, batchSize, false));
  const logits = new Float32Array(items.length * EVALUATION_CLASSES);
  let done = 0;
  try {
    for (let b = 0; b < loader.length; b++) {
      throwIfCancelled(ctx);
      const batch = (await loader.next())!;
      const n = batch.items.length;
      const out = tf.tidy(() =>
        run.model.forward(normalize(tf.tensor4d(batch.pixels, [n, S, S, 3]) as Tensor4D, run.mean, run.std), { training: false }),
      );
      try {
        logits.set(await out.data(), done * EVALUATION_CLASSES);
      } finally {
        out.dispose();
      }
      done += n;
      ctx.progress(done, items.length, `batch ${b + 1}/${loader.length} · ${done}/${items.length} images`);
    }
  } finally {
    await loader.drain();
  }
  return logits;
}

/** Softmax of one row of logits in float64 (the stable form, as referableProbability). */
export function softmaxRow(logits: ArrayLike<number>, offset: number, classes: number): number[] {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[offset + k]!);
  const e: number[] = [];
  let total = 0;
  for (let k = 0; k < classes; k++) {
    e.push(Math.exp(logits[offset + k]! - max));
    total += e[k]!;
  }
  return e.map((v) => v / total);
}

/** RFC 4180 field: quoted when it holds a delimiter, quote, line break or edge spaces. */

/** predictions.csv: header + one row per image; numbers in shortest round-trip form (exact float64). */
function predictionsCsv(plan: Plan, logits: Float32Array, scores: Float64Array): string {
  const lines = [PREDICTIONS_COLUMNS.join(',')];
  plan.items.forEach((it, i) => {
    const p = softmaxRow(logits, i * EVALUATION_CLASSES, EVALUATION_CLASSES);
    lines.push(
      [
        csvField(it.id),
        csvField(it.item.patient),
        it.item.eye ?? '',
        String(it.grade),
        String(plan.labels[i]),
        ...p.map(String),
        String(scores[i]),
      ].join(','),
    );
  });
  return lines.join('\n') + '\n';
}
