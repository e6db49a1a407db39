/**
 * The Slurm class against a real cluster (SLURM_CONF, e.g. scripts/slurm-test-cluster.sh): a job
 * submitted, seen by squeue and scontrol, cancelled and then judged ended; a held array with one task
 * given a dependency of its own, released; the partitions. Without a cluster the tests are skipped,
 * except in CI, where they fail (test/support/slurm.ts). Only the jobs submitted here are cancelled (others use the cluster too).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Slurm, type SlurmRow } from '../../../src-main/services/cluster/slurm';
import { tempDir } from '../../support/files';
import { slurmAvailable } from '../../support/slurm';

const HAVE = slurmAvailable();

/** Polls `read` every 250 ms until `done` holds (at most `timeoutMs`), returning the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs / 1000} s; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const byIndex = (rows: SlurmRow[]) => [...rows].sort((a, b) => (a.arrayIndex ?? -1) - (b.arrayIndex ?? -1));

describe.skipIf(!HAVE)('Slurm on the live cluster', () => {
  const slurm = new Slurm();
  const submitted: string[] = [];
  let dir = '';

  beforeAll(async () => {
    dir = await tempDir('slurm-live');
  });

  afterAll(async () => {
    if (submitted.length > 0) await slurm.cancel(submitted).catch(() => undefined);
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  async function script(name: string, ...lines: string[]): Promise<string> {
    const file = path.join(dir, name);
    await fsp.writeFile(
      file,
      ['#!/bin/bash', '#SBATCH --job-name=funduslab-live-test', '#SBATCH --output=/dev/null', ...lines, ''].join('\n'),
    );
    return file;
  }

  it('finds the tools and the debug partition', async () => {
    for (const tool of ['sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'] as const) await slurm.requireTool(tool);
    const debug = (await slurm.partitions()).find((p) => p.name === 'debug');
    expect(debug).toMatchObject({ name: 'debug', up: true });
  });

  it('follows a job from submission through squeue and scontrol to its cancellation', async () => {
    const id = await slurm.submit(await script('sleep.sbatch', 'sleep 30'));
    submitted.push(id);
    expect(id).toMatch(/^\d+$/);

    const queued = await slurm.queue([id]);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ jobId: id, arrayIndex: null, rawJobId: id, exitCode: null });
    expect(['PENDING', 'RUNNING']).toContain(queued[0]!.state);
    const shown = await slurm.showJobs([id]);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ jobId: id, arrayIndex: null, rawJobId: id });
    expect(['PENDING', 'RUNNING']).toContain(shown[0]!.state);
    expect(await slurm.jobEnded(id)).toBe(false);
    const accounted = await slurm.accounting([id]);
    if (accounted !== null) expect(accounted.map((r) => r.jobId)).toContain(id);

    await slurm.cancel([id]);
    await until(
      () => slurm.jobEnded(id),
      (ended) => ended === true,
      `job ${id} ended after scancel`,
    );
    expect(await slurm.queue([id])).toEqual([]);
    expect((await slurm.showJobs([id])).map((r) => r.state)).toEqual(['CANCELLED']);
  });

  it('holds an array, gives one pending task a dependency of its own and releases the array', async () => {
    const blocker = await slurm.submit(await script('blocker.sbatch', 'sleep 30'), { hold: true });
    submitted.push(blocker);
    const array = await slurm.submit(await script('array.sbatch', '#SBATCH --array=0-2', 'sleep 30'), { hold: true });
    submitted.push(array);

    const held = byIndex(await slurm.queue([array]));
    expect(held.map((r) => [r.jobId, r.arrayIndex, r.rawJobId, r.state, r.reason])).toEqual(
      [0, 1, 2].map((i) => [array, i, `${array}_${i}`, 'PENDING', 'JobHeldUser']),
    );

    await slurm.setTaskDependency(array, 1, `afterok:${blocker}`);
    const split = (await slurm.showJobs([array])).find((r) => r.arrayIndex === 1);
    expect(split?.rawJobId).toMatch(/^\d+$/);
    expect(split?.rawJobId).not.toBe(array);

    await slurm.release(array);
    const released = byIndex(
      await until(
        () => slurm.queue([array]),
        // Released and seen by the scheduler: each task runs or waits for a reason other than the hold.
        (rows) => rows.every((r) => r.state !== 'PENDING' || (r.reason !== null && r.reason !== 'JobHeldUser')),
        `array ${array} released`,
      ),
    );
    expect(released.map((r) => r.arrayIndex)).toEqual([0, 1, 2]);
    expect(released[1]).toMatchObject({ rawJobId: split?.rawJobId, state: 'PENDING', reason: 'Dependency' });
    expect(await slurm.jobEnded(`${array}_1`)).toBe(false);

    await slurm.cancel([array, blocker]);
    await until(
      () => slurm.jobEnded(array),
      (ended) => ended === true,
      `array ${array} ended after scancel`,
    );
    expect(await slurm.jobEnded(blocker)).toBe(true);
    expect((await slurm.showJobs([array])).map((r) => r.state)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
  });
});
