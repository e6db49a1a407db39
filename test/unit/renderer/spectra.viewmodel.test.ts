/**
 * The Spectra page's view models on hand-made spectra results with exact expected outputs: Fig 3a
 * rows (κ per layer from the shared fig3aPanels: null κ left out, log domain in decades, FS solid /
 * CL dashed, IWNE and IFI panels), decade ticks and their labels, Fig 3b (the shared fig3bPanels'
 * mirrored density and tails with a break at 0, the tail zoom for short spectra, nice linear axes),
 * Table 2 formatted as the report formats it, the grouping of results, the commands and the summary.
 */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-shared/contract';
import type { RunStanding } from '../../../src-shared/run-identity';
import { SPECTRA_SCHEMA_VERSION, type SpectraResult } from '../../../src-shared/spectra';
import type { TrainingStrategy } from '../../../src-shared/training';
import {
  decadeTicks,
  fig3aCharts,
  fig3bCharts,
  formatKappa,
  formatPowerOfTen,
  outdatedSpectra,
  seriesStrategy,
  spectraByStanding,
  spectraCommands,
  spectraGroups,
  spectraPlaceholderCommand,
  spectraSummary,
  table2Model,
  tailZoomFrom,
} from '../../../src-renderer/features/spectra/spectra.viewmodel';

interface Over {
  runId?: string;
  fraction?: number;
  seed?: number;
  datasetId?: string;
  kappas?: (number | null)[];
  density?: number[];
  kurtosis?: number;
  fits?: SpectraResult['firstLayer']['fits'];
  best?: string | null;
  paretoAlpha?: number | null;
}

function spectra(strategy: TrainingStrategy, o: Over = {}): SpectraResult {
  const kappas = o.kappas ?? [2, 4];
  const density = o.density ?? [0.1, 0.15, 0.25, 0.25, 0.15, 0.1];
  const k = density.length / 2;
  const runId = o.runId ?? `${strategy.toLowerCase()}-r`;
  const fit = (distribution: SpectraResult['firstLayer']['fits'][number]['distribution'], rss: number) => ({
    distribution,
    names: ['loc', 'scale'],
    params: [0, 1],
    logLikelihood: -1,
    rss,
    method: 'closed-form' as const,
    iterations: 0,
    converged: true,
    pdfAtCentres: [],
  });
  return {
    schemaVersion: SPECTRA_SCHEMA_VERSION,
    name: `${runId}__${o.datasetId ?? 'demo'}`,
    n: 12,
    inputSize: 64,
    k: 100,
    percentiles: { high: 99.9, low: 90 },
    bins: k,
    gramPrecision: 'float64',
    backend: 'wasm',
    layers: kappas.map((kappa, i) => ({
      name: i === 0 ? 'conv1' : `layer1.${i}.bn1`,
      kind: i === 0 ? 'conv' : 'bn',
      moduleIndex: i,
      shape: [8, 8, 4],
      features: 256,
      constantFeatures: 0,
      k: 11,
      eigenvalues: [],
      kappa,
      pHigh: 1,
      pLow: 1,
    })),
    firstLayer: {
      layer: 'conv1',
      eigenvalues: [],
      mirrored: { x: [...Array.from({ length: k }, (_, i) => -k + i), ...Array.from({ length: k }, (_, i) => i + 1)], density },
      kurtosis: o.kurtosis ?? -1.25,
      fitSample: { values: [], weights: [] },
      histogram: { edges: [], centres: [], density: [] },
      fits: o.fits ?? [fit('expon', 0.001), fit('norm', 0.002)],
      failed: [],
      best: o.best === undefined ? 'expon' : o.best,
      paretoAlpha: o.paretoAlpha === undefined ? null : o.paretoAlpha,
    },
    timings: { dataMs: 0, forwardMs: 0, gramMs: 0, eigenMs: 0, fitMs: 0, totalMs: 0, forwardPasses: 1 },
    run: {
      runId,
      strategy,
      fraction: o.fraction ?? 1,
      seed: o.seed ?? 0,
      arch: 'resnet18-w8',
      normalisation: { mean: [0, 0, 0], std: [1, 1, 1], source: 'dataset' },
    },
    dataset: { datasetId: o.datasetId ?? 'demo', split: 'test', available: 40, seed: 0, imageIds: [] },
    created: '2026-01-02T03:04:05.000Z',
  };
}

describe('Fig 3a', () => {
  it('κ per layer as rows (null κ left out), decades on a log axis, one panel per initialisation, FS solid and CL dashed', () => {
    const charts = fig3aCharts([
      spectra('IWNE-FS', { kappas: [2, 20, null, 5] }),
      spectra('IWNE-CL', { kappas: [3, 30, 300] }),
      spectra('IFI-FS', { kappas: [1.5, 1.5] }),
    ]);
    expect(charts.map((c) => c.key)).toEqual(['fig3a-IWNE', 'fig3a-IFI']);
    const [iwne, ifi] = charts;
    expect(iwne!.data).toEqual([
      { x: 0, s0: 2, s1: 3 },
      { x: 1, s0: 20, s1: 30 },
      { x: 2, s1: 300 },
      { x: 3, s0: 5 },
    ]);
    expect(iwne!.series).toEqual([
      { key: 's0', strategy: 'IWNE-FS', label: 'IWNE-FS (f 1, s 0)', dash: undefined },
      { key: 's1', strategy: 'IWNE-CL', label: 'IWNE-CL (f 1, s 0)', dash: '7 4' },
    ]);
    expect(iwne!.yDomain).toEqual([1, 1000]);
    expect(iwne!.yTicks).toEqual([1, 10, 100, 1000]);
    expect(iwne!.yScale).toBe('log');
    expect(iwne!.xTicks).toEqual([0, 1, 3]);
    expect(iwne!.xDomain).toEqual([0, 3]);
    expect(iwne!.xNames).toEqual(['conv1', 'layer1.1.bn1', 'layer1.2.bn1', 'layer1.3.bn1']);
    expect(iwne!.title).toBe('IWNE: condition number per layer');
    expect(iwne!.description).toBe(
      'IWNE: condition number per layer, log scale. IWNE-FS (f 1, s 0): κ from 2 to 20 over 3 layers. IWNE-CL (f 1, s 0): κ from 3 to 300 over 3 layers.',
    );
    // all κ in one decade boundary: the shared domain [1, 1] widens to one decade
    expect(ifi!.yDomain).toEqual([1, 10]);
    expect(ifi!.yTicks).toEqual([1, 10]);
    expect(ifi!.xTicks).toEqual([0, 1]);
  });

  it('decade ticks (every second decade beyond 7) and their labels', () => {
    expect(decadeTicks(0.1, 100)).toEqual([0.1, 1, 10, 100]);
    expect(decadeTicks(0.01, 1e6)).toEqual([0.01, 1, 100, 10000, 1000000]);
    expect([0.01, 0.1, 1, 10, 1000, 1e4, 1e12, 1e-3].map(formatPowerOfTen)).toEqual([
      '0.01',
      '0.1',
      '1',
      '10',
      '1000',
      '10⁴',
      '10¹²',
      '10⁻³',
    ]);
    expect([1.23456, 12345.6, null].map(formatKappa)).toEqual(['1.23', '1.23e+4', '—']);
  });

  it('names the strategy of a shared series', () => {
    expect(seriesStrategy('IWNE-FS (f 1, s 0)')).toBe('IWNE-FS');
    expect(seriesStrategy('IFI-CL (kurtosis 1.00)')).toBe('IFI-CL');
    expect(() => seriesStrategy('other')).toThrow(/does not name a strategy/);
  });
});

describe('Fig 3b', () => {
  it('the mirrored density, then the tails with a break at 0, on nice linear axes', () => {
    const [full, tail] = fig3bCharts([
      spectra('IWNE-FS'),
      spectra('IWNE-CL', { density: [0.05, 0.15, 0.3, 0.3, 0.15, 0.05], kurtosis: 0.5 }),
    ]);
    expect(full!.data).toEqual([
      { x: -3, s0: 0.1, s1: 0.05 },
      { x: -2, s0: 0.15, s1: 0.15 },
      { x: -1, s0: 0.25, s1: 0.3 },
      { x: 1, s0: 0.25, s1: 0.3 },
      { x: 2, s0: 0.15, s1: 0.15 },
      { x: 3, s0: 0.1, s1: 0.05 },
    ]);
    expect(full!.series.map((s) => [s.label, s.dash])).toEqual([
      ['IWNE-FS (kurtosis -1.25)', undefined],
      ['IWNE-CL (kurtosis 0.50)', '7 4'],
    ]);
    expect(full!.xTicks).toEqual([-3, -2, 0, 2, 3]);
    expect(full!.xDomain).toEqual([-3, 3]);
    // max 0.3 × 1.05 = 0.315: step 0.1
    expect([full!.yDomain, full!.yTicks, full!.yDecimals]).toEqual([[0, 0.4], [0, 0.1, 0.2, 0.3, 0.4], 1]);
    // k = 3: the tails are |rank| ≥ 2
    expect(tail!.title).toBe('Tails (|rank| ≥ 2)');
    expect(tail!.data).toEqual([
      { x: -3, s0: 0.1, s1: 0.05 },
      { x: -2, s0: 0.15, s1: 0.15 },
      { x: 0, s0: null, s1: null },
      { x: 2, s0: 0.15, s1: 0.15 },
      { x: 3, s0: 0.1, s1: 0.05 },
    ]);
    expect(tail!.xTicks).toEqual([-3, -2, 2, 3]);
    // max 0.15 × 1.05 = 0.1575: step 0.05
    expect([tail!.yDomain, tail!.yTicks, tail!.yDecimals]).toEqual([[0, 0.2], [0, 0.05, 0.1, 0.15, 0.2], 2]);
    expect(fig3bCharts([])).toEqual([]);
  });

  it('zooms on |rank| ≥ 10 (the report) from 20 eigenvalues, on the outer half below', () => {
    const withK = (k: number) => spectra('IWNE-FS', { density: Array.from({ length: 2 * k }, () => 1 / (2 * k)) });
    expect([100, 20, 19, 7, 3, 1].map((k) => tailZoomFrom([withK(k)]))).toEqual([10, 10, 10, 4, 2, 1]);
  });
});

describe('Table 2, groups, commands', () => {
  it("formats the shared table2Rows as the report does, strategies in the paper's order", () => {
    const lognorm = {
      distribution: 'lognorm' as const,
      names: ['s', 'loc', 'scale'],
      params: [0.5, -1, 2.5],
      logLikelihood: -2,
      rss: 0.00123,
      method: 'nelder-mead' as const,
      iterations: 40,
      converged: true,
      pdfAtCentres: [],
    };
    const other = (d: 'expon' | 'pareto' | 'norm', rss: number) => ({
      ...lognorm,
      distribution: d,
      names: ['loc', 'scale'],
      params: [0, 1],
      rss,
    });
    const rows = table2Model([
      spectra('IWNE-CL', {
        fits: [lognorm, other('expon', 0.002), other('pareto', 0.003), other('norm', 0.004)],
        best: 'lognorm',
        kurtosis: 1.234,
        paretoAlpha: 2.3456,
        seed: 1,
      }),
      spectra('IWNE-FS', { fits: [], best: null }),
    ]);
    expect(rows).toEqual([
      {
        key: 'iwne-fs-r__demo',
        strategy: 'IWNE-FS',
        run: 'IWNE-FS · 100 % · seed 0',
        runId: 'iwne-fs-r',
        best: '—',
        parameters: '—',
        rss: '—',
        kurtosis: '-1.25',
        paretoAlpha: '—',
        runnerUp: '—',
      },
      {
        key: 'iwne-cl-r__demo',
        strategy: 'IWNE-CL',
        run: 'IWNE-CL · 100 % · seed 1',
        runId: 'iwne-cl-r',
        best: 'lognorm',
        parameters: 's=0.5000, loc=-1.000, scale=2.500',
        rss: '1.23e-3',
        kurtosis: '1.23',
        paretoAlpha: '2.35',
        runnerUp: 'expon, pareto',
      },
    ]);
  });

  it('groups results by dataset, fraction and seed; the fullest group first, then the largest fraction', () => {
    const groups = spectraGroups([
      spectra('IWNE-CL'),
      spectra('IFI-FS', { fraction: 0.5, runId: 'ifi-half' }),
      spectra('IWNE-FS'),
      spectra('IWNE-FS', { datasetId: 'other', runId: 'fs-other' }),
    ]);
    expect(groups.map((g) => [g.key, g.label, g.results.map((r) => r.run.runId)])).toEqual([
      ['demo|1|0', 'demo · 100 % · seed 0 — IWNE-FS, IWNE-CL', ['iwne-fs-r', 'iwne-cl-r']],
      ['other|1|0', 'other · 100 % · seed 0 — IWNE-FS', ['fs-other']],
      ['demo|0.5|0', 'demo · 50 % · seed 0 — IFI-FS', ['ifi-half']],
    ]);
  });

  it('commands, one per run, with the study path quoted; and the summary', () => {
    expect(spectraCommands('/studies/my study', ['a', 'b'], 'demo-eval', 64)).toEqual([
      "npx funduslab spectra --study '/studies/my study' --run a --dataset demo-eval --images 64",
      "npx funduslab spectra --study '/studies/my study' --run b --dataset demo-eval --images 64",
    ]);
    expect(spectraPlaceholderCommand('/s')).toBe('npx funduslab spectra --study /s --run <run-id> --dataset <dataset-id>');
    expect(spectraSummary([spectra('IWNE-FS', { kappas: [2, 3, 4] })])).toBe(
      'N = 12 images of demo (test split) at 64 px; top-11 eigenvalues per layer (k requested 100); κ = |P99.9(λ)| / |P90(λ)|; 3 layers.',
    );
    expect(spectraSummary([])).toBe('');
  });
});

describe('results of outdated runs', () => {
  const current: RunStanding = { outdated: false, reasons: [], identityComplete: true, note: null };
  const outdated: RunStanding = { outdated: true, reasons: ['epochs 1 → 2', 'lr 0.002 → 0.001'], identityComplete: true, note: null };
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
  const old = spectra('IWNE-FS', { runId: 'iwne-fs-old' });
  const cl = spectra('IWNE-CL', { runId: 'iwne-cl-r' });
  const gone = spectra('IFI-FS', { runId: 'ifi-fs-gone' });
  const runs = [run('iwne-fs-old', outdated), run('iwne-cl-r', current)];

  it('leaves the results of outdated and missing runs out by default and names them in the notice', () => {
    const s = spectraByStanding([old, cl, gone], runs, false);
    expect(s.shown).toEqual([cl]);
    expect(s.marks.size).toBe(0);
    expect(s.excluded).toBe(
      '2 spectra results of outdated runs are left out of Fig 3a, Fig 3b and Table 2: iwne-fs-old (epochs 1 → 2, lr 0.002 → 0.001); ifi-fs-gone (no longer in the study).',
    );
    expect(s.included).toBeNull();
    expect(s.anyOutdated).toBe(true);
    expect(spectraGroups(s.shown).map((g) => g.label)).toEqual(['demo · 100 % · seed 0 — IWNE-CL']);
  });

  it('includes them with the toggle, each marked with the chip and its line', () => {
    const s = spectraByStanding([old, cl, gone], runs, true);
    expect(s.shown).toEqual([old, cl, gone]);
    expect(s.excluded).toBeNull();
    expect(s.included).toBe(
      '2 spectra results of outdated runs are included and marked "Outdated": computed from runs that no longer match the grid.',
    );
    const group = spectraGroups(s.shown)[0]!;
    expect(group.label).toBe('demo · 100 % · seed 0 — IWNE-FS, IWNE-CL, IFI-FS');
    expect(outdatedSpectra(group, s.marks)).toEqual([
      {
        key: 'iwne-fs-old__demo',
        label: 'IWNE-FS · 100 % · seed 0',
        outdated: {
          chip: {
            label: 'Outdated',
            reasons: 'Computed from runs that no longer match the grid: iwne-fs-old: epochs 1 → 2, lr 0.002 → 0.001',
          },
          line: 'computed from an outdated run: epochs 1 → 2, lr 0.002 → 0.001',
          runs: ['iwne-fs-old (epochs 1 → 2, lr 0.002 → 0.001)'],
        },
      },
      {
        key: 'ifi-fs-gone__demo',
        label: 'IFI-FS · 100 % · seed 0',
        outdated: {
          chip: { label: 'Outdated', reasons: 'Computed from runs that no longer match the grid: ifi-fs-gone is no longer in the study' },
          line: 'computed from a run no longer in the study: ifi-fs-gone',
          runs: ['ifi-fs-gone (no longer in the study)'],
        },
      },
    ]);
  });

  it('leaves the results of current runs as they are, and marks nothing before the runs are loaded', () => {
    for (const include of [false, true]) {
      const s = spectraByStanding([cl], runs.slice(1), include);
      expect(s).toEqual({ shown: [cl], marks: new Map(), excluded: null, included: null, anyOutdated: false });
    }
    expect(spectraByStanding([old, gone], null, false)).toEqual({
      shown: [old, gone],
      marks: new Map(),
      excluded: null,
      included: null,
      anyOutdated: false,
    });
  });
});
