/**
 * The delete and Trash page view models with exact expected texts: what the confirm dialog says
 * moves, the dataset's dependents question, the trash rows (restorable, incomplete, unreadable), the
 * empty-trash question and the notices, and which evaluation folders the Results page offers.
 */
import { describe, expect, it } from 'vitest';
import type { TrashEntry } from '../../../src-shared/trash';
import { formatDateTime } from '../../../src-renderer/shared/format.viewmodel';
import {
  deleteDialog,
  deletedNotice,
  dependentsDialog,
  emptiedNotice,
  emptyDialog,
  evaluationNames,
  restoredNotice,
  trashRows,
} from '../../../src-renderer/features/trash/trash.viewmodel';

const RUN: TrashEntry = {
  id: '2026-03-04T05-06-07.089Z',
  kind: 'run',
  name: 'r-a',
  deletedAt: '2026-03-04T05:06:07.089Z',
  paths: ['runs/r-a'],
  missing: [],
  problem: null,
};
const REPORT: TrashEntry = {
  id: '2026-03-05T00-00-00.000Z',
  kind: 'report',
  name: 'report-1.pdf',
  deletedAt: '2026-03-05T00:00:00.000Z',
  paths: ['reports/report-1.pdf', 'reports/report-1-assets'],
  missing: ['reports/report-1-assets'],
  problem: null,
};
const BROKEN: TrashEntry = {
  id: '2026-01-01T00-00-00.000Z',
  kind: null,
  name: null,
  deletedAt: null,
  paths: [],
  missing: [],
  problem: 'trash-entry.json is missing',
};

describe('trash view models', () => {
  it('the delete question names what moves and that it can be restored', () => {
    expect(deleteDialog('run', 'r-a')).toEqual({
      title: 'Delete run r-a?',
      body: `The run "r-a" moves into the study's trash (.trash in the study folder). Nothing is erased: restore it from the Trash page until you empty the trash.`,
      items: [],
      confirmLabel: 'Move to trash',
    });
    expect(deleteDialog('report', 'report-1.pdf').body).toMatch(/^The report "report-1.pdf" \(with its figures and tables folder\) moves/);
    expect(deleteDialog('spectra', 'r-a__demo').title).toBe('Delete spectra analysis r-a__demo?');
  });

  it("a dataset's dependents are listed, with what happens to them", () => {
    const text = dependentsDialog('demo', {
      status: 'needs-confirmation',
      message: 'm',
      dependents: { runs: ['r-a', 'r-b'], evaluations: ['r-a__demo__test'], spectra: [], robustness: ['demo__1'], explanations: [] },
    });
    expect(text).toEqual({
      title: 'Dataset demo is in use',
      body: '4 items depend on this dataset. Only the dataset moves to the trash; these stay in the study, but cannot be retrained, evaluated or analysed again until the dataset is restored.',
      items: ['run r-a', 'run r-b', 'evaluation r-a__demo__test', 'robustness demo__1'],
      confirmLabel: 'Move the dataset to trash',
    });
    const one = dependentsDialog('demo', {
      status: 'needs-confirmation',
      message: 'm',
      dependents: { runs: ['r-a'], evaluations: [], spectra: [], robustness: [], explanations: [] },
    });
    expect(one.body).toMatch(/^1 item depends on this dataset\./);
  });

  it('rows: what, where from, when; incomplete entries say so; unreadable ones cannot be restored', () => {
    expect(trashRows([RUN, REPORT, BROKEN], 'en-GB')).toEqual([
      {
        id: RUN.id,
        what: 'run r-a',
        from: 'runs/r-a',
        when: formatDateTime(RUN.deletedAt, 'en-GB'),
        canRestore: true,
        note: null,
      },
      {
        id: REPORT.id,
        what: 'report report-1.pdf',
        from: 'reports/report-1.pdf, reports/report-1-assets',
        when: formatDateTime(REPORT.deletedAt, 'en-GB'),
        canRestore: true,
        note: 'Incomplete: reports/report-1-assets is not in this entry.',
      },
      { id: BROKEN.id, what: 'unreadable entry', from: '', when: BROKEN.id, canRestore: false, note: 'trash-entry.json is missing' },
    ]);
    expect(trashRows([{ ...RUN, missing: ['runs/r-a'] }])[0]!.canRestore).toBe(false);
  });

  it('emptying asks first and says it cannot be undone; notices after each action', () => {
    expect(emptyDialog([RUN, REPORT])).toEqual({
      title: 'Empty the trash?',
      body: 'The 2 deleted items in the trash are removed from the disk. This cannot be undone.',
      items: ['run r-a', 'report report-1.pdf'],
      confirmLabel: 'Empty trash',
    });
    expect(emptyDialog([RUN], RUN).title).toBe('Erase run r-a for good?');
    expect(emptyDialog([BROKEN], BROKEN).title).toBe(`Erase entry ${BROKEN.id} for good?`);
    expect(deletedNotice(RUN)).toBe('Moved run r-a to the trash. Restore it from the Trash page.');
    expect(restoredNotice(REPORT)).toBe('Restored report report-1.pdf to reports/report-1.pdf, reports/report-1-assets.');
    expect([emptiedNotice([]), emptiedNotice(['a']), emptiedNotice(['a', 'b'])]).toEqual([
      'The trash was already empty.',
      'Erased 1 trash entry for good.',
      'Erased 2 trash entries for good.',
    ]);
  });

  it("the Results page offers every row's evaluation folder and every unreadable one, once each", () => {
    expect(
      evaluationNames({
        rows: [{ evaluation: 'r-b__t__test' }, { evaluation: 'r-a__t__test' }] as never,
        skipped: [
          { path: '/s/evaluations/r-c__t__all', reason: 'x' },
          { path: 'C:\\s\\evaluations\\r-a__t__test', reason: 'y' },
        ],
      }),
    ).toEqual(['r-a__t__test', 'r-b__t__test', 'r-c__t__all']);
  });
});
