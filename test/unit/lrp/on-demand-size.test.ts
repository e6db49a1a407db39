/**
 * Explaining a run on a dataset imported at another input size: with `preprocessOnDemand` (what
 * `funduslab explain` asks for) the chosen images and their lesion masks are preprocessed at the
 * run's size into the dataset's cache. Oracle: the same synthetic IDRiD-layout source imported
 * directly at the run's size — byte-identical cache files (images and masks) and the same heatmaps,
 * RMA and RRA (1e-6).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { explainRun } from '../../../src-main/analysis/lrp/service';
import { runExplain } from '../../../src-main/cli/commands/explain';
import { initEngine } from '../../../src-main/engine/backend';
import type { ResNet } from '../../../src-main/engine/models/resnet';
import { writeIdridDemo } from '../../../src-main/services/demo';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import type { OnDemandPreprocessing } from '../../../src-main/services/datasets/at-input-size';
import { captureOutput } from '../../support/cli';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { makeStudy, readManifest } from '../../support/studies';
import { writeRandomRun } from './service-helpers';

const S = 48;
let study: string;
let model: ResNet;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  const source = await tempDir('idrid-demand');
  await writeIdridDemo(source, { images: 3, size: 96, seed: 3 });
  study = await makeStudy();
  const settings = { inputSize: 64, overlaySize: 64 };
  for (const [id, inputSize] of [
    ['idrid', 64],
    ['idrid48', S],
  ] as const)
    await importDataset(
      { type: 'idrid-seg', path: path.join(source, 'idrid'), id, settings: { ...settings, inputSize }, concurrency: 2 },
      study,
      recordingContext(),
    );
  model = await writeRandomRun(study, 'r48', 'resnet18-w8', S, 5);
}, 120_000);

afterAll(() => model?.dispose());
afterEach(() => vi.restoreAllMocks());

/** Every number of `a` within `tol` of the one at the same place in `b`; everything else equal. */
function expectClose(a: unknown, b: unknown, tol: number, at = ''): void {
  if (typeof a === 'number' && typeof b === 'number') expect(Math.abs(a - b), at).toBeLessThanOrEqual(tol);
  else if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a), at).toEqual(Object.keys(b));
    for (const k of Object.keys(a)) expectClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${at}.${k}`);
  } else expect(a, at).toEqual(b);
}

describe('explain on a dataset imported at another input size', () => {
  it('funduslab explain preprocesses the images and masks at the run size and says so in --json', async () => {
    const io = captureOutput();
    expect(await runExplain(['--study', study, '--runs', 'r48', '--dataset', 'idrid', '--json'])).toBe(0);
    const printed = JSON.parse(io.out()) as { preprocessed: OnDemandPreprocessing[] };
    expect(printed.preprocessed).toEqual([
      expect.objectContaining({ datasetId: 'idrid', fromSize: 64, inputSize: S, images: 3, preprocessed: 3, reused: 0 }),
    ]);
    expect(printed.preprocessed[0]!.masks).toBeGreaterThan(0);
    expect(io.err()).toContain(`preprocessed 3 images at ${S} px`);
  });

  it('gives the heatmaps and scores of a dataset imported at that size, from byte-identical cache files', async () => {
    const direct = await explainRun({ runId: 'r48', datasetId: 'idrid48' }, study, recordingContext());
    const reports: OnDemandPreprocessing[] = [];
    const onDemand = await explainRun({ runId: 'r48', datasetId: 'idrid' }, study, recordingContext(), {
      preprocessOnDemand: true,
      onPreprocessed: (r) => reports.push(r),
    });
    expect(reports).toEqual([expect.objectContaining({ preprocessed: 0, reused: 3, masks: 0 })]);
    expect(onDemand.dataset.inputSize).toBe(S);
    expectClose(onDemand.images, direct.images, 1e-6);
    expectClose(onDemand.summary, direct.summary, 1e-6);
    for (const img of direct.images) {
      const file = `${String(img.index).padStart(5, '0')}.f32`;
      const a = await fsp.readFile(path.join(study, 'explanations', direct.name, 'heatmaps', file));
      const b = await fsp.readFile(path.join(study, 'explanations', onDemand.name, 'heatmaps', file));
      expect(b.equals(a), file).toBe(true);
    }
    const imported = await readManifest(study, 'idrid48');
    let files = 0;
    for (const item of imported.items) {
      for (const rel of [item.cache!.input, ...Object.values(item.masks ?? {}).map((m) => m.cache!.input)]) {
        const a = await fsp.readFile(path.join(study, 'datasets', 'idrid48', rel));
        const b = await fsp.readFile(path.join(study, 'datasets', 'idrid', rel));
        expect(b.equals(a), rel).toBe(true);
        files++;
      }
    }
    expect(files).toBeGreaterThan(3);
    expect((await readManifest(study, 'idrid')).settings.inputSize).toBe(64);
  });

  it('still refuses without the option', async () => {
    await expect(explainRun({ runId: 'r48', datasetId: 'idrid' }, study, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/was preprocessed at 64 px/),
    });
  });
});
