/**
 * Study folders: everything of a study lives in one user-chosen folder (docs/design.md, "The study
 * folder"). `study.json` carries a schema version; all writes are atomic; a corrupt `study.json`
 * is reported and kept as it is, never overwritten.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { STUDY_SCHEMA_VERSION, StudyFile, type StudySummary } from '../../../src-shared/study';
import { writeJsonAtomic } from '../../fs/atomic';
import { NEW_STUDY_FOLDERS, STUDY_FILE, STUDY_FOLDERS } from './layout';
import { readStudyJsonFile, readStudyJsonFileSync, STUDY_FILE_RULES } from './study-files';

/**
 * The absolute study folder, once its study.json has been read and checked: every command and
 * service that reads or writes a study starts here. NOT_FOUND naming `field` when the folder or its
 * study.json does not exist; STUDY_CORRUPT (invalid, truncated) or UNSUPPORTED (newer schema
 * version) naming study.json and the field otherwise — nothing of the study is read or written then.
 */
export function requireStudyFolder(studyPath: string, field = 'studyPath'): string {
  const study = path.resolve(studyPath);
  if (!existsSync(study))
    throw new AppError('NOT_FOUND', `The study folder ${study} does not exist.`, [{ path: field, message: 'no such folder' }]);
  if (!existsSync(path.join(study, STUDY_FILE)))
    throw new AppError('NOT_FOUND', `${study} is not a FundusLab study (no ${STUDY_FILE}).`, [{ path: field, message: 'not a study' }]);
  readStudyJsonFileSync(path.join(study, STUDY_FILE), STUDY_FILE_RULES);
  return study;
}
/** Sub-folders every study has (layout.ts). */
export const STUDY_SUBFOLDERS: readonly string[] = NEW_STUDY_FOLDERS.map((k) => STUDY_FOLDERS[k]);

export interface StudyServiceOptions {
  appVersion: string;
  now?: () => Date;
}

export class StudyService {
  private readonly now: () => Date;
  constructor(private readonly options: StudyServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async create(folder: string, name: string): Promise<StudySummary> {
    const dir = path.resolve(folder);
    const existing = await statOrNull(dir);
    if (existing && !existing.isDirectory()) {
      throw new AppError('CONFLICT', `${dir} exists and is not a folder. Choose a new or empty folder for the study.`, [
        { path: 'path', message: 'exists and is not a folder' },
      ]);
    }
    if (existing) {
      if (await statOrNull(path.join(dir, STUDY_FILE))) {
        throw new AppError('CONFLICT', `${dir} already contains a FundusLab study (study.json). Open it instead of creating a new one.`, [
          { path: 'path', message: 'already contains a study' },
        ]);
      }
      const entries = (await fsp.readdir(dir)).filter((e) => !e.startsWith('.'));
      if (entries.length > 0) {
        throw new AppError(
          'CONFLICT',
          `${dir} is not empty (${entries.length} item${entries.length === 1 ? '' : 's'}, e.g. ${entries.slice(0, 3).join(', ')}). A study needs a new or empty folder so its files are not mixed with others.`,
          [{ path: 'path', message: 'folder is not empty' }],
        );
      }
    }
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (error) {
      throw notWritable(dir, error);
    }
    await assertWritable(dir);
    const stamp = this.now().toISOString();
    const study: StudyFile = {
      schemaVersion: STUDY_SCHEMA_VERSION,
      id: randomUUID(),
      name: name.trim(),
      createdAt: stamp,
      updatedAt: stamp,
      createdWith: { app: 'FundusLab', version: this.options.appVersion },
    };
    try {
      for (const sub of STUDY_SUBFOLDERS) await fsp.mkdir(path.join(dir, sub), { recursive: true });
      await writeJsonAtomic(path.join(dir, STUDY_FILE), study);
    } catch (error) {
      throw notWritable(dir, error);
    }
    return { path: dir, study };
  }

  async open(folder: string): Promise<StudySummary> {
    const dir = path.resolve(folder);
    const file = path.join(dir, STUDY_FILE);
    const study = await readStudyFile(file);
    await assertWritable(dir);
    for (const sub of STUDY_SUBFOLDERS) {
      try {
        await fsp.mkdir(path.join(dir, sub), { recursive: true });
      } catch (error) {
        throw notWritable(dir, error);
      }
    }
    return { path: dir, study };
  }
}

/** Reads and validates a study.json; never modifies it. */
export async function readStudyFile(file: string): Promise<StudyFile> {
  try {
    return await readStudyJsonFile(file, STUDY_FILE_RULES);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND')
      throw new AppError(
        'NOT_FOUND',
        `No ${STUDY_FILE} in ${path.dirname(file)}. Is this a FundusLab study folder? Create a study there instead.`,
        [{ path: 'path', message: `no ${STUDY_FILE} here` }],
      );
    throw error;
  }
}

async function assertWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.funduslab-write-test-${process.pid}-${Date.now()}`);
  try {
    await fsp.writeFile(probe, 'ok', { flag: 'wx' });
    await fsp.rm(probe, { force: true });
  } catch (error) {
    throw notWritable(dir, error);
  }
}

function notWritable(dir: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EROFS'
        ? 'read-only file system'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'ENOTDIR'
            ? 'a part of the path is a file, not a folder'
            : (error as Error).message;
  return new AppError('NOT_WRITABLE', `FundusLab cannot write to ${dir}: ${reason} (${code}). Choose a folder you can write to.`, [
    { path: 'path', message: `not writable: ${reason}` },
  ]);
}

async function statOrNull(p: string) {
  try {
    return await fsp.stat(p);
  } catch {
    return null;
  }
}
