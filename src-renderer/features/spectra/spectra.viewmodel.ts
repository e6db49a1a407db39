/**
 * Everything the Spectra page shows, as pure functions (unit-tested in
 * test/unit/renderer/spectra.viewmodel.test.ts). The figures come from the view models the PDF report
 * draws too (src-shared/figures.ts: fig3aPanels, fig3bPanels, table2Rows — series, colours, dashes,
 * titles, ticks); here they are only arranged as recharts rows and formatted:
 *
 * - Fig 3a: κ per layer on a log axis (decades as ticks), IWNE and IFI panels, FS solid, CL dashed;
 * - Fig 3b: conv1's mirrored spectrum as a density over rank, and the tails (|rank| ≥ 10, fewer for
 *   short spectra: tailZoomFrom) with a break at 0 so the two tails are not joined across the middle;
 * - Table 2: best distribution, its parameters, RSS, kurtosis, Pareto α, the next best fits;
 * - results of outdated runs (or of runs no longer in the study): left out unless included, then
 *   marked (spectraByStanding).
 *
 * The numbers themselves (eigenvalues, κ, kurtosis, fits) are computed and tested on the main side
 * (src-main/analysis/spectra, golden against scikit-learn, NumPy and SciPy).
 */
import { pickSpectra, spectraSettings } from '../../../src-shared/analysis-choice';
import type { RunSummary } from '../../../src-shared/contract';
import type { SpectraResult } from '../../../src-shared/spectra';
import type { TrainingStrategy } from '../../../src-shared/training';
import { fig3aPanels, fig3bPanels, table2Rows, type ChartPanel } from '../../../src-shared/figures';
import { cliCommand, resultsByStanding, type ResultOutdated, type ResultsByStanding } from '../../shared/analyses.viewmodel';
import { niceAxis } from '../../shared/axis.viewmodel';
import { STRATEGY_ORDER, formatFraction, runLabel, strategyDash, strategyRank } from '../../shared/strategies';

/** The request's default N (src-shared/spectra.ts): the page starts from it. */
export const DEFAULT_SPECTRA_IMAGES = 256;

// ---- Which results are shown together -----------------------------------------------------------------

export interface SpectraGroup {
  key: string;
  /** `demo-eval · 100 % · seed 0 — IWNE-FS, IWNE-CL`. */
  label: string;
  results: SpectraResult[];
}

/**
 * Results compared in one figure: the same dataset, label fraction and seed (the paper compares the
 * strategies at one fraction), strategies in the paper's order; the group with the most results
 * first, then the largest fraction. One result per run and dataset, chosen as the report does
 * (pickSpectra: the newest with the default settings, else the newest).
 */
export function spectraGroups(results: readonly SpectraResult[]): SpectraGroup[] {
  const groups = new Map<string, SpectraResult[]>();
  for (const r of pickSpectra(results)) {
    const key = `${r.dataset.datasetId}|${r.run.fraction}|${r.run.seed}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()]
    .map(([key, list]) => {
      const sorted = [...list].sort(
        (a, b) => strategyRank(a.run.strategy) - strategyRank(b.run.strategy) || a.run.runId.localeCompare(b.run.runId),
      );
      const first = sorted[0]!;
      return {
        key,
        label: `${first.dataset.datasetId} · ${formatFraction(first.run.fraction)} · seed ${first.run.seed} — ${sorted.map((r) => r.run.strategy).join(', ')}`,
        results: sorted,
      };
    })
    .sort(
      (a, b) =>
        b.results.length - a.results.length || b.results[0]!.run.fraction - a.results[0]!.run.fraction || a.key.localeCompare(b.key),
    );
}

/**
 * The spectra results the figures and Table 2 use: those of current runs, and those of outdated runs
 * (or of runs no longer in the study) only when `includeOutdated`, then marked; the notice names the
 * ones left out.
 */
export function spectraByStanding(
  results: readonly SpectraResult[],
  runs: readonly RunSummary[] | null,
  includeOutdated: boolean,
): ResultsByStanding<SpectraResult> {
  return resultsByStanding(results, runs, (r) => [r.run.runId], includeOutdated, {
    noun: ['spectra result', 'spectra results'],
    where: 'Fig 3a, Fig 3b and Table 2',
  });
}

/** The marked results of a shown group, labelled as Table 2 labels its runs (`IWNE-FS · 100 % · seed 0`). */
export function outdatedSpectra(
  group: Pick<SpectraGroup, 'results'> | null,
  marks: ReadonlyMap<string, ResultOutdated>,
): { key: string; label: string; outdated: ResultOutdated }[] {
  return (group?.results ?? []).flatMap((r) => {
    const outdated = marks.get(r.name);
    return outdated ? [{ key: r.name, label: runLabel(r.run), outdated }] : [];
  });
}

// ---- Charts -------------------------------------------------------------------------------------------

export interface LineSeriesModel {
  /** Key of the series' value in each data row. */
  key: string;
  strategy: TrainingStrategy;
  /** The shared view model's series name, e.g. `IWNE-FS (f 1, s 0)`. */
  label: string;
  /** SVG dash: FS solid (undefined), CL dashed — the shared STRATEGY_DASHED. */
  dash: string | undefined;
}

export type LineRow = { x: number } & Record<string, number | null>;

export interface LineChartModel {
  key: string;
  title: string;
  xLabel: string;
  yLabel: string;
  data: LineRow[];
  series: LineSeriesModel[];
  xTicks: number[];
  xDomain: [number, number];
  yDomain: [number, number];
  yTicks: number[];
  yScale: 'log' | 'linear';
  /** Decimals of the linear y ticks (log ticks are formatted by formatPowerOfTen). */
  yDecimals: number;
  /** Fig 3a: the layer name of each x (module order), for the tooltip. */
  xNames: string[];
  description: string;
}

const CL_DASH = strategyDash('IWNE-CL');

/** The strategy a shared series belongs to: its name starts with it (`IWNE-FS (f 1, s 0)`). */
export function seriesStrategy(name: string): TrainingStrategy {
  const found = STRATEGY_ORDER.find((s) => name === s || name.startsWith(`${s} `));
  if (!found) throw new Error(`series "${name}" does not name a strategy`);
  return found;
}

/** Rows by x holding every series' y (null where a series has no point), sorted by x. */
function rowsOf(panel: ChartPanel, breakAt: number | null = null): LineRow[] {
  const byX = new Map<number, LineRow>();
  panel.series.forEach((s, i) => {
    for (const [x, y] of s.points) {
      const row = byX.get(x) ?? ({ x } as LineRow);
      row[`s${i}`] = y;
      byX.set(x, row);
    }
  });
  if (breakAt !== null && !byX.has(breakAt))
    byX.set(breakAt, { x: breakAt, ...Object.fromEntries(panel.series.map((_, i) => [`s${i}`, null])) } as LineRow);
  return [...byX.values()].sort((a, b) => a.x - b.x);
}

function seriesOf(panel: ChartPanel): LineSeriesModel[] {
  return panel.series.map((s, i) => ({
    key: `s${i}`,
    strategy: seriesStrategy(s.name),
    label: s.name,
    dash: s.dashed ? CL_DASH : undefined,
  }));
}

/** Powers of ten from lo to hi (both powers of ten); every second decade when there would be more than 7. */
export function decadeTicks(lo: number, hi: number): number[] {
  const a = Math.round(Math.log10(lo));
  const b = Math.round(Math.log10(hi));
  const step = b - a > 6 ? 2 : 1;
  const ticks: number[] = [];
  for (let e = a; e <= b; e += step) ticks.push(Number((10 ** e).toPrecision(1)));
  return ticks;
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** A power of ten as a tick label: `0.01` … `1000` written out, beyond that `10⁴`, `10⁻³`. */
export function formatPowerOfTen(value: number): string {
  const e = Math.round(Math.log10(value));
  if (e >= -2 && e <= 3) return String(Number((10 ** e).toPrecision(1)));
  return `10${String(e)
    .split('')
    .map((c) => SUPERSCRIPT[c])
    .join('')}`;
}

/** Fig 3a as charts: one per initialisation (fig3aPanels), κ on a log axis whose domain is the shared panel's decades. */
export function fig3aCharts(results: readonly SpectraResult[]): LineChartModel[] {
  return fig3aPanels(results).map((panel) => {
    const mine = results.filter((r) => r.run.strategy.startsWith(`${panel.key}-`));
    const longest = mine.reduce<SpectraResult | null>(
      (best, r) => (best === null || r.layers.length > best.layers.length ? r : best),
      null,
    );
    const xNames = longest ? longest.layers.map((l) => l.name) : [];
    const [lo, top] = panel.yDomain;
    const hi = top > lo ? top : lo * 10;
    const last = Math.max(0, xNames.length - 1);
    const sentences = panel.series.map((s) => {
      const ys = s.points.map(([, y]) => y);
      return ys.length
        ? `${s.name}: κ from ${formatKappa(Math.min(...ys))} to ${formatKappa(Math.max(...ys))} over ${ys.length} layers.`
        : `${s.name}: no finite κ.`;
    });
    return {
      key: `fig3a-${panel.key}`,
      title: panel.title,
      xLabel: panel.xLabel,
      yLabel: panel.yLabel,
      data: rowsOf(panel),
      series: seriesOf(panel),
      // The shared ticks repeat 0 for a two-layer model ([0, 0, 1]).
      xTicks: [...new Set(panel.xTicks)],
      xDomain: [0, last],
      yDomain: [lo, hi],
      yTicks: decadeTicks(lo, hi),
      yScale: 'log',
      yDecimals: 0,
      xNames,
      description: `${panel.title}, log scale. ${sentences.join(' ')}`,
    };
  });
}

/**
 * Where Fig 3b's tail panel starts: |rank| ≥ 10, the report's zoom, when the spectra have 20 or more
 * eigenvalues; with fewer (small N: k ≤ N − 1), the outer half of the ranks (|rank| > k/2), so the
 * panel is never empty.
 */
export function tailZoomFrom(results: readonly Pick<SpectraResult, 'firstLayer'>[]): number {
  const k = Math.max(0, ...results.map((r) => Math.max(0, ...r.firstLayer.mirrored.x)));
  return k >= 20 ? 10 : Math.max(1, Math.floor(k / 2) + 1);
}

/** Fig 3b as charts (fig3bPanels): the full mirrored density, then the tails (from tailZoomFrom) with a break at rank 0. */
export function fig3bCharts(results: readonly SpectraResult[], zoomFrom = tailZoomFrom(results)): LineChartModel[] {
  if (results.length === 0) return [];
  return fig3bPanels(results, zoomFrom).map((panel) => {
    const axis = niceAxis(0, panel.yDomain[1]);
    const xs = [...new Set(panel.xTicks)].sort((a, b) => a - b);
    return {
      key: `fig3b-${panel.key}`,
      title: panel.title,
      xLabel: panel.xLabel,
      yLabel: panel.yLabel,
      data: rowsOf(panel, panel.key === 'tail' ? 0 : null),
      series: seriesOf(panel),
      xTicks: xs,
      xDomain: [Math.min(...xs), Math.max(...xs)],
      yDomain: [0, axis.domain[1]],
      yTicks: axis.ticks.filter((t) => t >= 0),
      yScale: 'linear',
      yDecimals: axis.decimals,
      xNames: [],
      description: `${panel.title}. ${panel.series.map((s) => s.name).join('; ')}.`,
    };
  });
}

/** κ for text: 3 significant digits, exponent from 10⁴. */
export function formatKappa(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return Math.abs(value) >= 1e4 ? value.toExponential(2) : Number(value.toPrecision(3)).toString();
}

// ---- Table 2 ------------------------------------------------------------------------------------------

export interface Table2RowModel {
  key: string;
  strategy: TrainingStrategy;
  /** `IWNE-FS · 100 % · seed 0`. */
  run: string;
  runId: string;
  best: string;
  parameters: string;
  /** As the report prints them: RSS `1.25e-3`, kurtosis 2 decimals, Pareto α 3 significant digits. */
  rss: string;
  kurtosis: string;
  paretoAlpha: string;
  runnerUp: string;
}

/** Table 2 from the shared table2Rows, formatted as the report formats it. */
export function table2Model(results: readonly SpectraResult[]): Table2RowModel[] {
  const byRun = new Map(results.map((r) => [r.run.runId, r]));
  return table2Rows(results).map((row) => {
    const r = byRun.get(row.runId)!;
    return {
      key: r.name,
      strategy: row.strategy,
      run: runLabel(r.run),
      runId: row.runId,
      best: row.best,
      parameters: row.parameters,
      rss: row.rss === null ? '—' : row.rss.toExponential(2),
      kurtosis: row.kurtosis.toFixed(2),
      paretoAlpha: row.paretoAlpha === null ? '—' : row.paretoAlpha.toPrecision(3),
      runnerUp: row.runnerUp || '—',
    };
  });
}

// ---- What the page runs -------------------------------------------------------------------------------

/** The CLI commands that run the spectra of these runs (one per run, as the page submits one job per run). */
export function spectraCommands(studyPath: string, runIds: readonly string[], datasetId: string, images: number): string[] {
  return runIds.map((runId) => cliCommand(['spectra', '--study', studyPath, '--run', runId, '--dataset', datasetId, '--images', images]));
}

/** The command with placeholders, for a study without finished runs yet. */
export function spectraPlaceholderCommand(studyPath: string): string {
  return `${cliCommand(['spectra', '--study', studyPath])} --run <run-id> --dataset <dataset-id>`;
}

/**
 * Short summary of the group analysed: `N = 12 images of demo-eval (test split) at 64 px; k = 11 eigenvalues per layer; κ = |P99.9| /
 * |P90|`.
 */
export function spectraSummary(results: readonly SpectraResult[]): string {
  const first = results[0];
  if (!first) return '';
  const ks = [...new Set(first.layers.map((l) => l.k))];
  return `N = ${first.n} images of ${first.dataset.datasetId} (${first.dataset.split} split) at ${first.inputSize} px; top-${Math.max(...ks, 0)} eigenvalues per layer (k requested ${first.k}); κ = |P${first.percentiles.high}(λ)| / |P${first.percentiles.low}(λ)|; ${first.layers.length} layers.`;
}

/** Each shown result's recorded settings: `IWNE-FS (run): default settings 1a2b3c4d: n=12 split=all …`. */
export function spectraSettingsLines(results: readonly SpectraResult[]): string[] {
  return results.map((r) => `${r.run.strategy} (${r.run.runId}): ${spectraSettings(r)}`);
}
