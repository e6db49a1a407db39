import { describe, expect, it } from 'vitest';
import type { ReadableDatasetSummary } from '../../../src-shared/contract';
import type { JobState } from '../../../src-shared/jobs';
import { ImportRequest } from '../../../src-shared/datasets';
import {
  buildImportRequest,
  checkCsvPath,
  checkImportForm,
  checkWizardStep,
  cacheFact,
  datasetCard,
  detailFacts,
  DATASET_TYPES,
  fieldOfIssuePath,
  gradeHistogram,
  guessColumns,
  importedDatasetId,
  IMAGE_USES,
  INITIAL_WIZARD,
  issuesTable,
  issueText,
  itemCaption,
  itemCaptionLines,
  lesionToggles,
  masksFor,
  pageCount,
  pageOffset,
  pageRangeText,
  reviewRows,
  sortSummaries,
  splitGradeTable,
  wizardSteps,
} from '../../../src-renderer/features/datasets/datasets.viewmodel';

const summary: ReadableDatasetSummary = {
  readable: true,
  id: 'eyepacs-demo',
  type: 'eyepacs',
  name: 'eyepacs-demo',
  source: '/data/eyepacs',
  synthetic: true,
  created: '2026-01-02T10:00:00.000Z',
  updated: '2026-01-02T10:00:00.000Z',
  preprocessed: true,
  settings: { inputSize: 224, overlaySize: 512, cropThreshold: 15, cropMargin: 0.02, format: 'png' },
  items: 10,
  patients: 5,
  grades: { '0': 6, '1': 1, '2': 2, '3': 0, '4': 1, ungraded: 0 },
  splits: { train: 8, test: 2 },
  perSplitGrade: { train: { '0': 5, '2': 2, '4': 1 }, test: { '0': 1, '1': 1 } },
  masks: {},
  issues: { error: 2, warning: 1 },
  candidates: 13,
  excluded: 3,
  notes: [],
  cacheSize: { bytes: 1_234_567, files: 30, bytesPerImage: 123_457 },
  reportProblem: null,
};

describe('import wizard', () => {
  it('has a step list per type, with a column step only for folder', () => {
    expect(wizardSteps('eyepacs')).toEqual(['type', 'folder', 'options', 'review']);
    expect(wizardSteps('folder')).toEqual(['type', 'folder', 'columns', 'options', 'review']);
    expect(DATASET_TYPES.map((t) => t.type)).toEqual(['eyepacs', 'messidor2', 'idrid-grading', 'idrid-seg', 'folder']);
    expect(DATASET_TYPES.every((t) => t.layout.length > 20)).toBe(true);
  });

  it('builds a request the importer schema accepts', () => {
    const req = buildImportRequest({ ...INITIAL_WIZARD, type: 'idrid-seg', path: ' /data/idrid ', inputSize: '128', validateOnly: true });
    expect(req).toEqual({ type: 'idrid-seg', path: '/data/idrid', settings: { inputSize: 128, overlaySize: 512 }, preprocess: false });
    expect(ImportRequest.safeParse(req).success).toBe(true);
    const folder = buildImportRequest({
      ...INITIAL_WIZARD,
      type: 'folder',
      path: '/d',
      csv: '/d/l.csv',
      imageColumn: 'file',
      gradeColumn: 'dr',
    });
    expect(folder).toMatchObject({ type: 'folder', csv: '/d/l.csv', imageColumn: 'file', gradeColumn: 'dr' });
    expect('patientColumn' in folder).toBe(false);
    expect(ImportRequest.safeParse(folder).success).toBe(true);
  });

  it('sends a declared split only when the images are not used as the layout says, and shows it in the review', () => {
    const base = { ...INITIAL_WIZARD, path: '/d' };
    expect('split' in buildImportRequest(base)).toBe(false);
    expect(ImportRequest.parse(buildImportRequest(base)).split).toBeNull();
    for (const use of ['test', 'train'] as const) {
      const req = buildImportRequest({ ...base, use });
      expect(req).toMatchObject({ type: 'eyepacs', split: use });
      expect(ImportRequest.parse(req).split).toBe(use);
    }
    expect(buildImportRequest({ ...base, type: 'folder', csv: '/d/l.csv', imageColumn: 'f', gradeColumn: 'g', use: 'test' })).toMatchObject(
      {
        type: 'folder',
        split: 'test',
      },
    );
    expect(reviewRows(base).find((r) => r.label === 'Images')?.value).toBe("As the dataset's layout says");
    expect(reviewRows({ ...base, use: 'test' }).find((r) => r.label === 'Images')?.value).toBe('All images are a held-out test set');
    expect(IMAGE_USES.map((u) => u.use)).toEqual(['layout', 'test', 'train']);
  });

  it('checks each step with the importer schema and names the field', () => {
    expect(checkWizardStep({ ...INITIAL_WIZARD, path: 'relative' }, 'folder')).toEqual({ path: 'Must be an absolute path' });
    expect(checkWizardStep({ ...INITIAL_WIZARD, path: 'relative' }, 'type')).toEqual({});
    expect(checkWizardStep({ ...INITIAL_WIZARD, path: '/d', inputSize: 'abc' }, 'options')).toEqual({ inputSize: 'Enter a whole number' });
    expect(checkWizardStep({ ...INITIAL_WIZARD, path: '/d', overlaySize: '5' }, 'options').overlaySize).toMatch(/>=32/);
    const folder = { ...INITIAL_WIZARD, type: 'folder' as const, path: '/d', csv: 'l.csv' };
    expect(checkWizardStep(folder, 'folder').csv).toBe('Must be an absolute path');
    expect(Object.keys(checkWizardStep({ ...folder, csv: '/d/l.csv' }, 'columns')).sort()).toEqual(['gradeColumn', 'imageColumn']);
    expect(checkImportForm({ ...folder, csv: '/d/l.csv', imageColumn: 'a', gradeColumn: 'a' }).gradeColumn).toMatch(/different column/);
    expect(checkImportForm({ ...INITIAL_WIZARD, path: '/d' })).toEqual({});
    expect(checkCsvPath('/d/l.csv')).toBeNull();
    expect(checkCsvPath('')).toBe('Enter a folder path');
  });

  it('maps issue paths to form fields', () => {
    expect(fieldOfIssuePath('settings.inputSize')).toBe('inputSize');
    expect(fieldOfIssuePath('path')).toBe('path');
    expect(fieldOfIssuePath('csv.x')).toBe('csv');
  });

  it('guesses the CSV columns by name', () => {
    expect(guessColumns(['image', 'level'])).toEqual({ imageColumn: 'image', gradeColumn: 'level', patientColumn: '' });
    expect(guessColumns(['Image name', 'Retinopathy grade', 'Risk of macular edema'])).toMatchObject({
      imageColumn: 'Image name',
      gradeColumn: 'Retinopathy grade',
    });
    expect(guessColumns(['filename', 'patient_id', 'dr_grade'])).toEqual({
      imageColumn: 'filename',
      gradeColumn: 'dr_grade',
      patientColumn: 'patient_id',
    });
    expect(guessColumns(['a', 'b'])).toEqual({ imageColumn: '', gradeColumn: '', patientColumn: '' });
  });

  it('lists the answers for review', () => {
    const rows = reviewRows({ ...INITIAL_WIZARD, type: 'folder', path: '/d', csv: '/d/l.csv', imageColumn: 'f', gradeColumn: 'g' });
    expect(rows.find((r) => r.label === 'Patient column')?.value).toMatch(/none/);
    expect(rows.find((r) => r.label === 'Input size')?.value).toBe('224 px');
  });

  it('reads the dataset id of a finished import job only', () => {
    const base = { kind: 'dataset.import', status: 'succeeded', result: { datasetId: 'x' } } as unknown as JobState;
    expect(importedDatasetId(base)).toBeNull(); // not a full ImportResult
    expect(importedDatasetId(null)).toBeNull();
    expect(importedDatasetId({ ...base, status: 'running' })).toBeNull();
  });
});

describe('histogram and tables', () => {
  it('gives a bar per grade and drops an empty ungraded bar', () => {
    const h = gradeHistogram(summary.grades);
    expect(h.bars.map((b) => [b.tick, b.count, b.referable])).toEqual([
      ['0', 6, false],
      ['1', 1, false],
      ['2', 2, false],
      ['3', 0, true],
      ['4', 1, true],
    ]);
    expect(h.total).toBe(10);
    expect(h.bars[0]!.percent).toBe(60);
    expect(h.description).toMatch(/0 · No DR 6/);
    const withUngraded = gradeHistogram({ ungraded: 2 });
    expect(withUngraded.bars.at(-1)).toMatchObject({ key: 'ungraded', count: 2, percent: 100 });
    expect(gradeHistogram({}).description).toBe('No images.');
    expect(withUngraded.noGrades).toBe(true);
    expect(withUngraded.description).toMatch(/No DR grades/);
    expect(gradeHistogram(summary.grades).noGrades).toBe(false);
  });

  it('tabulates grade × split with totals', () => {
    const t = splitGradeTable(summary.perSplitGrade);
    expect(t.columns.map((c) => c.key)).toEqual(['0', '1', '2', '3', '4']);
    expect(t.rows.map((r) => [r.label, r.cells, r.total])).toEqual([
      ['Train', [5, 0, 2, 0, 1], 8],
      ['Test', [1, 1, 0, 0, 0], 2],
    ]);
    expect([t.totals, t.total]).toEqual([[6, 1, 2, 0, 1], 10]);
    expect(splitGradeTable({ none: { ungraded: 3 } }).columns.at(-1)).toMatchObject({ key: 'ungraded', label: 'n/a', short: 'Ungraded' });
    expect(t.columns[4]).toEqual({ key: '4', label: '4', short: 'PDR', title: 'Grade 4: Proliferative' });
  });

  it('builds a card', () => {
    const c = datasetCard(summary, 'en-GB');
    expect(c.synthetic).toBe(true);
    expect(c.facts.find((f) => f.label === 'Splits')?.value).toBe('8 train · 2 test');
    expect(c.issueText).toBe('2 errors, 1 warning');
    expect(c.warning).toBeNull();
    expect(datasetCard({ ...summary, preprocessed: false }).warning).toMatch(/no thumbnails/);
    expect(issueText({ error: 0, warning: 0 })).toBe('No issues');
  });

  it('shows the preprocessing cache size on the card and in the details', () => {
    // Oracle, worked by hand: 1,234,567 B = 1.23 MB (decimal, 3 digits); 123,457 B per image = 123 kB.
    expect(datasetCard(summary).facts.find((f) => f.label === 'Cache')?.value).toBe('1.23 MB · 123 kB per image');
    expect(detailFacts(summary).find((f) => f.label === 'Cache on disk')?.value).toBe('1.23 MB (123 kB per image, 30 files)');
    expect(cacheFact({ ...summary, cacheSize: null })).toBe('not measured (import again to measure)');
    expect(cacheFact({ ...summary, preprocessed: false, cacheSize: null })).toBe('none (validated only)');
    expect(cacheFact({ ...summary, cacheSize: { bytes: 999, files: 3, bytesPerImage: 100 } })).toBe('999 B · 100 B per image');
  });

  it('puts unreadable datasets last', () => {
    const sorted = sortSummaries([
      { readable: false, id: 'a', reason: 'x' },
      { ...summary, id: 'z' },
    ]);
    expect(sorted.map((s) => s.id)).toEqual(['z', 'a']);
  });

  it('filters issues by kind, errors first', () => {
    const issues = [
      { kind: 'unlabelled' as const, severity: 'warning' as const, file: 'a', reason: 'r' },
      { kind: 'truncated' as const, severity: 'error' as const, file: 'b', reason: 'r' },
      { kind: 'unlabelled' as const, severity: 'warning' as const, file: 'c', reason: 'r' },
    ];
    const all = issuesTable(issues, '');
    expect(all.rows.map((r) => r.file)).toEqual(['b', 'a', 'c']);
    expect(all.kinds).toEqual([
      { kind: 'truncated', count: 1 },
      { kind: 'unlabelled', count: 2 },
    ]);
    const some = issuesTable(issues, 'unlabelled');
    expect([some.shown, some.total]).toEqual([2, 3]);
  });
});

describe('thumbnails', () => {
  it('pages 24 at a time', () => {
    expect([pageCount(0), pageCount(24), pageCount(25)]).toEqual([1, 1, 2]);
    expect(pageOffset(3)).toBe(48);
    expect(pageRangeText(24, 24, 50)).toBe('25–48 of 50');
    expect(pageRangeText(0, 0, 0)).toBe('No images');
  });

  it('offers toggles only for lesions present, and draws only those an item has', () => {
    expect(lesionToggles({ OD: 2, MA: 1, HE: 0 }).map((t) => t.lesion)).toEqual(['MA', 'OD']);
    expect(masksFor(['OD', 'EX'], ['MA', 'EX', 'OD'])).toEqual(['EX', 'OD']);
    expect(itemCaption({ id: 'IDRiD_01', grade: null, split: 'train' })).toBe('IDRiD_01 · ungraded · train');
    expect(itemCaptionLines({ id: '10_left', grade: 2, split: null })).toEqual(['10_left', 'grade 2']);
  });
});
