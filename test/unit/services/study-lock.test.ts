/** One writer per study (`<study>/.lock`): held, refused, re-entrant, released, stale locks taken over. */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  StudyBusyError,
  configureStudyLock,
  holdsStudyLock,
  studyLockHolder,
  withFileLock,
  withStudyLock,
  type LockHolder,
} from '../../../src-main/services/study-folder/lock';
import { studyLockFile } from '../../../src-main/services/study-folder/layout';
import { AppError } from '../../../src-shared/errors';
import { tempDir } from '../../support/files';

/** A pid that no process has: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function writeLock(study: string, over: Partial<LockHolder>): Promise<LockHolder> {
  const now = new Date().toISOString();
  const holder: LockHolder = {
    pid: process.ppid,
    host: os.hostname(),
    startedAt: now,
    heartbeatAt: now,
    what: 'Training run',
    token: 'other',
    ...over,
  };
  await fsp.writeFile(studyLockFile(study), JSON.stringify(holder));
  return holder;
}

const before = configureStudyLock({});
afterEach(() => {
  configureStudyLock(before);
});

describe('withStudyLock', () => {
  it('holds <study>/.lock with pid, host, start, heartbeat and what while the work runs, and removes it after', async () => {
    const study = await tempDir('lock');
    const seen = await withStudyLock(study, 'funduslab train', async () => {
      expect(holdsStudyLock(study)).toBe(true);
      return studyLockHolder(study);
    });
    expect(seen).toMatchObject({ pid: process.pid, host: os.hostname(), what: 'funduslab train' });
    expect(Date.parse(seen!.startedAt)).toBeGreaterThan(Date.now() - 10_000);
    expect(Date.parse(seen!.heartbeatAt)).toBeGreaterThan(Date.now() - 10_000);
    expect(existsSync(studyLockFile(study))).toBe(false);
    expect(holdsStudyLock(study)).toBe(false);
  });

  it('refuses a second writer at once with BUSY naming what holds the study, since when, pid and host', async () => {
    const study = await tempDir('lock');
    const holder = await writeLock(study, { what: 'Whole study (app job)', startedAt: '2026-01-02T03:04:05.000Z' });
    let ran = false;
    const error = await withStudyLock(study, 'funduslab train', async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(StudyBusyError);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BUSY');
    expect((error as Error).message).toBe(
      `The study is busy: Whole study (app job) since ${new Date('2026-01-02T03:04:05.000Z').toLocaleString()} (pid ${holder.pid} on host ${holder.host}).`,
    );
    // The other writer's lock is untouched.
    expect(JSON.parse(await fsp.readFile(studyLockFile(study), 'utf8'))).toEqual(holder);
  });

  it('refuses an independent second call in the same process, but lets nested calls through (held once)', async () => {
    const study = await tempDir('lock');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = withStudyLock(study, 'Whole study (app job)', async () => {
      // Nested: the whole study trains, evaluates and writes results under the one lock.
      const nested = await withStudyLock(study, 'Training run', async () => {
        expect((await studyLockHolder(study))?.what).toBe('Whole study (app job)');
        return 'nested ran';
      });
      await gate;
      return nested;
    });
    await expect.poll(() => existsSync(studyLockFile(study))).toBe(true);
    await expect(withStudyLock(study, 'funduslab evaluate', async () => 'second ran')).rejects.toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(/^The study is busy: Whole study \(app job\) since .* \(pid \d+ on host .+\)\.$/),
    });
    release();
    expect(await first).toBe('nested ran');
    expect(existsSync(studyLockFile(study))).toBe(false);
    // Free again: the next writer gets it.
    expect(await withStudyLock(study, 'funduslab evaluate', async () => 'third ran')).toBe('third ran');
  });

  it('is released when the work fails or is cancelled', async () => {
    const study = await tempDir('lock');
    await expect(
      withStudyLock(study, 'funduslab train', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(studyLockFile(study))).toBe(false);
    const controller = new AbortController();
    const cancelled = withStudyLock(study, 'Training run (app job)', async () => {
      await new Promise((_resolve, reject) =>
        controller.signal.addEventListener('abort', () => reject(new AppError('CANCELLED', 'Cancelled by the user'))),
      );
    });
    await expect.poll(() => existsSync(studyLockFile(study))).toBe(true);
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(studyLockFile(study))).toBe(false);
  });

  it('takes over a lock whose pid is gone on this host, with a log line', async () => {
    const study = await tempDir('lock');
    const pid = deadPid();
    await writeLock(study, { pid, what: 'funduslab grid' });
    const log: string[] = [];
    const holder = await withStudyLock(study, 'funduslab train', () => studyLockHolder(study), { log: (l) => log.push(l) });
    expect(holder).toMatchObject({ pid: process.pid, what: 'funduslab train' });
    expect(log).toEqual([
      expect.stringMatching(
        new RegExp(`^Took over the stale lock .* of funduslab grid \\(pid ${pid} on host .*\\): pid ${pid} on host .* is gone\\.$`),
      ),
    ]);
  });

  it('takes over a lock whose heartbeat is older than the timeout (another host), not a fresh one', async () => {
    configureStudyLock({ staleMs: 2_000 });
    const study = await tempDir('lock');
    await writeLock(study, { host: 'elsewhere', pid: 1, heartbeatAt: new Date(Date.now() - 1_000).toISOString() });
    await expect(withStudyLock(study, 'funduslab train', async () => 'ran')).rejects.toMatchObject({ code: 'BUSY' });
    await writeLock(study, { host: 'elsewhere', pid: 1, heartbeatAt: new Date(Date.now() - 3_000).toISOString() });
    const log: string[] = [];
    expect(await withStudyLock(study, 'funduslab train', async () => 'ran', { log: (l) => log.push(l) })).toBe('ran');
    expect(log).toEqual([expect.stringMatching(/Took over the stale lock .*\(pid 1 on host elsewhere\): no heartbeat for 3 s\.$/)]);
  });

  it('refreshes its heartbeat while held, so a long run is never taken for stale', async () => {
    configureStudyLock({ staleMs: 400, heartbeatMs: 50 });
    const study = await tempDir('lock');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = withStudyLock(study, 'funduslab train', () => gate);
    await expect.poll(() => existsSync(studyLockFile(study))).toBe(true);
    const first = (await studyLockHolder(study))!;
    await new Promise((resolve) => setTimeout(resolve, 700));
    const later = (await studyLockHolder(study))!;
    expect(later.token).toBe(first.token);
    expect(Date.parse(later.heartbeatAt)).toBeGreaterThan(Date.parse(first.heartbeatAt));
    expect(Date.now() - Date.parse(later.heartbeatAt)).toBeLessThan(400);
    // Still held after longer than the timeout: another writer is refused.
    await expect(withStudyLock(study, 'funduslab evaluate', async () => 'x')).rejects.toMatchObject({ code: 'BUSY' });
    release();
    await held;
  });

  it('makes a missing study folder for the lock and removes it again when nothing was written', async () => {
    const parent = await tempDir('lock');
    const study = path.join(parent, 'new', 'study');
    await withStudyLock(study, 'funduslab study', async () => expect(existsSync(studyLockFile(study))).toBe(true));
    expect(existsSync(path.join(parent, 'new'))).toBe(false);
    await withStudyLock(study, 'funduslab study', () => fsp.writeFile(path.join(study, 'study.json'), '{}'));
    expect(await fsp.readdir(study)).toEqual(['study.json']);
  });

  it.runIf(process.platform === 'linux')(
    'refuses a study folder that cannot be made (under /proc) at once, never hanging',
    async () => {
      const started = Date.now();
      await expect(withStudyLock('/proc/self/funduslab-study/deep', 'funduslab study', async () => 'ran')).rejects.toMatchObject({
        code: expect.stringMatching(/^E/),
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    },
    10_000,
  );
});

describe('withFileLock', () => {
  it('serialises two read-compare-writes of one file (the second waits for the first)', async () => {
    const dir = await tempDir('lock');
    const file = path.join(dir, 'counter.json');
    await fsp.writeFile(file, '0');
    const bump = () =>
      withFileLock(file, async () => {
        const n = Number(await fsp.readFile(file, 'utf8'));
        await new Promise((resolve) => setTimeout(resolve, 20));
        await fsp.writeFile(file, String(n + 1));
      });
    await Promise.all([bump(), bump(), bump(), bump()]);
    expect(await fsp.readFile(file, 'utf8')).toBe('4');
    expect(await fsp.readdir(dir)).toEqual(['counter.json']);
  });
});
