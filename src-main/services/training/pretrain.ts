/**
 * MoCo v2 contrastive pretraining on a study's own fundus images (the IWNE-CL strategy's first
 * phase; docs/design.md "Training"). Labels are not used. The result is shared: every CL run with the
 * same pretraining settings (dataset, validation split, architecture, input size, seed, MoCo
 * settings, normalisation) fine-tunes from the same encoder, as the paper pretrained once and
 * fine-tuned on each label fraction.
 *
 * pretrain/<id>/
 *   settings.json        what determines the pretraining (its hash is in <id>)
 *   split.json           the dataset's content hash and the ids of the images it pretrains on; a
 *                        resume or a fine-tuning that reuses the pretraining is refused when the
 *                        dataset changed since (runs/identity.ts checkPretrainReuse)
 *   normalisation.json   mean/std of the pretraining images (also used by the fine-tuning)
 *   log.ndjson           one PretrainEpochLog line per finished (checkpointed) epoch
 *   checkpoint/          moco.safetensors (module.encoder_q.*, module.encoder_k.*, module.queue
 *                        [dim, K], module.queue_ptr — the official MoCo state_dict names and
 *                        layouts), optimizer.safetensors, state.json; written every epoch by the
 *                        commit protocol of checkpoint.ts (pretrain-checkpoint.ts)
 *   encoder.safetensors  the final MoCo-format state dict (same names), written when all epochs are
 *                        done; fine-tuning imports it like an ImageNet MoCo v2 checkpoint
 *   summary.json         the PretrainSummary
 *
 * Images: every cached image of the dataset outside the test split whose patient is not in the
 * run's validation split (so validation stays unseen, as in supervised training).
 *
 * A pretraining with work left runs holding the folder's work lock (study-folder/lock.ts): a second
 * process that would pretrain the same folder is refused with RunBusyError before it writes anything.
 *
 * One step (facebookresearch/moco main_moco.py + builder.py): two aug+ views of each image (view 0 →
 * query, view 1 → key; seeded by (seed, epoch, dataset index, view)); q = normalize(head_q(f_q(x_q)));
 * momentum update of the key encoder; k = normalize(head_k(f_k(x_k))) (train mode, no gradient);
 * InfoNCE over [q·k, q·queue]/T; optimizer step on the query encoder and head; enqueue k. The lr
 * follows the schedule per epoch. Shuffle-BN is not applied (single device; see engine/moco). The
 * modules and the update on the two views are moco-update.ts (golden test: test/golden/moco).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import {
  PretrainSummary,
  type KnnScore,
  type PretrainEpochLog,
  type PretrainLearningCheck,
  type TrainingSpec,
} from '../../../src-shared/training';
import { AugmentPool } from '../../engine/augment/augment-pool';
import { normalize } from '../../engine/augment/ops';
import { hashSeeds } from '../../random/streams';
import { assertTrainingFits } from '../../engine/memory-guard';
import { effectiveQueueSize } from '../../engine/moco/moco';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { learningRateAt } from '../../engine/optim/schedule';
import { writeSafetensors } from '../../engine/weights/safetensors';
import { mulberry32 } from '../../random/prng';
import { shuffle } from '../datasets/splits';
import { writePreprocessingRecord } from '../datasets/at-input-size';
import type { LoadedManifest } from '../datasets/manifest-file';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { completeCheckpointDir, fsyncWriter, removeStaleTemporaries, type FileWriter } from './checkpoint';
import {
  AUGMENT_AHEAD,
  augmentInPool,
  ImageSource,
  itemsAtInputSize,
  PrefetchLoader,
  planTrainingData,
  resolveNormalisation,
  toBatches,
  type Batch,
  type Normalisation,
  type TrainingItem,
} from './data';
import { GRADES } from '../../engine/loss';
import { learningCheck, type CheckItem } from './learning-check';
import { createMoco, disposeMoco, initialiseKeyEncoder, mocoUpdate, type Moco } from './moco-update';
import { pretrainId, pretrainSettings } from './run-id';
import { studyLayout, type PretrainLayout } from '../study-folder/layout';
import { checkPretrainReuse, currentPretrainSplit, writePretrainSplit, type StoredPretrainSplit } from '../runs/identity';
import { heldLockWhat, withWorkLock } from '../study-folder/lock';
import { loadPretrainCheckpoint, mocoStateDict, writePretrainCheckpoint, type PretrainState } from './pretrain-checkpoint';
export { pretrainId, pretrainSettings } from './run-id';

/** A pretraining image; `patient` groups a study dataset's images for the learning check. */
export type PretrainItem = TrainingItem & { patient?: string };

/** The pretraining images: cached, not test split, patient outside the validation split. */
export async function planPretrainingItems(spec: TrainingSpec, study: string): Promise<PretrainItem[]> {
  return (await planPretrainingData(spec, study)).items;
}

/** The pretraining images and the number of items of the dataset they come from. */
async function planPretrainingData(
  spec: TrainingSpec,
  study: string,
): Promise<{ items: PretrainItem[]; datasetItems: number; loaded: LoadedManifest }> {
  const { datasetDir, manifest, validation } = await planTrainingData(spec, study);
  const validationIds = new Set(validation.map((v) => v.id));
  const validationPatients = new Set(manifest.items.filter((it) => validationIds.has(it.id)).map((it) => it.patient));
  const items: PretrainItem[] = [];
  manifest.items.forEach((it, index) => {
    if (!it.cache || it.split === 'test' || validationPatients.has(it.patient)) return;
    items.push({ index, id: it.id, grade: it.grade ?? -1, file: path.join(datasetDir, it.cache.input), patient: it.patient });
  });
  return { items, datasetItems: manifest.items.length, loaded: { datasetDir, manifest } };
}

export interface PretrainOptions {
  /**
   * Pretrain on these images instead of the study dataset's (e.g. the demo's synthetic texture set
   * for the IFI-CL stand-in); `dir` must then be given too.
   */
  items?: TrainingItem[];
  /** The pretraining folder (default pretrain/<pretrainId> in the study). */
  dir?: string;
  /** Progress in optimizer steps of the whole pretraining. */
  onProgress?: (done: number, total: number, message: string) => void;
  writeFile?: FileWriter;
  imageMemoryBytes?: number;
  onEpoch?: (entry: PretrainEpochLog) => void;
}

export interface PretrainOutcome {
  summary: PretrainSummary;
  normalisation: Normalisation;
}

/** Steps of a full pretraining (for progress totals before it starts). */
export function pretrainSteps(spec: TrainingSpec, images: number): number {
  return spec.moco.epochs * toBatches(new Array(images).fill(0), spec.moco.batchSize, true).length;
}

/** Runs (or resumes, or reuses) the MoCo v2 pretraining of a CL spec; see the module comment. */
export async function runPretraining(
  spec: TrainingSpec,
  studyPath: string,
  ctx: JobContext,
  opts: PretrainOptions = {},
): Promise<PretrainOutcome> {
  const study = path.resolve(studyPath);
  const { id, hash } = pretrainId(spec);
  if (opts.items && !opts.dir) throw new AppError('BAD_REQUEST', 'runPretraining: explicit items need an explicit folder (dir)');
  const files = studyLayout(study).pretrain(id, opts.dir);
  // A finished pretraining is reused only on the dataset content and images it pretrained on.
  const finished = async () => {
    if (!opts.items && isFinished(files)) await checkPretrainReuse(id, files, await currentSplit(spec, study), 'reuse', (l) => ctx.log(l));
    return finishedPretraining(id, files, ctx);
  };
  const reused = await finished();
  if (reused) return reused;
  // One process pretrains a folder at a time; a second (e.g. a cluster task of another CL run) is refused with RunBusyError.
  return withWorkLock(
    files.dir,
    heldLockWhat() ?? 'FundusLab',
    async () => (await finished()) ?? (await pretrain(spec, study, id, hash, files, ctx, opts)),
    { noun: 'MoCo pretraining' },
  );
}

/** What a pretraining on the study dataset of `spec` uses today: the dataset's content and the images (runs/identity.ts). */
async function currentSplit(spec: TrainingSpec, study: string): Promise<StoredPretrainSplit> {
  const { items, datasetItems } = await planPretrainingData(spec, study);
  return currentPretrainSplit(study, spec.datasetId!, datasetItems, items);
}

/**
 * A pretraining on the study dataset resumes only on the dataset content and images it started with
 * (checked before anything is written); one starting from its first epoch records them.
 */
async function recordOrCheckSplit(spec: TrainingSpec, study: string, id: string, files: PretrainLayout, ctx: JobContext): Promise<void> {
  const split = await currentSplit(spec, study);
  if (completeCheckpointDir(files.dir)) await checkPretrainReuse(id, files, split, 'resume', (line) => ctx.log(line));
  else {
    await fsp.mkdir(files.dir, { recursive: true });
    await writePretrainSplit(files.split, split);
  }
}

/** The pretraining's epochs and result, holding the pretraining folder's work lock. */
async function pretrain(
  spec: TrainingSpec,
  study: string,
  id: string,
  hash: string,
  files: PretrainLayout,
  ctx: JobContext,
  opts: PretrainOptions,
): Promise<PretrainOutcome> {
  const planned = await planPretraining(spec, study, ctx, opts.items);
  if (!opts.items) await recordOrCheckSplit(spec, study, id, files, ctx);
  const plan = { ...planned, items: await pretrainingItemsAtSize(spec, id, files, planned, ctx) };

  await fsp.mkdir(files.dir, { recursive: true });
  await writeJsonAtomic(
    files.settings,
    opts.items ? { ...pretrainSettings(spec), datasetId: null, images: `${plan.items.length} explicit images` } : pretrainSettings(spec),
  );
  await removeStaleTemporaries(files.dir);
  const source = new ImageSource(spec.inputSize, opts.imageMemoryBytes);
  const norm = await pretrainingNormalisation(spec, files, source, plan.items, ctx);

  const moco = createMoco(spec, plan.queue.size);
  let augment: AugmentPool | null = null;
  let pretraining: Pretraining | null = null;
  try {
    // On wasm, refuse a batch whose step cannot fit in its 4 GB before anything is written.
    const S = spec.inputSize;
    const fit = await assertTrainingFits(moco.query, {
      inputSize: S,
      batchSize: plan.batchSize,
      field: 'moco.batchSize',
      optimizerSlots: spec.moco.optimizer === 'sgd' ? 1 : 2,
      what: `the MoCo query encoder (${spec.arch}) at ${S} px`,
    });
    if (fit)
      ctx.log(
        `${tf.getBackend()} memory check: ~${Math.round(fit.perImage / 1e6)} MB per image, ${Math.round(fit.estimate(plan.batchSize) / 1e6)} MB at batch ${plan.batchSize}`,
      );
    let state = await startPretraining(spec, id, hash, files, moco, ctx);

    const perEpoch = toBatches(plan.items, plan.batchSize, true).length;
    augment = await AugmentPool.create();
    pretraining = {
      spec,
      ctx,
      opts,
      files,
      items: plan.items,
      batchSize: plan.batchSize,
      source,
      norm,
      moco,
      augment,
      ahead: null,
      units: { perEpoch, total: spec.moco.epochs * perEpoch },
    };
    for (let epoch = state.epoch + 1; epoch <= spec.moco.epochs; epoch++) state = await pretrainEpoch(pretraining, state, epoch);
    return await finishPretraining(pretraining, id, state, plan.queue);
  } finally {
    await pretraining?.ahead?.loader.drain();
    await augment?.terminate();
    disposeMoco(moco);
  }
}

const isFinished = (files: PretrainLayout): boolean => existsSync(files.summary) && existsSync(files.normalisation);

/** The outcome of a pretraining that already finished (summary and normalisation written), or null. */
async function finishedPretraining(id: string, files: PretrainLayout, ctx: JobContext): Promise<PretrainOutcome | null> {
  if (!isFinished(files)) return null;
  const summary = parseOrThrow(PretrainSummary, JSON.parse(await fsp.readFile(files.summary, 'utf8')), files.summary);
  ctx.log(
    `MoCo v2 pretraining ${id} already finished (${summary.epochs} epochs, loss ${summary.finalLoss?.toFixed(4) ?? 'n/a'}); fine-tuning from it.`,
  );
  return {
    summary: { ...summary, dir: files.dir, encoderPath: files.encoder, reused: true },
    normalisation: JSON.parse(await fsp.readFile(files.normalisation, 'utf8')) as Normalisation,
  };
}

/** The images, the batch size (at most the number of images) and the queue size (see effectiveQueueSize) of a pretraining. */
async function planPretraining(
  spec: TrainingSpec,
  study: string,
  ctx: JobContext,
  explicitItems: TrainingItem[] | undefined,
): Promise<{
  items: TrainingItem[];
  batchSize: number;
  queue: { size: number; message: string | null };
  /** The study dataset the items come from (null for explicit items). */
  loaded: LoadedManifest | null;
}> {
  const m = spec.moco;
  const planned = explicitItems ? null : await planPretrainingData(spec, study);
  const items = explicitItems ?? planned!.items;
  if (items.length < 2)
    throw new AppError(
      'BAD_REQUEST',
      `MoCo pretraining needs at least 2 images; dataset "${spec.datasetId}" has ${items.length} outside the validation and test splits.`,
      [{ path: 'datasetId', message: 'too few images' }],
    );
  const batchSize = Math.min(m.batchSize, items.length);
  if (batchSize < m.batchSize)
    ctx.log(`MoCo batch size reduced from ${m.batchSize} to ${batchSize}: only ${items.length} pretraining images.`);
  const queue = effectiveQueueSize(m.queueSize, items.length, batchSize);
  if (queue.message) ctx.log(`MoCo ${queue.message}`);
  return { items, batchSize, queue, loaded: planned?.loaded ?? null };
}

/**
 * The pretraining images of a study dataset at the spec's input size (data.ts itemsAtInputSize: a dataset
 * imported at another size is preprocessed at it from the source images, once), the cache recorded in the
 * pretraining folder's preprocessing.json; explicit items (the demo's texture set) as they are.
 */
async function pretrainingItemsAtSize(
  spec: TrainingSpec,
  id: string,
  files: PretrainLayout,
  plan: { items: TrainingItem[]; loaded: LoadedManifest | null },
  ctx: JobContext,
): Promise<TrainingItem[]> {
  if (!plan.loaded) return plan.items;
  const at = await itemsAtInputSize(plan.loaded, spec.inputSize, [plan.items], ctx);
  if (at.report) ctx.log(`MoCo v2 pretraining ${id}: ${at.report.message}.`);
  await fsp.mkdir(files.dir, { recursive: true });
  await writePreprocessingRecord(files.preprocessing, [at.use]);
  return at.lists[0]!;
}

/** The pretraining's input mean/std: normalisation.json when an earlier attempt wrote it, else resolved on its images (and written). */
async function pretrainingNormalisation(
  spec: TrainingSpec,
  files: PretrainLayout,
  source: ImageSource,
  items: TrainingItem[],
  ctx: JobContext,
): Promise<Normalisation> {
  const normFile = files.normalisation;
  const norm: Normalisation = existsSync(normFile)
    ? (JSON.parse(await fsp.readFile(normFile, 'utf8')) as Normalisation)
    : await resolveNormalisation(
        spec,
        source,
        items,
        ctx,
        `pretraining images (${items.length} images at ${spec.inputSize} px, labels unused)`,
      );
  if (!existsSync(normFile)) await writeJsonAtomic(normFile, norm);
  return norm;
}

/**
 * The state the epochs continue from: the checkpoint's (restored into the modules), or that of a
 * pretraining before its first epoch, whose key encoder starts as a copy of the query encoder. The
 * log is rewritten to hold exactly the checkpointed epochs.
 */
async function startPretraining(
  spec: TrainingSpec,
  id: string,
  hash: string,
  files: PretrainLayout,
  moco: Moco,
  ctx: JobContext,
): Promise<PretrainState> {
  let state: PretrainState = {
    format: 'funduslab.moco-checkpoint/1',
    epoch: 0,
    step: 0,
    settingsHash: hash,
    queuePtr: 0,
    optimizer: { kind: spec.moco.optimizer, steps: {} },
    totals: { seconds: 0, trainSeconds: 0, images: 0, stallMs: 0 },
    log: [],
  };
  const cp = completeCheckpointDir(files.dir);
  if (cp) {
    state = await loadPretrainCheckpoint(cp, hash, moco);
    ctx.log(`Resuming MoCo v2 pretraining ${id} after epoch ${state.epoch}`);
  } else {
    initialiseKeyEncoder(moco); // θk ← θq (the official init copies the query encoder)
  }
  await writeFileAtomic(files.log, state.log.map((l) => JSON.stringify(l) + '\n').join(''));
  return state;
}

/** What every epoch of a pretraining reads. */
interface Pretraining {
  spec: TrainingSpec;
  ctx: JobContext;
  opts: PretrainOptions;
  files: PretrainLayout;
  items: TrainingItem[];
  batchSize: number;
  source: ImageSource;
  norm: Normalisation;
  moco: Moco;
  /** The worker threads that augment the next batch's two views while the model trains on this one. */
  augment: AugmentPool;
  /** The next epoch's loader, started during this epoch's last step (its first batch is then ready when the epoch starts). */
  ahead: { epoch: number; loader: PrefetchLoader } | null;
  /** Optimizer steps per epoch and of the whole pretraining (the progress units). */
  units: { perEpoch: number; total: number };
}

/** One epoch: the MoCo steps over the epoch's shuffled order, then checkpoint and log. Returns the checkpointed state. */
async function pretrainEpoch(p: Pretraining, state: PretrainState, epoch: number): Promise<PretrainState> {
  const { spec, ctx, moco } = p;
  const m = spec.moco;
  throwIfCancelled(ctx);
  const started = performance.now();
  const lr = learningRateAt(m.lr, m.schedule, epoch - 1, { totalSteps: m.epochs });
  moco.optimizer.setLearningRate(lr);
  const trained = await mocoEpochSteps(p, epoch, state.step);
  const seconds = (performance.now() - started) / 1000;
  const entry: PretrainEpochLog = {
    epoch,
    loss: trained.lossSum / trained.seen,
    accuracy: trained.hits / trained.seen,
    lr,
    seconds,
    imagesPerSecond: trained.seen / seconds,
    stallMs: trained.stallMs,
    at: new Date().toISOString(),
  };
  const steps: Record<string, number> = {};
  const optState = await moco.optimizer.exportState();
  for (const [name, o] of Object.entries(optState.params)) steps[name] = o.step;
  const next: PretrainState = {
    ...state,
    epoch,
    step: trained.step,
    queuePtr: moco.queue.ptr,
    optimizer: { kind: m.optimizer, steps },
    totals: {
      seconds: state.totals.seconds + seconds,
      trainSeconds: state.totals.trainSeconds + seconds,
      images: state.totals.images + trained.seen,
      stallMs: state.totals.stallMs + trained.stallMs,
    },
    log: [...state.log, entry],
  };
  await writePretrainCheckpoint(p.files.dir, moco, optState, next, p.opts.writeFile ?? fsyncWriter);
  await fsp.appendFile(p.files.log, JSON.stringify(entry) + '\n');
  ctx.log(
    `MoCo epoch ${epoch}/${m.epochs}: loss ${entry.loss.toFixed(4)}, acc@1 ${(entry.accuracy * 100).toFixed(1)}%, lr ${lr.toPrecision(3)}, ${entry.imagesPerSecond.toFixed(1)} img/s`,
  );
  p.opts.onEpoch?.(entry);
  return next;
}

/**
 * The steps of an epoch, one per batch of its shuffled order. Returns the summed loss, the Acc@1
 * hits, the images seen, the step count after the epoch and the time spent waiting for images.
 */
async function mocoEpochSteps(
  p: Pretraining,
  epoch: number,
  firstStep: number,
): Promise<{ lossSum: number; hits: number; seen: number; step: number; stallMs: number }> {
  const { spec, ctx } = p;
  const m = spec.moco;
  const ahead = p.ahead?.epoch === epoch ? p.ahead.loader : null;
  if (p.ahead && !ahead) await p.ahead.loader.drain();
  p.ahead = null;
  const loader = ahead ?? mocoLoader(p, epoch);
  let lossSum = 0;
  let hits = 0;
  let seen = 0;
  let step = firstStep;
  try {
    for (let b = 0; b < loader.length; b++) {
      throwIfCancelled(ctx);
      const batch = (await loader.next())!;
      // The last batch: the next epoch's first batch is decoded and augmented while it trains and the checkpoint is written.
      if (b === loader.length - 1 && epoch < m.epochs) {
        p.ahead = { epoch: epoch + 1, loader: mocoLoader(p, epoch + 1) };
        p.ahead.loader.prime();
      }
      const n = batch.items.length;
      const [loss, top1] = tf.tidy(() => mocoStep(p, batch));
      const [lossValue, correct] = [(await loss.data())[0]!, (await top1.data())[0]!];
      tf.dispose([loss, top1]);
      if (!Number.isFinite(lossValue))
        throw new AppError('INTERNAL', `The MoCo loss became ${lossValue} in pretraining epoch ${epoch} (batch ${b + 1}); lower moco.lr.`, [
          { path: 'moco.lr', message: 'training diverged' },
        ]);
      lossSum += lossValue * n;
      hits += correct;
      seen += n;
      step++;
      p.opts.onProgress?.(
        (epoch - 1) * p.units.perEpoch + b + 1,
        p.units.total,
        `MoCo pretraining epoch ${epoch}/${m.epochs} · batch ${b + 1}/${loader.length} · loss ${lossValue.toFixed(3)}`,
      );
    }
  } finally {
    await loader.drain();
  }
  return { lossSum, hits, seen, step, stallMs: loader.stallMs };
}

/** The loader of an epoch's batches (its shuffled order), the two views of each augmented in the worker pool. */
function mocoLoader(p: Pretraining, epoch: number): PrefetchLoader {
  const { spec } = p;
  const order = shuffle(p.items, mulberry32(hashSeeds(spec.seed, epoch, 0x6d6f636f)));
  return new PrefetchLoader(
    p.source,
    toBatches(order, p.batchSize, true),
    AUGMENT_AHEAD,
    augmentInPool(p.augment, {
      settings: spec.moco.augmentation,
      seed: spec.seed,
      epoch,
      size: spec.inputSize,
      views: [0, 1],
      label: (position) => `pretraining epoch ${epoch}, batch ${position + 1}`,
    }),
  );
}

/**
 * One MoCo v2 step on a batch (inside tf.tidy): the two aug+ views (augmented in a worker thread
 * while the previous step ran, see augmentInPool) normalised, then the update of moco-update.ts
 * (momentum update of the key encoder, InfoNCE, optimizer step on the query encoder and head,
 * enqueue of the keys). Returns the loss and the Acc@1 hits of the contrastive task.
 */
function mocoStep(p: Pretraining, batch: Batch): [Scalar, Tensor] {
  const { spec, norm, moco } = p;
  const m = spec.moco;
  const S = spec.inputSize;
  const n = batch.items.length;
  const view = (v: number) => normalize(tf.tensor4d(batch.views![v]!, [n, S, S, 3]), norm.mean, norm.std);
  const xq = view(0);
  const xk = view(1);
  const { loss, hits } = mocoUpdate(moco, xq, xk, { momentum: m.momentum, temperature: m.temperature });
  return [loss, hits];
}

/** Writes the final encoder (the MoCo-format state dict) and summary.json. */
async function finishPretraining(
  p: Pretraining,
  id: string,
  state: PretrainState,
  queue: { size: number; message: string | null },
): Promise<PretrainOutcome> {
  const { spec, files } = p;
  await writeFileAtomic(
    files.encoder,
    writeSafetensors(await mocoStateDict(p.moco), {
      format: 'pt',
      producer: 'funduslab',
      kind: 'moco-v2',
      arch: spec.arch,
      epochs: String(state.epoch),
    }),
  );
  const check = await checkLearning(p, queue.size, state.log.at(-1)?.loss ?? null);
  const t = state.totals;
  const summary = PretrainSummary.parse({
    id,
    dir: files.dir,
    encoderPath: files.encoder,
    images: p.items.length,
    epochs: state.epoch,
    finalLoss: state.log.at(-1)?.loss ?? null,
    queueSize: queue.size,
    queueNote: queue.message,
    seconds: t.seconds,
    imagesPerSecond: t.trainSeconds > 0 ? t.images / t.trainSeconds : 0,
    stallFraction: t.trainSeconds > 0 ? Math.min(1, t.stallMs / 1000 / t.trainSeconds) : 0,
    reused: false,
    learningCheck: check,
  });
  await writeJsonAtomic(files.summary, summary);
  return { summary, normalisation: p.norm };
}

/**
 * The learning check of a finished pretraining (learning-check.ts): referable DR by patient for a
 * study dataset, the images' own class labels for explicit items (the demo's texture set).
 */
async function checkLearning(p: Pretraining, queueSize: number, finalLoss: number | null): Promise<PretrainLearningCheck> {
  const { spec, opts } = p;
  const explicit = opts.items !== undefined;
  const items: CheckItem[] = (p.items as PretrainItem[])
    .filter((it) => it.grade >= 0)
    .map((it) => ({
      ...it,
      label: explicit ? it.grade : spec.referable.includes(it.grade) ? 1 : 0,
      group: explicit ? it.id : (it.patient ?? it.id),
    }));
  const random = ResNet.create(parseArch(spec.arch, GRADES), { seed: spec.seed });
  try {
    const check = await learningCheck(
      {
        pretrained: p.moco.query,
        random,
        items,
        labels: explicit ? 'classes' : 'referable',
        referable: explicit ? null : [...spec.referable],
        inputSize: spec.inputSize,
        mean: p.norm.mean,
        std: p.norm.std,
        queueSize,
        finalLoss,
        seed: spec.seed,
      },
      p.ctx,
    );
    const score = (s: KnnScore | null) => (check.metric === 'auc' ? s?.auc : s?.balancedAccuracy)?.toFixed(3) ?? '—';
    p.ctx.log(
      `MoCo learning check: final loss ${finalLoss?.toFixed(3) ?? '—'} vs chance ${check.chanceLoss.toFixed(3)}; k-NN ${check.metric} ${score(check.pretrained)} (random encoder ${score(check.random)}, gain ${check.gain?.toFixed(3) ?? '—'}) on ${check.images} images`,
    );
    for (const w of check.warnings) p.ctx.log(`WARNING: ${w}`);
    return check;
  } finally {
    random.dispose();
  }
}
