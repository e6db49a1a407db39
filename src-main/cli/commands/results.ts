/**
 * `funduslab results --study <dir> [--csv <file>] [--json]` — every evaluation of the study: the results
 * table (AUC with DeLong and bootstrap 95% CIs, the target-sensitivity operating point), the paired
 * DeLong comparisons (CL vs FS within IFI / IWNE, IFI vs IWNE within FS / CL, on the same images)
 * and, with --json, the Fig 2 series. `--csv` also writes the table as CSV (atomically). Evaluations of
 * outdated runs (trained with settings the grid no longer has) are left out unless --include-outdated.
 * Then every analysis result (spectra, robustness, explanations; `analyses` in --json): its folder
 * name, run(s), dataset, recorded settings, and `*` on the one the report uses for its run(s) and
 * dataset (analysis/results-list.ts); with --json they are `analyses` beside `value` (which keeps the
 * StudyResults schema).
 */
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import type { StudyResults } from '../../../src-shared/evaluation';
import { resultsTableCsv, studyResults } from '../../services/evaluation/results';
import { writeFileAtomic } from '../../fs/atomic';
import { requireStudyFolder } from '../../services/study-folder/study-service';
import { parseCommandArgs } from '../args';
import { listAnalysisResults, type AnalysisResultRow } from '../../analysis/results-list';

export const RESULTS_USAGE = 'funduslab results --study <dir> [--csv <file>] [--include-outdated] [--json]';

export async function runResults(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    study: { type: 'string' },
    csv: { type: 'string' },
    'include-outdated': { type: 'boolean', default: false },
  });
  if (!values.study) throw new AppError('BAD_REQUEST', `Usage: ${RESULTS_USAGE}`, [{ path: 'study', message: 'give --study <dir>' }]);
  const study = requireStudyFolder(values.study, 'study');
  const results = await studyResults(study, { includeOutdated: values['include-outdated'] });
  const analyses = await listAnalysisResults(study);
  if (values.csv) {
    const file = path.resolve(values.csv);
    await writeFileAtomic(file, resultsTableCsv(results));
    if (!values.json) process.stderr.write(`wrote ${file}\n`);
  }
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: results, analyses }, null, 2) + '\n');
  else process.stdout.write(formatStudyResults(results) + '\n' + formatAnalyses(analyses) + '\n');
  return 0;
}

const f4 = (x: number) => x.toFixed(4);

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function formatStudyResults(r: StudyResults): string {
  if (r.rows.length === 0 && r.skipped.length === 0)
    return `No evaluations in ${r.studyPath} yet (funduslab evaluate --study … --run … --dataset …).`;
  const out: string[] = [];
  out.push(
    ...table(
      [
        'dataset [split]',
        'ref',
        'strategy',
        'fraction',
        'seed',
        'arch',
        'run',
        'n',
        'pos',
        'AUC',
        'DeLong 95% CI',
        'bootstrap 95% CI',
        'sens',
        'spec',
      ],
      r.rows.map((x) => [
        `${x.datasetId} [${x.split}]`,
        x.referable.join(','),
        x.strategy,
        String(x.fraction),
        String(x.seed),
        x.arch,
        x.runId + (x.overlapsTraining ? ' (!)' : '') + (x.standing?.outdated ? ' (outdated)' : ''),
        String(x.n),
        String(x.positives),
        f4(x.auc),
        `${f4(x.delong.lower)}–${f4(x.delong.upper)}`,
        `${f4(x.bootstrap.lower)}–${f4(x.bootstrap.upper)}`,
        x.operatingPoint.sensitivity.toFixed(3),
        x.operatingPoint.specificity.toFixed(3),
      ]),
    ),
  );
  if (r.rows.some((x) => x.overlapsTraining)) out.push('(!) evaluated on images the run trained on: not an independent test');
  const sensTargets = [...new Set(r.rows.map((x) => x.operatingPoint.targetSensitivity))];
  if (sensTargets.length > 0) out.push(`sens/spec: at the highest threshold with sensitivity ≥ ${sensTargets.join(' / ')}`);
  if (r.comparisons.length > 0) {
    out.push('', 'Paired DeLong tests (same images, A − B):');
    out.push(
      ...table(
        ['dataset [split]', 'fraction', 'seed', 'A − B', 'ΔAUC', '95% CI', 'p'],
        r.comparisons.map((c) => [
          `${c.datasetId} [${c.split}]`,
          String(c.fraction),
          String(c.seed),
          `${c.a.strategy} − ${c.b.strategy}`,
          c.test ? (c.test.difference >= 0 ? '+' : '') + f4(c.test.difference) : 'error',
          c.test ? `${f4(c.test.lower)}–${f4(c.test.upper)}` : '',
          c.test ? (c.test.p < 1e-4 ? c.test.p.toExponential(1) : c.test.p.toFixed(4)) : (c.error ?? ''),
        ]),
      ),
    );
  }
  for (const s of r.skipped) out.push(`skipped ${s.path}: ${s.reason}`);
  const outdated = r.rows.filter((x) => x.standing?.outdated);
  if (outdated.length > 0)
    out.push(
      `(outdated) trained with settings the grid no longer has: ${outdated.map((x) => `${x.runId} (${x.standing!.reasons.join(', ')})`).join('; ')}`,
    );
  const excluded = r.excludedOutdated ?? [];
  if (excluded.length > 0)
    out.push(
      `left out: ${excluded.length} evaluation${excluded.length === 1 ? '' : 's'} of outdated runs (${[...new Set(excluded.map((e) => `${e.runId}: ${e.reasons.join(', ')}`))].join('; ')}); --include-outdated shows them`,
    );
  return out.join('\n');
}

/** The analysis results, one line each; `*` marks the one the report uses for its run(s) and dataset. */
export function formatAnalyses(rows: readonly AnalysisResultRow[]): string {
  if (rows.length === 0) return '\nNo analysis results yet (funduslab spectra | robustness | explain).';
  const out = ['', 'Analysis results (* = used by the report: per run and dataset the newest with default settings, else the newest):'];
  out.push(
    ...table(
      ['', 'kind', 'result', 'dataset', 'runs', 'created', 'settings'],
      rows.map((r) => [
        r.used ? '*' : '',
        r.kind,
        r.name,
        r.datasetId,
        r.runIds.length > 2 ? `${r.runIds.length} runs` : r.runIds.join(','),
        r.createdAt.slice(0, 19).replace('T', ' '),
        r.settings + (r.outsideFundusShare != null ? `; outside-fundus share ${r.outsideFundusShare.toFixed(4)}` : ''),
      ]),
    ),
  );
  return out.join('\n');
}
