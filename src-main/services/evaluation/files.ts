/**
 * Names and small pure helpers of the evaluation folders (no tfjs: the main process and the report
 * use them): evaluations/<run>__<dataset>__<split>/ (paths: services/study-folder/layout.ts).
 */
import type { DatasetItem, DatasetManifest } from '../../../src-shared/datasets';
import type { EvaluationSplit } from '../../../src-shared/evaluation';

/** Folder name of an evaluation under evaluations/. */
export function evaluationName(runId: string, datasetId: string, split: EvaluationSplit): string {
  return `${runId}__${datasetId}__${split}`;
}

/** Whether a manifest item belongs to an evaluation split ('train' = train or no split, as training uses). */
export function inSplit(item: Pick<DatasetItem, 'split'>, split: EvaluationSplit): boolean {
  if (split === 'all') return true;
  return split === 'test' ? item.split === 'test' : item.split !== 'test';
}

/** The default split: 'test' when the dataset has test-split images, else 'all'. */
export function defaultSplit(manifest: Pick<DatasetManifest, 'items'>): EvaluationSplit {
  return manifest.items.some((it) => it.split === 'test') ? 'test' : 'all';
}

/** A CSV field, quoted when it needs to be. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line of cells (null = empty), each quoted when it needs to be. */
export function csvRow(cells: readonly (string | number | null)[]): string {
  return cells.map((c) => (c === null ? '' : csvField(String(c)))).join(',');
}
