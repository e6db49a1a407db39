/**
 * Everything the Report page shows, as pure functions (unit-tested in
 * test/unit/renderer/report.viewmodel.test.ts): the earlier reports (size, date), the outcome of a
 * report.build job, which of the study's results the report will draw (and where to get the missing
 * ones), and the CLI command that writes the same report.
 */
import type { ReportFileInfo } from '../../../src-shared/contract';
import { ReportResult, type JobState } from '../../../src-shared/jobs';
import type { z } from 'zod';
import { decimalBytes } from '../../../src-shared/datasets';
import { cliCommand } from '../../shared/analyses.viewmodel';
import { formatDateTime } from '../../shared/format.viewmodel';

export type ReportOutcome = z.infer<typeof ReportResult>;

/** `512 B`, `12.3 kB`, `4.56 MB` (decimal units, 3 significant digits); `—` for a size that is not one. */
export function formatBytes(bytes: number): string {
  return Number.isFinite(bytes) && bytes >= 0 ? decimalBytes(bytes) : '—';
}

export interface ReportRowModel {
  file: string;
  path: string;
  size: string;
  modified: string;
  assetsDir: string | null;
}

/** The reports under reports/ as listed (newest first), formatted. */
export function reportRows(reports: readonly ReportFileInfo[], locale?: string): ReportRowModel[] {
  return reports.map((r) => ({
    file: r.file,
    path: r.path,
    size: formatBytes(r.bytes),
    modified: formatDateTime(r.modified, locale),
    assetsDir: r.assetsDir,
  }));
}

/** The result of a succeeded report.build job, or null. */
export function reportOutcome(job: Pick<JobState, 'status' | 'result'> | null): ReportOutcome | null {
  if (!job || job.status !== 'succeeded') return null;
  const parsed = ReportResult.safeParse(job.result);
  return parsed.success ? parsed.data : null;
}

/** The file name of a PDF path when it lies directly in <study>/reports/ (what reports.file serves), else null. */
export function reportFileName(pdf: string, studyPath: string): string | null {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const dir = `${norm(studyPath)}/reports/`;
  const file = norm(pdf);
  if (!file.startsWith(dir)) return null;
  const name = file.slice(dir.length);
  return name.length > 0 && !name.includes('/') ? name : null;
}

/** `12 pages, 4 figures, 6 tables, 830 kB`. */
export function outcomeSummary(result: ReportOutcome): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(result.pages, 'page')}, ${plural(result.figures.length, 'figure')}, ${plural(result.tables.length, 'table')}, ${formatBytes(result.bytes)}`;
}

export interface ContentsCounts {
  evaluations: number;
  spectra: number;
  robustness: number;
  explanations: number;
}

/**
 * The pages that produce what the report draws (route ids of src-renderer/app/navigation.tsx; kept here so this module stays free of
 * React).
 */
export type ContentsRoute = 'results' | 'spectra' | 'robustness' | 'explanations';

export interface ContentsItem {
  key: keyof ContentsCounts;
  /** The report section it fills. */
  section: string;
  /** `2 evaluations` / `none yet`. */
  status: string;
  ready: boolean;
  /** The page that produces it (offered when nothing is there yet). */
  route: ContentsRoute;
  hint: string;
}

/**
 * What the report will draw from the study's results (sections 3-6 of the report); the rest (datasets, methods, limitations, appendix) is
 * always there.
 */
export function reportContents(counts: ContentsCounts): ContentsItem[] {
  const item = (key: keyof ContentsCounts, section: string, noun: [string, string], route: ContentsRoute, hint: string): ContentsItem => {
    const n = counts[key];
    return { key, section, status: n === 0 ? 'none yet' : `${n} ${n === 1 ? noun[0] : noun[1]}`, ready: n > 0, route, hint };
  };
  return [
    item(
      'evaluations',
      'Fig 2, results table and paired tests',
      ['evaluation', 'evaluations'],
      'results',
      'Evaluate finished runs on the Results page.',
    ),
    item(
      'spectra',
      'Fig 3a, Fig 3b and Table 2',
      ['spectra analysis', 'spectra analyses'],
      'spectra',
      'Run the spectra on the Spectra page.',
    ),
    item(
      'robustness',
      'Fig 4 and the corruption gallery',
      ['robustness analysis', 'robustness analyses'],
      'robustness',
      'Run the robustness analysis on the Robustness page.',
    ),
    item(
      'explanations',
      'Fig 5 and Table 3',
      ['explanation', 'explanations'],
      'explanations',
      'Run the explanations on the Explanations page.',
    ),
  ];
}

/** The CLI command that writes the same report (into reports/, as the job does by default). */
export function reportCommand(studyPath: string, revealImageIds: boolean, includeOutdated = false): string {
  const sep = studyPath.includes('\\') && !studyPath.includes('/') ? '\\' : '/';
  const out = `${studyPath.replace(/[\\/]+$/, '')}${sep}reports${sep}report.pdf`;
  return cliCommand([
    'report',
    '--study',
    studyPath,
    '--out',
    out,
    ...(revealImageIds ? ['--reveal-image-ids'] : []),
    ...(includeOutdated ? ['--include-outdated'] : []),
  ]);
}
