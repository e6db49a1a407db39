/**
 * Writes that fail because of the file system say so (issue 23, case 8): a read-only file system,
 * a full disk and a refused permission — injected into the fs calls of the atomic writers, as a
 * read-only mount is not available to the tests — are NOT_WRITABLE errors naming the file being
 * written and what the code means, through the CLI (`results --csv`, `report`) and the writers of
 * result folders; `results` on a folder that does not exist fails naming it.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/main';
import { writeFileAtomic, writeFileAtomicSync } from '../../../src-main/fs/atomic';
import { asAppError } from '../../../src-main/fs/errors';
import { writeResultFolder } from '../../../src-main/services/study-folder/result-folder';
import { AppError } from '../../../src-shared/errors';
import { captureOutput } from '../../support/cli';
import { tempDir } from '../../support/files';
import { makeStudy } from '../../support/studies';

let study: string;
beforeAll(async () => {
  study = await makeStudy();
});
afterEach(() => vi.restoreAllMocks());

/** An error as Node's fs gives it (`path` only where the call has one: a failed `write` has none). */
function fsError(code: string, syscall: string, file?: string): NodeJS.ErrnoException {
  const message = { EROFS: 'read-only file system', ENOSPC: 'no space left on device', EACCES: 'permission denied' }[code];
  return Object.assign(new Error(`${code}: ${message}, ${syscall}${file ? ` '${file}'` : ''}`), {
    code,
    syscall,
    ...(file ? { path: file } : {}),
  });
}

/** Makes fsp.open fail (EROFS, EACCES: on opening) or the written file's write fail (ENOSPC) for files under `dir`. */
function injectWriteFailure(code: 'EROFS' | 'ENOSPC' | 'EACCES', dir: string): void {
  const open = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (file, flags, mode) => {
    const inside = String(file).startsWith(dir + path.sep);
    if (inside && code !== 'ENOSPC') throw fsError(code, 'open', String(file));
    const handle = await open(file, flags, mode);
    if (inside) handle.writeFile = () => Promise.reject(fsError('ENOSPC', 'write'));
    return handle;
  });
  vi.spyOn(fsp, 'mkdtemp').mockImplementation(async (prefix) => {
    if (code === 'ENOSPC') throw fsError('ENOSPC', 'mkdtemp', `${String(prefix)}XXXXXX`);
    throw fsError(code, 'mkdtemp', `${String(prefix)}XXXXXX`);
  });
}

/** The CLI's exit code and the `--json` error. */
async function cli(args: string[]): Promise<{ code: number; error: { code: string; message: string } }> {
  const output = captureOutput();
  const code = await main([...args, '--json']);
  const printed = output.out();
  vi.restoreAllMocks();
  return { code, error: (JSON.parse(printed) as { error: { code: string; message: string } }).error };
}

const MEANING = { EROFS: /read-only file system/, ENOSPC: /disk is full/, EACCES: /permission denied/ } as const;

describe.each(['EROFS', 'ENOSPC', 'EACCES'] as const)('%s', (code) => {
  it('writeFileAtomic names the file and the meaning, and leaves no temporary file', async () => {
    const dir = await tempDir('fs-errors');
    const file = path.join(dir, 'table.csv');
    injectWriteFailure(code, dir);
    const error = await writeFileAtomic(file, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('NOT_WRITABLE');
    expect((error as AppError).message).toMatch(MEANING[code]);
    expect((error as AppError).message).toContain(code === 'EACCES' ? dir : file);
    vi.restoreAllMocks();
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it('`results --csv` exits 1 naming the CSV file', async () => {
    const dir = await tempDir('fs-errors');
    const csv = path.join(dir, 'results.csv');
    injectWriteFailure(code, dir);
    const { code: exit, error } = await cli(['results', '--study', study, '--csv', csv]);
    expect(exit).toBe(1);
    expect(error.code).toBe('NOT_WRITABLE');
    expect(error.message).toMatch(MEANING[code]);
    expect(error.message).toContain(dir);
    expect(error.message).not.toMatch(/ENOENT/);
  });

  it('`report` exits 1 naming the PDF', async () => {
    const dir = await tempDir('fs-errors');
    const out = path.join(dir, 'report.pdf');
    injectWriteFailure(code, dir);
    const { code: exit, error } = await cli(['report', '--study', study, '--out', out]);
    expect(exit).toBe(1);
    expect(error.code).toBe('NOT_WRITABLE');
    expect(error.message).toMatch(MEANING[code]);
    expect(error.message).toContain(code === 'EACCES' ? dir : out);
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it('a result folder names the result', async () => {
    const parent = await tempDir('fs-errors');
    const dir = path.join(parent, 'run__demo');
    injectWriteFailure(code, parent);
    const error = await writeResultFolder({ parent, dir }, async () => undefined).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('NOT_WRITABLE');
    expect((error as AppError).message).toMatch(MEANING[code]);
    expect((error as AppError).message).toContain(code === 'EACCES' ? parent : dir);
  });
});

describe('other file system errors', () => {
  it('a missing folder is not a write refusal: the synchronous writer keeps the fs error its callers check', async () => {
    const dir = await tempDir('fs-errors');
    const error = (() => {
      try {
        writeFileAtomicSync(path.join(dir, 'no-such-folder', 'state.json'), 'x');
      } catch (e) {
        return e;
      }
    })();
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('any fs error reaching a command is shown with its path and meaning, never as a bare code', () => {
    const error = asAppError(fsError('EROFS', 'mkdir', '/mnt/ro/study/evaluations'));
    expect(error.code).toBe('NOT_WRITABLE');
    expect(error.message).toBe(
      '/mnt/ro/study/evaluations: read-only file system (EROFS, mkdir). Choose a folder on a writable disk (the file system is mounted read-only).',
    );
  });

  it('`results` on a folder that does not exist exits 1 naming it', async () => {
    const missing = path.join(await tempDir('fs-errors'), 'no-such-study');
    const { code, error } = await cli(['results', '--study', missing]);
    expect(code).toBe(1);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe(`The study folder ${missing} does not exist.`);
  });
});
