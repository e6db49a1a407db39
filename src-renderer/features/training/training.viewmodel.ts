/**
 * Everything the Training page shows, as pure functions (no React, no DOM; unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts):
 *
 * - the grid wizard: its form, the checks of each step, the GridSpec it builds (src-shared/grid.ts),
 *   every run that grid will create, the form read back from a stored grid, and where a field issue
 *   of `grid.save` (`base.lr`, `overrides.IFI-FS.epochs`, `spec.fractions.0` …) belongs in the form;
 * - the runs dashboard: one cell per run, its status merged from the grid cell (read from the run
 *   folder by the main side) and the run's latest `train.run` job (matched with defaultRunId), laid
 *   out strategies × fractions with one entry per seed;
 * - the live curves of one run (RunDetail): loss and validation AUC per epoch, MoCo pretraining loss.
 *
 * The paper's defaults are not repeated here: they are read from the schemas (TrainingSpec fills the
 * per-initialisation epochs and learning rate, MocoSettings the MoCo v2 recipe), and every field's
 * one-line explanation is its `.describe()` text.
 */
import type { DatasetSummary, ReadableDatasetSummary } from '../../../src-shared/contract';
import { GridSpec, cellSpecInput, defaultRunId, type GridCell, type GridSpecInput, type GridView, type RunDetail } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import { ARCH_REGEX, MocoSettings, TrainingSpec, type TrainingStrategy } from '../../../src-shared/training';
import { aucAxis, niceAxis, type Axis } from '../../shared/axis.viewmodel';
import { formatDuration, formatMeasure } from '../../shared/format.viewmodel';
import type { StatusColor } from '../../shared/status';
import { STRATEGY_ORDER, formatFraction, runLabel, strategyRank } from '../../shared/strategies';
import { progressPercent } from '../jobs/jobs.viewmodel';

// ---- Wizard: form, defaults, explanations ----------------------------------------------------------

export type Initialisation = 'IWNE' | 'IFI';
export type Method = 'FS' | 'CL';

export const INITIALISATIONS: readonly { id: Initialisation; label: string; text: string }[] = [
  { id: 'IWNE', label: 'IWNE', text: 'Random initialisation: no external data ("initialised without ImageNet").' },
  { id: 'IFI', label: 'IFI', text: 'Initialised from ImageNet weights you bring (supervised for FS, MoCo v2 for CL).' },
];
export const METHODS: readonly { id: Method; label: string; text: string }[] = [
  { id: 'FS', label: 'FS', text: 'Fully supervised fine-tuning on the labelled fraction.' },
  { id: 'CL', label: 'CL', text: 'MoCo v2 contrastive pretraining first (IWNE-CL: on the study’s own images; IFI-CL: the ImageNet MoCo checkpoint), then fine-tuning.' },
];

export function strategyOf(init: Initialisation, method: Method): TrainingStrategy {
  return `${init}-${method}`;
}

/** The numeric and text settings the wizard edits, kept as typed text until they are checked. */
export interface HyperForm {
  arch: string;
  inputSize: string;
  batchSize: string;
  iwneEpochs: string;
  iwneLr: string;
  ifiEpochs: string;
  ifiLr: string;
  mocoEpochs: string;
  mocoLr: string;
  mocoQueue: string;
}
export type HyperField = keyof HyperForm;

export interface GridForm extends HyperForm {
  datasetId: string;
  strategies: TrainingStrategy[];
  fractions: number[];
  seeds: number[];
  imagenetWeights: string;
  mocoWeights: string;
  /** Settings of a stored grid that the wizard does not edit (e.g. augmentation, referable set), kept as they were. */
  keepBase: Record<string, unknown>;
  keepOverrides: Partial<Record<TrainingStrategy, Record<string, unknown>>>;
}

const IWNE_DEFAULTS = TrainingSpec.parse({ strategy: 'IWNE-FS' });
const IFI_DEFAULTS = TrainingSpec.parse({ strategy: 'IFI-FS' });
const MOCO_DEFAULTS = MocoSettings.parse({});
const GRID_DEFAULTS = GridSpec.parse({});

/** The paper's defaults, read from the schemas: IWNE 500 epochs at 1e-4, IFI 50 at 1e-3, MoCo v2 200 epochs at 0.03 with K = 65,536. */
export const DEFAULT_HYPER: HyperForm = {
  arch: IWNE_DEFAULTS.arch,
  inputSize: String(IWNE_DEFAULTS.inputSize),
  batchSize: String(IWNE_DEFAULTS.batchSize),
  iwneEpochs: String(IWNE_DEFAULTS.epochs),
  iwneLr: String(IWNE_DEFAULTS.lr),
  ifiEpochs: String(IFI_DEFAULTS.epochs),
  ifiLr: String(IFI_DEFAULTS.lr),
  mocoEpochs: String(MOCO_DEFAULTS.epochs),
  mocoLr: String(MOCO_DEFAULTS.lr),
  mocoQueue: String(MOCO_DEFAULTS.queueSize),
};

export const INITIAL_GRID_FORM: GridForm = {
  ...DEFAULT_HYPER,
  datasetId: '',
  strategies: ['IWNE-FS'],
  fractions: [...GRID_DEFAULTS.fractions],
  seeds: [...GRID_DEFAULTS.seeds],
  imagenetWeights: '',
  mocoWeights: '',
  keepBase: {},
  keepOverrides: {},
};

const SPEC_FIELDS = TrainingSpec.in.shape;
const MOCO_FIELDS = MocoSettings.shape;
const GRID_FIELDS = GridSpec.shape;

/** Each wizard field's one-line explanation: the schema's own `.describe()` text. */
export const FIELD_HELP: Record<HyperField | 'datasetId' | 'strategies' | 'fractions' | 'seeds' | 'imagenetWeights' | 'mocoWeights', string> = {
  arch: SPEC_FIELDS.arch.description ?? '',
  inputSize: SPEC_FIELDS.inputSize.description ?? '',
  batchSize: SPEC_FIELDS.batchSize.description ?? '',
  iwneEpochs: SPEC_FIELDS.epochs.description ?? '',
  iwneLr: SPEC_FIELDS.lr.description ?? '',
  ifiEpochs: SPEC_FIELDS.epochs.description ?? '',
  ifiLr: SPEC_FIELDS.lr.description ?? '',
  mocoEpochs: MOCO_FIELDS.epochs.description ?? '',
  mocoLr: MOCO_FIELDS.lr.description ?? '',
  mocoQueue: MOCO_FIELDS.queueSize.description ?? '',
  datasetId: SPEC_FIELDS.datasetId.description ?? '',
  strategies: SPEC_FIELDS.strategy.description ?? '',
  fractions: `${GRID_FIELDS.fractions.description ?? ''}. ${SPEC_FIELDS.fraction.description ?? ''}`,
  seeds: `${GRID_FIELDS.seeds.description ?? ''}. ${SPEC_FIELDS.seed.description ?? ''}`,
  imagenetWeights: GRID_FIELDS.imagenetWeights.description ?? '',
  mocoWeights: GRID_FIELDS.mocoWeights.description ?? '',
};

export const HYPER_LABELS: Record<HyperField, string> = {
  arch: 'Architecture',
  inputSize: 'Input size (px)',
  batchSize: 'Batch size',
  iwneEpochs: 'IWNE epochs',
  iwneLr: 'IWNE learning rate',
  ifiEpochs: 'IFI epochs',
  ifiLr: 'IFI learning rate',
  mocoEpochs: 'MoCo epochs',
  mocoLr: 'MoCo learning rate',
  mocoQueue: 'MoCo queue size K',
};

/** Architectures offered in the wizard: the paper's ResNet50, ResNet18, and reduced widths for quick runs on a CPU. */
export const ARCH_CHOICES = ['resnet50', 'resnet34', 'resnet18', 'resnet50-w32', 'resnet50-w16', 'resnet50-w8', 'resnet18-w16', 'resnet18-w8', 'resnet18-w4'] as const;

/** The hyperparameter fields that matter for the chosen strategies (MoCo only for IWNE-CL, which pretrains on the study images). */
export function hyperFields(strategies: readonly TrainingStrategy[]): HyperField[] {
  const fields: HyperField[] = ['arch', 'inputSize', 'batchSize'];
  if (strategies.some((s) => s.startsWith('IWNE'))) fields.push('iwneEpochs', 'iwneLr');
  if (strategies.some((s) => s.startsWith('IFI'))) fields.push('ifiEpochs', 'ifiLr');
  if (strategies.includes('IWNE-CL')) fields.push('mocoEpochs', 'mocoLr', 'mocoQueue');
  return fields;
}

// ---- Wizard: steps and checks ----------------------------------------------------------------------

export type GridStep = 'dataset' | 'tests' | 'strategies' | 'weights' | 'fractions' | 'hyper' | 'compute' | 'review';

export const GRID_STEP_LABELS: Record<GridStep, string> = {
  dataset: 'Dataset',
  tests: 'Test sets & analyses',
  strategies: 'Strategies',
  weights: 'ImageNet weights',
  fractions: 'Fractions & seeds',
  hyper: 'Hyperparameters',
  compute: 'Compute & duration',
  review: 'Review',
};

/**
 * The weights step appears only when an IFI strategy is chosen; it comes after the hyperparameters so
 * the weight files are checked against the architecture the runs will use. The compute step measures
 * the chosen model, so it comes after everything that changes the work.
 */
export function gridSteps(strategies: readonly TrainingStrategy[]): GridStep[] {
  const ifi = strategies.some((s) => s.startsWith('IFI'));
  return ['dataset', 'tests', 'strategies', 'fractions', 'hyper', ...(ifi ? (['weights'] as const) : []), 'compute', 'review'];
}

export type FieldErrors = Record<string, string>;

function parseNumber(text: string): number {
  const t = text.trim();
  return t === '' ? Number.NaN : Number(t);
}

function checkPositiveInt(text: string, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): string | null {
  const n = parseNumber(text);
  if (!Number.isInteger(n) || n < min || n > max) return max < Number.MAX_SAFE_INTEGER ? `${what}: a whole number from ${min} to ${max}` : `${what}: a whole number ≥ ${min}`;
  return null;
}

function checkPositive(text: string, what: string): string | null {
  const n = parseNumber(text);
  return Number.isFinite(n) && n > 0 ? null : `${what}: a number > 0 (e.g. 1e-4)`;
}

/** Errors of one hyperparameter field, or null (the schema's limits, checked before the round trip). */
export function checkHyperField(form: HyperForm, field: HyperField): string | null {
  switch (field) {
    case 'arch':
      return ARCH_REGEX.test(form.arch.trim()) ? null : 'resnet18/34/50/101/152, optionally with "-wN" (e.g. resnet50, resnet18-w8)';
    case 'inputSize':
      return checkPositiveInt(form.inputSize, 'Input size', 32, 1024);
    case 'batchSize':
      return checkPositiveInt(form.batchSize, 'Batch size');
    case 'iwneEpochs':
    case 'ifiEpochs':
    case 'mocoEpochs':
      return checkPositiveInt(form[field], 'Epochs');
    case 'mocoQueue':
      return checkPositiveInt(form.mocoQueue, 'Queue size');
    case 'iwneLr':
    case 'ifiLr':
    case 'mocoLr':
      return checkPositive(form[field], 'Learning rate');
  }
}

/** Errors of one wizard step, keyed by form field (empty when the step is complete). */
export function checkGridStep(form: GridForm, step: GridStep): FieldErrors {
  const errors: FieldErrors = {};
  if (step === 'dataset' && !form.datasetId) errors.datasetId = 'Choose the dataset to train on.';
  if (step === 'strategies' && form.strategies.length === 0) errors.strategies = 'Choose at least one strategy.';
  if (step === 'fractions') {
    if (form.fractions.length === 0) errors.fractions = 'Add at least one label fraction.';
    if (form.seeds.length === 0) errors.seeds = 'Add at least one seed.';
  }
  if (step === 'hyper') {
    for (const field of hyperFields(form.strategies)) {
      const error = checkHyperField(form, field);
      if (error) errors[field] = error;
    }
  }
  return errors;
}

/** Every step's errors (what Save checks). */
export function checkGridForm(form: GridForm): FieldErrors {
  return Object.assign({}, ...gridSteps(form.strategies).map((s) => checkGridStep(form, s))) as FieldErrors;
}

/** Warnings of the weights step: an IFI strategy without its file runs nothing (its cells are blocked) until one is set. */
export function weightsWarnings(form: Pick<GridForm, 'strategies' | 'imagenetWeights' | 'mocoWeights'>): string[] {
  const out: string[] = [];
  if (form.strategies.includes('IFI-FS') && !form.imagenetWeights.trim()) out.push('No ImageNet weights file: the IFI-FS runs will be blocked until you set one.');
  if (form.strategies.includes('IFI-CL') && !form.mocoWeights.trim()) out.push('No MoCo v2 checkpoint: the IFI-CL runs will be blocked until you set one.');
  return out;
}

/** `0.25`, `25%` or `25 %` → 0.25; an error for anything outside (0, 1]. */
export function parseFraction(text: string): { value: number } | { error: string } {
  const t = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  const value = percent ? Number(percent[1]) / 100 : t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(value) || value <= 0 || value > 1) return { error: 'A fraction in (0, 1], e.g. 0.25 or 25 %' };
  return { value: Number(value.toPrecision(12)) };
}

export function parseSeed(text: string): { value: number } | { error: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) > 0xffffffff) return { error: 'A whole number ≥ 0' };
  return { value: Number(t) };
}

/** Adds a value to a sorted set of numbers (no duplicates), at most `max` of them. */
export function addSorted(values: readonly number[], value: number, max = 20): number[] {
  if (values.includes(value) || values.length >= max) return [...values];
  return [...values, value].sort((a, b) => a - b);
}

// ---- Wizard: the grid it builds, the runs it creates ------------------------------------------------

const num = (text: string) => parseNumber(text);

/** `1 epoch`, `500 epochs` (the count as given, e.g. typed text). */
export function epochsText(count: number | string): string {
  return `${count} epoch${String(count).trim() === '1' ? '' : 's'}`;
}

/**
 * The GridSpec the form describes. Shared settings go to `base`; epochs and learning rate to each
 * strategy's `overrides` (they differ by initialisation); the MoCo settings only to IWNE-CL, the one
 * strategy that pretrains on the study images (so changing them never touches the other runs' specs).
 */
export function buildGridSpec(form: GridForm): GridSpecInput {
  const strategies = STRATEGY_ORDER.filter((s) => form.strategies.includes(s));
  const overrides: Partial<Record<TrainingStrategy, Record<string, unknown>>> = {};
  for (const s of strategies) {
    const ifi = s.startsWith('IFI');
    const kept = form.keepOverrides[s] ?? {};
    const o: Record<string, unknown> = { ...kept, epochs: num(ifi ? form.ifiEpochs : form.iwneEpochs), lr: num(ifi ? form.ifiLr : form.iwneLr) };
    if (s === 'IWNE-CL') {
      const keptMoco = (kept.moco ?? form.keepBase.moco ?? {}) as Record<string, unknown>;
      o.moco = { ...keptMoco, epochs: num(form.mocoEpochs), lr: num(form.mocoLr), queueSize: num(form.mocoQueue) };
    }
    overrides[s] = o;
  }
  const spec: GridSpecInput = {
    strategies,
    fractions: [...form.fractions].sort((a, b) => a - b),
    seeds: [...form.seeds].sort((a, b) => a - b),
    base: { ...form.keepBase, datasetId: form.datasetId, arch: form.arch.trim(), inputSize: num(form.inputSize), batchSize: num(form.batchSize) },
    overrides,
  };
  // A weights file only for the strategy that uses it.
  if (strategies.includes('IFI-FS') && form.imagenetWeights.trim()) spec.imagenetWeights = form.imagenetWeights.trim();
  if (strategies.includes('IFI-CL') && form.mocoWeights.trim()) spec.mocoWeights = form.mocoWeights.trim();
  return spec;
}

const BASE_MANAGED = ['datasetId', 'arch', 'inputSize', 'batchSize', 'epochs', 'lr'];
const OVERRIDE_MANAGED = ['epochs', 'lr', 'moco'];

function pick<T>(value: unknown, guard: (v: unknown) => v is T): T | undefined {
  return guard(value) ? value : undefined;
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The form for a stored grid (also one written by hand or the CLI): each value from the strategy's
 * override, else the base, else the default; settings the wizard does not edit are kept aside.
 */
export function formFromGrid(spec: GridSpec | null): GridForm {
  if (!spec) return { ...INITIAL_GRID_FORM };
  const base = spec.base;
  const over = (s: TrainingStrategy) => obj(spec.overrides[s]);
  const first = (key: string, strategies: TrainingStrategy[]): number | undefined => {
    for (const s of strategies) {
      const v = pick(over(s)[key], isNum);
      if (v !== undefined) return v;
    }
    return pick(base[key], isNum);
  };
  // As cellSpecInput spreads them: an override's `moco` replaces the base's whole.
  const moco = 'moco' in over('IWNE-CL') ? obj(over('IWNE-CL').moco) : obj(base.moco);
  const text = (v: number | undefined, fallback: string) => (v === undefined ? fallback : String(v));
  const keepOverrides: GridForm['keepOverrides'] = {};
  for (const s of STRATEGY_ORDER) {
    const rest = Object.fromEntries(Object.entries(over(s)).filter(([k]) => !OVERRIDE_MANAGED.includes(k)));
    const keptMoco = Object.fromEntries(Object.entries(obj(over(s).moco)).filter(([k]) => !['epochs', 'lr', 'queueSize'].includes(k)));
    if (s === 'IWNE-CL' && Object.keys(keptMoco).length > 0) rest.moco = keptMoco;
    if (Object.keys(rest).length > 0) keepOverrides[s] = rest;
  }
  const keepBase = Object.fromEntries(Object.entries(base).filter(([k]) => !BASE_MANAGED.includes(k)));
  return {
    datasetId: pick(base.datasetId, isStr) ?? '',
    strategies: STRATEGY_ORDER.filter((s) => spec.strategies.includes(s)),
    fractions: [...spec.fractions].sort((a, b) => a - b),
    seeds: [...spec.seeds].sort((a, b) => a - b),
    imagenetWeights: spec.imagenetWeights ?? '',
    mocoWeights: spec.mocoWeights ?? '',
    arch: pick(base.arch, isStr) ?? DEFAULT_HYPER.arch,
    inputSize: text(pick(base.inputSize, isNum), DEFAULT_HYPER.inputSize),
    batchSize: text(pick(base.batchSize, isNum), DEFAULT_HYPER.batchSize),
    iwneEpochs: text(first('epochs', ['IWNE-FS', 'IWNE-CL']), DEFAULT_HYPER.iwneEpochs),
    iwneLr: text(first('lr', ['IWNE-FS', 'IWNE-CL']), DEFAULT_HYPER.iwneLr),
    ifiEpochs: text(first('epochs', ['IFI-FS', 'IFI-CL']), DEFAULT_HYPER.ifiEpochs),
    ifiLr: text(first('lr', ['IFI-FS', 'IFI-CL']), DEFAULT_HYPER.ifiLr),
    mocoEpochs: text(pick(moco.epochs, isNum), DEFAULT_HYPER.mocoEpochs),
    mocoLr: text(pick(moco.lr, isNum), DEFAULT_HYPER.mocoLr),
    mocoQueue: text(pick(moco.queueSize, isNum), DEFAULT_HYPER.mocoQueue),
    keepBase,
    keepOverrides,
  };
}

export interface ReviewRun {
  runId: string;
  strategy: TrainingStrategy;
  fraction: string;
  seed: number;
  /** `500 epochs · lr 0.0001` (plus MoCo pretraining for IWNE-CL). */
  training: string;
  /** Why the run will not start, or null. */
  note: string | null;
}

/**
 * Every run the grid will create, strategy-major then fraction then seed (the order of grid.get), with
 * its run id exactly as the main side derives it (cellSpecInput → TrainingSpec → defaultRunId).
 */
export function reviewRuns(form: GridForm): { runs: ReviewRun[]; error: string | null } {
  const parsed = GridSpec.safeParse(buildGridSpec(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { runs: [], error: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  const grid = parsed.data;
  const runs: ReviewRun[] = [];
  for (const strategy of grid.strategies) {
    for (const fraction of grid.fractions) {
      for (const seed of grid.seeds) {
        const spec = TrainingSpec.safeParse(cellSpecInput(grid, strategy, fraction, seed));
        if (!spec.success) {
          const issue = spec.error.issues[0];
          return { runs: [], error: `${strategy}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
        }
        const s = spec.data;
        const pretrain = strategy === 'IWNE-CL' ? ` · after ${epochsText(s.moco.epochs).replace('epoch', 'MoCo epoch')}` : '';
        const missing =
          strategy === 'IFI-FS' && !grid.imagenetWeights ? 'blocked: no ImageNet weights' : strategy === 'IFI-CL' && !grid.mocoWeights ? 'blocked: no MoCo v2 checkpoint' : null;
        runs.push({ runId: defaultRunId(s), strategy, fraction: formatFraction(fraction), seed, training: `${epochsText(s.epochs)} · lr ${s.lr}${pretrain}`, note: missing });
      }
    }
  }
  return { runs, error: null };
}

/** The review step's summary, as label/value rows. */
export function reviewSummary(form: GridForm): { label: string; value: string; mono?: boolean }[] {
  const rows: { label: string; value: string; mono?: boolean }[] = [
    { label: 'Dataset', value: form.datasetId || '—', mono: true },
    { label: 'Strategies', value: STRATEGY_ORDER.filter((s) => form.strategies.includes(s)).join(', ') || '—' },
    { label: 'Label fractions', value: form.fractions.map(formatFraction).join(', ') },
    { label: 'Seeds', value: form.seeds.join(', ') },
    { label: 'Model', value: `${form.arch} at ${form.inputSize} px, batch size ${form.batchSize}` },
  ];
  if (form.strategies.some((s) => s.startsWith('IWNE'))) rows.push({ label: 'IWNE training', value: `${epochsText(form.iwneEpochs)} at lr ${form.iwneLr}` });
  if (form.strategies.some((s) => s.startsWith('IFI'))) rows.push({ label: 'IFI training', value: `${epochsText(form.ifiEpochs)} at lr ${form.ifiLr}` });
  if (form.strategies.includes('IWNE-CL')) rows.push({ label: 'MoCo v2 (IWNE-CL)', value: `${epochsText(form.mocoEpochs)} at lr ${form.mocoLr}, queue ${form.mocoQueue}` });
  if (form.strategies.includes('IFI-FS')) rows.push({ label: 'ImageNet weights', value: form.imagenetWeights || 'not set (IFI-FS blocked)', mono: Boolean(form.imagenetWeights) });
  if (form.strategies.includes('IFI-CL')) rows.push({ label: 'MoCo v2 checkpoint', value: form.mocoWeights || 'not set (IFI-CL blocked)', mono: Boolean(form.mocoWeights) });
  return rows;
}

/**
 * The form field a `grid.save` field issue belongs to, or null. Paths come either from the contract's
 * schema (`spec.fractions.0`, `spec.base`) or from the grid service (`base.lr`,
 * `overrides.IWNE-CL.moco.epochs`).
 */
export function fieldOfGridIssue(path: string): keyof GridForm | null {
  const parts = path.replace(/^spec\./, '').split('.');
  const [head, second, third, fourth] = parts;
  if (head === 'strategies' || head === 'fractions' || head === 'seeds' || head === 'imagenetWeights' || head === 'mocoWeights') return head;
  if (head === 'base') {
    if (second === 'datasetId' || second === 'arch' || second === 'inputSize' || second === 'batchSize') return second;
    if (second === 'epochs') return 'iwneEpochs';
    if (second === 'lr') return 'iwneLr';
    if (second === 'moco') return third === 'epochs' ? 'mocoEpochs' : third === 'lr' ? 'mocoLr' : third === 'queueSize' ? 'mocoQueue' : null;
    return null;
  }
  if (head === 'overrides' && second) {
    const ifi = second.startsWith('IFI');
    if (third === 'epochs') return ifi ? 'ifiEpochs' : 'iwneEpochs';
    if (third === 'lr') return ifi ? 'ifiLr' : 'iwneLr';
    if (third === 'moco') return fourth === 'epochs' ? 'mocoEpochs' : fourth === 'lr' ? 'mocoLr' : fourth === 'queueSize' ? 'mocoQueue' : null;
  }
  return null;
}

/** The wizard step that shows a field (to send the user back to it). */
export function stepOfField(field: keyof GridForm): GridStep {
  if (field === 'datasetId') return 'dataset';
  if (field === 'strategies') return 'strategies';
  if (field === 'imagenetWeights' || field === 'mocoWeights') return 'weights';
  if (field === 'fractions' || field === 'seeds') return 'fractions';
  return 'hyper';
}

// ---- Datasets the grid can train on ------------------------------------------------------------------

export interface TrainingDatasetChoice {
  id: string;
  label: string;
  /** Why it cannot be chosen, or null. */
  disabledReason: string | null;
  inputSize: number | null;
}

/** Images with an ICDR grade 0-4. */
export function gradedCount(d: Pick<ReadableDatasetSummary, 'grades'>): number {
  return [0, 1, 2, 3, 4].reduce((n, g) => n + (d.grades[String(g)] ?? 0), 0);
}

/** Graded, preprocessed datasets can be trained on; the training pool is the train split (and images without a split). */
export function trainingDatasetChoices(datasets: readonly DatasetSummary[] | null): TrainingDatasetChoice[] {
  return (datasets ?? []).map((d) => {
    if (!d.readable) return { id: d.id, label: d.id, disabledReason: `cannot be read: ${d.reason}`, inputSize: null };
    const graded = gradedCount(d);
    const reason = !d.preprocessed ? 'validated only: no preprocessed images' : graded === 0 ? 'no graded images' : null;
    const pool = d.splits.train ?? 0;
    const none = d.splits.none ?? 0;
    const label = `${d.id} — ${(pool + none).toLocaleString('en-US')} training images, ${d.settings.inputSize} px`;
    return { id: d.id, label, disabledReason: reason, inputSize: d.settings.inputSize };
  });
}

/** A note when the runs' input size differs from the size the dataset was preprocessed at. */
export function inputSizeNote(form: Pick<GridForm, 'inputSize'>, dataset: TrainingDatasetChoice | undefined): string | null {
  const size = parseNumber(form.inputSize);
  if (!dataset || dataset.inputSize === null || !Number.isInteger(size) || size === dataset.inputSize) return null;
  return `Dataset ${dataset.id} was preprocessed at ${dataset.inputSize} px: training resizes its images to ${size} px, and evaluating the runs needs a test set imported at ${size} px.`;
}

// ---- Dashboard: cells, jobs, status -----------------------------------------------------------------

/** The run id of a train.run job (defaultRunId of its parameters), or null for other jobs. */
export function runIdOfJob(job: Pick<JobState, 'kind' | 'params'>): string | null {
  if (job.kind !== 'train.run') return null;
  const p = obj(job.params);
  if (!isStr(p.strategy) || !isStr(p.arch) || !isNum(p.fraction) || !isNum(p.seed)) return null;
  return defaultRunId({
    strategy: p.strategy as TrainingStrategy,
    arch: p.arch,
    fraction: p.fraction,
    seed: p.seed,
    datasetId: isStr(p.datasetId) ? p.datasetId : undefined,
  });
}

function samePath(a: string | null, b: string | null): boolean {
  const norm = (p: string | null) => (p ?? '').replace(/[\\/]+$/, '');
  return a !== null && b !== null && norm(a) === norm(b);
}

const time = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
};

/** The latest train.run job of each run of the study (a retry is a new job: the newest one speaks for the run). */
export function trainJobsByRun(jobs: readonly JobState[], studyPath: string | null): Map<string, JobState> {
  const byRun = new Map<string, JobState>();
  for (const job of jobs) {
    if (!samePath(job.studyPath, studyPath)) continue;
    const runId = runIdOfJob(job);
    if (!runId) continue;
    const current = byRun.get(runId);
    if (!current || time(job.createdAt) > time(current.createdAt) || (time(job.createdAt) === time(current.createdAt) && job.id > current.id)) byRun.set(runId, job);
  }
  return byRun;
}

export type RunStatus = 'pending' | 'queued' | 'running' | 'partial' | 'done' | 'blocked' | 'invalid' | 'failed';

const RUN_STATUS: Record<RunStatus, { label: string; color: StatusColor }> = {
  pending: { label: 'Pending', color: 'default' },
  queued: { label: 'Queued', color: 'info' },
  running: { label: 'Running', color: 'primary' },
  partial: { label: 'Partial', color: 'warning' },
  done: { label: 'Done', color: 'success' },
  blocked: { label: 'Blocked', color: 'warning' },
  invalid: { label: 'Invalid', color: 'error' },
  failed: { label: 'Failed', color: 'error' },
};

/**
 * One run's status from its grid cell (the run folder: pending, partial, done; blocked, invalid) and
 * its latest job. A queued or running job is the live truth; a finished run folder wins over any job;
 * a job that succeeded before the grid was re-read counts as done; a failed job marks an unfinished
 * run failed (with the job's error); a cancelled or interrupted job leaves the folder's status, with a note.
 */
export function mergeRunStatus(cell: Pick<GridCell, 'status' | 'reason'>, job: Pick<JobState, 'status' | 'error'> | null): { status: RunStatus; reason: string | null; note: string | null } {
  if (cell.status === 'invalid') return { status: 'invalid', reason: cell.reason, note: null };
  if (job?.status === 'queued') return { status: 'queued', reason: null, note: null };
  if (job?.status === 'running') return { status: 'running', reason: null, note: null };
  if (cell.status === 'done' || job?.status === 'succeeded') return { status: 'done', reason: null, note: null };
  if (cell.status === 'blocked') return { status: 'blocked', reason: cell.reason, note: null };
  if (job?.status === 'failed') return { status: 'failed', reason: job.error?.message ?? 'The job failed without a message.', note: null };
  const note = job?.status === 'cancelled' ? 'cancelled' : job?.status === 'interrupted' ? 'interrupted (FundusLab stopped)' : null;
  return { status: cell.status, reason: null, note };
}

export interface RunCellModel {
  runId: string;
  strategy: TrainingStrategy;
  fraction: number;
  seed: number;
  status: RunStatus;
  statusLabel: string;
  statusColor: StatusColor;
  reason: string | null;
  note: string | null;
  /** 0-100; the job's progress while it is active, else the finished share of epochs. */
  percent: number;
  /** Queued: an indeterminate bar. */
  indeterminate: boolean;
  /** `3 / 10 epochs`. */
  epochs: string;
  /** `AUC 0.812` (best validation AUC so far) or null. */
  bestAuc: string | null;
  /** `2 min 10 s left` or null. */
  eta: string | null;
  /** The running job's own progress message (e.g. the batch and loss). */
  message: string | null;
  jobId: string | null;
  canCancel: boolean;
  canRetry: boolean;
}

export function formatAuc(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

export function runCellModel(cell: GridCell, job: JobState | null): RunCellModel {
  const merged = mergeRunStatus(cell, job);
  const active = merged.status === 'queued' || merged.status === 'running';
  const share = cell.epochs > 0 ? Math.min(100, (cell.epochsDone / cell.epochs) * 100) : 0;
  const percent = merged.status === 'done' ? 100 : active && job ? progressPercent(job) : share;
  const eta = merged.status === 'running' && job ? formatDuration(job.progress.etaSeconds) : null;
  return {
    runId: cell.runId,
    strategy: cell.strategy,
    fraction: cell.fraction,
    seed: cell.seed,
    status: merged.status,
    statusLabel: RUN_STATUS[merged.status].label,
    statusColor: RUN_STATUS[merged.status].color,
    reason: merged.reason,
    note: merged.note,
    percent,
    indeterminate: merged.status === 'queued',
    epochs: `${merged.status === 'done' && cell.status !== 'done' ? cell.epochs : cell.epochsDone} / ${epochsText(cell.epochs)}`,
    bestAuc: cell.bestValAuc === null ? null : `AUC ${formatAuc(cell.bestValAuc)}`,
    eta: eta ? `${eta} left` : null,
    message: merged.status === 'running' && job?.progress.message ? job.progress.message : null,
    jobId: job?.id ?? null,
    canCancel: active && job !== null,
    canRetry: job !== null && (job.status === 'failed' || job.status === 'cancelled' || job.status === 'interrupted') && merged.status !== 'done' && merged.status !== 'blocked' && merged.status !== 'invalid',
  };
}

export interface GridTableModel {
  /** Column headers: the label fractions, ascending. */
  fractions: { value: number; label: string }[];
  rows: { strategy: TrainingStrategy; cells: RunCellModel[][] }[];
  counts: Record<RunStatus, number> & { total: number };
  /** `2 of 8 runs done · 1 running · 1 queued · 2 blocked`. */
  summary: string;
  /** Some run is queued or running (the page polls while true). */
  active: boolean;
  /** Runs grid.launch would start (pending or partial, without an active job). */
  launchable: number;
}

/** The runs dashboard: rows = strategies (paper order), columns = fractions, one entry per seed in each. */
export function gridTable(view: GridView, jobs: readonly JobState[], studyPath: string | null): GridTableModel {
  const byRun = trainJobsByRun(jobs, studyPath);
  const cells = view.cells.map((c) => runCellModel(c, byRun.get(c.runId) ?? null));
  const fractions = [...new Set(view.cells.map((c) => c.fraction))].sort((a, b) => a - b);
  const strategies = [...new Set(view.cells.map((c) => c.strategy))].sort((a, b) => strategyRank(a) - strategyRank(b));
  const rows = strategies.map((strategy) => ({
    strategy,
    cells: fractions.map((f) => cells.filter((c) => c.strategy === strategy && c.fraction === f).sort((a, b) => a.seed - b.seed)),
  }));
  const counts = { pending: 0, queued: 0, running: 0, partial: 0, done: 0, blocked: 0, invalid: 0, failed: 0, total: cells.length };
  for (const c of cells) counts[c.status] += 1;
  const parts = [`${counts.done} of ${counts.total} run${counts.total === 1 ? '' : 's'} done`];
  for (const s of ['running', 'queued', 'partial', 'pending', 'failed', 'blocked', 'invalid'] as const) if (counts[s] > 0) parts.push(`${counts[s]} ${s}`);
  return {
    fractions: fractions.map((value) => ({ value, label: formatFraction(value) })),
    rows,
    counts,
    summary: parts.join(' · '),
    active: counts.queued + counts.running > 0,
    launchable: cells.filter((c) => (c.status === 'pending' || c.status === 'partial' || c.status === 'failed') && !c.canCancel).length,
  };
}

/**
 * A signature of the study's train.run jobs that changes when one of them changes status: the page
 * re-reads grid.get then (epochs done and best AUC come from the run folders).
 */
export function trainJobsSignature(jobs: readonly JobState[], studyPath: string | null): string {
  return [...trainJobsByRun(jobs, studyPath).entries()]
    .map(([runId, j]) => `${runId}:${j.id}:${j.status}`)
    .sort()
    .join('|');
}

/** Delay before the next runs.get of a live run: at most one every `minIntervalMs` (throttle), 0 = now. */
export function throttleDelay(lastFetchAt: number | null, now: number, minIntervalMs: number): number {
  if (lastFetchAt === null) return 0;
  return Math.max(0, lastFetchAt + minIntervalMs - now);
}

// ---- Live curves of one run -----------------------------------------------------------------------

export interface RunCurvesModel {
  runId: string;
  title: string;
  strategy: TrainingStrategy;
  /** `3 of 10 epochs` (`finished: …` once done). */
  progress: string;
  loss: { epoch: number; train: number; val: number }[];
  auc: { epoch: number; auc: number | null }[];
  /** The selected model: the finished run's best epoch, else the last epoch flagged best so far. */
  best: { epoch: number; auc: number | null } | null;
  /** IWNE-CL: MoCo pretraining loss per epoch (null for the other strategies). */
  pretrain: { epoch: number; loss: number }[] | null;
  pretrainProgress: string | null;
  /** Loss axis around both loss curves (nice steps). */
  lossAxis: Axis;
  /** AUC axis from the lowest validation AUC to 1 (aucAxis). */
  aucAxis: Axis;
  pretrainAxis: Axis | null;
  /** One sentence for screen readers per chart. */
  lossDescription: string;
  aucDescription: string;
  pretrainDescription: string | null;
  summary: { label: string; value: string }[];
}

function describeSeries(name: string, values: readonly number[], unit = ''): string {
  if (values.length === 0) return `${name}: no epochs yet.`;
  const first = values[0]!;
  const last = values[values.length - 1]!;
  return values.length === 1 ? `${name}: ${formatMeasure(first)}${unit} after epoch 1.` : `${name} from ${formatMeasure(first)}${unit} to ${formatMeasure(last)}${unit} over ${values.length} epochs.`;
}

export function runCurves(detail: RunDetail): RunCurvesModel {
  const { spec, result, log } = detail;
  const loss = log.map((e) => ({ epoch: e.epoch, train: e.trainLoss, val: e.valLoss }));
  const auc = log.map((e) => ({ epoch: e.epoch, auc: e.valAuc }));
  let best: RunCurvesModel['best'] = null;
  if (result && result.bestEpoch !== null) best = { epoch: result.bestEpoch, auc: result.bestValAuc };
  else {
    const flagged = [...log].reverse().find((e) => e.best);
    if (flagged) best = { epoch: flagged.epoch, auc: flagged.valAuc };
  }
  const aucs = auc.map((a) => a.auc).filter((a): a is number => a !== null);
  const losses = loss.flatMap((l) => [l.train, l.val]);
  const pretrain = spec.strategy === 'IWNE-CL' ? detail.pretrainLog.map((e) => ({ epoch: e.epoch, loss: e.loss })) : null;
  const done = log.length > 0 ? log[log.length - 1]!.epoch : 0;
  const summary = [
    { label: 'Run', value: detail.runId },
    { label: 'Dataset', value: spec.datasetId ?? '—' },
    { label: 'Model', value: `${spec.arch} at ${spec.inputSize} px, batch ${spec.batchSize}` },
    { label: 'Training', value: `${epochsText(spec.epochs)} at lr ${spec.lr}` },
  ];
  if (best) summary.push({ label: 'Selected model', value: `epoch ${best.epoch}${best.auc === null ? ' (no validation AUC)' : `, validation AUC ${formatAuc(best.auc)}`}` });
  if (result) summary.push({ label: 'Training images', value: `${result.trainImages} (validation ${result.validationImages})` });
  return {
    runId: detail.runId,
    title: runLabel(spec),
    strategy: spec.strategy,
    progress: result ? `finished: ${result.finalEpoch} of ${epochsText(spec.epochs)}${result.stoppedEarly ? ' (stopped early)' : ''}` : `${done} of ${epochsText(spec.epochs)}`,
    loss,
    auc,
    best,
    pretrain,
    pretrainProgress: pretrain ? `MoCo pretraining: ${pretrain.length} of ${epochsText(spec.moco.epochs)}` : null,
    lossAxis: losses.length > 0 ? niceAxis(Math.min(...losses), Math.max(...losses)) : niceAxis(0, 2),
    aucAxis: aucs.length > 0 ? aucAxis(Math.min(...aucs), 1) : aucAxis(0, 1),
    pretrainAxis: pretrain ? (pretrain.length > 0 ? niceAxis(Math.min(...pretrain.map((p) => p.loss)), Math.max(...pretrain.map((p) => p.loss))) : niceAxis(0, 10)) : null,
    lossDescription: `${describeSeries('Training loss', loss.map((l) => l.train))} ${describeSeries('Validation loss', loss.map((l) => l.val))}`,
    aucDescription: best && best.auc !== null ? `${describeSeries('Validation AUC', aucs)} Best ${formatAuc(best.auc)} at epoch ${best.epoch}.` : describeSeries('Validation AUC', aucs),
    pretrainDescription: pretrain ? describeSeries('MoCo InfoNCE loss', pretrain.map((p) => p.loss)) : null,
    summary,
  };
}
