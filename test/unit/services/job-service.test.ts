/**
 * The job state machine, with scripted in-process workers that speak the real worker protocol.
 * (test/unit/services/job-worker.test.ts runs the same service against real worker processes.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { JobState, type JobRequest } from '../../../src-shared/jobs';
import { JobService } from '../../../src-main/services/jobs/job-service';
import type { WorkerHandle, WorkerLauncher } from '../../../src-main/services/jobs/launcher';
import { memoryLogger } from '../../../src-main/services/log';
import { tempDirSync } from '../../support/files';

type Script = (worker: ScriptedWorker, run: { task: string; params: unknown }) => void;

class ScriptedWorker implements WorkerHandle {
  private messageListeners: Array<(m: unknown) => void> = [];
  private exitListeners: Array<(code: number | null) => void> = [];
  exited = false;
  cancelRequests = 0;
  killed = false;
  constructor(private readonly script: Script) {
    setTimeout(() => this.emit({ type: 'ready' }), 0);
  }
  postMessage(message: unknown): void {
    const m = message as { type: string; task: string; params: unknown };
    if (m.type === 'run') setTimeout(() => this.script(this, m), 0);
    if (m.type === 'cancel') this.cancelRequests++;
  }
  onMessage(listener: (m: unknown) => void): void {
    this.messageListeners.push(listener);
  }
  onExit(listener: (code: number | null) => void): void {
    this.exitListeners.push(listener);
  }
  kill(): void {
    this.killed = true;
    this.exit(null);
  }
  emit(message: unknown): void {
    if (!this.exited) for (const l of this.messageListeners) l(message);
  }
  exit(code: number | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const l of this.exitListeners) l(code);
  }
}

class ScriptedLauncher implements WorkerLauncher {
  readonly workers: ScriptedWorker[] = [];
  constructor(private readonly script: Script) {}
  start(): WorkerHandle {
    const worker = new ScriptedWorker(this.script);
    this.workers.push(worker);
    return worker;
  }
}

const REQUEST: JobRequest = { kind: 'engine.selftest', params: { size: 16, batch: 2, steps: 3 } };
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function setup(script: Script, extra: Partial<ConstructorParameters<typeof JobService>[0]> = {}) {
  const dir = tempDirSync('jobs');
  const launcher = new ScriptedLauncher(script);
  const updates: JobState[] = [];
  const service = new JobService({
    appJobsDir: dir,
    launcher,
    preference: () => 'cpu',
    onUpdate: (s) => updates.push(JobState.parse(s)),
    log: memoryLogger(),
    cancelGraceMs: 50,
    ...extra,
  });
  return { dir, launcher, updates, service };
}

const succeedInThreeSteps: Script = (w) => {
  w.emit({ type: 'progress', done: 1, total: 3, message: 'step 1' });
  w.emit({ type: 'log', line: 'hello from the worker' });
  w.emit({ type: 'progress', done: 3, total: 3, message: 'step 3' });
  w.emit({ type: 'result', value: { answer: 42 } });
  w.exit(0);
};

describe('JobService', () => {
  it('runs a job to success: queued → running → succeeded, with progress, log and result persisted', async () => {
    const { dir, updates, service } = setup(succeedInThreeSteps);
    const submitted = await service.submit(REQUEST);
    expect(submitted.status).toBe('queued');
    const final = await service.waitFor(submitted.id);
    expect(final).toMatchObject({ status: 'succeeded', result: { answer: 42 }, error: null, progress: { done: 3, total: 3 } });
    expect(final.log.some((l) => l.includes('hello from the worker'))).toBe(true);
    const statuses = updates.filter((u) => u.id === submitted.id).map((u) => u.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('succeeded');
    const onDisk = JobState.parse(JSON.parse(readFileSync(path.join(dir, `${submitted.id}.json`), 'utf8')));
    expect(onDisk.status).toBe('succeeded');
    expect(readFileSync(path.join(dir, `${submitted.id}.log`), 'utf8')).toContain('hello from the worker');
  });

  it('passes the kind, the parameters and the backend preference to the worker', async () => {
    let seen: unknown;
    const { service } = setup((w, run) => {
      seen = run;
      w.emit({ type: 'result', value: null });
      w.exit(0);
    });
    await service.waitFor((await service.submit(REQUEST)).id);
    expect(seen).toMatchObject({ type: 'run', task: 'engine.selftest', params: REQUEST.params, preference: 'cpu' });
  });

  it('reports an ETA from the rate so far', async () => {
    let release!: () => void;
    const { service } = setup((w) => {
      setTimeout(() => w.emit({ type: 'progress', done: 1, total: 4, message: 'quarter' }), 60);
      release = () => {
        w.emit({ type: 'result', value: null });
        w.exit(0);
      };
    });
    const job = await service.submit(REQUEST);
    await tick(120);
    const running = service.get(job.id);
    expect(running.status).toBe('running');
    expect(running.progress.done).toBe(1);
    // ~60 ms for a quarter → ~180 ms left, loosely
    expect(running.progress.etaSeconds).toBeGreaterThan(0.05);
    expect(running.progress.etaSeconds).toBeLessThan(2);
    release();
    await service.waitFor(job.id);
  });

  it("takes a whole study's time left and run from its progress model, and keeps the bar of other jobs from going back", async () => {
    let release!: () => void;
    const { service } = setup((w) => {
      w.emit({ type: 'progress', done: 3, total: 4, message: 'sub-step' });
      w.emit({ type: 'progress', done: 1, total: 4, message: 'next sub-step' });
      setTimeout(
        () =>
          w.emit({
            type: 'progress',
            done: 2500,
            total: 10_000,
            message: 'Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20',
            info: { elapsedSeconds: 12, etaSeconds: 345, runId: 'iwne-fs-r-f0.5-s0' },
          }),
        30,
      );
      release = () => {
        w.emit({ type: 'result', value: null });
        w.exit(0);
      };
    });
    const job = await service.submit(REQUEST);
    await tick(15);
    // Counts only: the time left from the rate; counts that restart lower leave it finite (the one-step model holds the bar).
    expect(service.get(job.id).progress).toMatchObject({ done: 1, total: 4, message: 'next sub-step' });
    await tick(60);
    expect(service.get(job.id).progress).toEqual({
      done: 2500,
      total: 10_000,
      message: 'Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20',
      etaSeconds: 345,
      runId: 'iwne-fs-r-f0.5-s0',
    });
    release();
    await service.waitFor(job.id);
  });

  it('a worker error fails the job with its message; a worker that dies says so', async () => {
    const failing = setup((w) => {
      w.emit({ type: 'error', error: { code: 'BAD_REQUEST', message: 'steps must be ≤ 500' } });
      w.exit(0);
    });
    const failed = await failing.service.waitFor((await failing.service.submit(REQUEST)).id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'BAD_REQUEST', message: 'steps must be ≤ 500' } });

    const dying = setup((w) => w.exit(134));
    const died = await dying.service.waitFor((await dying.service.submit(REQUEST)).id);
    expect(died.status).toBe('failed');
    expect(died.error?.message).toMatch(/ended unexpectedly \(exit code 134\)/);
  });

  it('cancel: a running job is asked to stop, and killed if it does not', async () => {
    const { launcher, service } = setup(() => {
      /* never finishes, ignores cancel */
    });
    const job = await service.submit(REQUEST);
    await tick(20);
    await service.cancel(job.id);
    const final = await service.waitFor(job.id);
    expect(final.status).toBe('cancelled');
    expect(launcher.workers[0]!.cancelRequests).toBe(1);
    expect(launcher.workers[0]!.killed).toBe(true);
    expect(final.log.some((l) => l.includes('killed'))).toBe(true);
  });

  it('cancel: a queued job is cancelled without ever starting a worker', async () => {
    const { launcher, service } = setup(() => {});
    const first = await service.submit(REQUEST);
    const second = await service.submit(REQUEST);
    expect(service.get(second.id).status).toBe('queued');
    expect((await service.cancel(second.id)).status).toBe('cancelled');
    await service.cancel(first.id);
    await service.waitFor(first.id);
    expect(launcher.workers).toHaveLength(1);
  });

  it('runs one job at a time by default, in submission order', async () => {
    const order: string[] = [];
    // Each job ends only when the test lets it (a timer would race the second submission's durable state write).
    const finish: (() => void)[] = [];
    const { service } = setup((w, run) => {
      order.push(JSON.stringify(run.params));
      finish.push(() => {
        w.emit({ type: 'result', value: null });
        w.exit(0);
      });
    });
    const a = await service.submit({ kind: 'engine.selftest', params: { size: 16, batch: 1, steps: 1 } });
    const b = await service.submit({ kind: 'engine.selftest', params: { size: 16, batch: 2, steps: 1 } });
    expect(service.get(b.id).status).toBe('queued');
    await vi.waitFor(() => expect(finish).toHaveLength(1));
    finish[0]!();
    await vi.waitFor(() => expect(finish).toHaveLength(2));
    expect(service.get(a.id).status).toBe('succeeded');
    finish[1]!();
    await service.waitFor(b.id);
    expect(service.get(a.id).status).toBe('succeeded');
    expect(order).toEqual([JSON.stringify({ size: 16, batch: 1, steps: 1 }), JSON.stringify({ size: 16, batch: 2, steps: 1 })]);
  });

  it('shutdown leaves running jobs interrupted; a new service shows them as interrupted and can retry them', async () => {
    const hang: Script = () => {};
    const first = setup(hang);
    const job = await first.service.submit(REQUEST);
    await tick(20);
    await first.service.shutdown();
    expect(first.service.get(job.id).status).toBe('interrupted');

    const launcher = new ScriptedLauncher(succeedInThreeSteps);
    const second = new JobService({ appJobsDir: first.dir, launcher, preference: () => 'auto', onUpdate: () => {}, log: memoryLogger() });
    expect(second.get(job.id).status).toBe('interrupted');
    const retried = await second.retry(job.id);
    expect(retried.id).not.toBe(job.id);
    expect(retried.params).toEqual(REQUEST.params);
    expect((await second.waitFor(retried.id)).status).toBe('succeeded');
    await expect(second.retry(retried.id)).rejects.toThrow(/only failed, cancelled or interrupted/);
  });

  it('a job that was running when the app died (state file says running) loads as interrupted', async () => {
    const { dir, service } = setup(() => {});
    const job = await service.submit(REQUEST);
    await tick(20);
    // simulate a crash: the state file still says running, nobody called shutdown
    const reloaded = new JobService({
      appJobsDir: dir,
      launcher: new ScriptedLauncher(() => {}),
      preference: () => 'auto',
      onUpdate: () => {},
      log: memoryLogger(),
    });
    const state = reloaded.get(job.id);
    expect(state.status).toBe('interrupted');
    expect(state.error?.message).toMatch(/stopped while this job was running/);
    expect(JSON.parse(readFileSync(path.join(dir, `${job.id}.json`), 'utf8')).status).toBe('interrupted');
    await service.shutdown();
  });

  it('malformed worker messages are ignored, not trusted', async () => {
    const { service } = setup((w) => {
      w.emit({ type: 'explode' });
      w.emit({ type: 'progress', done: -1, total: 0, message: 3 });
      w.emit('garbage');
      w.emit({ type: 'result', value: 'ok' });
      w.exit(0);
    });
    const final = await service.waitFor((await service.submit(REQUEST)).id);
    expect(final).toMatchObject({ status: 'succeeded', result: 'ok' });
    expect(final.log.filter((l) => l.includes('malformed'))).toHaveLength(3);
  });

  it('jobs of a study are stored in the study folder', async () => {
    const { service } = setup(succeedInThreeSteps);
    const study = tempDirSync('jobstudy');
    const job = await service.submit({ ...REQUEST, studyPath: study });
    await service.waitFor(job.id);
    expect(readdirSync(path.join(study, 'jobs'))).toContain(`${job.id}.json`);
  });

  it('a result listing warnings (a whole study that skipped items) finishes with those warnings on the job state and on disk', async () => {
    const warning = { item: 'run ifi-fs-f1-s0', reason: 'IFI-FS needs ImageNet weights', fix: 'Choose ImageNet weights' };
    const { dir, service } = setup((w) => {
      w.emit({ type: 'result', value: { study: '/s', warnings: [warning] } });
      w.exit(0);
    });
    const final = await service.waitFor((await service.submit(REQUEST)).id);
    expect(final).toMatchObject({ status: 'succeeded', warnings: [warning], progress: { message: 'Finished with 1 warning' } });
    expect(final.log.some((l) => l.includes('succeeded with 1 warning(s): run ifi-fs-f1-s0: IFI-FS needs ImageNet weights'))).toBe(true);
    expect(JobState.parse(JSON.parse(readFileSync(path.join(dir, `${final.id}.json`), 'utf8'))).warnings).toEqual([warning]);
    // A result without warnings leaves none.
    const clean = setup(succeedInThreeSteps);
    expect((await clean.service.waitFor((await clean.service.submit(REQUEST)).id)).warnings).toBeUndefined();
  });
});
