/**
 * The phases of a training run before its first epoch (run.ts drives them in this order): claim the
 * run folder for the spec, plan the data and find the checkpoint, run the MoCo v2 pretraining of
 * IWNE-CL, load the starting weights into the model, resolve the normalisation, build the optimizer
 * and the state the epoch loop continues from.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { TrainingResult, TrainingSpec } from '../../../src-shared/training';
import { assertTrainingFits } from '../../engine/memory-guard';
import { engineStatus, initEngine } from '../../engine/backend';
import type { ResNet } from '../../engine/models/resnet';
import { AdamW, excludeOneDimensional } from '../../engine/optim/adamw';
import { importWeights } from '../../engine/weights/import';
import { parseWeightBytes, readWeightFile } from '../../engine/weights/read';
import { GRADES } from '../../engine/loss';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import type { JobContext } from '../../job-context';
import { requireStudyFolder } from '../study-folder/study-service';
import { CHECKPOINT_FILES, studyLayout, type RunLayout } from '../study-folder/layout';
import {
  checkRunResume,
  currentIdentity,
  currentRunSplit,
  readRunIdentity,
  runFolderFor,
  writeRunIdentity,
  writeRunSplit,
} from '../runs/identity';
import { RUN_ID_PATTERN } from '../runs/run-info';
import { readStudyJsonFile, TRAINING_SPEC_RULES } from '../study-folder/study-files';
import { readCheckpoint, removeStaleTemporaries, type CheckpointState, type FileWriter } from './checkpoint';
import {
  ImageSource,
  itemsAtInputSize,
  planTrainingData,
  resolveNormalisation,
  toBatches,
  type Normalisation,
  type TrainingData,
} from './data';
import { writePreprocessingRecord } from '../datasets/at-input-size';
import { matchingSpecHash, specHash, specHistoryHashes } from './run-id';
import { pretrainSteps, planPretrainingItems, runPretraining, type PretrainOutcome } from './pretrain';

/** The job context of a run: one progress bar, and `status` for sub-steps that only change its message. */
export type RunContext = JobContext & { status: JobContext };

/** The checkpoint of the last finished epoch, as read from the run folder. */
export type StoredCheckpoint = NonNullable<Awaited<ReturnType<typeof readCheckpoint>>>;

/** A run's folder, once it is claimed for one spec. */
export interface RunFolder {
  study: string;
  runId: string;
  files: RunLayout;
  /** specHash of the spec: spec.json and the checkpoint must carry the same. */
  hash: string;
  /**
   * The spec the run trains with: the one asked for, or spec.json's when that is the same run extended
   * equivalently (its history of extensions kept).
   */
  spec: TrainingSpec;
  /** The backend the run computes with. */
  backend: string;
  /** The data the spec trains on when it was planned before a new run's folder was claimed (else planned by prepareInputs). */
  data: TrainingData | null;
  /** This call created the run folder (wrote its spec.json). */
  claimed: boolean;
}

/** What the fine-tuning trains on and starts from, before any model exists. */
export interface RunInputs {
  data: TrainingData;
  source: ImageSource;
  /** The checkpoint a restart resumes from (null for a new run). */
  checkpoint: StoredCheckpoint | null;
  /** IWNE-CL: the MoCo v2 pretraining the fine-tuning starts from. */
  pretraining: PretrainOutcome | null;
  /** Progress units before the fine-tuning (the pretraining's steps). */
  offset: number;
}

/**
 * Checks the run id, makes sure the engine is up, and claims the run folder: a different spec under
 * the same id is a conflict, never a mix. What can refuse the spec from the study's files (its
 * dataset and training split, the IFI weights file) is checked first: a refused spec writes nothing.
 */
export async function openRunFolder(spec: TrainingSpec, studyPath: string, requestedRunId: string | undefined): Promise<RunFolder> {
  const study = requireStudyFolder(studyPath);
  // Without a requested id the run trains where its grid cell shows it: the folder of the same settings, else a fresh one.
  const placed = await runFolderFor(study, spec);
  const runId = requestedRunId ?? placed.runId;
  if (!RUN_ID_PATTERN.test(runId))
    throw new AppError('BAD_REQUEST', `Invalid run id "${runId}": use lower-case letters, digits, ".", "_" and "-".`, [
      { path: 'runId', message: 'invalid' },
    ]);
  const files = studyLayout(study).run(runId);
  const hash = specHash(spec);
  // A new run: what the study's files can refuse the spec for is checked before anything is written.
  const claiming = !existsSync(files.spec);
  if (claiming && spec.extensions)
    throw new AppError(
      'BAD_REQUEST',
      `The training spec for new run "${runId}" has "extensions": that history is written by funduslab runs extend on an existing run; remove it (set "epochs" to the length wanted).`,
      [{ path: 'extensions', message: 'only on an extended run' }],
    );
  const data = claiming ? await planTrainingData(spec, study) : null;
  if (claiming && spec.strategy.startsWith('IFI')) pretrainedWeightsFile(spec, study);

  if (!engineStatus()) await initEngine({ preference: 'auto' }).catch(() => null); // keep the backend a worker already chose
  const backend = engineStatus()?.active ?? tf.getBackend();

  await fsp.mkdir(files.dir, { recursive: true });
  let trained = spec;
  if (existsSync(files.spec)) {
    const existing = await readStudyJsonFile(files.spec, TRAINING_SPEC_RULES);
    // The run extended equivalently to the length asked for is that run: it trains on with its own spec (and history).
    if (specHash(existing) !== hash && existing.extensions && matchingSpecHash(existing) === hash) trained = existing;
    else if (specHash(existing) !== hash) {
      if (existing.extensions && specHistoryHashes(existing).includes(hash))
        throw new AppError(
          'CONFLICT',
          `Run "${runId}" was extended to ${existing.epochs} epochs (${files.spec}): train it with its own spec (funduslab train ${files.spec} --study ${study} --run-id ${runId}), or train the unextended settings under another run id.`,
          [{ path: 'runId', message: 'extended run' }],
        );
      throw new AppError(
        'CONFLICT',
        `Run "${runId}" already exists with a different spec (${files.spec}); choose another run id or delete the run.`,
        [{ path: 'runId', message: 'exists with another spec' }],
      );
    }
  } else {
    await writeJsonAtomic(files.spec, spec);
  }
  // What trains the model beyond its spec is recorded before the first epoch; a run started before identity tracking keeps none.
  const started = existsSync(files.metrics) || existsSync(files.checkpoint.dir) || existsSync(files.checkpoint.previousDir);
  if (!started && !existsSync(files.identity)) await writeRunIdentity(files, placed.identity);
  return { study, runId, files, hash: specHash(trained), spec: trained, backend, data, claimed: claiming };
}

/** Error codes with which a run's setup refuses its spec (a batch that does not fit, a weights file it cannot load…). */
const REFUSALS = new Set(['BAD_REQUEST', 'UNSUPPORTED', 'NOT_FOUND']);

/**
 * A spec refused during the run's setup, after this call claimed the run folder (the refusals that need
 * a built model or the weights' content: the batch-fit check, loading the IFI weights, the MoCo
 * pretraining's own checks), leaves nothing behind: the folder is removed when nothing was trained in it
 * yet (no checkpoint, no metrics, no selected model), so the corrected spec can use the same run id.
 */
export async function releaseRefusedClaim(run: RunFolder, error: unknown, ctx: JobContext): Promise<void> {
  if (!run.claimed || !(error instanceof AppError) || !REFUSALS.has(error.code)) return;
  const { files } = run;
  const trained = [files.metrics, files.checkpoint.dir, files.checkpoint.previousDir, files.bestDir].some((f) => existsSync(f));
  if (trained) return;
  await fsp.rm(files.dir, { recursive: true, force: true });
  ctx.log(
    `The spec was refused before training began: run folder ${files.dir} removed, so the corrected spec can use run id ${run.runId}.`,
  );
}

/**
 * The result of a run that already finished (with no epochs run this time), or null. A finished run
 * whose dataset changed since it trained is refused like a resume (checkRunResume): its result is not
 * handed back as if it had been trained on the dataset as it is now. When the dataset is no longer in
 * the study the result is returned as it stands.
 */
export async function finishedResult(spec: TrainingSpec, run: RunFolder, ctx: JobContext): Promise<TrainingResult | null> {
  const metricsFile = run.files.metrics;
  if (!existsSync(metricsFile)) return null;
  const done = TrainingResult.safeParse(JSON.parse(await fsp.readFile(metricsFile, 'utf8')));
  if (!done.success) return null;
  const data = run.data ?? (await planTrainingData(spec, run.study).catch((error: unknown) => ignoreMissingDataset(error)));
  if (data)
    await checkRunResume(
      run,
      await currentRunSplit(run.study, data),
      () => freeRunId(spec, run),
      (line) => ctx.log(line),
    );
  ctx.log(`Run ${run.runId} already finished (${metricsFile}); nothing to do.`);
  return { ...done.data, epochsRun: 0 };
}

/** null for a dataset that is no longer in the study; any other error is thrown. */
function ignoreMissingDataset(error: unknown): null {
  if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
  throw error;
}

/** The run id the spec's settings would train under now, other than the run's own. */
async function freeRunId(spec: TrainingSpec, run: RunFolder): Promise<string> {
  const placed = await runFolderFor(run.study, spec);
  return placed.runId === run.runId ? `${run.runId}-2` : placed.runId;
}

/** Batches per epoch of the training and the validation split. */
export function epochBatches(spec: TrainingSpec, data: TrainingData): { train: number; validation: number } {
  return {
    train: toBatches(data.train, spec.batchSize, true).length,
    validation: toBatches(data.validation, spec.batchSize, false).length,
  };
}

/** Plans the data, finds the checkpoint to resume from, and (IWNE-CL) runs or reuses the pretraining. */
export async function prepareInputs(
  spec: TrainingSpec,
  run: RunFolder,
  ctx: RunContext,
  io: { writeFile?: FileWriter; imageMemoryBytes?: number },
): Promise<RunInputs> {
  ctx.progress(0, 1, 'Preparing the data');
  const planned = run.data ?? (await planTrainingData(spec, run.study));
  const source = new ImageSource(spec.inputSize, io.imageMemoryBytes);
  ctx.log(
    `${planned.train.length} training images (${planned.trainPatients} patients, fraction ${spec.fraction}), ${planned.validation.length} validation images (${planned.validationPatients} patients) from ${planned.datasetId}`,
  );

  await removeStaleTemporaries(run.files.dir);
  const checkpoint = await readCheckpoint(run.files.dir);
  // A checkpoint written before the run was extended carries the spec hash of the run before the extension.
  if (checkpoint && !specHistoryHashes(spec).includes(checkpoint.state.specHash))
    throw new AppError('CONFLICT', `The checkpoint in ${run.files.dir} belongs to another spec; delete it to restart.`);
  await recordOrCheckSplit(spec, run, planned, checkpoint !== null, ctx);
  const data = await dataAtInputSize(spec, run, planned, ctx);

  // IWNE-CL: MoCo v2 pretraining on the study's images first (shared by runs with the same settings).
  if (spec.strategy !== 'IWNE-CL') return { data, source, checkpoint, pretraining: null, offset: 0 };
  const batches = epochBatches(spec, data);
  const fineTuneUnits = spec.epochs * (batches.train + batches.validation);
  const images = (await planPretrainingItems(spec, run.study)).length;
  const offset = pretrainSteps(spec, images);
  const pretraining = await runPretraining(spec, run.study, ctx.status, {
    onProgress: (done, _total, message) => ctx.progress(done, offset + fineTuneUnits, message),
    writeFile: io.writeFile,
    imageMemoryBytes: io.imageMemoryBytes,
  });
  return { data, source, checkpoint, pretraining, offset };
}

/**
 * The run's training and validation images at its input size (data.ts itemsAtInputSize: a dataset
 * imported at another size is preprocessed at the run's size from its source images, once), and the
 * cache they come from recorded in runs/<id>/preprocessing.json. A run that started before runs recorded
 * this, on a dataset imported at another size, resized the import's images instead: said in the log.
 */
async function dataAtInputSize(spec: TrainingSpec, run: RunFolder, planned: TrainingData, ctx: JobContext): Promise<TrainingData> {
  const at = await itemsAtInputSize(
    { datasetDir: planned.datasetDir, manifest: planned.manifest },
    spec.inputSize,
    [planned.train, planned.validation],
    ctx,
  );
  if (at.report) ctx.log(`Run ${run.runId}: ${at.report.message}.`);
  const started = existsSync(run.files.metrics) || existsSync(run.files.checkpoint.dir) || existsSync(run.files.checkpoint.previousDir);
  if (started && !existsSync(run.files.preprocessing) && at.use.inputSize !== at.use.importSize)
    ctx.log(
      `Run ${run.runId} began before runs recorded their preprocessing: its first epochs read the ${at.use.importSize}-px images resized to ${at.use.inputSize} px; from now on it reads them preprocessed at ${at.use.inputSize} px from the source images.`,
    );
  await writePreprocessingRecord(run.files.preprocessing, [at.use]);
  return { ...planned, train: at.lists[0]!, validation: at.lists[1]! };
}

/**
 * A resumed run must train on the dataset content and the items it started with (runs/identity.ts
 * checkRunResume refuses otherwise, before anything is written); a run starting from its first epoch
 * records them (split.json, and identity.json again if the dataset changed since the folder was claimed).
 */
async function recordOrCheckSplit(
  spec: TrainingSpec,
  run: RunFolder,
  data: TrainingData,
  resuming: boolean,
  ctx: JobContext,
): Promise<void> {
  const split = await currentRunSplit(run.study, data);
  if (resuming) {
    await checkRunResume(
      run,
      split,
      () => freeRunId(spec, run),
      (line) => ctx.log(line),
    );
    return;
  }
  const identity = await readRunIdentity(run.files);
  if (identity && identity.datasetHash !== split.datasetHash) await writeRunIdentity(run.files, await currentIdentity(run.study, spec));
  await writeRunSplit(run.files, split);
}

/**
 * On wasm, refuses a batch whose step cannot fit in its 4 GB before any epoch runs (an out-of-memory
 * abort there is fatal, and hangs the multi-threaded build).
 */
export async function checkWasmFit(model: ResNet, spec: TrainingSpec, ctx: JobContext): Promise<void> {
  const fit = await assertTrainingFits(model, { inputSize: spec.inputSize, batchSize: spec.batchSize, field: 'batchSize' });
  if (fit)
    ctx.log(
      `${tf.getBackend()} memory check: ~${Math.round(fit.perImage / 1e6)} MB per image, ${Math.round(fit.estimate(spec.batchSize) / 1e6)} MB at batch ${spec.batchSize}`,
    );
}

/**
 * Loads the starting weights into a fresh model: the MoCo v2 encoder (IWNE-CL) or the imported file
 * (IFI) with a new head, and on a restart the checkpoint over them. Returns the file the run was
 * initialised from (null for random initialisation).
 */
export async function initialiseWeights(
  model: ResNet,
  spec: TrainingSpec,
  run: RunFolder,
  inputs: RunInputs,
  ctx: JobContext,
): Promise<string | null> {
  const { checkpoint, pretraining } = inputs;
  let initialisedFrom: string | null = null;
  if (pretraining) {
    initialisedFrom = pretraining.summary.encoderPath;
    if (!checkpoint) await importMocoEncoder(model, spec, initialisedFrom, ctx);
  } else if (spec.strategy.startsWith('IFI')) {
    initialisedFrom = pretrainedWeightsFile(spec, run.study);
    if (!checkpoint) await importPretrainedWeights(model, spec, initialisedFrom, ctx);
  }
  if (checkpoint) {
    importWeights(model, parseWeightBytes(checkpoint.modelBytes, path.join(run.files.checkpoint.dir, CHECKPOINT_FILES.model)), {
      reinitialiseHead: false,
    });
    const partial = checkpoint.state.partial;
    ctx.log(
      `Resuming run ${run.runId} after epoch ${checkpoint.state.epoch}${partial ? ` and ${partial.batches} training batch${partial.batches === 1 ? '' : 'es'} of epoch ${partial.epoch}` : ''}`,
    );
  }
  return initialisedFrom;
}

/** IWNE-CL: the pretrained MoCo v2 encoder, its projection head replaced by a new grading head. */
async function importMocoEncoder(model: ResNet, spec: TrainingSpec, encoder: string, ctx: JobContext): Promise<void> {
  const report = importWeights(model, await readWeightFile(encoder), { seed: spec.seed, reinitialiseHead: true });
  model.reinitialiseHead(spec.seed);
  ctx.log(
    `Fine-tuning from the MoCo v2 encoder ${encoder}: ${report.loaded.length} tensors loaded, projection head dropped, new ${GRADES}-grade head`,
  );
}

/** The IFI strategies' pretrained weights file (spec.pretrainedWeights, relative to the study); it must exist. */
function pretrainedWeightsFile(spec: TrainingSpec, study: string): string {
  if (!spec.pretrainedWeights) {
    const what =
      spec.strategy === 'IFI-CL'
        ? 'a MoCo v2 ImageNet checkpoint (e.g. moco_v2_800ep_pretrain.pth.tar)'
        : 'ImageNet weights (e.g. torchvision resnet50-0676ba61.pth)';
    throw new AppError('BAD_REQUEST', `${spec.strategy} starts from ${what}: set "pretrainedWeights" to the file (see docs/weights.md).`, [
      { path: 'pretrainedWeights', message: `required for ${spec.strategy}` },
    ]);
  }
  const file = path.resolve(study, spec.pretrainedWeights);
  if (!existsSync(file))
    throw new AppError('NOT_FOUND', `The pretrained weights file ${file} does not exist.`, [
      { path: 'pretrainedWeights', message: 'no such file' },
    ]);
  return file;
}

/** IFI: the imported weights with a new 5-grade head, whatever the file brought; notes a file that looks like the other IFI strategy's. */
async function importPretrainedWeights(model: ResNet, spec: TrainingSpec, file: string, ctx: JobContext): Promise<void> {
  const report = importWeights(model, await readWeightFile(file), { seed: spec.seed, reinitialiseHead: true });
  model.reinitialiseHead(spec.seed);
  ctx.log(
    `Initialised from ${file}${report.moco ? ' (MoCo v2 checkpoint: query encoder)' : ''}: ${report.loaded.length} tensors loaded, head re-initialised for ${GRADES} grades`,
  );
  if (spec.strategy === 'IFI-CL' && !report.moco)
    ctx.log(
      `Note: ${file} is not a MoCo checkpoint (no encoder_q prefix); IFI-CL expects contrastively pretrained weights — make sure this file holds them.`,
    );
  if (spec.strategy === 'IFI-FS' && report.moco)
    ctx.log(`Note: ${file} is a MoCo (contrastive) checkpoint; that is the IFI-CL strategy, not IFI-FS.`);
}

/**
 * The run's input mean/std: the checkpoint's on a restart, the pretraining's for a dataset
 * normalisation of IWNE-CL, else resolved on the training subset; written to normalisation.json for a new run.
 */
export async function runNormalisation(spec: TrainingSpec, run: RunFolder, inputs: RunInputs, ctx: RunContext): Promise<Normalisation> {
  const { checkpoint, pretraining, data, source } = inputs;
  const norm: Normalisation =
    checkpoint?.state.normalisation ??
    (pretraining && spec.normalisation.kind === 'dataset'
      ? pretraining.normalisation
      : await resolveNormalisation(
          spec,
          source,
          data.train,
          ctx.status,
          `training subset (${data.train.length} images at ${spec.inputSize} px)`,
        ));
  if (!checkpoint) await writeJsonAtomic(run.files.normalisation, norm);
  return norm;
}

/** AdamW over the model's trainable variables with the spec's settings (no decay for norms and biases if asked). */
export function createOptimizer(model: ResNet, spec: TrainingSpec): AdamW {
  const o = spec.optimizer;
  return new AdamW(model.trainableVariables(), {
    lr: spec.lr,
    betas: o.betas,
    eps: o.eps,
    weightDecay: o.weightDecay,
    ...(o.noDecayForNormAndBias ? { noDecay: excludeOneDimensional } : {}),
  });
}

/**
 * The state the epoch loop continues from: the checkpoint's, or that of a run before its first
 * epoch. The log is rewritten to hold exactly its epochs (lines of an epoch that crashed are dropped).
 */
export async function startState(
  spec: TrainingSpec,
  run: RunFolder,
  checkpoint: StoredCheckpoint | null,
  norm: Normalisation,
): Promise<CheckpointState> {
  const o = spec.optimizer;
  const state: CheckpointState = checkpoint?.state ?? {
    format: 'funduslab.checkpoint/1',
    epoch: 0,
    step: 0,
    specHash: run.hash,
    normalisation: norm,
    best: null,
    epochsWithoutImprovement: 0,
    stoppedEarly: false,
    totals: { seconds: 0, trainSeconds: 0, trainImages: 0, stallMs: 0 },
    adamw: { lr: spec.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay, steps: {} },
    log: [],
  };
  await writeFileAtomic(run.files.log, state.log.map((l) => JSON.stringify(l) + '\n').join(''));
  return state;
}
