/**
 * The check every reader of a dataset's preprocessed cache makes (training, evaluation, the analyses,
 * the dataset views): a cache file must have the SHA-256 its manifest records, and a file that does
 * not decode is named. Either is an AppError naming the cache file, the image id and the dataset, and
 * saying that a re-import regenerates it.
 *
 * The hashes come from the manifest this process read last for the dataset (readDatasetManifest
 * registers them, and datasetAtInputSize adds the files it renders), so a reader that only has a cache
 * file's path checks it too. A file without a recorded hash (a manifest written before hashes were
 * recorded) is read unchecked, as before.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DatasetManifest } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { sha256 } from './cache';

/** The recorded SHA-256 of each cache file (absolute path), per dataset folder. */
const recorded = new Map<string, Map<string, string>>();

/** The dataset folder of a cache file `<dataset>/cache/<settings-key>/<shard>/<file>`. */
function datasetDirOf(file: string): string {
  return path.dirname(path.dirname(path.dirname(path.dirname(path.resolve(file)))));
}

/** The manifests registered last (a manifest object read once and asked about often is registered once). */
const registeredManifests = new WeakSet<DatasetManifest>();

/** Records the cache hashes of a manifest just read (replacing those of the dataset's previous manifest). */
export function registerCacheHashes(datasetDir: string, manifest: DatasetManifest): void {
  if (registeredManifests.has(manifest) && recorded.has(path.resolve(datasetDir))) return;
  registeredManifests.add(manifest);
  const files = new Map<string, string>();
  const add = (rel: string, hash: string | undefined) => {
    if (hash) files.set(path.join(datasetDir, ...rel.split('/')), hash);
  };
  for (const item of manifest.items) {
    if (item.cache) {
      add(item.cache.input, item.cache.inputSha256);
      add(item.cache.overlay, item.cache.overlaySha256);
    }
    for (const mask of Object.values(item.masks ?? {})) {
      if (mask?.cache) {
        add(mask.cache.input, mask.cache.inputSha256);
        add(mask.cache.overlay, mask.cache.overlaySha256);
      }
    }
  }
  recorded.set(path.resolve(datasetDir), files);
}

/** Adds the hash of one cache file (rendered on demand at another input size). */
export function registerCacheHash(datasetDir: string, relPath: string, hash: string): void {
  const key = path.resolve(datasetDir);
  const files = recorded.get(key) ?? new Map<string, string>();
  files.set(path.join(key, ...relPath.split('/')), hash);
  recorded.set(key, files);
}

/** `The cached image <file> of image "<id>" in dataset "<dataset>"`. */
function named(file: string, itemId: string): string {
  return `The cached image ${file} of image "${itemId}" in dataset "${path.basename(datasetDirOf(file))}"`;
}

const REGENERATE = 're-import the dataset to regenerate it';

/** A cache file's bytes, refused (AppError naming file, image and dataset) when it is missing or differs from its recorded hash. */
export async function readCacheFile(file: string, itemId: string): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch (error) {
    throw new AppError(
      'NOT_FOUND',
      `${named(file, itemId)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${REGENERATE}.`,
    );
  }
  const expected = recorded.get(datasetDirOf(file))?.get(path.resolve(file));
  if (expected !== undefined) {
    const actual = sha256(buf);
    if (actual !== expected)
      throw new AppError(
        'STUDY_CORRUPT',
        `${named(file, itemId)} does not match its manifest: SHA-256 ${actual} instead of the recorded ${expected} ` +
          `(the file was changed or damaged after the import); ${REGENERATE}.`,
      );
  }
  return buf;
}

/** A decoder's error on a cache file as an AppError naming the file, the image and the dataset. */
export function cacheDecodeError(file: string, itemId: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const reason = (error instanceof Error ? error.message : String(error)).trim().replace(/\s+/g, ' ');
  return new AppError('STUDY_CORRUPT', `${named(file, itemId)} cannot be decoded (${reason}); ${REGENERATE}.`);
}
