/**
 * The checkpoint of the MoCo v2 pretraining (pretrain.ts), in checkpoint/ of its folder:
 * moco.safetensors (module.encoder_q.*, module.encoder_k.*, module.queue [dim, K],
 * module.queue_ptr — the official MoCo state_dict names and layouts), optimizer.safetensors and
 * state.json, written every epoch by the commit protocol of checkpoint.ts and restored on a restart.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { PretrainEpochLog } from '../../../src-shared/training';
import { z } from 'zod';
import type { MocoQueue, ProjectionHead } from '../../engine/moco/moco';
import type { ResNet } from '../../engine/models/resnet';
import type { AdamW, AdamWState } from '../../engine/optim/adamw';
import { Sgd, type SgdState } from '../../engine/optim/sgd';
import { modelTensors } from '../../engine/weights/export';
import { readFloat32 } from '../../engine/readback';
import { importWeights } from '../../engine/weights/import';
import type { WeightFile } from '../../engine/weights/read';
import { readSafetensors, writeSafetensors } from '../../engine/weights/safetensors';
import { fromFloat32, fromInt64, toBigInts, toFloat32, type RawTensor } from '../../engine/weights/tensors';
import { commitCheckpointFolder, type FileWriter } from './checkpoint';
import { CHECKPOINT_FILES } from '../study-folder/layout';

const { state: STATE_FILE, moco: MOCO_FILE, optimizer: OPTIMIZER_FILE } = CHECKPOINT_FILES;

export const PretrainState = z.object({
  format: z.literal('funduslab.moco-checkpoint/1'),
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  settingsHash: z.string(),
  queuePtr: z.number().int().nonnegative(),
  optimizer: z.object({ kind: z.enum(['sgd', 'adamw']), steps: z.record(z.string(), z.number().int().nonnegative()) }),
  totals: z.object({ seconds: z.number(), trainSeconds: z.number(), images: z.number(), stallMs: z.number() }),
  log: z.array(PretrainEpochLog),
});
export type PretrainState = z.infer<typeof PretrainState>;

/** The modules of a MoCo v2 pretraining whose state a checkpoint holds. */
export interface MocoModules {
  query: ResNet;
  key: ResNet;
  headQ: ProjectionHead;
  headK: ProjectionHead;
  queue: MocoQueue;
  optimizer: Sgd | AdamW;
}

/** Commits the checkpoint of a finished epoch: the MoCo state dict, the optimizer's buffers (`optState`) and `state`. */
export async function writePretrainCheckpoint(
  dir: string,
  t: MocoModules,
  optState: SgdState | AdamWState,
  state: PretrainState,
  write: FileWriter,
): Promise<void> {
  await commitCheckpointFolder(
    dir,
    [
      [
        MOCO_FILE,
        async () =>
          writeSafetensors(await mocoStateDict(t), { format: 'pt', producer: 'funduslab', kind: 'moco-v2', epoch: String(state.epoch) }),
      ],
      [OPTIMIZER_FILE, () => writeSafetensors(optimizerTensors(optState), { producer: 'funduslab', kind: state.optimizer.kind })],
      [STATE_FILE, () => JSON.stringify(state, null, 1) + '\n'],
    ],
    state.epoch,
    write,
  );
}

/**
 * The official MoCo state_dict (without the DataParallel `module.` there is no loader difference; we keep it as the published checkpoints
 * do).
 */
export async function mocoStateDict({ query, key, headQ, headK, queue }: MocoModules): Promise<Map<string, RawTensor>> {
  const out = new Map<string, RawTensor>();
  for (const [prefix, model, head] of [
    ['module.encoder_q.', query, headQ],
    ['module.encoder_k.', key, headK],
  ] as const) {
    for (const [name, t] of await modelTensors(model, 'torch')) if (name !== 'fc.weight' && name !== 'fc.bias') out.set(prefix + name, t);
    for (const [name, v] of head.trainableVariables()) out.set(prefix + name, fromFloat32(await readFloat32(v), [...v.shape]));
  }
  const s = await queue.exportState();
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

/**
 * Restores a checkpoint into freshly built modules (encoders, heads, queue, optimizer buffers);
 * returns its state. An unreadable or incomplete checkpoint, or one of other settings, is an error.
 */
export async function loadPretrainCheckpoint(cpDir: string, hash: string, t: MocoModules): Promise<PretrainState> {
  let state: PretrainState;
  try {
    state = PretrainState.parse(JSON.parse(await fsp.readFile(path.join(cpDir, STATE_FILE), 'utf8')));
  } catch (err) {
    throw new AppError(
      'STUDY_CORRUPT',
      `The pretraining checkpoint ${cpDir} is unreadable (${(err as Error).message}); delete it to restart the pretraining.`,
    );
  }
  if (state.settingsHash !== hash)
    throw new AppError('CONFLICT', `The pretraining checkpoint in ${cpDir} belongs to other settings; delete it to restart.`);
  const { tensors } = readSafetensors(new Uint8Array(await fsp.readFile(path.join(cpDir, MOCO_FILE))), MOCO_FILE);
  restoreEncoders(cpDir, tensors, t);
  restoreQueue(cpDir, tensors, t.queue);
  const { tensors: opt } = readSafetensors(new Uint8Array(await fsp.readFile(path.join(cpDir, OPTIMIZER_FILE))), OPTIMIZER_FILE);
  restoreOptimizer(cpDir, opt, state.optimizer.steps, t.optimizer);
  return state;
}

/** Loads both encoders' backbones and projection heads from the MoCo state dict. */
function restoreEncoders(cpDir: string, tensors: Map<string, RawTensor>, t: MocoModules): void {
  for (const [prefix, model, head] of [
    ['module.encoder_q.', t.query, t.headQ],
    ['module.encoder_k.', t.key, t.headK],
  ] as const) {
    const backbone = new Map<string, RawTensor>();
    for (const [name, raw] of tensors)
      if (name.startsWith(prefix) && !name.startsWith(`${prefix}fc.`)) backbone.set(name.slice(prefix.length), raw);
    const file: WeightFile = {
      file: path.join(cpDir, MOCO_FILE),
      format: 'safetensors',
      layout: 'torch',
      tensors: backbone,
      stateDictKey: null,
      otherFields: [],
      metadata: {},
    };
    importWeights(model, file, { reinitialiseHead: true });
    for (const [name, v] of head.trainableVariables()) {
      const raw = tensors.get(prefix + name);
      if (!raw) throw new AppError('STUDY_CORRUPT', `The pretraining checkpoint ${cpDir} lacks ${prefix + name}.`);
      tf.tidy(() => v.assign(tf.tensor(toFloat32(raw), raw.shape, 'float32')));
    }
  }
}

/** Loads the queue of keys (stored in the official layout [dim, K]) and its pointer. */
function restoreQueue(cpDir: string, tensors: Map<string, RawTensor>, queue: MocoQueue): void {
  const q = tensors.get('module.queue');
  const ptr = tensors.get('module.queue_ptr');
  if (!q || !ptr) throw new AppError('STUDY_CORRUPT', `The pretraining checkpoint ${cpDir} lacks the MoCo queue.`);
  const [dim, size] = q.shape as [number, number];
  const qt = toFloat32(q);
  const keys = new Float32Array(size * dim);
  for (let c = 0; c < dim; c++) for (let r = 0; r < size; r++) keys[r * dim + c] = qt[c * size + r]!;
  queue.loadState({ keys, ptr: Number(toBigInts(ptr)[0] ?? 0n), size, dim });
}

/** Loads the optimizer's buffers (SGD momentum, or AdamW moments) with the step counts of state.json. */
function restoreOptimizer(cpDir: string, opt: Map<string, RawTensor>, steps: Record<string, number>, optimizer: Sgd | AdamW): void {
  const need = (n: string) => {
    const r = opt.get(n);
    if (!r) throw new AppError('STUDY_CORRUPT', `The pretraining checkpoint ${cpDir} lacks the optimizer state ${n}.`);
    return r;
  };
  if (optimizer instanceof Sgd) {
    const params: SgdState['params'] = {};
    for (const [name, step] of Object.entries(steps)) {
      const b = need(`${name}/momentum_buffer`);
      params[name] = { step, shape: [...b.shape], momentumBuffer: toFloat32(b) };
    }
    optimizer.loadState({
      format: 'funduslab.sgd/1',
      lr: optimizer.lr,
      momentum: optimizer.momentum,
      weightDecay: optimizer.weightDecay,
      params,
    });
  } else {
    const params: AdamWState['params'] = {};
    for (const [name, step] of Object.entries(steps)) {
      const mm = need(`${name}/exp_avg`);
      params[name] = { step, shape: [...mm.shape], expAvg: toFloat32(mm), expAvgSq: toFloat32(need(`${name}/exp_avg_sq`)) };
    }
    const o = optimizer;
    optimizer.loadState({
      format: 'funduslab.adamw/1',
      lr: o.lr,
      betas: [o.beta1, o.beta2],
      eps: o.eps,
      weightDecay: o.weightDecay,
      params,
    });
  }
}
