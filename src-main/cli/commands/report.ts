/**
 * `funduslab report --study <dir> --out <file.pdf> [--reveal-image-ids] [--include-outdated] [--json]` — the study report
 * (PDF) with every figure as SVG/PNG and every table as CSV in <file>-assets/. Image identifiers are
 * pseudonymised unless --reveal-image-ids. Runs trained with settings the grid no longer has (outdated)
 * and their results are left out unless --include-outdated.
 */
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { buildReport } from '../../report/report';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { withStudyLock } from '../../services/study-folder/lock';

export const REPORT_USAGE = 'funduslab report --study <dir> --out <file.pdf> [--reveal-image-ids] [--include-outdated] [--json]';

export async function runReport(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    study: { type: 'string' },
    out: { type: 'string' },
    'reveal-image-ids': { type: 'boolean', default: false },
    'include-outdated': { type: 'boolean', default: false },
  });
  if (!values.study || !values.out) {
    throw new AppError('BAD_REQUEST', `Usage: ${REPORT_USAGE}`, [
      ...(!values.study ? [{ path: 'study', message: 'give --study <dir>' }] : []),
      ...(!values.out ? [{ path: 'out', message: 'give --out <file.pdf>' }] : []),
    ]);
  }
  const ctx = cliContext('report', values.json);
  const study = path.resolve(values.study);
  const out = path.resolve(values.out);
  const result = await withStudyLock(study, 'funduslab report', () =>
    buildReport(study, { out, revealImageIds: values['reveal-image-ids'], includeOutdated: values['include-outdated'] }, ctx),
  ).finally(ctx.end);
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: result }, null, 2) + '\n');
  else process.stdout.write(`Report: ${result.pdf} (${result.pages} pages)\nFigures (SVG, PNG) and tables (CSV): ${result.assetsDir}\n`);
  return 0;
}
