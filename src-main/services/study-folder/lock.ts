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
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { fileLockFile, staleLockFile, studyLockFile } from './layout';

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

interface LockSettings {
  /** A lock whose heartbeat is older than this is stale. */
  staleMs: number;
  /** How often the holder refreshes its heartbeat. */
  heartbeatMs: number;
  /** Where lock take-overs and lost locks are reported when the caller gives no log. */
  log: (line: string) => void;
}

const envStaleMs = Number(process.env.FUNDUSLAB_LOCK_STALE_MS);
const settings: LockSettings = {
  staleMs: Number.isFinite(envStaleMs) && envStaleMs > 0 ? envStaleMs : 60_000,
  heartbeatMs: 5_000,
  log: (line) => process.stderr.write(`${line}\n`),
};

/** Changes the stale timeout, the heartbeat interval or the default log (tests); returns the previous settings. */
export function configureStudyLock(next: Partial<LockSettings>): LockSettings {
  const before = { ...settings };
  Object.assign(settings, next);
  if (next.staleMs !== undefined && next.heartbeatMs === undefined) settings.heartbeatMs = Math.max(10, Math.min(5_000, next.staleMs / 4));
  return before;
}

/** The study folders the current asynchronous call chain holds (nested calls run without locking again). */
const heldHere = new AsyncLocalStorage<ReadonlySet<string>>();
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
    typeof v.token === 'string'
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
function staleReason(found: { holder: LockHolder | null; mtimeMs: number }, staleMs: number): string | null {
  const { holder } = found;
  if (holder && holder.host === os.hostname() && !pidAlive(holder.pid)) return `pid ${holder.pid} on host ${holder.host} is gone`;
  const beat = holder ? Date.parse(holder.heartbeatAt) : found.mtimeMs;
  const age = Date.now() - (Number.isFinite(beat) ? beat : found.mtimeMs);
  if (age > staleMs) return `no heartbeat for ${Math.round(age / 1000)} s`;
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
 * Takes the lock file once: refused with StudyBusyError while a live holder has it, or (when `wait`
 * is given) after waiting that long; a stale lock is taken over and reported on `log`.
 */
async function acquire(
  file: string,
  what: string,
  opts: { log: (line: string) => void; staleMs: number; heartbeat: boolean; waitMs?: number },
): Promise<Acquired> {
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (let attempt = 0; ; attempt++) {
    const now = new Date().toISOString();
    const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: now, heartbeatAt: now, what, token: tag() };
    if (await tryCreate(file, holder)) return held(file, holder, opts);
    const found = await readHolder(file);
    if (!found) {
      if (attempt > 10_000) throw new StudyBusyError(null, file);
      continue; // released between the two steps
    }
    const reason = staleReason(found, opts.staleMs);
    if (reason) {
      if (await removeStale(file, found))
        opts.log(
          `Took over the stale lock ${file}${found.holder ? ` of ${found.holder.what} (pid ${found.holder.pid} on host ${found.holder.host})` : ''}: ${reason}.`,
        );
      continue;
    }
    if (Date.now() >= deadline || attempt > 10_000) throw new StudyBusyError(found.holder, file);
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
  const outer = heldHere.getStore();
  if (outer?.has(root)) return fn();
  const created = existsSync(root) ? undefined : await makeFolders(root);
  let lock: Acquired | undefined;
  try {
    lock = await acquire(studyLockFile(root), what, { log: opts.log ?? settings.log, staleMs: settings.staleMs, heartbeat: true });
    return await heldHere.run(new Set([...(outer ?? []), root]), fn);
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
  return heldHere.getStore()?.has(path.resolve(studyPath)) ?? false;
}

/** The study's lock holder as the lock file names it, or null when the study is free. */
export async function studyLockHolder(studyPath: string): Promise<LockHolder | null> {
  return (await readHolder(studyLockFile(studyPath)))?.holder ?? null;
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
