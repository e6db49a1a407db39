/**
 * Comparing runs on the Training page (pure, unit-tested in test/unit/renderer/compare.viewmodel.test.ts),
 * as in TensorBoard or Weights & Biases: every run of the study in one table with its hyperparameters
 * (the grid's cells and the run folders no cell trains now, outdated ones marked), sortable and
 * filterable; and the curves of the runs ticked in it overlaid, one chart per metric (training loss,
 * validation AUC, MoCo pretraining loss where a run has one), one colour per run, optionally smoothed.
 */
import type { RunSummary } from '../../../src-shared/contract';
import type { GridView, RunDetail } from '../../../src-shared/grid';
import type { TrainingStrategy } from '../../../src-shared/training';
import { aucAxis, niceAxis, type Axis } from '../../shared/axis.viewmodel';
import { formatMeasure } from '../../shared/format.viewmodel';
import type { StatusColor } from '../../shared/status';
import { formatFraction, runLabel, strategyRank } from '../../shared/strategies';
import type { FilterableRow, SortValue } from '../../shared/table-sort.viewmodel';
import { formatLr } from './run-settings.viewmodel';
import type { RunCellModel } from './runs-dashboard.viewmodel';
import { formatAuc, isStr, obj } from './training-common.viewmodel';

export interface CompareRunRow extends FilterableRow {
  runId: string;
  /** `IWNE-FS · 50 % · seed 0`. */
  label: string;
  seed: number;
  arch: string | null;
  epochs: number | null;
  lr: number | null;
  batchSize: number | null;
  inputSize: number | null;
  bestValAuc: number | null;
  /** The cells as shown: `50 %`, `0.001`, `64 px`, `0.812`, `—` for an unknown value. */
  text: { fraction: string; epochs: string; lr: string; batch: string; input: string; bestValAuc: string };
  /** The run's status (`Done`, `Running` … for a cell of the grid; `Finished` or `Unfinished` for another run folder). */
  state: string;
  stateColor: StatusColor;
  /** `Trained with other settings than the grid has now: epochs 1 → 6` for an outdated run, else null. */
  outdatedReasons: string | null;
  /** The run has a folder with a spec (its curves can be read). */
  hasCurves: boolean;
  /** Changes when the run writes an epoch or changes status: its curves are read again then. */
  version: string;
}

const dash = (v: number | null, show: (n: number) => string) => (v === null ? '—' : show(v));

function textOf(r: Pick<CompareRunRow, 'fraction' | 'epochs' | 'lr' | 'batchSize' | 'inputSize' | 'bestValAuc'>): CompareRunRow['text'] {
  return {
    fraction: formatFraction(r.fraction),
    epochs: dash(r.epochs, String),
    lr: dash(r.lr, formatLr),
    batch: dash(r.batchSize, String),
    input: dash(r.inputSize, (n) => `${n} px`),
    bestValAuc: formatAuc(r.bestValAuc),
  };
}

/**
 * One row per run: the grid's cells first (status from the dashboard's cell models), then every other
 * run folder (runs.list; while it is not read yet, the grid's own list of them). Arch and dataset come
 * from the cell's spec or the folder's summary.
 */
export function compareRunRows(
  view: Pick<GridView, 'cells' | 'others'>,
  summaries: readonly RunSummary[] | null,
  cellModels: readonly Pick<RunCellModel, 'runId' | 'statusLabel' | 'statusColor'>[],
): CompareRunRow[] {
  const bySummary = new Map((summaries ?? []).map((s) => [s.runId, s]));
  const byModel = new Map(cellModels.map((m) => [m.runId, m]));
  const rows: CompareRunRow[] = [];
  for (const c of view.cells) {
    const spec = obj(c.spec);
    const summary = bySummary.get(c.runId);
    const model = byModel.get(c.runId);
    const base = {
      fraction: c.fraction,
      epochs: c.settings?.epochs ?? null,
      lr: c.settings?.lr ?? null,
      batchSize: c.settings?.batchSize ?? null,
      inputSize: c.settings?.inputSize ?? null,
      bestValAuc: c.bestValAuc,
    };
    const outdated = summary?.standing?.outdated ?? false;
    rows.push({
      ...base,
      runId: c.runId,
      label: runLabel(c),
      strategy: c.strategy,
      seed: c.seed,
      dataset: isStr(spec.datasetId) ? spec.datasetId : (summary?.datasetId ?? null),
      arch: isStr(spec.arch) ? spec.arch : (summary?.arch ?? null),
      text: textOf(base),
      state: model?.statusLabel ?? c.status,
      stateColor: model?.statusColor ?? 'default',
      isOutdated: outdated,
      outdatedReasons: outdated ? reasonsText(summary!.standing!.reasons) : null,
      hasCurves: summary !== undefined || c.epochsDone > 0 || c.status === 'partial' || c.status === 'done',
      version: `${c.status}:${c.epochsDone}:${model?.statusLabel ?? ''}`,
      search: `${c.runId} ${runLabel(c)} ${isStr(spec.arch) ? spec.arch : ''}`,
    });
  }
  const inGrid = new Set(view.cells.map((c) => c.runId));
  const others: {
    runId: string;
    strategy: TrainingStrategy;
    fraction: number;
    seed: number;
    arch: string | null;
    datasetId: string | null;
    finished: boolean;
    bestValAuc: number | null;
    settings?: RunSummary['settings'];
    standing?: RunSummary['standing'];
  }[] = summaries ? summaries.filter((s) => !inGrid.has(s.runId)) : (view.others ?? []).map((o) => ({ ...o, arch: null, datasetId: null }));
  for (const o of [...others].sort(
    (a, b) =>
      strategyRank(a.strategy) - strategyRank(b.strategy) || a.fraction - b.fraction || a.seed - b.seed || (a.runId < b.runId ? -1 : 1),
  )) {
    const base = {
      fraction: o.fraction,
      epochs: o.settings?.epochs ?? null,
      lr: o.settings?.lr ?? null,
      batchSize: o.settings?.batchSize ?? null,
      inputSize: o.settings?.inputSize ?? null,
      bestValAuc: o.bestValAuc,
    };
    const outdated = o.standing?.outdated ?? false;
    rows.push({
      ...base,
      runId: o.runId,
      label: runLabel(o),
      strategy: o.strategy,
      seed: o.seed,
      dataset: o.datasetId,
      arch: o.arch,
      text: textOf(base),
      state: o.finished ? 'Finished' : 'Unfinished',
      stateColor: o.finished ? 'success' : 'default',
      isOutdated: outdated,
      outdatedReasons: outdated ? reasonsText(o.standing!.reasons) : null,
      hasCurves: true,
      version: `${o.finished}:${o.bestValAuc}`,
      search: `${o.runId} ${runLabel(o)} ${o.arch ?? ''}`,
    });
  }
  return rows;
}

const reasonsText = (reasons: readonly string[]) => `Trained with other settings than the grid has now: ${reasons.join('; ')}`;

export type RunSortKey =
  'run' | 'strategy' | 'fraction' | 'seed' | 'dataset' | 'arch' | 'epochs' | 'lr' | 'batch' | 'input' | 'valAuc' | 'state';

/** What a column sorts by (`run`: strategy in the paper's order, then fraction, then seed). */
export function runSortValue(row: CompareRunRow, key: RunSortKey): SortValue {
  switch (key) {
    case 'run':
      return [strategyRank(row.strategy), row.fraction, row.seed, row.runId];
    case 'strategy':
      return strategyRank(row.strategy);
    case 'fraction':
      return row.fraction;
    case 'seed':
      return row.seed;
    case 'dataset':
      return row.dataset;
    case 'arch':
      return row.arch;
    case 'epochs':
      return row.epochs;
    case 'lr':
      return row.lr;
    case 'batch':
      return row.batchSize;
    case 'input':
      return row.inputSize;
    case 'valAuc':
      return row.bestValAuc;
    case 'state':
      return row.state;
  }
}

// ---- Overlaid curves ------------------------------------------------------------------------------

/**
 * One colour per compared run, in the order the runs were ticked: distinct hues, dark enough on the
 * light surface and light enough on the dark one (≥ 3:1); after eight runs the colours repeat with a
 * dash.
 */
export const RUN_PALETTE: Readonly<Record<'light' | 'dark', readonly string[]>> = {
  light: ['#0067a3', '#c45500', '#00805c', '#a8407f', '#7a5c00', '#5048a8', '#2f7482', '#5f5f5f'],
  dark: ['#6cbcf0', '#f08a4b', '#3fcc9f', '#e08cc0', '#e0b43a', '#a9a3f5', '#66c2d1', '#bdbdbd'],
};

/**
 * Exponential moving average with TensorBoard's debiasing: weight 0 leaves the values as they are,
 * 0.9 smooths strongly; a missing value stays missing and does not move the average.
 */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight > 0)) return [...values];
  const w = Math.min(weight, 0.999);
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    count += 1;
    return last / (1 - w ** count);
  });
}

export interface OverlaySeries {
  /** Key of the run's value in each data row (`r0`, `r1` …: run ids hold dots, which chart keys read as paths). */
  key: string;
  runId: string;
  /** Legend: `IWNE-FS · 50 % · seed 0`, `· outdated` when so. */
  name: string;
  colour: string;
  dash?: string;
}

export interface OverlayChartModel {
  metric: 'loss' | 'auc' | 'moco';
  title: string;
  yLabel: string;
  data: Record<string, number | null>[];
  series: OverlaySeries[];
  axis: Axis;
  description: string;
}

export interface ComparedRun {
  runId: string;
  label: string;
  outdated: boolean;
  detail: RunDetail;
}

/** The legend names: the run's label, `· outdated` when so, and its folder when two runs would read alike. */
export function legendNames(runs: readonly Pick<ComparedRun, 'runId' | 'label' | 'outdated'>[]): string[] {
  const names = runs.map((r) => `${r.label}${r.outdated ? ' · outdated' : ''}`);
  return names.map((n, i) => (names.filter((m) => m === n).length > 1 ? `${n} (${runs[i]!.runId})` : n));
}

function chartOf(
  metric: OverlayChartModel['metric'],
  title: string,
  yLabel: string,
  runs: readonly { series: OverlaySeries; points: { epoch: number; value: number | null }[] }[],
  smoothing: number,
  axisOf: (lo: number, hi: number) => Axis,
): OverlayChartModel {
  const byEpoch = new Map<number, Record<string, number | null>>();
  const values: number[] = [];
  const sentences: string[] = [];
  for (const { series, points } of runs) {
    const smoothed = smooth(
      points.map((p) => p.value),
      smoothing,
    );
    points.forEach((p, i) => {
      const row = byEpoch.get(p.epoch) ?? { epoch: p.epoch };
      const v = smoothed[i]!;
      row[series.key] = v;
      if (v !== null) values.push(v);
      byEpoch.set(p.epoch, row);
    });
    const present = smoothed.filter((v): v is number => v !== null);
    sentences.push(
      present.length === 0
        ? `${series.name}: no values yet.`
        : `${series.name}: ${formatMeasure(present[0]!)} to ${formatMeasure(present[present.length - 1]!)} over ${points.length} epoch${points.length === 1 ? '' : 's'}.`,
    );
  }
  return {
    metric,
    title,
    yLabel,
    data: [...byEpoch.values()].sort((a, b) => a.epoch! - b.epoch!),
    series: runs.map((r) => r.series),
    axis: values.length > 0 ? axisOf(Math.min(...values), Math.max(...values)) : axisOf(0, 1),
    description: `${title} of ${runs.length} run${runs.length === 1 ? '' : 's'}${smoothing > 0 ? ` (smoothed ${smoothing})` : ''}. ${sentences.join(' ')}`,
  };
}

/**
 * The overlay charts of the compared runs (in the order they were ticked): training loss and
 * validation AUC of every run, and MoCo pretraining loss of the runs that have one (the chart only
 * when some run has).
 */
export function overlayCharts(runs: readonly ComparedRun[], mode: 'light' | 'dark', smoothing = 0): OverlayChartModel[] {
  const palette = RUN_PALETTE[mode];
  const names = legendNames(runs);
  const series = runs.map<OverlaySeries>((r, i) => ({
    key: `r${i}`,
    runId: r.runId,
    name: names[i]!,
    colour: palette[i % palette.length]!,
    ...(i >= palette.length ? { dash: '6 3' } : {}),
  }));
  const charts = [
    chartOf(
      'loss',
      'Training loss',
      'cross-entropy',
      runs.map((r, i) => ({ series: series[i]!, points: r.detail.log.map((e) => ({ epoch: e.epoch, value: e.trainLoss })) })),
      smoothing,
      (lo, hi) => niceAxis(lo, hi),
    ),
    chartOf(
      'auc',
      'Validation AUC',
      'AUC',
      runs.map((r, i) => ({ series: series[i]!, points: r.detail.log.map((e) => ({ epoch: e.epoch, value: e.valAuc })) })),
      smoothing,
      (lo) => aucAxis(lo, 1),
    ),
  ];
  const moco = runs.map((r, i) => ({ r, i })).filter(({ r }) => r.detail.pretrainLog.length > 0);
  if (moco.length > 0)
    charts.push(
      chartOf(
        'moco',
        'MoCo pretraining loss',
        'InfoNCE',
        moco.map(({ r, i }) => ({ series: series[i]!, points: r.detail.pretrainLog.map((e) => ({ epoch: e.epoch, value: e.loss })) })),
        smoothing,
        (lo, hi) => niceAxis(lo, hi),
      ),
    );
  return charts;
}
