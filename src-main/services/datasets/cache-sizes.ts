/**
 * A dataset's preprocessing caches at several input sizes. The import writes its settings' folder
 * `cache/<settingsKey>/`; datasets/at-input-size.ts writes the folder of the same settings at another
 * input size when a run, a pretraining or an analysis needs one. Those folders are the import's
 * "sizes": their key is `settingsKey({ ...settings, inputSize })` for some allowed input size, so a
 * folder's size is found by hashing the settings at every allowed size (no marker file needed, and
 * folders made before this existed are recognised too).
 *
 * Every cache file is named by its source image's SHA-256 (and its entry records the file's hash), so
 * a size's files stay valid whatever else in the dataset changes: a re-import keeps the other sizes'
 * folders and removes from them only the files of images no longer in the dataset (Cache.prune).
 * Folders of other settings (crop threshold, margin, format, overlay size, or an older pipeline) can
 * never be read again and are removed.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { PreprocessSettings, type CacheSize } from '../../../src-shared/datasets';
import { CACHE_FOLDER } from '../study-folder/layout';
import { settingsKey } from './cache';

const inputSizes = PreprocessSettings.shape.inputSize.unwrap();
const MIN_SIZE = inputSizes.minValue ?? 32;
const MAX_SIZE = inputSizes.maxValue ?? 2048;

const memo = new Map<string, Map<string, number>>();

/** Settings key → input size, for every input size the settings allow, the other settings as `settings`. */
export function keysBySize(settings: PreprocessSettings): Map<string, number> {
  const { inputSize: _ignored, ...rest } = settings;
  const id = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  let keys = memo.get(id);
  if (!keys) {
    keys = new Map();
    for (let size = MIN_SIZE; size <= MAX_SIZE; size++) keys.set(settingsKey({ ...settings, inputSize: size }), size);
    memo.set(id, keys);
  }
  return keys;
}

/**
 * The dataset's cache folders of `settings` at any input size, smallest size first: images (entries of
 * input images) and bytes of each. The import's own size is listed even before anything is in it.
 */
export async function cacheSizes(datasetDir: string, settings: PreprocessSettings): Promise<CacheSize[]> {
  const root = path.join(datasetDir, CACHE_FOLDER);
  const keys = keysBySize(settings);
  const out: CacheSize[] = [];
  for (const name of await fsp.readdir(root).catch(() => [] as string[])) {
    const size = keys.get(name);
    if (size === undefined) continue;
    let images = 0;
    let bytes = 0;
    for (const shard of await fsp.readdir(path.join(root, name)).catch(() => [] as string[])) {
      const dir = path.join(root, name, shard);
      for (const f of await fsp.readdir(dir).catch(() => [] as string[])) {
        if (/^[0-9a-f]{64}\.json$/.test(f)) images++;
        bytes += (await fsp.stat(path.join(dir, f)).catch(() => null))?.size ?? 0;
      }
    }
    out.push({ inputSize: size, settingsKey: name, imported: size === settings.inputSize, images, bytes });
  }
  if (!out.some((c) => c.imported))
    out.push({ inputSize: settings.inputSize, settingsKey: settingsKey(settings), imported: true, images: 0, bytes: 0 });
  return out.sort((a, b) => a.inputSize - b.inputSize);
}
