/** Reading a study dataset's manifest (datasets/<id>/manifest.json) with errors that name the dataset. */
import { promises as fsp } from 'node:fs';
import { DatasetManifest } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { studyLayout } from '../study-folder/layout';
import { registerCacheHashes } from './cache-check';

export interface LoadedManifest {
  datasetDir: string;
  manifest: DatasetManifest;
}

/**
 * Loads and validates the manifest; `field` names the request field that chose the dataset. The cache
 * files' recorded hashes are registered for the readers' check (cache-check.ts).
 */
export async function readDatasetManifest(studyPath: string, datasetId: string, field = 'datasetId'): Promise<LoadedManifest> {
  const { dir: datasetDir, manifest: manifestFile } = studyLayout(studyPath).dataset(datasetId);
  let raw: string;
  try {
    raw = await fsp.readFile(manifestFile, 'utf8');
  } catch {
    throw new AppError('NOT_FOUND', `Dataset "${datasetId}" is not in the study ${studyPath} (no ${manifestFile}).`, [
      { path: field, message: 'no such dataset in the study' },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppError('STUDY_CORRUPT', `The manifest of dataset "${datasetId}" (${manifestFile}) is not valid JSON.`);
  }
  const parsed = DatasetManifest.safeParse(json);
  if (!parsed.success)
    throw new AppError(
      'STUDY_CORRUPT',
      `The manifest of dataset "${datasetId}" (${manifestFile}) is invalid: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`,
    );
  registerCacheHashes(datasetDir, parsed.data);
  return { datasetDir, manifest: parsed.data };
}

/** Throws unless the dataset has its preprocessed image cache. */
export function requirePreprocessed(loaded: LoadedManifest, datasetId: string): void {
  if (!loaded.manifest.preprocessed)
    throw new AppError(
      'BAD_REQUEST',
      `Dataset "${datasetId}" was imported without preprocessing (validate-only); import it again to build the image cache.`,
      [{ path: 'datasetId', message: 'not preprocessed' }],
    );
}
