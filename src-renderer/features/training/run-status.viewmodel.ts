/**
 * The status of each run of the training grid (pure, unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts): the run a `train.run` job trains (matched with
 * defaultRunId), the latest job of each run, and the run's status merged from its grid cell (read
 * from the run folder by the main side) and that job, with the status's label and colour.
 */
import { defaultRunId, type GridCell } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import type { TrainingStrategy } from '../../../src-shared/training';
import { ACTIVE_STATUS, type StatusColor } from '../../shared/status';
import { isNum, isStr, obj } from './training-common.viewmodel';

/** The run id of a train.run job (defaultRunId of its parameters), or null for other jobs. */
export function runIdOfJob(job: Pick<JobState, 'kind' | 'params'>): string | null {
  if (job.kind !== 'train.run') return null;
  const p = obj(job.params);
  if (!isStr(p.strategy) || !isStr(p.arch) || !isNum(p.fraction) || !isNum(p.seed)) return null;
  return defaultRunId({
    strategy: p.strategy as TrainingStrategy,
    arch: p.arch,
    fraction: p.fraction,
    seed: p.seed,
    datasetId: isStr(p.datasetId) ? p.datasetId : undefined,
  });
}

function samePath(a: string | null, b: string | null): boolean {
  const norm = (p: string | null) => (p ?? '').replace(/[\\/]+$/, '');
  return a !== null && b !== null && norm(a) === norm(b);
}

const time = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
};

/**
 * The latest train.run job of each run of the study (a retry is a new job: the newest one speaks for
 * the run). `runIdOf` names a job's run folder (default: defaultRunId of its parameters).
 */
export function trainJobsByRun(
  jobs: readonly JobState[],
  studyPath: string | null,
  runIdOf: (job: JobState) => string | null = runIdOfJob,
): Map<string, JobState> {
  const byRun = new Map<string, JobState>();
  for (const job of jobs) {
    if (!samePath(job.studyPath, studyPath)) continue;
    const runId = runIdOf(job);
    if (!runId) continue;
    const current = byRun.get(runId);
    if (
      !current ||
      time(job.createdAt) > time(current.createdAt) ||
      (time(job.createdAt) === time(current.createdAt) && job.id > current.id)
    )
      byRun.set(runId, job);
  }
  return byRun;
}

/**
 * A signature of the study's train.run jobs that changes when one of them changes status: the page
 * re-reads grid.get then (epochs done and best AUC come from the run folders).
 */
export function trainJobsSignature(jobs: readonly JobState[], studyPath: string | null): string {
  return [...trainJobsByRun(jobs, studyPath).entries()]
    .map(([runId, j]) => `${runId}:${j.id}:${j.status}`)
    .sort()
    .join('|');
}

export type RunStatus = 'pending' | 'queued' | 'running' | 'partial' | 'done' | 'blocked' | 'invalid' | 'failed';

/** Each run status's label and the colour of its chip. */
export const RUN_STATUS: Record<RunStatus, { label: string; color: StatusColor }> = {
  pending: { label: 'Pending', color: 'default' },
  queued: ACTIVE_STATUS.queued,
  running: ACTIVE_STATUS.running,
  partial: { label: 'Partial', color: 'warning' },
  done: { label: 'Done', color: 'success' },
  blocked: { label: 'Blocked', color: 'warning' },
  invalid: { label: 'Invalid', color: 'error' },
  failed: { label: 'Failed', color: 'error' },
};

/**
 * One run's status from its grid cell (the run folder: pending, partial, done; blocked, invalid) and
 * its latest job. A queued or running job is the live truth; a finished run folder wins over any job;
 * a job that succeeded before the grid was re-read counts as done; a failed job marks an unfinished
 * run failed (with the job's error); a cancelled or interrupted job leaves the folder's status, with a note.
 */
export function mergeRunStatus(
  cell: Pick<GridCell, 'status' | 'reason'>,
  job: Pick<JobState, 'status' | 'error'> | null,
): { status: RunStatus; reason: string | null; note: string | null } {
  if (cell.status === 'invalid') return { status: 'invalid', reason: cell.reason, note: null };
  if (job?.status === 'queued') return { status: 'queued', reason: null, note: null };
  if (job?.status === 'running') return { status: 'running', reason: null, note: null };
  if (cell.status === 'done' || job?.status === 'succeeded') return { status: 'done', reason: null, note: null };
  if (cell.status === 'blocked') return { status: 'blocked', reason: cell.reason, note: null };
  if (job?.status === 'failed') return { status: 'failed', reason: job.error?.message ?? 'The job failed without a message.', note: null };
  const note = job?.status === 'cancelled' ? 'cancelled' : job?.status === 'interrupted' ? 'interrupted (FundusLab stopped)' : null;
  return { status: cell.status, reason: null, note };
}

/**
 * The run a running whole-study job of the study trains now (its progress names it), or null: the grid shows that run
 * *Running* although no train.run job of its own exists. A queued study trains nothing yet.
 */
export function studyTrainingRunId(
  jobs: readonly Pick<JobState, 'kind' | 'status' | 'studyPath' | 'progress'>[],
  studyPath: string | null,
): string | null {
  for (const job of jobs)
    if (job.kind === 'study.run' && job.status === 'running' && samePath(job.studyPath, studyPath) && job.progress.runId)
      return job.progress.runId;
  return null;
}
