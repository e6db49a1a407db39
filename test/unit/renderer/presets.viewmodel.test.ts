/**
 * The study wizard's presets (src-renderer/features/training/study-wizard/presets.viewmodel.ts): Quick try fits the
 * chosen dataset within 10 minutes of estimate (demo sizes, a 3,000-image set; honest when it cannot), Paper is the
 * paper's documented set-up, and a form matches a preset or is Custom.
 */
import { describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract';
import { defaultBench } from '../../../src-shared/estimate';
import { DEFAULT_HYPER, INITIAL_GRID_FORM, type GridForm } from '../../../src-renderer/features/training/study-wizard/grid-form.viewmodel';
import { buildGridSpec } from '../../../src-renderer/features/training/study-wizard/grid-spec.viewmodel';
import {
  QUICK_BUDGET_SECONDS,
  applyPreset,
  matchingPreset,
  paperPreset,
  presetChanges,
  presetEstimateText,
  presetSummary,
  quickTryConfig,
  quickTryPreset,
  type PresetContext,
} from '../../../src-renderer/features/training/study-wizard/presets.viewmodel';
import { defaultAnalyses, studyEstimate } from '../../../src-renderer/features/training/study-wizard/study-wizard.viewmodel';
import { STRATEGY_ORDER } from '../../../src-shared/training';
import { readableDataset } from './dataset-fixture';

/** A graded EyePACS-layout set: `train` and `test` images, every grade equally often, preprocessed at `size` px. */
function graded(id: string, train: number, test: number, size: number): DatasetSummary {
  const grades = (n: number) => Object.fromEntries([0, 1, 2, 3, 4].map((g) => [String(g), n / 5]));
  return readableDataset(id, {
    items: train + test,
    settings: { inputSize: size, overlaySize: Math.max(size, 128), cropThreshold: 15, jpegQuality: 92 } as never,
    grades: grades(train + test),
    splits: { train, test },
    perSplitGrade: { train: grades(train), test: grades(test) },
  });
}
/** An IDRiD-segmentation-layout set: ungraded images with lesion masks. */
function masked(id: string, images: number, size: number): DatasetSummary {
  return readableDataset(id, {
    items: images,
    settings: { inputSize: size, overlaySize: Math.max(size, 128), cropThreshold: 15, jpegQuality: 92 } as never,
    grades: { ungraded: images },
    splits: { none: images },
    perSplitGrade: { none: { ungraded: images } },
    masks: { MA: images, HE: images, EX: images },
  });
}

/** The wizard's answers on `datasets` training on the first, all four strategies (the most work), with its default analyses. */
function context(datasets: DatasetSummary[], strategies = [...STRATEGY_ORDER]): PresetContext {
  const form: GridForm = { ...INITIAL_GRID_FORM, datasetId: datasets[0]!.id, strategies };
  return { form, analyses: defaultAnalyses(datasets, datasets[0]!.id), datasets, measured: null };
}

/** The whole study's estimate with a preset applied, with the default speed of its model. */
function estimateWith(ctx: PresetContext, values: ReturnType<typeof paperPreset>): number {
  const applied = applyPreset(ctx.form, ctx.analyses, values);
  const bench = defaultBench(values.arch, Number(values.inputSize));
  return studyEstimate(buildGridSpec(applied.form), applied.analyses, ctx.datasets, bench).estimate!.totalSeconds;
}

// The app's demo data (Datasets → Add the demo data) and the demo study's (npm run demo).
const appDemo = [graded('eyepacs-demo', 120, 40, 64), masked('idrid-demo', 6, 64)];
const studyDemo = [graded('eyepacs-demo', 320, 100, 64), masked('idrid-demo', 12, 64)];

describe('Quick try', () => {
  it('fits the demo data: its input size, the reduced ResNet18, the richest settings within 10 min', () => {
    for (const datasets of [appDemo, studyDemo]) {
      const ctx = context(datasets);
      const quick = quickTryPreset(ctx)!;
      expect(quick.fits).toBe(true);
      expect(quick.measured).toBe(false);
      expect(quick.seconds).toBeLessThanOrEqual(QUICK_BUDGET_SECONDS);
      expect(estimateWith(ctx, quick.values)).toBe(quick.seconds); // the estimate the wizard shows
      expect(quick.values).toMatchObject({ arch: 'resnet18-w8', inputSize: '64', batchSize: '32', seeds: [0] });
      // The analyses' counts fit the demo test split and the masked set.
      expect(Number(quick.values.spectraImages)).toBeLessThanOrEqual(datasets === appDemo ? 40 : 64);
      expect(Number(quick.values.explainImages)).toBeLessThanOrEqual(datasets === appDemo ? 6 : 12);
    }
    // The app's demo data: the richest rung (20 epochs, three label fractions) fits.
    expect(quickTryPreset(context(appDemo))!.values).toMatchObject({
      iwneEpochs: '20',
      ifiEpochs: '10',
      mocoEpochs: '20',
      fractions: [0.25, 0.5, 1],
      spectraImages: '40',
      robustnessImages: '40',
      explainImages: '6',
    });
  });

  it('fits a 3,000-image dataset at 64 px with fewer epochs, and takes every rung it can', () => {
    const ctx = context([graded('eyepacs-3k', 2500, 500, 64), masked('idrid', 81, 64)]);
    const quick = quickTryPreset(ctx)!;
    expect(quick.fits).toBe(true);
    expect(quick.seconds).toBeLessThanOrEqual(QUICK_BUDGET_SECONDS);
    expect(Number(quick.values.iwneEpochs)).toBeLessThan(20);
    expect(Number(quick.values.iwneEpochs)).toBeGreaterThanOrEqual(1);
    // The next richer rung would not fit: Quick try uses the budget, it does not stop at the smallest settings.
    const richer = {
      ...quick.values,
      iwneEpochs: String(Number(quick.values.iwneEpochs) + 2),
      mocoEpochs: String(Number(quick.values.mocoEpochs) + 2),
    };
    expect(estimateWith(ctx, richer)).toBeGreaterThan(quick.seconds! * 1.05);
  });

  it('says so when even its smallest settings take longer than 10 min (3,000 images at 224 px, four strategies), and takes the smallest', () => {
    const ctx = context([graded('big', 2500, 500, 224), masked('idrid', 81, 224)]);
    const quick = quickTryPreset(ctx)!;
    expect(quick.fits).toBe(false);
    expect(quick.seconds).toBeGreaterThan(QUICK_BUDGET_SECONDS);
    expect(quick.values).toMatchObject({ inputSize: '224', batchSize: '32', iwneEpochs: '1', ifiEpochs: '1', fractions: [1] });
    expect(quick.values).toMatchObject({ spectraImages: '16', robustnessImages: '10', explainImages: '3' });
    // IWNE-FS alone fits at that size.
    expect(quickTryPreset(context(ctx.datasets as DatasetSummary[], ['IWNE-FS']))!.fits).toBe(true);
    expect(presetEstimateText(quick.seconds, false, true)).toMatch(/Even Quick try's smallest settings .* take longer than 10 min/);
  });

  it('uses the measured speed when there is one', () => {
    const ctx = context(studyDemo);
    const slow = defaultBench('resnet18-w8', 64);
    const measured = { ...slow, trainMsPerImage: slow.trainMsPerImage * 20, forwardMsPerImage: slow.forwardMsPerImage * 20 };
    const quick = quickTryPreset({ ...ctx, measured })!;
    expect(quick.measured).toBe(true);
    expect(Number(quick.values.iwneEpochs)).toBeLessThan(Number(quickTryPreset(ctx)!.values.iwneEpochs));
    expect(presetEstimateText(quick.seconds, true, !quick.fits)).toMatch(/measured on this computer/);
  });

  it('needs a training dataset: no Quick try (and no model to measure) before one is chosen', () => {
    const ctx = context(appDemo);
    expect(quickTryPreset({ ...ctx, form: { ...ctx.form, datasetId: '' } })).toBeNull();
    expect(quickTryConfig({ datasetId: '' }, appDemo)).toBeNull();
    expect(quickTryConfig({ datasetId: 'eyepacs-demo' }, appDemo)).toEqual({ arch: 'resnet18-w8', inputSize: 64, batchSize: 32 });
    expect(quickTryConfig({ datasetId: 'big' }, [graded('big', 10, 10, 512)])).toEqual({
      arch: 'resnet18-w8',
      inputSize: 512,
      batchSize: 16,
    });
  });
});

describe('Paper', () => {
  it('is the documented paper set-up, with the analysis counts of the study plan clamped to the datasets', () => {
    const big = context([graded('eyepacs', 30_000, 5_000, 224), masked('idrid', 81, 224)]);
    expect(paperPreset(big)).toEqual({
      arch: 'resnet50',
      inputSize: '224',
      batchSize: '32',
      iwneEpochs: '500',
      iwneLr: '0.0001',
      ifiEpochs: '50',
      ifiLr: '0.001',
      mocoEpochs: '200',
      mocoLr: '0.03',
      mocoQueue: '65536',
      fractions: [0.1, 0.2, 0.5, 1],
      seeds: [0],
      spectraImages: '256',
      robustnessImages: '200',
      explainImages: '',
    });
    expect(paperPreset(big)).toMatchObject(DEFAULT_HYPER);
    // On the demo data the counts are what its test split holds.
    expect(paperPreset(context(appDemo))).toMatchObject({ spectraImages: '40', robustnessImages: '40', explainImages: '' });
  });
});

describe('matching and changes', () => {
  it('a form matches the preset it was set to, and is Custom after an edit', () => {
    const ctx = context(appDemo);
    const quick = quickTryPreset(ctx)!.values;
    const paper = paperPreset(ctx);
    const candidates = [
      ['quick', quick],
      ['paper', paper],
    ] as const;
    const asQuick = applyPreset(ctx.form, ctx.analyses, quick);
    expect(matchingPreset(asQuick.form, asQuick.analyses, candidates)).toBe('quick');
    const asPaper = applyPreset(ctx.form, ctx.analyses, paper);
    expect(matchingPreset(asPaper.form, asPaper.analyses, candidates)).toBe('paper');
    // The same number written otherwise is the same setting.
    expect(matchingPreset({ ...asPaper.form, iwneLr: '1e-4' }, asPaper.analyses, candidates)).toBe('paper');
    expect(matchingPreset({ ...asPaper.form, iwneEpochs: '499' }, asPaper.analyses, candidates)).toBe('custom');
    expect(matchingPreset(asQuick.form, { ...asQuick.analyses, spectra: { ...asQuick.analyses.spectra, images: '8' } }, candidates)).toBe(
      'custom',
    );
    // The count of an analysis that is switched off does not matter.
    const off = { ...asQuick.analyses, spectra: { ...asQuick.analyses.spectra, enabled: false, images: '8' } };
    expect(matchingPreset(asQuick.form, off, candidates)).toBe('quick');
  });

  it('lists what choosing a preset changes, and nothing when the form already matches', () => {
    const ctx = context(appDemo);
    const quick = applyPreset(ctx.form, ctx.analyses, quickTryPreset(ctx)!.values);
    const paper = paperPreset(ctx);
    const changes = presetChanges(quick.form, quick.analyses, paper);
    expect(changes).toContainEqual({ label: 'Architecture', from: 'resnet18-w8', to: 'resnet50' });
    expect(changes).toContainEqual({ label: 'Input size (px)', from: '64', to: '224' });
    expect(changes).toContainEqual({ label: 'IWNE epochs', from: '20', to: '500' });
    expect(changes).toContainEqual({ label: 'Label fractions', from: '25 %, 50 %, 100 %', to: '10 %, 20 %, 50 %, 100 %' });
    expect(changes).toContainEqual({ label: 'Explanation images', from: '6', to: 'every image' });
    expect(changes.map((c) => c.label)).not.toContain('Spectra images'); // 40 both: the test split holds 40
    const asPaper = applyPreset(quick.form, quick.analyses, paper);
    expect(presetChanges(asPaper.form, asPaper.analyses, paper)).toEqual([]);
    // Only what the chosen strategies use counts: IWNE-FS alone has no IFI or MoCo settings to change or to match.
    const iwne = { ...quick.form, strategies: ['IWNE-FS' as const] };
    expect(presetChanges(iwne, quick.analyses, paper).map((c) => c.label)).not.toContain('IFI epochs');
    expect(presetChanges(iwne, quick.analyses, paper).map((c) => c.label)).not.toContain('MoCo epochs');
    const stored = { ...iwne, ifiEpochs: '50', mocoEpochs: '200' }; // a grid read back fills them with the paper's defaults
    expect(matchingPreset(stored, quick.analyses, [['quick', quickTryPreset(ctx)!.values]])).toBe('quick');
    expect(presetSummary(paper, ['IWNE-FS', 'IWNE-CL'])).toBe(
      'resnet50 at 224 px · IWNE 500 epochs · MoCo 200 epochs · fractions 10 %, 20 %, 50 %, 100 % · seed 0',
    );
  });
});
