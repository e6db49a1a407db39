/**
 * Reading a study's own JSON files (study.json, a dataset's manifest.json, a run's spec.json): every
 * reader goes through here, so a damaged file is never skipped or half-read. A file that is missing
 * is the caller's business; one that is there must be a regular file under its size limit, valid
 * JSON, of a schema version this FundusLab understands, and match its schema — otherwise the read
 * fails naming the file and each failing field (`<file name>:<field path>`), and the file is left
 * as it is.
 */
import { closeSync, fstatSync, openSync, promises as fsp, readSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { DATASET_SCHEMA_VERSION, DatasetManifest } from '../../../src-shared/datasets';
import { AppError, describeIssues, fieldIssues, type FieldIssue } from '../../../src-shared/errors';
import { STUDY_SCHEMA_VERSION, StudyFile } from '../../../src-shared/study';
import { TrainingSpec } from '../../../src-shared/training';

/** How a study file is read. */
export interface StudyFileRules<T> {
  schema: z.ZodType<T>;
  /** What the file is, for messages ("study file", "dataset manifest", "training spec"). */
  what: string;
  /** The newest `schemaVersion` this FundusLab reads (files without the field are left to the schema). */
  maxVersion?: number;
  /** Largest size read, in bytes (default 256 MB: a manifest of a few hundred thousand images). */
  maxBytes?: number;
}

/** The size limit of a study file unless its rules give another. */
export const STUDY_FILE_MAX_BYTES = 256 * 1024 * 1024;

/** study.json: up to the schema version this FundusLab writes, at most 1 MB. */
export const STUDY_FILE_RULES: StudyFileRules<StudyFile> = {
  schema: StudyFile,
  what: 'study file',
  maxVersion: STUDY_SCHEMA_VERSION,
  maxBytes: 1024 * 1024,
};
/** A dataset's manifest.json. */
export const DATASET_MANIFEST_RULES: StudyFileRules<DatasetManifest> = {
  schema: DatasetManifest,
  what: 'dataset manifest',
  maxVersion: DATASET_SCHEMA_VERSION,
};
/** A run's spec.json. */
export const TRAINING_SPEC_RULES: StudyFileRules<TrainingSpec> = { schema: TrainingSpec, what: 'training spec', maxBytes: 1024 * 1024 };

/** Opening without following a FIFO's writer: a FIFO or device named like a study file must never block its reader. */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

function issue(file: string, field: string, message: string): FieldIssue {
  return { path: `${path.basename(file)}:${field}`, message };
}

function notRegular(file: string, what: string): AppError {
  return new AppError('STUDY_CORRUPT', `${file} is not a regular file; a ${what} must be one. The file was left untouched.`, [
    issue(file, '(root)', 'not a regular file'),
  ]);
}

function tooLarge(file: string, what: string, size: number, limit: number): AppError {
  return new AppError(
    'STUDY_CORRUPT',
    `${file} is ${size} bytes, more than a ${what} may be (${limit} bytes); it was not read and was left untouched.`,
    [issue(file, '(root)', `larger than ${limit} bytes`)],
  );
}

/** A read error of a study file as an AppError naming it (ENOENT stays a NOT_FOUND naming the file). */
export function studyFileReadError(file: string, what: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new AppError('NOT_FOUND', `${file} does not exist (expected the ${what}).`, [issue(file, '(root)', 'missing')]);
  const reason =
    code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
  return new AppError('STUDY_CORRUPT', `FundusLab cannot read the ${what} ${file}: ${reason} (${code}).`, [
    issue(file, '(root)', `cannot be read: ${reason}`),
  ]);
}

/**
 * Checks the text of a study file: valid JSON, a schema version this FundusLab understands, and its
 * schema. Errors name the file and each failing field.
 */
export function parseStudyFileText<T>(file: string, text: string, rules: StudyFileRules<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const empty = text.trim().length === 0;
    throw new AppError(
      'STUDY_CORRUPT',
      `${file} is not valid JSON (${empty ? 'the file is empty' : (error as Error).message}): the ${rules.what} is damaged or truncated. ` +
        'The file was left untouched; restore it from a backup or fix it by hand.',
      [issue(file, '(root)', empty ? 'empty file' : 'not valid JSON')],
    );
  }
  const version = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).schemaVersion : undefined;
  if (rules.maxVersion !== undefined && typeof version === 'number' && version > rules.maxVersion)
    throw new AppError(
      'UNSUPPORTED',
      `${file} has schema version ${version}; this FundusLab reads ${rules.what}s up to version ${rules.maxVersion}. ` +
        'Update FundusLab to use this study; the file was left untouched.',
      [issue(file, 'schemaVersion', `version ${version} is newer than ${rules.maxVersion}`)],
    );
  const parsed = rules.schema.safeParse(raw);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    const shown = describeIssues(issues.slice(0, 5)) + (issues.length > 5 ? ` (and ${issues.length - 5} more)` : '');
    throw new AppError('STUDY_CORRUPT', `${file} is not a valid ${rules.what}: ${shown}. The file was left untouched.`, [
      ...issues.map((i) => issue(file, i.path, i.message)),
    ]);
  }
  return parsed.data;
}

/** Reads and checks a study file (see the module comment); a missing file is NOT_FOUND naming it. */
export async function readStudyJsonFile<T>(file: string, rules: StudyFileRules<T>): Promise<T> {
  const limit = rules.maxBytes ?? STUDY_FILE_MAX_BYTES;
  let text: string;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, OPEN_FLAGS);
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(file, rules.what);
    if (stat.size > limit) throw tooLarge(file, rules.what, stat.size, limit);
    text = await handle.readFile('utf8');
  } catch (error) {
    throw studyFileReadError(file, rules.what, error);
  } finally {
    await handle?.close().catch(() => {});
  }
  return parseStudyFileText(file, text, rules);
}

/** Synchronous readStudyJsonFile, for small files checked on synchronous paths (study.json). */
export function readStudyJsonFileSync<T>(file: string, rules: StudyFileRules<T>): T {
  const limit = rules.maxBytes ?? STUDY_FILE_MAX_BYTES;
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(file, OPEN_FLAGS);
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegular(file, rules.what);
    if (stat.size > limit) throw tooLarge(file, rules.what, stat.size, limit);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    text = buffer.subarray(0, read).toString('utf8');
  } catch (error) {
    throw studyFileReadError(file, rules.what, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return parseStudyFileText(file, text, rules);
}
