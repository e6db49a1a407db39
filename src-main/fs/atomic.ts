import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, writeFileSync, renameSync, openSync, fsyncSync, closeSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { AppError, parseOrThrow } from '../../src-shared/errors';

/**
 * Writes `data` to `file` atomically: a temporary file beside it is written and flushed, then
 * renamed over the target, so a crash leaves either the old or the new content, never a mix.
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
    throw error;
  }
}

/** Synchronous variant for small state files written from synchronous code paths. */
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
    throw error;
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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
