/**
 * `funduslab robustness --study <dir> --runs <id,id,…> --dataset <id> [--images N] [--corruptions a,b]
 *   [--severities 1,3,5] [--seed S] [--json]` — the models' mean probability of the true class and AUC
 * under the 19 corruptions × 5 severities, and Fig 4's CL − FS differences
 * (robustness/<dataset>__<hash>/result.json + gallery/). A dataset cached at another input size than the
 * runs' is preprocessed at their size on demand (said on stderr and as `preprocessed` in the --json output).
 */
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import type { RobustnessResult } from '../../../src-shared/robustness';
import { runRobustness } from '../../analysis/robustness/service';
import type { OnDemandPreprocessing } from '../../services/datasets/at-input-size';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { withStudyLock } from '../../services/study-folder/lock';

export const ROBUSTNESS_USAGE =
  'funduslab robustness --study <dir> --runs <id,id,…> --dataset <id> [--images N] [--corruptions a,b] [--severities 1,3,5] [--seed S] [--json]';

export async function runRobustnessCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    study: { type: 'string' },
    runs: { type: 'string' },
    dataset: { type: 'string' },
    images: { type: 'string' },
    corruptions: { type: 'string' },
    severities: { type: 'string' },
    seed: { type: 'string' },
  });
  const missing = (['study', 'runs', 'dataset'] as const).filter((k) => !values[k]);
  if (missing.length)
    throw new AppError(
      'BAD_REQUEST',
      `Usage: ${ROBUSTNESS_USAGE}`,
      missing.map((k) => ({ path: k, message: `give --${k}` })),
    );
  const list = (v: string | undefined) =>
    v
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const numbers = (v: string | undefined) => list(v)?.map(Number);
  const ctx = cliContext('robustness', values.json);
  const study = path.resolve(values.study!);
  let preprocessed: OnDemandPreprocessing | null = null;
  const onPreprocessed = (report: OnDemandPreprocessing) => {
    preprocessed = report;
    if (values.json) process.stderr.write(`robustness: ${report.message}\n`); // the text mode's log has said it
  };
  const result = await withStudyLock(study, 'funduslab robustness', () =>
    runRobustness(
      {
        runIds: list(values.runs)!,
        datasetId: values.dataset!,
        ...(values.images ? { images: Number(values.images) } : {}),
        ...(values.corruptions ? { corruptions: list(values.corruptions) as never } : {}),
        ...(values.severities ? { severities: numbers(values.severities) } : {}),
        ...(values.seed ? { seed: Number(values.seed) } : {}),
      },
      study,
      ctx,
      { preprocessOnDemand: true, onPreprocessed },
    ),
  ).finally(ctx.end);
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: result, preprocessed }, null, 2) + '\n');
  else process.stdout.write(formatRobustness(result) + '\n');
  return 0;
}
export { runRobustnessCommand as runRobustness };

export function formatRobustness(r: RobustnessResult): string {
  const lines = [
    `Robustness on ${r.datasetId} (${r.split}, ${r.images} images, ${r.positives} referable): mean probability of the true class`,
  ];
  for (const m of r.models) {
    const clean = m.cells.find((c) => c.corruption === 'clean')!;
    const corrupted = m.cells.filter((c) => c.corruption !== 'clean');
    const mean = corrupted.reduce((a, c) => a + c.meanTrueClassProbability, 0) / Math.max(1, corrupted.length);
    lines.push(
      `  ${m.strategy.padEnd(8)} ${m.runId}: clean ${clean.meanTrueClassProbability.toFixed(3)}, mean over corruptions ${mean.toFixed(3)}`,
    );
  }
  for (const d of r.fig4) {
    const mean = d.cells.reduce((a, c) => a + c.difference, 0) / Math.max(1, d.cells.length);
    lines.push(
      `  ${d.initialisation}: CL − FS mean ${mean >= 0 ? '+' : ''}${mean.toFixed(3)} (fraction ${d.fraction}, seed ${d.seed}; positive cells ${d.cells.filter((c) => c.difference > 0).length}/${d.cells.length})`,
    );
  }
  const slow = Object.entries(r.timing.corruptSeconds)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  lines.push(
    `  time: ${r.timing.totalSeconds.toFixed(1)} s (models ${r.timing.modelSeconds.toFixed(1)} s; slowest corruptions ${slow.map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(', ')})`,
  );
  return lines.join('\n');
}
