/**
 * File system errors as the user should read them: the path that failed and what the code means
 * ("read-only file system", "the disk is full", "permission denied") instead of a bare errno code.
 * A write that fails while writing a temporary file beside its target names the target.
 */
import { AppError } from '../../src-shared/errors';

/** What an errno code of a failed write or read means, in words. */
const MEANINGS: Record<string, string> = {
  EROFS: 'read-only file system',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EMFILE: 'too many open files',
  EIO: 'input/output error (the disk or network file system failed)',
};

/** Codes that mean the folder cannot be written to (NOT_WRITABLE); others stay INTERNAL. */
const NOT_WRITABLE = new Set(['EROFS', 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM']);

/** The advice that goes with a code. */
function advice(code: string): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return ' Free some space there and try again; nothing already written was lost.';
  if (code === 'EROFS') return ' Choose a folder on a writable disk (the file system is mounted read-only).';
  if (code === 'EACCES' || code === 'EPERM') return " Check the folder's permissions.";
  return '';
}

/** Whether `error` is a Node file system error (it has an errno code). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && !(error instanceof AppError);
}

/**
 * `error` of writing `target` as a NOT_WRITABLE AppError when the folder cannot be written to: a
 * read-only file system or a full disk names `target` (the write's temporary file beside it is an
 * implementation detail), a permission error names the path it was refused on. Any other error is
 * returned as it is, for callers that check its code.
 */
export function fsWriteError(error: unknown, target?: string): unknown {
  if (!isFsError(error) || !NOT_WRITABLE.has(error.code!)) return error;
  const code = error.code!;
  const permission = code === 'EACCES' || code === 'EPERM';
  const file = (permission ? (error.path ?? target) : (target ?? error.path)) ?? 'a file';
  const meaning = MEANINGS[code]!;
  return new AppError('NOT_WRITABLE', `FundusLab could not write ${file}: ${meaning} (${code}).${advice(code)}`, [
    { path: 'path', message: `${file}: ${meaning}` },
  ]);
}

/** Any error reaching a command's or job's end as an AppError: a file system error names its path and what its code means. */
export function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isFsError(error) && MEANINGS[error.code!]) {
    const code = error.code!;
    const file = error.path;
    const meaning = MEANINGS[code]!;
    return new AppError(
      NOT_WRITABLE.has(code) ? 'NOT_WRITABLE' : 'INTERNAL',
      `${file ? `${file}: ` : ''}${meaning} (${code}${error.syscall ? `, ${error.syscall}` : ''}).${advice(code)}`,
      file ? [{ path: 'path', message: `${file}: ${meaning}` }] : undefined,
    );
  }
  return new AppError('INTERNAL', error instanceof Error ? error.message : String(error));
}
