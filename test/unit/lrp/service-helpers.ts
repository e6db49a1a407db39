/**
 * Fixtures of the explain service and CLI tests: a subset of idrid-seg-quarter imported at 64 px and a run folder with a random
 * resnet18-w8.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { exportSafetensors } from '../../../src-main/engine/weights/export';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { writeJsonAtomic } from '../../../src-main/fs/atomic';
import { TrainingSpec } from '../../../src-shared/training';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { DATA_DIR } from '../../support/real-data';
import { makeStudy } from '../../support/studies';
import { randomizeBatchNorm } from './helpers';

export const QUARTER = path.join(DATA_DIR, 'idrid-seg-quarter');
const SEG = 'A. Segmentation';
const IMAGES = path.join(SEG, '1. Original Images', 'a. Training Set');
const MASKS = path.join(SEG, '2. All Segmentation Groundtruths', 'a. Training Set');

/** An IDRiD-layout folder holding (copies of) the given images of idrid-seg-quarter and all their masks. */
export async function idridSubset(ids: readonly string[]): Promise<string> {
  const root = await tempDir('idrid-subset');
  await fsp.mkdir(path.join(root, IMAGES), { recursive: true });
  for (const id of ids) await fsp.copyFile(path.join(QUARTER, IMAGES, `${id}.jpg`), path.join(root, IMAGES, `${id}.jpg`));
  for (const folder of await fsp.readdir(path.join(QUARTER, MASKS))) {
    await fsp.mkdir(path.join(root, MASKS, folder), { recursive: true });
    for (const file of await fsp.readdir(path.join(QUARTER, MASKS, folder))) {
      if (ids.some((id) => file.startsWith(`${id}_`)))
        await fsp.copyFile(path.join(QUARTER, MASKS, folder, file), path.join(root, MASKS, folder, file));
    }
  }
  return root;
}

/** A study with dataset `datasetId` imported from `source` at `size` px (input and overlay). */
export async function studyWithIdrid(source: string, size: number, datasetId = 'idrid', study?: string): Promise<string> {
  const dir = study ?? (await makeStudy());
  await importDataset(
    { type: 'idrid-seg', path: source, id: datasetId, settings: { inputSize: size, overlaySize: size }, concurrency: 2 },
    dir,
    recordingContext(),
  );
  return dir;
}

export const RUN_NORMALISATION = {
  mean: [0.42, 0.22, 0.11] as [number, number, number],
  std: [0.3, 0.17, 0.09] as [number, number, number],
};

/**
 * runs/<runId>/ as a finished training run leaves it (spec.json, best/model.safetensors,
 * best/metrics.json), holding a randomly initialised model with randomised BatchNorm statistics.
 */
export async function writeRandomRun(study: string, runId: string, arch: string, inputSize: number, seed: number): Promise<ResNet> {
  const dir = path.join(study, 'runs', runId);
  await fsp.mkdir(path.join(dir, 'best'), { recursive: true });
  const spec = TrainingSpec.parse({
    strategy: 'IWNE-FS',
    arch,
    inputSize,
    seed,
    datasetId: 'eyepacs',
    epochs: 1,
    normalisation: { kind: 'custom', ...RUN_NORMALISATION },
  });
  await writeJsonAtomic(path.join(dir, 'spec.json'), spec);
  const model = ResNet.create(parseArch(arch, 5), { seed });
  randomizeBatchNorm(model, seed + 1);
  await exportSafetensors(model, path.join(dir, 'best', 'model.safetensors'));
  await writeJsonAtomic(path.join(dir, 'best', 'metrics.json'), {
    epoch: 1,
    valAuc: null,
    valLoss: 1.6,
    referable: [3, 4],
    selection: 'last-epoch',
    runId,
    arch,
    classes: 5,
    normalisation: { ...RUN_NORMALISATION, source: 'custom' },
  });
  return model;
}
