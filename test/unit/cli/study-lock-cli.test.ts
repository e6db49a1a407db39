/**
 * One writer per study across processes: two `funduslab train` processes (the built dist/cli.js) on
 * the same study, a stale lock left by a process that died, and an app job refused while the study is
 * busy (the job fails with the busy message).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studyLayout, studyLockFile } from '../../../src-main/services/study-folder/layout';
import { JobState } from '../../../src-shared/jobs';
import { TrainingEpochLog, TrainingResult, TrainingSpec } from '../../../src-shared/training';
import { callChannel, testApp } from '../../support/app';
import { REPO_ROOT, tempDir, tempDirSync } from '../../support/files';
import { demoSpec, demoStudy } from '../../support/studies';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[]): { pid: number; done: Promise<Finished> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { pid: child.pid!, done };
}

let study: string;
let specFile: string;
beforeAll(async () => {
  study = await demoStudy({ patients: 30 });
  specFile = path.join(await tempDir('spec'), 'spec.json');
  await fsp.writeFile(specFile, JSON.stringify(demoSpec({ epochs: 8 })));
}, 120_000);

describe('two CLI processes on the same study', () => {
  it("a dead process's lock is taken over; the second trainer is refused with the busy message; the first finishes intact", async () => {
    // A process that died holding the study: its lock stays behind.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const now = new Date().toISOString();
    const stale = {
      pid: Number(dead.stdout),
      host: os.hostname(),
      startedAt: now,
      heartbeatAt: now,
      what: 'funduslab grid',
      token: 'dead',
    };
    await fsp.writeFile(studyLockFile(study), JSON.stringify(stale));

    const first = startCli(['train', specFile, '--study', study, '--run-id', 'twin', '--json']);
    await expect
      .poll(async () => JSON.parse(await fsp.readFile(studyLockFile(study), 'utf8').catch(() => '{}')).pid, { timeout: 30_000 })
      .toBe(first.pid);
    const holder = JSON.parse(await fsp.readFile(studyLockFile(study), 'utf8')) as { startedAt: string };

    const second = await startCli(['train', specFile, '--study', study, '--run-id', 'twin', '--json']).done;
    expect(second.code).toBe(1);
    const busy = `The study is busy: funduslab train since ${new Date(holder.startedAt).toLocaleString()} (pid ${first.pid} on host ${os.hostname()}).`;
    expect(second.stderr).toContain(`funduslab train: ${busy}`);
    expect(JSON.parse(second.stdout)).toEqual({ ok: false, error: { code: 'BUSY', message: busy } });

    const ok = await first.done;
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(
      new RegExp(`Took over the stale lock .* of funduslab grid \\(pid ${stale.pid} on host .*\\): pid ${stale.pid} on host .* is gone\\.`),
    );
    // Nothing corrupted: every file of the run parses, and the lock is gone.
    const run = studyLayout(study).run('twin');
    const result = TrainingResult.parse(JSON.parse(await fsp.readFile(run.metrics, 'utf8')));
    expect(result).toMatchObject({ runId: 'twin', finalEpoch: 8 });
    expect(TrainingResult.parse(JSON.parse(ok.stdout).value)).toEqual(result);
    TrainingSpec.parse(JSON.parse(await fsp.readFile(run.spec, 'utf8')));
    const log = (await fsp.readFile(run.log, 'utf8')).trim().split('\n');
    expect(log.map((l) => TrainingEpochLog.parse(JSON.parse(l)).epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(existsSync(studyLockFile(study))).toBe(false);
  }, 300_000);
});

describe('app jobs and the study lock', () => {
  const app = testApp({ dataDir: tempDirSync('lock-jobs'), preferredBackend: 'auto' });
  afterAll(() => app.shutdown());

  it('a job that writes into a busy study fails at once with the busy message', async () => {
    const now = new Date().toISOString();
    // Another live writer (this test's parent process) holds the study.
    await fsp.writeFile(
      studyLockFile(study),
      JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: now, heartbeatAt: now, what: 'funduslab grid', token: 'cli' }),
    );
    const job = JobState.parse(
      await callChannel(app, 'jobs.submit', { kind: 'train.run', params: demoSpec({ epochs: 1 }), studyPath: study }),
    );
    const final = await app.jobs.waitFor(job.id);
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({
      code: 'BUSY',
      message: `The study is busy: funduslab grid since ${new Date(now).toLocaleString()} (pid ${process.ppid} on host ${os.hostname()}).`,
    });
    // The refused job left the other writer's lock alone and trained nothing.
    expect(JSON.parse(await fsp.readFile(studyLockFile(study), 'utf8'))).toMatchObject({ pid: process.ppid, token: 'cli' });
    expect(await fsp.readdir(studyLayout(study).folder('runs'))).toEqual(['twin']);
    await fsp.rm(studyLockFile(study), { force: true });
  }, 300_000);
});
