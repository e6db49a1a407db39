/**
 * Figure view models shared by the app (recharts) and the report (SVG): the same data, colours and
 * titles wherever a figure is drawn. Pure, node-free.
 */
import type { Fig2Panel, StudyResults } from './evaluation';
import type { RunModelIdentity } from './run-identity';
import { strategyRank, type TrainingStrategy } from './training';

/**
 * One colour per strategy, everywhere — the app (per theme) and the report (light): Okabe–Ito
 * colour-blind-safe hues, IWNE warm (vermillion, reddish purple), IFI cool (blue, bluish green),
 * darkened for light surfaces and lightened for dark ones (≥ 3:1 contrast).
 */
export const STRATEGY_PALETTE: Readonly<Record<'light' | 'dark', Readonly<Record<TrainingStrategy, string>>>> = {
  light: { 'IWNE-FS': '#c45500', 'IWNE-CL': '#a8407f', 'IFI-FS': '#0067a3', 'IFI-CL': '#00805c' },
  dark: { 'IWNE-FS': '#f08a4b', 'IWNE-CL': '#e08cc0', 'IFI-FS': '#6cbcf0', 'IFI-CL': '#3fcc9f' },
};
export const STRATEGY_COLOURS = STRATEGY_PALETTE.light;
/** FS lines solid, CL dashed (so the pairs read in grey print too). */
export const STRATEGY_DASHED: Readonly<Record<TrainingStrategy, boolean>> = {
  'IWNE-FS': false,
  'IWNE-CL': true,
  'IFI-FS': false,
  'IFI-CL': true,
};

export interface ChartSeries {
  name: string;
  colour: string;
  dashed: boolean;
  /** [x, y] */
  points: [number, number][];
  /** [x, lower, upper] */
  band: [number, number, number][];
}

export interface ChartPanel {
  key: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xTicks: number[];
  yDomain: [number, number];
  series: ChartSeries[];
}

export function panelTitle(p: Pick<Fig2Panel, 'datasetId' | 'split' | 'referable' | 'arch'>): string {
  return `${p.datasetId} (${p.split}) · referable {${p.referable.join(',')}} · ${p.arch}`;
}

/**
 * Fig 2 (paper): AUC of P(referable) against the label fraction, one line per strategy (mean over
 * seeds), the band from Fig2Point (DeLong 95 % CI, or the mean of the seeds' CIs), one panel per test
 * set. The y domain covers every band, padded to 0.05 steps, within [0, 1].
 */
export function fig2Panels(results: Pick<StudyResults, 'fig2'>): ChartPanel[] {
  return results.fig2.map((p) => {
    const series: ChartSeries[] = p.series.map((s) => ({
      name: s.strategy,
      colour: STRATEGY_COLOURS[s.strategy],
      dashed: STRATEGY_DASHED[s.strategy],
      points: s.points.map((pt) => [pt.fraction, pt.meanAuc] as [number, number]),
      band: s.points.map((pt) => [pt.fraction, pt.lower, pt.upper] as [number, number, number]),
    }));
    const values = series.flatMap((s) => s.band.flatMap(([, lo, hi]) => [lo, hi]).concat(s.points.map(([, y]) => y)));
    const lo = values.length ? Math.max(0, Math.floor(Math.min(...values) / 0.05) * 0.05) : 0.5;
    const hi = values.length ? Math.min(1, Math.ceil(Math.max(...values) / 0.05) * 0.05) : 1;
    const fractions = [...new Set(p.series.flatMap((s) => s.points.map((pt) => pt.fraction)))].sort((a, b) => a - b);
    return {
      key: `${p.datasetId}|${p.split}|${p.referable.join(',')}|${p.arch}`,
      title: panelTitle(p),
      xLabel: 'Label fraction',
      yLabel: 'AUC (referable DR)',
      xTicks: fractions,
      yDomain: [Number(lo.toFixed(2)), Number((hi > lo ? hi : lo + 0.05).toFixed(2))],
      series,
    };
  });
}

export interface Fig4Bar {
  corruption: string;
  severity: number;
  difference: number;
}
export interface Fig4Panel {
  key: string;
  title: string;
  initialisation: 'IWNE' | 'IFI';
  /** Corruptions top to bottom, in the reference's order. */
  corruptions: string[];
  bars: Fig4Bar[];
  /** Symmetric x range ±limit covering every bar. */
  limit: number;
  colour: string;
}

/**
 * Fig 4 (paper): for each initialisation, CL − FS of the mean true-class probability per corruption
 * (rows) and severity (5 bars per row, colour intensity = severity); positive = CL more robust.
 */
export function fig4Panels(result: {
  datasetId: string;
  corruptions: readonly string[];
  fig4: readonly { initialisation: 'IWNE' | 'IFI'; fraction: number; seed: number; cells: readonly Fig4Bar[] }[];
}): Fig4Panel[] {
  return result.fig4.map((d) => {
    const limit = Math.max(0.01, ...d.cells.map((c) => Math.abs(c.difference)));
    return {
      key: `${d.initialisation}|${d.fraction}|${d.seed}`,
      title: `${d.initialisation}: CL − FS (fraction ${d.fraction}, seed ${d.seed})`,
      initialisation: d.initialisation,
      corruptions: [...result.corruptions],
      bars: d.cells.map((c) => ({ corruption: c.corruption, severity: c.severity, difference: c.difference })),
      limit: Math.ceil(limit * 20) / 20,
      colour: STRATEGY_COLOURS[`${d.initialisation}-CL`],
    };
  });
}

/** Opacity of a severity's bar (1 → light, 5 → full). */
export const severityOpacity = (severity: number) => 0.2 + 0.16 * (severity - 1);

/** What the spectra figures need of a spectra result (src-shared/spectra.ts SpectraResult). */
export interface SpectraLike {
  name: string;
  run: Omit<RunModelIdentity, 'inputSize'>;
  layers: readonly { name: string; kind: string; moduleIndex: number; kappa: number | null }[];
  firstLayer: {
    mirrored: { x: readonly number[]; density: readonly number[] };
    kurtosis: number;
    fits: readonly { distribution: string; names: readonly string[]; params: readonly number[]; rss: number }[];
    best: string | null;
    paretoAlpha: number | null;
  };
}

/**
 * Fig 3a (paper): condition number κ per layer (x: position of the layer in module order, y: κ on a
 * log scale), IWNE models in one panel and IFI models in the other, FS dashed and CL solid.
 */
export function fig3aPanels(results: readonly SpectraLike[]): ChartPanel[] {
  return (['IWNE', 'IFI'] as const)
    .map((init) => {
      const mine = results.filter((r) => r.run.strategy.startsWith(`${init}-`));
      const series: ChartSeries[] = mine.map((r) => ({
        name: `${r.run.strategy} (f ${r.run.fraction}, s ${r.run.seed})`,
        colour: STRATEGY_COLOURS[r.run.strategy],
        dashed: STRATEGY_DASHED[r.run.strategy],
        points: r.layers
          .map((l, i) => [i, l.kappa] as [number, number | null])
          .filter((p): p is [number, number] => p[1] !== null && p[1] > 0),
        band: [],
      }));
      const ys = series.flatMap((s) => s.points.map(([, y]) => y));
      const layers = Math.max(0, ...mine.map((r) => r.layers.length));
      return {
        key: init,
        title: `${init}: condition number per layer`,
        xLabel: 'Layer (Conv, BatchNorm, Linear in module order)',
        yLabel: 'κ (log scale)',
        xTicks: [],
        yDomain: [
          ys.length ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 1,
          ys.length ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : 10,
        ] as [number, number],
        series,
        layers,
      };
    })
    .filter((p) => p.series.length > 0)
    .map(({ layers, ...p }) => ({ ...p, xTicks: layers > 1 ? [0, Math.floor((layers - 1) / 2), layers - 1] : [0] }));
}

/** A run of consecutive layers of one block of the network (Fig 3a's x axis): `from`…`to` are layer positions. */
export interface LayerBlock {
  label: string;
  from: number;
  to: number;
}

/**
 * The blocks of a ResNet in module order, from torchvision layer names: the stem (conv1, bn1),
 * layer1 … layer4, fc; positions are the layers' indices, as Fig 3a's x values.
 */
export function layerBlocks(layers: readonly { name: string }[]): LayerBlock[] {
  const out: LayerBlock[] = [];
  layers.forEach((l, i) => {
    const head = l.name.split('.')[0] ?? l.name;
    const label = /^layer\d+$/.test(head) || head === 'fc' ? head : 'stem';
    const last = out[out.length - 1];
    if (last && last.label === label) last.to = i;
    else out.push({ label, from: i, to: i });
  });
  return out;
}

/**
 * Where Fig 3b's tail panel starts: |rank| ≥ 10 when the spectra have 20 or more eigenvalues; with
 * fewer (small N), the outer half of the ranks, so the panel is never empty.
 */
export function tailZoomFrom(results: readonly Pick<SpectraLike, 'firstLayer'>[]): number {
  const k = Math.max(0, ...results.map((r) => Math.max(0, ...r.firstLayer.mirrored.x)));
  return k >= 20 ? 10 : Math.max(1, Math.floor(k / 2) + 1);
}

/**
 * Fig 3b (paper): the first conv layer's mirrored spectrum as a density over rank; the second panel zooms on the tails (|rank| ≥ zoomFrom).
 */
export function fig3bPanels(results: readonly SpectraLike[], zoomFrom = 10): ChartPanel[] {
  const series = (filter: (x: number) => boolean): ChartSeries[] =>
    results.map((r) => ({
      name: `${r.run.strategy} (kurtosis ${r.firstLayer.kurtosis.toFixed(2)})`,
      colour: STRATEGY_COLOURS[r.run.strategy],
      dashed: STRATEGY_DASHED[r.run.strategy],
      points: r.firstLayer.mirrored.x.map((x, i) => [x, r.firstLayer.mirrored.density[i]!] as [number, number]).filter(([x]) => filter(x)),
      band: [],
    }));
  const k = Math.max(1, ...results.map((r) => Math.max(0, ...r.firstLayer.mirrored.x)));
  const full = series(() => true);
  const tail = series((x) => Math.abs(x) >= zoomFrom);
  const maxOf = (s: ChartSeries[]) => Math.max(1e-12, ...s.flatMap((x) => x.points.map(([, y]) => y)));
  return [
    {
      key: 'full',
      title: 'conv1 spectrum (mirrored density over rank)',
      xLabel: 'Component rank (mirrored)',
      yLabel: 'Density',
      xTicks: [-k, -Math.round(k / 2), 0, Math.round(k / 2), k],
      yDomain: [0, maxOf(full) * 1.05],
      series: full,
    },
    {
      key: 'tail',
      title: `Tails (|rank| ≥ ${zoomFrom})`,
      xLabel: 'Component rank (mirrored)',
      yLabel: 'Density',
      xTicks: [-k, -zoomFrom, zoomFrom, k],
      yDomain: [0, maxOf(tail) * 1.05],
      series: tail,
    },
  ];
}

export interface Table2Row {
  runId: string;
  strategy: TrainingStrategy;
  best: string;
  parameters: string;
  rss: number | null;
  kurtosis: number;
  paretoAlpha: number | null;
  runnerUp: string;
}

/** Table 2 (paper): the best-fitting distribution of each model's first-layer spectrum, with its parameters. */
export function table2Rows(results: readonly SpectraLike[]): Table2Row[] {
  const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4));
  return [...results]
    .sort(
      (a, b) => strategyRank(a.run.strategy) - strategyRank(b.run.strategy) || a.run.fraction - b.run.fraction || a.run.seed - b.run.seed,
    )
    .map((r) => {
      const best = r.firstLayer.fits.find((f) => f.distribution === r.firstLayer.best) ?? null;
      return {
        runId: r.run.runId,
        strategy: r.run.strategy,
        best: best?.distribution ?? '—',
        parameters: best ? best.names.map((n, i) => `${n}=${fmt(best.params[i]!)}`).join(', ') : '—',
        rss: best?.rss ?? null,
        kurtosis: r.firstLayer.kurtosis,
        paretoAlpha: r.firstLayer.paretoAlpha,
        runnerUp: r.firstLayer.fits
          .filter((f) => f.distribution !== r.firstLayer.best)
          .slice(0, 2)
          .map((f) => f.distribution)
          .join(', '),
      };
    });
}

/**
 * A relevance heatmap as RGBA for overlays (Fig 5): diverging colour map (red = positive relevance,
 * blue = negative), scaled so |v| at the `clip` quantile of |v| maps to full colour; alpha grows
 * with |v| × `opacity`. values: row-major [height, width].
 */
export function heatmapRgba(values: ArrayLike<number>, opts: { opacity?: number; clip?: number } = {}): Uint8ClampedArray {
  const n = values.length;
  const abs = Float64Array.from({ length: n }, (_, i) => Math.abs(values[i]!)).sort();
  const q = abs[Math.min(n - 1, Math.max(0, Math.floor((opts.clip ?? 0.995) * (n - 1))))] ?? 0;
  const scale = q > 0 ? q : Math.max(abs[n - 1] ?? 0, 1e-30);
  const opacity = opts.opacity ?? 0.75;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const t = Math.max(-1, Math.min(1, values[i]! / scale));
    const a = Math.abs(t);
    if (t >= 0) {
      out[i * 4] = 255;
      out[i * 4 + 1] = Math.round(255 * (1 - a) * 0.6);
      out[i * 4 + 2] = Math.round(255 * (1 - a) * 0.3);
    } else {
      out[i * 4] = Math.round(255 * (1 - a) * 0.3);
      out[i * 4 + 1] = Math.round(255 * (1 - a) * 0.6);
      out[i * 4 + 2] = 255;
    }
    out[i * 4 + 3] = Math.round(255 * opacity * Math.sqrt(a));
  }
  return out;
}

/**
 * The two poolings Table 3 reports, as the paper does (two of CLEVR-XAI's): `sum,pos` = max(Σ_c R_c, 0)
 * and `max-norm` = max_c |R_c| over the colour channels c.
 */
export const TABLE3_POOLINGS = ['sum,pos', 'max-norm'] as const;

export interface Table3Cell {
  mean: number | null;
  std: number | null;
}
export interface Table3Row {
  label: string;
  strategy: string | null;
  cells: Record<string, Table3Cell>;
}

/**
 * Table 3 (paper): relevance mass (RMA) or rank (RRA) accuracy per lesion and for the union, mean and
 * std over the images with that lesion, one row per model plus the Gaussian-noise control (of the
 * first model: the control does not depend on the model). `best[column]` = the model row(s) with the
 * highest mean; with `decimals`, compared as printed to that many decimals, and none when every model ties.
 */
export function table3(
  results: readonly {
    run: { runId: string; strategy: string };
    summary: Partial<
      Record<
        string,
        {
          lrp: Record<string, { rma: { mean: number | null; std: number | null }; rra: { mean: number | null; std: number | null } }>;
          noise: Record<string, { rma: { mean: number | null; std: number | null }; rra: { mean: number | null; std: number | null } }>;
        }
      >
    >;
  }[],
  metric: 'rma' | 'rra',
  pooling: string,
  regions: readonly string[] = ['MA', 'HE', 'EX', 'union'],
  opts: { decimals?: number } = {},
): { rows: Table3Row[]; best: Record<string, number[]> } {
  const sorted = [...results].sort((a, b) => strategyRank(a.run.strategy) - strategyRank(b.run.strategy));
  const rows: Table3Row[] = sorted.map((r) => ({
    label: r.run.strategy,
    strategy: r.run.strategy,
    cells: Object.fromEntries(
      regions.map((g) => [
        g,
        { mean: r.summary[g]?.lrp[pooling]?.[metric].mean ?? null, std: r.summary[g]?.lrp[pooling]?.[metric].std ?? null },
      ]),
    ),
  }));
  if (sorted[0])
    rows.push({
      label: 'Gaussian noise (control)',
      strategy: null,
      cells: Object.fromEntries(
        regions.map((g) => [
          g,
          {
            mean: sorted[0]!.summary[g]?.noise[pooling]?.[metric].mean ?? null,
            std: sorted[0]!.summary[g]?.noise[pooling]?.[metric].std ?? null,
          },
        ]),
      ),
    });
  const best: Record<string, number[]> = {};
  for (const g of regions) {
    const means = rows
      .map((r, i) => ({ i, m: r.strategy === null ? null : r.cells[g]!.mean }))
      .filter((x): x is { i: number; m: number } => x.m !== null);
    const shown = (m: number) => (opts.decimals === undefined ? m : Number(m.toFixed(opts.decimals)));
    const top = Math.max(...means.map((x) => shown(x.m)));
    const winners = means.filter((x) => shown(x.m) === top).map((x) => x.i);
    // At printed precision, a column where every model ties has no best.
    best[g] = opts.decimals !== undefined && winners.length === means.length ? [] : winners;
  }
  return { rows, best };
}
