/**
 * The task side of a Slurm submission: one array task (or the finish/prepare job) running one unit of
 * work in the study, with no state beyond the study folder. A task
 * - checks it runs the FundusLab version that submitted (a changed install is refused, naming both);
 * - records itself in `tasks/<role>-<index>.json` (running → done / failed / requeued / cancelled,
 *   host, times, how often it started), beside Slurm's own accounting;
 * - on the signal Slurm sends before the time limit (sbatch --signal=B:USR1@120) stops after the batch
 *   it trains, writes a checkpoint of the batches done (a MoCo pretraining keeps its last finished
 *   epoch) and requeues itself (`scontrol requeue`), so the task runs again later and resumes from that
 *   checkpoint; on SIGTERM (scancel, preemption, a requeue by the administrator) it stops the same way
 *   and leaves the requeue to Slurm;
 * - finds its cell in the study's grid again and refuses when the cell's settings changed since the
 *   submission (its run id or spec hash differ); a run already finished ends the task at once (exit 0).
 */
import os from 'node:os';
import type { ClusterRole, Submission, TaskRecord } from '../../../src-shared/cluster';
import { AppError } from '../../../src-shared/errors';
import { TrainingSpec } from '../../../src-shared/training';
import type { GridCell } from '../../../src-shared/grid';
import { writeJsonAtomic } from '../../fs/atomic';
import { APP_VERSION } from '../../version';
import { studyLayout } from '../study-folder/layout';
import { configureStudyLock } from '../study-folder/lock';
import { gridView } from '../training/grid';
import { specHash } from '../training/run-id';
import { Slurm } from './slurm';
import { readSubmission, readTaskRecord } from './status';

/**
 * Lets Slurm judge locks left by cluster tasks: a run's lock whose Slurm job has ended is stale at once
 * (instead of after the heartbeat timeout). Installed by every FundusLab process that trains (the CLI,
 * the app's workers); where Slurm cannot be asked the other stale rules apply.
 */
export function judgeLocksWithSlurm(): void {
  const slurm = new Slurm();
  configureStudyLock({ jobEnded: (id) => slurm.jobEnded(id) });
}

/** The Slurm variables of the running task (null outside Slurm). */
export interface SlurmTaskEnv {
  jobId: string;
  arrayJobId: string | null;
  arrayTaskId: number | null;
}

export function slurmTaskEnv(env: NodeJS.ProcessEnv = process.env): SlurmTaskEnv | null {
  if (!env.SLURM_JOB_ID) return null;
  const task = env.SLURM_ARRAY_TASK_ID === undefined ? null : Number(env.SLURM_ARRAY_TASK_ID);
  return { jobId: env.SLURM_JOB_ID, arrayJobId: env.SLURM_ARRAY_JOB_ID ?? null, arrayTaskId: Number.isInteger(task) ? task : null };
}

/** `<array job>_<index>` of an array task, else the job id: what scontrol requeue and scancel take. */
export function slurmTaskId(t: SlurmTaskEnv): string {
  return t.arrayJobId !== null && t.arrayTaskId !== null ? `${t.arrayJobId}_${t.arrayTaskId}` : t.jobId;
}

/** Refuses a task whose FundusLab is not the version that submitted it. */
export function checkVersion(sub: Submission): void {
  if (sub.appVersion !== APP_VERSION)
    throw new AppError(
      'BAD_REQUEST',
      `Submission ${sub.id} was made with FundusLab ${sub.appVersion}, but this task runs FundusLab ${APP_VERSION} (${sub.cli.script}). ` +
        'Keep the installation the submission used until its tasks end, or submit again.',
      [{ path: 'submission', message: 'version mismatch' }],
    );
}

/**
 * The grid cell a submitted cell stands for, now: the same strategy, fraction and seed, refused
 * (naming what changed) when its run id or settings are not the submitted ones.
 */
export async function currentCell(study: string, sub: Submission, index: number): Promise<GridCell & { parsed: TrainingSpec }> {
  const submitted = sub.cells[index];
  if (!submitted)
    throw new AppError('BAD_REQUEST', `Submission ${sub.id} has ${sub.cells.length} cells; there is no cell ${index}.`, [
      { path: 'cell', message: `expected 0–${sub.cells.length - 1}` },
    ]);
  const view = await gridView(study);
  const cell = view.cells.find((c) => c.strategy === submitted.strategy && c.fraction === submitted.fraction && c.seed === submitted.seed);
  const what = `${submitted.strategy}, fraction ${submitted.fraction}, seed ${submitted.seed}`;
  if (!cell || cell.spec === null)
    throw new AppError(
      'BAD_REQUEST',
      `The study's grid no longer has the cell ${what} that submission ${sub.id} was made for; submit again.`,
    );
  const parsed = TrainingSpec.parse(cell.spec);
  if (cell.runId !== submitted.runId || specHash(parsed) !== submitted.specHash)
    throw new AppError(
      'BAD_REQUEST',
      `The grid's cell ${what} changed since submission ${sub.id} (run ${submitted.runId} then, ${cell.runId} now${specHash(parsed) !== submitted.specHash ? ', other settings' : ''}); submit again.`,
    );
  return { ...cell, parsed };
}

export interface ClusterTaskOptions {
  env?: NodeJS.ProcessEnv;
  slurm?: Slurm;
  log?: (line: string) => void;
  /** The process whose signals stop the task (tests give an EventEmitter). */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/**
 * Runs one task of a submission (see the module comment): `work` gets an AbortSignal that fires on
 * USR1/TERM. Resolves to the exit code: 0 done (or checkpointed and requeued), 1 failed, 143 stopped by
 * SIGTERM.
 */
export async function runClusterTask(
  studyPath: string,
  submissionId: string,
  role: ClusterRole,
  index: number,
  work: (sub: Submission, signal: AbortSignal) => Promise<string | null>,
  opts: ClusterTaskOptions = {},
): Promise<number> {
  const study = studyLayout(studyPath).root;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = slurmTaskEnv(opts.env ?? process.env);
  const sub = await readSubmission(study, submissionId);
  checkVersion(sub);
  const file = studyLayout(study).clusterSubmission(sub.id).taskRecord(role, index);
  const before = await readTaskRecord(study, sub.id, role, index);
  const record: TaskRecord = {
    role,
    index,
    jobId: env?.jobId ?? `local-${process.pid}`,
    arrayJobId: env?.arrayJobId ?? null,
    host: os.hostname(),
    state: 'running',
    startedAt: new Date().toISOString(),
    endedAt: null,
    starts: (before?.starts ?? 0) + 1,
    exitCode: null,
    message: null,
  };
  const write = () => writeJsonAtomic(file, record);
  await write();
  log(
    `FundusLab ${APP_VERSION} · submission ${sub.id} · ${role} task ${index} on ${record.host}${record.starts > 1 ? ` (start ${record.starts})` : ''}`,
  );

  const controller = new AbortController();
  let stoppedBy: 'USR1' | 'TERM' | null = null;
  const onUsr1 = () => {
    stoppedBy ??= 'USR1';
    log('Slurm signalled the time limit: stopping after this batch with a checkpoint, then requeueing.');
    controller.abort();
  };
  const onTerm = () => {
    stoppedBy ??= 'TERM';
    log('Stopped by Slurm (SIGTERM: cancelled, preempted or requeued): stopping after this batch with a checkpoint.');
    controller.abort();
  };
  const signals = opts.signals ?? process;
  signals.on('SIGUSR1', onUsr1);
  signals.on('SIGTERM', onTerm);
  const end = async (state: TaskRecord['state'], exitCode: number, message: string | null) => {
    Object.assign(record, { state, exitCode, message, endedAt: new Date().toISOString() });
    await write();
    return exitCode;
  };
  try {
    const message = await work(sub, controller.signal);
    return await end('done', 0, message);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'CANCELLED' && stoppedBy === 'USR1') {
      if (!sub.options.requeue || !env)
        return await end('cancelled', 0, 'checkpointed before the time limit; requeue is off: submit it again with --retry-failed');
      // Recorded first: Slurm stops this process once the requeue is accepted.
      await end('requeued', 0, 'checkpointed before the time limit; requeued');
      try {
        await (opts.slurm ?? new Slurm()).requeue(slurmTaskId(env));
      } catch (requeueError) {
        const why = (requeueError as Error).message;
        return await end(
          'cancelled',
          0,
          `checkpointed before the time limit; requeueing failed (${why}): submit it again with --retry-failed`,
        );
      }
      return 0;
    }
    if (e.code === 'CANCELLED') return await end('cancelled', 143, 'stopped by SIGTERM; resumes from its checkpoint when started again');
    log(`${role} task ${index} failed: ${e.message ?? String(err)}`);
    return await end('failed', 1, e.message ?? String(err));
  } finally {
    signals.off('SIGUSR1', onUsr1);
    signals.off('SIGTERM', onTerm);
  }
}
