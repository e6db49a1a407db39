/**
 * Result folders (evaluations/, spectra/, robustness/, explanations/ — one folder per result, named
 * by its settings): written whole or not at all, read without ever seeing half a result.
 *
 * Writing: the files go into a hidden temporary folder beside the result (`.<name>.tmp-XXXXXX`),
 * are flushed, and the folder is swapped in by renames (fs/atomic.ts replaceFolder): an existing
 * result is first renamed to `.<name>.previous` and only removed once the new one is in place. A
 * crash at any point leaves either the old result (at its name, or at `.<name>.previous` between
 * the two renames) or the new one — never a mix, never nothing. The next write of that result puts
 * a stranded `.previous` back first and removes temporary folders a crash left.
 *
 * Reading: hidden folders are skipped, except a `.previous` whose result folder is missing, which
 * is read in its place (readers never move files).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { AnalysisName } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { completeFolder, replaceFolder, syncTree, type ReplaceStep } from '../../fs/atomic';
import { fsWriteError } from '../../fs/errors';
import { RESULT_FILE, studyLayout, type ResultFolderKind, type ResultFolderLayout } from './layout';

const PREVIOUS_SUFFIX = '.previous';
const TMP_INFIX = '.tmp-';

function previousOf(parent: string, name: string): string {
  return path.join(parent, `.${name}${PREVIOUS_SUFFIX}`);
}

/** Where a crash inside a write may have left the complete result `name` of `parent` (the trash moves and checks it). */
export function previousResultFolder(parent: string, name: string): string {
  return previousOf(parent, name);
}

export interface WriteResultFolderOptions {
  /** Test seam: called after each step of the swap (a test kills the process there). */
  afterStep?: (step: ReplaceStep | 'filled') => Promise<void> | void;
}

/**
 * Writes one result folder atomically: `fill` writes every file of the result into the temporary
 * folder it is given (and may use it as scratch space); its return value is returned once the
 * folder is in place. If `fill` throws, the temporary folder is removed and an existing result is
 * untouched. A folder that cannot be written (read-only, full) is a NOT_WRITABLE error naming the result.
 */
export async function writeResultFolder<T>(
  layout: Pick<ResultFolderLayout, 'parent' | 'dir'>,
  fill: (tmpDir: string) => Promise<T>,
  opts: WriteResultFolderOptions = {},
): Promise<T> {
  const name = path.basename(layout.dir);
  let tmp: string;
  try {
    await fsp.mkdir(layout.parent, { recursive: true });
    await removeTemporaries(layout.parent, name);
    tmp = await fsp.mkdtemp(path.join(layout.parent, `.${name}${TMP_INFIX}`));
  } catch (error) {
    throw fsWriteError(error, layout.dir);
  }
  try {
    const value = await fill(tmp);
    await syncTree(tmp);
    await opts.afterStep?.('filled');
    await replaceFolder(tmp, layout.dir, previousOf(layout.parent, name), opts.afterStep);
    return value;
  } catch (error) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw fsWriteError(error, layout.dir);
  }
}

/** Temporary folders of `name` left by a crashed writer. */
async function removeTemporaries(parent: string, name: string): Promise<void> {
  const prefix = `.${name}${TMP_INFIX}`;
  for (const entry of await fsp.readdir(parent).catch(() => [] as string[])) {
    if (entry.startsWith(prefix)) await fsp.rm(path.join(parent, entry), { recursive: true, force: true }).catch(() => {});
  }
}

/** The folder holding the complete result `name` under `parent` (its own, or the `.previous` a crash left), or null. */
export function resultFolderOf(parent: string, name: string): string | null {
  return completeFolder(path.join(parent, name), previousOf(parent, name), RESULT_FILE);
}

/** The names of the complete results under `parent` (sorted), including ones only a `.previous` holds. */
export async function resultNames(parent: string): Promise<string[]> {
  if (!existsSync(parent)) return [];
  const names = new Set<string>();
  for (const entry of await fsp.readdir(parent)) {
    if (!entry.startsWith('.')) names.add(entry);
    else if (entry.endsWith(PREVIOUS_SUFFIX)) names.add(entry.slice(1, -PREVIOUS_SUFFIX.length));
  }
  return [...names].filter((n) => resultFolderOf(parent, n) !== null).sort();
}

/** Every result of `kind` in the study that parses with `schema`, by folder name; unreadable and invalid ones are skipped. */
export async function listResultFolders<S extends z.ZodType>(studyPath: string, kind: ResultFolderKind, schema: S): Promise<z.output<S>[]> {
  const parent = studyLayout(studyPath).folder(kind);
  const out: z.output<S>[] = [];
  for (const name of await resultNames(parent)) {
    const folder = resultFolderOf(parent, name);
    if (!folder) continue;
    let json: unknown;
    try {
      json = JSON.parse(await fsp.readFile(path.join(folder, RESULT_FILE), 'utf8'));
    } catch {
      continue;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Whether the study has a complete result `name` of `kind`. */
export function hasResult(studyPath: string, kind: ResultFolderKind, name: string): boolean {
  return resultFolderOf(studyLayout(studyPath).folder(kind), name) !== null;
}

/** `<kind>/<name>/result.json` by folder name, checked (AnalysisName) before any file is read; `what` names the result in errors. */
export async function readResultFolder<S extends z.ZodType>(
  studyPath: string,
  kind: ResultFolderKind,
  name: string,
  schema: S,
  what: string,
): Promise<{ folder: string; result: z.output<S> }> {
  const layout = studyLayout(studyPath);
  if (!AnalysisName.safeParse(name).success)
    throw new AppError(
      'BAD_REQUEST',
      `Invalid ${what} name "${name}": expected a folder name under ${path.basename(layout.folder(kind))}/.`,
      [{ path: 'name', message: 'invalid' }],
    );
  const expected = layout.result(kind, name).result;
  const folder = resultFolderOf(layout.folder(kind), name);
  if (!folder)
    throw new AppError('NOT_FOUND', `No ${what} "${name}" in the study (${expected} is missing).`, [
      { path: 'name', message: `no such ${what}` },
    ]);
  const file = path.join(folder, RESULT_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new AppError('STUDY_CORRUPT', `${file} could not be read as JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'STUDY_CORRUPT',
      `${file} is not a valid ${what} result: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return { folder, result: parsed.data };
}

/** `file` resolved inside `dir`, or a BAD_REQUEST naming `field` when it would leave it. */
export function insideFolder(dir: string, file: string, field: string): string {
  const resolved = path.resolve(dir, file);
  const rel = path.relative(dir, resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
    throw new AppError('BAD_REQUEST', `"${file}" is not a file inside ${dir}.`, [{ path: field, message: 'outside the folder' }]);
  return resolved;
}
