/**
 * Comparing runs and reading results, on hand-made inputs with exact expected outputs: sorting (numbers,
 * text, several keys, missing values last both ways, stable), filtering and its choices, the runs table
 * of the Training page (grid cells and other run folders), the overlaid curves (one series per run,
 * legend names, smoothing, MoCo only where a run has it), the sentence under each paired test (p at α,
 * undefined p, ties, either run better), and the summary cards of Results.
 */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-shared/contract';
import type { PairedComparison, ResultsRow } from '../../../src-shared/evaluation';
import type { GridCell, GridView, RunDetail } from '../../../src-shared/grid';
import type { TrainingSpec } from '../../../src-shared/training';
import {
  ALPHA,
  READING_RULE,
  comparisonReading,
  resultSortValue,
  resultTableRows,
  resultsSummary,
} from '../../../src-renderer/features/results/results-compare.viewmodel';
import {
  RUN_PALETTE,
  compareRunRows,
  legendNames,
  overlayCharts,
  runSortValue,
  smooth,
} from '../../../src-renderer/features/training/runs-compare.viewmodel';
import {
  NO_FILTER,
  ariaSort,
  compareSortValues,
  filterOptions,
  filterRows,
  nextSort,
  shownText,
  sortRows,
  type FilterableRow,
} from '../../../src-renderer/shared/table-sort.viewmodel';

describe('sorting', () => {
  const rows = [
    { id: 'a', auc: 0.7, name: 'run 10' },
    { id: 'b', auc: null, name: 'run 2' },
    { id: 'c', auc: 0.9, name: 'Run 1' },
    { id: 'd', auc: Number.NaN, name: null },
    { id: 'e', auc: 0.7, name: 'run 3' },
  ];
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id).join('');

  it('numbers ascending and descending, missing values (null, NaN) last both ways, equal values in their given order', () => {
    expect(ids(sortRows(rows, { key: 'auc', direction: 'asc' }, (r) => r.auc))).toBe('aecbd');
    expect(ids(sortRows(rows, { key: 'auc', direction: 'desc' }, (r) => r.auc))).toBe('caebd');
  });

  it('text case-insensitively with numbers in it read as numbers; no sort keeps the order', () => {
    expect(ids(sortRows(rows, { key: 'name', direction: 'asc' }, (r) => r.name))).toBe('cbead');
    expect(ids(sortRows(rows, { key: 'name', direction: 'desc' }, (r) => r.name))).toBe('aebcd');
    expect(ids(sortRows(rows, null, (r) => r.name))).toBe('abcde');
  });

  it('several keys: the first, then the next; a missing later key sorts that row last among its equals', () => {
    expect(compareSortValues([1, 0.5, 0], [1, 0.1, 9], 'asc')).toBeGreaterThan(0);
    expect(compareSortValues([1, 0.5, 0], [1, 0.5, 9], 'desc')).toBeGreaterThan(0);
    expect(compareSortValues([1, null], [1, 3], 'asc')).toBe(1);
    expect(compareSortValues([1, null], [1, 3], 'desc')).toBe(1);
    expect(compareSortValues(undefined, undefined, 'asc')).toBe(0);
  });

  it('a header click sorts ascending, a second descending, a third ascending again; another column starts ascending', () => {
    const first = nextSort(null, 'auc');
    expect(first).toEqual({ key: 'auc', direction: 'asc' });
    const second = nextSort(first, 'auc');
    expect(second).toEqual({ key: 'auc', direction: 'desc' });
    expect(nextSort(second, 'auc')).toEqual({ key: 'auc', direction: 'asc' });
    expect(nextSort(second, 'seed')).toEqual({ key: 'seed', direction: 'asc' });
    expect(ariaSort(second, 'auc')).toBe('descending');
    expect(ariaSort(first, 'auc')).toBe('ascending');
    expect(ariaSort(first, 'seed')).toBe('none');
    expect(ariaSort(null, 'seed')).toBe('none');
  });
});

describe('filtering', () => {
  const row = (over: Partial<FilterableRow> & { id: string }): FilterableRow & { id: string } => ({
    strategy: 'IWNE-FS',
    fraction: 0.5,
    dataset: 'demo',
    isOutdated: false,
    search: over.id,
    ...over,
  });
  const rows = [
    row({ id: 'iwne-fs-f0.5' }),
    row({ id: 'ifi-cl-f1', strategy: 'IFI-CL', fraction: 1, dataset: 'ext' }),
    row({ id: 'iwne-cl-f0.1', strategy: 'IWNE-CL', fraction: 0.1, isOutdated: true }),
    row({ id: 'ifi-fs-f0.5', strategy: 'IFI-FS', dataset: null }),
  ];
  const ids = (f: Partial<typeof NO_FILTER>) => filterRows(rows, { ...NO_FILTER, ...f }).map((r) => r.id);

  it('keeps what every set field matches; text anywhere, case-insensitively', () => {
    expect(ids({})).toEqual(['iwne-fs-f0.5', 'ifi-cl-f1', 'iwne-cl-f0.1', 'ifi-fs-f0.5']);
    expect(ids({ strategy: 'IFI-CL' })).toEqual(['ifi-cl-f1']);
    expect(ids({ fraction: '0.5' })).toEqual(['iwne-fs-f0.5', 'ifi-fs-f0.5']);
    expect(ids({ dataset: 'demo' })).toEqual(['iwne-fs-f0.5', 'iwne-cl-f0.1']);
    expect(ids({ outdated: 'outdated' })).toEqual(['iwne-cl-f0.1']);
    expect(ids({ outdated: 'current' })).toEqual(['iwne-fs-f0.5', 'ifi-cl-f1', 'ifi-fs-f0.5']);
    expect(ids({ text: '  IWNE ' })).toEqual(['iwne-fs-f0.5', 'iwne-cl-f0.1']);
    expect(ids({ text: 'iwne', fraction: '0.1' })).toEqual(['iwne-cl-f0.1']);
    expect(ids({ strategy: 'IFI-CL', dataset: 'demo' })).toEqual([]);
  });

  it('offers the values the rows hold: strategies in the paper order, fractions ascending, datasets A–Z, outdated when some row is', () => {
    expect(filterOptions(rows)).toEqual({
      strategies: ['IWNE-FS', 'IWNE-CL', 'IFI-FS', 'IFI-CL'].map((s) => ({ value: s, label: s })),
      fractions: [
        { value: '0.1', label: '10 %' },
        { value: '0.5', label: '50 %' },
        { value: '1', label: '100 %' },
      ],
      datasets: [
        { value: 'demo', label: 'demo' },
        { value: 'ext', label: 'ext' },
      ],
      anyOutdated: true,
    });
    expect(filterOptions(rows.filter((r) => !r.isOutdated)).anyOutdated).toBe(false);
  });

  it('says how many are shown', () => {
    expect(shownText(4, 4, ['run', 'runs'])).toBe('4 runs');
    expect(shownText(1, 1, ['run', 'runs'])).toBe('1 run');
    expect(shownText(2, 4, ['run', 'runs'])).toBe('Showing 2 of 4 runs');
  });
});

// ---- Training: the runs table and the overlaid curves ----------------------------------------------

const settings = { epochs: 6, lr: 0.002, batchSize: 16, inputSize: 48 };

function cell(over: Partial<GridCell> = {}): GridCell {
  return {
    runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    status: 'done',
    reason: null,
    spec: { datasetId: 'demo', arch: 'resnet18-w8' },
    epochsDone: 6,
    epochs: 6,
    bestValAuc: 0.81234,
    settings,
    note: null,
    ...over,
  };
}

function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    arch: 'resnet18-w8',
    inputSize: 48,
    datasetId: 'demo',
    finished: true,
    hasModel: true,
    bestValAuc: 0.81234,
    settings,
    standing: { outdated: false, reasons: [], identityComplete: true, note: null },
    ...over,
  };
}

describe('the runs table of the Training page', () => {
  const view: GridView = {
    spec: null,
    cells: [
      cell(),
      cell({
        runId: 'ifi-fs-resnet18-w8-demo-f1-s0',
        strategy: 'IFI-FS',
        fraction: 1,
        status: 'blocked',
        epochsDone: 0,
        bestValAuc: null,
        settings: undefined,
        spec: null,
      }),
    ],
    others: [],
  };
  const old = summary({
    runId: 'iwne-fs-old',
    arch: 'resnet50',
    bestValAuc: 0.7,
    settings: { ...settings, epochs: 1 },
    standing: { outdated: true, reasons: ['epochs 1 → 6'], identityComplete: true, note: null },
  });
  const models = [{ runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0', statusLabel: 'Done', statusColor: 'success' as const }];

  it('lists the grid cells, then the other run folders, with their settings and standing', () => {
    const rows = compareRunRows(view, [summary(), old], models);
    expect(rows.map((r) => [r.runId, r.label, r.dataset, r.arch, r.state, r.isOutdated, r.hasCurves])).toEqual([
      ['iwne-fs-resnet18-w8-demo-f0.5-s0', 'IWNE-FS · 50 % · seed 0', 'demo', 'resnet18-w8', 'Done', false, true],
      ['ifi-fs-resnet18-w8-demo-f1-s0', 'IFI-FS · 100 % · seed 0', null, null, 'blocked', false, false],
      ['iwne-fs-old', 'IWNE-FS · 50 % · seed 0', 'demo', 'resnet50', 'Finished', true, true],
    ]);
    expect(rows[0]!.text).toEqual({ fraction: '50 %', epochs: '6', lr: '0.002', batch: '16', input: '48 px', bestValAuc: '0.812' });
    expect(rows[1]!.text).toEqual({ fraction: '100 %', epochs: '—', lr: '—', batch: '—', input: '—', bestValAuc: '—' });
    expect(rows[2]!.outdatedReasons).toBe('Trained with other settings than the grid has now: epochs 1 → 6');
    expect(rows[2]!.text.epochs).toBe('1');
  });

  it('before runs.list answers, lists the grid own other runs without arch or dataset', () => {
    const rows = compareRunRows(
      {
        ...view,
        others: [
          {
            runId: 'x',
            strategy: 'IWNE-CL',
            fraction: 0.1,
            seed: 1,
            finished: false,
            bestValAuc: null,
            settings,
            standing: { outdated: true, reasons: ['lr'], identityComplete: true, note: null },
          },
        ],
      },
      null,
      [],
    );
    expect(rows.map((r) => [r.runId, r.state, r.arch, r.dataset, r.isOutdated])).toEqual([
      ['iwne-fs-resnet18-w8-demo-f0.5-s0', 'done', 'resnet18-w8', 'demo', false],
      ['ifi-fs-resnet18-w8-demo-f1-s0', 'blocked', null, null, false],
      ['x', 'Unfinished', null, null, true],
    ]);
  });

  it('sorts by best validation AUC (missing last either way), epochs, and run (strategy, fraction, seed)', () => {
    const rows = compareRunRows(view, [summary(), old], models);
    const by = (key: Parameters<typeof runSortValue>[1], direction: 'asc' | 'desc') =>
      sortRows(rows, { key, direction }, runSortValue).map((r) => r.runId);
    expect(by('valAuc', 'asc')).toEqual(['iwne-fs-old', 'iwne-fs-resnet18-w8-demo-f0.5-s0', 'ifi-fs-resnet18-w8-demo-f1-s0']);
    expect(by('valAuc', 'desc')).toEqual(['iwne-fs-resnet18-w8-demo-f0.5-s0', 'iwne-fs-old', 'ifi-fs-resnet18-w8-demo-f1-s0']);
    expect(by('epochs', 'asc')).toEqual(['iwne-fs-old', 'iwne-fs-resnet18-w8-demo-f0.5-s0', 'ifi-fs-resnet18-w8-demo-f1-s0']);
    expect(by('run', 'desc')).toEqual(['ifi-fs-resnet18-w8-demo-f1-s0', 'iwne-fs-resnet18-w8-demo-f0.5-s0', 'iwne-fs-old']);
    // resnet18-w8 before resnet50 (numbers in names read as numbers); the cell without a spec last
    expect(by('arch', 'asc')).toEqual(['iwne-fs-resnet18-w8-demo-f0.5-s0', 'iwne-fs-old', 'ifi-fs-resnet18-w8-demo-f1-s0']);
  });
});

function detail(
  runId: string,
  strategy: TrainingSpec['strategy'],
  losses: number[],
  aucs: (number | null)[],
  moco: number[] = [],
): RunDetail {
  return {
    runId,
    trainer: null,
    stopRequest: null,
    spec: { strategy } as TrainingSpec,
    result: null,
    log: losses.map((l, i) => ({
      epoch: i + 1,
      trainLoss: l,
      valLoss: l,
      valAuc: aucs[i] ?? null,
      lr: 0.001,
      seconds: 1,
      imagesPerSecond: 10,
    })) as RunDetail['log'],
    pretrainLog: moco.map((loss, i) => ({
      epoch: i + 1,
      loss,
      accuracy: 0.5,
      lr: 0.1,
      seconds: 1,
      imagesPerSecond: 1,
      stallMs: 0,
    })) as RunDetail['pretrainLog'],
    pretrainCheck: null,
    preprocessing: null,
  };
}

describe('the overlaid curves', () => {
  const runs = [
    {
      runId: 'a-f0.5',
      label: 'IWNE-FS · 50 % · seed 0',
      outdated: false,
      detail: detail('a-f0.5', 'IWNE-FS', [0.8, 0.6, 0.5], [0.6, 0.7, 0.75]),
    },
    { runId: 'b', label: 'IWNE-CL · 50 % · seed 0', outdated: true, detail: detail('b', 'IWNE-CL', [0.9, 0.7], [null, 0.65], [7, 6]) },
  ];

  it('one chart per metric, one series per run keyed r0, r1 … in its own colour, rows by epoch', () => {
    const charts = overlayCharts(runs, 'light');
    expect(charts.map((c) => [c.metric, c.title, c.yLabel])).toEqual([
      ['loss', 'Training loss', 'cross-entropy'],
      ['auc', 'Validation AUC', 'AUC'],
      ['moco', 'MoCo pretraining loss', 'InfoNCE'],
    ]);
    const [loss, auc, moco] = charts;
    expect(loss!.series).toEqual([
      { key: 'r0', runId: 'a-f0.5', name: 'IWNE-FS · 50 % · seed 0', colour: RUN_PALETTE.light[0] },
      { key: 'r1', runId: 'b', name: 'IWNE-CL · 50 % · seed 0 · outdated', colour: RUN_PALETTE.light[1] },
    ]);
    expect(loss!.data).toEqual([
      { epoch: 1, r0: 0.8, r1: 0.9 },
      { epoch: 2, r0: 0.6, r1: 0.7 },
      { epoch: 3, r0: 0.5 },
    ]);
    expect(auc!.data[0]).toEqual({ epoch: 1, r0: 0.6, r1: null });
    expect(auc!.axis.domain[1]).toBe(1);
    expect(moco!.series.map((s) => s.key)).toEqual(['r1']);
    expect(moco!.data).toEqual([
      { epoch: 1, r1: 7 },
      { epoch: 2, r1: 6 },
    ]);
    expect(loss!.description).toBe(
      'Training loss of 2 runs. IWNE-FS · 50 % · seed 0: 0.8 to 0.5 over 3 epochs. IWNE-CL · 50 % · seed 0 · outdated: 0.9 to 0.7 over 2 epochs.',
    );
    expect(overlayCharts(runs, 'dark')[0]!.series[0]!.colour).toBe(RUN_PALETTE.dark[0]);
    expect(overlayCharts(runs.slice(0, 1), 'light').map((c) => c.metric)).toEqual(['loss', 'auc']);
  });

  it('past the palette the colours repeat with a dash; two runs that read alike are told apart by folder', () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ ...runs[0]!, runId: `r${i}`, label: `run ${i}` }));
    const series = overlayCharts(many, 'light')[0]!.series;
    expect(series[8]).toMatchObject({ colour: RUN_PALETTE.light[0], dash: '6 3' });
    expect(series[7]!.dash).toBeUndefined();
    expect(
      legendNames([
        { runId: 'x', label: 'IWNE-FS · 50 % · seed 0', outdated: false },
        { runId: 'x-v2', label: 'IWNE-FS · 50 % · seed 0', outdated: false },
        { runId: 'y', label: 'IWNE-FS · 50 % · seed 0', outdated: true },
      ]),
    ).toEqual(['IWNE-FS · 50 % · seed 0 (x)', 'IWNE-FS · 50 % · seed 0 (x-v2)', 'IWNE-FS · 50 % · seed 0 · outdated']);
  });

  it("smooths with TensorBoard's debiased moving average; weight 0 leaves the values, gaps stay gaps", () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smooth([1, null, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeNull();
    // (0.5·1 + 3) / 2 = 1.75 accumulated, debiased by 1 − 0.5² = 0.75 → 2.333…
    expect(s[2]).toBeCloseTo(7 / 3, 12);
    expect(overlayCharts(runs.slice(0, 1), 'light', 0.5)[0]!.data.map((d) => d.r0)).toEqual(smooth([0.8, 0.6, 0.5], 0.5));
  });
});

// ---- Results: the reading of a paired test, the summary cards, the table's sort ---------------------

function comparison(test: Partial<NonNullable<PairedComparison['test']>> | null, over: Partial<PairedComparison> = {}): PairedComparison {
  return {
    datasetId: 'eyepacs',
    split: 'test',
    referable: [3, 4],
    arch: 'resnet50',
    fraction: 1,
    seed: 0,
    kind: 'CL vs FS',
    within: 'IFI',
    a: { runId: 'ifi-cl', strategy: 'IFI-CL', evaluation: 'ifi-cl__eyepacs__test' },
    b: { runId: 'ifi-fs', strategy: 'IFI-FS', evaluation: 'ifi-fs__eyepacs__test' },
    overlapsTraining: false,
    test:
      test === null
        ? null
        : {
            n: 100,
            positives: 30,
            aucA: 0.9,
            aucB: 0.888,
            difference: 0.012,
            se: 0.017,
            z: 0.7,
            p: 0.49,
            lower: -0.021,
            upper: 0.045,
            level: 0.95,
            ...test,
          },
    error: null,
    ...over,
  };
}

describe('the reading of a paired test', () => {
  it('states the rule once: two-sided DeLong, α = 0.05', () => {
    expect(ALPHA).toBe(0.05);
    expect(READING_RULE).toMatch(/two-sided DeLong test; a difference is called significant when p < 0\.05 \(α = 0\.05\)/);
  });

  it('no significant difference', () => {
    expect(comparisonReading(comparison({}))).toBe(
      'No significant difference between IFI-CL and IFI-FS at 100 % labels, seed 0, on eyepacs · test split (ΔAUC 0.012, p = 0.49).',
    );
  });

  it('A better: A named first, ΔAUC and its CI as A − B', () => {
    expect(comparisonReading(comparison({ difference: 0.041, lower: 0.012, upper: 0.07, p: 0.003 }, { fraction: 0.1 }))).toBe(
      'IFI-CL is better than IFI-FS at 10 % labels, seed 0, on eyepacs · test split (ΔAUC 0.041, 95 % CI 0.012 to 0.070, p = 0.0030).',
    );
  });

  it('B better: B named first, ΔAUC and its CI turned round to B − A', () => {
    expect(comparisonReading(comparison({ difference: -0.041, lower: -0.07, upper: -0.012, p: 0.0004 }))).toBe(
      'IFI-FS is better than IFI-CL at 100 % labels, seed 0, on eyepacs · test split (ΔAUC 0.041, 95 % CI 0.012 to 0.070, p < 0.001).',
    );
  });

  it('p exactly at α is not significant; just below is', () => {
    expect(comparisonReading(comparison({ difference: 0.03, p: 0.05 }))).toBe(
      'No significant difference between IFI-CL and IFI-FS at 100 % labels, seed 0, on eyepacs · test split (ΔAUC 0.030, p = 0.050).',
    );
    expect(comparisonReading(comparison({ difference: 0.03, p: 0.0499 }))).toMatch(/^IFI-CL is better than IFI-FS/);
    expect(comparisonReading(comparison({ difference: 0.03, p: 0.0499 }), 0.01)).toMatch(/^No significant difference/);
  });

  it('a negative difference that is not significant keeps its sign', () => {
    expect(comparisonReading(comparison({ difference: -0.012 }))).toMatch(/\(ΔAUC −0\.012, p = 0\.49\)\.$/);
  });

  it('ties: identical AUCs are never called a difference, whatever p says', () => {
    expect(comparisonReading(comparison({ difference: 0, aucB: 0.9, p: 1 }))).toBe(
      'No significant difference between IFI-CL and IFI-FS at 100 % labels, seed 0, on eyepacs · test split (ΔAUC 0.000, p = 1.00).',
    );
    expect(comparisonReading(comparison({ difference: 0, p: 0 }))).toMatch(/^No significant difference .*\(ΔAUC 0\.000, p < 0\.001\)\.$/);
  });

  it('an undefined p (NaN, missing) or a failed test gives no reading', () => {
    expect(comparisonReading(comparison({ p: Number.NaN }))).toBe(
      'No reading of IFI-CL against IFI-FS at 100 % labels, seed 0, on eyepacs · test split: the p-value is undefined (ΔAUC 0.012).',
    );
    expect(comparisonReading(comparison({ p: undefined as unknown as number }))).toMatch(/the p-value is undefined \(ΔAUC 0\.012\)\.$/);
    expect(comparisonReading(comparison({ p: Number.NaN, difference: Number.NaN }))).toMatch(/the p-value is undefined \(ΔAUC —\)\.$/);
    expect(comparisonReading(comparison(null, { error: 'the two predictions.csv hold different images' }))).toBe(
      'No reading of IFI-CL against IFI-FS at 100 % labels, seed 0, on eyepacs · test split: the test could not be computed (the two predictions.csv hold different images).',
    );
  });
});

function row(over: Partial<ResultsRow> = {}): ResultsRow {
  return {
    evaluation: 'iwne-fs__demo__test',
    datasetId: 'demo',
    split: 'test',
    referable: [3, 4],
    runId: 'iwne-fs',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    arch: 'resnet18-w8',
    n: 120,
    positives: 40,
    auc: 0.81234,
    delong: { lower: 0.7601, upper: 0.86449 },
    bootstrap: { lower: 0.755, upper: 0.8665, samples: 2000 },
    operatingPoint: { targetSensitivity: 0.9, threshold: 0.31, sensitivity: 0.9, specificity: 0.52 },
    overlapsTraining: false,
    createdAt: '2025-03-01T10:00:00.000Z',
    ...over,
  };
}

describe('the summary cards of Results', () => {
  const rows = [
    row(),
    row({ evaluation: 'ifi-cl__demo__test', runId: 'ifi-cl', strategy: 'IFI-CL', auc: 0.9, delong: { lower: 0.85, upper: 0.95 } }),
    row({ evaluation: 'ifi-fs__demo__test', runId: 'ifi-fs', strategy: 'IFI-FS', auc: 0.9, fraction: 1 }),
    row({ evaluation: 'iwne-fs__ext__all', datasetId: 'ext', split: 'all', auc: 0.7, n: 1, positives: 1 }),
  ];

  it('the best AUC per test set (first listed wins a tie, which is named), its CI, run and images; counts shown and left out', () => {
    const s = resultsSummary({ rows, excludedOutdated: [{ evaluation: 'old__demo__test', runId: 'old', reasons: ['epochs 1 → 6'] }] });
    expect(s.cards).toEqual([
      {
        key: 'demo|test|3,4',
        testSet: 'demo · test split',
        referable: 'referable grades 3, 4',
        auc: '0.900',
        ci: '95 % CI 0.850–0.950 (DeLong)',
        run: 'IFI-CL · 50 % · seed 0 (resnet18-w8)',
        runId: 'ifi-cl',
        images: '120 images (40 referable)',
        tie: 'tied with 1 other run',
        outdated: false,
      },
      {
        key: 'ext|all|3,4',
        testSet: 'ext · all images',
        referable: 'referable grades 3, 4',
        auc: '0.700',
        ci: '95 % CI 0.760–0.864 (DeLong)',
        run: 'IWNE-FS · 50 % · seed 0 (resnet18-w8)',
        runId: 'iwne-fs',
        images: '1 image (1 referable)',
        tie: null,
        outdated: false,
      },
    ]);
    expect(s).toMatchObject({ shown: 4, leftOut: 1, counts: '4 evaluations shown · 1 left out (outdated run)' });
  });

  it('outdated runs included: says how many shown ones are outdated; nothing left out: says so; no evaluations: no cards', () => {
    const outdated = { outdated: true, reasons: ['lr'], identityComplete: true, note: null };
    const s = resultsSummary({ rows: [row({ standing: outdated })], excludedOutdated: [] });
    expect(s.counts).toBe('1 evaluation shown · 1 from an outdated run');
    expect(resultsSummary({ rows: [row({ standing: outdated }), row({ standing: outdated })] }).counts).toBe(
      '2 evaluations shown · 2 from outdated runs',
    );
    expect(
      resultsSummary({
        rows: [],
        excludedOutdated: [
          { evaluation: 'a', runId: 'a', reasons: [] },
          { evaluation: 'b', runId: 'b', reasons: [] },
        ],
      }).counts,
    ).toBe('0 evaluations shown · 2 left out (outdated runs)');
    expect(s.cards[0]!.outdated).toBe(true);
    expect(resultsSummary({ rows: [row()] }).counts).toBe('1 evaluation shown · none left out');
    expect(resultsSummary({ rows: [] })).toEqual({ cards: [], counts: '0 evaluations shown · none left out', shown: 0, leftOut: 0 });
  });
});

describe('the results table: filters and sort', () => {
  it('filters by strategy and test set, sorts by AUC and by epochs (runs without settings last)', () => {
    const table = resultTableRows([
      row({ evaluation: 'e1', auc: 0.7, settings: { epochs: 6, lr: 1e-3, batchSize: 16, inputSize: 48 } }),
      row({ evaluation: 'e2', strategy: 'IFI-CL', auc: 0.9 }),
      row({ evaluation: 'e3', datasetId: 'ext', auc: 0.8, settings: { epochs: 2, lr: 1e-3, batchSize: 16, inputSize: 48 } }),
    ]);
    expect(table.map((r) => [r.evaluation, r.dataset, r.arch, r.isOutdated])).toEqual([
      ['e1', 'demo', 'resnet18-w8', false],
      ['e2', 'demo', 'resnet18-w8', false],
      ['e3', 'ext', 'resnet18-w8', false],
    ]);
    expect(filterRows(table, { ...NO_FILTER, strategy: 'IWNE-FS' }).map((r) => r.evaluation)).toEqual(['e1', 'e3']);
    expect(filterRows(table, { ...NO_FILTER, dataset: 'ext' }).map((r) => r.evaluation)).toEqual(['e3']);
    const sorted = (key: Parameters<typeof resultSortValue>[1], direction: 'asc' | 'desc') =>
      sortRows(table, { key, direction }, resultSortValue).map((r) => r.evaluation);
    expect(sorted('auc', 'desc')).toEqual(['e2', 'e3', 'e1']);
    expect(sorted('epochs', 'asc')).toEqual(['e3', 'e1', 'e2']);
    expect(sorted('epochs', 'desc')).toEqual(['e1', 'e3', 'e2']);
    expect(sorted('strategy', 'asc')).toEqual(['e1', 'e3', 'e2']);
  });
});
