/**
 * The work lock of a run or pretraining folder (`<folder>/.lock`): two real processes racing for one
 * run (one wins, the other is refused with RunBusyError naming the winner), the Slurm job id in the
 * lock file, stale locks (dead pid, a Slurm job the injected checker says has ended, an earlier run
 * of this very job requeued on another host) and fresh ones that stay held, nesting.
 */
import { fork, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RunBusyError,
  configureStudyLock,
  heldLockWhat,
  holdsWorkLock,
  slurmJobId,
  studyLockHolder,
  withStudyLock,
  withWorkLock,
  workLockHolder,
  type LockHolder,
} from '../../../src-main/services/study-folder/lock';
import { workLockFile } from '../../../src-main/services/study-folder/layout';
import { AppError } from '../../../src-shared/errors';
import { bundleDriver } from '../../support/bundle-driver';
import { REPO_ROOT, tempDir } from '../../support/files';

/** A pid that no process has: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function writeLock(dir: string, over: Partial<LockHolder>): Promise<LockHolder> {
  const now = new Date().toISOString();
  const holder: LockHolder = { pid: 1, host: 'node07', startedAt: now, heartbeatAt: now, what: 'funduslab grid', token: 'other', ...over };
  await fsp.writeFile(workLockFile(dir), JSON.stringify(holder));
  return holder;
}

async function runFolder(): Promise<string> {
  const dir = path.join(await tempDir('work-lock'), 'runs', 'iwne-fs-f1-s0');
  await fsp.mkdir(dir, { recursive: true });
  return dir;
}

const SLURM_VARS = ['SLURM_JOB_ID', 'SLURM_ARRAY_JOB_ID', 'SLURM_ARRAY_TASK_ID', 'SLURM_RESTART_COUNT'] as const;
const savedEnv = Object.fromEntries(SLURM_VARS.map((k) => [k, process.env[k]]));
const before = configureStudyLock({});
afterEach(() => {
  configureStudyLock(before);
  for (const k of SLURM_VARS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

let driver: Awaited<ReturnType<typeof bundleDriver>>;
beforeAll(async () => {
  driver = await bundleDriver(path.join(import.meta.dirname, 'work-lock-driver.ts'), 'work-lock-driver');
});
afterAll(async () => driver?.remove());

type DriverLine = { held?: LockHolder; ok?: true; busy?: { code: string; message: string; holder: LockHolder } };

/** Runs the driver with `env` (the Slurm variables of a task) and returns its JSON lines. */
function runDriver(args: string[], env: Record<string, string>): Promise<DriverLine[]> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLURM_')));
    const child = fork(driver.file, args, { cwd: REPO_ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as DriverLine),
          )
        : reject(new Error(`driver exited ${code}: ${err}`)),
    );
  });
}

describe('slurmJobId', () => {
  it('is <array job>_<task> for an array task, else the job id, else absent', () => {
    expect(slurmJobId({ SLURM_JOB_ID: '101', SLURM_ARRAY_JOB_ID: '100', SLURM_ARRAY_TASK_ID: '3' })).toBe('100_3');
    expect(slurmJobId({ SLURM_JOB_ID: '101', SLURM_ARRAY_JOB_ID: '100' })).toBe('101');
    expect(slurmJobId({ SLURM_JOB_ID: '101' })).toBe('101');
    expect(slurmJobId({})).toBeUndefined();
  });
});

describe('withWorkLock', () => {
  it('lets exactly one of two processes racing for one run train it; the other is refused naming the winner', async () => {
    const dir = await runFolder();
    const startAt = String(Date.now() + 1_500);
    const [a, b] = await Promise.all([
      runDriver([dir, 'cluster task A', '1500', startAt], { SLURM_JOB_ID: '101', SLURM_ARRAY_JOB_ID: '100', SLURM_ARRAY_TASK_ID: '3' }),
      runDriver([dir, 'cluster task B', '1500', startAt], { SLURM_JOB_ID: '200' }),
    ]);
    const winners = [a, b].filter((lines) => lines.some((l) => l.ok));
    const losers = [a, b].filter((lines) => lines.some((l) => l.busy));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const held = winners[0]![0]!.held!;
    // The lock file held the winner's Slurm job id, host and pid while it worked.
    expect(held).toMatchObject({ host: os.hostname(), jobId: held.what === 'cluster task A' ? '100_3' : '200' });
    const busy = losers[0]!.find((l) => l.busy)!.busy!;
    expect(busy.code).toBe('BUSY');
    expect(busy.holder).toEqual(held);
    expect(busy.message).toBe(
      `The run iwne-fs-f1-s0 is being trained by ${held.what} (Slurm job ${held.jobId} on host ${os.hostname()}, since ${new Date(held.startedAt).toLocaleString()}).`,
    );
    expect(losers[0]!.some((l) => l.held)).toBe(false);
    expect(existsSync(workLockFile(dir))).toBe(false);
  }, 30_000);

  it('holds <dir>/.lock with the Slurm job id of this process (also the study lock), and removes it after', async () => {
    process.env.SLURM_JOB_ID = '555';
    const dir = await runFolder();
    const seen = await withWorkLock(dir, 'funduslab grid', async () => {
      expect(holdsWorkLock(dir)).toBe(true);
      expect(heldLockWhat()).toBe('funduslab grid');
      return workLockHolder(dir);
    });
    expect(seen).toMatchObject({ pid: process.pid, host: os.hostname(), what: 'funduslab grid', jobId: '555' });
    expect(existsSync(workLockFile(dir))).toBe(false);
    const study = path.dirname(path.dirname(dir));
    expect(await withStudyLock(study, 'funduslab study', () => studyLockHolder(study))).toMatchObject({ jobId: '555' });
    delete process.env.SLURM_JOB_ID;
    expect(await withWorkLock(dir, 'funduslab grid', () => workLockHolder(dir))).not.toHaveProperty('jobId');
  });

  it('refuses a live holder outside Slurm naming pid and host; nested calls for the same folder run without locking again', async () => {
    const dir = await runFolder();
    const holder = await writeLock(dir, { pid: process.ppid, host: os.hostname(), what: 'Training run (app job)' });
    const error = await withWorkLock(dir, 'funduslab grid', async () => 'ran').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunBusyError);
    expect(error).toBeInstanceOf(AppError);
    expect((error as RunBusyError).message).toBe(
      `The run iwne-fs-f1-s0 is being trained by Training run (app job) (pid ${process.ppid} on host ${os.hostname()}, since ${new Date(holder.startedAt).toLocaleString()}).`,
    );
    expect(JSON.parse(await fsp.readFile(workLockFile(dir), 'utf8'))).toEqual(holder);

    const other = await runFolder();
    const nested = await withWorkLock(other, 'funduslab grid', () =>
      withWorkLock(other, 'inner', async () => ({ what: (await workLockHolder(other))?.what, inner: heldLockWhat() })),
    );
    expect(nested).toEqual({ what: 'funduslab grid', inner: 'funduslab grid' });
  });

  it('takes over a lock whose pid is gone on this host, with a log line', async () => {
    const dir = await runFolder();
    const pid = deadPid();
    await writeLock(dir, { pid, host: os.hostname(), jobId: '77' });
    const log: string[] = [];
    const holder = await withWorkLock(dir, 'funduslab grid', () => workLockHolder(dir), { log: (l) => log.push(l) });
    expect(holder).toMatchObject({ pid: process.pid, token: expect.not.stringMatching(/^other$/) });
    expect(log).toEqual([
      expect.stringMatching(new RegExp(`of funduslab grid \\(pid ${pid} on host .*\\): pid ${pid} on host .* is gone\\.$`)),
    ]);
  });

  it('takes over a fresh lock whose Slurm job the checker says has ended; keeps it when the checker says running or cannot tell', async () => {
    const dir = await runFolder();
    const asked: string[] = [];
    const answers: (boolean | null | 'throw')[] = [false, null, 'throw', true];
    configureStudyLock({
      jobEnded: async (jobId) => {
        asked.push(jobId);
        const answer = answers.shift()!;
        if (answer === 'throw') throw new Error('scontrol: not reachable');
        return answer;
      },
    });
    const holder = await writeLock(dir, { jobId: '123_4' });
    for (let i = 0; i < 3; i++)
      await expect(withWorkLock(dir, 'funduslab grid', async () => 'ran')).rejects.toMatchObject({
        code: 'BUSY',
        message: `The run iwne-fs-f1-s0 is being trained by funduslab grid (Slurm job 123_4 on host node07, since ${new Date(holder.startedAt).toLocaleString()}).`,
      });
    expect(asked).toEqual(['123_4', '123_4', '123_4']);
    const log: string[] = [];
    expect(await withWorkLock(dir, 'funduslab grid', async () => 'ran', { log: (l) => log.push(l) })).toBe('ran');
    expect(log).toEqual([expect.stringMatching(/\(pid 1 on host node07\): Slurm job 123_4 has ended\.$/)]);
    // A holder outside Slurm is never asked about.
    await writeLock(dir, {});
    await expect(withWorkLock(dir, 'funduslab grid', async () => 'ran')).rejects.toBeInstanceOf(RunBusyError);
    expect(asked).toHaveLength(4);
  });

  it('without a checker a fresh Slurm holder on another host stays held; a stale heartbeat is taken over', async () => {
    configureStudyLock({ staleMs: 2_000 });
    const dir = await runFolder();
    await writeLock(dir, { jobId: '9', heartbeatAt: new Date(Date.now() - 1_000).toISOString() });
    await expect(withWorkLock(dir, 'funduslab grid', async () => 'ran')).rejects.toBeInstanceOf(RunBusyError);
    await writeLock(dir, { jobId: '9', heartbeatAt: new Date(Date.now() - 3_000).toISOString() });
    const log: string[] = [];
    expect(await withWorkLock(dir, 'funduslab grid', async () => 'ran', { log: (l) => log.push(l) })).toBe('ran');
    expect(log).toEqual([expect.stringMatching(/: no heartbeat for 3 s\.$/)]);
  });

  it('takes over the lock of an earlier run of this very Slurm job on another host once Slurm started it again', async () => {
    const dir = await runFolder();
    process.env.SLURM_ARRAY_JOB_ID = '300';
    process.env.SLURM_ARRAY_TASK_ID = '2';
    await writeLock(dir, { jobId: '300_2' });
    // Not restarted: two processes of one job (e.g. an allocation's shell) do not take each other's locks.
    await expect(withWorkLock(dir, 'funduslab grid', async () => 'ran')).rejects.toBeInstanceOf(RunBusyError);
    process.env.SLURM_RESTART_COUNT = '1';
    await writeLock(dir, { jobId: '300_1' }); // another task of the array
    await expect(withWorkLock(dir, 'funduslab grid', async () => 'ran')).rejects.toBeInstanceOf(RunBusyError);
    await writeLock(dir, { jobId: '300_2' });
    const log: string[] = [];
    expect(await withWorkLock(dir, 'funduslab grid', () => workLockHolder(dir), { log: (l) => log.push(l) })).toMatchObject({
      jobId: '300_2',
      pid: process.pid,
    });
    expect(log).toEqual([expect.stringMatching(new RegExp(`: Slurm job 300_2 was started again on host ${os.hostname()}\\.$`))]);
  });

  it('makes a missing folder for the lock and removes it again when nothing was written', async () => {
    const parent = await tempDir('work-lock');
    const dir = path.join(parent, 'pretrain', 'moco-abc');
    await withWorkLock(dir, 'funduslab grid', async () => expect(existsSync(workLockFile(dir))).toBe(true));
    expect(await fsp.readdir(parent)).toEqual([]);
    await withWorkLock(dir, 'funduslab grid', () => fsp.writeFile(path.join(dir, 'settings.json'), '{}'));
    expect(await fsp.readdir(dir)).toEqual(['settings.json']);
  });
});
