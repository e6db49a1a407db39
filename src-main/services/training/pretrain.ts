/**
 * MoCo v2 contrastive pretraining on a study's own fundus images (the IWNE-CL strategy's first
 * phase; docs/design.md "Training"). Labels are not used. The result is shared: every CL run with the
 * same pretraining settings (dataset, validation split, architecture, input size, seed, MoCo
 * settings, normalisation) fine-tunes from the same encoder, as the paper pretrained once and
 * fine-tuned on each label fraction.
 *
 * pretrain/<id>/
 *   settings.json        what determines the pretraining (its hash is in <id>)
 *   normalisation.json   mean/std of the pretraining images (also used by the fine-tuning)
 *   log.ndjson           one PretrainEpochLog line per finished (checkpointed) epoch
 *   checkpoint/          moco.safetensors (module.encoder_q.*, module.encoder_k.*, module.queue
 *                        [dim, K], module.queue_ptr — the official MoCo state_dict names and
 *                        layouts), optimizer.safetensors, state.json; written every epoch by the
 *                        commit protocol of checkpoint.ts
 *   encoder.safetensors  the final MoCo-format state dict (same names), written when all epochs are
 *                        done; fine-tuning imports it like an ImageNet MoCo v2 checkpoint
 *   summary.json         the PretrainSummary
 *
 * Images: every cached image of the dataset outside the test split whose patient is not in the
 * run's validation split (so validation stays unseen, as in supervised training).
 *
 * One step (facebookresearch/moco main_moco.py + builder.py): two aug+ views of each image (view 0 →
 * query, view 1 → key; seeded by (seed, epoch, dataset index, view)); q = normalize(head_q(f_q(x_q)));
 * momentum update of the key encoder; k = normalize(head_k(f_k(x_k))) (train mode, no gradient);
 * InfoNCE over [q·k, q·queue]/T; optimizer step on the query encoder and head; enqueue k. The lr
 * follows the schedule per epoch. Shuffle-BN is not applied (single device; see engine/moco).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Tensor2D, Variable } from '@tensorflow/tfjs';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { PretrainEpochLog, PretrainSummary, type TrainingSpec } from '../../../src-shared/training';
import { z } from 'zod';
import { augmentBatch } from '../../engine/augment/pipeline';
import { normalize } from '../../engine/augment/ops';
import { hashSeeds } from '../../random/streams';
import { assertTrainingFitsWasm } from '../../engine/memory-guard';
import { MocoQueue, ProjectionHead, effectiveQueueSize, infoNCE, momentumUpdate, mocoLogits } from '../../engine/moco/moco';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { AdamW, namedGradients, type AdamWState } from '../../engine/optim/adamw';
import { learningRateAt } from '../../engine/optim/schedule';
import { Sgd, type SgdState } from '../../engine/optim/sgd';
import { modelTensors } from '../../engine/weights/export';
import { importWeights } from '../../engine/weights/import';
import type { WeightFile } from '../../engine/weights/read';
import { readSafetensors, writeSafetensors } from '../../engine/weights/safetensors';
import { fromFloat32, fromInt64, toBigInts, toFloat32, type RawTensor } from '../../engine/weights/tensors';
import { mulberry32 } from '../../random/prng';
import { shuffle } from '../datasets/splits';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { commitCheckpointFolder, completeCheckpointDir, fsyncWriter, removeStaleTemporaries, type FileWriter } from './checkpoint';
import { ImageSource, PrefetchLoader, planTrainingData, resolveNormalisation, toBatches, type Normalisation, type TrainingItem } from './data';
import { GRADES } from '../../engine/loss';
import { pretrainId, pretrainSettings } from './run-id';
import { CHECKPOINT_FILES, studyLayout } from '../study-folder/layout';
export { pretrainId, pretrainSettings } from './run-id';

const { state: STATE_FILE, moco: MOCO_FILE, optimizer: OPTIMIZER_FILE } = CHECKPOINT_FILES;

const PretrainState = z.object({
  format: z.literal('funduslab.moco-checkpoint/1'),
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  settingsHash: z.string(),
  queuePtr: z.number().int().nonnegative(),
  optimizer: z.object({ kind: z.enum(['sgd', 'adamw']), steps: z.record(z.string(), z.number().int().nonnegative()) }),
  totals: z.object({ seconds: z.number(), trainSeconds: z.number(), images: z.number(), stallMs: z.number() }),
  log: z.array(PretrainEpochLog),
});
type PretrainState = z.infer<typeof PretrainState>;

/** The pretraining images: cached, not test split, patient outside the validation split. */
export async function planPretrainingItems(spec: TrainingSpec, study: string): Promise<TrainingItem[]> {
  const { datasetDir, manifest, validation } = await planTrainingData(spec, study);
  const validationIds = new Set(validation.map((v) => v.id));
  const validationPatients = new Set(manifest.items.filter((it) => validationIds.has(it.id)).map((it) => it.patient));
  const items: TrainingItem[] = [];
  manifest.items.forEach((it, index) => {
    if (!it.cache || it.split === 'test' || validationPatients.has(it.patient)) return;
    items.push({ index, id: it.id, grade: it.grade ?? -1, file: path.join(datasetDir, it.cache.input) });
  });
  return items;
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
export async function runPretraining(spec: TrainingSpec, studyPath: string, ctx: JobContext, opts: PretrainOptions = {}): Promise<PretrainOutcome> {
  const study = path.resolve(studyPath);
  const { id, hash } = pretrainId(spec);
  if (opts.items && !opts.dir) throw new AppError('BAD_REQUEST', 'runPretraining: explicit items need an explicit folder (dir)');
  const files = studyLayout(study).pretrain(id, opts.dir);
  const dir = files.dir;
  const summaryFile = files.summary;
  const normFile = files.normalisation;
  if (existsSync(summaryFile) && existsSync(normFile)) {
    const summary = parseOrThrow(PretrainSummary, JSON.parse(await fsp.readFile(summaryFile, 'utf8')), summaryFile);
    ctx.log(`MoCo v2 pretraining ${id} already finished (${summary.epochs} epochs, loss ${summary.finalLoss?.toFixed(4) ?? 'n/a'}); fine-tuning from it.`);
    return { summary: { ...summary, dir, encoderPath: files.encoder, reused: true }, normalisation: JSON.parse(await fsp.readFile(normFile, 'utf8')) as Normalisation };
  }
  const m = spec.moco;
  const items = opts.items ?? (await planPretrainingItems(spec, study));
  if (items.length < 2) throw new AppError('BAD_REQUEST', `MoCo pretraining needs at least 2 images; dataset "${spec.datasetId}" has ${items.length} outside the validation and test splits.`, [{ path: 'datasetId', message: 'too few images' }]);
  const batchSize = Math.min(m.batchSize, items.length);
  if (batchSize < m.batchSize) ctx.log(`MoCo batch size reduced from ${m.batchSize} to ${batchSize}: only ${items.length} pretraining images.`);
  const queue = effectiveQueueSize(m.queueSize, items.length, batchSize);
  if (queue.message) ctx.log(`MoCo ${queue.message}`);

  await fsp.mkdir(dir, { recursive: true });
  await writeJsonAtomic(files.settings, opts.items ? { ...pretrainSettings(spec), datasetId: null, images: `${items.length} explicit images` } : pretrainSettings(spec));
  await removeStaleTemporaries(dir);
  const S = spec.inputSize;
  const source = new ImageSource(S, opts.imageMemoryBytes);

  const norm: Normalisation = existsSync(normFile)
    ? (JSON.parse(await fsp.readFile(normFile, 'utf8')) as Normalisation)
    : await resolveNormalisation(spec, source, items, ctx, `pretraining images (${items.length} images at ${S} px, labels unused)`);
  if (!existsSync(normFile)) await writeJsonAtomic(normFile, norm);

  const config = parseArch(spec.arch, GRADES);
  const query = ResNet.create(config, { seed: spec.seed });
  const key = ResNet.create(config, { seed: spec.seed });
  const features = query.layout.fc.inFeatures;
  const hidden = m.mlpHidden === 'auto' ? features : m.mlpHidden;
  const headQ = new ProjectionHead(features, hidden, m.dim, hashSeeds(spec.seed, 0x68656164));
  const headK = new ProjectionHead(features, hidden, m.dim, hashSeeds(spec.seed, 0x68656164));
  const mocoQueue = new MocoQueue(queue.size, m.dim, hashSeeds(spec.seed, 0x71756575));
  const queryVars = encoderVariables(query, headQ);
  const keyVars = encoderVariables(key, headK);
  const optimizer =
    m.optimizer === 'sgd'
      ? new Sgd(queryVars, { lr: m.lr, momentum: m.sgdMomentum, weightDecay: m.weightDecay })
      : new AdamW(queryVars, { lr: m.lr, weightDecay: m.weightDecay });
  try {
    // On wasm, refuse a batch whose step cannot fit in its 4 GB before anything is written.
    const fit = await assertTrainingFitsWasm(query, { inputSize: S, batchSize, field: 'moco.batchSize', optimizerSlots: m.optimizer === 'sgd' ? 1 : 2, what: `the MoCo query encoder (${spec.arch}) at ${S} px` });
    if (fit) ctx.log(`wasm memory check: ~${Math.round(fit.perImage / 1e6)} MB per image, ${Math.round(fit.estimate(batchSize) / 1e6)} MB at batch ${batchSize}`);
    let state: PretrainState = {
      format: 'funduslab.moco-checkpoint/1',
      epoch: 0,
      step: 0,
      settingsHash: hash,
      queuePtr: 0,
      optimizer: { kind: m.optimizer, steps: {} },
      totals: { seconds: 0, trainSeconds: 0, images: 0, stallMs: 0 },
      log: [],
    };
    const cp = completeCheckpointDir(dir);
    if (cp) {
      state = await loadPretrainCheckpoint(cp, hash, { query, key, headQ, headK, queue: mocoQueue, optimizer });
      ctx.log(`Resuming MoCo v2 pretraining ${id} after epoch ${state.epoch}`);
    } else {
      momentumUpdate(keyVars, queryVars, 0); // θk ← θq (the official init copies the query encoder)
    }
    const logPath = files.log;
    await writeFileAtomic(logPath, state.log.map((l) => JSON.stringify(l) + '\n').join(''));

    const perEpoch = toBatches(items, batchSize, true).length;
    const total = m.epochs * perEpoch;
    for (let epoch = state.epoch + 1; epoch <= m.epochs; epoch++) {
      throwIfCancelled(ctx);
      const started = performance.now();
      const lr = learningRateAt(m.lr, m.schedule, epoch - 1, { totalSteps: m.epochs });
      optimizer.setLearningRate(lr);
      const order = shuffle(items, mulberry32(hashSeeds(spec.seed, epoch, 0x6d6f636f)));
      const loader = new PrefetchLoader(source, toBatches(order, batchSize, true));
      let lossSum = 0;
      let hits = 0;
      let seen = 0;
      let step = state.step;
      try {
        for (let b = 0; b < loader.length; b++) {
          throwIfCancelled(ctx);
          const batch = (await loader.next())!;
          const n = batch.items.length;
          const indices = batch.items.map((i) => i.index);
          const [loss, top1] = tf.tidy(() => {
            const x = tf.tensor4d(batch.pixels, [n, S, S, 3]);
            const view = (v: number) => normalize(augmentBatch(x, m.augmentation, { seed: spec.seed, epoch, indices, view: v, outSize: S }), norm.mean, norm.std);
            const xq = view(0);
            const xk = view(1);
            momentumUpdate(keyVars, queryVars, m.momentum);
            const k = headK.forward(key.forward(xk, { training: true, features: true }));
            let q: Tensor2D | null = null;
            const { value, grads } = namedGradients(queryVars, () => {
              q = tf.keep(headQ.forward(query.forward(xq, { training: true, features: true })));
              return infoNCE(q, k, mocoQueue.keys, m.temperature);
            });
            optimizer.step(grads);
            // Acc@1 of the contrastive task (logits before this step's enqueue, as the official code);
            // a tie with a negative counts as a miss (a collapsed encoder must not score 100%).
            const logits = mocoLogits(q!, k, mocoQueue.keys, m.temperature);
            const negMax = tf.max(tf.slice(logits, [0, 1], [-1, -1]), 1);
            const correct = tf.sum(tf.cast(tf.greater(tf.squeeze(tf.slice(logits, [0, 0], [-1, 1]), [1]), negMax), 'float32'));
            (q as Tensor2D | null)?.dispose(); // kept past the gradient scope for Acc@1
            mocoQueue.enqueue(k);
            return [value, correct];
          });
          const [lossValue, correct] = [(await loss.data())[0]!, (await top1.data())[0]!];
          tf.dispose([loss, top1]);
          if (!Number.isFinite(lossValue)) throw new AppError('INTERNAL', `The MoCo loss became ${lossValue} in pretraining epoch ${epoch} (batch ${b + 1}); lower moco.lr.`, [{ path: 'moco.lr', message: 'training diverged' }]);
          lossSum += lossValue * n;
          hits += correct;
          seen += n;
          step++;
          opts.onProgress?.((epoch - 1) * perEpoch + b + 1, total, `MoCo pretraining epoch ${epoch}/${m.epochs} · batch ${b + 1}/${loader.length} · loss ${lossValue.toFixed(3)}`);
        }
      } finally {
        await loader.drain();
      }
      const seconds = (performance.now() - started) / 1000;
      const entry: PretrainEpochLog = { epoch, loss: lossSum / seen, accuracy: hits / seen, lr, seconds, imagesPerSecond: seen / seconds, stallMs: loader.stallMs, at: new Date().toISOString() };
      const steps: Record<string, number> = {};
      const optState = optimizer.exportState();
      for (const [name, p] of Object.entries(optState.params)) steps[name] = p.step;
      state = {
        ...state,
        epoch,
        step,
        queuePtr: mocoQueue.ptr,
        optimizer: { kind: m.optimizer, steps },
        totals: { seconds: state.totals.seconds + seconds, trainSeconds: state.totals.trainSeconds + seconds, images: state.totals.images + seen, stallMs: state.totals.stallMs + loader.stallMs },
        log: [...state.log, entry],
      };
      const snapshot = state;
      await commitCheckpointFolder(
        dir,
        [
          [MOCO_FILE, () => writeSafetensors(mocoStateDict(query, key, headQ, headK, mocoQueue), { format: 'pt', producer: 'funduslab', kind: 'moco-v2', epoch: String(epoch) })],
          [OPTIMIZER_FILE, () => writeSafetensors(optimizerTensors(optState), { producer: 'funduslab', kind: m.optimizer })],
          [STATE_FILE, () => JSON.stringify(snapshot, null, 1) + '\n'],
        ],
        epoch,
        opts.writeFile ?? fsyncWriter,
      );
      await fsp.appendFile(logPath, JSON.stringify(entry) + '\n');
      ctx.log(`MoCo epoch ${epoch}/${m.epochs}: loss ${entry.loss.toFixed(4)}, acc@1 ${(entry.accuracy * 100).toFixed(1)}%, lr ${lr.toPrecision(3)}, ${entry.imagesPerSecond.toFixed(1)} img/s`);
      opts.onEpoch?.(entry);
    }

    await writeFileAtomic(files.encoder, writeSafetensors(mocoStateDict(query, key, headQ, headK, mocoQueue), { format: 'pt', producer: 'funduslab', kind: 'moco-v2', arch: spec.arch, epochs: String(state.epoch) }));
    const t = state.totals;
    const summary = PretrainSummary.parse({
      id,
      dir,
      encoderPath: files.encoder,
      images: items.length,
      epochs: state.epoch,
      finalLoss: state.log.at(-1)?.loss ?? null,
      queueSize: queue.size,
      queueNote: queue.message,
      seconds: t.seconds,
      imagesPerSecond: t.trainSeconds > 0 ? t.images / t.trainSeconds : 0,
      stallFraction: t.trainSeconds > 0 ? Math.min(1, t.stallMs / 1000 / t.trainSeconds) : 0,
      reused: false,
    });
    await writeJsonAtomic(summaryFile, summary);
    return { summary, normalisation: norm };
  } finally {
    optimizer.dispose();
    mocoQueue.dispose();
    headQ.dispose();
    headK.dispose();
    query.dispose();
    key.dispose();
  }
}

/** Trainable backbone variables without the classifier fc, plus the projection head (`fc.0.*`, `fc.2.*`). */
function encoderVariables(model: ResNet, head: ProjectionHead): Map<string, Variable> {
  const out = new Map<string, Variable>();
  for (const [name, v] of model.trainableVariables()) if (name !== 'fc.weight' && name !== 'fc.bias') out.set(name, v);
  for (const [name, v] of head.trainableVariables()) out.set(name, v);
  return out;
}

/** The official MoCo state_dict (without the DataParallel `module.` there is no loader difference; we keep it as the published checkpoints do). */
function mocoStateDict(query: ResNet, key: ResNet, headQ: ProjectionHead, headK: ProjectionHead, queue: MocoQueue): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [prefix, model, head] of [['module.encoder_q.', query, headQ], ['module.encoder_k.', key, headK]] as const) {
    for (const [name, t] of modelTensors(model, 'torch')) if (name !== 'fc.weight' && name !== 'fc.bias') out.set(prefix + name, t);
    for (const [name, v] of head.trainableVariables()) out.set(prefix + name, fromFloat32((v.dataSync() as Float32Array).slice(), [...v.shape]));
  }
  const s = queue.exportState();
  const transposed = new Float32Array(s.size * s.dim); // official layout [dim, K]
  for (let r = 0; r < s.size; r++) for (let c = 0; c < s.dim; c++) transposed[c * s.size + r] = s.keys[r * s.dim + c]!;
  out.set('module.queue', fromFloat32(transposed, [s.dim, s.size]));
  out.set('module.queue_ptr', fromInt64([s.ptr], [1]));
  return out;
}

function optimizerTensors(state: SgdState | AdamWState): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [name, p] of Object.entries(state.params)) {
    if ('momentumBuffer' in p) out.set(`${name}/momentum_buffer`, fromFloat32(p.momentumBuffer, p.shape));
    else {
      out.set(`${name}/exp_avg`, fromFloat32(p.expAvg, p.shape));
      out.set(`${name}/exp_avg_sq`, fromFloat32(p.expAvgSq, p.shape));
    }
  }
  return out;
}

async function loadPretrainCheckpoint(
  cpDir: string,
  hash: string,
  t: { query: ResNet; key: ResNet; headQ: ProjectionHead; headK: ProjectionHead; queue: MocoQueue; optimizer: Sgd | AdamW },
): Promise<PretrainState> {
  let state: PretrainState;
  try {
    state = PretrainState.parse(JSON.parse(await fsp.readFile(path.join(cpDir, STATE_FILE), 'utf8')));
  } catch (err) {
    throw new AppError('STUDY_CORRUPT', `The pretraining checkpoint ${cpDir} is unreadable (${(err as Error).message}); delete it to restart the pretraining.`);
  }
  if (state.settingsHash !== hash) throw new AppError('CONFLICT', `The pretraining checkpoint in ${cpDir} belongs to other settings; delete it to restart.`);
  const { tensors } = readSafetensors(new Uint8Array(await fsp.readFile(path.join(cpDir, MOCO_FILE))), MOCO_FILE);
  for (const [prefix, model, head] of [['module.encoder_q.', t.query, t.headQ], ['module.encoder_k.', t.key, t.headK]] as const) {
    const backbone = new Map<string, RawTensor>();
    for (const [name, raw] of tensors) if (name.startsWith(prefix) && !name.startsWith(`${prefix}fc.`)) backbone.set(name.slice(prefix.length), raw);
    const file: WeightFile = { file: path.join(cpDir, MOCO_FILE), format: 'safetensors', layout: 'torch', tensors: backbone, stateDictKey: null, otherFields: [], metadata: {} };
    importWeights(model, file, { reinitialiseHead: true });
    for (const [name, v] of head.trainableVariables()) {
      const raw = tensors.get(prefix + name);
      if (!raw) throw new AppError('STUDY_CORRUPT', `The pretraining checkpoint ${cpDir} lacks ${prefix + name}.`);
      tf.tidy(() => v.assign(tf.tensor(toFloat32(raw), raw.shape, 'float32')));
    }
  }
  const q = tensors.get('module.queue');
  const ptr = tensors.get('module.queue_ptr');
  if (!q || !ptr) throw new AppError('STUDY_CORRUPT', `The pretraining checkpoint ${cpDir} lacks the MoCo queue.`);
  const [dim, size] = q.shape as [number, number];
  const qt = toFloat32(q);
  const keys = new Float32Array(size * dim);
  for (let c = 0; c < dim; c++) for (let r = 0; r < size; r++) keys[r * dim + c] = qt[c * size + r]!;
  t.queue.loadState({ keys, ptr: Number(toBigInts(ptr)[0] ?? 0n), size, dim });

  const { tensors: opt } = readSafetensors(new Uint8Array(await fsp.readFile(path.join(cpDir, OPTIMIZER_FILE))), OPTIMIZER_FILE);
  const need = (n: string) => {
    const r = opt.get(n);
    if (!r) throw new AppError('STUDY_CORRUPT', `The pretraining checkpoint ${cpDir} lacks the optimizer state ${n}.`);
    return r;
  };
  if (t.optimizer instanceof Sgd) {
    const params: SgdState['params'] = {};
    for (const [name, step] of Object.entries(state.optimizer.steps)) {
      const b = need(`${name}/momentum_buffer`);
      params[name] = { step, shape: [...b.shape], momentumBuffer: toFloat32(b) };
    }
    t.optimizer.loadState({ format: 'funduslab.sgd/1', lr: t.optimizer.lr, momentum: t.optimizer.momentum, weightDecay: t.optimizer.weightDecay, params });
  } else {
    const params: AdamWState['params'] = {};
    for (const [name, step] of Object.entries(state.optimizer.steps)) {
      const mm = need(`${name}/exp_avg`);
      params[name] = { step, shape: [...mm.shape], expAvg: toFloat32(mm), expAvgSq: toFloat32(need(`${name}/exp_avg_sq`)) };
    }
    const o = t.optimizer;
    t.optimizer.loadState({ format: 'funduslab.adamw/1', lr: o.lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: o.weightDecay, params });
  }
  return state;
}
