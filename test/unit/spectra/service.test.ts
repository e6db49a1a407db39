/**
 * runSpectra on a study: a demo dataset and a run folder holding a (random) selected model, as a
 * finished training run leaves it. Checks the written result.json against its schema, that it is
 * the service's return value, the image choice (seeded, N capped by the split), the per-layer
 * values against computeSpectra on the same images (the same code path without the study; 1e-4 of the largest eigenvalue, float32 block
 * products),
 * that the block storage is removed, and the errors for bad input (naming the field).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpectraResult } from '../../../src-shared/spectra';
import { TrainingSpec } from '../../../src-shared/training';
import { computeSpectra, datasetFeed, runSpectra, spectraName } from '../../../src-main/analysis/spectra/service';
import { itemsAtInputSize } from '../../../src-main/services/training/data';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { exportSafetensors } from '../../../src-main/engine/weights/export';
import { detachedContext } from '../../../src-main/job-context';
import { readDatasetManifest } from '../../../src-main/services/datasets/manifest-file';
import { demoSpec, demoStudy } from '../../support/studies';

let study: string;
const norm = { mean: [0.32, 0.22, 0.16], std: [0.26, 0.18, 0.13], source: 'paper EyePACS' };

beforeAll(async () => {
  await tf.setBackend('cpu');
  study = await demoStudy({ patients: 8, size: 64 });
  const runDir = path.join(study, 'runs', 'r1');
  await fsp.mkdir(path.join(runDir, 'best'), { recursive: true });
  const spec = TrainingSpec.parse(demoSpec({ arch: 'resnet18-w4', inputSize: 32 }));
  await fsp.writeFile(path.join(runDir, 'spec.json'), JSON.stringify(spec));
  const model = ResNet.create(parseArch('resnet18-w4', 5), { seed: 9 });
  await exportSafetensors(model, path.join(runDir, 'best', 'model.safetensors'));
  model.dispose();
  await fsp.writeFile(
    path.join(runDir, 'best', 'metrics.json'),
    JSON.stringify({
      epoch: 1,
      valAuc: 0.5,
      valLoss: 1,
      referable: [3, 4],
      selection: 'val-auc',
      runId: 'r1',
      arch: 'resnet18-w4',
      classes: 5,
      normalisation: norm,
    }),
  );
}, 120_000);

describe('runSpectra', () => {
  it('writes spectra/<run>__<dataset>__<settings>/result.json with every layer, the first-layer fits and timings', async () => {
    const before = tf.memory().numTensors;
    const progress: string[] = [];
    const result = await runSpectra({ runId: 'r1', datasetId: 'demo', images: 12, batchSize: 5, seed: 4 }, study, {
      ...detachedContext(),
      progress: (d, t, m) => progress.push(`${d}/${t} ${m}`),
    });
    expect(tf.memory().numTensors).toBe(before);
    // Named by the settings that change the numbers (not the batch size).
    const { name } = spectraName({ runId: 'r1', datasetId: 'demo', images: 12, batchSize: 99, seed: 4 });
    expect(name).toMatch(/^r1__demo__[0-9a-f]{8}$/);
    expect(result.name).toBe(name);
    expect(result.settings).toMatchObject({ defaults: false, values: { images: 12, seed: 4, k: 100 } });
    const dir = path.join(study, 'spectra', name);
    const written = SpectraResult.parse(JSON.parse(await fsp.readFile(path.join(dir, 'result.json'), 'utf8')));
    expect(written).toEqual(result);
    expect(existsSync(path.join(dir, '.activations'))).toBe(false);
    expect(result.n).toBe(12);
    expect(result.dataset.imageIds).toHaveLength(12);
    expect(result.dataset.split).toBe('all'); // the demo EyePACS import has no test split
    expect(result.layers).toHaveLength(41);
    expect(result.layers.every((l) => l.k === Math.min(11, l.features) && l.eigenvalues.length === l.k)).toBe(true);
    expect(result.firstLayer.fits.length + result.firstLayer.failed.length).toBe(11);
    expect(result.firstLayer.mirrored.x).toHaveLength(22);
    expect(result.run).toMatchObject({ runId: 'r1', strategy: 'IWNE-FS', arch: 'resnet18-w4' });
    expect(result.timings.forwardPasses).toBe(1);
    expect(progress.at(-1)).toMatch(/^1\/1 Done/);

    // The same images through computeSpectra without the study give the same numbers.
    // (the run is at 32 px, the dataset imported at 64: the images at 32 px come from the cache made on demand from the sources)
    const loadedDemo = await readDatasetManifest(study, 'demo');
    const { manifest, datasetDir } = loadedDemo;
    const imported = manifest.items
      .map((it, index) => ({ it, index }))
      .filter(({ it }) => result.dataset.imageIds.includes(it.id))
      .map(({ it, index }) => ({ index, id: it.id, grade: it.grade ?? -1, file: path.join(datasetDir, it.cache!.input) }));
    const at32 = await itemsAtInputSize(loadedDemo, 32, [imported], detachedContext());
    expect(at32.report).toMatchObject({ images: 12, preprocessed: 0 }); // runSpectra made them
    const items = at32.lists[0]!;
    const model = ResNet.create(parseArch('resnet18-w4', 5), { seed: 9 });
    const direct = await computeSpectra(model, datasetFeed(items, 32, norm.mean, norm.std), { batchSize: 12 }, detachedContext());
    model.dispose();
    direct.layers.forEach((l, i) => {
      expect(l.name).toBe(result.layers[i]!.name);
      l.eigenvalues.forEach((v, j) =>
        expect(Math.abs(v - result.layers[i]!.eigenvalues[j]!)).toBeLessThanOrEqual(1e-4 * l.eigenvalues[0]!),
      );
    });

    // The seed chooses the images; the same seed the same ones.
    const again = await runSpectra({ runId: 'r1', datasetId: 'demo', images: 12, seed: 4 }, study, detachedContext());
    expect(again.dataset.imageIds).toEqual(result.dataset.imageIds);
  }, 60_000);

  it('caps N at the images available', async () => {
    const r = await runSpectra({ runId: 'r1', datasetId: 'demo', images: 500, k: 5 }, study, detachedContext());
    expect(r.n).toBe(r.dataset.available);
    expect(r.layers[0]!.k).toBe(5);
  }, 60_000);

  it('rejects bad requests naming the field', async () => {
    await expect(runSpectra({ runId: 'r1', datasetId: 'demo', images: 2 }, study, detachedContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [expect.objectContaining({ path: 'images' })],
    });
    await expect(runSpectra({ runId: 'nope', datasetId: 'demo' }, study, detachedContext())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runSpectra({ runId: 'r1', datasetId: 'missing' }, study, detachedContext())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      runSpectra({ runId: 'r1', datasetId: 'demo', percentiles: { high: 50, low: 90 } }, study, detachedContext()),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
