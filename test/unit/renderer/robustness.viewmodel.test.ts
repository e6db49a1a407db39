/**
 * The Robustness page's view models on a hand-made RobustnessResult with exact expected outputs:
 * Fig 4 rows from the shared fig4Panels (CL − FS per corruption and severity, severity opacities from
 * severityOpacity, the symmetric axis), the per-model table (clean vs mean corrupted score, change,
 * clean and mean corrupted AUC), the gallery grid, the result choices, the command and the formats.
 */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-shared/contract';
import type { RunStanding } from '../../../src-shared/run-identity';
import type { RobustnessResult } from '../../../src-shared/robustness';
import { formatDateTime } from '../../../src-renderer/shared/format.viewmodel';
import {
  corruptionLabel,
  fig4Charts,
  formatScore,
  formatSigned,
  galleryModel,
  robustnessByStanding,
  robustnessChoices,
  robustnessCommand,
  robustnessSummary,
  robustnessTable,
} from '../../../src-renderer/features/robustness/robustness.viewmodel';

function result(over: Partial<RobustnessResult> = {}): RobustnessResult {
  const model = (runId: string, strategy: 'IWNE-FS' | 'IWNE-CL', cells: RobustnessResult['models'][number]['cells']) => ({
    runId,
    strategy,
    fraction: 1,
    seed: 0,
    arch: 'resnet18-w8',
    inputSize: 64,
    referable: [3, 4],
    cells,
  });
  return {
    schemaVersion: 1,
    name: 'demo__0123456789',
    datasetId: 'demo',
    split: 'test',
    images: 12,
    positives: 6,
    seed: 0,
    corruptions: ['pixelate', 'gaussian_noise'],
    severities: [1, 3],
    models: [
      model('cl', 'IWNE-CL', [{ corruption: 'clean', severity: 0, meanTrueClassProbability: 0.5, auc: 0.5 }]),
      model('fs', 'IWNE-FS', [
        { corruption: 'clean', severity: 0, meanTrueClassProbability: 0.75, auc: 0.875 },
        { corruption: 'pixelate', severity: 1, meanTrueClassProbability: 0.5, auc: 0.625 },
        { corruption: 'pixelate', severity: 3, meanTrueClassProbability: 0.25, auc: null },
      ]),
    ],
    fig4: [
      {
        initialisation: 'IWNE',
        fraction: 1,
        seed: 0,
        cl: 'cl',
        fs: 'fs',
        cells: [
          { corruption: 'pixelate', severity: 1, difference: 0.02 },
          { corruption: 'pixelate', severity: 3, difference: -0.04 },
          { corruption: 'gaussian_noise', severity: 1, difference: 0.01 },
          { corruption: 'gaussian_noise', severity: 3, difference: 0 },
        ],
      },
    ],
    gallery: {
      image: 'img-7',
      files: [
        { corruption: 'clean', severity: 0, file: 'gallery/clean-0.png' },
        { corruption: 'pixelate', severity: 1, file: 'gallery/pixelate-1.png' },
        { corruption: 'pixelate', severity: 3, file: 'gallery/pixelate-3.png' },
        { corruption: 'gaussian_noise', severity: 3, file: 'gallery/gaussian_noise-3.png' },
      ],
    },
    timing: { corruptSeconds: {}, modelSeconds: 1, totalSeconds: 2 },
    backend: 'wasm',
    createdAt: '2026-01-02T03:04:05.000Z',
    ...over,
  };
}

describe('Fig 4', () => {
  it("rows = corruptions in the result's order with a value per severity, opacities by severity, a symmetric nice axis", () => {
    const [chart, ...rest] = fig4Charts(result());
    expect(rest).toEqual([]);
    expect(chart).toEqual({
      key: 'IWNE|1|0',
      title: 'IWNE: CL − FS (fraction 1, seed 0)',
      initialisation: 'IWNE',
      strategy: 'IWNE-CL',
      rows: [
        { corruption: 'pixelate', label: 'pixelate', s1: 0.02, s3: -0.04 },
        { corruption: 'gaussian_noise', label: 'gaussian noise', s1: 0.01, s3: 0 },
      ],
      severities: [
        { key: 's1', severity: 1, opacity: 0.2 },
        { key: 's3', severity: 3, opacity: 0.52 },
      ],
      // shared limit: max |difference| 0.04 → 0.05; nice ticks every 0.025
      domain: [-0.05, 0.05],
      ticks: [-0.05, -0.025, 0, 0.025, 0.05],
      decimals: 3,
      height: 56 + 2 * 30,
      description:
        'IWNE: CL − FS (fraction 1, seed 0): CL minus FS mean probability of the true class per corruption and severity; 2 of 4 bars are positive (CL more robust), largest magnitude 0.040.',
    });
  });

  it('a missing cell is null; no CL/FS pair, no chart', () => {
    const r = result();
    r.fig4[0]!.cells.pop();
    expect(fig4Charts(r)[0]!.rows[1]).toEqual({ corruption: 'gaussian_noise', label: 'gaussian noise', s1: 0.01, s3: null });
    expect(fig4Charts(result({ fig4: [] }))).toEqual([]);
  });
});

describe('per-model table', () => {
  it('clean vs the mean over every corruption × severity, the change, and the AUCs (missing ones skipped)', () => {
    expect(robustnessTable(result())).toEqual([
      {
        key: 'fs',
        runId: 'fs',
        strategy: 'IWNE-FS',
        run: 'IWNE-FS · 100 % · seed 0',
        clean: '0.750',
        corrupted: '0.375',
        change: '−0.375',
        worse: true,
        cleanAuc: '0.875',
        corruptedAuc: '0.625',
      },
      {
        key: 'cl',
        runId: 'cl',
        strategy: 'IWNE-CL',
        run: 'IWNE-CL · 100 % · seed 0',
        clean: '0.500',
        corrupted: '—',
        change: '—',
        worse: false,
        cleanAuc: '0.500',
        corruptedAuc: '—',
      },
    ]);
  });

  it('formats', () => {
    expect([0.0314, -0.0123, -0.0004, 0].map((v) => formatSigned(v))).toEqual(['+0.031', '−0.012', '0.000', '0.000']);
    expect([0.81234, null, undefined, Number.NaN].map(formatScore)).toEqual(['0.812', '—', '—', '—']);
    expect(corruptionLabel('elastic_transform')).toBe('elastic transform');
  });
});

describe('gallery, choices, command', () => {
  it("the gallery grid: clean, then a row per corruption (Fig 4's order) and a column per severity; missing files are null", () => {
    expect(galleryModel(result())).toEqual({
      image: 'img-7',
      clean: { severity: 0, file: 'gallery/clean-0.png', alt: 'clean image' },
      severities: [1, 3],
      rows: [
        {
          corruption: 'pixelate',
          label: 'pixelate',
          cells: [
            { severity: 1, file: 'gallery/pixelate-1.png', alt: 'pixelate, severity 1' },
            { severity: 3, file: 'gallery/pixelate-3.png', alt: 'pixelate, severity 3' },
          ],
        },
        {
          corruption: 'gaussian_noise',
          label: 'gaussian noise',
          cells: [
            { severity: 1, file: null, alt: 'gaussian noise, severity 1' },
            { severity: 3, file: 'gallery/gaussian_noise-3.png', alt: 'gaussian noise, severity 3' },
          ],
        },
      ],
      files: ['gallery/clean-0.png', 'gallery/pixelate-1.png', 'gallery/pixelate-3.png', 'gallery/gaussian_noise-3.png'],
    });
    expect(galleryModel(result({ gallery: null }))).toBeNull();
  });

  it('results newest first, labelled; the summary', () => {
    const older = result({ name: 'old', createdAt: '2025-01-01T00:00:00.000Z', corruptions: ['fog'], severities: [5] });
    expect(robustnessChoices([older, result()])).toEqual([
      { name: 'demo__0123456789', label: 'demo (test) · IWNE-FS, IWNE-CL · 12 images · 2 corruptions × 2 severities' },
      { name: 'old', label: 'demo (test) · IWNE-FS, IWNE-CL · 12 images · 1 corruption × 1 severity' },
    ]);
    expect(robustnessSummary(result(), 'en-GB')).toBe(
      `12 images of demo (test split, 6 referable), 2 corruptions × severities 1, 3; seed 0; every model saw the same corrupted images. Analysed ${formatDateTime('2026-01-02T03:04:05.000Z', 'en-GB')} on wasm.`,
    );
  });

  it('the command names corruptions and severities only when not all', () => {
    expect(robustnessCommand('/s', ['fs', 'cl'], 'demo', { images: 200, corruptions: [], severities: [1, 2, 3, 4, 5] })).toBe(
      'npx funduslab robustness --study /s --runs fs,cl --dataset demo --images 200',
    );
    expect(robustnessCommand('/s', ['fs'], 'demo', { images: 16, corruptions: ['fog', 'pixelate'], severities: [3, 1] })).toBe(
      'npx funduslab robustness --study /s --runs fs --dataset demo --images 16 --corruptions fog,pixelate --severities 1,3',
    );
  });
});

describe('analyses of outdated runs', () => {
  const current: RunStanding = { outdated: false, reasons: [], identityComplete: true, note: null };
  const outdated: RunStanding = { outdated: true, reasons: ['epochs 1 → 2'], identityComplete: true, note: null };
  const run = (runId: string, standing: RunStanding): RunSummary => ({
    runId,
    strategy: 'IWNE-FS',
    fraction: 1,
    seed: 0,
    arch: 'resnet18-w8',
    inputSize: 64,
    datasetId: 'demo',
    finished: true,
    hasModel: true,
    bestValAuc: 0.7,
    standing,
  });
  // result() compares the runs `cl` and `fs`.
  const mixed = result({ name: 'mixed' });
  const fresh = result({ name: 'fresh' });

  it('leaves an analysis with a model of an outdated run out by default and names the run', () => {
    const runs = [run('cl', current), run('fs', outdated)];
    const s = robustnessByStanding([mixed], runs, false);
    expect(s.shown).toEqual([]);
    expect(s.excluded).toBe('1 robustness analysis of an outdated run is left out of the table, Fig 4 and the gallery: fs (epochs 1 → 2).');
    expect(s.included).toBeNull();
    expect(robustnessChoices(s.shown)).toEqual([]);
  });

  it('includes it with the toggle, marked; every outdated or missing run named in its line', () => {
    const s = robustnessByStanding([mixed], [run('fs', outdated)], true);
    expect(s.shown).toEqual([mixed]);
    expect(s.excluded).toBeNull();
    expect(s.included).toBe(
      '1 robustness analysis of an outdated run is included and marked "Outdated": computed from runs that no longer match the grid.',
    );
    expect(s.marks.get('mixed')).toEqual({
      chip: {
        label: 'Outdated',
        reasons: 'Computed from runs that no longer match the grid: cl is no longer in the study; fs: epochs 1 → 2',
      },
      line: 'computed from outdated runs: cl (no longer in the study); fs (epochs 1 → 2)',
      runs: ['cl (no longer in the study)', 'fs (epochs 1 → 2)'],
    });
  });

  it('marks an analysis whose runs are all gone, and leaves one of current runs unaffected', () => {
    const s = robustnessByStanding([fresh], [run('cl', current), run('fs', current)], false);
    expect(s).toEqual({ shown: [fresh], marks: new Map(), excluded: null, included: null, anyOutdated: false });
    expect(robustnessByStanding([fresh], [], true).marks.get('fresh')?.line).toBe(
      'computed from runs no longer in the study: cl (no longer in the study); fs (no longer in the study)',
    );
  });
});
