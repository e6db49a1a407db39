import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, writeFileSync, renameSync, openSync, fsyncSync, closeSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { AppError, parseOrThrow } from '../../src-shared/errors';
import { fsWriteError } from './errors';

/**
 * Writes `data` to `file` atomically: a temporary file beside it is written and flushed, then
 * renamed over the target, so a crash leaves either the old or the new content, never a mix. The
 * folder is flushed after the rename, so the new name has reached the disk (on a shared file system:
 * the server) before the call returns. A failed write is an AppError naming `file` and what went
 * wrong (read-only file system, disk full, permission denied), and leaves no temporary file.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, file);
  } catch (error) {
    if (handle) await handle.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw fsWriteError(error, file);
  }
  await syncDir(path.dirname(file));
}

/** Synchronous variant for small state files written from synchronous code paths (the folder is flushed too). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = tempName(file);
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o644 });
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw fsWriteError(error, file);
  }
  syncDirSync(path.dirname(file));
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Flushes a folder's entries (the renames and creations inside it) to disk. Directory fsync is not
 * supported everywhere (e.g. Windows); there the renames are still atomic, only not yet durable.
 */
export async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fsp.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // not supported on this platform or file system
  }
}

/** Synchronous variant of syncDir. */
export function syncDirSync(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // folders cannot be opened on this platform
  }
  try {
    fsyncSync(fd);
  } catch {
    // not supported on this file system
  } finally {
    closeSync(fd);
  }
}

/** Flushes every file below `dir` and the folders themselves (before a finished folder is renamed into place). */
export async function syncTree(dir: string): Promise<void> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(p);
    else if (entry.isFile()) {
      const h = await fsp.open(p, 'r+');
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    }
  }
  await syncDir(dir);
}

/** The steps of replaceFolder, in order (test seam: a hook may kill the process after any of them). */
export type ReplaceStep = 'moved-old-aside' | 'moved-new-in' | 'removed-old';

/**
 * Puts the finished folder `tmp` in place of `target`, never deleting the old `target` before the
 * new one is there: the old one is renamed to `previous`, `tmp` to `target`, then `previous` is
 * removed. A crash between the two renames leaves the old folder complete at `previous`, which
 * `completeFolder` reads and `recoverFolder` puts back. All three paths are in the same folder, so
 * each rename is atomic; the folder is flushed once the new one is in place (before the old one is
 * removed) and again at the end.
 */
export async function replaceFolder(
  tmp: string,
  target: string,
  previous: string,
  afterStep?: (step: ReplaceStep) => Promise<void> | void,
): Promise<void> {
  await recoverFolder(target, previous);
  const hadOld = existsSync(target);
  try {
    if (hadOld) {
      await fsp.rename(target, previous);
      await afterStep?.('moved-old-aside');
    }
    await fsp.rename(tmp, target);
    await syncDir(path.dirname(target));
    await afterStep?.('moved-new-in');
  } catch (error) {
    if (hadOld && !existsSync(target) && existsSync(previous)) await fsp.rename(previous, target).catch(() => {});
    throw fsWriteError(error, target);
  }
  await fsp.rm(previous, { recursive: true, force: true });
  await afterStep?.('removed-old');
  await syncDir(path.dirname(target));
}

/**
 * Finishes what a crash inside replaceFolder left: with `target` missing and `previous` present the
 * old folder is put back; with both present the new one is in place and `previous` is removed.
 */
export async function recoverFolder(target: string, previous: string): Promise<void> {
  if (!existsSync(previous)) return;
  if (existsSync(target)) await fsp.rm(previous, { recursive: true, force: true });
  else await fsp.rename(previous, target);
}

/** The complete one of `target` and `previous` (read-only: a reader never repairs), judged by `marker` inside it, or null. */
export function completeFolder(target: string, previous: string, marker: string): string | null {
  for (const dir of [target, previous]) if (existsSync(path.join(dir, marker))) return dir;
  return null;
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Whether the folder entry `entry` (a name beside `file`) is a temporary file writeFileAtomic of `file` left behind. */
export function isTempFileOf(file: string, entry: string): boolean {
  const prefix = `.${path.basename(file)}.`;
  return entry.startsWith(prefix) && /^\d+\.[0-9a-f]{8}\.tmp$/.test(entry.slice(prefix.length));
}

/**
 * A study's JSON file parsed with its schema, or null when the file does not exist. Invalid JSON is
 * STUDY_CORRUPT naming the file; a schema mismatch names the file and the fields.
 */
export async function readStudyJson<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new AppError('STUDY_CORRUPT', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseOrThrow(schema, json, file);
}
