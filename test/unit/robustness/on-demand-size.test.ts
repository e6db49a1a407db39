/**
 * Robustness of a run on a dataset imported at another input size: with `preprocessOnDemand` (what
 * `funduslab robustness` asks for) the chosen images are preprocessed at the run's size first, and
 * every cell equals the one on the same source imported directly at that size (1e-6).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runRobustness } from '../../../src-main/analysis/robustness/service';
import { runRobustness as runRobustnessCommand } from '../../../src-main/cli/commands/robustness';
import { initEngine } from '../../../src-main/engine/backend';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import type { OnDemandPreprocessing } from '../../../src-main/services/datasets/at-input-size';
import { detachedContext } from '../../../src-main/job-context';
import { captureOutput } from '../../support/cli';
import { recordingContext } from '../../support/job-context';
import { evalStudy, readManifest, trainTiny } from '../../support/studies';

const S = 48;
let study: string;
const request = {
  runIds: ['fs48'],
  corruptions: ['gaussian_noise', 'contrast'] as ('gaussian_noise' | 'contrast')[],
  severities: [1, 5],
  images: 10,
};

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  await trainTiny(study, 'fs48', { inputSize: S });
  const imported = await readManifest(study, 'demo-eval');
  await importDataset(
    { type: 'eyepacs', path: imported.source, id: 'eval48', settings: { ...imported.settings, inputSize: S }, concurrency: 2 },
    study,
    detachedContext(),
  );
}, 180_000);

afterEach(() => vi.restoreAllMocks());

describe('robustness on a dataset imported at another input size', () => {
  it('funduslab robustness preprocesses the images at the run size and says so in --json', async () => {
    const io = captureOutput();
    const args = [
      '--study',
      study,
      '--runs',
      'fs48',
      '--dataset',
      'demo-eval',
      '--images',
      '10',
      '--corruptions',
      'gaussian_noise',
      '--severities',
      '1',
    ];
    expect(await runRobustnessCommand([...args, '--json'])).toBe(0);
    const printed = JSON.parse(io.out()) as { preprocessed: OnDemandPreprocessing };
    expect(printed.preprocessed).toMatchObject({ datasetId: 'demo-eval', fromSize: 64, inputSize: S, images: 10, preprocessed: 10 });
    expect(io.err()).toContain(`preprocessed 10 images at ${S} px`);
  });

  it('gives the cells of a dataset imported at that size', async () => {
    const direct = await runRobustness({ ...request, datasetId: 'eval48' }, study, recordingContext());
    const reports: OnDemandPreprocessing[] = [];
    const onDemand = await runRobustness({ ...request, datasetId: 'demo-eval' }, study, recordingContext(), {
      preprocessOnDemand: true,
      onPreprocessed: (r) => reports.push(r),
    });
    expect(reports).toEqual([expect.objectContaining({ images: 10, preprocessed: 0, reused: 10 })]);
    const cells = (r: typeof direct) => r.models[0]!.cells;
    expect(cells(onDemand)).toHaveLength(cells(direct).length);
    cells(direct).forEach((c, i) => {
      const d = cells(onDemand)[i]!;
      expect([d.corruption, d.severity]).toEqual([c.corruption, c.severity]);
      expect(Math.abs(d.meanTrueClassProbability - c.meanTrueClassProbability), `${c.corruption} ${c.severity}`).toBeLessThan(1e-6);
      expect(Math.abs((d.auc ?? -1) - (c.auc ?? -1))).toBeLessThan(1e-6);
    });
  });

  it('still refuses without the option', async () => {
    await expect(runRobustness({ ...request, datasetId: 'demo-eval' }, study, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/was preprocessed at 64 px but run "fs48" trained at 48 px/),
    });
  });
});
