/**
 * Studies whose dataset is re-imported under the same id: `demo` imported from one generated folder,
 * and a second generated folder (other patients and images) to import in its place. Re-importing
 * removes the dataset folder first, as a user deleting and importing again would.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../../src-main/services/demo';
import { detachedContext } from '../../../src-main/job-context';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import { tempDir } from '../../support/files';

/** A generated EyePACS-like folder: `patients` patients (two eyes each), optionally `testPatients` more in a graded test split. */
export async function demoSource(name: string, opts: { patients: number; seed: number; testPatients?: number }): Promise<string> {
  const source = path.join(await tempDir(name), 'src');
  await writeEyepacsDemo(source, { size: 64, distribution: 'balanced', ...opts });
  return path.join(source, 'eyepacs');
}

/** Imports the folder as dataset `id` at 64 px (after removing an earlier import of that id). */
export async function importAs(study: string, source: string, id: string): Promise<void> {
  await fsp.rm(path.join(study, 'datasets', id), { recursive: true, force: true });
  await importDataset(
    { type: 'eyepacs', path: source, id, settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 },
    study,
    detachedContext(),
  );
}

/** A new study with `source` imported as dataset `demo`. */
export async function studyWith(source: string): Promise<string> {
  const study = path.join(await tempDir('identity-study'), 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'Identity test');
  await importAs(study, source, 'demo');
  return study;
}

/** Every file under `dir` (relative path → bytes as base64), to compare a folder before and after. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = (await fsp.readFile(file)).toString('base64');
  }
  return out;
}
