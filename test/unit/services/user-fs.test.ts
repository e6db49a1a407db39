/** File system work on user paths: a deadline for calls that never settle, and links into the system folders refused. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { refuseSystemLocation, withFsDeadline } from '../../../src-main/fs/user-fs';
import { tempDir } from '../../support/files';

describe('user file system calls', () => {
  it('a call that never settles answers TIMEOUT after the deadline; a settled one passes through', async () => {
    const started = Date.now();
    await expect(withFsDeadline(new Promise(() => {}), 'Creating the study', '/mnt/hung', 'path', 200)).rejects.toMatchObject({
      code: 'TIMEOUT',
      message:
        'Creating the study did not finish within 0.2 s: the file system at /mnt/hung does not answer. Choose a folder on a local disk.',
      issues: [{ path: 'path', message: 'the file system does not answer' }],
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(withFsDeadline(Promise.resolve(7), 'x', '/y', 'path', 200)).resolves.toBe(7);
    await expect(withFsDeadline(Promise.reject(new Error('boom')), 'x', '/y', 'path', 200)).rejects.toThrow('boom');
  });

  it('refuses a path that leads into /proc, /sys or /dev through a link, even when the rest does not exist yet', async () => {
    const dir = await tempDir('user-fs');
    await fsp.symlink('/proc/self', path.join(dir, 'self'));
    await fsp.symlink('/dev', path.join(dir, 'devices'));
    await expect(refuseSystemLocation(path.join(dir, 'self', 'new', 'study'))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'path', message: 'leads under /proc' }],
    });
    await expect(refuseSystemLocation(path.join(dir, 'devices', 'shm'), 'csv')).rejects.toMatchObject({
      issues: [{ path: 'csv', message: 'leads under /dev' }],
    });
    // /proc/self/cwd is the working folder: a path through it passes through /proc all the same.
    await expect(refuseSystemLocation(path.join(dir, 'self', 'cwd'), 'studyPath')).rejects.toMatchObject({
      issues: [{ path: 'studyPath', message: 'leads under /proc' }],
    });
    await expect(refuseSystemLocation(path.join(dir, 'not', 'yet', 'there'))).resolves.toBeUndefined();
    await expect(refuseSystemLocation(dir)).resolves.toBeUndefined();
  });
});
