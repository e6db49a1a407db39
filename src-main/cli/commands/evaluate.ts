/**
 * `funduslab evaluate --study <dir> --run <id> --dataset <id> [--split test|train|all] [--referable 3,4]
 *  [--target-sensitivity 0.9] [--threshold 0.5] [--bootstrap 2000] [--bootstrap-seed 0] [--batch-size N] [--json]`
 * — evaluates a trained run on a graded dataset: AUC of P(referable) with DeLong and bootstrap 95%
 * CIs, ROC, operating points; writes evaluations/<run>__<dataset>__<split>/predictions.csv and
 * result.json in the study. Progress goes to stderr; the result to stdout
 * (`{"ok": true, "value": EvaluationResult}` with --json).
 * A dataset preprocessed at another input size than the run's is preprocessed at the run's size on
 * demand (kept in the dataset's cache; said on stderr and as `preprocessed` in the --json output).
 * The domain-shift check's warning (docs/design.md "Domain shift") is printed with the result (and on stderr
 * with --json, where it is `value.domainShift.warning`).
 */
import path from 'node:path';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { EvaluateRequest, type EvaluationResult } from '../../../src-shared/evaluation';
import { evaluateRun } from '../../services/evaluation/evaluate';
import type { OnDemandPreprocessing } from '../../services/datasets/at-input-size';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { withStudyLock } from '../../services/study-folder/lock';

export const EVALUATE_USAGE =
  'funduslab evaluate --study <dir> --run <id> --dataset <id> [--split test|train|all] [--referable 3,4] [--target-sensitivity 0.9] [--threshold 0.5] ' +
  '[--bootstrap 2000] [--bootstrap-seed 0] [--batch-size N] [--json]';

/** A number option as given (NaN for text), so the request schema names the field when it is wrong. */
const num = (v: string | undefined) => (v === undefined ? undefined : v.trim() === '' ? Number.NaN : Number(v));

/** The EvaluateRequest of the command line (parsed: BAD_REQUEST names each wrong field). */
export function evaluateRequestFromArgs(values: Record<string, string | boolean | undefined>): EvaluateRequest {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const missing = (['run', 'dataset'] as const).filter((k) => str(k) === undefined);
  if (missing.length > 0) {
    throw new AppError(
      'BAD_REQUEST',
      `Usage: ${EVALUATE_USAGE}`,
      missing.map((k) => ({ path: k === 'run' ? 'runId' : 'datasetId', message: `give --${k} <id>` })),
    );
  }
  const opt = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  const referable = str('referable');
  const request = {
    runId: str('run'),
    datasetId: str('dataset'),
    ...opt('split', str('split')),
    ...opt('referable', referable === undefined ? undefined : referable.split(',').map((g) => num(g))),
    operatingPoint: { ...opt('targetSensitivity', num(str('target-sensitivity'))), ...opt('threshold', num(str('threshold'))) },
    bootstrap: { ...opt('samples', num(str('bootstrap'))), ...opt('seed', num(str('bootstrap-seed'))) },
    ...opt('batchSize', num(str('batch-size'))),
  };
  return parseOrThrow(EvaluateRequest, request, 'evaluation request');
}

export async function runEvaluate(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    study: { type: 'string' },
    run: { type: 'string' },
    dataset: { type: 'string' },
    split: { type: 'string' },
    referable: { type: 'string' },
    'target-sensitivity': { type: 'string' },
    threshold: { type: 'string' },
    bootstrap: { type: 'string' },
    'bootstrap-seed': { type: 'string' },
    'batch-size': { type: 'string' },
  });
  if (!values.study) throw new AppError('BAD_REQUEST', `Usage: ${EVALUATE_USAGE}`, [{ path: 'study', message: 'give --study <dir>' }]);
  const request = evaluateRequestFromArgs(values);
  const ctx = cliContext('evaluate', values.json);
  const study = path.resolve(values.study);
  let preprocessed: OnDemandPreprocessing | null = null;
  const onPreprocessed = (report: OnDemandPreprocessing) => {
    preprocessed = report;
    // The text mode's log has said it already.
    if (values.json) process.stderr.write(`evaluate: ${report.message}\n`);
  };
  const result = await withStudyLock(study, 'funduslab evaluate', () =>
    evaluateRun(request, study, ctx, { preprocessOnDemand: true, onPreprocessed }),
  ).finally(ctx.end);
  if (values.json && result.domainShift?.checked && result.domainShift.warning)
    process.stderr.write(`evaluate: WARNING (domain shift): ${result.domainShift.warning}\n`);
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: result, preprocessed }, null, 2) + '\n');
  else process.stdout.write(formatEvaluationResult(result) + '\n');
  return 0;
}

const f4 = (x: number) => x.toFixed(4);
const f3 = (x: number) => x.toFixed(3);

export function formatEvaluationResult(r: EvaluationResult): string {
  const op = r.operatingPoint;
  return [
    `Run ${r.run.runId} (${r.run.strategy}, ${r.run.arch}, fraction ${r.run.fraction}, seed ${r.run.seed}) on ${r.dataset.datasetId} [${r.split}], referable = grades ${r.referable.join(', ')}`,
    `  n ${r.n} images: ${r.positives} referable, ${r.negatives} non-referable${r.skipped.ungraded + r.skipped.uncached > 0 ? ` (skipped ${r.skipped.ungraded} ungraded, ${r.skipped.uncached} uncached)` : ''}`,
    `  AUC ${f4(r.auc)}   DeLong 95% CI ${f4(r.delong.lower)}–${f4(r.delong.upper)}   bootstrap 95% CI ${f4(r.bootstrap.lower)}–${f4(r.bootstrap.upper)} (${r.bootstrap.samples} replicates, seed ${r.bootstrap.seed})`,
    `  operating point (sensitivity ≥ ${op.targetSensitivity}): P(referable) ≥ ${op.threshold.toPrecision(4)} → sensitivity ${f3(op.sensitivity)}, specificity ${f3(op.specificity)}`,
    `  at P(referable) ≥ ${r.atThreshold.threshold}: sensitivity ${f3(r.atThreshold.sensitivity)}, specificity ${f3(r.atThreshold.specificity)}   Youden J ${f3(r.youden.j)} at ${r.youden.threshold.toPrecision(4)}`,
    ...(r.domainShift?.checked && r.domainShift.warning ? [`  WARNING (domain shift): ${r.domainShift.warning}`] : []),
    ...(r.domainShift && !r.domainShift.checked ? [`  domain-shift check not made: ${r.domainShift.reason}`] : []),
    ...(r.overlapsTraining
      ? [
          `  WARNING: ${r.trainingOverlap} of the ${r.n} images are in the run's training data (dataset ${r.run.trainingDatasetId}, train split): not an independent test`,
        ]
      : []),
    `  predictions: ${r.files.predictions}`,
    `  result:      ${r.files.result}`,
    `  ${r.seconds.toFixed(1)} s on ${r.backend}`,
  ].join('\n');
}
