/**
 * One writer per study. Whatever trains or writes results into a study (an app job, a CLI command, a
 * second app window) holds `<study>/.lock` while it works, so two writers never train the same run or
 * write the same result; the second is refused at once with StudyBusyError ("The study is busy: …").
 *
 * The lock file holds JSON {pid, host, startedAt, heartbeatAt, what, token}. It is written beside the
 * lock and hard-linked into place, so it appears complete or not at all and never has two holders.
 * The holder refreshes `heartbeatAt` every few seconds. A lock is stale, and taken over with a log
 * line, when its holder ran on this host and its pid is gone, or when its heartbeat is older than the
 * timeout (60 s; configureStudyLock changes it for tests, FUNDUSLAB_LOCK_STALE_MS for child processes).
 * The lock is released when the work finishes, fails or is cancelled, and when the process exits.
 *
 * Nested calls in one process (a whole-study job that trains, evaluates and writes the report) hold
 * the lock once: a call made inside another's work for the same study runs without taking it again.
 * A second, independent call in the same process is refused like any other writer.
 *
 * withFileLock is the short variant for the instant a revisioned file (the plan, the grid) is read,
 * compared and replaced: a second saver waits for it instead of being refused.
 *
 * withWorkLock guards one unit of work instead of the whole study: the training of one run folder or
 * one MoCo pretraining folder holds `<folder>/.lock` with the same file, heartbeat and stale rules.
 * Cluster tasks train different runs of one study at once on different hosts of a shared file system
 * without the study lock; the work lock keeps two of them (or a cluster task and the app) from ever
 * training the same folder: the second is refused at once with RunBusyError ("The run … is being
 * trained by …").
 *
 * A holder inside a Slurm job records the job id (`<array job>_<task>` for an array task) in `jobId`.
 * Such a lock is also stale when the job has ended, as the checker installed with configureStudyLock
 * says (the CLI installs Slurm's; without one, or when it cannot tell, only the rules above apply),
 * and when this process is the same job started again by Slurm on another host (a requeued job runs
 * once at a time, so the holder is its earlier run).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { fileLockFile, staleLockFile, studyLockFile, workLockFile } from './layout';

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** ISO time of the holder's last heartbeat. */
  heartbeatAt: string;
  /** What the holder does, e.g. "Training run" or "funduslab train". */
  what: string;
  /** Tells this holding apart from an earlier one of the same pid. */
  token: string;
  /** The Slurm job the holder runs in (`<array job>_<task>` for an array task); absent outside Slurm. */
  jobId?: string;
}

/** The Slurm job this process runs in: `<array job id>_<task id>` for an array task, else the job id; undefined outside Slurm. */
export function slurmJobId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const array = env.SLURM_ARRAY_JOB_ID;
  const task = env.SLURM_ARRAY_TASK_ID;
  if (array && task) return `${array}_${task}`;
  return env.SLURM_JOB_ID || undefined;
}

/** Where a holder runs, for messages: "Slurm job 12_3 on host n1" or "pid 4711 on host n1". */
export function holderWhere(holder: LockHolder): string {
  return holder.jobId ? `Slurm job ${holder.jobId} on host ${holder.host}` : `pid ${holder.pid} on host ${holder.host}`;
}

/** The study is held by another writer: code BUSY, naming what holds it, since when and where. */
export class StudyBusyError extends AppError {
  readonly holder: LockHolder | null;
  constructor(holder: LockHolder | null, lockFile: string) {
    super(
      'BUSY',
      holder
        ? `The study is busy: ${holder.what} since ${new Date(holder.startedAt).toLocaleString()} (pid ${holder.pid} on host ${holder.host}).`
        : `The study is busy: ${lockFile} is held by another writer.`,
    );
    this.holder = holder;
  }
}

/**
 * A run or pretraining folder is being trained by another process: code BUSY, naming the folder, what
 * trains it, where (Slurm job or pid, and host) and since when.
 */
export class RunBusyError extends AppError {
  readonly holder: LockHolder | null;
  /** The folder whose lock is held. */
  readonly dir: string;
  constructor(holder: LockHolder | null, dir: string, noun = 'run') {
    const name = path.basename(dir);
    super(
      'BUSY',
      holder
        ? `The ${noun} ${name} is being trained by ${holder.what} (${holderWhere(holder)}, since ${new Date(holder.startedAt).toLocaleString()}).`
        : `The ${noun} ${name} is being trained by another process (${workLockFile(dir)} is held).`,
    );
    this.holder = holder;
    this.dir = dir;
  }
}

/** Whether a Slurm job has ended: true ended, false pending or running, null unknown. */
export type JobEndedCheck = (jobId: string) => Promise<boolean | null>;

interface LockSettings {
  /** A lock whose heartbeat is older than this is stale. */
  staleMs: number;
  /** How often the holder refreshes its heartbeat. */
  heartbeatMs: number;
  /** Where lock take-overs and lost locks are reported when the caller gives no log. */
  log: (line: string) => void;
  /** Asks the cluster whether a holder's Slurm job has ended (none: unknown, the other stale rules apply). */
  jobEnded?: JobEndedCheck | undefined;
}

const envStaleMs = Number(process.env.FUNDUSLAB_LOCK_STALE_MS);
const settings: LockSettings = {
  staleMs: Number.isFinite(envStaleMs) && envStaleMs > 0 ? envStaleMs : 60_000,
  heartbeatMs: 5_000,
  log: (line) => process.stderr.write(`${line}\n`),
  jobEnded: undefined,
};

/**
 * Changes the stale timeout, the heartbeat interval, the default log (tests) or the Slurm job checker
 * (the CLI installs Slurm's); returns the previous settings.
 */
export function configureStudyLock(next: Partial<LockSettings>): LockSettings {
  const before = { ...settings };
  Object.assign(settings, next);
  if (next.staleMs !== undefined && next.heartbeatMs === undefined) settings.heartbeatMs = Math.max(10, Math.min(5_000, next.staleMs / 4));
  return before;
}

/**
 * The lock files the current asynchronous call chain holds, innermost last, with what holds them
 * (nested calls for the same folder run without locking again).
 */
const heldHere = new AsyncLocalStorage<ReadonlyMap<string, string>>();
/** Every lock this process holds, by lock file: removed on exit even when the work never finished. */
const heldByProcess = new Map<string, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [file, token] of heldByProcess) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as LockHolder).token === token) unlinkSync(file);
      } catch {
        // already gone or not ours
      }
    }
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isHolder(value: unknown): value is LockHolder {
  const v = value as Partial<LockHolder> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.pid === 'number' &&
    typeof v.host === 'string' &&
    typeof v.startedAt === 'string' &&
    typeof v.heartbeatAt === 'string' &&
    typeof v.what === 'string' &&
    typeof v.token === 'string' &&
    (v.jobId === undefined || typeof v.jobId === 'string')
  );
}

/** The lock file's holder; `unreadable` when it is not a lock we understand; null when there is no lock. */
async function readHolder(file: string): Promise<{ holder: LockHolder | null; raw: string; mtimeMs: number } | null> {
  try {
    const [raw, stat] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file)]);
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // not JSON: judged by its age alone
    }
    return { holder: isHolder(parsed) ? parsed : null, raw, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Why the lock is stale, or null when its holder may still be working. */
async function staleReason(found: { holder: LockHolder | null; mtimeMs: number }, staleMs: number): Promise<string | null> {
  const { holder } = found;
  const host = os.hostname();
  if (holder && holder.host === host && !pidAlive(holder.pid)) return `pid ${holder.pid} on host ${holder.host} is gone`;
  const ownJob = slurmJobId();
  if (holder?.jobId && holder.jobId === ownJob && holder.host !== host && Number(process.env.SLURM_RESTART_COUNT) > 0)
    return `Slurm job ${holder.jobId} was started again on host ${host}`;
  const beat = holder ? Date.parse(holder.heartbeatAt) : found.mtimeMs;
  const age = Date.now() - (Number.isFinite(beat) ? beat : found.mtimeMs);
  if (age > staleMs) return `no heartbeat for ${Math.round(age / 1000)} s`;
  if (holder?.jobId && settings.jobEnded) {
    const ended = await settings.jobEnded(holder.jobId).catch(() => null);
    if (ended === true) return `Slurm job ${holder.jobId} has ended`;
  }
  return null;
}

const tag = () => `${process.pid}-${randomBytes(6).toString('hex')}`;

/** Writes `holder` beside `file` and links it into place: false when a lock is already there. */
async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  const tmp = staleLockFile(file, `new-${tag()}`);
  await fsp.writeFile(tmp, JSON.stringify(holder) + '\n', { flag: 'wx' });
  try {
    await fsp.link(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/**
 * Removes the stale lock `judged`: moved aside first (only one taker can move a given file), then
 * checked to be the lock that was judged; a lock that a quicker taker had put there is put back.
 */
async function removeStale(file: string, judged: { raw: string }): Promise<boolean> {
  const aside = staleLockFile(file, tag());
  try {
    await fsp.rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true; // someone else removed it: try again
    throw error;
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => null);
  if (moved !== judged.raw) await fsp.link(aside, file).catch(() => {}); // a fresh lock: put it back
  await fsp.rm(aside, { force: true });
  return moved === judged.raw;
}

interface Acquired {
  holder: LockHolder;
  file: string;
  release(): Promise<void>;
}

/**
 * Takes the lock file once: refused with `busy` (StudyBusyError unless given) while a live holder has
 * it, or (when `wait` is given) after waiting that long; a stale lock is taken over and reported on `log`.
 */
async function acquire(
  file: string,
  what: string,
  opts: {
    log: (line: string) => void;
    staleMs: number;
    heartbeat: boolean;
    waitMs?: number;
    busy?: (holder: LockHolder | null) => Error;
  },
): Promise<Acquired> {
  const busy = opts.busy ?? ((holder: LockHolder | null) => new StudyBusyError(holder, file));
  const jobId = slurmJobId();
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (let attempt = 0; ; attempt++) {
    const now = new Date().toISOString();
    const holder: LockHolder = {
      pid: process.pid,
      host: os.hostname(),
      startedAt: now,
      heartbeatAt: now,
      what,
      token: tag(),
      ...(jobId ? { jobId } : {}),
    };
    if (await tryCreate(file, holder)) return held(file, holder, opts);
    const found = await readHolder(file);
    if (!found) {
      if (attempt > 10_000) throw busy(null);
      continue; // released between the two steps
    }
    const reason = await staleReason(found, opts.staleMs);
    if (reason) {
      if (await removeStale(file, found))
        opts.log(
          `Took over the stale lock ${file}${found.holder ? ` of ${found.holder.what} (pid ${found.holder.pid} on host ${found.holder.host})` : ''}: ${reason}.`,
        );
      continue;
    }
    if (Date.now() >= deadline || attempt > 10_000) throw busy(found.holder);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The taken lock: heartbeats while held, released once (and only while it is still ours). */
function held(file: string, holder: LockHolder, opts: { log: (line: string) => void; heartbeat: boolean }): Acquired {
  heldByProcess.set(file, holder.token);
  installExitHook();
  let beating: Promise<void> = Promise.resolve();
  let lost = false;
  const beat = async () => {
    const found = await readHolder(file).catch(() => null);
    if (found?.holder?.token !== holder.token) {
      if (!lost) opts.log(`Lost the lock ${file} while ${holder.what} was running: another writer took it over.`);
      lost = true;
      clearInterval(timer);
      return;
    }
    const next = { ...holder, heartbeatAt: new Date().toISOString() };
    const tmp = staleLockFile(file, `beat-${tag()}`);
    try {
      await fsp.writeFile(tmp, JSON.stringify(next) + '\n');
      await fsp.rename(tmp, file);
    } catch {
      await fsp.rm(tmp, { force: true }).catch(() => {});
    }
  };
  const timer = setInterval(() => {
    beating = beating.then(beat);
  }, settings.heartbeatMs);
  timer.unref();
  if (!opts.heartbeat) clearInterval(timer);
  return {
    holder,
    file,
    release: async () => {
      clearInterval(timer);
      await beating;
      heldByProcess.delete(file);
      const found = await readHolder(file).catch(() => null);
      if (found?.holder?.token === holder.token) await fsp.rm(file, { force: true });
    },
  };
}

/**
 * Runs `fn` holding the study's lock (see the module comment): refused at once with StudyBusyError
 * while another writer holds it. A study folder that does not exist yet is made for the lock and
 * removed again afterwards when `fn` left it empty.
 */
export async function withStudyLock<T>(
  studyPath: string,
  what: string,
  fn: () => Promise<T>,
  opts: { log?: (line: string) => void } = {},
): Promise<T> {
  const root = path.resolve(studyPath);
  const file = studyLockFile(root);
  return withFolderLock(root, file, what, fn, { log: opts.log ?? settings.log, busy: (holder) => new StudyBusyError(holder, file) });
}

/**
 * Runs `fn` holding the work lock of a run or pretraining folder (see the module comment): refused at
 * once with RunBusyError while another process trains it. `what` names the holder in that message;
 * `noun` names the folder ("run" unless given). A folder that does not exist yet is made for the lock
 * and removed again afterwards when `fn` left it empty.
 */
export async function withWorkLock<T>(
  dir: string,
  what: string,
  fn: () => Promise<T>,
  opts: { log?: (line: string) => void; noun?: string } = {},
): Promise<T> {
  const root = path.resolve(dir);
  return withFolderLock(root, workLockFile(root), what, fn, {
    log: opts.log ?? settings.log,
    busy: (holder) => new RunBusyError(holder, root, opts.noun),
  });
}

/** The shared body of withStudyLock and withWorkLock: `file` is the lock of folder `root`. */
async function withFolderLock<T>(
  root: string,
  file: string,
  what: string,
  fn: () => Promise<T>,
  opts: { log: (line: string) => void; busy: (holder: LockHolder | null) => Error },
): Promise<T> {
  const outer = heldHere.getStore();
  if (outer?.has(file)) return fn();
  const created = existsSync(root) ? undefined : await makeFolders(root);
  let lock: Acquired | undefined;
  try {
    lock = await acquire(file, what, { log: opts.log, staleMs: settings.staleMs, heartbeat: true, busy: opts.busy });
    return await heldHere.run(new Map([...(outer ?? []), [file, what]]), fn);
  } finally {
    await lock?.release();
    if (created) await removeEmptyFolders(root, created);
  }
}

/**
 * Makes `dir` and its missing parents one level at a time and returns the first one made. (Node's
 * recursive mkdir never settles on some virtual file systems such as /proc; one level at a time fails.)
 */
async function makeFolders(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) missing.unshift(d);
  for (const d of missing)
    await fsp.mkdir(d).catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? undefined : Promise.reject(error)));
  return missing[0];
}

/** Removes `dir` and its parents up to `top` while they are empty (what mkdir made only for the lock). */
async function removeEmptyFolders(dir: string, top: string): Promise<void> {
  for (let d = dir; d.startsWith(top); d = path.dirname(d)) {
    try {
      await fsp.rmdir(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}

/** Whether the current call chain holds the study's lock (for checks and tests). */
export function holdsStudyLock(studyPath: string): boolean {
  return heldHere.getStore()?.has(studyLockFile(studyPath)) ?? false;
}

/** Whether the current call chain holds the work lock of a run or pretraining folder. */
export function holdsWorkLock(dir: string): boolean {
  return heldHere.getStore()?.has(workLockFile(dir)) ?? false;
}

/** What holds the innermost lock of the current call chain (e.g. "funduslab grid"), or undefined outside any lock. */
export function heldLockWhat(): string | undefined {
  return [...(heldHere.getStore()?.values() ?? [])].pop();
}

/** The study's lock holder as the lock file names it, or null when the study is free. */
export async function studyLockHolder(studyPath: string): Promise<LockHolder | null> {
  return (await readHolder(studyLockFile(studyPath)))?.holder ?? null;
}

/** The holder of a run or pretraining folder's work lock, or null when nothing trains it. */
export async function workLockHolder(dir: string): Promise<LockHolder | null> {
  return (await readHolder(workLockFile(dir)))?.holder ?? null;
}

/**
 * The holder of a run or pretraining folder's work lock while it may still be working, or null when
 * nothing trains the folder (no lock, or a stale one: its process gone, its heartbeat too old).
 */
export async function activeWorkLockHolder(dir: string): Promise<LockHolder | null> {
  const found = await readHolder(workLockFile(dir));
  if (!found) return null;
  return (await staleReason(found, settings.staleMs)) === null ? found.holder : null;
}

/**
 * Runs `fn` holding `<file>.lock` for a short read-compare-write of `file`: a second caller (this
 * process or another) waits up to `waitMs` for it; a holder gone for 10 s is taken over.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, waitMs = 10_000): Promise<T> {
  const lock = await acquire(fileLockFile(file), `saving ${path.basename(file)}`, {
    log: settings.log,
    staleMs: Math.min(settings.staleMs, 10_000),
    heartbeat: false,
    waitMs,
  });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
