/**
 * Steering a run without stopping its process (docs/design.md "Steering a run"):
 *
 * - "Finish after this epoch" (requestStop): writes runs/<id>/stop-request.json atomically. The
 *   process that trains the run (whichever: a CLI command, the app's job worker, a cluster task on
 *   another host sharing the folder) reads it after each finished epoch, ends the run normally
 *   (checkpoint, validation and best model of that epoch kept, metrics.json written with
 *   `stoppedByRequest`) and removes it. Only a run whose work lock is held by a live trainer takes a
 *   request; a request the run did not need (it finished anyway) is removed when it ends.
 * - "Extend to N epochs" (extendRun): a finished, stopped or unfinished run not being trained now
 *   gets spec.epochs = N and an entry in spec.extensions ({from, previousEpochs, to, at, equivalent});
 *   metrics.json moves aside to metrics-until-epoch-<E>.json, so training the run again (same run id)
 *   resumes from its last checkpoint. The extended spec has its own specHash: grid cells, cluster
 *   plans and results never take it for the unextended run.
 *
 * Pure file work (no tfjs): the app's main process calls it.
 */
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { AppError } from '../../../src-shared/errors';
import { RunExtension, TrainingSpec, scheduleTotalAt } from '../../../src-shared/training';
import { learningRateAt } from '../../engine/optim/schedule';
import { writeJsonAtomic } from '../../fs/atomic';
import type { RunLayout } from '../study-folder/layout';
import { activeWorkLockHolder, holderWhere, RunBusyError, withWorkLock, type LockHolder } from '../study-folder/lock';
import { readCheckpointState } from '../training/checkpoint';
import { readRunInfo } from './run-info';

/** runs/<id>/stop-request.json */
export const StopRequest = z
  .object({
    requestedAt: z.string(),
    /** Who asked: "funduslab runs stop (pid 4711 on host n1)", "the FundusLab app (…)". */
    requestedBy: z.string(),
  })
  .strict();
export type StopRequest = z.infer<typeof StopRequest>;

/** Who asks, as a request or an extension names it: `what` (pid … on host …). */
export function requester(what: string): string {
  return `${what} (pid ${process.pid} on host ${os.hostname()})`;
}

/** The run's pending stop request, or null. A file that is not a request (damaged by hand) still counts as one, by an unknown requester. */
export async function readStopRequest(files: RunLayout): Promise<StopRequest | null> {
  let text: string;
  try {
    text = await fsp.readFile(files.stopRequest, 'utf8');
  } catch {
    return null;
  }
  try {
    return StopRequest.parse(JSON.parse(text));
  } catch {
    return { requestedAt: new Date().toISOString(), requestedBy: `an unreadable ${files.stopRequest}` };
  }
}

export async function clearStopRequest(files: RunLayout): Promise<void> {
  await fsp.rm(files.stopRequest, { force: true });
}

export interface StopAnswer {
  runId: string;
  /** What trains the run and where ("funduslab grid (Slurm job 12_3 on host n1)"). */
  trainer: string;
  /** Epochs finished so far (the checkpoint's) and planned. */
  epochsDone: number;
  epochs: number;
  request: StopRequest;
}

/**
 * Asks the process that trains `runId` to finish it after its current epoch. Refused (naming the run)
 * when the run does not exist, already finished, or is not being trained by any live process.
 */
export async function requestStop(studyPath: string, runId: string, by: string, now = new Date()): Promise<StopAnswer> {
  const info = await readRunInfo(studyPath, runId, 'run');
  const { files } = info;
  if (info.result)
    throw new AppError('CONFLICT', `Run ${runId} already finished (${files.metrics}): there is no epoch to finish after.`, [
      { path: 'run', message: 'already finished' },
    ]);
  const holder = await activeWorkLockHolder(files.dir);
  const state = await readCheckpointState(files.dir).catch(() => null);
  const epochsDone = state?.epoch ?? 0;
  if (!holder)
    throw new AppError(
      'CONFLICT',
      `Run ${runId} is not being trained (no process holds ${files.dir}/.lock): there is nothing to stop. It stands at epoch ${epochsDone} of ${info.spec.epochs}.`,
      [{ path: 'run', message: 'not being trained' }],
    );
  const request: StopRequest = { requestedAt: now.toISOString(), requestedBy: by };
  await writeJsonAtomic(files.stopRequest, request);
  return { runId, trainer: trainerText(holder), epochsDone, epochs: info.spec.epochs, request };
}

function trainerText(holder: LockHolder): string {
  return `${holder.what} (${holderWhere(holder)})`;
}

export interface ExtendAnswer {
  runId: string;
  spec: TrainingSpec;
  extension: RunExtension;
  /** Where the result of the run before the extension was moved (null when it had none). */
  previousResult: string | null;
}

/**
 * Extends `runId` to `epochs` (see the module comment). Refused, with nothing changed, when the run does
 * not exist, is being trained now, has no checkpoint, has `epochs` or more done (or planned, when it has
 * not finished), stopped within an epoch, or was ended by early stopping (or would have been: its
 * patience ran out at its last epoch).
 */
export async function extendRun(studyPath: string, runId: string, epochs: number, by: string, now = new Date()): Promise<ExtendAnswer> {
  if (!Number.isInteger(epochs) || epochs <= 0)
    throw new AppError('BAD_REQUEST', `--epochs must be a positive whole number of epochs, got ${epochs}.`, [
      { path: 'epochs', message: 'a positive integer' },
    ]);
  const before = await readRunInfo(studyPath, runId, 'run');
  // Whoever trains it (also this very process, which the work lock would let in again) refuses the extension.
  const holder = await activeWorkLockHolder(before.files.dir);
  if (holder) throw new RunBusyError(holder, before.files.dir);
  return withWorkLock(before.files.dir, by, async () => {
    // Read again holding the lock: another process may have changed the run meanwhile.
    const info = await readRunInfo(studyPath, runId, 'run');
    const { files, spec } = info;
    const state = await readCheckpointState(files.dir);
    if (!state)
      throw new AppError(
        'CONFLICT',
        `Run ${runId} has no checkpoint (${files.checkpoint.dir}): it cannot be continued. Train it (funduslab train) or start a longer run under a new id.`,
        [{ path: 'run', message: 'no checkpoint' }],
      );
    const done = state.epoch;
    if (state.partial)
      throw new AppError(
        'CONFLICT',
        `Run ${runId} stopped within epoch ${state.partial.epoch} (${state.partial.batches} training batches done): train it to the end of that epoch first (funduslab train ${files.spec} --study ${studyPath} --run-id ${runId}), then extend it.`,
        [{ path: 'run', message: 'stopped within an epoch' }],
      );
    const minimum = info.result ? done : Math.max(done, spec.epochs);
    if (epochs <= minimum)
      throw new AppError(
        'BAD_REQUEST',
        `Run ${runId} has ${info.result ? `${done} epochs done` : `${done} epochs done of ${spec.epochs} planned`}: --epochs must be more than ${minimum}, got ${epochs}.`,
        [{ path: 'epochs', message: `more than ${minimum}` }],
      );
    const patience = spec.earlyStoppingPatience;
    if (state.stoppedEarly || (patience !== null && state.epochsWithoutImprovement >= patience))
      throw new AppError(
        'CONFLICT',
        `Run ${runId} ${state.stoppedEarly ? 'was ended by early stopping' : 'ran out of its early-stopping patience'} at epoch ${done} (${state.epochsWithoutImprovement} epochs without a better validation AUC, patience ${patience}): a longer run would have stopped there too, so it is not extended. Train a longer run under a new id instead.`,
        [{ path: 'run', message: 'ended by early stopping' }],
      );
    const extended = {
      ...spec,
      epochs,
      extensions: [
        ...(spec.extensions ?? []),
        { from: done, previousEpochs: spec.epochs, to: epochs, at: now.toISOString(), equivalent: false },
      ],
    };
    const extension: RunExtension = { ...extended.extensions.at(-1)!, equivalent: equivalentToUninterrupted(extended) };
    extended.extensions[extended.extensions.length - 1] = extension;
    const next = TrainingSpec.parse(extended);
    // metrics.json first: a crash before spec.json is replaced leaves an unfinished run of the old length, which training finishes again.
    let previousResult: string | null = null;
    if (existsSync(files.metrics)) {
      previousResult = files.metricsBeforeExtension(done);
      await fsp.rename(files.metrics, previousResult);
    }
    await writeJsonAtomic(files.spec, next);
    return { runId, spec: next, extension, previousResult };
  });
}

/**
 * Whether a run with this history of extensions trains exactly as an uninterrupted run of spec.epochs:
 * the learning rate of every epoch is the same (checked epoch by epoch) — true for schedules that do
 * not depend on the run length (constant, step), false for a cosine over the run length.
 */
export function equivalentToUninterrupted(spec: Pick<TrainingSpec, 'epochs' | 'extensions' | 'lr' | 'schedule' | 'warmup'>): boolean {
  const at = (epoch: number, total: number) => {
    try {
      return learningRateAt(spec.lr, spec.schedule, epoch - 1, { warmup: spec.warmup, totalSteps: total });
    } catch (error) {
      throw new AppError(
        'BAD_REQUEST',
        `The learning-rate schedule cannot be evaluated for epoch ${epoch} of ${total}: ${(error as Error).message}`,
        [{ path: 'epochs', message: 'schedule undefined' }],
      );
    }
  };
  for (let e = 1; e <= spec.epochs; e++) if (at(e, scheduleTotalAt(spec, e)) !== at(e, spec.epochs)) return false;
  return true;
}
