/**
 * One training run of any strategy: IWNE-CL first runs (or reuses) the MoCo v2 pretraining of
 * pretrain.ts, IFI-FS and IFI-CL start from an imported file, IWNE-FS from random weights; then
 * supervised fine-tuning: docs/design.md "Training", "Jobs" and "The study folder".
 *
 * runs/<run-id>/
 *   spec.json          the parsed spec (defaults filled in), written at the start
 *   normalisation.json mean/std of the inputs and where they came from
 *   log.ndjson         one TrainingEpochLog line per finished (checkpointed) epoch
 *   checkpoint/        the last finished epoch (checkpoint.ts); a restart resumes from it
 *   best/model.safetensors + best/metrics.json   best model by validation AUC (torchvision names)
 *   metrics.json       the TrainingResult, written when the run ends
 *
 * Order within an epoch: train (per batch: augment → normalise → forward in train mode → loss →
 * AdamW step), validate (eval mode, P(referable) → ROC AUC), best model (if improved), checkpoint,
 * log line. The learning rate follows the schedule per epoch (scheduler step t = epoch − 1). A final
 * training batch of a single image is dropped (BatchNorm batch statistics need ≥ 2 images).
 *
 * Randomness: initialisation from spec.seed; subset from (seed); shuffling from (seed, epoch);
 * augmentation from (seed, epoch, dataset index). So a run resumed from the checkpoint of epoch e
 * repeats exactly what the uninterrupted run does from epoch e + 1 on.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { TrainingResult, TrainingSpec, type TrainingEpochLog, type TrainingSpecInput } from '../../../src-shared/training';
import { augmentBatch } from '../../engine/augment/pipeline';
import { normalize } from '../../engine/augment/ops';
import { assertTrainingFitsWasm } from '../../engine/memory-guard';
import { hashSeeds } from '../../random/streams';
import { engineStatus, initEngine } from '../../engine/backend';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { AdamW, excludeOneDimensional, namedGradients } from '../../engine/optim/adamw';
import { learningRateAt } from '../../engine/optim/schedule';
import { exportSafetensors, modelTensors } from '../../engine/weights/export';
import { importWeights } from '../../engine/weights/import';
import { parseWeightBytes, readWeightFile } from '../../engine/weights/read';
import { mulberry32 } from '../../random/prng';
import { shuffle } from '../datasets/splits';
import { referableProbability, rocAuc } from '../evaluation/metrics';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { throwIfCancelled, withHeldProgress, type JobContext } from '../../job-context';
import { requireStudyFolder } from '../study-folder/study-service';
import { CHECKPOINT_FILES, studyLayout } from '../study-folder/layout';
import { fsyncWriter, readCheckpoint, removeStaleTemporaries, writeCheckpoint, type CheckpointState, type FileWriter } from './checkpoint';
import { ImageSource, PrefetchLoader, planTrainingData, resolveNormalisation, toBatches, type Normalisation, type TrainingItem } from './data';
import { defaultRunId, specHash } from './run-id';
import { pretrainSteps, planPretrainingItems, runPretraining, type PretrainOutcome } from './pretrain';
import { GRADES, crossEntropy, crossEntropyRows, inverseFrequencyWeights } from '../../engine/loss';

export { RUN_ID_PATTERN } from '../runs/run-info';
export { defaultRunId, specHash } from './run-id';
import { RUN_ID_PATTERN } from '../runs/run-info';

export interface RunTrainingOptions {
  /** Folder name under runs/; default `defaultRunId(spec)`, so running the same spec again resumes it. */
  runId?: string;
  /** Called after each epoch's checkpoint (tests measure leaks here). */
  onEpoch?: (entry: TrainingEpochLog) => void;
  /** Writes the checkpoint files (a seam for tests that simulate a failing disk). */
  writeFile?: FileWriter;
  /** Bytes of decoded uint8 images kept in memory (default 512 MiB); the rest is decoded per batch. */
  imageMemoryBytes?: number;
}

export async function runTraining(specInput: TrainingSpec | TrainingSpecInput, studyPath: string, jobCtx: JobContext, opts: RunTrainingOptions = {}): Promise<TrainingResult> {
  // One bar for the whole run: sub-steps with their own counts (mean/std of the images) only change the message.
  const ctx = withHeldProgress(jobCtx);
  const spec = parseOrThrow(TrainingSpec, specInput, 'training spec');
  const study = requireStudyFolder(studyPath);
  const runId = opts.runId ?? defaultRunId(spec);
  if (!RUN_ID_PATTERN.test(runId)) throw new AppError('BAD_REQUEST', `Invalid run id "${runId}": use lower-case letters, digits, ".", "_" and "-".`, [{ path: 'runId', message: 'invalid' }]);
  const files = studyLayout(study).run(runId);
  const runDir = files.dir;
  const logPath = files.log;
  const hash = specHash(spec);

  if (!engineStatus()) await initEngine({ preference: 'auto' }).catch(() => null); // keep the backend a worker already chose
  const backend = engineStatus()?.active ?? tf.getBackend();

  // The run folder and its spec: a different spec under the same id is a conflict, never a mix.
  await fsp.mkdir(runDir, { recursive: true });
  const specFile = files.spec;
  if (existsSync(specFile)) {
    const existing = JSON.parse(await fsp.readFile(specFile, 'utf8')) as unknown;
    const parsed = TrainingSpec.safeParse(existing);
    if (!parsed.success || specHash(parsed.data) !== hash) {
      throw new AppError('CONFLICT', `Run "${runId}" already exists with a different spec (${specFile}); choose another run id or delete the run.`, [{ path: 'runId', message: 'exists with another spec' }]);
    }
  } else {
    await writeJsonAtomic(specFile, spec);
  }
  const metricsFile = files.metrics;
  if (existsSync(metricsFile)) {
    const done = TrainingResult.safeParse(JSON.parse(await fsp.readFile(metricsFile, 'utf8')));
    if (done.success) {
      ctx.log(`Run ${runId} already finished (${metricsFile}); nothing to do.`);
      return { ...done.data, epochsRun: 0 };
    }
  }

  ctx.progress(0, 1, 'Preparing the data');
  const data = await planTrainingData(spec, study);
  const source = new ImageSource(spec.inputSize, opts.imageMemoryBytes);
  ctx.log(`${data.train.length} training images (${data.trainPatients} patients, fraction ${spec.fraction}), ${data.validation.length} validation images (${data.validationPatients} patients) from ${data.datasetId}`);

  await removeStaleTemporaries(runDir);
  const checkpoint = await readCheckpoint(runDir);
  if (checkpoint && checkpoint.state.specHash !== hash) throw new AppError('CONFLICT', `The checkpoint in ${runDir} belongs to another spec; delete it to restart.`);

  // IWNE-CL: MoCo v2 pretraining on the study's images first (shared by runs with the same settings).
  let pretraining: PretrainOutcome | null = null;
  let offset = 0; // progress units before the fine-tuning (the pretraining's steps)
  const fineTuneUnits = spec.epochs * (toBatches(data.train, spec.batchSize, true).length + toBatches(data.validation, spec.batchSize, false).length);
  if (spec.strategy === 'IWNE-CL') {
    const images = (await planPretrainingItems(spec, study)).length;
    offset = pretrainSteps(spec, images);
    pretraining = await runPretraining(spec, study, ctx.status, { onProgress: (done, _total, message) => ctx.progress(done, offset + fineTuneUnits, message), writeFile: opts.writeFile, imageMemoryBytes: opts.imageMemoryBytes });
  }

  const model = ResNet.create(parseArch(spec.arch, GRADES), { seed: spec.seed });
  let optimizer: AdamW | null = null;
  let classWeights: Tensor1D | null = null;
  let initialisedFrom: string | null = null;
  try {
    // On wasm, refuse a batch whose step cannot fit in its 4 GB before any epoch runs (an out-of-memory
    // abort there is fatal, and hangs the multi-threaded build).
    const fit = await assertTrainingFitsWasm(model, { inputSize: spec.inputSize, batchSize: spec.batchSize, field: 'batchSize' });
    if (fit) ctx.log(`wasm memory check: ~${Math.round(fit.perImage / 1e6)} MB per image, ${Math.round(fit.estimate(spec.batchSize) / 1e6)} MB at batch ${spec.batchSize}`);
    if (pretraining) {
      initialisedFrom = pretraining.summary.encoderPath;
      if (!checkpoint) {
        const report = importWeights(model, await readWeightFile(initialisedFrom), { seed: spec.seed, reinitialiseHead: true });
        model.reinitialiseHead(spec.seed);
        ctx.log(`Fine-tuning from the MoCo v2 encoder ${initialisedFrom}: ${report.loaded.length} tensors loaded, projection head dropped, new ${GRADES}-grade head`);
      }
    } else if (spec.strategy.startsWith('IFI')) {
      if (!spec.pretrainedWeights) {
        const what = spec.strategy === 'IFI-CL' ? 'a MoCo v2 ImageNet checkpoint (e.g. moco_v2_800ep_pretrain.pth.tar)' : 'ImageNet weights (e.g. torchvision resnet50-0676ba61.pth)';
        throw new AppError('BAD_REQUEST', `${spec.strategy} starts from ${what}: set "pretrainedWeights" to the file (see docs/weights.md).`, [{ path: 'pretrainedWeights', message: `required for ${spec.strategy}` }]);
      }
      const file = path.resolve(study, spec.pretrainedWeights);
      if (!existsSync(file)) throw new AppError('NOT_FOUND', `The pretrained weights file ${file} does not exist.`, [{ path: 'pretrainedWeights', message: 'no such file' }]);
      initialisedFrom = file;
      if (!checkpoint) {
        const report = importWeights(model, await readWeightFile(file), { seed: spec.seed, reinitialiseHead: true });
        model.reinitialiseHead(spec.seed); // IFI: a new 5-grade head, whatever the file brought
        ctx.log(`Initialised from ${file}${report.moco ? ' (MoCo v2 checkpoint: query encoder)' : ''}: ${report.loaded.length} tensors loaded, head re-initialised for ${GRADES} grades`);
        if (spec.strategy === 'IFI-CL' && !report.moco) ctx.log(`Note: ${file} is not a MoCo checkpoint (no encoder_q prefix); IFI-CL expects contrastively pretrained weights — make sure this file holds them.`);
        if (spec.strategy === 'IFI-FS' && report.moco) ctx.log(`Note: ${file} is a MoCo (contrastive) checkpoint; that is the IFI-CL strategy, not IFI-FS.`);
      }
    }
    if (checkpoint) {
      importWeights(model, parseWeightBytes(checkpoint.modelBytes, path.join(files.checkpoint.dir, CHECKPOINT_FILES.model)), { reinitialiseHead: false });
      ctx.log(`Resuming run ${runId} after epoch ${checkpoint.state.epoch}`);
    }

    const norm: Normalisation =
      checkpoint?.state.normalisation ??
      (pretraining && spec.normalisation.kind === 'dataset'
        ? pretraining.normalisation
        : await resolveNormalisation(spec, source, data.train, ctx.status, `training subset (${data.train.length} images at ${spec.inputSize} px)`));
    if (!checkpoint) await writeJsonAtomic(files.normalisation, norm);

    const o = spec.optimizer;
    optimizer = new AdamW(model.trainableVariables(), {
      lr: spec.lr,
      betas: o.betas,
      eps: o.eps,
      weightDecay: o.weightDecay,
      ...(o.noDecayForNormAndBias ? { noDecay: excludeOneDimensional } : {}),
    });
    if (checkpoint) optimizer.loadState(checkpoint.adamw);
    if (spec.classWeights) classWeights = tf.tensor1d(inverseFrequencyWeights(data.train.map((t) => t.grade)));

    let state: CheckpointState = checkpoint?.state ?? {
      format: 'funduslab.checkpoint/1',
      epoch: 0,
      step: 0,
      specHash: hash,
      normalisation: norm,
      best: null,
      epochsWithoutImprovement: 0,
      stoppedEarly: false,
      totals: { seconds: 0, trainSeconds: 0, trainImages: 0, stallMs: 0 },
      adamw: { lr: spec.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay, steps: {} },
      log: [],
    };
    // The log holds exactly the checkpointed epochs (lines of an epoch that crashed are dropped).
    await writeFileAtomic(logPath, state.log.map((l) => JSON.stringify(l) + '\n').join(''));
    const resumedFrom = state.epoch;

    const trainBatches = toBatches(data.train, spec.batchSize, true).length;
    const valBatches = toBatches(data.validation, spec.batchSize, false).length;
    const perEpoch = trainBatches + valBatches;
    const total = spec.epochs * perEpoch;
    const bestDir = files.bestDir;
    const vars = model.trainableVariables();
    const S = spec.inputSize;

    for (let epoch = state.epoch + 1; epoch <= spec.epochs && !state.stoppedEarly; epoch++) {
      throwIfCancelled(ctx);
      const started = performance.now();
      const lr = learningRateAt(spec.lr, spec.schedule, epoch - 1, { warmup: spec.warmup, totalSteps: spec.epochs });
      optimizer.setLearningRate(lr);
      const order = shuffle(data.train, mulberry32(hashSeeds(spec.seed, epoch, 0x73687566)));
      const loader = new PrefetchLoader(source, toBatches(order, spec.batchSize, true));
      let lossSum = 0;
      let seen = 0;
      let step = state.step;
      const base = (epoch - 1) * perEpoch;
      try {
        for (let b = 0; b < loader.length; b++) {
          throwIfCancelled(ctx);
          const batch = (await loader.next())!;
          const n = batch.items.length;
          const value = tf.tidy(() => {
            const x = tf.tensor4d(batch.pixels, [n, S, S, 3]);
            const augmented = augmentBatch(x, spec.augmentation, { seed: spec.seed, epoch, indices: batch.items.map((i) => i.index), outSize: S });
            const input = normalize(augmented, norm.mean, norm.std);
            const targets = tf.tensor1d(batch.items.map((i) => i.grade), 'int32');
            const { value, grads } = namedGradients(vars, () => crossEntropy(model.forward(input, { training: true }), targets, classWeights));
            optimizer!.step(grads);
            return value;
          });
          const loss = (await value.data())[0]!;
          value.dispose();
          if (!Number.isFinite(loss)) throw new AppError('INTERNAL', `The training loss became ${loss} in epoch ${epoch} (batch ${b + 1}); lower the learning rate.`);
          lossSum += loss * n;
          seen += n;
          step++;
          ctx.progress(offset + base + b + 1, offset + total, `epoch ${epoch}/${spec.epochs} · batch ${b + 1}/${loader.length} · loss ${loss.toFixed(3)}`);
        }
      } finally {
        await loader.drain();
      }
      const trainSeconds = (performance.now() - started) / 1000;

      const val = await validate(model, source, data.validation, spec, norm, (b, nb) => ctx.progress(offset + base + trainBatches + b, offset + total, `epoch ${epoch}/${spec.epochs} · validation ${b}/${nb}`), ctx);
      const improved = val.auc !== null && (state.best === null || val.auc > state.best.valAuc);
      if (improved) {
        await fsp.mkdir(bestDir, { recursive: true });
        await exportSafetensors(model, files.bestModel);
        await writeJsonAtomic(files.bestMetrics, { epoch, valAuc: val.auc, valLoss: val.loss, referable: spec.referable, selection: 'val-auc', runId, arch: spec.arch, classes: GRADES, normalisation: norm });
      }
      const seconds = (performance.now() - started) / 1000;
      const entry: TrainingEpochLog = {
        epoch,
        trainLoss: lossSum / seen,
        valLoss: val.loss,
        valAuc: val.auc,
        ...(val.note ? { valAucNote: val.note } : {}),
        lr,
        seconds,
        imagesPerSecond: seen / trainSeconds,
        stallMs: loader.stallMs,
        best: improved,
        at: new Date().toISOString(),
      };
      const withoutImprovement = improved ? 0 : state.epochsWithoutImprovement + 1;
      state = {
        ...state,
        epoch,
        step,
        best: improved ? { epoch, valAuc: val.auc!, valLoss: val.loss } : state.best,
        epochsWithoutImprovement: withoutImprovement,
        stoppedEarly: spec.earlyStoppingPatience !== null && withoutImprovement >= spec.earlyStoppingPatience && epoch < spec.epochs,
        totals: {
          seconds: state.totals.seconds + seconds,
          trainSeconds: state.totals.trainSeconds + trainSeconds,
          trainImages: state.totals.trainImages + seen,
          stallMs: state.totals.stallMs + loader.stallMs,
        },
        log: [...state.log, entry],
      };
      const adamw = optimizer.exportState();
      state.adamw = { lr, betas: adamw.betas, eps: adamw.eps, weightDecay: adamw.weightDecay, steps: Object.fromEntries(Object.entries(adamw.params).map(([k, p]) => [k, p.step])) };
      await writeCheckpoint(runDir, { state, model: modelTensors(model, 'torch'), adamw }, opts.writeFile ?? fsyncWriter);
      await fsp.appendFile(logPath, JSON.stringify(entry) + '\n');
      ctx.log(
        `epoch ${epoch}/${spec.epochs}: train loss ${entry.trainLoss.toFixed(4)}, val loss ${entry.valLoss.toFixed(4)}, val AUC ${entry.valAuc === null ? 'n/a' : entry.valAuc.toFixed(4)}${improved ? ' (best)' : ''}, ${entry.imagesPerSecond.toFixed(1)} img/s, stall ${entry.stallMs.toFixed(0)} ms`,
      );
      if (state.stoppedEarly) ctx.log(`Early stopping: no better validation AUC for ${withoutImprovement} epochs`);
      opts.onEpoch?.(entry);
    }

    // No epoch had a validation AUC (one class only): keep the last model, and say so.
    let selection: TrainingResult['selection'] = 'val-auc';
    if (state.best === null && state.epoch > 0) {
      selection = 'last-epoch';
      await fsp.mkdir(bestDir, { recursive: true });
      await exportSafetensors(model, files.bestModel);
      const last = state.log[state.log.length - 1]!;
      await writeJsonAtomic(files.bestMetrics, { epoch: last.epoch, valAuc: null, valLoss: last.valLoss, referable: spec.referable, selection, note: last.valAucNote ?? 'no validation AUC', runId, arch: spec.arch, classes: GRADES, normalisation: norm });
    }
    const t = state.totals;
    const hasBest = existsSync(files.bestModel);
    const result = TrainingResult.parse({
      runId,
      runDir,
      bestEpoch: state.best?.epoch ?? (selection === 'last-epoch' ? state.epoch : null),
      bestValAuc: state.best?.valAuc ?? null,
      selection,
      finalEpoch: state.epoch,
      epochsRun: state.epoch - resumedFrom,
      resumedFromEpoch: resumedFrom,
      stoppedEarly: state.stoppedEarly,
      seconds: t.seconds,
      imagesPerSecond: t.trainSeconds > 0 ? t.trainImages / t.trainSeconds : 0,
      stallFraction: t.trainSeconds > 0 ? Math.min(1, t.stallMs / 1000 / t.trainSeconds) : 0,
      trainImages: data.train.length,
      validationImages: data.validation.length,
      normalisation: norm,
      bestModelPath: hasBest ? files.bestModel : null,
      bestMetricsPath: hasBest ? files.bestMetrics : null,
      logPath,
      backend,
      pretraining: pretraining?.summary ?? null,
      initialisedFrom,
    });
    await writeJsonAtomic(metricsFile, result);
    ctx.progress(offset + total, offset + total, `finished: best val AUC ${result.bestValAuc === null ? 'n/a' : result.bestValAuc.toFixed(4)} at epoch ${result.bestEpoch ?? '-'}`);
    return result;
  } finally {
    classWeights?.dispose();
    optimizer?.dispose();
    model.dispose();
  }
}

/** Eval-mode forward over the validation split: mean cross-entropy and AUC of P(referable). */
async function validate(
  model: ResNet,
  source: ImageSource,
  items: TrainingItem[],
  spec: TrainingSpec,
  norm: Normalisation,
  progress: (done: number, total: number) => void,
  ctx: JobContext,
): Promise<{ loss: number; auc: number | null; note?: string }> {
  const S = spec.inputSize;
  const loader = new PrefetchLoader(source, toBatches(items, spec.batchSize, false));
  const logits = new Float32Array(items.length * GRADES);
  const grades: number[] = [];
  try {
    for (let b = 0; b < loader.length; b++) {
      throwIfCancelled(ctx);
      const batch = (await loader.next())!;
      const out = tf.tidy(() => model.forward(normalize(tf.tensor4d(batch.pixels, [batch.items.length, S, S, 3]) as Tensor4D, norm.mean, norm.std), { training: false }));
      logits.set(await out.data(), grades.length * GRADES);
      out.dispose();
      for (const it of batch.items) grades.push(it.grade);
      progress(b + 1, loader.length);
    }
  } finally {
    await loader.drain();
    model.clearFoldCache();
  }
  const loss = crossEntropyRows(logits, grades);
  const labels = Uint8Array.from(grades, (g) => (spec.referable.includes(g) ? 1 : 0));
  const positives = labels.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === labels.length) {
    return { loss, auc: null, note: `the validation split holds only ${positives === 0 ? 'non-referable' : 'referable'} images (referable = grades ${spec.referable.join(', ')}), so its AUC is undefined` };
  }
  return { loss, auc: rocAuc(labels, referableProbability(logits, spec.referable)) };
}
