/**
 * The study duration estimate (src-shared/estimate.ts): every line against a hand computation,
 * pretraining counted per seed (cross-checked against the real pretrainId), IFI-CL without
 * pretraining, unknown datasets naming their field, and datasetSize from a DatasetSummary.
 * Seconds are compared with a relative tolerance of 1e-9 (the hand values are exact decimals; the
 * code sums binary floating-point products).
 */
import { describe, expect, it } from 'vitest';
import { DatasetSummary, type ReadableDatasetSummary } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { datasetSize, estimateStudy, type DatasetSize, type StudyEstimateInput } from '../../../src-shared/estimate';
import { GridSpec, cellSpecInput, type GridSpecInput } from '../../../src-shared/grid';
import { TrainingSpec } from '../../../src-shared/training';
import { pretrainId } from '../../../src-main/services/training/run-id';

const REL = 1e-9;
function expectClose(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(REL * Math.abs(expected));
}

/** eyepacs: 10 ungraded training images; messidor: no splits (default split 'all'); idrid: segmentation set with masks. */
const DATASETS: DatasetSize[] = [
  { id: 'eyepacs', splits: { train: 130, test: 40 }, graded: { train: 120, test: 40 }, masked: 0 },
  { id: 'messidor', splits: { none: 50 }, graded: { none: 48 }, masked: 0 },
  { id: 'idrid', splits: { none: 30 }, graded: { none: 20 }, masked: 12 },
];
/** forward 2 ms, train step 7 ms, fsTrain augmentation 0.5 ms, aug+ of both views 1.25 ms (per image). */
const BENCH = { forwardMsPerImage: 2, trainMsPerImage: 7, augmentFsMsPerImage: 0.5, augmentClMsPerImage: 1.25 };

const GRID_INPUT: GridSpecInput = {
  strategies: ['IWNE-FS', 'IWNE-CL'],
  fractions: [0.3, 1],
  seeds: [0, 1],
  base: { datasetId: 'eyepacs', epochs: 3, validationFraction: 0.15, moco: { epochs: 4, batchSize: 16, queueSize: 64 } },
  overrides: { 'IWNE-CL': { epochs: 2 } },
};

function input(over: Partial<StudyEstimateInput> = {}): StudyEstimateInput {
  return {
    grid: GridSpec.parse(GRID_INPUT),
    datasets: DATASETS,
    evaluate: [{ datasetId: 'eyepacs' }, { datasetId: 'messidor' }, { datasetId: 'eyepacs', split: 'train' }],
    spectra: { datasetId: 'eyepacs', images: 256 },
    robustness: { datasetId: 'messidor', images: 30, corruptions: ['fog', 'snow', 'frost'], severities: [1, 3] },
    explain: { datasetId: 'idrid' },
    bench: BENCH,
    ...over,
  };
}

function thrown(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected an AppError');
}

describe('estimateStudy', () => {
  it('matches a hand computation line by line', () => {
    /*
     * Training pool (eyepacs graded outside test) = 120; validation = round(120 × 0.15) = 18; rest 102.
     * Training images per run: fraction 0.3 → round(102 × 0.3) = round(30.6) = 31; fraction 1 → 102.
     * Per epoch summed over the 4 runs of a strategy (2 fractions × 2 seeds): 2 × (31 + 102) = 266.
     *
     * IWNE-FS (3 epochs): train 3 × 266 = 798 images × (7 + 0.5) ms = 5985 ms = 5.985 s
     *                     validate 3 × 18 × 4 = 216 images × 2 ms = 0.432 s
     * IWNE-CL (2 epochs): pretraining images = all eyepacs outside test − validation = 130 − 18 = 112;
     *                     2 pretrainings (seeds 0, 1; shared by the fractions) × 4 MoCo epochs × 112 = 896
     *                     images × (7 + 2 + 1.25) ms = 9184 ms = 9.184 s
     *                     train 2 × 266 = 532 × 7.5 ms = 3.99 s; validate 2 × 18 × 4 = 144 × 2 ms = 0.288 s
     * Evaluate (8 runs): eyepacs default split test: 40 graded → 320 × 2 ms = 0.64 s
     *                    messidor default split all: 48 graded → 384 × 2 ms = 0.768 s
     *                    eyepacs train: 120 graded → 960 × 2 ms = 1.92 s
     * Spectra: eyepacs default split test has 40 images < 256 → 2 models × 40 × 2 passes = 160 × 2 ms = 0.32 s
     * Robustness: messidor, min(30, 48 graded) = 30; 1 + 3 corruptions × 2 severities = 7
     *             → 2 × 30 × 7 = 420 × 2 ms = 0.84 s
     * Explain: idrid, default every image: 30 → 2 × 30 = 60 × 7 ms = 0.42 s
     */
    const expected = [
      { phase: 'train', images: 798, seconds: 5.985 },
      { phase: 'validate', images: 216, seconds: 0.432 },
      { phase: 'pretrain', images: 896, seconds: 9.184 },
      { phase: 'train', images: 532, seconds: 3.99 },
      { phase: 'validate', images: 144, seconds: 0.288 },
      { phase: 'evaluate', images: 320, seconds: 0.64 },
      { phase: 'evaluate', images: 384, seconds: 0.768 },
      { phase: 'evaluate', images: 960, seconds: 1.92 },
      { phase: 'spectra', images: 160, seconds: 0.32 },
      { phase: 'robustness', images: 420, seconds: 0.84 },
      { phase: 'explain', images: 60, seconds: 0.42 },
    ];
    const est = estimateStudy(input());
    expect(est.lines.map((l) => ({ phase: l.phase, images: l.images }))).toEqual(expected.map(({ phase, images }) => ({ phase, images })));
    est.lines.forEach((l, i) => expectClose(l.seconds, expected[i]!.seconds, `line ${i} (${l.label})`));
    expectClose(est.totalSeconds, 9.184 + 5.985 + 0.432 + 3.99 + 0.288 + 0.64 + 0.768 + 1.92 + 0.32 + 0.84 + 0.42, 'total');
    expect(est.runs).toBe(8);
    expect(est.pretrainings).toBe(2);
    expect(est.lines[0]!.label).toBe('IWNE-FS training: 4 runs');
    expect(est.lines[2]!.label).toContain('2 pretrainings');
    expect(est.lines[5]!.label).toContain('(test)');
    expect(est.lines[6]!.label).toContain('(all)');
    expect(est.notes.some((n) => /patient/.test(n))).toBe(true);
    expect(est.notes.some((n) => /corrupted copies/.test(n))).toBe(true);
    // idrid has masks for 12 of its 30 images: all are explained, the note says so.
    expect(est.notes.some((n) => /12 of its 30 images/.test(n))).toBe(true);
  });

  it('uses all 19 corruptions by default and caps the analyses at the images available', () => {
    // Robustness: min(1000, 48) = 48 messidor images, 1 + 19 × 5 = 96 versions, 2 models → 9216 × 2 ms = 18.432 s.
    // Explain: 12 of idrid's 30 images, 2 models → 24 × 7 ms = 0.168 s.
    // Spectra on messidor (no test split → all 50 images): min(20, 50) = 20 → 2 × 20 × 2 = 80 × 2 ms = 0.16 s.
    const est = estimateStudy(
      input({
        evaluate: [],
        spectra: { datasetId: 'messidor', images: 20 },
        robustness: { datasetId: 'messidor', images: 1000, severities: [1, 2, 3, 4, 5] },
        explain: { datasetId: 'idrid', images: 12 },
      }),
    );
    const byPhase = (p: string) => est.lines.filter((l) => l.phase === p);
    expect(byPhase('evaluate')).toEqual([]);
    expect(byPhase('robustness').map((l) => l.images)).toEqual([9216]);
    expectClose(byPhase('robustness')[0]!.seconds, 18.432, 'robustness');
    expect(byPhase('explain').map((l) => l.images)).toEqual([24]);
    expectClose(byPhase('explain')[0]!.seconds, 0.168, 'explain');
    expect(byPhase('spectra').map((l) => l.images)).toEqual([80]);
    expectClose(byPhase('spectra')[0]!.seconds, 0.16, 'spectra');
  });

  it('counts one pretraining per seed, not per fraction, as the real pretrainId does', () => {
    const grid = (fractions: number[], seeds: number[]) => GridSpec.parse({ ...GRID_INPUT, strategies: ['IWNE-CL'], fractions, seeds });
    const threeByThree = estimateStudy(
      input({ grid: grid([0.1, 0.5, 1], [0, 1, 2]), evaluate: [], spectra: null, robustness: null, explain: null }),
    );
    expect(threeByThree.runs).toBe(9);
    expect(threeByThree.pretrainings).toBe(3);
    // Independent oracle: the distinct pretraining folders the trainer would create for these cells.
    const g = grid([0.1, 0.5, 1], [0, 1, 2]);
    const ids = new Set(
      g.fractions.flatMap((f) => g.seeds.map((s) => pretrainId(TrainingSpec.parse(cellSpecInput(g, 'IWNE-CL', f, s))).id)),
    );
    expect(ids.size).toBe(threeByThree.pretrainings);
    // 3 pretrainings × 4 MoCo epochs × 112 images = 1344 images × 10.25 ms = 13.776 s.
    const pre = threeByThree.lines.filter((l) => l.phase === 'pretrain');
    expect(pre.map((l) => l.images)).toEqual([1344]);
    expectClose(pre[0]!.seconds, 13.776, 'pretrain 3 seeds');
    // One fraction instead of three: the same pretraining cost.
    const oneFraction = estimateStudy(input({ grid: grid([1], [0, 1, 2]), evaluate: [], spectra: null, robustness: null, explain: null }));
    expect(oneFraction.pretrainings).toBe(3);
    expect(oneFraction.lines.find((l) => l.phase === 'pretrain')!.images).toBe(1344);
  });

  it('gives IFI-CL no pretraining and uses the IFI default of 50 epochs', () => {
    const grid = GridSpec.parse({
      strategies: ['IFI-CL'],
      fractions: [1],
      seeds: [0],
      base: { datasetId: 'eyepacs' },
      mocoWeights: 'moco_v2_800ep_pretrain.pth.tar',
    });
    const est = estimateStudy(input({ grid, evaluate: [], spectra: null, robustness: null, explain: null }));
    expect(est.pretrainings).toBe(0);
    expect(est.lines.map((l) => l.phase)).toEqual(['train', 'validate']);
    // validationFraction default 0.15 → 18 validation, 102 training images; 50 epochs.
    expect(est.lines.map((l) => l.images)).toEqual([50 * 102, 50 * 18]);
    expectClose(est.lines[0]!.seconds, (5100 * 7.5) / 1000, 'IFI-CL train');
    expectClose(est.lines[1]!.seconds, (900 * 2) / 1000, 'IFI-CL validate');
    expect(est.notes.some((n) => /blocked/.test(n))).toBe(false);
    // Without the checkpoint the runs are blocked: counted, with a note.
    const blocked = estimateStudy(
      input({
        grid: GridSpec.parse({ strategies: ['IFI-CL'], fractions: [1], seeds: [0], base: { datasetId: 'eyepacs' } }),
        evaluate: [],
        spectra: null,
        robustness: null,
        explain: null,
      }),
    );
    expect(blocked.notes.some((n) => /IFI-CL.*blocked/.test(n))).toBe(true);
  });

  it('notes early stopping', () => {
    const grid = GridSpec.parse({ ...GRID_INPUT, base: { ...GRID_INPUT.base, earlyStoppingPatience: 5 } });
    expect(estimateStudy(input({ grid })).notes.some((n) => /Early stopping/.test(n))).toBe(true);
    expect(estimateStudy(input()).notes.some((n) => /Early stopping/.test(n))).toBe(false);
  });

  it('names the field of an unknown or missing dataset', () => {
    const cases: [Partial<StudyEstimateInput>, string][] = [
      [{ evaluate: [{ datasetId: 'eyepacs' }, { datasetId: 'nope' }] }, 'evaluate.1.datasetId'],
      [{ spectra: { datasetId: 'nope', images: 10 } }, 'spectra.datasetId'],
      [{ robustness: { datasetId: 'nope', images: 10, severities: [1] } }, 'robustness.datasetId'],
      [{ explain: { datasetId: 'nope' } }, 'explain.datasetId'],
      [{ grid: GridSpec.parse({ ...GRID_INPUT, base: { ...GRID_INPUT.base, datasetId: 'nope' } }) }, 'grid.base.datasetId'],
      [{ grid: GridSpec.parse({ ...GRID_INPUT, overrides: { 'IWNE-CL': { datasetId: 'nope' } } }) }, 'grid.overrides.IWNE-CL.datasetId'],
      [{ grid: GridSpec.parse({ ...GRID_INPUT, base: { epochs: 3 } }) }, 'grid.base.datasetId'],
    ];
    for (const [over, field] of cases) {
      const e = thrown(() => estimateStudy(input(over)));
      expect(e.code).toBe('BAD_REQUEST');
      expect(e.issues?.map((i) => i.path)).toEqual([field]);
      expect(e.message).toContain(field);
    }
    expect(thrown(() => estimateStudy(input({ evaluate: [{ datasetId: 'nope' }] }))).message).toContain('"nope"');
    expect(thrown(() => estimateStudy(input({ bench: { ...BENCH, forwardMsPerImage: Number.NaN } }))).issues?.[0]?.path).toBe(
      'bench.forwardMsPerImage',
    );
  });
});

describe('datasetSize', () => {
  const base = {
    readable: true as const,
    synthetic: false,
    created: '2026-01-02T10:00:00.000Z',
    updated: '2026-01-02T10:00:00.000Z',
    preprocessed: true,
    settings: { inputSize: 224, overlaySize: 512, cropThreshold: 15, cropMargin: 0.02, format: 'png' as const },
    issues: { error: 0, warning: 0 },
    candidates: null,
    excluded: null,
    notes: [],
    reportProblem: null,
  };

  it('sums the graded images per split, leaving out the ungraded ones', () => {
    // EyePACS-like: train 700 (5 ungraded), test 300 (2 ungraded), 4 images without a split (all ungraded).
    const summary: ReadableDatasetSummary = DatasetSummary.parse({
      ...base,
      id: 'eyepacs',
      type: 'eyepacs',
      name: 'eyepacs',
      source: '/data/eyepacs',
      items: 1004,
      patients: 502,
      grades: { '0': 700, '1': 70, '2': 140, '3': 45, '4': 42, ungraded: 11 },
      splits: { train: 700, test: 300, none: 4 },
      perSplitGrade: {
        train: { '0': 490, '1': 50, '2': 100, '3': 30, '4': 25, ungraded: 5 },
        test: { '0': 210, '1': 20, '2': 40, '3': 15, '4': 13, ungraded: 2 },
        none: { ungraded: 4 },
      },
      masks: {},
    }) as ReadableDatasetSummary;
    expect(datasetSize(summary)).toEqual({
      id: 'eyepacs',
      splits: { train: 700, test: 300, none: 4 },
      graded: { train: 695, test: 298, none: 0 },
      masked: 0,
    });
  });

  it('takes the most masked lesion as the masked images of a segmentation set', () => {
    // IDRiD segmentation: 54 + 27 ungraded images; MA, EX, OD masks on all 81, HE on 80, SE on 40.
    const summary = DatasetSummary.parse({
      ...base,
      id: 'idrid-seg',
      type: 'idrid-seg',
      name: 'idrid-seg',
      source: '/data/idrid/A. Segmentation',
      items: 81,
      patients: 81,
      grades: { '0': 0, '1': 0, '2': 0, '3': 0, '4': 0, ungraded: 81 },
      splits: { train: 54, test: 27 },
      perSplitGrade: { train: { ungraded: 54 }, test: { ungraded: 27 } },
      masks: { MA: 81, HE: 80, EX: 81, SE: 40, OD: 81 },
    }) as ReadableDatasetSummary;
    expect(datasetSize(summary)).toEqual({ id: 'idrid-seg', splits: { train: 54, test: 27 }, graded: { train: 0, test: 0 }, masked: 81 });
  });
});
