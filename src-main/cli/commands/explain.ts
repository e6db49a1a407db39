/**
 * `funduslab explain --study <dir> --runs <id,…> --dataset <id> [--images N|id,…] [options] [--json]` —
 * LRP-α1β0 heatmaps of each run on a dataset with lesion masks, and their RMA/RRA per lesion and
 * pooling against the Gaussian-noise control (paper Fig 5, Table 3); writes
 * explanations/<run-id>__<dataset-id>__<settings hash>/ per run (src-main/analysis/lrp/service.ts; the
 * same settings replace their own result, other settings sit beside it). `--png <dir>` also writes
 * each run's overlay PNGs and overlays.csv into <dir>/<result name>/ (analysis/lrp/overlays.ts). Progress on
 * stderr; a Table-3-like summary (or `{"ok": true, "value": [ExplanationResult, …]}` with --json) on stdout.
 * A dataset cached at another input size than a run's is preprocessed at the run's size on demand
 * (said on stderr and as `preprocessed` in the --json output).
 */
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { ExplainLesion, type ExplainRequestInput, type ExplanationResult } from '../../../src-shared/explanations';
import { explainRun } from '../../analysis/lrp/service';
import { OVERLAYS_LIST_FILE, writeOverlays } from '../../analysis/lrp/overlays';
import { explanationSettings } from '../../../src-shared/analysis-choice';
import type { OnDemandPreprocessing } from '../../services/datasets/at-input-size';
import { POOLINGS } from '../../analysis/lrp/rma-rra';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { studyLayout } from '../../services/study-folder/layout';
import { withStudyLock } from '../../services/study-folder/lock';
import { checkDomainShiftOnDataset } from '../../services/evaluation/shift';

export const EXPLAIN_USAGE =
  'funduslab explain --study <dir> --runs <id,…> --dataset <id> [--images N|id,…] [--start true-grade|referable] [--ungraded-class G] [--referable 3,4] ' +
  '[--start-value logit|unit] [--first-layer alpha-beta|zbox|flat] [--max-pool winner-take-all|proportional] [--sum proportional|alpha-beta] [--lesions MA,HE,EX] [--noise-seed S] [--batch N] [--png <dir>] [--json]';

function list(raw: string | undefined): string[] | undefined {
  return raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

function integer(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v))
    throw new AppError('BAD_REQUEST', `--${name} must be an integer, got ${raw}`, [{ path: name, message: 'not an integer' }]);
  return v;
}

export async function runExplain(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    study: { type: 'string' },
    runs: { type: 'string' },
    dataset: { type: 'string' },
    images: { type: 'string' },
    start: { type: 'string' },
    'ungraded-class': { type: 'string' },
    referable: { type: 'string' },
    'start-value': { type: 'string' },
    'first-layer': { type: 'string' },
    'max-pool': { type: 'string' },
    sum: { type: 'string' },
    lesions: { type: 'string' },
    'noise-seed': { type: 'string' },
    batch: { type: 'string' },
    png: { type: 'string' },
  });
  if (positionals.length > 0) throw new AppError('BAD_REQUEST', `Unexpected argument(s) ${positionals.join(' ')}. Usage: ${EXPLAIN_USAGE}`);
  const runs = list(values.runs) ?? [];
  if (!values.study || runs.length === 0 || !values.dataset) {
    throw new AppError('BAD_REQUEST', `Usage: ${EXPLAIN_USAGE}`, [
      ...(!values.study ? [{ path: 'study', message: 'give --study <dir>' }] : []),
      ...(runs.length === 0 ? [{ path: 'runs', message: 'give --runs <id,…>' }] : []),
      ...(!values.dataset ? [{ path: 'dataset', message: 'give --dataset <id>' }] : []),
    ]);
  }
  const images =
    values.images === undefined ? undefined : /^\d+$/.test(values.images) ? integer('images', values.images) : list(values.images);
  const lrp: Record<string, unknown> = {};
  if (values['first-layer'] !== undefined) lrp.firstLayer = values['first-layer'];
  if (values['max-pool'] !== undefined) lrp.maxPool = values['max-pool'];
  if (values.sum !== undefined) lrp.sum = values.sum;
  const base = {
    datasetId: values.dataset,
    ...(images !== undefined ? { images } : {}),
    ...(values.start !== undefined ? { start: values.start } : {}),
    ...(values['ungraded-class'] !== undefined ? { ungradedClass: integer('ungraded-class', values['ungraded-class']) } : {}),
    ...(values.referable !== undefined ? { referable: list(values.referable)!.map((g) => integer('referable', g)) } : {}),
    ...(values['start-value'] !== undefined ? { startValue: values['start-value'] } : {}),
    ...(values.lesions !== undefined ? { lesions: list(values.lesions) } : {}),
    ...(values['noise-seed'] !== undefined ? { noiseSeed: integer('noise-seed', values['noise-seed']) } : {}),
    ...(values.batch !== undefined ? { batchSize: integer('batch', values.batch) } : {}),
    lrp,
  } as Omit<ExplainRequestInput, 'runId'>;
  const study = path.resolve(values.study);
  const results: ExplanationResult[] = [];
  const overlays: { name: string; dir: string; files: string[] }[] = [];
  const pngDir = values.png === undefined ? null : path.resolve(values.png);
  const preprocessed: OnDemandPreprocessing[] = [];
  const onPreprocessed = (report: OnDemandPreprocessing) => {
    preprocessed.push(report);
    if (values.json) process.stderr.write(`explain: ${report.message}\n`); // the text mode's log has said it
  };
  await withStudyLock(study, 'funduslab explain', async () => {
    for (const runId of runs) {
      const ctx = cliContext(`explain ${runId}`, values.json);
      const result = await explainRun({ ...base, runId }, study, ctx, { preprocessOnDemand: true, onPreprocessed }).finally(ctx.end);
      results.push(result);
      if (!values.json) process.stdout.write(formatExplanation(result, study) + '\n');
      const shiftCtx = cliContext(`explain ${runId}: domain-shift check`, values.json);
      const shift = await checkDomainShiftOnDataset(study, runId, values.dataset!, shiftCtx).finally(shiftCtx.end);
      if (shift.checked && shift.warning)
        (values.json ? process.stderr : process.stdout).write(`WARNING (domain shift): ${shift.warning}\n`);
      if (pngDir) {
        const dir = path.join(pngDir, result.name);
        const pctx = cliContext(`overlays ${runId}`, values.json);
        const files = await writeOverlays(study, result.name, dir, pctx).finally(pctx.end);
        overlays.push({ name: result.name, dir, files });
        if (!values.json) process.stdout.write(`  Overlays: ${files.length - 1} PNG(s) and ${OVERLAYS_LIST_FILE} in ${dir}\n`);
      }
    }
  });
  if (values.json)
    process.stdout.write(JSON.stringify({ ok: true, value: results, preprocessed, ...(pngDir ? { overlays } : {}) }, null, 2) + '\n');
  return 0;
}

const f4 = (v: number | null) => (v === null ? '   –  ' : v.toFixed(4));

/** Table 3 of one run: per region and pooling, mean (std) RMA and RRA of LRP and of the noise control. */
export function formatExplanation(r: ExplanationResult, study: string): string {
  const lines = [
    `Run ${r.run.runId} (${r.run.strategy}, ${r.run.arch}, ${r.run.inputSize} px) on ${r.dataset.datasetId}: ${r.images.length} image(s), ${r.seconds.toFixed(1)} s on ${r.backend} → ${studyLayout(study).result('explanations', r.name).dir}`,
    `  Settings: ${explanationSettings(r)}`,
    `  Positive relevance outside the fundus: ${r.outsideFundus?.mean == null ? '–' : `${r.outsideFundus.mean.toFixed(4)} (mean over ${r.outsideFundus.images} image(s))`}`,
    `  LRP ${r.composite.name}; start ${r.request.start}${r.request.start === 'true-grade' ? ` (ungraded images: class ${r.request.ungradedClass})` : ` (grades ${r.run.referable.join(', ')})`}, ${r.request.startValue}`,
    `  ${'region'.padEnd(6)} ${'n'.padStart(3)}  ${'pooling'.padEnd(10)}  ${'RMA mean (std)'.padEnd(17)}  ${'RRA mean (std)'.padEnd(17)}  ${'noise RMA'.padEnd(9)}  noise RRA`,
  ];
  for (const region of [...r.request.lesions, 'union'] as const) {
    const s = r.summary[region as ExplainLesion | 'union'];
    if (!s) continue;
    const skipped =
      s.skipped.noMask + s.skipped.emptyMask > 0 ? `  (skipped: ${s.skipped.noMask} without mask, ${s.skipped.emptyMask} empty)` : '';
    POOLINGS.forEach((p, i) => {
      const l = s.lrp[p];
      const n = s.noise[p];
      lines.push(
        `  ${(i === 0 ? region : '').padEnd(6)} ${(i === 0 ? String(s.scored) : '').padStart(3)}  ${p.padEnd(10)}  ${`${f4(l.rma.mean)} (${f4(l.rma.std)})`.padEnd(17)}  ${`${f4(l.rra.mean)} (${f4(l.rra.std)})`.padEnd(17)}  ${f4(n.rma.mean).padEnd(9)}  ${f4(n.rra.mean)}${i === 0 ? skipped : ''}`,
      );
    });
  }
  return lines.join('\n');
}
