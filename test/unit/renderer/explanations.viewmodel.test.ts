/**
 * The Explanations page's view models on hand-made results, heatmaps and masks with exact expected
 * outputs: grouping of results and the images they share, the positive-only colour map (oracle: the
 * ramp and alpha rule computed by hand), lesion contours on a hand-drawn mask, the overlay (the
 * shared heatmapRgba where no contour is drawn, the lesion colour where one is), the mask layers,
 * Table 3 from the shared table3 (cells, best per column, noise control, column counts), the
 * per-image captions and the command.
 */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-shared/contract';
import type { RunStanding } from '../../../src-shared/run-identity';
import { EXPLANATION_SCHEMA_VERSION, type ExplanationResult, type Pooling, type RegionSummary } from '../../../src-shared/explanations';
import { heatmapRgba } from '../../../src-shared/figures';
import {
  accuracyCaption,
  defaultImage,
  explainCommand,
  explanationGroups,
  explanationSettingsLines,
  explanationSummary,
  explanationsByStanding,
  hexRgb,
  imageChoices,
  maskContour,
  maskRgba,
  outdatedExplanations,
  overlayRgba,
  positiveRgba,
  table3Model,
} from '../../../src-renderer/features/explanations/explanations.viewmodel';

const POOLINGS: Pooling[] = ['sum,pos', 'sum,abs', 'max-norm', 'l2-norm,sq'];
const stats = (mean: number | null, std: number | null) => ({ n: 2, mean, std, median: mean, p20: mean, p80: mean, min: mean, max: mean });
function region(lrp: [number | null, number | null], noise: [number, number], rra = 0.25): RegionSummary {
  const per = (m: [number | null, number | null]) =>
    Object.fromEntries(POOLINGS.map((p) => [p, { rma: stats(p === 'sum,pos' ? m[0] : 0.5, m[1]), rra: stats(rra, 0) }]));
  return {
    scored: 2,
    skipped: { noMask: 1, emptyMask: 0 },
    lrp: per(lrp) as RegionSummary['lrp'],
    noise: per(noise) as RegionSummary['noise'],
  };
}
const acc = (rma: number | null, rra: number) => Object.fromEntries(POOLINGS.map((p) => [p, { rma, rra }])) as never;

function explanation(strategy: string, runId: string, over: Partial<ExplanationResult> = {}): ExplanationResult {
  return {
    schemaVersion: EXPLANATION_SCHEMA_VERSION,
    name: `${runId}__idrid`,
    run: {
      runId,
      strategy,
      arch: 'resnet18-w8',
      inputSize: 64,
      normalisation: { mean: [0, 0, 0], std: [1, 1, 1], source: 'dataset' },
      referable: [3, 4],
    },
    dataset: { datasetId: 'idrid', type: 'idrid-seg', inputSize: 64 },
    request: {
      runId,
      datasetId: 'idrid',
      start: 'true-grade',
      ungradedClass: 3,
      startValue: 'unit',
      lrp: { firstLayer: 'alpha-beta', maxPool: 'winner-take-all', sum: 'proportional', stabilizer: 1e-6 },
      lesions: ['MA', 'HE', 'EX'],
      noiseSeed: 0,
      batchSize: 4,
    },
    composite: { name: 'c', canonizers: [], rules: [] },
    heatmap: { format: 'float32le', shape: [64, 64], content: '' },
    images: [
      {
        id: 'IDRiD_01',
        index: 0,
        grade: null,
        startClasses: [3],
        startSource: 'ungraded-class',
        logits: [],
        startRelevance: 1,
        relevanceSum: 1,
        heatmap: 'h/1.f32',
        regions: { MA: { maskPixels: 3, lrp: acc(0.25, 0.5), noise: acc(0.1, 0.1) }, HE: { skipped: 'no-mask' } },
      },
      {
        id: 'IDRiD_02',
        index: 1,
        grade: null,
        startClasses: [3],
        startSource: 'ungraded-class',
        logits: [],
        startRelevance: 1,
        relevanceSum: 1,
        heatmap: 'h/2.f32',
        regions: {
          MA: { maskPixels: 3, lrp: acc(null, 0), noise: acc(0.1, 0.1) },
          EX: { maskPixels: 5, lrp: acc(0.5, 0.5), noise: acc(0.1, 0.1) },
          union: { maskPixels: 8, lrp: acc(0.375, 0.625), noise: acc(0.1, 0.1) },
        },
      },
      {
        id: 'IDRiD_03',
        index: 2,
        grade: null,
        startClasses: [3],
        startSource: 'ungraded-class',
        logits: [],
        startRelevance: 1,
        relevanceSum: 1,
        heatmap: 'h/3.f32',
        regions: {},
      },
    ],
    summary: {},
    backend: 'wasm',
    seconds: 1,
    createdAt: '2026-01-02T03:04:05.000Z',
    ...over,
  };
}

const runSummary = (runId: string, fraction: number): RunSummary => ({
  runId,
  strategy: 'IWNE-FS',
  fraction,
  seed: 0,
  arch: 'resnet18-w8',
  inputSize: 64,
  datasetId: 'demo',
  finished: true,
  hasModel: true,
  bestValAuc: null,
});

describe('groups and images', () => {
  it("groups by dataset and the runs' fraction and seed, strategies in the paper's order", () => {
    const cl = explanation('IWNE-CL', 'cl');
    const fs = explanation('IWNE-FS', 'fs');
    const half = explanation('IFI-FS', 'ifi-half');
    const gone = explanation('IFI-CL', 'gone', { dataset: { datasetId: 'other', type: 'idrid-seg', inputSize: 64 } });
    const groups = explanationGroups([cl, half, fs, gone], [runSummary('cl', 1), runSummary('fs', 1), runSummary('ifi-half', 0.5)]);
    expect(groups.map((g) => [g.key, g.label, g.datasetId, g.results.map((r) => r.run.runId)])).toEqual([
      ['idrid|1|0', 'idrid · 100 % · seed 0 — IWNE-FS, IWNE-CL', 'idrid', ['fs', 'cl']],
      ['idrid|0.5|0', 'idrid · 50 % · seed 0 — IFI-FS', 'idrid', ['ifi-half']],
      ['other|?|?', 'other — IFI-CL', 'other', ['gone']],
    ]);
  });

  it('shows one result per run and dataset: the newest with default settings, else the newest; lists settings and the outside share', () => {
    const settings = (hash: string, defaults: boolean) => ({ hash, values: {}, defaults });
    const def = explanation('IWNE-FS', 'fs', {
      name: 'fs__idrid__aaaaaaaa',
      settings: settings('aaaaaaaa', true),
      createdAt: '2026-01-01',
    });
    const other = explanation('IWNE-FS', 'fs', {
      name: 'fs__idrid__bbbbbbbb',
      settings: settings('bbbbbbbb', false),
      createdAt: '2026-02-01',
      outsideFundus: { mean: 0.125, images: 3, definition: '' },
    });
    const legacy = explanation('IWNE-CL', 'cl', { createdAt: '2025-01-01' });
    const runs = [runSummary('fs', 1), runSummary('cl', 1)];
    const [g] = explanationGroups([other, legacy, def], runs);
    expect(g!.results.map((r) => r.name)).toEqual(['fs__idrid__aaaaaaaa', 'cl__idrid']);
    expect(explanationGroups([other, legacy], runs)[0]!.results.map((r) => r.name)).toEqual(['fs__idrid__bbbbbbbb', 'cl__idrid']);
    const lines = explanationSettingsLines([other, legacy]);
    expect(lines[0]).toMatch(/^IWNE-FS \(fs\): positive relevance outside the fundus 0\.125; settings bbbbbbbb: /);
    expect(lines[1]).toMatch(
      /^IWNE-CL \(cl\): positive relevance outside the fundus —; .*\(written before results were named by their settings\)$/,
    );
  });

  it('offers the images every result explained, with their scored lesions; the default has the most', () => {
    const fs = explanation('IWNE-FS', 'fs');
    const cl = explanation('IWNE-CL', 'cl');
    cl.images = cl.images.slice(1);
    const choices = imageChoices({ results: [fs, cl] });
    expect(choices).toEqual([
      { id: 'IDRiD_02', label: 'IDRiD_02 · MA, EX', lesions: ['MA', 'EX'] },
      { id: 'IDRiD_03', label: 'IDRiD_03 · no lesion mask', lesions: [] },
    ]);
    expect(defaultImage(choices)).toBe('IDRiD_02');
    expect(defaultImage(imageChoices({ results: [fs] }))).toBe('IDRiD_02');
    expect(imageChoices(null)).toEqual([]);
    expect(defaultImage([])).toBeNull();
  });

  it("captions an image's RMA and RRA for a region and pooling", () => {
    const fs = explanation('IWNE-FS', 'fs');
    expect(accuracyCaption(fs, 'IDRiD_02', 'union', 'sum,pos')).toBe('union: RMA 0.375 · RRA 0.625');
    expect(accuracyCaption(fs, 'IDRiD_02', 'MA', 'max-norm')).toBe('MA: RMA — · RRA 0.000');
    expect(accuracyCaption(fs, 'IDRiD_01', 'HE', 'sum,pos')).toBe('HE: not scored');
    expect(accuracyCaption(fs, 'nope', 'MA', 'sum,pos')).toBe('MA: not scored');
    expect(explanationSummary(fs)).toBe(
      "LRP α1β0 of 3 images of idrid at 64 px; relevance starts at the true grade's output (grade 3 for ungraded images); BatchNorm merged into the convolutions, residual sums proportional, first layer alpha-beta, max pooling winner-take-all.",
    );
  });
});

describe('overlays', () => {
  it('positive only: non-positive transparent, t = v / q (q the 99.5th percentile of the positives, clamped), hot ramp, alpha 255·opacity·√t', () => {
    // positives sorted [1, 2, 4]: q = positives[floor(0.995 · 2)] = 2 → t = 0.5, 1, 1
    const out = positiveRgba([0, 1, 2, 4, -1]);
    // t = 0.5 between the stops 0.35 [230, 30, 0] and 0.7 [255, 160, 0]: f = 0.15 / 0.35
    const f = 0.15 / 0.35;
    expect(Array.from(out)).toEqual([
      0,
      0,
      0,
      0,
      Math.round(230 + 25 * f),
      Math.round(30 + 130 * f),
      0,
      Math.round(255 * 0.75 * Math.sqrt(0.5)),
      255,
      255,
      160,
      191,
      255,
      255,
      160,
      191,
      0,
      0,
      0,
      0,
    ]);
    expect(Array.from(positiveRgba([1], { opacity: 1 }))).toEqual([255, 255, 160, 255]);
    expect(Array.from(positiveRgba([-1, 0]))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('contours: mask pixels with a 4-neighbour outside the mask or the image', () => {
    // a 3×3 block in the top-left of a 4×4 image, plus a lone pixel
    const mask = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1];
    expect(Array.from(maskContour(mask, 4, 4))).toEqual([1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1]);
    expect(Array.from(maskContour([1, 1, 1, 1, 1, 1, 1, 1, 1], 3, 3))).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
  });

  it('overlay: the shared heatmapRgba, with the lesion contours drawn opaque in the lesion colours', () => {
    const values = [0.5, -1, 0.25, 2, 0, -0.5, 1, 0.75, -2];
    const base = heatmapRgba(values, { opacity: 0.6 });
    expect(Array.from(overlayRgba(values, 3, 3, { colourMap: 'diverging', opacity: 0.6, contours: null }))).toEqual(Array.from(base));
    const ma = [0, 0, 0, 0, 1, 0, 0, 0, 0];
    const ex = [0, 0, 0, 0, 0, 0, 0, 1, 1];
    const out = overlayRgba(values, 3, 3, { colourMap: 'diverging', opacity: 0.6, contours: { MA: ma, EX: ex } });
    const pixel = (i: number) => Array.from(out.slice(i * 4, i * 4 + 4));
    expect(pixel(4)).toEqual([...hexRgb('#ffcc00'), 255]);
    expect(pixel(7)).toEqual([...hexRgb('#66ffff'), 255]);
    expect(pixel(8)).toEqual([...hexRgb('#66ffff'), 255]);
    for (const i of [0, 1, 2, 3, 5, 6]) expect(pixel(i), `pixel ${i}`).toEqual(Array.from(base.slice(i * 4, i * 4 + 4)));
    expect(Array.from(overlayRgba(values, 3, 3, { colourMap: 'positive', opacity: 0.6, contours: null }))).toEqual(
      Array.from(positiveRgba(values, { opacity: 0.6 })),
    );
    expect(() => overlayRgba(values, 2, 2, { colourMap: 'diverging', opacity: 1, contours: null })).toThrow(/not 2×2/);
  });

  it('mask layers: every pixel of any mask in the colour at alpha 230', () => {
    expect(
      Array.from(
        maskRgba(
          [
            [1, 0, 0],
            [0, 0, 1],
          ],
          '#ffd400',
          3,
        ),
      ),
    ).toEqual([255, 212, 0, 230, 0, 0, 0, 0, 255, 212, 0, 230]);
    expect(hexRgb('#0a0B0c')).toEqual([10, 11, 12]);
    expect(() => hexRgb('red')).toThrow();
  });
});

describe('Table 3', () => {
  it('mean ± std per lesion and union from the shared table3, the best model per column, the noise control last', () => {
    const fs = explanation('IWNE-FS', 'fs', {
      summary: { MA: region([0.25, 0.125], [0.0625, 0]), union: region([0.5, 0.25], [0.125, 0]) },
    });
    const cl = explanation('IWNE-CL', 'cl', {
      summary: { MA: region([0.375, 0.125], [0.0625, 0]), union: region([0.5, 0.1], [0.125, 0]) },
    });
    const t = table3Model([cl, fs], 'rma', 'sum,pos');
    expect(t.title).toBe('Relevance mass accuracy (RMA)');
    expect(t.columns).toEqual([
      { region: 'MA', label: 'MA (n = 2)' },
      { region: 'HE', label: 'HE' },
      { region: 'EX', label: 'EX' },
      { region: 'union', label: 'Union (n = 2)' },
    ]);
    expect(t.rows).toEqual([
      {
        key: 'IWNE-FS-0',
        label: 'IWNE-FS',
        strategy: 'IWNE-FS',
        control: false,
        cells: [
          { text: '0.250 ± 0.125', best: false },
          { text: '—', best: false },
          { text: '—', best: false },
          { text: '0.500 ± 0.250', best: true },
        ],
      },
      {
        key: 'IWNE-CL-1',
        label: 'IWNE-CL',
        strategy: 'IWNE-CL',
        control: false,
        cells: [
          { text: '0.375 ± 0.125', best: true },
          { text: '—', best: false },
          { text: '—', best: false },
          { text: '0.500 ± 0.100', best: true },
        ],
      },
      {
        key: 'noise-2',
        label: 'Gaussian noise (control)',
        strategy: null,
        control: true,
        cells: [
          { text: '0.063 ± 0.000', best: false },
          { text: '—', best: false },
          { text: '—', best: false },
          { text: '0.125 ± 0.000', best: false },
        ],
      },
    ]);
    // another pooling and the other metric read other numbers
    expect(table3Model([cl, fs], 'rma', 'max-norm').rows[0]!.cells[0]!.text).toBe('0.500 ± 0.125');
    expect(table3Model([cl, fs], 'rra', 'sum,pos').rows.map((r) => r.cells[0]!.text)).toEqual([
      '0.250 ± 0.000',
      '0.250 ± 0.000',
      '0.250 ± 0.000',
    ]);
    expect(table3Model([cl, fs], 'rra', 'sum,pos').title).toBe('Relevance rank accuracy (RRA)');
  });
});

describe('command', () => {
  it('all runs together, images only when set', () => {
    expect(explainCommand('/s', ['fs', 'cl'], 'idrid', null)).toBe('npx funduslab explain --study /s --runs fs,cl --dataset idrid');
    expect(explainCommand('/my study', ['fs'], 'idrid', 5)).toBe(
      "npx funduslab explain --study '/my study' --runs fs --dataset idrid --images 5",
    );
  });
});

describe('results of outdated runs', () => {
  const outdated: RunStanding = { outdated: true, reasons: ['epochs 1 → 2'], identityComplete: true, note: null };
  const old = explanation('IWNE-FS', 'iwne-fs-old');
  const cl = explanation('IWNE-CL', 'iwne-cl-r');
  const gone = explanation('IFI-FS', 'ifi-fs-gone');
  const runs = [{ ...runSummary('iwne-fs-old', 1), standing: outdated }, runSummary('iwne-cl-r', 1)];

  it('leaves the results of outdated and missing runs out by default and names them in the notice', () => {
    const s = explanationsByStanding([old, cl, gone], runs, false);
    expect(s.shown).toEqual([cl]);
    expect(s.excluded).toBe(
      '2 explanation results of outdated runs are left out of Fig 5 and Table 3: iwne-fs-old (epochs 1 → 2); ifi-fs-gone (no longer in the study).',
    );
    expect(explanationGroups(s.shown, runs).map((g) => g.label)).toEqual(['idrid · 100 % · seed 0 — IWNE-CL']);
  });

  it('includes them with the toggle, marked with the chip and the line', () => {
    const s = explanationsByStanding([old, cl, gone], runs, true);
    expect(s.shown).toEqual([old, cl, gone]);
    expect(s.excluded).toBeNull();
    expect(s.included).toBe(
      '2 explanation results of outdated runs are included and marked "Outdated": computed from runs that no longer match the grid.',
    );
    const groups = explanationGroups(s.shown, runs);
    expect(
      groups.map((g) => outdatedExplanations(g, s.marks).map((m) => [m.key, m.label, m.outdated.chip.label, m.outdated.line])),
    ).toEqual([
      [['iwne-fs-old__idrid', 'IWNE-FS (iwne-fs-old)', 'Outdated', 'computed from an outdated run: epochs 1 → 2']],
      [['ifi-fs-gone__idrid', 'IFI-FS (ifi-fs-gone)', 'Outdated', 'computed from a run no longer in the study: ifi-fs-gone']],
    ]);
  });

  it('leaves the results of current runs unaffected', () => {
    const s = explanationsByStanding([cl], runs.slice(1), false);
    expect(s).toEqual({ shown: [cl], marks: new Map(), excluded: null, included: null, anyOutdated: false });
    expect(outdatedExplanations(explanationGroups(s.shown, runs)[0]!, s.marks)).toEqual([]);
  });
});
