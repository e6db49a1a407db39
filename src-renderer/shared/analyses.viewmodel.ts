/**
 * What the analysis pages (Spectra, Robustness, Explanations, Report) share, as pure functions
 * (unit-tested with each page's view model in test/unit/renderer):
 *
 * - which runs an analysis starts from: finished runs that have a selected model (runs/<id>/best/),
 *   grouped by label fraction, seed, architecture and input size, one run per strategy — the paper
 *   compares the four strategies at one fraction and seed; the group with the most strategies (then
 *   the largest fraction, the smallest seed) comes first and is the default;
 * - which datasets an analysis can use (preprocessed; one at another size than the runs' is prepared at
 *   their size when used; graded for robustness, with lesion masks for explanations);
 * - the study's jobs of one kind (active ones, and a signature of the finished ones that makes a page
 *   re-read its results);
 * - the CLI commands an empty state tells the user to run, with the study path quoted for a shell;
 * - outdated runs: offered in the run chooser only with the page's "Include outdated runs" toggle (after
 *   the current ones, never by default, each marked), and the standing of every stored result from the
 *   runs it was computed from (outdated, or no longer in the study), which results a page shows and
 *   the notice naming the ones it leaves out.
 */
import type { DatasetSummary, RunSummary } from '../../src-shared/contract';
import type { JobKind, JobState } from '../../src-shared/jobs';
import type { TrainingStrategy } from '../../src-shared/training';
import { outdatedChip, type OutdatedChip } from '../features/training/run-settings.viewmodel';
import { formatFraction, strategyRank } from './strategies';

// ---- Jobs of one kind in the open study ------------------------------------------------------------

const normPath = (p: string | null | undefined) => (p ?? '').replace(/[\\/]+$/, '');

/** The same study folder (trailing separators ignored). */
export function sameStudy(a: string | null | undefined, b: string | null | undefined): boolean {
  return a !== null && a !== undefined && b !== null && b !== undefined && normPath(a) === normPath(b);
}

/** The study's jobs of `kind`, oldest first. */
export function studyJobs(jobs: readonly JobState[], studyPath: string | null, kind: JobKind): JobState[] {
  return jobs
    .filter((j) => j.kind === kind && sameStudy(j.studyPath, studyPath))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** The study's queued or running jobs of `kind`, oldest first. */
export function activeStudyJobs(jobs: readonly JobState[], studyPath: string | null, kind: JobKind): JobState[] {
  return studyJobs(jobs, studyPath, kind).filter((j) => j.status === 'queued' || j.status === 'running');
}

/** Ids of the study's succeeded jobs of `kind`, sorted and joined: a page re-reads its results when it changes. */
export function finishedJobsSignature(jobs: readonly JobState[], studyPath: string | null, kind: JobKind): string {
  return studyJobs(jobs, studyPath, kind)
    .filter((j) => j.status === 'succeeded')
    .map((j) => j.id)
    .sort()
    .join(',');
}

// ---- Runs to analyse ----------------------------------------------------------------------------------

export interface RunGroup {
  key: string;
  /** `100 % · seed 0 · resnet18-w8 at 48 px — IWNE-FS, IWNE-CL`. */
  label: string;
  /** `100 % · seed 0 · resnet18-w8 at 48 px`. */
  where: string;
  fraction: number;
  seed: number;
  arch: string;
  inputSize: number;
  /** One run per strategy, in the paper's order (the first run id when a strategy has several). */
  runs: RunSummary[];
  strategies: TrainingStrategy[];
  /** Outdated runs only (outdatedRunGroups): each run's chip, e.g. `iwne-fs-a: epochs 1 → 2`; absent for current runs. */
  outdated?: { runId: string; chip: OutdatedChip }[];
}

/** Runs with a model grouped by (fraction, seed, architecture, input size), one per strategy, the fullest group first. */
function groupRuns(runs: readonly RunSummary[], keyPrefix: string): RunGroup[] {
  const groups = new Map<string, RunSummary[]>();
  for (const r of [...runs].sort((a, b) => a.runId.localeCompare(b.runId))) {
    if (!r.hasModel) continue;
    const key = `${keyPrefix}${r.fraction}|${r.seed}|${r.arch}|${r.inputSize}`;
    const list = groups.get(key) ?? [];
    if (!list.some((x) => x.strategy === r.strategy)) list.push(r);
    groups.set(key, list);
  }
  return [...groups.entries()]
    .map(([key, list]) => {
      const sorted = list.sort((a, b) => strategyRank(a.strategy) - strategyRank(b.strategy));
      const first = sorted[0]!;
      const strategies = sorted.map((r) => r.strategy);
      const where = `${formatFraction(first.fraction)} · seed ${first.seed} · ${first.arch} at ${first.inputSize} px`;
      return {
        key,
        label: `${where} — ${strategies.join(', ')}`,
        where,
        fraction: first.fraction,
        seed: first.seed,
        arch: first.arch,
        inputSize: first.inputSize,
        runs: sorted,
        strategies,
      };
    })
    .sort(
      (a, b) =>
        b.runs.length - a.runs.length ||
        b.fraction - a.fraction ||
        a.seed - b.seed ||
        a.arch.localeCompare(b.arch) ||
        a.inputSize - b.inputSize,
    );
}

/**
 * Runs with a selected model, grouped by (fraction, seed, architecture, input size); see the module
 * comment for the order. Outdated runs (trained with settings the grid no longer has) are left out,
 * so no analysis picks an old model by default.
 */
export function runGroups(runs: readonly RunSummary[]): RunGroup[] {
  return groupRuns(
    runs.filter((r) => !r.standing?.outdated),
    '',
  );
}

/**
 * The outdated runs with a selected model, grouped as runGroups groups (keys start with `outdated|`,
 * so they never collide with a current group), each group with every run's "Outdated" chip: what the
 * run chooser offers after the current groups when the page includes outdated runs.
 */
export function outdatedRunGroups(runs: readonly RunSummary[]): RunGroup[] {
  return groupRuns(
    runs.filter((r) => r.standing?.outdated),
    'outdated|',
  ).map((g) => ({ ...g, outdated: g.runs.map((r) => ({ runId: r.runId, chip: outdatedChip(r.standing)! })) }));
}

/** The groups a run chooser offers: the current ones, then (only when outdated runs are included) the outdated ones. */
export function runChoices(runs: readonly RunSummary[], includeOutdated: boolean): RunGroup[] {
  return includeOutdated ? [...runGroups(runs), ...outdatedRunGroups(runs)] : runGroups(runs);
}

/** The group a run chooser starts from: the first current one (an outdated group is only ever picked by the user). */
export function defaultRunGroup(groups: readonly RunGroup[]): RunGroup | null {
  return groups.find((g) => !g.outdated) ?? null;
}

// ---- Results of outdated runs --------------------------------------------------------------------------

/** Why a stored analysis result is marked: the runs it was computed from that are outdated or gone. */
export interface ResultOutdated {
  /** The chip beside the result (label `Outdated`, reasons as its tooltip). */
  chip: OutdatedChip;
  /** `computed from an outdated run: epochs 1 → 2`; with several runs each is named: `… iwne-fs-a (epochs 1 → 2)`. */
  line: string;
  /** `iwne-fs-a (epochs 1 → 2)`, `iwne-cl-a (no longer in the study)`: one per run, for the notice. */
  runs: string[];
}

const GONE = 'no longer in the study';

/**
 * The standing of a result computed from `runIds`, looked up in the study's runs: null when every run
 * is current (or the runs are not loaded yet: nothing is marked before they are), else the chip and
 * line naming each outdated run's reasons and each run that no longer exists in the study.
 */
export function resultOutdated(runIds: readonly string[], runs: readonly RunSummary[] | null): ResultOutdated | null {
  if (runs === null) return null;
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const bad: { runId: string; why: string }[] = [];
  for (const runId of runIds) {
    const run = byId.get(runId);
    if (!run) bad.push({ runId, why: GONE });
    else if (run.standing?.outdated) bad.push({ runId, why: run.standing.reasons.join(', ') });
  }
  if (bad.length === 0) return null;
  const named = bad.map((b) => `${b.runId} (${b.why})`);
  const gone = bad.every((b) => b.why === GONE);
  const what = gone ? `a run ${GONE}` : 'an outdated run';
  const line =
    runIds.length === 1
      ? `computed from ${what}: ${gone ? bad[0]!.runId : bad[0]!.why}`
      : `computed from ${bad.length === 1 ? what : gone ? `runs ${GONE}` : 'outdated runs'}: ${named.join('; ')}`;
  const reasons = bad.map((b) => (b.why === GONE ? `${b.runId} is ${GONE}` : `${b.runId}: ${b.why}`)).join('; ');
  return { chip: { label: 'Outdated', reasons: `Computed from runs that no longer match the grid: ${reasons}` }, line, runs: named };
}

export interface ResultsByStanding<T> {
  /** What the page's figures and tables show: every result of current runs, and the others only when included (marked). */
  shown: T[];
  /** The standing of each shown result that is marked, by name. */
  marks: Map<string, ResultOutdated>;
  /** `1 spectra result of an outdated run is left out of Fig 3 and Table 2: iwne-fs-a (epochs 1 → 2).`, or null. */
  excluded: string | null;
  /** `1 spectra result of an outdated run is included and marked "Outdated".`, or null. */
  included: string | null;
  /** Some result or some run of the study is outdated (the page then offers its "Include outdated runs" toggle). */
  anyOutdated: boolean;
}

/**
 * Splits a page's stored results by the standing of the runs they were computed from (`runIdsOf`):
 * results of outdated or missing runs are left out unless `includeOutdated`, and then marked. `noun`
 * names a result in the notices (`['spectra result', 'spectra results']`), `where` what they are
 * left out of.
 */
export function resultsByStanding<T extends { name: string }>(
  results: readonly T[],
  runs: readonly RunSummary[] | null,
  runIdsOf: (result: T) => readonly string[],
  includeOutdated: boolean,
  text: { noun: [one: string, many: string]; where: string },
): ResultsByStanding<T> {
  const shown: T[] = [];
  const marks = new Map<string, ResultOutdated>();
  const left: ResultOutdated[] = [];
  for (const result of results) {
    const outdated = resultOutdated(runIdsOf(result), runs);
    if (outdated === null) shown.push(result);
    else if (includeOutdated) {
      shown.push(result);
      marks.set(result.name, outdated);
    } else left.push(outdated);
  }
  const count = (n: number) =>
    `${n} ${text.noun[n === 1 ? 0 : 1]} of ${n === 1 ? 'an outdated run' : 'outdated runs'} ${n === 1 ? 'is' : 'are'}`;
  const named = [...new Set(left.flatMap((o) => o.runs))];
  return {
    shown,
    marks,
    excluded: left.length === 0 ? null : `${count(left.length)} left out of ${text.where}: ${named.join('; ')}.`,
    included:
      marks.size === 0 ? null : `${count(marks.size)} included and marked "Outdated": computed from runs that no longer match the grid.`,
    anyOutdated: left.length > 0 || marks.size > 0 || (runs ?? []).some((r) => r.standing?.outdated),
  };
}

// ---- Datasets to analyse on -------------------------------------------------------------------------

export type DatasetNeed = 'images' | 'graded' | 'masks';

export interface AnalysisDatasetChoice {
  id: string;
  label: string;
  /** Why it cannot be chosen, or null. */
  disabledReason: string | null;
  /** The dataset has test-split images (preferred by default: the analyses use them). */
  hasTest: boolean;
  /** Imported at another size than the runs': usable, prepared at their size when the analysis runs (so not the default). */
  atOtherSize?: boolean;
}

const EXPLAINED_LESIONS = ['MA', 'HE', 'EX'] as const;

/**
 * Datasets an analysis of runs at `inputSize` can use: preprocessed at that size (the analyses read
 * the cached inputs and masks on the runs' pixel grid); `graded` needs ICDR grades (robustness
 * scores the true class), `masks` needs MA, HE or EX masks (explanations score against them).
 */
export function analysisDatasetChoices(
  datasets: readonly DatasetSummary[] | null,
  inputSize: number | null,
  need: DatasetNeed,
): AnalysisDatasetChoice[] {
  return (datasets ?? []).map((d) => {
    if (!d.readable) return { id: d.id, label: d.id, disabledReason: `cannot be read: ${d.reason}`, hasTest: false };
    const graded = [0, 1, 2, 3, 4].reduce((n, g) => n + (d.grades[String(g)] ?? 0), 0);
    const masked = EXPLAINED_LESIONS.filter((l) => (d.masks[l] ?? 0) > 0);
    const reason = !d.preprocessed
      ? 'validated only: no preprocessed images'
      : need === 'graded' && graded === 0
        ? 'no graded images'
        : need === 'masks' && masked.length === 0
          ? 'no MA, HE or EX lesion masks'
          : null;
    // A dataset imported at another size is prepared at the runs' size when the analysis runs.
    const resize = inputSize !== null && d.settings.inputSize !== inputSize ? ` · prepared at ${inputSize} px when used` : '';
    const extra = (need === 'masks' && masked.length > 0 ? ` · masks ${masked.join(', ')}` : '') + resize;
    return {
      id: d.id,
      label: `${d.id} · ${d.items} images at ${d.settings.inputSize} px${extra}`,
      disabledReason: reason,
      hasTest: (d.splits.test ?? 0) > 0,
      ...(resize ? { atOtherSize: true } : {}),
    };
  });
}

/**
 * The default dataset: among the usable ones, those already at the runs' size first; of those the first with a test
 * split, else the first; null when none is usable.
 */
export function defaultDataset(choices: readonly AnalysisDatasetChoice[]): string | null {
  const usable = choices.filter((c) => c.disabledReason === null);
  const pool = usable.some((c) => !c.atOtherSize) ? usable.filter((c) => !c.atOtherSize) : usable;
  return (pool.find((c) => c.hasTest) ?? pool[0])?.id ?? null;
}

// ---- Commands -----------------------------------------------------------------------------------------

/** A word for a POSIX shell: as is when it holds only safe characters, else in single quotes. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `npx funduslab <args…>`, each argument quoted as needed. */
export function cliCommand(args: readonly (string | number)[]): string {
  return ['npx', 'funduslab', ...args.map((a) => shellQuote(String(a)))].join(' ');
}

/** A count field (e.g. the images of an analysis): a whole number from min to max, or the reason it is not. */
export function parseCount(text: string, min: number, max: number): { value: number } | { error: string } {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isInteger(value) || value < min || value > max) return { error: `A whole number from ${min} to ${max}` };
  return { value };
}

/** What an analysis job works on, from its parameters: its run (`runId`), its runs (`runIds`, joined), else ''. */
export function jobSubject(job: Pick<JobState, 'params'>): string {
  const p = (typeof job.params === 'object' && job.params !== null ? job.params : {}) as { runId?: unknown; runIds?: unknown };
  if (typeof p.runId === 'string') return p.runId;
  if (Array.isArray(p.runIds)) return p.runIds.filter((r): r is string => typeof r === 'string').join(', ');
  return '';
}

/**
 * The run card's first choice (the first group, its default dataset): the exact commands an empty state names. Null when there is no group
 * or no usable dataset.
 */
export function defaultRunChoice(
  runs: readonly RunSummary[] | null,
  datasets: readonly DatasetSummary[] | null,
  need: DatasetNeed,
): { group: RunGroup; datasetId: string } | null {
  const group = runGroups(runs ?? [])[0];
  if (!group) return null;
  const datasetId = defaultDataset(analysisDatasetChoices(datasets, group.inputSize, need));
  return datasetId === null ? null : { group, datasetId };
}
