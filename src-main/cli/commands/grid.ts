/**
 * `funduslab grid --study <dir> [--spec grid.json] [--dry-run] [--json]` — the study's training grid
 * (strategies × fractions × seeds). `--spec` validates and stores a grid (grid.json in the study);
 * then every pending or unfinished cell runs in turn (unfinished ones resume from their checkpoint),
 * progress on stderr. `--dry-run` only lists the cells and their status. A failing run is reported
 * and the grid continues; the exit code is 1 when any run failed.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import type { GridView } from '../../../src-shared/grid';
import { gridView, saveGrid } from '../../services/training/grid';
import { runGrid, type GridRunOutcome } from '../../services/training/grid-run';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { withStudyLock } from '../../services/study-folder/lock';
import { SLURM_OPTIONS, SLURM_USAGE, runGridCell, submitGrid, wantsSlurm } from './cluster';

export const GRID_USAGE =
  'funduslab grid --study <dir> [--spec grid.json] [--dry-run] [--json]  |  funduslab grid --study <dir> [--spec grid.json] ' +
  `${SLURM_USAGE}  |  funduslab grid --study <dir> --cell <index> [--submission <id>]`;

export async function runGridCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    study: { type: 'string' },
    spec: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    cell: { type: 'string' },
    submission: { type: 'string' },
    ...SLURM_OPTIONS,
  });
  if (!values.study) throw new AppError('BAD_REQUEST', `Usage: ${GRID_USAGE}`, [{ path: 'study', message: 'give --study <dir>' }]);
  const study = path.resolve(values.study);
  const slurm = wantsSlurm(values);
  // A task of a cluster submission (what its sbatch script runs): one cell, nothing else.
  if (values.submission !== undefined || values.cell !== undefined) {
    if (values.submission === undefined || values.cell === undefined)
      throw new AppError('BAD_REQUEST', 'Give --cell <index> together with --submission <id> (the cell of a cluster submission).', [
        { path: values.cell === undefined ? 'cell' : 'submission', message: 'required' },
      ]);
    return runGridCell(study, values.submission, values.cell);
  }
  let view: GridView;
  if (values.spec) {
    let raw: unknown;
    try {
      raw = JSON.parse(await fsp.readFile(path.resolve(values.spec), 'utf8'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT')
        throw new AppError('NOT_FOUND', `Grid file not found: ${values.spec}`, [{ path: 'spec', message: 'no such file' }]);
      throw new AppError('BAD_REQUEST', `The grid file ${values.spec} is not valid JSON: ${e.message}`, [
        { path: 'spec', message: 'not JSON' },
      ]);
    }
    view = await saveGrid(study, raw as never);
  } else {
    view = await gridView(study);
    if (!view.spec)
      throw new AppError(
        'BAD_REQUEST',
        `The study ${study} has no training grid yet: give --spec <grid.json> (fields: docs/reference/grid.md) or set one up in the app.`,
        [{ path: 'spec', message: 'no grid in the study' }],
      );
  }
  if (!values.json) process.stderr.write(formatGrid(view) + '\n');
  if (slurm) return submitGrid(study, values);
  if (values['dry-run']) {
    if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: view }, null, 2) + '\n');
    return 0;
  }
  const ctx = cliContext('grid', values.json);
  let label = '';
  const outcomes: GridRunOutcome[] = await withStudyLock(study, 'funduslab grid', () =>
    runGrid(study, { ...ctx, progress: (d, t, m) => ctx.progress(d, t, `${label} ${m}`) }, (i, n, cell) => {
      label = `[run ${i + 1}/${n} ${cell.runId}]`;
    }),
  ).finally(ctx.end);
  const after = await gridView(study);
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: { runs: outcomes, grid: after } }, null, 2) + '\n');
  else process.stdout.write(formatGrid(after) + '\n' + formatBusy(outcomes));
  return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}
export { runGridCommand as runGrid };

/**
 * The runs another process trains now (another app, a cluster task), left alone by this call and not
 * counted as failed: one line each after the grid; empty when there are none.
 */
export function formatBusy(outcomes: readonly GridRunOutcome[]): string {
  const busy = outcomes.filter((o) => o.status === 'busy');
  if (busy.length === 0) return '';
  return (
    ['Runs being trained elsewhere (left alone):', ...busy.map((o) => `  busy     ${o.runId} — ${o.error?.message ?? ''}`)].join('\n') +
    '\n'
  );
}

export function formatGrid(view: GridView): string {
  if (!view.spec) return 'No training grid.';
  const lines = [
    `Training grid: ${view.spec.strategies.join(', ')} × fractions ${view.spec.fractions.join(', ')} × seeds ${view.spec.seeds.join(', ')} (${view.cells.length} runs)`,
  ];
  for (const c of view.cells) {
    const auc = c.bestValAuc === null ? '' : ` · best val AUC ${c.bestValAuc.toFixed(4)}`;
    lines.push(`  ${c.status.padEnd(8)} ${c.runId} (epoch ${c.epochsDone}/${c.epochs}${auc})${c.reason ? ` — ${c.reason}` : ''}`);
  }
  // Run folders no cell trains now (kept as they are): outdated ones with the settings that differ.
  const others = view.others ?? [];
  if (others.length > 0) lines.push('Other runs in the study (outdated ones are left out of results and the report unless included):');
  for (const o of others)
    lines.push(
      `  ${(o.standing.outdated ? 'outdated' : 'current').padEnd(8)} ${o.runId}${o.standing.outdated ? ` — ${o.standing.reasons.join(', ')}` : ''}`,
    );
  return lines.join('\n');
}
