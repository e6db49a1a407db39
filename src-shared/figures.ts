/**
 * Figure view models shared by the app (recharts) and the report (SVG): the same data, colours and
 * titles wherever a figure is drawn. Pure, node-free.
 */
import type { Fig2Panel, StudyResults } from './evaluation';
import type { TrainingStrategy } from './training';

/** One colour per strategy, everywhere (colour-blind-safe Okabe–Ito hues). */
export const STRATEGY_COLOURS: Readonly<Record<TrainingStrategy, string>> = {
  'IWNE-FS': '#E69F00',
  'IWNE-CL': '#D55E00',
  'IFI-FS': '#56B4E9',
  'IFI-CL': '#0072B2',
};
/** FS lines dashed, CL solid (so the pairs read in grey print too). */
export const STRATEGY_DASHED: Readonly<Record<TrainingStrategy, boolean>> = { 'IWNE-FS': true, 'IWNE-CL': false, 'IFI-FS': true, 'IFI-CL': false };
export const STRATEGIES: readonly TrainingStrategy[] = ['IWNE-FS', 'IWNE-CL', 'IFI-FS', 'IFI-CL'];

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
