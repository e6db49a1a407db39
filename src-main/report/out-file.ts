/**
 * Where a report.build job may write its PDF: a report never replaces an existing file unless the
 * request says `overwrite: true` (the path is already absolute, without "..", outside the system
 * folders: the request's schema checks that).
 */
import { promises as fsp } from 'node:fs';
import { AppError } from '../../src-shared/errors';
import { withFsDeadline } from '../fs/user-fs';

/** CONFLICT naming `out` when something is there and `overwrite` is not set. */
export async function assertReportOutFree(out: string, overwrite: boolean): Promise<void> {
  if (overwrite) return;
  const existing = await withFsDeadline(
    fsp.lstat(out).catch(() => null),
    'Checking the report file',
    out,
    'params.out',
  );
  if (existing)
    throw new AppError(
      'CONFLICT',
      `${out} already exists; the report does not replace it. Choose another file name, or send overwrite: true to replace it.`,
      [{ path: 'params.out', message: 'the file exists (overwrite: true replaces it)' }],
    );
}
