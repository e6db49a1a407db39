/**
 * The preprocessing cache under `datasets/<id>/cache/<settingsKey>/<aa>/`: files are named by the
 * source's SHA-256 (and the mask's), so a re-import only processes what changed. Each entry's
 * JSON is written last, atomically: an entry without its JSON is incomplete and is redone.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CropGeometry, DatasetItem, IssueKind, type PreprocessSettings } from '../../../src-shared/datasets';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { CACHE_FOLDER, cacheRelativePath } from '../study-folder/layout';

/** Bumped when the pipeline's output changes for the same settings (invalidates every cache). */
export const PIPELINE_VERSION = 3; // 2: masks shrink by any coverage (max pooling); 3: EXIF orientation applied, CMYK colorimetric

export function settingsKey(settings: PreprocessSettings): string {
  const canonical = JSON.stringify({
    v: PIPELINE_VERSION,
    ...Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export const ImageEntry = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    width: z.number().int(),
    height: z.number().int(),
    crop: CropGeometry,
    ...DatasetItem.pick({ orientation: true, colourSpace: true }).shape,
  }),
  z.object({ ok: z.literal(false), kind: IssueKind, reason: z.string() }),
]);
export type ImageEntry = z.infer<typeof ImageEntry>;

export const MaskCacheEntry = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), width: z.number().int(), height: z.number().int(), positive: z.number().int() }),
  z.object({ ok: z.literal(false), kind: IssueKind, reason: z.string() }),
]);
export type MaskCacheEntry = z.infer<typeof MaskCacheEntry>;

export class Cache {
  /** `datasets/<id>/` */
  constructor(
    readonly datasetDir: string,
    readonly key: string,
    readonly ext: 'png' | 'jpeg',
  ) {}

  /** Path relative to the dataset folder (what the manifest records). */
  rel(name: string, hash: string): string {
    return cacheRelativePath(this.key, hash.slice(0, 2), name);
  }

  abs(relPath: string): string {
    return path.join(this.datasetDir, ...relPath.split('/'));
  }

  imageFiles(hash: string) {
    const ext = this.ext === 'jpeg' ? 'jpg' : 'png';
    return {
      input: this.rel(`${hash}.input.${ext}`, hash),
      overlay: this.rel(`${hash}.overlay.${ext}`, hash),
      entry: this.rel(`${hash}.json`, hash),
    };
  }

  maskFiles(imageHash: string, maskHash: string, lesion: string) {
    const stem = `${imageHash}.${lesion}.${maskHash.slice(0, 16)}`;
    return {
      input: this.rel(`${stem}.input.png`, imageHash),
      overlay: this.rel(`${stem}.overlay.png`, imageHash),
      entry: this.rel(`${stem}.json`, imageHash),
    };
  }

  async readEntry<T>(schema: z.ZodType<T>, relPath: string, files: string[]): Promise<T | null> {
    try {
      const parsed = schema.safeParse(JSON.parse(await fsp.readFile(this.abs(relPath), 'utf8')));
      if (!parsed.success) return null;
      const okEntry = (parsed.data as { ok: boolean }).ok;
      if (okEntry) for (const f of files) await fsp.access(this.abs(f));
      return parsed.data;
    } catch {
      return null;
    }
  }

  async write(relPath: string, data: Uint8Array): Promise<void> {
    const file = this.abs(relPath);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, data);
  }

  async writeEntry(relPath: string, entry: unknown): Promise<void> {
    const file = this.abs(relPath);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeJsonAtomic(file, entry);
  }

  /** Removes cache files no item refers to any more (after a complete import), and other settings' folders. */
  async prune(keep: Set<string>): Promise<number> {
    const root = path.join(this.datasetDir, CACHE_FOLDER);
    let removed = 0;
    let entries: string[] = [];
    try {
      entries = await fsp.readdir(root);
    } catch {
      return 0;
    }
    for (const name of entries) {
      if (name !== this.key) {
        await fsp.rm(path.join(root, name), { recursive: true, force: true });
        removed++;
      }
    }
    const mine = path.join(root, this.key);
    for (const shard of await fsp.readdir(mine).catch(() => [] as string[])) {
      for (const f of await fsp.readdir(path.join(mine, shard)).catch(() => [] as string[])) {
        const relPath = cacheRelativePath(this.key, shard, f);
        if (!keep.has(relPath) && !f.endsWith('.tmp')) {
          await fsp.rm(path.join(mine, shard, f), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}
