/** Shared helpers of the training-run tests: a demo EyePACS-like dataset imported into a fresh study. */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeEyepacsDemo } from '../../../src-main/services/demo';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { detachedContext, type JobContext } from '../../../src-main/job-context';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import type { TrainingSpecInput } from '../../../src-shared/training';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `funduslab-${prefix}-`));
}

/** A study with dataset `demo`: balanced grades, `patients` patients (two eyes each), 64-px inputs. */
export async function demoStudy(opts: { patients?: number; size?: number; seed?: number } = {}): Promise<string> {
  const root = await tempDir('train');
  const source = path.join(root, 'eyepacs-demo');
  await writeEyepacsDemo(source, { patients: opts.patients ?? 60, size: opts.size ?? 96, seed: opts.seed ?? 7, distribution: 'balanced' });
  const study = path.join(root, 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'Training test');
  await importDataset({ type: 'eyepacs', path: path.join(source, 'eyepacs'), id: 'demo', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 }, study, detachedContext());
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

export function recordingContext(): JobContext & { messages: string[]; progress_: string[]; controller: AbortController } {
  const controller = new AbortController();
  const messages: string[] = [];
  const progress_: string[] = [];
  return { progress: (d, t, m) => progress_.push(`${d}/${t} ${m}`), log: (l) => messages.push(l), signal: controller.signal, controller, messages, progress_ };
}
