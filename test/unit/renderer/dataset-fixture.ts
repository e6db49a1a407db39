/** A readable dataset summary for view-model tests: 50 images of 25 patients, 40 in the train split and 10 in the test split, at 48 px. */
import type { DatasetSummary, ReadableDatasetSummary } from '../../../src-shared/contract';

export function readableDataset(id: string, over: Partial<ReadableDatasetSummary> = {}): DatasetSummary {
  return {
    readable: true,
    id,
    type: 'eyepacs',
    name: id,
    source: '/data',
    synthetic: true,
    created: '',
    updated: '',
    preprocessed: true,
    settings: { inputSize: 48, overlaySize: 64, cropThreshold: 15, jpegQuality: 92 } as never,
    items: 50,
    patients: 25,
    grades: { '0': 20, '1': 10, '2': 10, '3': 5, '4': 5 },
    splits: { train: 40, test: 10 },
    perSplitGrade: { train: { '0': 16, '1': 8, '2': 8, '3': 4, '4': 4 }, test: { '0': 4, '1': 2, '2': 2, '3': 1, '4': 1 } },
    masks: {},
    issues: { error: 0, warning: 0 },
    candidates: 50,
    excluded: 0,
    notes: [],
    cacheSize: null,
    reportProblem: null,
    ...over,
  };
}
