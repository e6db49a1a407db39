/**
 * Everything the Robustness page shows, as pure functions (unit-tested in
 * test/unit/renderer/robustness.viewmodel.test.ts). Fig 4 comes from the view model the PDF report
 * draws too (src-shared/figures.ts fig4Panels: CL − FS per initialisation, corruptions as rows,
 * severities as bars whose opacity is severityOpacity); here it is only arranged as recharts rows.
 * The per-model table reduces each model's cells (src-shared/robustness.ts RobustnessResult):
 *
 * - clean: the mean probability of the true referable / non-referable class on the clean images;
 * - mean corrupted: the plain mean of that score over every corruption × severity analysed;
 * - change: mean corrupted − clean;
 * - AUC: on the clean images, and the mean of the corrupted AUCs that exist (null when a cell's
 *   images have one class).
 *
 * An analysis computed from an outdated run (or from a run no longer in the study) is left out unless
 * outdated runs are included, then marked (robustnessByStanding).
 *
 * The scores themselves are computed and tested on the main side (src-main/analysis/robustness,
 * src-main/analysis/corruptions).
 */
import { mixHex } from '../../../src-shared/colour';
import type { RunSummary } from '../../../src-shared/contract';
import { CORRUPTION_NAMES, type RobustnessResult } from '../../../src-shared/robustness';
import type { TrainingStrategy } from '../../../src-shared/training';
import { fig4Panels, severityOpacity } from '../../../src-shared/figures';
import { cliCommand, resultsByStanding, type ResultsByStanding } from '../../shared/analyses.viewmodel';
import { niceAxis } from '../../shared/axis.viewmodel';
import { formatDateTime } from '../../shared/format.viewmodel';
import { runLabel, strategyRank } from '../../shared/strategies';

export const ALL_SEVERITIES = [1, 2, 3, 4, 5] as const;
/** The request's default number of images (src-shared/robustness.ts). */
export const DEFAULT_ROBUSTNESS_IMAGES = 200;

/** `gaussian_noise` → `gaussian noise`. */
export function corruptionLabel(name: string): string {
  return name.replace(/_/g, ' ');
}

/** `0.812`, `—`. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

const MINUS = '\u2212';
/** `+0.031`, `−0.012`, `0.000`. */
export function formatSigned(value: number, digits = 3): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return `${value > 0 ? '+' : MINUS}${text}`;
}

// ---- Which result ----------------------------------------------------------------------------------

export interface RobustnessChoice {
  name: string;
  /** `demo-eval (test) · IWNE-FS, IWNE-CL · 16 images · 3 corruptions × 2 severities`. */
  label: string;
}

/** The study's robustness results, newest first. */
export function robustnessChoices(results: readonly RobustnessResult[]): RobustnessChoice[] {
  return [...results]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name))
    .map((r) => ({
      name: r.name,
      label: `${r.datasetId} (${r.split}) · ${[...r.models]
        .sort((a, b) => strategyRank(a.strategy) - strategyRank(b.strategy))
        .map((m) => m.strategy)
        .join(
          ', ',
        )} · ${r.images} images · ${r.corruptions.length} corruption${r.corruptions.length === 1 ? '' : 's'} × ${r.severities.length} severit${r.severities.length === 1 ? 'y' : 'ies'}${r.settings ? ` · settings ${r.settings.hash}${r.settings.defaults ? ' (defaults)' : ''}` : ''}`,
    }));
}

/**
 * The robustness analyses the page offers: those whose models all come from current runs, and the
 * others (a model of an outdated run, or of a run no longer in the study) only when `includeOutdated`,
 * then marked; the notice names the runs of the ones left out.
 */
export function robustnessByStanding(
  results: readonly RobustnessResult[],
  runs: readonly RunSummary[] | null,
  includeOutdated: boolean,
): ResultsByStanding<RobustnessResult> {
  return resultsByStanding(results, runs, (r) => r.models.map((m) => m.runId), includeOutdated, {
    noun: ['robustness analysis', 'robustness analyses'],
    where: 'the table, Fig 4 and the gallery',
  });
}

/** `16 images of demo-eval (test split, 8 referable), 3 corruptions × severities 1, 3; seed 0; 2 Jan 2026, 03:04`. */
export function robustnessSummary(r: RobustnessResult, locale?: string): string {
  return `${r.images} images of ${r.datasetId} (${r.split} split, ${r.positives} referable), ${r.corruptions.length} corruption${r.corruptions.length === 1 ? '' : 's'} × severities ${r.severities.join(', ')}; seed ${r.seed}; every model saw the same corrupted images. Analysed ${formatDateTime(r.createdAt, locale)} on ${r.backend}.`;
}

// ---- Fig 4 ------------------------------------------------------------------------------------------

export interface Fig4BarSeries {
  /** Key of the bar's value in each row: `s1` … `s5`. */
  key: string;
  severity: number;
  /** severityOpacity (shared with the report). */
  opacity: number;
}

export type Fig4Row = { corruption: string; label: string } & Record<string, number | string | null>;

export interface Fig4ChartModel {
  key: string;
  title: string;
  initialisation: 'IWNE' | 'IFI';
  /** The CL strategy of the initialisation: the bars take its colour. */
  strategy: TrainingStrategy;
  /** Corruptions top to bottom in the reference's order, with each severity's CL − FS difference. */
  rows: Fig4Row[];
  severities: Fig4BarSeries[];
  /** Symmetric ±limit from the shared panel. */
  domain: [number, number];
  ticks: number[];
  decimals: number;
  /** Pixels: enough for every row's bars. */
  height: number;
  description: string;
}

/**
 * The solid fill of a Fig 4 severity bar of `colour`, so that "darker = more severe" (the caption) holds in both themes. Light
 * theme: the bar as the report draws it, `colour` at the severity's opacity over the white card. Dark theme: an opacity over the
 * dark card would make the more severe bars brighter (the reverse of the caption), so the bars run instead from a light tint of
 * `colour` (severity 1) to a deep shade of it (severity 5); each bar keeps its outline in `colour`, so the deep shades stay visible.
 */
export function severityFill(colour: string, opacity: number, mode: 'light' | 'dark', paper: string): string {
  if (mode === 'light') return mixHex(colour, paper, 1 - opacity);
  const t = Math.min(1, Math.max(0, (opacity - severityOpacity(1)) / (severityOpacity(5) - severityOpacity(1))));
  const w = 0.6 - 1.15 * t;
  return w >= 0 ? mixHex(colour, '#ffffff', w) : mixHex(colour, '#000000', -w);
}

/** Fig 4 as charts (fig4Panels): one per initialisation (and fraction, seed), rows = corruptions, one bar per severity. */
export function fig4Charts(result: RobustnessResult): Fig4ChartModel[] {
  return fig4Panels(result).map((panel) => {
    const severities = [...new Set(panel.bars.map((b) => b.severity))].sort((a, b) => a - b);
    const rows: Fig4Row[] = panel.corruptions.map((c) => {
      const row: Fig4Row = { corruption: c, label: corruptionLabel(c) };
      for (const s of severities) row[`s${s}`] = panel.bars.find((b) => b.corruption === c && b.severity === s)?.difference ?? null;
      return row;
    });
    const axis = niceAxis(-panel.limit, panel.limit);
    const half = Math.max(Math.abs(axis.domain[0]), Math.abs(axis.domain[1]));
    const positive = panel.bars.filter((b) => b.difference > 0).length;
    return {
      key: panel.key,
      title: panel.title,
      initialisation: panel.initialisation,
      strategy: `${panel.initialisation}-CL` as TrainingStrategy,
      rows,
      severities: severities.map((s) => ({ key: `s${s}`, severity: s, opacity: Number(severityOpacity(s).toFixed(2)) })),
      domain: [-half, half],
      ticks: axis.ticks.filter((t) => Math.abs(t) <= half + 1e-12),
      decimals: axis.decimals,
      height: 56 + rows.length * Math.max(30, severities.length * 6 + 10),
      description: `${panel.title}: CL minus FS mean probability of the true class per corruption and severity; ${positive} of ${panel.bars.length} bars are positive (CL more robust), largest magnitude ${formatScore(Math.max(0, ...panel.bars.map((b) => Math.abs(b.difference))))}.`,
    };
  });
}

// ---- Per-model table --------------------------------------------------------------------------------

export interface RobustnessRowModel {
  key: string;
  runId: string;
  strategy: TrainingStrategy;
  /** `IWNE-FS · 100 % · seed 0`. */
  run: string;
  clean: string;
  corrupted: string;
  change: string;
  /** The change is negative: corruption lowered the score. */
  worse: boolean;
  cleanAuc: string;
  corruptedAuc: string;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** One row per model, strategies in the paper's order (see the module comment for the columns). */
export function robustnessTable(result: RobustnessResult): RobustnessRowModel[] {
  return [...result.models]
    .sort((a, b) => strategyRank(a.strategy) - strategyRank(b.strategy) || a.runId.localeCompare(b.runId))
    .map((m) => {
      const clean = m.cells.find((c) => c.corruption === 'clean') ?? null;
      const rest = m.cells.filter((c) => c.corruption !== 'clean');
      const corrupted = mean(rest.map((c) => c.meanTrueClassProbability));
      const aucs = rest.map((c) => c.auc).filter((a): a is number => a !== null);
      const change = clean && corrupted !== null ? corrupted - clean.meanTrueClassProbability : null;
      return {
        key: m.runId,
        runId: m.runId,
        strategy: m.strategy,
        run: runLabel(m),
        clean: formatScore(clean?.meanTrueClassProbability),
        corrupted: formatScore(corrupted),
        change: change === null ? '—' : formatSigned(change),
        worse: change !== null && Number(change.toFixed(3)) < 0,
        cleanAuc: formatScore(clean?.auc),
        corruptedAuc: formatScore(mean(aucs)),
      };
    });
}

// ---- Gallery ------------------------------------------------------------------------------------------

export interface GalleryCell {
  severity: number;
  /** File relative to the result folder (for robustness.gallery), or null when the gallery lacks it. */
  file: string | null;
  /** `gaussian noise, severity 3`. */
  alt: string;
}
export interface GalleryModel {
  image: string;
  clean: GalleryCell | null;
  severities: number[];
  rows: { corruption: string; label: string; cells: GalleryCell[] }[];
  /** Every file, clean first then row by row (the page loads them in this order). */
  files: string[];
}

/** The gallery as a grid: one row per corruption (in the result's order, as Fig 4's rows), one column per severity. */
export function galleryModel(result: RobustnessResult): GalleryModel | null {
  const g = result.gallery;
  if (!g) return null;
  const severities = [...result.severities].sort((a, b) => a - b);
  const find = (c: string, s: number) => g.files.find((f) => f.corruption === c && f.severity === s)?.file ?? null;
  const cleanFile = g.files.find((f) => f.corruption === 'clean')?.file ?? null;
  const rows = result.corruptions.map((c) => ({
    corruption: c,
    label: corruptionLabel(c),
    cells: severities.map((s) => ({ severity: s, file: find(c, s), alt: `${corruptionLabel(c)}, severity ${s}` })),
  }));
  const files = [cleanFile, ...rows.flatMap((r) => r.cells.map((c) => c.file))].filter((f): f is string => f !== null);
  return { image: g.image, clean: cleanFile ? { severity: 0, file: cleanFile, alt: 'clean image' } : null, severities, rows, files };
}

// ---- What the page runs -------------------------------------------------------------------------------

export interface RobustnessForm {
  images: number;
  /** Empty = all 19. */
  corruptions: readonly string[];
  severities: readonly number[];
}

/** The CLI command of the job the page submits. */
export function robustnessCommand(studyPath: string, runIds: readonly string[], datasetId: string, form: RobustnessForm): string {
  const args: (string | number)[] = [
    'robustness',
    '--study',
    studyPath,
    '--runs',
    runIds.join(','),
    '--dataset',
    datasetId,
    '--images',
    form.images,
  ];
  if (form.corruptions.length > 0 && form.corruptions.length < CORRUPTION_NAMES.length)
    args.push('--corruptions', form.corruptions.join(','));
  if (form.severities.length > 0 && form.severities.length < ALL_SEVERITIES.length)
    args.push('--severities', [...form.severities].sort((a, b) => a - b).join(','));
  return cliCommand(args);
}
