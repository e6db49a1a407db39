/**
 * Revisioned study files (the study plan, the training grid): each save stores a `revision` one above
 * the stored one, and a save based on another revision than the stored one is refused with CONFLICT
 * ("… changed elsewhere — reload") instead of overwriting what another window or process saved. A save
 * that would store what is already stored changes nothing (and needs no particular revision). The read,
 * the comparison and the write happen under the file's short lock, so two savers in one process or in
 * two processes are serialised. A file from before revisions reads as revision 0.
 */
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { Revision } from '../../../src-shared/grid';
import { readStudyJson, writeJsonAtomic } from '../../fs/atomic';
import { withFileLock } from './lock';
import { z } from 'zod';

const StoredObject = z.record(z.string(), z.unknown());

/** The stored object without its revision, and the revision (0 when the file has none); null when there is no file. */
export async function readRevisioned(file: string): Promise<{ value: Record<string, unknown>; revision: number } | null> {
  const stored = await readStudyJson(file, StoredObject);
  if (!stored) return null;
  const { revision, ...value } = stored;
  return { value, revision: revision === undefined ? 0 : parseOrThrow(Revision, revision, `${file} revision`) };
}

/** JSON with sorted keys: two objects with the same content give the same text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Stores `value` in `file` as the next revision and returns the revision stored. `baseRevision` is the
 * revision the caller's edit started from; undefined saves whatever is stored (the CLI's explicit
 * files). `what` names the file in the refusal ("The training grid changed elsewhere — reload …").
 */
export async function saveRevisioned(
  file: string,
  value: Record<string, unknown>,
  baseRevision: number | undefined,
  what: string,
): Promise<number> {
  return withFileLock(file, async () => {
    // A stored file that no longer parses is replaced (its revision counts on when it can be read).
    const stored = await readRevisioned(file).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'STUDY_CORRUPT') return null;
      throw error;
    });
    const current = stored?.revision ?? 0;
    if (stored && canonical(stored.value) === canonical(value)) return current;
    if (baseRevision !== undefined && baseRevision !== current)
      throw new AppError(
        'CONFLICT',
        `${what} changed elsewhere — reload (it is at revision ${current}; this save was based on revision ${baseRevision}).`,
        [{ path: 'baseRevision', message: `changed elsewhere: now revision ${current}` }],
      );
    await writeJsonAtomic(file, { ...value, revision: current + 1 });
    return current + 1;
  });
}
