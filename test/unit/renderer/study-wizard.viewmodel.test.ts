/**
 * The study wizard's test sets, analyses, plan and estimate plumbing
 * (src-renderer/features/training/study-wizard/study-wizard.viewmodel.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ReadableDatasetSummary } from '../../../src-shared/contract';
import { readableDataset } from './dataset-fixture';
import type { JobState } from '../../../src-shared/jobs';
import { StudyPlan } from '../../../src-shared/study-plan';
import {
  analysesFromPlan,
  batchWarning,
  benchJobFor,
  buildStudyPlan,
  checkAnalyses,
  defaultAnalyses,
  estimateText,
  gradedIn,
  isTestSet,
  studyEstimate,
  testSetChoices,
} from '../../../src-renderer/features/training/study-wizard/study-wizard.viewmodel';

const dataset = readableDataset;
const eyepacs = dataset('eyepacs');
const messidor = dataset('messidor', { splits: { none: 30 }, perSplitGrade: { none: { '0': 20, '2': 6, '4': 4 } } });
const idrid = dataset('idrid-seg', {
  splits: { none: 5 },
  grades: { ungraded: 5 },
  perSplitGrade: { none: { ungraded: 5 } },
  masks: { MA: 5, EX: 4 },
});
const all = [eyepacs, messidor, idrid];

describe('test sets and analyses', () => {
  it('counts graded images per split and offers each graded dataset on its default split', () => {
    expect(gradedIn(eyepacs as ReadableDatasetSummary, 'test')).toBe(10);
    expect(gradedIn(eyepacs as ReadableDatasetSummary, 'all')).toBe(50);
    expect(gradedIn(idrid as ReadableDatasetSummary, 'all')).toBe(0); // ungraded does not count
    expect(testSetChoices(all, 'eyepacs')).toEqual([
      {
        id: 'eyepacs',
        split: 'test',
        images: 10,
        label: 'eyepacs — test split, 10 graded images',
        overlapsTraining: false,
        disabledReason: null,
      },
      {
        id: 'messidor',
        split: 'all',
        images: 30,
        label: 'messidor — all images, 30 graded images',
        overlapsTraining: false,
        disabledReason: null,
      },
      {
        id: 'idrid-seg',
        split: 'all',
        images: 0,
        label: 'idrid-seg — all images, 0 graded images',
        overlapsTraining: false,
        disabledReason: 'no graded images',
      },
    ]);
    // A training dataset without a test split would be evaluated on its own training images: flagged.
    expect(testSetChoices([messidor], 'messidor')[0]!.overlapsTraining).toBe(true);
  });

  it('defaults to the training set’s test split, analyses on it and explanations on the masked set', () => {
    expect(defaultAnalyses(all, 'eyepacs')).toEqual({
      testSets: [{ datasetId: 'eyepacs', split: 'test' }],
      spectra: { enabled: true, datasetId: 'eyepacs', images: '256' },
      robustness: { enabled: true, datasetId: 'eyepacs', images: '200' },
      explain: { enabled: true, datasetId: 'idrid-seg' },
      report: true,
    });
    // Training on messidor (no test split): the other graded sets, never messidor's own training images.
    expect(defaultAnalyses(all, 'messidor').testSets).toEqual([{ datasetId: 'eyepacs', split: 'test' }]);
    expect(defaultAnalyses([messidor], 'messidor')).toMatchObject({ testSets: [], explain: { enabled: false } });
  });

  it('adds every held-out test set (all images in the test split) to the training set’s own test split', () => {
    const held = dataset('held', { splits: { test: 30 }, perSplitGrade: { test: { '0': 20, '2': 6, '4': 4 } } });
    expect(isTestSet(held as ReadableDatasetSummary)).toBe(true);
    expect(isTestSet(eyepacs as ReadableDatasetSummary)).toBe(false);
    expect(isTestSet(messidor as ReadableDatasetSummary)).toBe(false);
    expect(testSetChoices([...all, held], 'eyepacs').find((c) => c.id === 'held')).toMatchObject({ split: 'test', images: 30 });
    expect(defaultAnalyses([...all, held], 'eyepacs').testSets).toEqual([
      { datasetId: 'eyepacs', split: 'test' },
      { datasetId: 'held', split: 'test' },
    ]);
    // Without an own test split, every other graded set as before, the held-out one included.
    expect(defaultAnalyses([...all, held], 'messidor').testSets).toEqual([
      { datasetId: 'eyepacs', split: 'test' },
      { datasetId: 'held', split: 'test' },
    ]);
  });

  it('checks the step, naming what is wrong', () => {
    const form = defaultAnalyses(all, 'eyepacs');
    expect(checkAnalyses(form, all)).toEqual({});
    expect(checkAnalyses({ ...form, testSets: [] }, all).testSets).toMatch(/at least one test set/);
    expect(checkAnalyses({ ...form, testSets: [{ datasetId: 'gone', split: 'test' }] }, all).testSets).toBe(
      'Dataset gone is not in the study (any more).',
    );
    expect(checkAnalyses({ ...form, spectra: { ...form.spectra, images: '2' } }, all).spectra).toBe(
      'Images: a whole number from 3 to 4,096',
    );
    expect(checkAnalyses({ ...form, robustness: { ...form.robustness, images: 'x' } }, all).robustness).toMatch(/whole number from 2/);
    expect(checkAnalyses({ ...form, spectra: { ...form.spectra, enabled: false, images: 'x' } }, all).spectra).toBeUndefined(); // a disabled analysis is not checked
    expect(checkAnalyses({ ...form, explain: { enabled: true, datasetId: 'eyepacs' } }, all).explain).toBe(
      'Choose a dataset with lesion masks.',
    );
  });

  it('builds a valid study plan: analyses on the largest fraction and first seed; reads it back', () => {
    const grid = { strategies: ['IWNE-FS', 'IFI-FS'] as const, fractions: [0.5, 0.1, 1], seeds: [3, 1], base: { datasetId: 'eyepacs' } };
    const form = {
      ...defaultAnalyses(all, 'eyepacs'),
      testSets: [
        { datasetId: 'eyepacs', split: 'test' as const },
        { datasetId: 'messidor', split: 'all' as const },
      ],
    };
    const plan = StudyPlan.parse(
      buildStudyPlan({ ...grid, strategies: [...grid.strategies] }, { ...form, robustness: { ...form.robustness, enabled: false } }),
    );
    expect(plan).toMatchObject({
      study: '.',
      evaluate: [
        { datasetId: 'eyepacs', split: 'test' },
        { datasetId: 'messidor', split: 'all' },
      ],
      spectra: { datasetId: 'eyepacs', images: 256, fraction: 1, seed: 1 },
      robustness: null,
      explain: { datasetId: 'idrid-seg', fraction: 1, seed: 1 },
      report: { out: 'reports/report.pdf', revealImageIds: false },
    });
    const back = analysesFromPlan(plan, all, 'eyepacs');
    expect(back.testSets).toEqual(form.testSets);
    expect(back.spectra).toEqual({ enabled: true, datasetId: 'eyepacs', images: '256' });
    expect(back.robustness.enabled).toBe(false);
    expect(back.explain).toEqual({ enabled: true, datasetId: 'idrid-seg' });
  });
});

describe('compute step', () => {
  const job = (id: string, status: JobState['status'], params: object, createdAt: string, result: unknown = null): JobState =>
    ({
      id,
      kind: 'engine.benchmark',
      title: '',
      status,
      params,
      studyPath: null,
      createdAt,
      startedAt: null,
      endedAt: null,
      progress: { done: 0, total: 1, message: '', etaSeconds: null },
      result,
      error: null,
      log: [],
    }) as unknown as JobState;
  const config = { arch: 'resnet18-w8', inputSize: 48, batchSize: 16 };

  it('uses the latest succeeded measurement of exactly this configuration', () => {
    const jobs = [
      job('a', 'succeeded', config, '2026-01-01T10:00:00Z', { forwardMsPerImage: 1 }),
      job('b', 'succeeded', { ...config, inputSize: 64 }, '2026-01-01T11:00:00Z'),
      job('c', 'failed', config, '2026-01-01T12:00:00Z'),
      job('d', 'succeeded', config, '2026-01-01T09:00:00Z'),
    ];
    expect(benchJobFor(jobs, config)?.id).toBe('a');
    expect(benchJobFor([jobs[2]!], config)?.id).toBe('c'); // a failure shows when there is nothing better
    expect(benchJobFor(jobs, { ...config, batchSize: 8 })).toBeNull();
  });

  it('estimates the study from the measurement (one run: its training, validation and evaluation)', () => {
    const grid = {
      strategies: ['IWNE-FS' as const],
      fractions: [1],
      seeds: [0],
      base: { datasetId: 'eyepacs', epochs: 2, validationFraction: 0.25 },
    };
    const form = {
      ...defaultAnalyses(all, 'eyepacs'),
      spectra: { enabled: false, datasetId: '', images: '3' },
      robustness: { enabled: false, datasetId: '', images: '2' },
      explain: { enabled: false, datasetId: '' },
    };
    const bench = {
      backend: 'wasm',
      threads: 1,
      arch: 'resnet18-w8',
      inputSize: 48,
      batchSize: 16,
      forwardMsPerImage: 10,
      trainMsPerImage: 30,
      augmentFsMsPerImage: 5,
      augmentClMsPerImage: 20,
      maxTrainBatch: 64,
      seconds: 1,
      measuredAt: '',
    } as const;
    const { estimate, error } = studyEstimate(grid, form, all, bench);
    expect(error).toBeNull();
    // 40 graded training-split images: 10 validation, 30 training; 2 epochs; evaluation on 10 test images.
    const expected = 2 * 30 * (0.03 + 0.005) + 2 * 10 * 0.01 + 10 * 0.01;
    expect(estimate!.totalSeconds).toBeCloseTo(expected, 9);
    expect(studyEstimate(grid, form, all, null)).toEqual({ estimate: null, error: null });
    expect(studyEstimate(grid, { ...form, testSets: [{ datasetId: 'gone', split: 'test' }] }, all, bench).error).toMatch(/gone/);
  });

  it('warns when the training batch does not fit the measured backend’s memory', () => {
    const bench = {
      backend: 'wasm',
      threads: 2,
      arch: 'resnet50',
      inputSize: 224,
      batchSize: 32,
      forwardMsPerImage: 145,
      trainMsPerImage: 1100,
      augmentFsMsPerImage: 5,
      augmentClMsPerImage: 20,
      maxTrainBatch: 4,
      seconds: 9,
      measuredAt: '',
    } as const;
    expect(batchWarning(32, bench, ['IWNE-FS'])).toBe(
      "Batch size 32 does not fit in the wasm backend's 4 GB at resnet50, 224 px: at most 4 (the runs would refuse to start). Lower the batch size on the Hyperparameters step, or use the GPU backend.",
    );
    expect(batchWarning(32, bench, ['IWNE-CL'])).toMatch(/MoCo pretraining batches \(moco.batchSize\) must fit as well\.$/);
    expect(batchWarning(4, bench, ['IWNE-FS'])).toBeNull();
    expect(batchWarning(32, { ...bench, maxTrainBatch: null }, ['IWNE-FS'])).toBeNull(); // native backends: no such limit
    expect(batchWarning(32, null, ['IWNE-FS'])).toBeNull();
    expect(batchWarning(32, { ...bench, backend: 'webgpu' }, ['IWNE-FS'])).toMatch(
      /^Batch size 32 does not fit in the webgpu backend's GPU at resnet50, 224 px: at most 4 /,
    );
  });

  it('says durations as an estimate', () => {
    expect(estimateText(12)).toBe('under a minute');
    expect(estimateText(754)).toBe('about 13 min');
    expect(estimateText(3 * 3600 + 20 * 60)).toBe('about 3 h 20 min');
  });
});
