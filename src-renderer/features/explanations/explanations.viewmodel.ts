/**
 * Everything the Explanations page shows, as pure functions (unit-tested in
 * test/unit/renderer/explanations.viewmodel.test.ts). Fig 5's heatmaps are coloured by the function
 * the PDF report uses (src-shared/figures.ts heatmapRgba: red = evidence for the explained output,
 * blue = against, |v| clipped at its 99.5th percentile, alpha growing with |v|), Table 3 comes from
 * the shared table3 (mean ± std per lesion and union, one row per model plus the Gaussian-noise
 * control, best mean per column). Added here, for the app's controls:
 *
 * - a sequential colour map for positive relevance only (negative relevance transparent), scaled the
 *   same way (the 99.5th percentile of the positive values maps to full colour);
 * - lesion contours: the mask pixels with a 4-neighbour outside the mask (or on the border), drawn
 *   opaque in the lesion's colour over the heatmap;
 * - the mask panels: each mask filled in its colour (alpha 230, as the report), the union in one
 *   colour.
 *
 * Results of outdated runs (or of runs no longer in the study) are left out unless included, then
 * marked (explanationsByStanding).
 *
 * The relevance and the RMA / RRA numbers are computed and tested on the main side
 * (src-main/analysis/lrp).
 */
import { explanationSettings, pickExplanations } from '../../../src-shared/analysis-choice';
import { LESION_COLOURS, type RunSummary } from '../../../src-shared/contract';
import type { ExplanationResult, Pooling, Region } from '../../../src-shared/explanations';
import type { TrainingStrategy } from '../../../src-shared/training';
import { heatmapRgba, table3 } from '../../../src-shared/figures';
import { cliCommand, resultsByStanding, type ResultOutdated, type ResultsByStanding } from '../../shared/analyses.viewmodel';
import { formatFraction, strategyRank } from '../../shared/strategies';

export const LESIONS = ['MA', 'HE', 'EX'] as const;
export type ExplainedLesion = (typeof LESIONS)[number];
export const REGIONS: readonly Region[] = ['MA', 'HE', 'EX', 'union'];
/** The union panel's colour, shared with the report. */
export { UNION_COLOUR } from '../../../src-shared/contract';

export const POOLINGS: readonly { id: Pooling; label: string; text: string }[] = [
  { id: 'sum,pos', label: 'sum, positive', text: "Σ over R, G, B, then only positive relevance counts (the report's default)" },
  { id: 'sum,abs', label: 'sum, absolute', text: 'Σ over R, G, B, then |relevance|' },
  { id: 'max-norm', label: 'max-norm', text: 'max over R, G, B of |relevance|' },
  { id: 'l2-norm,sq', label: 'L2-norm squared', text: 'Σ over R, G, B of relevance²' },
];

// ---- Which results are shown together -----------------------------------------------------------------

export interface ExplanationGroup {
  key: string;
  /** `idrid-demo · 100 % · seed 0 — IWNE-FS, IWNE-CL`. */
  label: string;
  datasetId: string;
  /** One per strategy, in the paper's order. */
  results: ExplanationResult[];
}

/**
 * Results shown side by side: the same dataset and the same run fraction and seed (looked up in the
 * study's runs; `?` when a run folder is gone), strategies in the paper's order; groups with the most
 * results first. One result per run and dataset, chosen as the report does (pickExplanations: the newest
 * with the default settings, else the newest).
 */
export function explanationGroups(results: readonly ExplanationResult[], runs: readonly RunSummary[]): ExplanationGroup[] {
  const byRun = new Map(runs.map((r) => [r.runId, r]));
  const groups = new Map<string, { datasetId: string; fraction: number | null; seed: number | null; results: ExplanationResult[] }>();
  for (const r of pickExplanations(results)) {
    const run = byRun.get(r.run.runId);
    const key = `${r.dataset.datasetId}|${run?.fraction ?? '?'}|${run?.seed ?? '?'}`;
    const g = groups.get(key) ?? { datasetId: r.dataset.datasetId, fraction: run?.fraction ?? null, seed: run?.seed ?? null, results: [] };
    g.results.push(r);
    groups.set(key, g);
  }
  return [...groups.entries()]
    .map(([key, g]) => {
      const sorted = g.results.sort((a, b) => rank(a.run.strategy) - rank(b.run.strategy) || a.run.runId.localeCompare(b.run.runId));
      const where = g.fraction === null || g.seed === null ? '' : ` · ${formatFraction(g.fraction)} · seed ${g.seed}`;
      return {
        key,
        label: `${g.datasetId}${where} — ${sorted.map((r) => r.run.strategy).join(', ')}`,
        datasetId: g.datasetId,
        results: sorted,
      };
    })
    .sort((a, b) => b.results.length - a.results.length || a.key.localeCompare(b.key));
}

/**
 * Each shown result's recorded settings and its share of positive relevance outside the fundus
 * (docs/design.md "Relevance outside the fundus"; `—` for results that do not record it).
 */
export function explanationSettingsLines(results: readonly ExplanationResult[]): string[] {
  return results.map((r) => {
    const share = r.outsideFundus?.mean;
    return `${r.run.strategy} (${r.run.runId}): positive relevance outside the fundus ${share == null ? '—' : share.toFixed(3)}; ${explanationSettings(r)}`;
  });
}

/**
 * The explanation results the page shows: those of current runs, and those of outdated runs (or of
 * runs no longer in the study) only when `includeOutdated`, then marked; the notice names the ones
 * left out.
 */
export function explanationsByStanding(
  results: readonly ExplanationResult[],
  runs: readonly RunSummary[] | null,
  includeOutdated: boolean,
): ResultsByStanding<ExplanationResult> {
  return resultsByStanding(results, runs, (r) => [r.run.runId], includeOutdated, {
    noun: ['explanation result', 'explanation results'],
    where: 'Fig 5 and Table 3',
  });
}

/** The marked results of a shown group: `IWNE-FS (iwne-fs-a)` with the chip and line. */
export function outdatedExplanations(
  group: Pick<ExplanationGroup, 'results'> | null,
  marks: ReadonlyMap<string, ResultOutdated>,
): { key: string; label: string; outdated: ResultOutdated }[] {
  return (group?.results ?? []).flatMap((r) => {
    const outdated = marks.get(r.name);
    return outdated ? [{ key: r.name, label: `${r.run.strategy} (${r.run.runId})`, outdated }] : [];
  });
}

function rank(strategy: string): number {
  const r = strategyRank(strategy);
  return r < 0 ? 99 : r;
}

export interface ImageChoice {
  id: string;
  /** `IDRiD_01 · MA, EX`: the lesions scored on it. */
  label: string;
  lesions: ExplainedLesion[];
}

/** The images every result of the group explained, in the first result's (manifest) order. */
export function imageChoices(group: Pick<ExplanationGroup, 'results'> | null): ImageChoice[] {
  const first = group?.results[0];
  if (!first) return [];
  const everywhere = first.images.filter((im) => group.results.every((r) => r.images.some((x) => x.id === im.id)));
  return everywhere.map((im) => {
    const lesions = LESIONS.filter((l) => {
      const o = im.regions[l];
      return o !== undefined && 'maskPixels' in o;
    });
    return { id: im.id, label: `${im.id} · ${lesions.length ? lesions.join(', ') : 'no lesion mask'}`, lesions };
  });
}

/** The default image: the one with the most lesions scored (first in manifest order on ties), as the report's Fig 5. */
export function defaultImage(choices: readonly ImageChoice[]): string | null {
  let best: ImageChoice | null = null;
  for (const c of choices) if (!best || c.lesions.length > best.lesions.length) best = c;
  return best?.id ?? null;
}

/** One image's RMA and RRA for a region and pooling (null when not scored there). */
export function imageAccuracy(
  result: ExplanationResult,
  imageId: string,
  region: Region,
  pooling: Pooling,
): { rma: number | null; rra: number } | null {
  const outcome = result.images.find((im) => im.id === imageId)?.regions[region];
  if (!outcome || !('maskPixels' in outcome)) return null;
  return outcome.lrp[pooling] ?? null;
}

/** `union: RMA 0.412 · RRA 0.230` for a heatmap caption, or `union: not scored`. */
export function accuracyCaption(result: ExplanationResult, imageId: string, region: Region, pooling: Pooling): string {
  const acc = imageAccuracy(result, imageId, region, pooling);
  if (!acc) return `${region}: not scored`;
  return `${region}: RMA ${acc.rma === null ? '—' : acc.rma.toFixed(3)} · RRA ${acc.rra.toFixed(3)}`;
}

// ---- Overlays -------------------------------------------------------------------------------------------

export type ColourMap = 'diverging' | 'positive';

/** `#rrggbb` → [r, g, b]. */
export function hexRgb(colour: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (!m) throw new Error(`not a #rrggbb colour: ${colour}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** The sequential map's stops: t = 0 dark red … t = 1 pale yellow (a "hot" ramp, readable over a grey fundus). */
export const POSITIVE_STOPS: readonly [number, [number, number, number]][] = [
  [0, [120, 0, 0]],
  [0.35, [230, 30, 0]],
  [0.7, [255, 160, 0]],
  [1, [255, 255, 160]],
];

function ramp(t: number): [number, number, number] {
  for (let i = 1; i < POSITIVE_STOPS.length; i++) {
    const [t1, c1] = POSITIVE_STOPS[i]!;
    if (t <= t1) {
      const [t0, c0] = POSITIVE_STOPS[i - 1]!;
      const f = (t - t0) / (t1 - t0);
      return [0, 1, 2].map((k) => Math.round(c0[k]! + f * (c1[k]! - c0[k]!))) as [number, number, number];
    }
  }
  return POSITIVE_STOPS[POSITIVE_STOPS.length - 1]![1];
}

/**
 * Positive relevance only, sequential colours: v ≤ 0 transparent; t = min(1, v / q) with q the
 * `clip` quantile of the positive values (heatmapRgba's rule, on the positive part); colour ramp(t),
 * alpha = 255 · opacity · √t.
 */
export function positiveRgba(values: ArrayLike<number>, opts: { opacity?: number; clip?: number } = {}): Uint8ClampedArray {
  const n = values.length;
  const positive = Array.from({ length: n }, (_, i) => values[i]!)
    .filter((v) => v > 0)
    .sort((a, b) => a - b);
  const q = positive.length
    ? positive[Math.min(positive.length - 1, Math.max(0, Math.floor((opts.clip ?? 0.995) * (positive.length - 1))))]!
    : 0;
  const scale = q > 0 ? q : 1;
  const opacity = opts.opacity ?? 0.75;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(v > 0)) continue;
    const t = Math.min(1, v / scale);
    const [r, g, b] = ramp(t);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = Math.round(255 * opacity * Math.sqrt(t));
  }
  return out;
}

/** 1 on the mask's boundary: mask pixels with a 4-neighbour outside the mask or outside the image. */
export function maskContour(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x]! > 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!on(x, y)) continue;
      if (!on(x - 1, y) || !on(x + 1, y) || !on(x, y - 1) || !on(x, y + 1)) out[y * width + x] = 1;
    }
  }
  return out;
}

export interface OverlayOptions {
  colourMap: ColourMap;
  opacity: number;
  /** Lesion masks whose contours are drawn over the heatmap (null: none). */
  contours: Partial<Record<ExplainedLesion, ArrayLike<number>>> | null;
}

/** The RGBA layer drawn over the image: the heatmap in the chosen map, then the lesion contours (opaque, lesion colours). */
export function overlayRgba(values: ArrayLike<number>, width: number, height: number, opts: OverlayOptions): Uint8ClampedArray {
  if (values.length !== width * height) throw new Error(`heatmap of ${values.length} values is not ${height}×${width}`);
  const out =
    opts.colourMap === 'positive' ? positiveRgba(values, { opacity: opts.opacity }) : heatmapRgba(values, { opacity: opts.opacity });
  if (opts.contours) {
    for (const lesion of LESIONS) {
      const mask = opts.contours[lesion];
      if (!mask) continue;
      const [r, g, b] = hexRgb(LESION_COLOURS[lesion]);
      const edge = maskContour(mask, width, height);
      for (let i = 0; i < edge.length; i++) {
        if (!edge[i]) continue;
        out[i * 4] = r;
        out[i * 4 + 1] = g;
        out[i * 4 + 2] = b;
        out[i * 4 + 3] = 255;
      }
    }
  }
  return out;
}

/** A mask panel's layer: every pixel in any of `masks` filled with `colour` at alpha 230 (the report's overlay). */
export function maskRgba(masks: readonly ArrayLike<number>[], colour: string, size: number): Uint8ClampedArray {
  const [r, g, b] = hexRgb(colour);
  const out = new Uint8ClampedArray(size * 4);
  for (let i = 0; i < size; i++) {
    if (!masks.some((m) => m[i]! > 0)) continue;
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = 230;
  }
  return out;
}

// ---- Table 3 --------------------------------------------------------------------------------------------

export interface Table3CellModel {
  /** `0.412 ± 0.101`, `—`. */
  text: string;
  /** The best mean of its column among the models (never the noise control). */
  best: boolean;
}
export interface Table3RowModel {
  key: string;
  label: string;
  strategy: TrainingStrategy | null;
  control: boolean;
  cells: Table3CellModel[];
}
export interface Table3Model {
  metric: 'rma' | 'rra';
  title: string;
  pooling: Pooling;
  columns: { region: Region; label: string }[];
  rows: Table3RowModel[];
}

const REGION_LABELS: Record<Region, string> = { MA: 'MA', HE: 'HE', EX: 'EX', union: 'Union' };

/** Table 3 for one metric and pooling from the shared table3; column headers carry the images scored (first model). */
export function table3Model(results: readonly ExplanationResult[], metric: 'rma' | 'rra', pooling: Pooling): Table3Model {
  const t = table3(results, metric, pooling, REGIONS);
  const first = [...results].sort((a, b) => rank(a.run.strategy) - rank(b.run.strategy))[0];
  return {
    metric,
    title: metric === 'rma' ? 'Relevance mass accuracy (RMA)' : 'Relevance rank accuracy (RRA)',
    pooling,
    columns: REGIONS.map((region) => {
      const n = first?.summary[region]?.scored;
      return { region, label: `${REGION_LABELS[region]}${n === undefined ? '' : ` (n = ${n})`}` };
    }),
    rows: t.rows.map((row, i) => ({
      key: `${row.strategy ?? 'noise'}-${i}`,
      label: row.label,
      strategy: (row.strategy as TrainingStrategy | null) ?? null,
      control: row.strategy === null,
      cells: REGIONS.map((region) => {
        const c = row.cells[region]!;
        return {
          text: c.mean === null ? '—' : `${c.mean.toFixed(3)} ± ${(c.std ?? 0).toFixed(3)}`,
          best: row.strategy !== null && (t.best[region] ?? []).includes(i),
        };
      }),
    })),
  };
}

// ---- What the page runs ---------------------------------------------------------------------------------

/** The CLI command of the jobs the page submits (one explain.run per run; the CLI takes them together). */
export function explainCommand(studyPath: string, runIds: readonly string[], datasetId: string, images: number | null): string {
  return cliCommand([
    'explain',
    '--study',
    studyPath,
    '--runs',
    runIds.join(','),
    '--dataset',
    datasetId,
    ...(images === null ? [] : ['--images', images]),
  ]);
}

/**
 * `LRP α1β0 of 3 images at 64 px; relevance from the true grade (grade 3 for ungraded images); first layer alpha-beta, max pooling
 * winner-take-all`.
 */
export function explanationSummary(result: ExplanationResult): string {
  const r = result.request;
  const start =
    r.start === 'true-grade' ? `the true grade's output (grade ${r.ungradedClass} for ungraded images)` : 'the referable-group output';
  return `LRP α1β0 of ${result.images.length} image${result.images.length === 1 ? '' : 's'} of ${result.dataset.datasetId} at ${result.heatmap.shape[1]} px; relevance starts at ${start}; BatchNorm merged into the convolutions, residual sums ${r.lrp.sum}, first layer ${r.lrp.firstLayer}, max pooling ${r.lrp.maxPool}.`;
}
