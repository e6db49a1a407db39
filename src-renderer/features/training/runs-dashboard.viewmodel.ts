/**
 * The runs dashboard of the Training page (pure, unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts): one cell per run with its merged status, progress,
 * epochs, best validation AUC, settings and the actions its job allows, laid out strategies × fractions
 * with one entry per seed, the one-line summary of the whole grid, a "settings differ" marker, and the
 * run folders no cell trains now (outdated runs, with the settings that differ). A run of a Slurm
 * cluster submission carries its cluster state (its latest submission's task) as a chip.
 */
import type { RunClusterState } from '../../../src-shared/cluster';
import type { GridCell, GridView } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import { canonicalJson, type TrainingStrategy } from '../../../src-shared/training';
import { formatDuration } from '../../shared/format.viewmodel';
import type { StatusColor } from '../../shared/status';
import { formatFraction, strategyRank } from '../../shared/strategies';
import { jobText, slurmStateColor, stateText } from '../jobs/cluster.viewmodel';
import { progressPercent } from '../jobs/jobs.viewmodel';
import { RUN_STATUS, mergeRunStatus, runIdOfJob, studyTrainingRunId, trainJobsByRun, type RunStatus } from './run-status.viewmodel';
import { outdatedChip, settingsDiffer, settingsLine, settingsText, type OutdatedChip, type SettingsText } from './run-settings.viewmodel';
import { epochsText, formatAuc } from './training-common.viewmodel';

export interface RunCellModel {
  runId: string;
  strategy: TrainingStrategy;
  fraction: number;
  seed: number;
  status: RunStatus;
  statusLabel: string;
  statusColor: StatusColor;
  reason: string | null;
  note: string | null;
  /** 0-100; the job's progress while it is active, else the finished share of epochs. */
  percent: number;
  /** Queued: an indeterminate bar. */
  indeterminate: boolean;
  /** `3 / 10 epochs`. */
  epochs: string;
  /** `AUC 0.812` (best validation AUC so far) or null. */
  bestAuc: string | null;
  /** `2 min 10 s left` or null. */
  eta: string | null;
  /** The running job's own progress message (e.g. the batch and loss). */
  message: string | null;
  jobId: string | null;
  canCancel: boolean;
  canRetry: boolean;
  /** `6 epochs · lr 0.001 · batch 16 · 64 px` (absent when the cell has no settings: invalid). */
  settings?: string;
  /** e.g. "identity incomplete (trained before identity tracking)"; absent otherwise. */
  identityNote?: string;
  /** The run's task in its latest Slurm cluster submission; absent when no submission has it. */
  cluster?: ClusterChipModel;
}

/** A run's cluster state as a chip: `RUNNING · job 123_4`, `PENDING (Dependency)`. */
export interface ClusterChipModel {
  /** The Slurm state (or UNKNOWN), for data attributes. */
  state: string;
  label: string;
  color: StatusColor;
  /** `Cluster submission <id>: job 123_4, PENDING (Dependency)`. */
  title: string;
}

export function clusterChip(state: RunClusterState | null | undefined): ClusterChipModel | null {
  if (!state) return null;
  const job = jobText(state.jobId, state.arrayIndex);
  const withReason = stateText(state.state, state.reason);
  return {
    state: state.state,
    label: withReason !== state.state || job === null ? withReason : `${state.state} · job ${job}`,
    color: slurmStateColor(state.state),
    title: `Cluster submission ${state.submission}: ${job === null ? 'not submitted (dry run)' : `job ${job}`}, ${withReason}`,
  };
}

/**
 * `trainedByStudy`: a running whole-study job trains this run now (it shows Running; the study job's card carries its progress).
 * `cluster`: the run's state in its latest Slurm cluster submission.
 */
export function runCellModel(
  cell: GridCell,
  job: JobState | null,
  trainedByStudy = false,
  cluster: RunClusterState | null = null,
): RunCellModel {
  const own = mergeRunStatus(cell, job);
  const byStudy =
    trainedByStudy && own.status !== 'done' && own.status !== 'invalid' && own.status !== 'queued' && own.status !== 'running';
  const merged = byStudy ? { status: 'running' as const, reason: null, note: null } : own;
  const active = merged.status === 'queued' || merged.status === 'running';
  const share = cell.epochs > 0 ? Math.min(100, (cell.epochsDone / cell.epochs) * 100) : 0;
  const percent = merged.status === 'done' ? 100 : active && job && !byStudy ? progressPercent(job) : share;
  const eta = merged.status === 'running' && job && !byStudy ? formatDuration(job.progress.etaSeconds) : null;
  return {
    runId: cell.runId,
    strategy: cell.strategy,
    fraction: cell.fraction,
    seed: cell.seed,
    status: merged.status,
    statusLabel: RUN_STATUS[merged.status].label,
    statusColor: RUN_STATUS[merged.status].color,
    reason: merged.reason,
    note: merged.note,
    percent,
    indeterminate: merged.status === 'queued',
    epochs: `${merged.status === 'done' && cell.status !== 'done' ? cell.epochs : cell.epochsDone} / ${epochsText(cell.epochs)}`,
    bestAuc: cell.bestValAuc === null ? null : `AUC ${formatAuc(cell.bestValAuc)}`,
    eta: eta ? `${eta} left` : null,
    message: merged.status === 'running' && !byStudy && job?.progress.message ? job.progress.message : null,
    jobId: job?.id ?? null,
    canCancel: active && job !== null && !byStudy,
    canRetry:
      job !== null &&
      (job.status === 'failed' || job.status === 'cancelled' || job.status === 'interrupted') &&
      merged.status !== 'done' &&
      merged.status !== 'blocked' &&
      merged.status !== 'invalid',
    settings: cell.settings ? settingsLine(cell.settings) : undefined,
    identityNote: cell.note ?? undefined,
    cluster: clusterChip(cluster) ?? undefined,
  };
}

/** A run folder no cell trains now (GridView.others): outdated, or outside the grid's cells. */
export interface OtherRunModel {
  runId: string;
  strategy: TrainingStrategy;
  fraction: string;
  seed: number;
  settings: SettingsText;
  outdated: OutdatedChip | null;
  /** `finished · AUC 0.812`, `unfinished`. */
  state: string;
  identityNote: string | null;
}

export function otherRuns(view: Pick<GridView, 'others'>): OtherRunModel[] {
  return [...(view.others ?? [])]
    .sort(
      (a, b) =>
        strategyRank(a.strategy) - strategyRank(b.strategy) || a.fraction - b.fraction || a.seed - b.seed || (a.runId < b.runId ? -1 : 1),
    )
    .map((r) => ({
      runId: r.runId,
      strategy: r.strategy,
      fraction: formatFraction(r.fraction),
      seed: r.seed,
      settings: settingsText(r.settings),
      outdated: outdatedChip(r.standing),
      state: r.finished ? `finished${r.bestValAuc === null ? '' : ` · AUC ${formatAuc(r.bestValAuc)}`}` : 'unfinished',
      identityNote: r.standing.note,
    }));
}

/**
 * The run folder of each train.run job: the cell whose spec the job trains (a cell whose default
 * folder holds other settings trains in `<id>-v2`), else defaultRunId of its parameters.
 */
export function jobRunIds(view: Pick<GridView, 'cells'>): (job: Pick<JobState, 'kind' | 'params'>) => string | null {
  // Only cells outside their default folder need the spec: every other job finds its cell by defaultRunId, as before.
  const versioned = view.cells.filter((c) => c.spec !== null && runIdOfJob({ kind: 'train.run', params: c.spec }) !== c.runId);
  const bySpec = new Map(versioned.map((c) => [canonicalJson(c.spec), c.runId]));
  return (job) => (job.kind === 'train.run' ? (bySpec.get(canonicalJson(job.params)) ?? runIdOfJob(job)) : null);
}

export interface GridTableModel {
  /** Column headers: the label fractions, ascending. */
  fractions: { value: number; label: string }[];
  rows: { strategy: TrainingStrategy; cells: RunCellModel[][] }[];
  counts: Record<RunStatus, number> & { total: number };
  /** `2 of 8 runs done · 1 running · 1 queued · 2 blocked`. */
  summary: string;
  /** Some run is queued or running (the page polls while true). */
  active: boolean;
  /** Runs grid.launch would start (pending or partial, without an active job). */
  launchable: number;
  /** Run folders no cell trains now, outdated ones first marked (listed under the grid). */
  others: OtherRunModel[];
  /** `Settings differ: IWNE-FS epochs 1, 6` when cells of one strategy train with different settings. */
  settingsDiffer: string | null;
}

/**
 * The runs dashboard: rows = strategies (paper order), columns = fractions, one entry per seed in each. `cluster`: run id → its
 * cluster state (clusterStateByRun of `cluster.status`; empty when the study has no cluster submission).
 */
export function gridTable(
  view: GridView,
  jobs: readonly JobState[],
  studyPath: string | null,
  cluster: Readonly<Record<string, RunClusterState>> = {},
): GridTableModel {
  const byRun = trainJobsByRun(jobs, studyPath, jobRunIds(view));
  const studyRun = studyTrainingRunId(jobs, studyPath);
  const cells = view.cells.map((c) =>
    runCellModel(c, byRun.get(c.runId) ?? null, c.runId === studyRun, Object.hasOwn(cluster, c.runId) ? cluster[c.runId] : null),
  );
  const fractions = [...new Set(view.cells.map((c) => c.fraction))].sort((a, b) => a - b);
  const strategies = [...new Set(view.cells.map((c) => c.strategy))].sort((a, b) => strategyRank(a) - strategyRank(b));
  const rows = strategies.map((strategy) => ({
    strategy,
    cells: fractions.map((f) => cells.filter((c) => c.strategy === strategy && c.fraction === f).sort((a, b) => a.seed - b.seed)),
  }));
  const counts = { pending: 0, queued: 0, running: 0, partial: 0, done: 0, blocked: 0, invalid: 0, failed: 0, total: cells.length };
  for (const c of cells) counts[c.status] += 1;
  const parts = [`${counts.done} of ${counts.total} run${counts.total === 1 ? '' : 's'} done`];
  for (const s of ['running', 'queued', 'partial', 'pending', 'failed', 'blocked', 'invalid'] as const)
    if (counts[s] > 0) parts.push(`${counts[s]} ${s}`);
  return {
    fractions: fractions.map((value) => ({ value, label: formatFraction(value) })),
    rows,
    counts,
    summary: parts.join(' · '),
    active: counts.queued + counts.running > 0,
    launchable: cells.filter((c) => (c.status === 'pending' || c.status === 'partial' || c.status === 'failed') && !c.canCancel).length,
    others: otherRuns(view),
    settingsDiffer: settingsDiffer(view.cells),
  };
}
