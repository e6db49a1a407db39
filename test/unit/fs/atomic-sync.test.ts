/**
 * Atomic writes reach the disk, names included: writeFileAtomic and writeFileAtomicSync flush the file
 * and, after the rename, its folder; a checkpoint flushes its temporary folder before the swap and the
 * run folder once the new checkpoint is in place; a result folder is flushed whole and its parent
 * after the swap. Observed by recording every open, fsync and rename the code makes.
 */
import fs, { promises as fsp } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { syncDir, writeFileAtomic, writeFileAtomicSync } from '../../../src-main/fs/atomic';
import { commitCheckpointFolder } from '../../../src-main/services/training/checkpoint';
import { writeResultFolder } from '../../../src-main/services/study-folder/result-folder';
import { tempDir } from '../../support/files';

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

/** Records "rename <to>", "rm <path>" and "sync <path>" (an fsync of a handle opened on path) in order. */
function recordAsync(): string[] {
  const events: string[] = [];
  const open = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (file, ...rest) => {
    const handle = await open(file, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      events.push(`sync ${String(file)}`);
      return sync();
    };
    return handle;
  });
  const rename = fsp.rename.bind(fsp);
  vi.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
    await rename(from, to);
    events.push(`rename ${String(to)}`);
  });
  const rm = fsp.rm.bind(fsp);
  vi.spyOn(fsp, 'rm').mockImplementation(async (target, options) => {
    await rm(target, options);
    events.push(`rm ${String(target)}`);
  });
  return events;
}

describe('directory fsync after a rename', () => {
  it('writeFileAtomic flushes the file, renames it, then flushes its folder', async () => {
    const dir = await tempDir('atomic');
    const file = path.join(dir, 'state.json');
    const events = recordAsync();
    await writeFileAtomic(file, '{"a":1}\n');
    expect(await fsp.readFile(file, 'utf8')).toBe('{"a":1}\n');
    expect(events).toEqual([
      expect.stringMatching(new RegExp(`^sync ${dir}/\\.state\\.json\\..*\\.tmp$`)),
      `rename ${file}`,
      `sync ${dir}`,
    ]);
  });

  it('writeFileAtomicSync flushes the file, renames it, then flushes its folder', async () => {
    const dir = await tempDir('atomic');
    const file = path.join(dir, 'settings.json');
    const events: string[] = [];
    const openSync = fs.openSync;
    const fsyncSync = fs.fsyncSync;
    const renameSync = fs.renameSync;
    const opened = new Map<number, string>();
    vi.spyOn(fs, 'openSync').mockImplementation((p, ...rest) => {
      const fd = openSync(p, ...(rest as [string]));
      opened.set(fd, String(p));
      return fd;
    });
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      events.push(`sync ${opened.get(fd)}`);
      fsyncSync(fd);
    });
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      renameSync(from, to);
      events.push(`rename ${String(to)}`);
    });
    syncBuiltinESMExports();
    writeFileAtomicSync(file, 'x');
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
    expect(events).toEqual([expect.stringMatching(/\.settings\.json\..*\.tmp$/), `rename ${file}`, `sync ${dir}`]);
  });

  it('a folder that cannot be flushed (as on Windows) does not fail the write', async () => {
    const dir = await tempDir('atomic');
    const open = fsp.open.bind(fsp);
    vi.spyOn(fsp, 'open').mockImplementation(async (file, ...rest) => {
      if (String(file) === dir) throw Object.assign(new Error('EISDIR: illegal operation on a directory'), { code: 'EISDIR' });
      return open(file, ...rest);
    });
    await writeFileAtomic(path.join(dir, 'a.json'), '1');
    await syncDir(dir);
    expect(await fsp.readFile(path.join(dir, 'a.json'), 'utf8')).toBe('1');
  });

  it('a checkpoint flushes its temporary folder before the swap, and the run folder once it is in place (before the old one goes)', async () => {
    const run = await tempDir('atomic');
    const write = async (file: string, data: string | Uint8Array) => fsp.writeFile(file, data);
    await commitCheckpointFolder(run, [['state.json', () => '{"epoch":1}']], 1, write);
    const events = recordAsync();
    await commitCheckpointFolder(run, [['state.json', () => '{"epoch":2}']], 2, write);
    expect(await fsp.readFile(path.join(run, 'checkpoint', 'state.json'), 'utf8')).toBe('{"epoch":2}');
    const tmpSync = events.findIndex((e) => /^sync .*\/\.checkpoint-.*\.tmp$/.test(e));
    const swapped = events.indexOf(`rename ${path.join(run, 'checkpoint')}`);
    const removedOld = events.indexOf(`rm ${path.join(run, 'checkpoint.prev')}`);
    expect(tmpSync).toBeGreaterThanOrEqual(0);
    expect(swapped).toBeGreaterThan(tmpSync);
    expect(removedOld).toBeGreaterThan(swapped);
    expect(events.slice(swapped + 1, removedOld)).toContain(`sync ${run}`);
    expect(events.slice(removedOld + 1)).toContain(`sync ${run}`);
  });

  it('a result folder is flushed whole before the swap and its parent after it', async () => {
    const parent = path.join(await tempDir('atomic'), 'evaluations');
    const events = recordAsync();
    await writeResultFolder({ parent, dir: path.join(parent, 'e1') }, async (tmp) => fsp.writeFile(path.join(tmp, 'result.json'), '{}'));
    const swapped = events.indexOf(`rename ${path.join(parent, 'e1')}`);
    expect(events.slice(0, swapped)).toEqual([
      expect.stringMatching(/\/\.e1\.tmp-\w+\/result\.json$/),
      expect.stringMatching(/\/\.e1\.tmp-\w+$/),
    ]);
    expect(events.slice(swapped + 1)).toContain(`sync ${parent}`);
  });
});
