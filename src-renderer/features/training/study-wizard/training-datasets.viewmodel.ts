/**
 * The datasets a study can train on, as the wizard's dataset step offers them (pure, unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts): graded, preprocessed datasets with their training
 * pool, the reason a dataset cannot be chosen, and a note when the runs' input size differs from the
 * size the dataset was preprocessed at.
 */
import type { DatasetSummary, ReadableDatasetSummary } from '../../../../src-shared/contract';
import { parseNumber, type GridForm } from './grid-form.viewmodel';

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
    const pool = d.splits.train ?? 0;
    const none = d.splits.none ?? 0;
    const reason = !d.preprocessed
      ? 'validated only: no preprocessed images'
      : graded === 0
        ? 'no graded images'
        : pool + none === 0
          ? 'a held-out test set: every image is in the test split'
          : null;
    const label = `${d.id} — ${(pool + none).toLocaleString('en-US')} training images, ${d.settings.inputSize} px`;
    return { id: d.id, label, disabledReason: reason, inputSize: d.settings.inputSize };
  });
}

/** A note when the runs' input size differs from the size the dataset was preprocessed at. */
export function inputSizeNote(form: Pick<GridForm, 'inputSize'>, dataset: TrainingDatasetChoice | undefined): string | null {
  const size = parseNumber(form.inputSize);
  if (!dataset || dataset.inputSize === null || !Number.isInteger(size) || size === dataset.inputSize) return null;
  return `Dataset ${dataset.id} was preprocessed at ${dataset.inputSize} px: training resizes its images to ${size} px, and test sets at another size are prepared at ${size} px when the runs are evaluated.`;
}
