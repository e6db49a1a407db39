/**
 * The study wizard's steps and the checks of each (pure, unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts): which steps the chosen strategies need and in what
 * order, the step that shows a field, the checks of every step and of the whole form before Save, the
 * weights step's warnings, and reading a typed label fraction or seed into the sorted lists.
 */
import { ARCH_REGEX, type TrainingStrategy } from '../../../../src-shared/training';
import { hyperFields, parseNumber, type GridForm, type HyperField, type HyperForm } from './grid-form.viewmodel';

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

function checkPositiveInt(text: string, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): string | null {
  const n = parseNumber(text);
  if (!Number.isInteger(n) || n < min || n > max)
    return max < Number.MAX_SAFE_INTEGER ? `${what}: a whole number from ${min} to ${max}` : `${what}: a whole number ≥ ${min}`;
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
  if (form.strategies.includes('IFI-FS') && !form.imagenetWeights.trim())
    out.push('No ImageNet weights file: the IFI-FS runs will be blocked until you set one.');
  if (form.strategies.includes('IFI-CL') && !form.mocoWeights.trim())
    out.push('No MoCo v2 checkpoint: the IFI-CL runs will be blocked until you set one.');
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

/** The wizard step that shows a field (to send the user back to it). */
export function stepOfField(field: keyof GridForm): GridStep {
  if (field === 'datasetId') return 'dataset';
  if (field === 'strategies') return 'strategies';
  if (field === 'imagenetWeights' || field === 'mocoWeights') return 'weights';
  if (field === 'fractions' || field === 'seeds') return 'fractions';
  return 'hyper';
}
