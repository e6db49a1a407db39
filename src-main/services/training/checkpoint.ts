/**
 * The per-epoch checkpoint of a training run: runs/<run-id>/checkpoint/
 *   model.safetensors      every parameter and BatchNorm buffer (running_mean/var and
 *                          num_batches_tracked), torchvision names, torch layout
 *   optimizer.safetensors  AdamW moments `<param>/exp_avg`, `<param>/exp_avg_sq` (tfjs layout)
 *   state.json             epoch, step, per-parameter AdamW steps, best-so-far, normalisation,
 *                          the epoch log so far
 * There is no RNG state: every random draw of a run (initialisation, subset, shuffling,
 * augmentation) is derived from (seed, epoch[, image index]), so restarting epoch e+1 from the
 * checkpoint of epoch e draws exactly what the uninterrupted run drew.
 *
 * Commit protocol: the files are written and fsynced into a fresh temporary folder (and the folder
 * itself flushed, so their names are on disk too); then checkpoint/ is renamed to checkpoint.prev/,
 * the temporary folder to checkpoint/, and checkpoint.prev/ removed. A crash at any point leaves a complete checkpoint/ or (between the two
 * renames) a complete checkpoint.prev/, which readCheckpoint falls back to. The run folder is
 * flushed after the renames (fs/atomic.ts replaceFolder), so a committed checkpoint has reached the
 * disk, or the file server of a shared file system, before the next epoch starts. A failed write
 * removes the temporary folder and leaves the previous checkpoint untouched.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../src-shared/errors';
import { ResolvedNormalisation, TrainingEpochLog } from '../../../src-shared/training';
import type { AdamWState } from '../../engine/optim/adamw';
import { readSafetensors, writeSafetensors } from '../../engine/weights/safetensors';
import { fromFloat32, toFloat32, type RawTensor } from '../../engine/weights/tensors';
import { completeFolder, replaceFolder, syncDir } from '../../fs/atomic';
import { CHECKPOINT_FILES, pretrainFiles, type CheckpointLayout } from '../study-folder/layout';

const { model: MODEL_FILE, optimizer: OPTIMIZER_FILE, state: STATE_FILE } = CHECKPOINT_FILES;

/** checkpoint/ and checkpoint.prev/ of a run or pretraining folder (services/study-folder/layout.ts). */
function checkpointDirs(dir: string): CheckpointLayout {
  return pretrainFiles(dir).checkpoint;
}

export const CheckpointState = z.object({
  format: z.literal('funduslab.checkpoint/1'),
  /** Epochs finished (the run continues with epoch `epoch + 1`, 1-based). */
  epoch: z.number().int().nonnegative(),
  /** Optimizer steps taken so far. */
  step: z.number().int().nonnegative(),
  specHash: z.string(),
  normalisation: ResolvedNormalisation,
  best: z.object({ epoch: z.number().int().positive(), valAuc: z.number(), valLoss: z.number() }).nullable(),
  epochsWithoutImprovement: z.number().int().nonnegative(),
  stoppedEarly: z.boolean(),
  /** Totals over all epochs so far (for the result's throughput and stall figures). */
  totals: z.object({ seconds: z.number(), trainSeconds: z.number(), trainImages: z.number(), stallMs: z.number() }),
  adamw: z.object({
    lr: z.number(),
    betas: z.tuple([z.number(), z.number()]),
    eps: z.number(),
    weightDecay: z.number(),
    steps: z.record(z.string(), z.number().int().nonnegative()),
  }),
  log: z.array(TrainingEpochLog),
  /**
   * The epoch in progress when the run was stopped between two batches (cancelled, or signalled by a
   * cluster before its time limit): the training batches done and the sums so far. A resumed run skips
   * those batches of the same shuffled order and continues the sums, so it repeats exactly what the
   * uninterrupted run does. Absent at an epoch's end.
   */
  partial: z
    .object({
      epoch: z.number().int().positive(),
      batches: z.number().int().positive(),
      lossSum: z.number(),
      seen: z.number().int().nonnegative(),
      stallMs: z.number(),
      trainSeconds: z.number(),
    })
    .optional(),
});
export type CheckpointState = z.infer<typeof CheckpointState>;

/** Writes one file durably (the seam tests use to inject a failing disk). */
export type FileWriter = (file: string, data: Uint8Array | string) => Promise<void>;

export const fsyncWriter: FileWriter = async (file, data) => {
  const handle = await fsp.open(file, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
};

export interface CheckpointContent {
  state: CheckpointState;
  /** Model tensors in torch layout (modelTensors(model, 'torch')). */
  model: Map<string, RawTensor>;
  adamw: AdamWState;
}

/** Writes a checkpoint atomically (see the module comment). Throws NOT_WRITABLE naming the cause. */
export async function writeCheckpoint(runDir: string, content: CheckpointContent, write: FileWriter = fsyncWriter): Promise<void> {
  const moments = new Map<string, RawTensor>();
  for (const [name, p] of Object.entries(content.adamw.params)) {
    moments.set(`${name}/exp_avg`, fromFloat32(p.expAvg, p.shape));
    moments.set(`${name}/exp_avg_sq`, fromFloat32(p.expAvgSq, p.shape));
  }
  await commitCheckpointFolder(
    runDir,
    [
      [MODEL_FILE, () => writeSafetensors(content.model, { format: 'pt', producer: 'funduslab', epoch: String(content.state.epoch) })],
      [OPTIMIZER_FILE, () => writeSafetensors(moments, { producer: 'funduslab', kind: 'adamw' })],
      [STATE_FILE, () => JSON.stringify(content.state, null, 1) + '\n'],
    ],
    content.state.epoch,
    write,
  );
}

/**
 * The commit protocol of the module comment for any set of files: written and fsynced into a fresh
 * temporary folder, then swapped in as `<dir>/checkpoint` (the old one kept as checkpoint.prev
 * until the swap is done). Files are produced lazily so a failure stops before the next is built.
 */
export async function commitCheckpointFolder(
  dir: string,
  files: readonly (readonly [string, () => Uint8Array | string | Promise<Uint8Array | string>])[],
  epoch: number,
  write: FileWriter = fsyncWriter,
): Promise<void> {
  const tmp = path.join(dir, `.checkpoint-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const { dir: target, previousDir: previous } = checkpointDirs(dir);
  try {
    await fsp.mkdir(tmp);
    for (const [name, make] of files) await write(path.join(tmp, name), await make());
    await syncDir(tmp);
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw new AppError(
      'NOT_WRITABLE',
      `Could not write the checkpoint of epoch ${epoch} in ${dir}: ${(err as Error).message}. The checkpoint of the previous epoch is kept.`,
    );
  }
  // Swap: checkpoint → checkpoint.prev, tmp → checkpoint, drop checkpoint.prev.
  try {
    await replaceFolder(tmp, target, previous);
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw new AppError(
      'NOT_WRITABLE',
      `Could not commit the checkpoint of epoch ${epoch} in ${dir}: ${(err as Error).message}. The checkpoint of the previous epoch is kept.`,
    );
  }
}

/** The folder holding the last complete checkpoint (checkpoint/, or checkpoint.prev/ after a crash between the renames), or null. */
export function completeCheckpointDir(dir: string, marker: string = STATE_FILE): string | null {
  const { dir: target, previousDir } = checkpointDirs(dir);
  return completeFolder(target, previousDir, marker);
}

/** The state of a run's last complete checkpoint (no tensors), or null when it has none. */
export async function readCheckpointState(runDir: string): Promise<CheckpointState | null> {
  const base = completeCheckpointDir(runDir);
  if (!base) return null;
  try {
    return CheckpointState.parse(JSON.parse(await fsp.readFile(path.join(base, STATE_FILE), 'utf8')));
  } catch (err) {
    throw new AppError('STUDY_CORRUPT', `The checkpoint ${base} is unreadable (${(err as Error).message}).`);
  }
}

/** Reads the checkpoint of a run (falling back to checkpoint.prev after a crash between renames), or null. */
export async function readCheckpoint(
  runDir: string,
): Promise<{ state: CheckpointState; modelBytes: Uint8Array; adamw: AdamWState } | null> {
  const base = completeCheckpointDir(runDir);
  if (!base) return null;
  let state: CheckpointState;
  try {
    state = CheckpointState.parse(JSON.parse(await fsp.readFile(path.join(base, STATE_FILE), 'utf8')));
  } catch (err) {
    throw new AppError(
      'STUDY_CORRUPT',
      `The checkpoint ${base} is unreadable (${(err as Error).message}); delete it to restart the run from scratch.`,
    );
  }
  const modelBytes = new Uint8Array(await fsp.readFile(path.join(base, MODEL_FILE)));
  const { tensors } = readSafetensors(new Uint8Array(await fsp.readFile(path.join(base, OPTIMIZER_FILE))), OPTIMIZER_FILE);
  const params: AdamWState['params'] = {};
  for (const [name, step] of Object.entries(state.adamw.steps)) {
    const m = tensors.get(`${name}/exp_avg`);
    const v = tensors.get(`${name}/exp_avg_sq`);
    if (!m || !v) throw new AppError('STUDY_CORRUPT', `The checkpoint ${base} lacks the AdamW moments of ${name}.`);
    params[name] = { step, shape: [...m.shape], expAvg: toFloat32(m), expAvgSq: toFloat32(v) };
  }
  const { lr, betas, eps, weightDecay } = state.adamw;
  return { state, modelBytes, adamw: { format: 'funduslab.adamw/1', lr, betas, eps, weightDecay, params } };
}

/** Removes temporary checkpoint folders left by a crash. */
export async function removeStaleTemporaries(runDir: string): Promise<void> {
  for (const name of await fsp.readdir(runDir).catch(() => [] as string[])) {
    if (name.startsWith('.checkpoint-') && name.endsWith('.tmp')) await fsp.rm(path.join(runDir, name), { recursive: true, force: true });
  }
}
