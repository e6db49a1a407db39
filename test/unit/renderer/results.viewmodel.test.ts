/**
 * The Results page's view models on hand-made inputs with exact expected outputs: number formats
 * (AUC, CIs, signed differences, p-values), the Fig 2 chart data (mean AUC and [lower, upper] band
 * per strategy and fraction, axis range), the results and comparison tables, ROC series with the
 * operating point at (1 − specificity, sensitivity), and the Evaluate form's choices.
 */
import { describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract';
import type { EvaluationResult, Fig2Panel, PairedComparison, ResultsRow } from '../../../src-shared/evaluation';
import type { GridCell, GridView } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import { aucAxis } from '../../../src-renderer/shared/axis.viewmodel';
import {
  comparisonRows,
  evalDatasetChoices,
  evaluationChoices,
  fig2Charts,
  finishedEvaluationsSignature,
  finishedRuns,
  formatAuc,
  formatCi,
  formatP,
  formatPercent,
  formatSigned,
  formatSignedCi,
  latestEvaluationJob,
  resultRows,
  rocSeries,
} from '../../../src-renderer/features/results/results.viewmodel';

const STUDY = '/studies/pilot';

function row(over: Partial<ResultsRow> = {}): ResultsRow {
  return {
    evaluation: 'iwne-fs-r__demo__test',
    datasetId: 'demo',
    split: 'test',
    referable: [3, 4],
    runId: 'iwne-fs-r',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    arch: 'resnet18-w8',
    n: 120,
    positives: 40,
    auc: 0.81234,
    delong: { lower: 0.7601, upper: 0.86449 },
    bootstrap: { lower: 0.755, upper: 0.8665, samples: 2000 },
    operatingPoint: { targetSensitivity: 0.9, threshold: 0.31234, sensitivity: 0.9, specificity: 0.52333 },
    overlapsTraining: false,
    createdAt: '2025-03-01T10:00:00.000Z',
    ...over,
  };
}

describe('formatting', () => {
  it('AUCs and CIs to 3 decimals', () => {
    expect(formatAuc(0.81234)).toBe('0.812');
    expect(formatAuc(1)).toBe('1.000');
    expect(formatAuc(null)).toBe('—');
    expect(formatAuc(Number.NaN)).toBe('—');
    expect(formatCi({ lower: 0.7601, upper: 0.86449 })).toBe('0.760–0.864');
  });
  it('signed differences with a real minus sign; no sign on a rounded zero', () => {
    expect(formatSigned(0.0314)).toBe('+0.031');
    expect(formatSigned(-0.0125)).toBe('\u22120.013');
    expect(formatSigned(-0.0004)).toBe('0.000');
    expect(formatSigned(0)).toBe('0.000');
    expect(formatSignedCi(-0.01, 0.072)).toBe('\u22120.010 to +0.072');
  });
  it('p-values: < 0.001, two significant digits below 0.1, two decimals above', () => {
    expect(formatP(0.0004)).toBe('< 0.001');
    expect(formatP(0.001)).toBe('0.0010');
    expect(formatP(0.0012)).toBe('0.0012');
    expect(formatP(0.0344)).toBe('0.034');
    expect(formatP(0.04951)).toBe('0.050');
    expect(formatP(0.1)).toBe('0.10');
    expect(formatP(0.1449)).toBe('0.14');
    expect(formatP(1)).toBe('1.00');
    expect(formatP(Number.NaN)).toBe('—');
    expect(formatPercent(0.52333)).toBe('52.3 %');
    expect(formatPercent(0.9, 0)).toBe('90 %');
  });
});

describe('Fig 2 charts', () => {
  const panel: Fig2Panel = {
    datasetId: 'demo',
    split: 'test',
    referable: [3, 4],
    arch: 'resnet18-w8',
    series: [
      // deliberately not in the paper's order: the chart sorts IWNE before IFI
      {
        strategy: 'IFI-FS',
        points: [
          { fraction: 1, seeds: [0], runs: ['b'], meanAuc: 0.9, lower: 0.86, upper: 0.94, band: 'delong-ci', minAuc: 0.9, maxAuc: 0.9 },
        ],
      },
      {
        strategy: 'IWNE-FS',
        points: [
          { fraction: 0.5, seeds: [0], runs: ['a1'], meanAuc: 0.7, lower: 0.63, upper: 0.77, band: 'delong-ci', minAuc: 0.7, maxAuc: 0.7 },
          {
            fraction: 1,
            seeds: [0, 1],
            runs: ['a2', 'a3'],
            meanAuc: 0.8,
            lower: 0.74,
            upper: 0.86,
            band: 'mean-delong-ci',
            minAuc: 0.78,
            maxAuc: 0.82,
          },
        ],
      },
    ],
  };

  it("one row per fraction with each strategy's mean AUC and [lower, upper] band; y axis on multiples of 0.05", () => {
    const [chart] = fig2Charts([panel]);
    expect(chart).toEqual({
      key: 'demo|test|3,4|resnet18-w8',
      title: 'demo · test split',
      subtitle: 'referable grades 3, 4 · resnet18-w8',
      data: [
        { fraction: 0.5, 'IWNE-FS': 0.7, 'IWNE-FS band': [0.63, 0.77], 'IWNE-FS error': [0.07, 0.07] },
        {
          fraction: 1,
          'IWNE-FS': 0.8,
          'IWNE-FS band': [0.74, 0.86],
          'IWNE-FS error': [0.06, 0.06],
          'IFI-FS': 0.9,
          'IFI-FS band': [0.86, 0.94],
          'IFI-FS error': [0.04, 0.04],
        },
      ],
      series: [
        {
          strategy: 'IWNE-FS',
          valueKey: 'IWNE-FS',
          bandKey: 'IWNE-FS band',
          errorKey: 'IWNE-FS error',
          band: 'mean-delong-ci',
          drawBand: true,
        },
        { strategy: 'IFI-FS', valueKey: 'IFI-FS', bandKey: 'IFI-FS band', errorKey: 'IFI-FS error', band: 'delong-ci', drawBand: false },
      ],
      xTicks: [0.5, 1],
      yDomain: [0.6, 0.95],
      yTicks: [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
      yDecimals: 2,
      description:
        'AUC against label fraction on demo · test split (referable grades 3, 4 · resnet18-w8). IWNE-FS: 0.700 at 50 %, 0.800 at 100 %. IFI-FS: 0.900 at 100 %.',
    });
  });

  it('keeps the AUC axis inside [0, 1], on multiples of its tick step, and never empty', () => {
    expect(aucAxis(1, 1)).toEqual({ domain: [0.95, 1], ticks: [0.95, 1], decimals: 2 });
    expect(aucAxis(0.5, 0.5)).toEqual({ domain: [0.5, 0.55], ticks: [0.5, 0.55], decimals: 2 });
    expect(aucAxis(0, 0.06)).toEqual({ domain: [0, 0.1], ticks: [0, 0.05, 0.1], decimals: 2 });
    expect(aucAxis(0.05, 0.82)).toEqual({ domain: [0, 0.9], ticks: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], decimals: 1 });
    expect(aucAxis(0.7, 0.8)).toEqual({ domain: [0.7, 0.8], ticks: [0.7, 0.75, 0.8], decimals: 2 });
    const edge: Fig2Panel = {
      ...panel,
      series: [
        {
          strategy: 'IWNE-CL',
          points: [{ fraction: 0.2, seeds: [0], runs: ['x'], meanAuc: 1, lower: 1, upper: 1, band: 'delong-ci', minAuc: 1, maxAuc: 1 }],
        },
      ],
    };
    expect(fig2Charts([edge])[0]!.yDomain).toEqual([0.95, 1]);
    expect(fig2Charts([])).toEqual([]);
  });
});

describe('tables', () => {
  it('results rows: run, n, AUC, DeLong and bootstrap CIs, sensitivity/specificity at the operating point', () => {
    expect(resultRows([row({ overlapsTraining: true })])).toEqual([
      {
        key: 'iwne-fs-r__demo__test',
        evaluation: 'iwne-fs-r__demo__test',
        dataset: 'demo',
        split: 'test',
        run: 'IWNE-FS · 50 % · seed 0',
        runId: 'iwne-fs-r',
        strategy: 'IWNE-FS',
        n: '120 (40)',
        auc: '0.812',
        delong: '0.760–0.864',
        bootstrap: '0.755–0.867',
        sensSpec: '90.0 % / 52.3 %',
        operatingPoint: 'P ≥ 0.312 (target sensitivity 90 %)',
        overlapsTraining: true,
        shiftWarning: null,
      },
    ]);
    // The evaluation's domain-shift warning, shown under the AUC.
    const warning = "Test set demo differs from run iwne-fs-r's training set eyepacs: … may not be meaningful.";
    expect(resultRows([row({ shiftWarning: warning })])[0]!.shiftWarning).toBe(warning);
  });

  it('comparisons: A vs B, ΔAUC with its CI and p; a failed comparison keeps its error', () => {
    const base: Omit<PairedComparison, 'test' | 'error'> = {
      datasetId: 'demo',
      split: 'test',
      referable: [3, 4],
      arch: 'resnet18-w8',
      fraction: 0.5,
      seed: 0,
      kind: 'IFI vs IWNE',
      within: 'FS',
      a: { runId: 'ifi', strategy: 'IFI-FS', evaluation: 'ifi__demo__test' },
      b: { runId: 'iwne', strategy: 'IWNE-FS', evaluation: 'iwne__demo__test' },
      overlapsTraining: false,
    };
    const ok: PairedComparison = {
      ...base,
      test: {
        n: 120,
        positives: 40,
        aucA: 0.85,
        aucB: 0.8,
        difference: 0.05,
        se: 0.02,
        z: 2.5,
        p: 0.0124,
        lower: 0.0108,
        upper: 0.0892,
        level: 0.95,
      },
      error: null,
    };
    const bad: PairedComparison = { ...base, test: null, error: 'The two evaluations hold different images' };
    expect(comparisonRows([ok, bad])).toEqual([
      {
        key: 'ifi__demo__test|iwne__demo__test',
        testSet: 'demo · test split',
        where: '50 % · seed 0 · resnet18-w8',
        pair: 'IFI-FS vs IWNE-FS',
        kind: 'IFI vs IWNE',
        delta: '+0.050',
        ci: '+0.011 to +0.089',
        p: '0.012',
        significant: true,
        error: null,
        overlapsTraining: false,
      },
      {
        key: 'ifi__demo__test|iwne__demo__test',
        testSet: 'demo · test split',
        where: '50 % · seed 0 · resnet18-w8',
        pair: 'IFI-FS vs IWNE-FS',
        kind: 'IFI vs IWNE',
        delta: '—',
        ci: '—',
        p: '—',
        significant: false,
        error: 'The two evaluations hold different images',
        overlapsTraining: false,
      },
    ]);
  });
});

describe('ROC series', () => {
  function evaluation(name: string, strategy: EvaluationResult['run']['strategy'], auc: number): EvaluationResult {
    return {
      name,
      run: { runId: name, strategy, fraction: 1, seed: 0 },
      dataset: { datasetId: 'demo' },
      split: 'all',
      referable: [3, 4],
      auc,
      roc: { fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1], thresholds: [1.9, 0.9, 0.4, 0.1] },
      operatingPoint: { targetSensitivity: 0.9, threshold: 0.4, sensitivity: 1, specificity: 0.5 },
    } as unknown as EvaluationResult;
  }

  it('points from the ROC arrays, the operating point at (1 − specificity, sensitivity), AUC in the legend, a variant per repeated strategy', () => {
    const s = rocSeries([evaluation('a', 'IFI-CL', 0.875), evaluation('b', 'IWNE-FS', 0.5), evaluation('c', 'IFI-CL', 0.75)]);
    expect(s[0]).toEqual({
      key: 'a',
      strategy: 'IFI-CL',
      legend: 'IFI-CL · 100 % · seed 0 on demo · all images (AUC 0.875)',
      variant: 0,
      points: [
        { fpr: 0, tpr: 0 },
        { fpr: 0, tpr: 0.5 },
        { fpr: 0.5, tpr: 1 },
        { fpr: 1, tpr: 1 },
      ],
      operatingPoint: { fpr: 0.5, tpr: 1, threshold: 0.4 },
    });
    expect(s.map((x) => [x.key, x.variant])).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 1],
    ]);
  });

  it('offers every evaluation of the table, labelled as in the table', () => {
    expect(
      evaluationChoices({
        rows: [row(), row({ evaluation: 'x__ext__all', datasetId: 'ext', split: 'all', strategy: 'IFI-CL', fraction: 1, seed: 2 })],
      }),
    ).toEqual([
      { name: 'iwne-fs-r__demo__test', label: 'IWNE-FS · 50 % · seed 0 on demo · test split' },
      { name: 'x__ext__all', label: 'IFI-CL · 100 % · seed 2 on ext · all images' },
    ]);
    expect(evaluationChoices(null)).toEqual([]);
  });
});

describe('the Evaluate form', () => {
  const cell = (over: Partial<GridCell>): GridCell => ({
    runId: 'r',
    strategy: 'IWNE-FS',
    fraction: 1,
    seed: 0,
    status: 'done',
    reason: null,
    spec: { arch: 'resnet18-w8', inputSize: 48 },
    epochsDone: 1,
    epochs: 1,
    bestValAuc: 0.7,
    ...over,
  });

  it('offers finished runs only', () => {
    const view: GridView = {
      spec: null,
      cells: [
        cell({ runId: 'done-1' }),
        cell({ runId: 'pending', status: 'pending' }),
        cell({ runId: 'done-2', fraction: 0.5, spec: null }),
      ],
    };
    expect(finishedRuns(view)).toEqual([
      { runId: 'done-1', label: 'IWNE-FS · 100 % · seed 0 (resnet18-w8, 48 px)', inputSize: 48 },
      { runId: 'done-2', label: 'IWNE-FS · 50 % · seed 0', inputSize: null },
    ]);
    expect(finishedRuns(null)).toEqual([]);
  });

  it("offers graded, preprocessed datasets at the run's input size, with their splits (test first when there is one)", () => {
    const d = (id: string, over: Record<string, unknown> = {}): DatasetSummary =>
      ({
        readable: true,
        id,
        preprocessed: true,
        settings: { inputSize: 48 },
        items: 40,
        grades: { '0': 20, '3': 20 },
        splits: { train: 30, test: 10 },
        ...over,
      }) as unknown as DatasetSummary;
    const choices = evalDatasetChoices(
      [
        d('demo'),
        d('big', { settings: { inputSize: 224 } }),
        d('folder', { splits: { none: 40 } }),
        d('seg', { grades: { ungraded: 40 } }),
      ],
      48,
    );
    expect(choices).toEqual([
      {
        id: 'demo',
        label: 'demo · 48 px',
        disabledReason: null,
        splits: [
          { value: 'test', label: 'test · 10 images' },
          { value: 'train', label: 'train · 30 images' },
          { value: 'all', label: 'all · 40 images' },
        ],
        defaultSplit: 'test',
      },
      {
        id: 'big',
        label: 'big · 224 px · prepared at 48 px when used',
        disabledReason: null,
        splits: [
          { value: 'test', label: 'test · 10 images' },
          { value: 'train', label: 'train · 30 images' },
          { value: 'all', label: 'all · 40 images' },
        ],
        defaultSplit: 'test',
      },
      {
        id: 'folder',
        label: 'folder · 48 px',
        disabledReason: null,
        splits: [
          { value: 'train', label: 'train · 40 images' },
          { value: 'all', label: 'all · 40 images' },
        ],
        defaultSplit: 'all',
      },
      { id: 'seg', label: 'seg · 48 px', disabledReason: 'no graded images', splits: choices[3]!.splits, defaultSplit: 'test' },
    ]);
  });

  it("follows the study's latest evaluate.run job; refreshes when one finishes", () => {
    const j = (id: string, status: JobState['status'], createdAt: string, studyPath = STUDY): JobState =>
      ({
        id,
        kind: 'evaluate.run',
        status,
        createdAt,
        studyPath,
        params: {},
        progress: { done: 0, total: 1, message: '', etaSeconds: null },
      }) as unknown as JobState;
    const jobs = [
      j('1', 'succeeded', '2025-03-01T10:00:00.000Z'),
      j('2', 'running', '2025-03-01T11:00:00.000Z'),
      j('3', 'queued', '2025-03-01T12:00:00.000Z', '/other'),
      j('4', 'succeeded', '2025-03-01T09:00:00.000Z'),
    ];
    expect(latestEvaluationJob(jobs, STUDY)?.id).toBe('2');
    expect(latestEvaluationJob(jobs, null)).toBeNull();
    expect(finishedEvaluationsSignature(jobs, STUDY)).toBe('1,4');
  });
});
