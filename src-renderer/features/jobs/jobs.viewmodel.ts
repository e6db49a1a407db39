/**
 * Everything the Jobs views show, derived from JobState by pure functions (no React, no DOM):
 * status colours and labels, progress, ETA text, ordering, and how live updates merge into the list.
 */
import type { JobState, JobStatus, JobWarning } from '../../../src-shared/jobs';
import { formatDuration } from '../../shared/format.viewmodel';
import { formatPercent } from '../../../src-shared/progress';
import { ACTIVE_STATUS, type StatusColor } from '../../shared/status';

export type { StatusColor };

const STATUS: Record<JobStatus, { label: string; color: StatusColor }> = {
  queued: ACTIVE_STATUS.queued,
  running: ACTIVE_STATUS.running,
  succeeded: { label: 'Succeeded', color: 'success' },
  failed: { label: 'Failed', color: 'error' },
  cancelled: { label: 'Cancelled', color: 'default' },
  interrupted: { label: 'Interrupted', color: 'warning' },
};

export function statusLabel(status: JobStatus): string {
  return STATUS[status].label;
}

export function statusColor(status: JobStatus): StatusColor {
  return STATUS[status].color;
}

/** What a succeeded job did not do (a whole study's blocked, failed or skipped items); empty for any other job. */
export function jobWarnings(job: Pick<JobState, 'status' | 'warnings'>): JobWarning[] {
  return job.status === 'succeeded' ? (job.warnings ?? []) : [];
}

/** `1 warning`, `3 warnings`. */
export function warningCount(n: number): string {
  return `${n} warning${n === 1 ? '' : 's'}`;
}

export function isActive(status: JobStatus): boolean {
  return status === 'queued' || status === 'running';
}

export function canCancel(status: JobStatus): boolean {
  return isActive(status);
}

export function canRetry(status: JobStatus): boolean {
  return status === 'failed' || status === 'cancelled' || status === 'interrupted';
}

/** `3 min 10 s` etc.; null when there is no estimate yet (or the value is not usable). */
export function formatEta(etaSeconds: number | null | undefined): string | null {
  return formatDuration(etaSeconds);
}

/** Progress in percent, 0-100, for a progress bar. */
export function progressPercent(job: Pick<JobState, 'progress' | 'status'>): number {
  if (job.status === 'succeeded') return 100;
  const { done, total } = job.progress;
  if (!(total > 0) || !Number.isFinite(done)) return 0;
  return Math.min(100, Math.max(0, (done / total) * 100));
}

function time(iso: string | null): number {
  if (!iso) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

const ORDER: Record<JobStatus, number> = { running: 0, queued: 1, failed: 2, interrupted: 2, cancelled: 2, succeeded: 2 };

/**
 * Running first, then queued (oldest first: the next to start on top), then finished jobs newest
 * first (by end time, falling back to creation). Ties are broken by id, so the order is stable.
 */
export function compareJobs(a: JobState, b: JobState): number {
  const rank = ORDER[a.status] - ORDER[b.status];
  if (rank !== 0) return rank;
  let diff: number;
  if (a.status === 'queued') diff = time(a.createdAt) - time(b.createdAt);
  else if (a.status === 'running') diff = time(b.startedAt ?? a.createdAt) - time(a.startedAt ?? a.createdAt);
  else diff = time(b.endedAt ?? b.createdAt) - time(a.endedAt ?? a.createdAt);
  if (diff !== 0 && Number.isFinite(diff)) return diff;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function sortJobs(jobs: readonly JobState[]): JobState[] {
  return [...jobs].sort(compareJobs);
}

/** Applies one `jobs.update` event: replaces the job with that id, or adds it. */
export function upsertJob(jobs: readonly JobState[], job: JobState): JobState[] {
  const index = jobs.findIndex((j) => j.id === job.id);
  if (index === -1) return [...jobs, job];
  const next = [...jobs];
  next[index] = job;
  return next;
}

/**
 * Merges a `jobs.list` answer with the updates that arrived while it was in flight: those are at
 * least as new as the list, so they win for their job.
 */
export function reconcileJobs(listed: readonly JobState[], updatesDuringFetch: readonly JobState[]): JobState[] {
  let merged = [...listed];
  for (const update of updatesDuringFetch) merged = upsertJob(merged, update);
  return merged;
}

/** The most recent job of a kind (by creation time), or null. */
export function latestJobOfKind(jobs: readonly JobState[], kind: JobState['kind']): JobState | null {
  let best: JobState | null = null;
  for (const job of jobs) {
    if (job.kind !== kind) continue;
    if (!best || time(job.createdAt) > time(best.createdAt) || (time(job.createdAt) === time(best.createdAt) && job.id > best.id))
      best = job;
  }
  return best;
}

export interface JobViewModel {
  id: string;
  title: string;
  status: JobStatus;
  statusLabel: string;
  statusColor: StatusColor;
  /** 0-100 for the progress bar. */
  percent: number;
  /** False for jobs that never started work (queued, or ended before any progress). */
  showProgress: boolean;
  /** `12 / 40` units. */
  counts: string;
  message: string;
  /** `about 3 min 10 s left`, or null. */
  eta: string | null;
  /** `took 1 min 05 s`, `running for 12 s`, or null. */
  elapsed: string | null;
  /** `37 %` (100 % only when finished), beside the bar. */
  percentText: string;
  /**
   * The progress line under the bar, the same numbers as the command line's: the step named once, the
   * elapsed time and the time left (`Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20 · 5 min 12 s elapsed · about 9 min left`);
   * `Queued: waiting for a worker` while queued; null when there is nothing to say.
   */
  progressLine: string | null;
  /** The running job's `5 min 12 s elapsed · about 9 min left` (the end of progressLine), or null. */
  times: string | null;
  error: string | null;
  canCancel: boolean;
  canRetry: boolean;
  /** `Resume` for an interrupted job (it continues from its last checkpoint), else `Retry`. */
  retryLabel: string;
  log: string[];
  /** A succeeded job's warnings (shown amber, "Finished with warnings", never as a plain success), each with reason and fix. */
  warnings: JobWarning[];
}

/** Job kinds that resume from their own checkpoints when run again. */
// A study resumes too: it skips what is done and its training runs continue from their checkpoints.
const RESUMABLE_KINDS: readonly JobState['kind'][] = ['train.run', 'study.run'];

export function retryLabel(job: Pick<JobState, 'status' | 'kind'>): string {
  return job.status === 'interrupted' || (job.status === 'cancelled' && RESUMABLE_KINDS.includes(job.kind)) ? 'Resume' : 'Retry';
}

export interface JobNotice {
  jobId: string;
  severity: 'success' | 'error' | 'info' | 'warning';
  text: string;
}

/**
 * The notice to show when an update ends a job the app saw active (queued or running) — finished,
 * failed, cancelled or interrupted; null for any other update (so reloading the list after a restart
 * does not replay old endings).
 */
export function endNotice(previous: Pick<JobState, 'status'> | undefined, next: JobState): JobNotice | null {
  if (!previous || !isActive(previous.status) || isActive(next.status)) return null;
  switch (next.status) {
    case 'succeeded': {
      const warnings = jobWarnings(next);
      if (warnings.length > 0)
        return {
          jobId: next.id,
          severity: 'warning',
          text: `${next.kind === 'study.run' ? 'Study' : next.title} finished with ${warningCount(warnings.length)}: see the Jobs page for what was not done and how to fix it`,
        };
      return { jobId: next.id, severity: 'success', text: `${next.title} finished` };
    }
    case 'failed':
      return { jobId: next.id, severity: 'error', text: `${next.title} failed${next.error ? `: ${next.error.message}` : ''}` };
    case 'cancelled':
      return { jobId: next.id, severity: 'info', text: `${next.title} was cancelled` };
    case 'interrupted':
      return { jobId: next.id, severity: 'warning', text: `${next.title} was interrupted; resume it on the Jobs page` };
    default:
      return null;
  }
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** `now` in ms since the epoch, for the running time of active jobs. */
export function jobViewModel(job: JobState, now: number): JobViewModel {
  const started = job.startedAt ? time(job.startedAt) : null;
  const ended = job.endedAt ? time(job.endedAt) : null;
  let elapsed: string | null = null;
  if (started !== null && Number.isFinite(started)) {
    const until = ended !== null && Number.isFinite(ended) ? ended : job.status === 'running' ? now : null;
    const text = until !== null ? formatDuration((until - started) / 1000) : null;
    if (text) elapsed = ended !== null && Number.isFinite(ended) ? `took ${text}` : `running for ${text}`;
  }
  const eta = job.status === 'running' ? formatEta(job.progress.etaSeconds) : null;
  const warnings = jobWarnings(job);
  const percent = progressPercent(job);
  const runningFor =
    job.status === 'running' && started !== null && Number.isFinite(started) ? formatDuration((now - started) / 1000) : null;
  const times = [runningFor ? `${runningFor} elapsed` : null, eta ? `about ${eta} left` : null].filter(Boolean).join(' · ') || null;
  return {
    id: job.id,
    title: job.title,
    status: job.status,
    statusLabel: warnings.length > 0 ? 'Finished with warnings' : statusLabel(job.status),
    statusColor: warnings.length > 0 ? 'warning' : statusColor(job.status),
    percent,
    percentText: formatPercent(job.status === 'succeeded' ? 1 : percent / 100),
    progressLine:
      job.status === 'queued' ? 'Queued: waiting for a worker' : [job.progress.message, times].filter(Boolean).join(' · ') || null,
    times,
    showProgress: job.status === 'running' || job.status === 'succeeded' || job.progress.done > 0,
    counts: `${formatCount(job.progress.done)} / ${formatCount(job.progress.total)}`,
    message: job.progress.message,
    eta: eta ? `about ${eta} left` : null,
    elapsed,
    // A cancelled job's error only repeats its status.
    error: job.error && job.status !== 'cancelled' ? job.error.message : null,
    canCancel: canCancel(job.status),
    canRetry: canRetry(job.status),
    retryLabel: retryLabel(job),
    log: job.log,
    warnings,
  };
}
