/**
 * The Slurm cluster submissions of the open study as the Jobs page shows them (pure, unit-tested in
 * test/unit/renderer/cluster.viewmodel.test.ts): per submission its id, time, kind and tasks per
 * state, one row per task (role, what it works on, Slurm job, state, node, elapsed, exit code,
 * reason, log), and the question asked before its jobs are cancelled. The states come as
 * `cluster.status` answers them (Slurm's view, else the task's own record); nothing here depends on
 * which.
 */
import { isActiveSlurmState, type ClusterRole, type ClusterStatus, type ClusterSubmissionStatus } from '../../../src-shared/cluster';
import { formatDateTime, formatRelativeTime } from '../../shared/format.viewmodel';
import type { StatusColor } from '../../shared/status';
import type { DialogText } from '../trash/trash.viewmodel';

/** While a task is pending or running, the status is re-read this often. */
export const CLUSTER_POLL_MS = 15_000;

/** The command that submits a study's grid to Slurm (the hint shown while the study has no submission). */
export const CLUSTER_SUBMIT_COMMAND = 'funduslab grid --study <dir> --executor slurm';

const ROLE_LABELS: Record<ClusterRole, string> = {
  prepare: 'Prepare',
  pretrain: 'Pretraining',
  train: 'Training',
  finish: 'Finish',
};

/** The order tasks per state are listed in: active first, then the finished ones, failures before successes. */
const STATE_ORDER = [
  'RUNNING',
  'COMPLETING',
  'CONFIGURING',
  'PENDING',
  'REQUEUED',
  'SUSPENDED',
  'FAILED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'CANCELLED',
  'COMPLETED',
];

const ERROR_STATES = new Set(['FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE']);
const RUNNING_STATES = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);

/** A Slurm state's first word ("CANCELLED by 0" → CANCELLED, "CANCELLED+" → CANCELLED). */
export function baseState(state: string): string {
  return (state.trim().split(/\s/)[0] ?? '').replace(/\+$/, '').toUpperCase();
}

/** The chip colour of a Slurm state: running blue, waiting light blue, done green, failed red, cancelled or preempted amber. */
export function slurmStateColor(state: string): StatusColor {
  const s = baseState(state);
  if (RUNNING_STATES.has(s)) return 'primary';
  if (s === 'COMPLETED') return 'success';
  if (ERROR_STATES.has(s)) return 'error';
  if (s === 'CANCELLED' || s === 'PREEMPTED' || s === 'REVOKED') return 'warning';
  if (isActiveSlurmState(s)) return 'info';
  return 'default';
}

/** `123_4` for an array task, `123` for a plain job, null before the job was submitted (a dry run). */
export function jobText(jobId: string | null, arrayIndex: number | null): string | null {
  if (jobId === null) return null;
  return arrayIndex === null ? jobId : `${jobId}_${arrayIndex}`;
}

/** A state with the reason a pending task waits: `PENDING (Dependency)`. */
export function stateText(state: string, reason: string | null): string {
  return reason && reason !== 'None' ? `${state} (${reason})` : state;
}

export interface ClusterTaskRow {
  key: string;
  role: string;
  /** The run id, the pretraining id, "finish" or "prepare". */
  label: string;
  /** `123_4`, or — before submission. */
  job: string;
  state: string;
  stateColor: StatusColor;
  node: string;
  elapsed: string;
  exitCode: string;
  /** Why a pending task waits (Slurm), else the message the task recorded (why it failed), else —. */
  reason: string;
  /** The task log, absolute. */
  log: string;
  /** The task log relative to the study folder (`cluster/<id>/123_4.log`), or absolute when it lies outside. */
  logShort: string;
}

export interface ClusterCount {
  state: string;
  count: number;
  color: StatusColor;
}

export interface ClusterSubmissionModel {
  id: string;
  /** `Training grid` or `Whole study`, with `(dry run)` when nothing was submitted. */
  kind: string;
  /** `5 min ago`. */
  created: string;
  /** The full date and time (the relative one's tooltip). */
  createdTitle: string;
  /** Tasks per state, active states first. */
  counts: ClusterCount[];
  /** `2 running · 1 pending · 3 completed`. */
  countsText: string;
  rows: ClusterTaskRow[];
  /** Some task is pending or running: it can be cancelled. */
  canCancel: boolean;
}

export interface ClusterSectionModel {
  submissions: ClusterSubmissionModel[];
  /** Why Slurm's view is missing or partial. */
  notes: string[];
  /** Some task of some submission is pending or running (the page re-reads the status while true). */
  active: boolean;
}

function stateRank(state: string): number {
  const i = STATE_ORDER.indexOf(baseState(state));
  return i < 0 ? STATE_ORDER.length : i;
}

/** Tasks per state in the order of STATE_ORDER (unknown states last, by name). */
export function countsOf(counts: Record<string, number>): ClusterCount[] {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => stateRank(a) - stateRank(b) || a.localeCompare(b))
    .map(([state, count]) => ({ state, count, color: slurmStateColor(state) }));
}

/** `file` relative to `root` when it lies inside it (either separator), else `file` itself. */
export function insideStudy(file: string, root: string): string {
  const base = root.replace(/[\\/]+$/, '');
  return base && file.startsWith(base) && /^[\\/]/.test(file.slice(base.length)) ? file.slice(base.length + 1) : file;
}

/** `studyRoot`: the study folder, for the logs' short paths. */
export function submissionModel(sub: ClusterSubmissionStatus, now: number, studyRoot = ''): ClusterSubmissionModel {
  const counts = countsOf(sub.counts);
  return {
    id: sub.id,
    kind: `${sub.kind === 'study' ? 'Whole study' : 'Training grid'}${sub.dryRun ? ' (dry run)' : ''}`,
    created: formatRelativeTime(sub.createdAt, now),
    createdTitle: formatDateTime(sub.createdAt),
    counts,
    countsText: counts.map((c) => `${c.count} ${c.state.toLowerCase()}`).join(' · ') || 'no tasks',
    rows: sub.tasks.map((t) => ({
      key: `${t.role}-${t.index}`,
      role: ROLE_LABELS[t.role],
      label: t.label,
      job: jobText(t.jobId, t.arrayIndex) ?? '—',
      state: t.state,
      stateColor: slurmStateColor(t.state),
      node: t.node ?? '—',
      elapsed: t.elapsed ?? '—',
      exitCode: t.exitCode ?? '—',
      reason: t.reason && t.reason !== 'None' ? t.reason : (t.record?.message ?? '—'),
      log: t.log,
      logShort: insideStudy(t.log, studyRoot),
    })),
    canCancel: !sub.dryRun && sub.tasks.some((t) => isActiveSlurmState(t.state)),
  };
}

/** The section of the Jobs page: submissions newest first (as `cluster.status` orders them), its notes, whether anything is active. */
export function clusterSection(status: ClusterStatus, now: number): ClusterSectionModel {
  const submissions = status.submissions.map((s) => submissionModel(s, now, status.study));
  return { submissions, notes: status.notes, active: isClusterActive(status) };
}

/** Some task of some submission is pending or running. */
export function isClusterActive(status: ClusterStatus | null): boolean {
  return status !== null && status.submissions.some((s) => s.tasks.some((t) => isActiveSlurmState(t.state)));
}

/** The question before a submission's jobs are cancelled: which Slurm jobs, and what is kept. `study`: the study folder. */
export function cancelDialog(sub: ClusterSubmissionStatus, study = '<dir>'): DialogText {
  const active = sub.tasks.filter((t) => isActiveSlurmState(t.state));
  const jobs = sub.jobs.filter((j) => j.jobId !== null && active.some((t) => t.role === j.role));
  const tasks = `${active.length} task${active.length === 1 ? '' : 's'}`;
  return {
    title: `Cancel cluster submission ${sub.id}?`,
    body: `Slurm cancels the ${tasks} of this submission still pending or running (scancel). Finished runs stay as they are; a cancelled run keeps its last checkpoint and resumes from it when the grid is submitted again (funduslab grid --study ${study} --executor slurm --retry-failed).`,
    items: jobs.map((j) => {
      const n = active.filter((t) => t.role === j.role).length;
      return `${ROLE_LABELS[j.role]}: job ${j.jobId} (${n} task${n === 1 ? '' : 's'} active)`;
    }),
    confirmLabel: 'Cancel the Slurm jobs',
  };
}

/** What a cancel did, in one sentence. */
export function cancelledText(id: string, cancelled: readonly string[]): string {
  if (cancelled.length === 0) return `Nothing to cancel in ${id}: none of its jobs is pending or running.`;
  return `Cancelled Slurm job${cancelled.length === 1 ? '' : 's'} ${cancelled.join(', ')} of ${id}.`;
}
