/**
 * `funduslab study --demo --out <dir> [--imagenet-weights f] [--moco-weights f] [--arch A] [--json]`
 *   — the demo study on the embedded synthetic data, from data generation to the PDF report.
 * `funduslab study <study.json> [--until step] [--json]` — a study plan of your own
 *   (src-shared/study-plan.ts): import, grid, evaluations, analyses, report.
 * Both resume when run again. Progress on stderr. A study that did not do everything (blocked, invalid
 * or failed runs, analyses without their runs) prints each warning with its fix at the end.
 * Exit codes: 0 finished cleanly; 1 a run failed (or an error); 3 finished with warnings (STUDY_WARNINGS_EXIT).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { STUDY_STEPS, runStudy, studyRunResult, type StudyOutcome, type StudyStep } from '../../study-run/run-study';
import { runDemoStudy } from '../../study-run/demo-study';
import { initEngine } from '../../engine/backend';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { withStudyLock } from '../../services/study-folder/lock';
import { SLURM_OPTIONS, SLURM_USAGE, submitPlan, wantsSlurm } from './cluster';

export const STUDY_USAGE =
  'funduslab study --demo --out <dir> [--imagenet-weights <file>] [--moco-weights <file>] [--arch resnet18-w8]  |  funduslab study <study.json> [--until <step>]' +
  `  |  funduslab study <study.json> ${SLURM_USAGE}`;

/** Exit code of `funduslab study` when the study finished with warnings (nothing failed, but something was not done). */
export const STUDY_WARNINGS_EXIT = 3;

export async function runStudyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    demo: { type: 'boolean', default: false },
    out: { type: 'string' },
    'imagenet-weights': { type: 'string' },
    'moco-weights': { type: 'string' },
    arch: { type: 'string' },
    scale: { type: 'string' },
    until: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    ...SLURM_OPTIONS,
  });
  const slurm = wantsSlurm(values);
  if (values['dry-run'] && !slurm)
    throw new AppError('BAD_REQUEST', '--dry-run is for --executor slurm (it writes the sbatch scripts without submitting).', [
      { path: 'dry-run', message: 'only with --executor slurm' },
    ]);
  if (slurm && values.demo)
    throw new AppError('BAD_REQUEST', '--executor slurm takes a study plan file, not --demo.', [
      { path: 'executor', message: 'plan only' },
    ]);
  const until = values.until as StudyStep | undefined;
  if (until !== undefined && !(STUDY_STEPS as readonly string[]).includes(until))
    throw new AppError('BAD_REQUEST', `--until must be one of ${STUDY_STEPS.join(', ')}`, [{ path: 'until', message: 'unknown step' }]);
  if (slurm) {
    const { raw, baseDir } = await readPlanFile(positionals[0]);
    return submitPlan(raw, baseDir, values);
  }
  const ctx = cliContext('study', values.json);
  await initEngine({ preference: 'auto' });
  const started = Date.now();
  let outcome: StudyOutcome;
  if (values.demo) {
    if (!values.out) throw new AppError('BAD_REQUEST', `Usage: ${STUDY_USAGE}`, [{ path: 'out', message: 'give --out <dir>' }]);
    if (values.scale !== undefined && values.scale !== 'demo' && values.scale !== 'tiny')
      throw new AppError('BAD_REQUEST', '--scale must be demo or tiny', [{ path: 'scale', message: 'demo | tiny' }]);
    const out = values.out;
    // The demo's study folder is <out>/study (demoPlan).
    outcome = await withStudyLock(path.join(path.resolve(out), 'study'), 'funduslab study --demo', () =>
      runDemoStudy(
        {
          out,
          ...(values['imagenet-weights'] ? { imagenetWeights: values['imagenet-weights'] } : {}),
          ...(values['moco-weights'] ? { mocoWeights: values['moco-weights'] } : {}),
          ...(values.arch ? { arch: values.arch } : {}),
          ...(values.scale ? { scale: values.scale as 'demo' | 'tiny' } : {}),
        },
        ctx,
        until ? { until } : {},
      ),
    );
  } else {
    const { raw, baseDir } = await readPlanFile(positionals[0]);
    // The plan's study folder, resolved as runStudy resolves it (an invalid plan is refused by runStudy).
    const planStudy = (raw as { study?: unknown } | null)?.study;
    const study = path.resolve(baseDir, typeof planStudy === 'string' ? planStudy : '.');
    outcome = await withStudyLock(study, 'funduslab study', () => runStudy(raw as never, ctx, { baseDir, ...(until ? { until } : {}) }));
  }
  ctx.end();
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: studyRunResult(outcome) }, null, 2) + '\n');
  else {
    const failed = outcome.runs.filter((r) => r.status === 'failed');
    process.stdout.write(
      [
        `Study ${outcome.study} finished in ${((Date.now() - started) / 60000).toFixed(1)} min`,
        `  runs trained this time: ${outcome.runs.filter((r) => r.status !== 'busy').length}${failed.length ? ` (${failed.length} failed: ${failed.map((f) => f.runId).join(', ')})` : ''}`,
        `  evaluations: ${outcome.evaluations.length} · spectra: ${outcome.spectra.length} · robustness: ${outcome.robustness ? 1 : 0} · explanations: ${outcome.explanations.length}`,
        outcome.report
          ? `  report: ${outcome.report.pdf} (${outcome.report.pages} pages; figures and tables in ${outcome.report.assetsDir})`
          : '  report: not written',
        ...(outcome.warnings.length > 0
          ? [
              `Finished with ${outcome.warnings.length} warning${outcome.warnings.length === 1 ? '' : 's'}:`,
              ...outcome.warnings.flatMap((w) => [`  ${w.item}: ${w.reason}`, `    fix: ${w.fix}`]),
            ]
          : []),
      ].join('\n') + '\n',
    );
  }
  if (outcome.runs.some((r) => r.status === 'failed')) return 1;
  return outcome.warnings.length > 0 ? STUDY_WARNINGS_EXIT : 0;
}
export { runStudyCommand as runStudy };

/** The study plan file's JSON and its folder (which resolves the plan's relative paths). */
async function readPlanFile(file: string | undefined): Promise<{ raw: unknown; baseDir: string }> {
  if (!file) throw new AppError('BAD_REQUEST', `Usage: ${STUDY_USAGE}`, [{ path: 'plan', message: 'give a study plan file or --demo' }]);
  try {
    return { raw: JSON.parse(await fsp.readFile(path.resolve(file), 'utf8')), baseDir: path.dirname(path.resolve(file)) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new AppError('NOT_FOUND', `Study plan not found: ${file}`, [{ path: 'plan', message: 'no such file' }]);
    throw new AppError('BAD_REQUEST', `The study plan ${file} is not valid JSON: ${e.message}`, [{ path: 'plan', message: 'not JSON' }]);
  }
}
