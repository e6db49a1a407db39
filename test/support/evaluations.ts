/** Hand-made evaluation folders, for the tests that read evaluations (the results table, its CSV exports). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EVALUATION_SCHEMA_VERSION, EvaluationResult, PREDICTIONS_COLUMNS } from '../../src-shared/evaluation';

export interface FakeEvaluation {
  runId: string;
  strategy: 'IWNE-FS' | 'IWNE-CL' | 'IFI-FS' | 'IFI-CL';
  fraction: number;
  seed: number;
  datasetId?: string;
  split?: 'test' | 'train' | 'all';
  arch?: string;
  auc: number;
  delong: [number, number];
  /** Per-image rows written to predictions.csv (image id, label, P(referable)); default two images. */
  predictions?: { id: string; label: number; score: number }[];
}

/**
 * Writes evaluations/<run>__<dataset>__<split>/ with a schema-valid result.json carrying the given
 * AUC and DeLong CI (other numbers are placeholders) and a predictions.csv (the softmax columns are
 * placeholders; only image_id, referable and p_referable are read by the results).
 */
export async function writeFakeEvaluation(study: string, e: FakeEvaluation): Promise<EvaluationResult> {
  const datasetId = e.datasetId ?? 'ext';
  const split = e.split ?? 'test';
  const name = `${e.runId}__${datasetId}__${split}`;
  const dir = path.join(study, 'evaluations', name);
  await fsp.mkdir(dir, { recursive: true });
  const preds = e.predictions ?? [
    { id: 'a', label: 1, score: 0.9 },
    { id: 'b', label: 0, score: 0.1 },
  ];
  const positives = preds.filter((p) => p.label === 1).length;
  const result = EvaluationResult.parse({
    schemaVersion: EVALUATION_SCHEMA_VERSION,
    name,
    run: {
      runId: e.runId,
      strategy: e.strategy,
      fraction: e.fraction,
      seed: e.seed,
      arch: e.arch ?? 'resnet50',
      inputSize: 224,
      trainingDatasetId: 'train-set',
      bestEpoch: 1,
      bestValAuc: null,
      selection: 'val-auc',
      normalisation: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], source: 'custom' },
    },
    dataset: { datasetId, type: 'folder', inputSize: 224, settingsKey: 'k' },
    split,
    referable: [3, 4],
    n: preds.length,
    positives,
    negatives: preds.length - positives,
    skipped: { ungraded: 0, uncached: 0 },
    overlapsTraining: false,
    trainingOverlap: 0,
    auc: e.auc,
    delong: { lower: e.delong[0], upper: e.delong[1], level: 0.95, se: 0.01, variance: 1e-4, method: 'normal' },
    bootstrap: { lower: e.delong[0], upper: e.delong[1], level: 0.95, samples: 2000, seed: 0, mean: e.auc, sd: 0.01 },
    roc: { fpr: [0, 1], tpr: [0, 1], thresholds: [2, 1] },
    operatingPoint: { targetSensitivity: 0.9, threshold: 0.5, sensitivity: 0.9, specificity: 0.5 },
    atThreshold: { threshold: 0.5, sensitivity: 0.9, specificity: 0.5 },
    youden: { threshold: 0.5, sensitivity: 0.9, specificity: 0.5, j: 0.4 },
    files: { dir, predictions: path.join(dir, 'predictions.csv'), result: path.join(dir, 'result.json') },
    backend: 'test',
    seconds: 0,
    createdAt: '2024-01-01T00:00:00.000Z',
  });
  await fsp.writeFile(path.join(dir, 'result.json'), JSON.stringify(result, null, 2));
  const rows = preds.map((p) =>
    [p.id, 'pt', '', String(p.label ? 3 : 0), String(p.label), '0.2', '0.2', '0.2', '0.2', '0.2', String(p.score)].join(','),
  );
  await fsp.writeFile(path.join(dir, 'predictions.csv'), [PREDICTIONS_COLUMNS.join(','), ...rows].join('\n') + '\n');
  return result;
}
