/**
 * Jobs: every long piece of work (self-test, import, training, analyses, reports) is a job with an
 * id, a kind, a status and progress, run in its own worker process (never on the UI thread or the
 * main event loop). State is persisted atomically, so after a crash or restart a job that was
 * running shows as `interrupted` and can be retried.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, promises as fsp, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BackendPreference } from '../../../src-shared/engine';
import { AppError, type ErrorPayload } from '../../../src-shared/errors';
import { JOB_KINDS, JobState, TERMINAL_JOB_STATUSES, resultWarnings, type JobRequest } from '../../../src-shared/jobs';
import { singleStepProgress, type ProgressInfo } from '../../../src-shared/progress';
import { writeFileAtomicSync, writeJsonAtomic } from '../../fs/atomic';
import type { Logger } from '../log';
import type { WorkerHandle, WorkerLauncher } from './launcher';
import { FromWorker, type ToWorker } from './protocol';
import { studyLayout } from '../study-folder/layout';

export interface JobServiceOptions {
  /** Folder for app-level jobs (jobs without a study). */
  appJobsDir: string;
  launcher: WorkerLauncher;
  /** The backend preference new workers use (read at each start). */
  preference: () => BackendPreference;
  /** Called on every change of a job (the host throttles nothing; this service throttles progress). */
  onUpdate: (state: JobState) => void;
  log: Logger;
  now?: () => Date;
  /** How long a cancelled job's worker gets to stop by itself before it is killed. */
  cancelGraceMs?: number;
  /** Jobs that run at the same time (the rest wait, queued). */
  concurrency?: number;
}

const LOG_LINES_KEPT = 50;
const PERSIST_INTERVAL_MS = 1000;
const EMIT_INTERVAL_MS = 100;

interface Running {
  worker: WorkerHandle;
  startedMs: number;
  cancelRequested: boolean;
  killTimer: NodeJS.Timeout | null;
  lastPersist: number;
  lastEmit: number;
  settled: boolean;
  done: Promise<void>;
  /** The one-step progress model of a job that reports counts only (its time left from the observed rate). */
  model: ReturnType<typeof singleStepProgress>;
}

export class JobService {
  private readonly jobs = new Map<string, JobState>();
  private readonly running = new Map<string, Running>();
  private readonly queue: string[] = [];
  private readonly writes = new Map<string, Promise<void>>();
  private readonly now: () => Date;
  private readonly concurrency: number;
  private readonly cancelGraceMs: number;
  private closed = false;

  constructor(private readonly options: JobServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.concurrency = options.concurrency ?? 1;
    this.cancelGraceMs = options.cancelGraceMs ?? 5000;
    mkdirSync(options.appJobsDir, { recursive: true });
    this.loadFrom(options.appJobsDir);
  }

  /** Loads the jobs persisted in a study's `jobs/` folder (call when a study is opened). */
  attachStudy(studyPath: string): void {
    this.loadFrom(studyLayout(studyPath).folder('jobs'));
  }

  list(): JobState[] {
    return [...this.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((j) => structuredClone(j));
  }

  get(id: string): JobState {
    const job = this.jobs.get(id);
    if (!job) throw new AppError('NOT_FOUND', `No job with id ${id}`, [{ path: 'id', message: 'unknown job' }]);
    return structuredClone(job);
  }

  async submit(request: JobRequest): Promise<JobState> {
    if (this.closed) throw new AppError('UNSUPPORTED', 'FundusLab is shutting down; the job was not started.');
    const stamp = this.now().toISOString();
    const job: JobState = {
      id: `${stamp.slice(0, 19).replace(/[-:T]/g, '')}-${randomUUID().slice(0, 8)}`,
      kind: request.kind,
      title: JOB_KINDS[request.kind].title,
      status: 'queued',
      params: request.params,
      studyPath: request.studyPath ?? null,
      createdAt: stamp,
      startedAt: null,
      endedAt: null,
      progress: { done: 0, total: 1, message: 'Waiting for a free worker', etaSeconds: null },
      error: null,
      result: null,
      log: [],
    };
    if (job.studyPath) await fsp.mkdir(studyLayout(job.studyPath).folder('jobs'), { recursive: true });
    this.jobs.set(job.id, job);
    await this.persist(job);
    const snapshot = structuredClone(job);
    this.options.onUpdate(snapshot);
    this.queue.push(job.id);
    this.pump();
    return structuredClone(snapshot);
  }

  async cancel(id: string): Promise<JobState> {
    const job = this.get(id);
    if (job.status === 'queued') {
      this.queue.splice(this.queue.indexOf(id), 1);
      await this.finish(id, 'cancelled', { error: { code: 'CANCELLED', message: 'Cancelled before it started' } });
    } else if (job.status === 'running') {
      const run = this.running.get(id);
      if (run && !run.cancelRequested) {
        run.cancelRequested = true;
        this.appendLog(id, 'cancel requested');
        run.worker.postMessage({ type: 'cancel' } satisfies ToWorker);
        run.killTimer = setTimeout(() => {
          this.appendLog(id, `worker did not stop within ${this.cancelGraceMs} ms; killed`);
          run.worker.kill();
        }, this.cancelGraceMs);
      }
    }
    return this.get(id);
  }

  /** Starts a new job with the same kind and parameters as a failed, cancelled or interrupted one. */
  async retry(id: string): Promise<JobState> {
    const job = this.get(id);
    if (job.status === 'queued' || job.status === 'running' || job.status === 'succeeded') {
      throw new AppError('CONFLICT', `Job ${id} is ${job.status}; only failed, cancelled or interrupted jobs can be retried.`);
    }
    const request = { kind: job.kind, params: job.params, ...(job.studyPath ? { studyPath: job.studyPath } : {}) };
    return this.submit(request as JobRequest);
  }

  /** Resolves when the job reaches a terminal state. */
  async waitFor(id: string): Promise<JobState> {
    const run = this.running.get(id);
    if (run) await run.done;
    const job = this.get(id);
    if (job.status === 'queued') {
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const current = this.jobs.get(id);
          if (!current || TERMINAL_JOB_STATUSES.includes(current.status)) {
            clearInterval(timer);
            resolve();
          }
        }, 50);
      });
      return this.waitFor(id);
    }
    await this.writes.get(id);
    return this.get(id);
  }

  /**
   * Stops every worker. Running jobs become `interrupted` (they can be retried after a restart);
   * queued ones too, since nothing will pick them up.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const id of this.queue.splice(0))
      await this.finish(id, 'interrupted', { error: { code: 'INTERNAL', message: 'FundusLab was closed before the job started' } });
    const runs = [...this.running.entries()];
    for (const [id, run] of runs) {
      this.appendLog(id, 'FundusLab is closing: worker stopped');
      run.cancelRequested = true;
      await this.finish(id, 'interrupted', { error: { code: 'INTERNAL', message: 'FundusLab was closed while the job was running' } });
      run.worker.kill();
    }
    await Promise.all(runs.map(([, run]) => run.done));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.start(id);
    }
  }

  private start(id: string): void {
    const job = this.jobs.get(id)!;
    const worker = this.options.launcher.start({});
    let resolveDone!: () => void;
    const run: Running = {
      worker,
      startedMs: Date.now(),
      cancelRequested: false,
      killTimer: null,
      lastPersist: 0,
      lastEmit: 0,
      settled: false,
      done: new Promise<void>((resolve) => (resolveDone = resolve)),
      model: singleStepProgress(),
    };
    this.running.set(id, run);
    job.status = 'running';
    job.startedAt = this.now().toISOString();
    job.progress = { done: 0, total: 1, message: 'Starting worker', etaSeconds: null };
    void this.persist(job);
    this.options.onUpdate(structuredClone(job));

    worker.onMessage((raw) => {
      const parsed = FromWorker.safeParse(raw);
      if (!parsed.success) {
        this.appendLog(id, `ignored malformed message from worker`);
        return;
      }
      const message = parsed.data;
      switch (message.type) {
        case 'ready':
          worker.postMessage({
            type: 'run',
            task: job.kind,
            params: job.params,
            preference: this.options.preference(),
            studyPath: job.studyPath,
          } satisfies ToWorker);
          break;
        case 'progress':
          this.onProgress(id, run, message.done, message.total, message.message, message.info);
          break;
        case 'log':
          this.appendLog(id, message.line);
          break;
        case 'result':
          run.settled = true;
          void this.finish(id, 'succeeded', { result: message.value });
          break;
        case 'error':
          run.settled = true;
          void this.finish(id, message.error.code === 'CANCELLED' ? 'cancelled' : 'failed', { error: message.error });
          break;
      }
    });
    worker.onExit((code) => {
      if (run.killTimer) clearTimeout(run.killTimer);
      const current = this.jobs.get(id);
      const finishing =
        current && !TERMINAL_JOB_STATUSES.includes(current.status)
          ? run.cancelRequested
            ? this.finish(id, 'cancelled', { error: { code: 'CANCELLED', message: 'Cancelled by the user' } })
            : this.finish(id, 'failed', {
                error: {
                  code: 'INTERNAL',
                  message: `The worker process ended unexpectedly (exit code ${code ?? 'signal'}) before the job finished. See the job log.`,
                },
              })
          : Promise.resolve();
      void finishing.then(() => {
        this.running.delete(id);
        resolveDone();
        this.pump();
      });
    });
  }

  /**
   * A progress report: a whole study's model sends its own time left and run (`info`); any other job's
   * counts go through the one-step model (src-shared/progress.ts), so the bar never goes back.
   */
  private onProgress(id: string, run: Running, done: number, total: number, message: string, info?: ProgressInfo): void {
    const job = this.jobs.get(id);
    if (!job || job.status !== 'running') return;
    if (info) {
      job.progress = {
        done: Math.min(done, total),
        total,
        message,
        etaSeconds: info.etaSeconds,
        ...(info.runId ? { runId: info.runId } : {}),
      };
    } else {
      const s = run.model.update(done, total, message);
      const finished = done >= total;
      job.progress = {
        done: Math.min(done, total),
        total,
        message,
        etaSeconds: finished ? 0 : s.etaSeconds,
      };
    }
    const nowMs = Date.now();
    if (nowMs - run.lastEmit >= EMIT_INTERVAL_MS || done >= total) {
      run.lastEmit = nowMs;
      this.options.onUpdate(structuredClone(job));
    }
    if (nowMs - run.lastPersist >= PERSIST_INTERVAL_MS) {
      run.lastPersist = nowMs;
      void this.persist(job);
    }
  }

  private appendLog(id: string, line: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    const stamped = `${this.now().toISOString()} ${line}`;
    job.log = [...job.log, stamped].slice(-LOG_LINES_KEPT);
    try {
      appendFileSync(this.logFile(job), stamped + '\n');
    } catch (error) {
      this.options.log.warn(`cannot append to the log of job ${id}: ${(error as Error).message}`);
    }
    this.options.onUpdate(structuredClone(job));
  }

  private async finish(
    id: string,
    status: 'succeeded' | 'failed' | 'cancelled' | 'interrupted',
    outcome: { result?: unknown; error?: ErrorPayload | { code: string; message: string } },
  ): Promise<void> {
    const job = this.jobs.get(id);
    if (!job || TERMINAL_JOB_STATUSES.includes(job.status)) return;
    job.status = status;
    job.endedAt = this.now().toISOString();
    if (status === 'succeeded') job.progress = { ...job.progress, done: job.progress.total, etaSeconds: 0, message: 'Done' };
    job.result = outcome.result ?? null;
    job.error = outcome.error ? { code: outcome.error.code, message: outcome.error.message } : null;
    // A result that lists what it did not do (a whole study's skipped items) finishes with warnings.
    const warnings = resultWarnings(job.result);
    if (warnings.length > 0) job.warnings = warnings;
    if (status === 'succeeded' && warnings.length > 0)
      job.progress = { ...job.progress, message: `Finished with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` };
    this.appendLog(
      id,
      status === 'succeeded'
        ? warnings.length > 0
          ? `succeeded with ${warnings.length} warning(s): ${warnings.map((w) => `${w.item}: ${w.reason}`).join('; ')}`
          : 'succeeded'
        : `${status}: ${job.error?.message ?? ''}`,
    );
    await this.persist(job);
    this.options.onUpdate(structuredClone(job));
  }

  private jobDir(job: Pick<JobState, 'studyPath'>): string {
    return job.studyPath ? studyLayout(job.studyPath).folder('jobs') : this.options.appJobsDir;
  }

  private logFile(job: JobState): string {
    return path.join(this.jobDir(job), `${job.id}.log`);
  }

  /**
   * Saves the job's state. Writes for one job are chained, and each writes the state as it is
   * when its turn comes, so an older snapshot can never land after a newer one.
   */
  private persist(job: JobState): Promise<void> {
    const previous = this.writes.get(job.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      const current = this.jobs.get(job.id) ?? job;
      try {
        await writeJsonAtomic(path.join(this.jobDir(current), `${current.id}.json`), current);
      } catch (error) {
        this.options.log.error(`cannot save the state of job ${current.id}: ${(error as Error).message}`);
      }
    });
    this.writes.set(job.id, next);
    return next;
  }

  private loadFrom(dir: string): void {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      let state: JobState;
      try {
        state = JobState.parse(JSON.parse(readFileSync(file, 'utf8')));
      } catch (error) {
        this.options.log.warn(`ignored unreadable job state ${file}: ${(error as Error).message}`);
        continue;
      }
      if (this.jobs.has(state.id)) continue;
      if (state.status === 'running' || state.status === 'queued') {
        // Its process belonged to an earlier session of the app: it can only be retried.
        state.status = 'interrupted';
        state.endedAt = state.endedAt ?? this.now().toISOString();
        state.error = { code: 'INTERNAL', message: 'FundusLab stopped while this job was running; retry it to run it again.' };
        try {
          writeFileAtomicSync(file, JSON.stringify(state, null, 2) + '\n');
        } catch (error) {
          this.options.log.warn(`cannot mark job ${state.id} as interrupted in ${file}: ${(error as Error).message}`);
        }
      }
      this.jobs.set(state.id, state);
    }
  }
}
