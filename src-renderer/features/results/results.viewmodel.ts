/**
 * Everything the Results page shows, as pure functions (no React, no DOM; unit-tested in
 * test/unit/renderer/results.viewmodel.test.ts). The numbers themselves are computed and tested on
 * the main side (src-main/services/evaluation: AUC, DeLong and bootstrap CIs, paired DeLong tests,
 * the Fig 2 series and bands); here they are only arranged for the charts and formatted:
 *
 * - Fig 2: one chart per panel (test set × referable set × architecture), one row per label fraction
 *   holding each strategy's mean AUC and its band as a [lower, upper] pair (recharts draws a range
 *   Area from such pairs); the band is the panel's own (one seed: DeLong 95% CI; several: the mean
 *   of the seeds' DeLong bounds);
 * - the results table and the paired comparisons, formatted (AUC to 3 decimals, CIs as
 *   `lower–upper`, p-values as `< 0.001`, 2 significant digits below 0.1, else 2 decimals), each row
 *   with its run's epochs, lr, batch and input size and an "Outdated" chip; the notices of settings
 *   that differ and of outdated evaluations left out or included;
 * - ROC curves of chosen evaluations with their operating points (FPR = 1 − specificity);
 * - the Evaluate form: finished runs, graded datasets at the run's input size, their splits.
 */
import type { DatasetSummary } from '../../../src-shared/contract';
import type {
  EvaluationResult,
  EvaluationSplit,
  Fig2Panel,
  PairedComparison,
  ResultsRow,
  StudyResults,
} from '../../../src-shared/evaluation';
import type { GridView } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import type { TrainingStrategy } from '../../../src-shared/training';
import { aucAxis } from '../../shared/axis.viewmodel';
import { formatFraction, runLabel, strategyRank } from '../../shared/strategies';
import { gradedCount } from '../training/study-wizard/training-datasets.viewmodel';
import { outdatedChip, settingsDiffer, settingsText, type OutdatedChip, type SettingsText } from '../training/run-settings.viewmodel';

// ---- Formatting ---------------------------------------------------------------------------------

/** `0.812`; `—` for a missing value. */
export function formatAuc(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

/** `0.760–0.861` (en dash). */
export function formatCi(interval: { lower: number; upper: number }): string {
  return `${formatAuc(interval.lower)}–${formatAuc(interval.upper)}`;
}

const MINUS = '\u2212';

/** `+0.031`, `−0.012`, `0.000` (a difference that rounds to zero has no sign). */
export function formatSigned(value: number, digits = 3): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return `${value > 0 ? '+' : MINUS}${text}`;
}

/** A signed interval: `−0.010 to +0.072`. */
export function formatSignedCi(lower: number, upper: number): string {
  return `${formatSigned(lower)} to ${formatSigned(upper)}`;
}

/** p-values: `< 0.001`; 2 significant digits below 0.1 (`0.034`, `0.0012`, `0.050`); else 2 decimals (`0.14`, `1.00`). */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return '—';
  if (p < 0.001) return '< 0.001';
  if (p < 0.1) return p.toPrecision(2);
  return p.toFixed(2);
}

/** `90.0 %`. */
export function formatPercent(value: number, digits = 1): string {
  return `${(value * 100).toFixed(digits)} %`;
}

/** `demo · test split`, `ext · all images`. */
export function testSetLabel(p: { datasetId: string; split: EvaluationSplit; referable: readonly number[] }): string {
  return `${p.datasetId} · ${p.split === 'all' ? 'all images' : `${p.split} split`}`;
}

// ---- Fig 2 ----------------------------------------------------------------------------------------

export interface Fig2Series {
  strategy: TrainingStrategy;
  /** Key of the mean AUC in each data row. */
  valueKey: string;
  /** Key of the [lower, upper] band in each data row. */
  bandKey: string;
  /** Key of the band as error-bar offsets from the mean, [mean − lower, upper − mean] (drawn at every point, also a lone one). */
  errorKey: string;
  /** `delong-ci` for one seed per point, `mean-delong-ci` when a point has several seeds. */
  band: string;
  /** A band area needs two fractions or more (a lone point shows its error bar only). */
  drawBand: boolean;
}

export type Fig2Row = { fraction: number } & Record<string, number | [number, number]>;

export interface Fig2ChartModel {
  key: string;
  title: string;
  subtitle: string;
  data: Fig2Row[];
  series: Fig2Series[];
  xTicks: number[];
  /** Around every band and mean, on multiples of the tick step, within [0, 1]. */
  yDomain: [number, number];
  /** Every 0.1 when the range exceeds 0.4, else every 0.05. */
  yTicks: number[];
  /** Decimals of the tick labels. */
  yDecimals: number;
  description: string;
}

export const bandKeyOf = (strategy: TrainingStrategy) => `${strategy} band`;
export const errorKeyOf = (strategy: TrainingStrategy) => `${strategy} error`;

const round = (x: number) => Number(x.toFixed(6));

/** One chart per Fig 2 panel: rows by fraction with each strategy's mean AUC and band (see module comment). */
export function fig2Charts(panels: readonly Fig2Panel[]): Fig2ChartModel[] {
  return panels.map((panel) => {
    const byFraction = new Map<number, Fig2Row>();
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    const series: Fig2Series[] = [];
    const sentences: string[] = [];
    for (const s of [...panel.series].sort((a, b) => strategyRank(a.strategy) - strategyRank(b.strategy))) {
      const several = s.points.some((p) => p.seeds.length > 1);
      series.push({
        strategy: s.strategy,
        valueKey: s.strategy,
        bandKey: bandKeyOf(s.strategy),
        errorKey: errorKeyOf(s.strategy),
        band: several ? 'mean-delong-ci' : 'delong-ci',
        drawBand: s.points.length > 1,
      });
      for (const p of s.points) {
        const row = byFraction.get(p.fraction) ?? ({ fraction: p.fraction } as Fig2Row);
        row[s.strategy] = p.meanAuc;
        row[bandKeyOf(s.strategy)] = [p.lower, p.upper];
        row[errorKeyOf(s.strategy)] = [round(p.meanAuc - p.lower), round(p.upper - p.meanAuc)];
        byFraction.set(p.fraction, row);
        lo = Math.min(lo, p.lower, p.meanAuc);
        hi = Math.max(hi, p.upper, p.meanAuc);
      }
      sentences.push(`${s.strategy}: ${s.points.map((p) => `${formatAuc(p.meanAuc)} at ${formatFraction(p.fraction)}`).join(', ')}.`);
    }
    const data = [...byFraction.values()].sort((a, b) => a.fraction - b.fraction);
    const axis = aucAxis(lo, hi);
    const title = testSetLabel(panel);
    const subtitle = `referable grades ${panel.referable.join(', ')} · ${panel.arch}`;
    return {
      key: `${panel.datasetId}|${panel.split}|${panel.referable.join(',')}|${panel.arch}`,
      title,
      subtitle,
      data,
      series,
      xTicks: data.map((r) => r.fraction),
      yDomain: axis.domain,
      yTicks: axis.ticks,
      yDecimals: axis.decimals,
      description: `AUC against label fraction on ${title} (${subtitle}). ${sentences.join(' ')}`,
    };
  });
}

// ---- Results table and comparisons -----------------------------------------------------------------

export interface ResultRowModel {
  key: string;
  evaluation: string;
  dataset: string;
  split: string;
  run: string;
  runId: string;
  strategy: TrainingStrategy;
  n: string;
  auc: string;
  delong: string;
  bootstrap: string;
  /** `90.0 % / 52.3 %` (sensitivity / specificity). */
  sensSpec: string;
  /** Where the operating point is: `P ≥ 0.312 (target sensitivity 90 %)`. */
  operatingPoint: string;
  overlapsTraining: boolean;
  /** The domain-shift warning of the evaluation (docs/design.md "Domain shift"); null when none. */
  shiftWarning: string | null;
  /** The run's epochs, lr, batch size and input size (absent when the main side did not say). */
  settings?: SettingsText;
  /** The run no longer matches the grid (shown only when outdated runs are included); absent for a current run. */
  outdated?: OutdatedChip;
}

export function resultRows(rows: readonly ResultsRow[]): ResultRowModel[] {
  return rows.map((r) => ({
    key: r.evaluation,
    evaluation: r.evaluation,
    dataset: r.datasetId,
    split: r.split,
    run: runLabel(r),
    runId: r.runId,
    strategy: r.strategy,
    n: `${r.n} (${r.positives})`,
    auc: formatAuc(r.auc),
    delong: formatCi(r.delong),
    bootstrap: formatCi(r.bootstrap),
    sensSpec: `${formatPercent(r.operatingPoint.sensitivity)} / ${formatPercent(r.operatingPoint.specificity)}`,
    operatingPoint: `P ≥ ${r.operatingPoint.threshold.toPrecision(3)} (target sensitivity ${formatPercent(r.operatingPoint.targetSensitivity, 0)})`,
    overlapsTraining: r.overlapsTraining,
    shiftWarning: r.shiftWarning ?? null,
    settings: r.settings ? settingsText(r.settings) : undefined,
    outdated: outdatedChip(r.standing) ?? undefined,
  }));
}

export interface ResultsNotices {
  /** `Settings differ: IWNE-FS epochs 1, 6` when the runs shown of one strategy were trained differently. */
  settingsDiffer: string | null;
  /** `2 evaluations of outdated runs are left out: <run> (epochs 1 → 6).` when outdated runs are excluded. */
  excluded: string | null;
  /** Outdated runs are shown (the toggle is on) and some rows are outdated. */
  includedOutdated: string | null;
}

/** The notices above the results: settings that differ, outdated evaluations left out or included. */
export function resultsNotices(results: Pick<StudyResults, 'rows' | 'excludedOutdated'> | null): ResultsNotices {
  const rows = results?.rows ?? [];
  const excluded = results?.excludedOutdated ?? [];
  const runs = [...new Map(excluded.map((e) => [e.runId, e.reasons])).entries()];
  const outdatedRows = rows.filter((r) => r.standing?.outdated);
  return {
    settingsDiffer: settingsDiffer(rows),
    excluded:
      excluded.length === 0
        ? null
        : `${excluded.length} evaluation${excluded.length === 1 ? '' : 's'} of outdated runs ${excluded.length === 1 ? 'is' : 'are'} left out of the table, the paired tests and Fig 2: ${runs.map(([id, reasons]) => `${id} (${reasons.join(', ')})`).join('; ')}.`,
    includedOutdated:
      outdatedRows.length === 0
        ? null
        : `${outdatedRows.length} evaluation${outdatedRows.length === 1 ? '' : 's'} of outdated runs ${outdatedRows.length === 1 ? 'is' : 'are'} included and marked "Outdated": they were trained with settings the grid no longer has.`,
  };
}

export interface ComparisonRowModel {
  key: string;
  testSet: string;
  /** `50 % · seed 0 · resnet50`. */
  where: string;
  /** `IFI-CL vs IFI-FS`. */
  pair: string;
  kind: string;
  /** ΔAUC (A − B) or `—`. */
  delta: string;
  ci: string;
  p: string;
  /** p < 0.05 (two-sided). */
  significant: boolean;
  error: string | null;
  overlapsTraining: boolean;
}

export function comparisonRows(comparisons: readonly PairedComparison[]): ComparisonRowModel[] {
  return comparisons.map((c) => ({
    key: `${c.a.evaluation}|${c.b.evaluation}`,
    testSet: testSetLabel(c),
    where: `${formatFraction(c.fraction)} · seed ${c.seed} · ${c.arch}`,
    pair: `${c.a.strategy} vs ${c.b.strategy}`,
    kind: c.kind,
    delta: c.test ? formatSigned(c.test.difference) : '—',
    ci: c.test ? formatSignedCi(c.test.lower, c.test.upper) : '—',
    p: c.test ? formatP(c.test.p) : '—',
    significant: c.test !== null && c.test.p < 0.05,
    error: c.error,
    overlapsTraining: c.overlapsTraining,
  }));
}

// ---- ROC viewer -----------------------------------------------------------------------------------

export interface RocSeriesModel {
  key: string;
  strategy: TrainingStrategy;
  /** `IWNE-FS · 50 % · seed 0 on demo · test split (AUC 0.812)`. */
  legend: string;
  /** 0 for the first curve of its strategy, 1 for the second … (the chart varies the dash). */
  variant: number;
  points: { fpr: number; tpr: number }[];
  operatingPoint: { fpr: number; tpr: number; threshold: number };
}

export function rocSeries(evaluations: readonly EvaluationResult[]): RocSeriesModel[] {
  const seen = new Map<TrainingStrategy, number>();
  return evaluations.map((e) => {
    const variant = seen.get(e.run.strategy) ?? 0;
    seen.set(e.run.strategy, variant + 1);
    return {
      key: e.name,
      strategy: e.run.strategy,
      legend: `${runLabel(e.run)} on ${testSetLabel({ datasetId: e.dataset.datasetId, split: e.split, referable: e.referable })} (AUC ${formatAuc(e.auc)})`,
      variant,
      points: e.roc.fpr.map((fpr, i) => ({ fpr, tpr: e.roc.tpr[i]! })),
      operatingPoint: { fpr: 1 - e.operatingPoint.specificity, tpr: e.operatingPoint.sensitivity, threshold: e.operatingPoint.threshold },
    };
  });
}

/** The evaluations the ROC viewer offers, labelled as in the table. */
export function evaluationChoices(results: Pick<StudyResults, 'rows'> | null): { name: string; label: string }[] {
  return (results?.rows ?? []).map((r) => ({ name: r.evaluation, label: `${runLabel(r)} on ${testSetLabel(r)}` }));
}

// ---- Evaluate form --------------------------------------------------------------------------------

export interface RunChoice {
  runId: string;
  label: string;
  inputSize: number | null;
}

/** Finished runs of the grid (the ones with a selected model to evaluate). */
export function finishedRuns(view: GridView | null): RunChoice[] {
  return (view?.cells ?? [])
    .filter((c) => c.status === 'done')
    .map((c) => {
      const spec = (c.spec ?? {}) as { inputSize?: unknown; arch?: unknown };
      const inputSize = typeof spec.inputSize === 'number' ? spec.inputSize : null;
      return {
        runId: c.runId,
        label: `${runLabel(c)}${typeof spec.arch === 'string' ? ` (${spec.arch}${inputSize ? `, ${inputSize} px` : ''})` : ''}`,
        inputSize,
      };
    });
}

export interface EvalDatasetChoice {
  id: string;
  label: string;
  disabledReason: string | null;
  splits: { value: EvaluationSplit; label: string }[];
  defaultSplit: EvaluationSplit;
}

/**
 * Datasets a run can be evaluated on: graded and preprocessed. One imported at another input size than
 * the run's is preprocessed at the run's size when evaluated, exactly as an import at that size would.
 * Splits: test when the dataset has test images (the default then), train (the pool training runs draw
 * from: on the run's own dataset the result is marked as overlapping its training data), all.
 */
export function evalDatasetChoices(datasets: readonly DatasetSummary[] | null, runInputSize: number | null): EvalDatasetChoice[] {
  return (datasets ?? []).map((d) => {
    if (!d.readable) return { id: d.id, label: d.id, disabledReason: `cannot be read: ${d.reason}`, splits: [], defaultSplit: 'all' };
    const test = d.splits.test ?? 0;
    const train = (d.splits.train ?? 0) + (d.splits.none ?? 0);
    const splits: EvalDatasetChoice['splits'] = [];
    if (test > 0) splits.push({ value: 'test', label: `test · ${test} images` });
    if (train > 0) splits.push({ value: 'train', label: `train · ${train} images` });
    splits.push({ value: 'all', label: `all · ${d.items} images` });
    const reason = !d.preprocessed ? 'validated only: no preprocessed images' : gradedCount(d) === 0 ? 'no graded images' : null;
    // A dataset imported at another size is preprocessed at the run's size when it is evaluated (kept in its cache).
    const resize = runInputSize !== null && d.settings.inputSize !== runInputSize ? ` · prepared at ${runInputSize} px when used` : '';
    return {
      id: d.id,
      label: `${d.id} · ${d.settings.inputSize} px${resize}`,
      disabledReason: reason,
      splits,
      defaultSplit: test > 0 ? 'test' : 'all',
    };
  });
}

/** The study's most recent evaluate.run job, or null. */
export function latestEvaluationJob(jobs: readonly JobState[], studyPath: string | null): JobState | null {
  const norm = (p: string | null) => (p ?? '').replace(/[\\/]+$/, '');
  let best: JobState | null = null;
  for (const j of jobs) {
    if (j.kind !== 'evaluate.run' || studyPath === null || norm(j.studyPath) !== norm(studyPath)) continue;
    if (!best || j.createdAt > best.createdAt || (j.createdAt === best.createdAt && j.id > best.id)) best = j;
  }
  return best;
}

/** A signature of the study's finished evaluate.run jobs: the page re-reads results.get when it changes. */
export function finishedEvaluationsSignature(jobs: readonly JobState[], studyPath: string | null): string {
  const norm = (p: string | null) => (p ?? '').replace(/[\\/]+$/, '');
  return jobs
    .filter((j) => j.kind === 'evaluate.run' && j.status === 'succeeded' && studyPath !== null && norm(j.studyPath) === norm(studyPath))
    .map((j) => j.id)
    .sort()
    .join(',');
}
