/**
 * The study wizard's presets (pure, unit-tested in test/unit/renderer/presets.viewmodel.test.ts):
 *
 * - *Quick try* fits the chosen training dataset: its input size, the demo's reduced ResNet18
 *   (resnet18-w8), and the most epochs, label fractions and analysis images for which the estimate
 *   of the whole study (src-shared/estimate.ts) stays within 10 minutes on this computer — with the
 *   measured speed of that model when there is one, else the estimate's default speed. When even its
 *   smallest settings take longer (a large dataset), it takes them and says so.
 * - *Paper* is the paper's set-up as the schemas' defaults give it: ResNet50 at 224 px, IWNE 500
 *   epochs at 1e-4, IFI 50 at 1e-3, MoCo v2 200 epochs at 0.03 with K = 65,536, the label fractions
 *   0.1 … 1, seed 0, spectra on 256 images and robustness on 200.
 *
 * Analysis image counts of both are clamped to what the chosen datasets hold. A form matches a preset
 * when every value a preset sets is the preset's ("Custom" otherwise); choosing one lists what it
 * changes.
 */
import type { DatasetSummary } from '../../../../src-shared/contract';
import { defaultBench, type StudyEstimateInput } from '../../../../src-shared/estimate';
import type { JobState } from '../../../../src-shared/jobs';
import { GridSpec } from '../../../../src-shared/grid';
import { clampImages, imagesAvailable, imagesText, type ImagesAnalysis } from '../../../shared/analysis-images.viewmodel';
import { formatFraction } from '../../../shared/strategies';
import { DEFAULT_HYPER, HYPER_LABELS, hyperFields, parseNumber, type GridForm, type HyperForm } from './grid-form.viewmodel';
import { buildGridSpec } from './grid-spec.viewmodel';
import { benchJobFor, benchResult, estimateText, studyEstimate, type AnalysesForm, type BenchConfig } from './study-wizard.viewmodel';

export type PresetId = 'quick' | 'paper';

export const PRESET_LABELS: Record<PresetId | 'custom', string> = { quick: 'Quick try', paper: 'Paper', custom: 'Custom' };

/** The whole study's estimate Quick try stays within. */
export const QUICK_BUDGET_SECONDS = 600;
/** The demo study's model: a ResNet18 with an eighth of the base width. */
export const QUICK_ARCH = 'resnet18-w8';

/** Everything a preset sets: the model and its training, the fractions and seeds, and the analyses' image counts (as typed text). */
export interface PresetValues extends HyperForm {
  fractions: number[];
  seeds: number[];
  spectraImages: string;
  robustnessImages: string;
  /** Empty: every image of the dataset. */
  explainImages: string;
}

type Bench = StudyEstimateInput['bench'];

/** What a preset is fitted to: the wizard's current answers, the study's datasets and the measured speed of Quick try's model. */
export interface PresetContext {
  form: GridForm;
  analyses: AnalysesForm;
  datasets: readonly DatasetSummary[] | null;
  /** The measurement of `quickTryConfig(…)` (engine.benchmark), or null: the estimate's default speed is used. */
  measured: Bench | null;
}

const GRID_DEFAULTS = GridSpec.parse({});

/** The training dataset's preprocessed input size, or null when none is chosen (or it cannot be read). */
function datasetInputSize(form: Pick<GridForm, 'datasetId'>, datasets: readonly DatasetSummary[] | null): number | null {
  const d = (datasets ?? []).find((x) => x.id === form.datasetId);
  return d?.readable ? d.settings.inputSize : null;
}

/** The model Quick try trains on the chosen dataset (what its speed measurement measures), or null before a dataset is chosen. */
export function quickTryConfig(form: Pick<GridForm, 'datasetId'>, datasets: readonly DatasetSummary[] | null): BenchConfig | null {
  const inputSize = datasetInputSize(form, datasets);
  return inputSize === null ? null : { arch: QUICK_ARCH, inputSize, batchSize: inputSize > 256 ? 16 : 32 };
}

/** An analysis's image count clamped to what its dataset holds (null = every image). */
function countFor(ctx: PresetContext, key: ImagesAnalysis, count: number | null): string {
  return imagesText(clampImages(count, imagesAvailable(ctx.datasets, ctx.analyses[key].datasetId, key)?.images ?? null));
}

/** The paper's set-up (the schemas' defaults), with the analyses' image counts clamped to their datasets. */
export function paperPreset(ctx: PresetContext): PresetValues {
  return {
    ...DEFAULT_HYPER,
    fractions: [...GRID_DEFAULTS.fractions],
    seeds: [...GRID_DEFAULTS.seeds],
    spectraImages: countFor(ctx, 'spectra', 256),
    robustnessImages: countFor(ctx, 'robustness', 200),
    explainImages: '',
  };
}

/** Quick try's settings from the largest to the smallest: it takes the first whose estimate fits the budget. */
const QUICK_LADDER: readonly { epochs: number; fractions: number[]; images: [spectra: number, robustness: number, explain: number] }[] = [
  { epochs: 20, fractions: [0.25, 0.5, 1], images: [64, 40, 12] },
  { epochs: 15, fractions: [0.25, 0.5, 1], images: [64, 40, 12] },
  { epochs: 10, fractions: [0.25, 0.5, 1], images: [64, 40, 12] },
  { epochs: 8, fractions: [0.25, 0.5, 1], images: [64, 40, 12] },
  { epochs: 5, fractions: [0.25, 0.5, 1], images: [64, 40, 12] },
  { epochs: 5, fractions: [1], images: [64, 40, 12] },
  { epochs: 3, fractions: [1], images: [32, 20, 6] },
  { epochs: 2, fractions: [1], images: [32, 20, 6] },
  { epochs: 1, fractions: [1], images: [16, 10, 3] },
];

export interface QuickTry {
  values: PresetValues;
  /** The whole study's estimate with these values (null when it cannot be computed). */
  seconds: number | null;
  /** The estimate is within QUICK_BUDGET_SECONDS (false: even the smallest settings take longer). */
  fits: boolean;
  /** The estimate uses a measurement of this model on this computer (else the default speed). */
  measured: boolean;
}

/** Quick try on the chosen dataset (see the module comment), or null before a training dataset is chosen. */
export function quickTryPreset(ctx: PresetContext): QuickTry | null {
  const config = quickTryConfig(ctx.form, ctx.datasets);
  if (!config) return null;
  const bench = ctx.measured ?? defaultBench(config.arch, config.inputSize);
  let last: QuickTry | null = null;
  for (const rung of QUICK_LADDER) {
    const values: PresetValues = {
      arch: config.arch,
      inputSize: String(config.inputSize),
      batchSize: String(config.batchSize),
      // A few epochs from random weights need a larger step than the paper's 500 at 1e-4 (the demo study's 2e-3).
      iwneEpochs: String(rung.epochs),
      iwneLr: '0.002',
      ifiEpochs: String(Math.max(1, Math.ceil(rung.epochs / 2))),
      ifiLr: DEFAULT_HYPER.ifiLr,
      mocoEpochs: String(rung.epochs),
      mocoLr: DEFAULT_HYPER.mocoLr,
      mocoQueue: DEFAULT_HYPER.mocoQueue,
      fractions: rung.fractions,
      seeds: [0],
      spectraImages: countFor(ctx, 'spectra', rung.images[0]),
      robustnessImages: countFor(ctx, 'robustness', rung.images[1]),
      explainImages: countFor(ctx, 'explain', rung.images[2]),
    };
    const applied = applyPreset(ctx.form, ctx.analyses, values);
    const seconds = studyEstimate(buildGridSpec(applied.form), applied.analyses, ctx.datasets, bench).estimate?.totalSeconds ?? null;
    last = { values, seconds, fits: seconds !== null && seconds <= QUICK_BUDGET_SECONDS, measured: ctx.measured !== null };
    if (last.fits) return last;
  }
  return last;
}

/** The form and analyses with a preset's values (the dataset, strategies, weights, test sets and analysis datasets stay). */
export function applyPreset(form: GridForm, analyses: AnalysesForm, values: PresetValues): { form: GridForm; analyses: AnalysesForm } {
  const { fractions, seeds, spectraImages, robustnessImages, explainImages, ...hyper } = values;
  return {
    form: { ...form, ...hyper, fractions: [...fractions], seeds: [...seeds] },
    analyses: {
      ...analyses,
      spectra: { ...analyses.spectra, images: spectraImages },
      robustness: { ...analyses.robustness, images: robustnessImages },
      explain: { ...analyses.explain, images: explainImages },
    },
  };
}

/** Two typed values are the same setting: equal text, or the same number (`0.0001` and `1e-4`). */
function same(a: string, b: string): boolean {
  if (a.trim() === b.trim()) return true;
  const x = parseNumber(a);
  const y = parseNumber(b);
  return Number.isFinite(x) && x === y;
}

const listText = (values: readonly number[], fraction: boolean) =>
  values.length === 0 ? '—' : values.map((v) => (fraction ? formatFraction(v) : String(v))).join(', ');
const countText = (text: string) => (text.trim() === '' ? 'every image' : text.trim());

export interface PresetChange {
  label: string;
  from: string;
  to: string;
}

/**
 * What applying `values` changes, field by field; empty when the form already matches. Only what the answers use counts: the
 * hyperparameters of the chosen strategies (IFI epochs only with an IFI strategy, MoCo only with IWNE-CL) and the image counts of the
 * analyses that are switched on.
 */
export function presetChanges(form: GridForm, analyses: AnalysesForm, values: PresetValues): PresetChange[] {
  const changes: PresetChange[] = [];
  for (const key of hyperFields(form.strategies)) {
    if (!same(form[key], values[key])) changes.push({ label: HYPER_LABELS[key], from: form[key].trim() || '—', to: values[key] });
  }
  const sameList = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && [...a].sort((x, y) => x - y).every((v, i) => v === [...b].sort((x, y) => x - y)[i]);
  if (!sameList(form.fractions, values.fractions))
    changes.push({ label: 'Label fractions', from: listText(form.fractions, true), to: listText(values.fractions, true) });
  if (!sameList(form.seeds, values.seeds))
    changes.push({ label: 'Seeds', from: listText(form.seeds, false), to: listText(values.seeds, false) });
  const counts: [ImagesAnalysis, string, string][] = [
    ['spectra', 'Spectra images', values.spectraImages],
    ['robustness', 'Robustness images', values.robustnessImages],
    ['explain', 'Explanation images', values.explainImages],
  ];
  for (const [key, label, to] of counts) {
    const from = analyses[key].images ?? '';
    if (analyses[key].enabled && !same(countText(from), countText(to))) changes.push({ label, from: countText(from), to: countText(to) });
  }
  return changes;
}

/** The preset the answers match (the first of `candidates` with no change), else 'custom'. */
export function matchingPreset(
  form: GridForm,
  analyses: AnalysesForm,
  candidates: readonly (readonly [PresetId, PresetValues | null])[],
): PresetId | 'custom' {
  for (const [id, values] of candidates) if (values && presetChanges(form, analyses, values).length === 0) return id;
  return 'custom';
}

/** `resnet18-w8 at 64 px · IWNE 20 epochs · fractions 25 %, 50 %, 100 % · seed 0`: a preset in one line. */
export function presetSummary(values: PresetValues, strategies: readonly string[]): string {
  const parts = [`${values.arch} at ${values.inputSize} px`];
  if (strategies.some((s) => s.startsWith('IWNE'))) parts.push(`IWNE ${values.iwneEpochs} epochs`);
  if (strategies.some((s) => s.startsWith('IFI'))) parts.push(`IFI ${values.ifiEpochs} epochs`);
  if (strategies.includes('IWNE-CL')) parts.push(`MoCo ${values.mocoEpochs} epochs`);
  parts.push(`fractions ${listText(values.fractions, true)}`);
  parts.push(`seed${values.seeds.length === 1 ? '' : 's'} ${listText(values.seeds, false)}`);
  return parts.join(' · ');
}

/**
 * The estimate line beside the presets: the whole study with the current answers, and whether it uses a measurement; for Quick try that
 * does not fit, the honest reason.
 */
export function presetEstimateText(seconds: number | null, measured: boolean, quickMisses: boolean): string | null {
  if (seconds === null) return null;
  const speed = measured ? 'measured on this computer' : 'at the usual speed of 2 CPU cores; measure it on the Compute & duration step';
  const line = `The whole study: ${estimateText(seconds)} (${speed}).`;
  return quickMisses
    ? `${line} Even Quick try's smallest settings (1 epoch, one label fraction) take longer than ${QUICK_BUDGET_SECONDS / 60} min on this dataset: a smaller dataset or the GPU backend is faster.`
    : line;
}

/** The presets as the wizard shows them: each preset's values on the current answers, the one they match, and the estimate line. */
export interface PresetView {
  /** Null before a training dataset is chosen. */
  quick: QuickTry | null;
  paper: PresetValues | null;
  /** The preset the answers match; the followed Quick try until a dataset is chosen. */
  shown: PresetId | 'custom';
  /** The whole study's estimate with the current answers (measured speed of their model, else the default), or null. */
  estimate: string | null;
}

/**
 * The wizard's presets on its current answers. `followed` is the preset the wizard follows (a new study follows Quick try), `jobs` hold the
 * speed measurements (engine.benchmark) of Quick try's model and of the model the answers train.
 */
export function presetView(
  form: GridForm,
  analyses: AnalysesForm | null,
  datasets: readonly DatasetSummary[] | null,
  jobs: readonly JobState[],
  followed: PresetId | null,
): PresetView {
  if (!analyses) return { quick: null, paper: null, shown: followed ?? 'custom', estimate: null };
  const config = quickTryConfig(form, datasets);
  const measured = config ? benchResult(benchJobFor(jobs, config)) : null;
  const ctx: PresetContext = { form, analyses, datasets, measured };
  const quick = quickTryPreset(ctx);
  const paper = paperPreset(ctx);
  const order: PresetId[] = followed === 'paper' ? ['paper', 'quick'] : ['quick', 'paper'];
  const values = { quick: quick?.values ?? null, paper };
  const shown = matchingPreset(
    form,
    analyses,
    order.map((id) => [id, values[id]] as const),
  );
  const current: BenchConfig = { arch: form.arch.trim(), inputSize: parseNumber(form.inputSize), batchSize: parseNumber(form.batchSize) };
  const currentMeasured = benchResult(benchJobFor(jobs, current));
  const bench = currentMeasured ?? (Number.isInteger(current.inputSize) ? defaultBench(current.arch, current.inputSize) : null);
  const seconds = bench ? (studyEstimate(buildGridSpec(form), analyses, datasets, bench).estimate?.totalSeconds ?? null) : null;
  return {
    quick,
    paper,
    shown,
    estimate: presetEstimateText(seconds, currentMeasured !== null, shown === 'quick' && quick !== null && !quick.fits),
  };
}
