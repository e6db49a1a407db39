/**
 * The estimate's default speed (src-shared/estimate.ts defaultBench), used before the chosen model is measured: calibrated on the demo
 * study, and larger models and inputs cost more.
 */
import { describe, expect, it } from 'vitest';
import { defaultBench, estimateStudy } from '../../../src-shared/estimate';
import { GridSpec } from '../../../src-shared/grid';
import { demoPlan } from '../../../src-main/study-run/demo-study';

describe('the default speed', () => {
  it('puts the demo study (resnet18-w8 at 64 px) at about 6 minutes, as `npm run demo` takes 7 to 8 with data and report', () => {
    const scale = {
      patients: 160,
      testPatients: 50,
      idridImages: 12,
      texturesPerClass: 30,
      inputSize: 64,
      fractions: [0.25, 0.5, 1],
      iwneEpochs: 20,
      ifiEpochs: 10,
      mocoEpochs: 20,
      standinEpochs: { supervised: 8, moco: 10 },
      spectraImages: 64,
      robustnessImages: 40,
      severities: [1, 2, 3, 4, 5],
    };
    const plan = demoPlan('/demo', scale, { imagenet: 'in.pth', moco: 'moco.pth' }, 'resnet18-w8');
    const estimate = estimateStudy({
      grid: GridSpec.parse(plan.grid),
      // Two eyes per patient; the IDRiD-layout images are ungraded.
      datasets: [
        { id: 'eyepacs-demo', splits: { train: 320, test: 100 }, graded: { train: 320, test: 100 }, masked: 0 },
        { id: 'idrid-demo', splits: { none: 12 }, graded: { none: 0 }, masked: 12 },
      ],
      evaluate: [{ datasetId: 'eyepacs-demo', split: 'test' }],
      spectra: { datasetId: 'eyepacs-demo', images: 64 },
      robustness: { datasetId: 'eyepacs-demo', images: 40, severities: [1, 2, 3, 4, 5] },
      explain: { datasetId: 'idrid-demo' },
      bench: defaultBench('resnet18-w8', 64),
    });
    expect(estimate.totalSeconds / 60).toBeGreaterThan(4.5);
    expect(estimate.totalSeconds / 60).toBeLessThan(7.5);
  });

  it('costs more for larger models and inputs', () => {
    const small = defaultBench('resnet18-w8', 64);
    for (const [arch, size] of [
      ['resnet18-w8', 128],
      ['resnet18', 64],
      ['resnet50', 224],
    ] as const) {
      const b = defaultBench(arch, size);
      expect(b.forwardMsPerImage).toBeGreaterThan(small.forwardMsPerImage);
      expect(b.trainMsPerImage).toBeGreaterThan(b.forwardMsPerImage);
    }
    // The paper's model on 2 CPU cores: a few hundred ms per image forward, about 3× that per training step.
    const paper = defaultBench('resnet50', 224);
    expect(paper.forwardMsPerImage).toBeGreaterThan(200);
    expect(paper.forwardMsPerImage).toBeLessThan(1000);
    expect(defaultBench('resnet18-w8', 128).augmentFsMsPerImage).toBe(4 * small.augmentFsMsPerImage); // pixels
  });
});
