/**
 * The Report page's view models with exact expected outputs: byte sizes, the earlier reports'
 * rows, the outcome of a report.build job (parsed, or null), which reports.file name a PDF path has,
 * what the report will draw from the study's results, and the CLI command.
 */
import { describe, expect, it } from 'vitest';
import type { JobState } from '../../../src-shared/jobs';
import { formatDateTime } from '../../../src-renderer/shared/format.viewmodel';
import {
  formatBytes,
  outcomeSummary,
  reportCommand,
  reportContents,
  reportFileName,
  reportOutcome,
  reportRows,
} from '../../../src-renderer/features/report/report.viewmodel';

const RESULT = {
  pdf: '/s/study/reports/report-1.pdf',
  assetsDir: '/s/study/reports/report-1-assets',
  pages: 7,
  figures: ['a', 'b'],
  tables: ['t'],
  sections: ['1 Datasets'],
  bytes: 1_140_000,
};

describe('report view models', () => {
  it('formats byte sizes in decimal units with 3 significant digits', () => {
    expect([0, 999, 1000, 1234, 999_499, 999_500, 1_140_000, 25_000_000_000].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1 kB',
      '1.23 kB',
      '999 kB',
      '1 MB',
      '1.14 MB',
      '25 GB',
    ]);
    expect(formatBytes(-1)).toBe('—');
  });

  it('lists the earlier reports with size and date', () => {
    expect(
      reportRows(
        [{ file: 'r.pdf', path: '/s/reports/r.pdf', bytes: 2048, modified: '2026-01-03T00:00:00.000Z', assetsDir: null }],
        'en-GB',
      ),
    ).toEqual([
      {
        file: 'r.pdf',
        path: '/s/reports/r.pdf',
        size: '2.05 kB',
        modified: formatDateTime('2026-01-03T00:00:00.000Z', 'en-GB'),
        assetsDir: null,
      },
    ]);
  });

  it("reads a succeeded report.build job's result, else null", () => {
    const job = (status: JobState['status'], result: unknown) => ({ status, result });
    expect(reportOutcome(job('succeeded', RESULT))).toEqual(RESULT);
    expect(reportOutcome(job('failed', RESULT))).toBeNull();
    expect(reportOutcome(job('succeeded', { pdf: 1 }))).toBeNull();
    expect(reportOutcome(null)).toBeNull();
    expect(outcomeSummary(RESULT)).toBe('7 pages, 2 figures, 1 table, 1.14 MB');
  });

  it('names a PDF directly in <study>/reports/ (what reports.file serves), else null', () => {
    expect(reportFileName('/s/study/reports/report-1.pdf', '/s/study')).toBe('report-1.pdf');
    expect(reportFileName('/s/study/reports/report-1.pdf', '/s/study/')).toBe('report-1.pdf');
    expect(reportFileName('C:\\s\\study\\reports\\r.pdf', 'C:\\s\\study')).toBe('r.pdf');
    expect(reportFileName('/s/study/reports/old/r.pdf', '/s/study')).toBeNull();
    expect(reportFileName('/elsewhere/r.pdf', '/s/study')).toBeNull();
    expect(reportFileName('/s/study/reports/', '/s/study')).toBeNull();
  });

  it("says which sections the study's results fill and where to get the others", () => {
    expect(reportContents({ evaluations: 0, spectra: 1, robustness: 2, explanations: 4 })).toEqual([
      {
        key: 'evaluations',
        section: 'Fig 2, results table and paired tests',
        status: 'none yet',
        ready: false,
        route: 'results',
        hint: 'Evaluate finished runs on the Results page.',
      },
      {
        key: 'spectra',
        section: 'Fig 3a, Fig 3b and Table 2',
        status: '1 spectra analysis',
        ready: true,
        route: 'spectra',
        hint: 'Run the spectra on the Spectra page.',
      },
      {
        key: 'robustness',
        section: 'Fig 4 and the corruption gallery',
        status: '2 robustness analyses',
        ready: true,
        route: 'robustness',
        hint: 'Run the robustness analysis on the Robustness page.',
      },
      {
        key: 'explanations',
        section: 'Fig 5 and Table 3',
        status: '4 explanations',
        ready: true,
        route: 'explanations',
        hint: 'Run the explanations on the Explanations page.',
      },
    ]);
  });

  it('the same report on the command line, into reports/', () => {
    expect(reportCommand('/s/my study', false)).toBe("npx funduslab report --study '/s/my study' --out '/s/my study/reports/report.pdf'");
    expect(reportCommand('/s/study/', true)).toBe(
      'npx funduslab report --study /s/study/ --out /s/study/reports/report.pdf --reveal-image-ids',
    );
    expect(reportCommand('C:\\Studies\\pilot', false)).toBe(
      "npx funduslab report --study 'C:\\Studies\\pilot' --out 'C:\\Studies\\pilot\\reports\\report.pdf'",
    );
  });
});
