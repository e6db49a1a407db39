/**
 * The preprocessing cache under `datasets/<id>/cache/<settingsKey>/<aa>/`: files are named by the
 * source's SHA-256 (and the mask's), so a re-import only processes what changed. Each entry's
 * JSON is written last, atomically: an entry without its JSON is incomplete and is redone. The entry
 * records the SHA-256 of each file it wrote (as the manifest does); a re-import reuses a file only
 * when it still has that hash (a file from before hashes were recorded: when it still decodes), and
 * writes it again otherwise.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CropGeometry, DatasetItem, IssueKind, type PreprocessSettings } from '../../../src-shared/datasets';
import sharp from 'sharp';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { CACHE_FOLDER, cacheRelativePath } from '../study-folder/layout';

/** Bumped when the pipeline's output changes for the same settings (invalidates every cache). */
// 2: masks shrink by any coverage (max pooling); 3: EXIF orientation applied, CMYK colorimetric; 4: overlays never
// enlarged, stored as JPEG (images) and lossless WebP (masks), PNG inputs with adaptive filters (the same pixels).
export const PIPELINE_VERSION = 4;

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

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** The SHA-256 of the cache files an entry wrote (an entry made at another input size on demand has no overlay). */
export const CacheFileHashes = z.object({ input: Sha256, overlay: Sha256.optional() });
export type CacheFileHashes = z.infer<typeof CacheFileHashes>;

export const ImageEntry = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    width: z.number().int(),
    height: z.number().int(),
    crop: CropGeometry,
    ...DatasetItem.pick({ orientation: true, colourSpace: true }).shape,
    files: CacheFileHashes.optional(),
  }),
  z.object({ ok: z.literal(false), kind: IssueKind, reason: z.string() }),
]);
export type ImageEntry = z.infer<typeof ImageEntry>;

export const MaskCacheEntry = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    width: z.number().int(),
    height: z.number().int(),
    positive: z.number().int(),
    files: CacheFileHashes.optional(),
  }),
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

  /**
   * An image's files: the training input in the settings' format (`.png` or `.jpg`), the overlay copy
   * always JPEG (`.jpg`, OVERLAY_FORMAT in image.ts), and the entry. Readers go by the names a manifest
   * records, so manifests of older versions (PNG overlays) stay readable.
   */
  imageFiles(hash: string) {
    const ext = this.ext === 'jpeg' ? 'jpg' : 'png';
    return {
      input: this.rel(`${hash}.input.${ext}`, hash),
      overlay: this.rel(`${hash}.overlay.jpg`, hash),
      entry: this.rel(`${hash}.json`, hash),
    };
  }

  /** A lesion mask's files: the input a one-channel PNG, the overlay copy lossless WebP (both 0/255). */
  maskFiles(imageHash: string, maskHash: string, lesion: string) {
    const stem = `${imageHash}.${lesion}.${maskHash.slice(0, 16)}`;
    return {
      input: this.rel(`${stem}.input.png`, imageHash),
      overlay: this.rel(`${stem}.overlay.webp`, imageHash),
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

  /** Writes a cache file (temp + rename) and returns its SHA-256. */
  async write(relPath: string, data: Uint8Array): Promise<string> {
    const file = this.abs(relPath);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, data);
    return sha256(data);
  }

  /**
   * The SHA-256 of an existing cache file when it may be reused: it equals `expected`, or (no hash
   * recorded) the file decodes without a warning. Null when the file is missing, differs or is damaged.
   */
  async verify(relPath: string, expected: string | undefined): Promise<string | null> {
    let buf: Buffer;
    try {
      buf = await fsp.readFile(this.abs(relPath));
    } catch {
      return null;
    }
    const actual = sha256(buf);
    if (expected !== undefined) return actual === expected ? actual : null;
    try {
      await sharp(buf).raw().toBuffer();
      return actual;
    } catch {
      return null;
    }
  }

  async writeEntry(relPath: string, entry: unknown): Promise<void> {
    const file = this.abs(relPath);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeJsonAtomic(file, entry);
  }

  /**
   * Removes cache files no item refers to any more (after a complete import), and temporary files a
   * killed writer left (those of a process still running on this host stay). The folders of the same
   * settings at other input sizes (`otherSizes`: cache-sizes.ts keysBySize; made on demand by
   * at-input-size.ts) are kept, less the files of images whose source is not in `sources` (the images
   * the dataset holds now); every other settings' folder is removed.
   */
  async prune(keep: Set<string>, otherSizes?: { keys: ReadonlyMap<string, number>; sources: ReadonlySet<string> }): Promise<number> {
    const root = path.join(this.datasetDir, CACHE_FOLDER);
    let removed = 0;
    let entries: string[] = [];
    try {
      entries = await fsp.readdir(root);
    } catch {
      return 0;
    }
    for (const name of entries) {
      if (name === this.key) continue;
      if (otherSizes?.keys.has(name)) {
        removed += await pruneOtherSize(path.join(root, name), otherSizes.sources);
        continue;
      }
      await fsp.rm(path.join(root, name), { recursive: true, force: true });
      removed++;
    }
    const mine = path.join(root, this.key);
    for (const shard of await fsp.readdir(mine).catch(() => [] as string[])) {
      for (const f of await fsp.readdir(path.join(mine, shard)).catch(() => [] as string[])) {
        const relPath = cacheRelativePath(this.key, shard, f);
        if (!keep.has(relPath) && (!f.endsWith('.tmp') || !writerAlive(f))) {
          await fsp.rm(path.join(mine, shard, f), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}

/** Removes the files of another size's folder whose source image is not in `sources` (and dead temporary files); returns how many. */
async function pruneOtherSize(dir: string, sources: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  for (const shard of await fsp.readdir(dir).catch(() => [] as string[])) {
    for (const f of await fsp.readdir(path.join(dir, shard)).catch(() => [] as string[])) {
      const source = /^\.?([0-9a-f]{64})\./.exec(f)?.[1];
      const live = f.endsWith('.tmp') ? writerAlive(f) : source !== undefined && sources.has(source);
      if (!live) {
        await fsp.rm(path.join(dir, shard, f), { force: true });
        removed++;
      }
    }
  }
  return removed;
}

/** Whether the process that names a temporary file (`.<name>.<pid>.<random>.tmp`, fs/atomic.ts) still runs on this host. */
export function writerAlive(tmpName: string): boolean {
  const pid = Number(/\.(\d+)\.[0-9a-f]+\.tmp$/.exec(tmpName)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
