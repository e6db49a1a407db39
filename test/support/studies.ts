/**
 * Study folders for tests, built with the real services: an empty study; `demo` (a synthetic
 * EyePACS-like dataset) imported into a fresh study and a small learnable training spec on it; the
 * evaluation study (`demo` plus `demo-eval`, other synthetic patients with a graded test split) and
 * tiny trained runs on it; dataset copies with edited manifests for the bad-input cases.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { detachedContext } from '../../src-main/job-context';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { runTraining } from '../../src-main/services/training';
import type { DatasetManifest } from '../../src-shared/datasets';
import type { TrainingResult, TrainingSpecInput } from '../../src-shared/training';
import { tempDir } from './files';
import { recordingContext } from './job-context';
import { DATA_DIR } from './real-data';

/** An empty study `Dataset test` in a new temporary folder. */
export async function makeStudy(): Promise<string> {
  const dir = path.join(await tempDir('study'), 'study');
  await new StudyService({ appVersion: 'test' }).create(dir, 'Dataset test');
  return dir;
}

/** A study with dataset `demo`: balanced grades, `patients` patients (two eyes each), 64-px inputs. */
export async function demoStudy(opts: { patients?: number; size?: number; seed?: number } = {}): Promise<string> {
  const root = await tempDir('train');
  const source = path.join(root, 'eyepacs-demo');
  await writeEyepacsDemo(source, { patients: opts.patients ?? 60, size: opts.size ?? 96, seed: opts.seed ?? 7, distribution: 'balanced' });
  const study = path.join(root, 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'Training test');
  await importDataset(
    { type: 'eyepacs', path: path.join(source, 'eyepacs'), id: 'demo', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 },
    study,
    detachedContext(),
  );
  return study;
}

/** A small, learnable spec on the demo data (referable {2,3,4}: lesions the demo draws visibly). */
export function demoSpec(over: Partial<TrainingSpecInput> = {}): TrainingSpecInput {
  return {
    strategy: 'IWNE-FS',
    datasetId: 'demo',
    arch: 'resnet18-w8',
    inputSize: 48,
    epochs: 6,
    lr: 2e-3,
    batchSize: 16,
    seed: 3,
    referable: [2, 3, 4],
    augmentation: { horizontalFlip: 0.5, verticalFlip: 0.5 },
    ...over,
  };
}

/** demoStudy (30 patients, `demo`) + `demo-eval`: 6 train and 16 test patients, balanced grades, 64 px. */
export async function evalStudy(): Promise<string> {
  const study = await demoStudy({ patients: 30 });
  const source = path.join(await tempDir('eval-src'), 'demo-eval');
  await writeEyepacsDemo(source, { patients: 6, testPatients: 16, size: 96, seed: 23, distribution: 'balanced' });
  await importDataset(
    { type: 'eyepacs', path: path.join(source, 'eyepacs'), id: 'demo-eval', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 },
    study,
    detachedContext(),
  );
  return study;
}

/** A 1-epoch resnet18-w8 run at 64 px on `demo` (referable {2,3,4}, as demoSpec). */
export async function trainTiny(study: string, runId: string, over: Partial<TrainingSpecInput> = {}): Promise<TrainingResult> {
  return runTraining(demoSpec({ epochs: 1, inputSize: 64, ...over }), study, recordingContext(), { runId });
}

/** datasets/<datasetId>/manifest.json of the study. */
export async function readManifest(study: string, datasetId: string): Promise<DatasetManifest> {
  return JSON.parse(await fsp.readFile(path.join(study, 'datasets', datasetId, 'manifest.json'), 'utf8')) as DatasetManifest;
}

/** Copies datasets/<from> to datasets/<to> (cache included) with the manifest edited by `edit`. */
export async function copyDataset(study: string, from: string, to: string, edit: (m: DatasetManifest) => void): Promise<void> {
  const dir = path.join(study, 'datasets', to);
  await fsp.cp(path.join(study, 'datasets', from), dir, { recursive: true });
  const manifest = await readManifest(study, to);
  manifest.id = to;
  edit(manifest);
  await fsp.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/**
 * A study holding the first `patients` patients (both eyes) of the real EyePACS-256 set as dataset
 * "eyepacs", imported at 64 px: the images are copied into a subset folder in the EyePACS layout.
 * Callers check realDataAvailable('eyepacs-256') first.
 */
export async function eyepacsSubsetStudy(patients: number, tempName: string): Promise<string> {
  const eyepacs = path.join(DATA_DIR, 'eyepacs-256');
  const root = await tempDir(tempName);
  const source = path.join(root, 'eyepacs');
  await fsp.mkdir(path.join(source, 'train'), { recursive: true });
  const [header, ...rows] = (await fsp.readFile(path.join(eyepacs, 'trainLabels.csv'), 'utf8')).trim().split(/\r?\n/);
  const byPatient = new Map<string, string[]>();
  for (const row of rows) {
    const id = row.split(',')[0]!;
    if (!existsSync(path.join(eyepacs, 'train', `${id}.jpeg`))) continue;
    const patient = id.split('_')[0]!;
    byPatient.set(patient, [...(byPatient.get(patient) ?? []), row]);
  }
  const chosen = [...byPatient.values()].slice(0, patients).flat();
  for (const row of chosen) {
    const id = row.split(',')[0]!;
    await fsp.copyFile(path.join(eyepacs, 'train', `${id}.jpeg`), path.join(source, 'train', `${id}.jpeg`));
  }
  await fsp.writeFile(path.join(source, 'trainLabels.csv'), [header, ...chosen].join('\n') + '\n');
  const study = path.join(root, 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'EyePACS subset');
  await importDataset(
    { type: 'eyepacs', path: source, id: 'eyepacs', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 },
    study,
    detachedContext(),
  );
  return study;
}
