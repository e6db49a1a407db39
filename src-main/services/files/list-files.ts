/**
 * `files.list`: one folder's sub-folders and weights files (src-shared/files.ts), for the file browser
 * of browser mode. Names, kinds and sizes only — never a file's contents. The kernel's pseudo file
 * systems (/proc, /sys, /dev) are refused, also through links, and every file system call has the
 * deadline of fs/user-fs.ts, so a path that never answers cannot hang the server.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { MAX_LISTED_ENTRIES, isWeightsFileName, type FileEntry, type FilesListing } from '../../../src-shared/files';
import { SYSTEM_FOLDERS } from '../../../src-shared/user-path';
import { refuseSystemLocation, withFsDeadline } from '../../fs/user-fs';

/** The error of a failed file system call on `dir`, named for the user. */
function named(dir: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new AppError('NOT_FOUND', `The folder ${dir} does not exist.`, [{ path: 'path', message: 'no such folder' }]);
  if (code === 'ENOTDIR')
    return new AppError('BAD_REQUEST', `${dir} is a file, not a folder.`, [{ path: 'path', message: 'not a folder' }]);
  if (code === 'EACCES' || code === 'EPERM')
    return new AppError('NOT_WRITABLE', `FundusLab may not read the folder ${dir} (permission denied).`, [
      { path: 'path', message: 'permission denied' },
    ]);
  return new AppError('INTERNAL', `Cannot list ${dir}: ${(error as Error).message}`);
}

/** Lists `folder` (absolute): its sub-folders and the files whose names end in a weights ending, folders first, each by name. */
export async function listFiles(folder: string, opts: { hidden?: boolean } = {}): Promise<FilesListing> {
  if (!path.isAbsolute(folder))
    throw new AppError('BAD_REQUEST', `The folder must be an absolute path: ${folder}`, [
      { path: 'path', message: 'Must be an absolute path' },
    ]);
  const dir = path.resolve(folder);
  if (SYSTEM_FOLDERS.some((r) => dir === r || dir.startsWith(r + path.sep)))
    throw new AppError('BAD_REQUEST', `${dir} is a system folder of the kernel, not a place for weights files.`, [
      { path: 'path', message: 'system folder' },
    ]);
  await refuseSystemLocation(dir); // a link that leads there
  let names: import('node:fs').Dirent[];
  try {
    names = await withFsDeadline(fsp.readdir(dir, { withFileTypes: true }), `Listing ${dir}`, dir);
  } catch (error) {
    throw named(dir, error);
  }
  const entries: FileEntry[] = [];
  for (const d of names) {
    if (!opts.hidden && d.name.startsWith('.')) continue;
    const full = path.join(dir, d.name);
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    let size: number | null = null;
    if (d.isSymbolicLink() || isFile) {
      // A link is listed as what it points to; a broken one is left out.
      const st = await withFsDeadline(fsp.stat(full), `Reading ${full}`, full).catch(() => null);
      if (!st) continue;
      isDir = st.isDirectory();
      isFile = st.isFile();
      size = isFile ? st.size : null;
    }
    if (isDir) entries.push({ name: d.name, kind: 'dir', size: null });
    else if (isFile && isWeightsFileName(d.name)) entries.push({ name: d.name, kind: 'file', size });
  }
  const byName = (a: FileEntry, b: FileEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  entries.sort((a, b) => (a.kind === b.kind ? byName(a, b) : a.kind === 'dir' ? -1 : 1));
  const parent = path.dirname(dir);
  return {
    path: dir,
    parent: parent === dir ? null : parent,
    entries: entries.slice(0, MAX_LISTED_ENTRIES),
    truncated: entries.length > MAX_LISTED_ENTRIES,
  };
}
