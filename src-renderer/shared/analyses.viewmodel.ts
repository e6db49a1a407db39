/**
 * What the analysis pages (Spectra, Robustness, Explanations, Report) share, as pure functions
 * (unit-tested with each page's view model in test/unit/renderer):
 *
 * - which runs an analysis starts from: finished runs that have a selected model (runs/<id>/best/),
 *   grouped by label fraction, seed, architecture and input size, one run per strategy — the paper
 *   compares the four strategies at one fraction and seed; the group with the most strategies (then
 *   the largest fraction, the smallest seed) comes first and is the default;
 * - which datasets an analysis can use (preprocessed at the runs' input size; graded for robustness,
 *   with lesion masks for explanations);
 * - the study's jobs of one kind (active ones, and a signature of the finished ones that makes a page
 *   re-read its results);
 * - the CLI commands an empty state tells the user to run, with the study path quoted for a shell.
 */
import type { DatasetSummary, RunSummary } from '../../src-shared/contract';
import type { JobKind, JobState } from '../../src-shared/jobs';
import type { TrainingStrategy } from '../../src-shared/training';
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
}

/**
 * Runs with a selected model, grouped by (fraction, seed, architecture, input size); see the module
 * comment for the order. Outdated runs (trained with settings the grid no longer has) are left out,
 * so no analysis picks an old model by default.
 */
export function runGroups(runs: readonly RunSummary[]): RunGroup[] {
  const groups = new Map<string, RunSummary[]>();
  for (const r of [...runs].sort((a, b) => a.runId.localeCompare(b.runId))) {
    if (!r.hasModel || r.standing?.outdated) continue;
    const key = `${r.fraction}|${r.seed}|${r.arch}|${r.inputSize}`;
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

// ---- Datasets to analyse on -------------------------------------------------------------------------

export type DatasetNeed = 'images' | 'graded' | 'masks';

export interface AnalysisDatasetChoice {
  id: string;
  label: string;
  /** Why it cannot be chosen, or null. */
  disabledReason: string | null;
  /** The dataset has test-split images (preferred by default: the analyses use them). */
  hasTest: boolean;
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
          : inputSize !== null && d.settings.inputSize !== inputSize
            ? `preprocessed at ${d.settings.inputSize} px; the runs need ${inputSize} px`
            : null;
    const extra = need === 'masks' && masked.length > 0 ? ` · masks ${masked.join(', ')}` : '';
    return {
      id: d.id,
      label: `${d.id} · ${d.items} images at ${d.settings.inputSize} px${extra}`,
      disabledReason: reason,
      hasTest: (d.splits.test ?? 0) > 0,
    };
  });
}

/** The default dataset: the first usable one with a test split, else the first usable one; null when none is. */
export function defaultDataset(choices: readonly AnalysisDatasetChoice[]): string | null {
  const usable = choices.filter((c) => c.disabledReason === null);
  return (usable.find((c) => c.hasTest) ?? usable[0])?.id ?? null;
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
