/** Reading a study dataset's manifest (datasets/<id>/manifest.json) with errors that name the dataset. */
import { existsSync } from 'node:fs';
import type { DatasetManifest } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { studyLayout } from '../study-folder/layout';
import { registerCacheHashes } from './cache-check';
import { DATASET_MANIFEST_RULES, readStudyJsonFile } from '../study-folder/study-files';

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
  if (!existsSync(manifestFile))
    throw new AppError('NOT_FOUND', `Dataset "${datasetId}" is not in the study ${studyPath} (no ${manifestFile}).`, [
      { path: field, message: 'no such dataset in the study' },
    ]);
  const manifest = await readStudyJsonFile(manifestFile, DATASET_MANIFEST_RULES);
  registerCacheHashes(datasetDir, manifest);
  return { datasetDir, manifest };
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
