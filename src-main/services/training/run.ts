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
 *
 * runTraining drives the phases: the setup before the first epoch (run-setup.ts), the epochs
 * (runEpoch: trainEpoch, validate, best model, checkpoint) and the result (finishRun). A run with
 * work left is trained holding the run folder's work lock (study-folder/lock.ts withWorkLock): a
 * second process that tries to train the same run, here or on another host of a shared file system,
 * is refused with RunBusyError before it writes anything.
 *
 * Steering (runs/steer.ts): after each finished epoch the loop reads runs/<id>/stop-request.json; a
 * request ends the run there like its last epoch would (result with `stoppedByRequest`). A request
 * left in the folder when training starts is from an earlier trainer and is dropped; one still there
 * when the run ends is removed. The learning rate of epoch e is the schedule evaluated for the run
 * length scheduleTotalAt(spec, e): spec.epochs, or the segment's total after an extension.
 */
import { existsSync, promises as fsp } from 'node:fs';
import tf from '@tensorflow/tfjs';
import type { Tensor1D, Tensor4D, Variable } from '@tensorflow/tfjs';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { scheduleTotalAt, TrainingResult, TrainingSpec, type TrainingEpochLog, type TrainingSpecInput } from '../../../src-shared/training';
import { AugmentPool } from '../../engine/augment/augment-pool';
import { normalize } from '../../engine/augment/ops';
import { hashSeeds } from '../../random/streams';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { namedGradients, type AdamW } from '../../engine/optim/adamw';
import { learningRateAt } from '../../engine/optim/schedule';
import { exportSafetensors, modelTensors } from '../../engine/weights/export';
import { mulberry32 } from '../../random/prng';
import { shuffle } from '../datasets/splits';
import { referableProbability, rocAuc } from '../evaluation/metrics';
import { writeJsonAtomic } from '../../fs/atomic';
import { throwIfCancelled, withHeldProgress, type JobContext } from '../../job-context';
import { fsyncWriter, writeCheckpoint, type CheckpointState, type FileWriter } from './checkpoint';
import {
  AUGMENT_AHEAD,
  augmentInPool,
  PrefetchLoader,
  toBatches,
  type ImageSource,
  type Normalisation,
  type TrainingData,
  type TrainingItem,
} from './data';
import type { PretrainOutcome } from './pretrain';
import {
  checkWasmFit,
  createOptimizer,
  epochBatches,
  finishedResult,
  releaseRefusedClaim,
  initialiseWeights,
  openRunFolder,
  prepareInputs,
  runNormalisation,
  startState,
  type RunContext,
  type RunFolder,
} from './run-setup';
import { heldLockWhat, withWorkLock } from '../study-folder/lock';
import { clearStopRequest, readStopRequest, type StopRequest } from '../runs/steer';
import { GRADES, crossEntropy, crossEntropyRows, inverseFrequencyWeights } from '../../engine/loss';

export { RUN_ID_PATTERN } from '../runs/run-info';
export { defaultRunId, specHash } from './run-id';

export interface RunTrainingOptions {
  /** Folder name under runs/; default `defaultRunId(spec)`, so running the same spec again resumes it. */
  runId?: string;
  /** Called (and awaited) after each epoch's checkpoint and log line (tests measure leaks here, or steer the run). */
  onEpoch?: (entry: TrainingEpochLog) => unknown;
  /** Writes the checkpoint files (a seam for tests that simulate a failing disk). */
  writeFile?: FileWriter;
  /** Bytes of decoded uint8 images kept in memory (default 512 MiB); the rest is decoded per batch. */
  imageMemoryBytes?: number;
  /**
   * What trains the run, as a second trainer's RunBusyError names it (default: what holds the
   * enclosing study lock, e.g. "funduslab grid", else "FundusLab").
   */
  lockedBy?: string;
}

/** Trains (or resumes, or returns the finished result of) the run of a spec in a study; see the module comment. */
export async function runTraining(
  specInput: TrainingSpec | TrainingSpecInput,
  studyPath: string,
  jobCtx: JobContext,
  opts: RunTrainingOptions = {},
): Promise<TrainingResult> {
  // One bar for the whole run: sub-steps with their own counts (mean/std of the images) only change the message.
  const ctx = withHeldProgress(jobCtx);
  const asked = parseOrThrow(TrainingSpec, specInput, 'training spec');
  const run = await openRunFolder(asked, studyPath, opts.runId);
  const spec = run.spec;
  const finished = await finishedResult(spec, run, ctx);
  if (finished) return finished;
  // One process trains a run folder at a time (this one, another app, a cluster task): a second is refused with RunBusyError.
  try {
    return await withWorkLock(run.files.dir, opts.lockedBy ?? heldLockWhat() ?? DEFAULT_TRAINER, async () => {
      // Another process may have finished the run between the check above and taking the lock.
      const finishedMeanwhile = await finishedResult(spec, run, ctx);
      return finishedMeanwhile ?? (await trainRun(spec, run, ctx, opts));
    });
  } catch (error) {
    // Outside the work lock, whose file is inside the run folder.
    await releaseRefusedClaim(run, error, ctx);
    throw error;
  }
}

/** What a run's work lock names as its holder when the caller names none and holds no other lock. */
const DEFAULT_TRAINER = 'FundusLab';

/** The run's setup, epochs and result, holding the run folder's work lock. */
async function trainRun(spec: TrainingSpec, run: RunFolder, ctx: RunContext, opts: RunTrainingOptions): Promise<TrainingResult> {
  // Made for an earlier trainer of the folder (it ended before reading it): not for this one. One made from now on (also during an
  // IWNE-CL run's MoCo pretraining) is honoured after the first fine-tuning epoch that ends after it.
  if (existsSync(run.files.stopRequest)) {
    ctx.log(`Dropped a stop request made before this training started (${run.files.stopRequest}).`);
    await clearStopRequest(run.files);
  }
  const inputs = await prepareInputs(spec, run, ctx, opts);

  const model = ResNet.create(parseArch(spec.arch, GRADES), { seed: spec.seed });
  let optimizer: AdamW | null = null;
  let classWeights: Tensor1D | null = null;
  let augment: AugmentPool | null = null;
  let fineTuning: FineTuning | null = null;
  try {
    await checkWasmFit(model, spec, ctx);
    const initialisedFrom = await initialiseWeights(model, spec, run, inputs, ctx);
    const norm = await runNormalisation(spec, run, inputs, ctx);
    optimizer = createOptimizer(model, spec);
    if (inputs.checkpoint) optimizer.loadState(inputs.checkpoint.adamw);
    if (spec.classWeights) classWeights = tf.tensor1d(inverseFrequencyWeights(inputs.data.train.map((t) => t.grade)));

    let state = await startState(spec, run, inputs.checkpoint, norm);
    const resumedFrom = state.epoch;
    const batches = epochBatches(spec, inputs.data);
    const perEpoch = batches.train + batches.validation;
    augment = await AugmentPool.create();
    fineTuning = {
      spec,
      run,
      ctx,
      opts,
      data: inputs.data,
      source: inputs.source,
      model,
      vars: model.trainableVariables(),
      optimizer,
      classWeights,
      norm,
      augment,
      ahead: null,
      units: { offset: inputs.offset, trainBatches: batches.train, perEpoch, total: spec.epochs * perEpoch },
    };
    let stop: StopRequest | null = null;
    for (let epoch = state.epoch + 1; epoch <= spec.epochs && !state.stoppedEarly && !stop; epoch++) {
      state = await runEpoch(fineTuning, state, epoch);
      if (epoch < spec.epochs && !state.stoppedEarly) stop = await readStopRequest(run.files);
    }
    if (stop)
      ctx.log(
        `Finishing after epoch ${state.epoch} of ${spec.epochs} at the request of ${stop.requestedBy} (${stop.requestedAt}); the run can be continued with funduslab runs extend.`,
      );
    const result = await finishRun(fineTuning, state, { resumedFrom, initialisedFrom, pretraining: inputs.pretraining, stop });
    if (!stop && existsSync(run.files.stopRequest))
      ctx.log(`A stop request arrived during the last epoch; the run finished anyway, request removed.`);
    await clearStopRequest(run.files);
    return result;
  } finally {
    await fineTuning?.ahead?.loader.drain();
    await augment?.terminate();
    classWeights?.dispose();
    optimizer?.dispose();
    model.dispose();
  }
}

/** What every epoch of a run's fine-tuning reads. */
interface FineTuning {
  spec: TrainingSpec;
  run: RunFolder;
  ctx: JobContext;
  opts: RunTrainingOptions;
  data: TrainingData;
  source: ImageSource;
  model: ResNet;
  /** The model's trainable variables, by torchvision name. */
  vars: Map<string, Variable>;
  optimizer: AdamW;
  classWeights: Tensor1D | null;
  norm: Normalisation;
  /** The worker threads that augment the next training batch while the model trains on this one. */
  augment: AugmentPool;
  /** The next epoch's loader, started during this epoch's last batch (its first batch is then ready when the epoch starts). */
  ahead: { epoch: number; loader: PrefetchLoader } | null;
  /**
   * Progress units: those before the fine-tuning (the pretraining's), the training batches of an epoch, all batches of an epoch, and the
   * whole run's.
   */
  units: { offset: number; trainBatches: number; perEpoch: number; total: number };
  /** The log has said why the validation AUC is undefined (said once, then referred to). */
  saidWhyNoAuc?: boolean;
}

/** One epoch: train, validate, keep the model if its validation AUC is the best, checkpoint, log. Returns the checkpointed state. */
async function runEpoch(t: FineTuning, state: CheckpointState, epoch: number): Promise<CheckpointState> {
  const { spec, ctx, units } = t;
  throwIfCancelled(ctx);
  const started = performance.now();
  const lr = learningRateAt(spec.lr, spec.schedule, epoch - 1, { warmup: spec.warmup, totalSteps: scheduleTotalAt(spec, epoch) });
  t.optimizer.setLearningRate(lr);
  const resume = state.partial?.epoch === epoch ? state.partial : undefined;
  const train = await trainEpoch(t, epoch, state.step, resume);
  const trainSeconds = (performance.now() - started) / 1000 + (resume?.trainSeconds ?? 0);
  // Stopped within the epoch: the model, the optimizer and the sums so far become the checkpoint, then the cancellation goes on.
  const checkpointWithin = async (batches: number, where: string) => {
    const partial = { epoch, batches, lossSum: train.lossSum, seen: train.seen, stallMs: train.stallMs, trainSeconds };
    await writeEpochCheckpoint(t, { ...state, step: train.step, partial }, lr);
    ctx.log(`Stopped ${where} of epoch ${epoch}: checkpoint written, the run resumes from there.`);
  };
  if (train.stoppedAt !== null) {
    await checkpointWithin(train.stoppedAt, `after training batch ${train.stoppedAt}`);
    throwIfCancelled(ctx);
  }

  const base = (epoch - 1) * units.perEpoch;
  let val: Awaited<ReturnType<typeof validate>>;
  try {
    val = await validate(
      t.model,
      t.source,
      t.data.validation,
      spec,
      t.norm,
      (b, nb) =>
        ctx.progress(
          units.offset + base + units.trainBatches + b,
          units.offset + units.total,
          `epoch ${epoch}/${spec.epochs} · validation ${b}/${nb}`,
        ),
      ctx,
    );
  } catch (err) {
    // Cancelled in the validation: the epoch's training is kept, the resumed run validates it.
    if ((err as { code?: string }).code === 'CANCELLED') await checkpointWithin(units.trainBatches, 'in the validation');
    throw err;
  }
  const improved = val.auc !== null && (state.best === null || val.auc > state.best.valAuc);
  if (improved) await saveBestModel(t, { epoch, valAuc: val.auc, valLoss: val.loss, selection: 'val-auc' });
  const seconds = (performance.now() - started) / 1000 + (resume?.trainSeconds ?? 0);
  const entry: TrainingEpochLog = {
    epoch,
    trainLoss: train.lossSum / train.seen,
    valLoss: val.loss,
    valAuc: val.auc,
    ...(val.note ? { valAucNote: val.note } : {}),
    lr,
    seconds,
    imagesPerSecond: train.seen / trainSeconds,
    stallMs: train.stallMs,
    best: improved,
    at: new Date().toISOString(),
  };
  const withoutImprovement = improved ? 0 : state.epochsWithoutImprovement + 1;
  const { partial: _done, ...before } = state;
  const next: CheckpointState = {
    ...before,
    epoch,
    step: train.step,
    best: improved ? { epoch, valAuc: val.auc!, valLoss: val.loss } : state.best,
    epochsWithoutImprovement: withoutImprovement,
    stoppedEarly: spec.earlyStoppingPatience !== null && withoutImprovement >= spec.earlyStoppingPatience && epoch < spec.epochs,
    totals: {
      seconds: state.totals.seconds + seconds,
      trainSeconds: state.totals.trainSeconds + trainSeconds,
      trainImages: state.totals.trainImages + train.seen,
      stallMs: state.totals.stallMs + train.stallMs,
    },
    log: [...state.log, entry],
  };
  const checkpointed = await writeEpochCheckpoint(t, next, lr);
  await fsp.appendFile(t.run.files.log, JSON.stringify(entry) + '\n');
  // Why the AUC is n/a is said once (the first such epoch of this process); later epochs refer to it.
  const why = entry.valAuc === null ? (t.saidWhyNoAuc ? ' (see above)' : ` (${entry.valAucNote ?? 'undefined'})`) : '';
  if (entry.valAuc === null) t.saidWhyNoAuc = true;
  ctx.log(
    `epoch ${epoch}/${spec.epochs}: train loss ${entry.trainLoss.toFixed(4)}, val loss ${entry.valLoss.toFixed(4)}, val AUC ${entry.valAuc === null ? 'n/a' + why : entry.valAuc.toFixed(4)}${improved ? ' (best)' : ''}, ${entry.imagesPerSecond.toFixed(1)} img/s, stall ${entry.stallMs.toFixed(0)} ms`,
  );
  if (checkpointed.stoppedEarly) ctx.log(`Early stopping: no better validation AUC for ${withoutImprovement} epochs`);
  await t.opts.onEpoch?.(entry);
  return checkpointed;
}

/**
 * The training half of an epoch: per batch of the epoch's shuffled order, augment → normalise →
 * forward in train mode → loss → AdamW step. Returns the summed loss, the images seen, the step
 * count after the epoch and the time spent waiting for images. `resume` (a checkpoint taken within
 * this epoch) skips the batches it did and continues its sums. Cancelled between two batches after at
 * least one, it returns early with `stoppedAt` (the training batches done in the epoch) for a checkpoint.
 */
async function trainEpoch(
  t: FineTuning,
  epoch: number,
  firstStep: number,
  resume?: NonNullable<CheckpointState['partial']>,
): Promise<{ lossSum: number; seen: number; step: number; stallMs: number; stoppedAt: number | null }> {
  const { spec, ctx, model, optimizer, norm, classWeights, vars, units } = t;
  const S = spec.inputSize;
  const skip = resume?.batches ?? 0;
  const batches = epochTrainBatches(t, epoch);
  const ahead = t.ahead?.epoch === epoch && skip === 0 ? t.ahead.loader : null;
  if (t.ahead && !ahead) await t.ahead.loader.drain();
  t.ahead = null;
  const loader = ahead ?? trainLoader(t, epoch, skip);
  let lossSum = resume?.lossSum ?? 0;
  let seen = resume?.seen ?? 0;
  let step = firstStep;
  const base = (epoch - 1) * units.perEpoch;
  try {
    for (let b = skip; b < batches.length; b++) {
      if (ctx.signal.aborted && b > skip) return { lossSum, seen, step, stallMs: (resume?.stallMs ?? 0) + loader.stallMs, stoppedAt: b };
      throwIfCancelled(ctx);
      const batch = (await loader.next())!;
      // The last batch: the next epoch's first batch is decoded and augmented while it trains and validation runs.
      if (b === batches.length - 1 && epoch < spec.epochs) {
        t.ahead = { epoch: epoch + 1, loader: trainLoader(t, epoch + 1, 0) };
        t.ahead.loader.prime();
      }
      const n = batch.items.length;
      const value = tf.tidy(() => {
        // Augmented in a worker thread while the previous batch trained (augmentInPool).
        const input = normalize(tf.tensor4d(batch.views![0]!, [n, S, S, 3]), norm.mean, norm.std);
        const targets = tf.tensor1d(
          batch.items.map((i) => i.grade),
          'int32',
        );
        const { value, grads } = namedGradients(vars, () => crossEntropy(model.forward(input, { training: true }), targets, classWeights));
        optimizer.step(grads);
        return value;
      });
      const loss = (await value.data())[0]!;
      value.dispose();
      if (!Number.isFinite(loss))
        throw new AppError('INTERNAL', `The training loss became ${loss} in epoch ${epoch} (batch ${b + 1}); lower the learning rate.`);
      lossSum += loss * n;
      seen += n;
      step++;
      ctx.progress(
        units.offset + base + b + 1,
        units.offset + units.total,
        `epoch ${epoch}/${spec.epochs} · batch ${b + 1}/${batches.length} · loss ${loss.toFixed(3)}`,
      );
    }
  } finally {
    await loader.drain();
  }
  return { lossSum, seen, step, stallMs: (resume?.stallMs ?? 0) + loader.stallMs, stoppedAt: null };
}

/** The training batches of an epoch: its shuffled order (seeded by the run's seed and the epoch) in batches. */
function epochTrainBatches(t: FineTuning, epoch: number): TrainingItem[][] {
  const order = shuffle(t.data.train, mulberry32(hashSeeds(t.spec.seed, epoch, 0x73687566)));
  return toBatches(order, t.spec.batchSize, true);
}

/** The loader of an epoch's training batches from batch `skip` on, augmenting them in the worker pool. */
function trainLoader(t: FineTuning, epoch: number, skip: number): PrefetchLoader {
  const { spec } = t;
  return new PrefetchLoader(
    t.source,
    epochTrainBatches(t, epoch).slice(skip),
    AUGMENT_AHEAD,
    augmentInPool(t.augment, {
      settings: spec.augmentation,
      seed: spec.seed,
      epoch,
      size: spec.inputSize,
      views: [0],
      label: (position) => `epoch ${epoch}, batch ${skip + position + 1}`,
    }),
  );
}

/** Writes the model as best/model.safetensors and its metrics (the epoch it comes from, how it was selected). */
async function saveBestModel(
  t: FineTuning,
  best: { epoch: number; valAuc: number | null; valLoss: number; selection: TrainingResult['selection']; note?: string },
): Promise<void> {
  const { spec, run } = t;
  await fsp.mkdir(run.files.bestDir, { recursive: true });
  await exportSafetensors(t.model, run.files.bestModel);
  const { epoch, valAuc, valLoss, selection, note } = best;
  await writeJsonAtomic(run.files.bestMetrics, {
    epoch,
    valAuc,
    valLoss,
    referable: spec.referable,
    selection,
    ...(note !== undefined ? { note } : {}),
    runId: run.runId,
    arch: spec.arch,
    classes: GRADES,
    normalisation: t.norm,
  });
}

/** Completes the epoch's state with the optimizer's, and commits it with the model as the run's checkpoint. */
async function writeEpochCheckpoint(t: FineTuning, state: CheckpointState, lr: number): Promise<CheckpointState> {
  const adamw = await t.optimizer.exportState();
  const checkpointed: CheckpointState = {
    ...state,
    adamw: {
      lr,
      betas: adamw.betas,
      eps: adamw.eps,
      weightDecay: adamw.weightDecay,
      steps: Object.fromEntries(Object.entries(adamw.params).map(([k, p]) => [k, p.step])),
    },
  };
  await writeCheckpoint(
    t.run.files.dir,
    { state: checkpointed, model: await modelTensors(t.model, 'torch'), adamw },
    t.opts.writeFile ?? fsyncWriter,
  );
  return checkpointed;
}

/** Ends the run: keeps the last model if no epoch had a validation AUC, writes metrics.json (the TrainingResult). */
async function finishRun(
  t: FineTuning,
  state: CheckpointState,
  from: { resumedFrom: number; initialisedFrom: string | null; pretraining: PretrainOutcome | null; stop: StopRequest | null },
): Promise<TrainingResult> {
  const { run, units } = t;
  const files = run.files;
  // No epoch had a validation AUC (one class only): keep the last model, and say so.
  let selection: TrainingResult['selection'] = 'val-auc';
  if (state.best === null && state.epoch > 0) {
    selection = 'last-epoch';
    const last = state.log[state.log.length - 1]!;
    await saveBestModel(t, {
      epoch: last.epoch,
      valAuc: null,
      valLoss: last.valLoss,
      selection,
      note: last.valAucNote ?? 'no validation AUC',
    });
  }
  const totals = state.totals;
  const hasBest = existsSync(files.bestModel);
  const result = TrainingResult.parse({
    runId: run.runId,
    runDir: files.dir,
    bestEpoch: state.best?.epoch ?? (selection === 'last-epoch' ? state.epoch : null),
    bestValAuc: state.best?.valAuc ?? null,
    selection,
    finalEpoch: state.epoch,
    epochsRun: state.epoch - from.resumedFrom,
    resumedFromEpoch: from.resumedFrom,
    stoppedEarly: state.stoppedEarly,
    stoppedByRequest: from.stop
      ? { afterEpoch: state.epoch, of: t.spec.epochs, requestedAt: from.stop.requestedAt, requestedBy: from.stop.requestedBy }
      : null,
    seconds: totals.seconds,
    imagesPerSecond: totals.trainSeconds > 0 ? totals.trainImages / totals.trainSeconds : 0,
    stallFraction: totals.trainSeconds > 0 ? Math.min(1, totals.stallMs / 1000 / totals.trainSeconds) : 0,
    trainImages: t.data.train.length,
    validationImages: t.data.validation.length,
    normalisation: t.norm,
    bestModelPath: hasBest ? files.bestModel : null,
    bestMetricsPath: hasBest ? files.bestMetrics : null,
    logPath: files.log,
    backend: run.backend,
    pretraining: from.pretraining?.summary ?? null,
    initialisedFrom: from.initialisedFrom,
  });
  await writeJsonAtomic(files.metrics, result);
  const end = units.offset + units.total;
  t.ctx.progress(
    end,
    end,
    `${from.stop ? `stopped after epoch ${state.epoch} of ${t.spec.epochs} at the user's request` : 'finished'}: best val AUC ${result.bestValAuc === null ? 'n/a' : result.bestValAuc.toFixed(4)} at epoch ${result.bestEpoch ?? '-'}`,
  );
  return result;
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
      const out = tf.tidy(() =>
        model.forward(normalize(tf.tensor4d(batch.pixels, [batch.items.length, S, S, 3]) as Tensor4D, norm.mean, norm.std), {
          training: false,
        }),
      );
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
    return {
      loss,
      auc: null,
      note: `the validation split holds only ${positives === 0 ? 'non-referable' : 'referable'} images (referable = grades ${spec.referable.join(', ')}), so its AUC is undefined`,
    };
  }
  return { loss, auc: rocAuc(labels, referableProbability(logits, spec.referable)) };
}
