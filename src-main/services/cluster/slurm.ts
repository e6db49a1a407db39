/**
 * FundusLab's only door to Slurm: every call of sbatch, squeue, sacct, scontrol,
 * scancel and sinfo goes through the `Slurm` class here, and their output is read by the pure parsers
 * below. Commands run without a shell (arguments are passed as they are) through a `CommandRunner`,
 * the one seam tests replace. Column meanings follow the man pages of Slurm 22.05.
 *
 * Array tasks: Slurm keeps the pending tasks of an array that have not started yet in one record
 * (the array job's own id) until each one starts or is changed on its own (e.g. given a dependency).
 * Every row here is one array task; a pending task still inside that shared record gets the id
 * `<array job id>_<index>` as its `rawJobId`, which every Slurm command accepts for that task alone.
 */
import { execFile } from 'node:child_process';
import { isActiveSlurmState } from '../../../src-shared/cluster';
import { AppError, type ErrorCode } from '../../../src-shared/errors';

/** What a command printed and its exit status (null: it was stopped by a signal, e.g. after the time-out). */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs one command: the seam tests replace (default: child_process.execFile, no shell, env inherited, 60 s timeout). */
export interface CommandRunner {
  (cmd: string, args: string[]): Promise<CommandResult>;
}

/** How long one Slurm command may take before it is stopped. */
export const SLURM_COMMAND_TIMEOUT_MS = 60_000;

/** The error for a Slurm tool that is not installed here. */
function toolMissing(cmd: string): AppError {
  return new AppError('NOT_FOUND', `${cmd} is not on PATH: install the Slurm client or run on the cluster's login node`);
}

/**
 * Runs a command with child_process.execFile (no shell, the environment inherited, 60 s time-out).
 * A non-zero exit resolves with its code; a command stopped by a signal or the time-out resolves with
 * code null. ENOENT of the binary → AppError('NOT_FOUND', `${cmd} is not on PATH: …install the Slurm
 * client or run on the cluster's login node`); any other failure to start it → AppError INTERNAL.
 */
export const execRunner: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { encoding: 'utf8', timeout: SLURM_COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr, code: 0 });
        const code: unknown = error.code;
        if (code === 'ENOENT') return reject(toolMissing(cmd));
        if (typeof code === 'number') return resolve({ stdout, stderr, code });
        if (error.killed || error.signal) return resolve({ stdout, stderr, code: null });
        reject(new AppError('INTERNAL', `${cmd} could not be run: ${error.message}`));
      },
    );
  });

/** One array task (or plain job) as Slurm reports it. */
export interface SlurmRow {
  /** The array job id, or the plain job id. */
  jobId: string;
  /** The array task index; null for a plain job. */
  arrayIndex: number | null;
  /** Slurm's own id of this task: its job id, or `<array>_<index>` for a pending task still in the array's shared record. */
  rawJobId: string;
  /** e.g. PENDING, RUNNING, COMPLETED, FAILED, CANCELLED (the first word: 'CANCELLED by 0' → CANCELLED). */
  state: string;
  /** The node list; null while nothing is allocated. */
  node: string | null;
  /** As Slurm prints it, e.g. 0:05, 00:01:02 or 1-02:03:04. */
  elapsed: string | null;
  /** "code:signal", e.g. "0:0" or "3:0"; null where the tool does not report it (squeue). */
  exitCode: string | null;
  /** Dependency, Resources, Priority, JobArrayTaskLimit, BeginTime, DependencyNeverSatisfied...; null for None. */
  reason: string | null;
}

/** A partition as sinfo reports it. */
export interface SlurmPartition {
  name: string;
  /** Whether jobs that name no partition go here (sinfo marks it with '*'). */
  isDefault: boolean;
  /** Whether the partition accepts and runs jobs (availability "up"). */
  up: boolean;
  /** The longest time limit a job may have; null = UNLIMITED/INFINITE. */
  maxTimeSeconds: number | null;
}

export type SlurmTool = 'sbatch' | 'squeue' | 'scancel' | 'scontrol' | 'sinfo';

/**
 * squeue -o: %i job id as printed (`123_4`, `123_[5-7%2]`), %F array job id, %K array index (N/A for a plain
 * job), %A the job's own id, %T state, %N nodes, %M time used, %r reason.
 */
export const SQUEUE_FORMAT = '%i|%F|%K|%A|%T|%N|%M|%r';
/** sacct --format of accounting(), in the order parseSacct reads. */
export const SACCT_FIELDS = 'JobID,JobIDRaw,State,NodeList,Elapsed,ExitCode,Reason';

const JOB_ID = /^\d+(_\d+)?$/;
const INVALID_JOB_ID = /Invalid job id specified/i;
const ACCOUNTING_DISABLED = /accounting storage is disabled/i;

/** Slurm's commands, through one runner. */
export class Slurm {
  private readonly runner: CommandRunner;

  constructor(runner: CommandRunner = execRunner) {
    this.runner = runner;
  }

  /** Throws the NOT_FOUND AppError above when `sbatch` (or the named tool) cannot be run (checked with `<tool> --version`). */
  async requireTool(tool: SlurmTool): Promise<void> {
    await this.runOk(tool, ['--version']);
  }

  /** The cluster's partitions: sinfo -h -o '%P|%a|%l' (one entry per partition, the default marker '*' stripped). */
  async partitions(): Promise<SlurmPartition[]> {
    return parseSinfoPartitions(await this.runOk('sinfo', ['-h', '-o', '%P|%a|%l']));
  }

  /** sbatch --parsable [--hold] <script>; returns the job id ("123" or "123;cluster" → "123"); sbatch's stderr in the error on failure. */
  async submit(script: string, opts: { hold?: boolean } = {}): Promise<string> {
    const args = ['--parsable', ...(opts.hold ? ['--hold'] : []), script];
    const stdout = await this.runOk('sbatch', args, 'BAD_REQUEST');
    const line = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .pop();
    const id = /^(\d+)(;.*)?$/.exec(line ?? '')?.[1];
    if (!id)
      throw new AppError(
        'INTERNAL',
        `${commandLine('sbatch', args)} printed no job id (expected "<id>" or "<id>;<cluster>"): "${stdout.trim()}"`,
      );
    return id;
  }

  /** scontrol update JobId=<jobId>_<index> Dependency=<dependency> (splits the pending task out of its array). */
  async setTaskDependency(jobId: string, index: number, dependency: string): Promise<void> {
    checkJobIds([jobId]);
    if (!Number.isInteger(index) || index < 0) throw new AppError('BAD_REQUEST', `Invalid array index ${index}: expected an integer >= 0`);
    await this.runOk('scontrol', ['update', `JobId=${jobId}_${index}`, `Dependency=${dependency}`], 'CONFLICT');
  }

  /** scontrol release <jobId>: lets a held job (all tasks of a held array) be scheduled. */
  async release(jobId: string): Promise<void> {
    checkJobIds([jobId]);
    await this.runOk('scontrol', ['release', jobId], 'CONFLICT');
  }

  /** scontrol requeue <id>: the job (or array task `<array>_<index>`) is stopped if running and runs again. */
  async requeue(rawOrTaskId: string): Promise<void> {
    checkJobIds([rawOrTaskId]);
    await this.runOk('scontrol', ['requeue', rawOrTaskId], 'CONFLICT');
  }

  /** scancel <ids...> (no-op for []); a job that already ended is no error. */
  async cancel(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    checkJobIds(ids);
    await this.runOk('scancel', ids);
  }

  /**
   * squeue -h -r --jobs=<ids> -o SQUEUE_FORMAT — one row per array task (pending ones expanded) of the
   * jobs still pending, running or completing; [] for no ids; a job id squeue no longer knows is simply
   * absent (squeue exits non-zero with "Invalid job id specified" when it knows none of them: treated as empty, not an error).
   */
  async queue(jobIds: string[]): Promise<SlurmRow[]> {
    if (jobIds.length === 0) return [];
    checkJobIds(jobIds);
    const args = ['-h', '-r', `--jobs=${jobIds.join(',')}`, '-o', SQUEUE_FORMAT];
    const result = await this.run('squeue', args);
    if (result.code !== 0) {
      if (INVALID_JOB_ID.test(result.stderr)) return [];
      throw failure('squeue', args, result, 'INTERNAL');
    }
    return dedupe(parseSqueue(result.stdout));
  }

  /**
   * sacct -n -P -X --jobs=<ids> --format=JobID,JobIDRaw,State,NodeList,Elapsed,ExitCode,Reason; null when
   * accounting is disabled ("Slurm accounting storage is disabled") or sacct is missing; [] for no ids.
   * Array rows "123_4" → jobId 123, arrayIndex 4; a not-yet-split pending array row "123_[0-3%2]" expanded per index.
   */
  async accounting(jobIds: string[]): Promise<SlurmRow[] | null> {
    if (jobIds.length === 0) return [];
    checkJobIds(jobIds);
    const args = ['-n', '-P', '-X', `--jobs=${jobIds.join(',')}`, `--format=${SACCT_FIELDS}`];
    let result: CommandResult;
    try {
      result = await this.run('sacct', args);
    } catch (e) {
      if (isToolMissing(e)) return null;
      throw e;
    }
    if (ACCOUNTING_DISABLED.test(result.stderr) || ACCOUNTING_DISABLED.test(result.stdout)) return null;
    if (result.code !== 0) throw failure('sacct', args, result, 'INTERNAL');
    return dedupe(parseSacct(result.stdout));
  }

  /**
   * scontrol show job -o <id> for each id (one line per job or array task, Key=Value pairs:
   * ArrayJobId/ArrayTaskId/JobState/NodeList/RunTime/ExitCode/Reason); a job Slurm forgot → absent.
   * Slurm keeps an ended job here for MinJobAge seconds (300 by default).
   */
  async showJobs(jobIds: string[]): Promise<SlurmRow[]> {
    checkJobIds(jobIds);
    const rows: SlurmRow[] = [];
    for (const id of jobIds) {
      const args = ['show', 'job', '-o', id];
      const result = await this.run('scontrol', args);
      if (result.code !== 0) {
        if (INVALID_JOB_ID.test(result.stderr)) continue;
        throw failure('scontrol', args, result, 'INTERNAL');
      }
      rows.push(...parseScontrolJobs(result.stdout));
    }
    return dedupe(rows);
  }

  /**
   * Whether a job (or "<array>_<index>") has ended: false while squeue lists it; true when squeue does
   * not and sacct/scontrol show an end state or nothing at all (false if either still shows an active
   * state; sacct is asked only once scontrol no longer knows the job); null when Slurm cannot be asked
   * (a tool missing, the controller not answering). Used to judge a lock left by a task stale.
   */
  async jobEnded(id: string): Promise<boolean | null> {
    checkJobIds([id]);
    try {
      if ((await this.queue([id])).length > 0) return false;
      const shown = await this.showJobs([id]);
      if (shown.length > 0) return !shown.some((r) => isActiveSlurmState(r.state));
      const accounted = await this.accounting([id]);
      return !(accounted ?? []).some((r) => isActiveSlurmState(r.state));
    } catch (e) {
      if (e instanceof AppError && (e.code === 'NOT_FOUND' || e.code === 'INTERNAL' || e.code === 'TIMEOUT')) return null;
      throw e;
    }
  }

  /** Runs a command; a missing binary → NOT_FOUND, a command that did not finish → TIMEOUT. */
  private async run(cmd: string, args: string[]): Promise<CommandResult> {
    let result: CommandResult;
    try {
      result = await this.runner(cmd, args);
    } catch (e) {
      if (e instanceof AppError) throw e;
      if ((e as NodeJS.ErrnoException | null)?.code === 'ENOENT') throw toolMissing(cmd);
      throw new AppError('INTERNAL', `${cmd} could not be run: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (result.code === null) {
      throw new AppError(
        'TIMEOUT',
        `${commandLine(cmd, args)} did not finish (stopped after ${SLURM_COMMAND_TIMEOUT_MS / 1000} s or by a signal)`,
      );
    }
    return result;
  }

  /** Runs a command that must succeed: its stdout, or an AppError (`failCode`; NOT_FOUND for an unknown job id) quoting its stderr. */
  private async runOk(cmd: string, args: string[], failCode: ErrorCode = 'INTERNAL'): Promise<string> {
    const result = await this.run(cmd, args);
    if (result.code !== 0) throw failure(cmd, args, result, INVALID_JOB_ID.test(result.stderr) ? 'NOT_FOUND' : failCode);
    return result.stdout;
  }
}

function isToolMissing(e: unknown): boolean {
  return e instanceof AppError && e.code === 'NOT_FOUND';
}

function checkJobIds(ids: string[]): void {
  for (const id of ids) {
    if (!JOB_ID.test(id))
      throw new AppError('BAD_REQUEST', `Invalid Slurm job id "${id}": expected digits, or <array job id>_<index> such as 123_4`);
  }
}

/** A command as a user would type it (arguments with spaces or shell characters in single quotes). */
function commandLine(cmd: string, args: string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

function failure(cmd: string, args: string[], result: CommandResult, code: ErrorCode): AppError {
  const said = result.stderr.trim() || result.stdout.trim() || 'no message';
  return new AppError(code, `${commandLine(cmd, args)} failed (exit ${result.code}): ${said}`);
}

/** One row per task: the first row of each task wins (the same task can come from two of the ids asked about). */
function dedupe(rows: SlurmRow[]): SlurmRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = r.arrayIndex === null ? r.jobId : `${r.jobId}_${r.arrayIndex}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Parsers

/** A field that means "nothing": empty, None, (null), N/A, "None assigned" (sacct's node list of a pending job). */
function orNull(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  return v === '' || v === 'None' || v === '(null)' || v === 'N/A' || v === 'None assigned' ? null : v;
}

/** The state's first word without sacct's '+' (e.g. 'CANCELLED by 0' → CANCELLED). */
function stateWord(state: string): string {
  return (state.trim().split(/\s+/)[0] ?? '').replace(/\+$/, '');
}

/**
 * The indices of an array expression such as "0-3%2", "1,4,7-9" or "0-10:2" (the "%N" limit of tasks
 * at once ignored). A token Slurm cut short with "..." (expressions longer than SLURM_BITSTR_LEN) is dropped.
 */
export function expandArrayIndices(expression: string): number[] {
  const out: number[] = [];
  for (const token of expression.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(token.trim());
    if (!m) {
      if (token.includes('...')) continue;
      throw new AppError('INTERNAL', `Unexpected Slurm array expression "${expression}" (expected e.g. 0-3%2, 1,4,7-9 or 0-10:2)`);
    }
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = first; i <= last; i += step) out.push(i);
  }
  return out;
}

/**
 * The rows of one Slurm record: a plain job, one array task, or the pending tasks sharing the array's
 * record (one row each, raw id `<array>_<index>`).
 */
function recordRows(
  arrayJobId: string | null,
  indexExpression: string | null,
  ownId: string,
  fields: Omit<SlurmRow, 'jobId' | 'arrayIndex' | 'rawJobId'>,
): SlurmRow[] {
  if (arrayJobId === null || indexExpression === null) return [{ jobId: ownId, arrayIndex: null, rawJobId: ownId, ...fields }];
  const indices = expandArrayIndices(indexExpression);
  const shared = indices.length !== 1 || (ownId === arrayJobId && fields.state === 'PENDING');
  return indices.map((arrayIndex) => ({
    jobId: arrayJobId,
    arrayIndex,
    rawJobId: shared ? `${arrayJobId}_${arrayIndex}` : ownId,
    ...fields,
  }));
}

function unexpectedLine(tool: string, line: string, expected: string): AppError {
  return new AppError('INTERNAL', `Unexpected ${tool} output line "${line}" (expected ${expected})`);
}

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

/** squeue -h -o SQUEUE_FORMAT output ('%i|%F|%K|%A|%T|%N|%M|%r'): one row per array task; a grouped "123_[1-3%1]" line expanded. */
export function parseSqueue(stdout: string): SlurmRow[] {
  const rows: SlurmRow[] = [];
  for (const line of lines(stdout)) {
    const f = line.split('|');
    if (f.length !== 8 || !/^\d+$/.test(f[1]!) || !/^\d+$/.test(f[3]!)) throw unexpectedLine('squeue', line, `8 fields ${SQUEUE_FORMAT}`);
    const [, arrayJobId, index, ownId, state, node, elapsed, reason] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const isArray = orNull(index) !== null;
    rows.push(
      ...recordRows(isArray ? arrayJobId : null, isArray ? index : null, isArray ? ownId : arrayJobId, {
        state: stateWord(state),
        node: orNull(node),
        elapsed: orNull(elapsed),
        exitCode: null,
        reason: orNull(reason),
      }),
    );
  }
  return rows;
}

/**
 * sacct -n -P --format=JobID,JobIDRaw,State,NodeList,Elapsed,ExitCode,Reason output. Array rows "123_4"
 * → jobId 123, arrayIndex 4; a pending array's unsplit row "123_[2-5%2]" → one row per index; job
 * steps ("123.batch", only without -X) are skipped.
 */
export function parseSacct(stdout: string): SlurmRow[] {
  const rows: SlurmRow[] = [];
  for (const line of lines(stdout)) {
    const f = line.split('|');
    if (f.length !== 7) throw unexpectedLine('sacct', line, `7 fields ${SACCT_FIELDS.replace(/,/g, '|')}`);
    const [jobIdField, rawId, state, node, elapsed, exitCode, reason] = f as [string, string, string, string, string, string, string];
    if (/^\d+(_\d+)?\./.test(jobIdField)) continue;
    const m = /^(\d+)(?:_(\d+)|_\[([^\]]+)\])?$/.exec(jobIdField.trim());
    if (!m) throw unexpectedLine('sacct', line, 'a JobID such as 123, 123_4 or 123_[2-5%2]');
    const indexExpression = m[2] ?? m[3] ?? null;
    rows.push(
      ...recordRows(indexExpression === null ? null : m[1]!, indexExpression, indexExpression === null ? m[1]! : rawId.trim(), {
        state: stateWord(state),
        node: orNull(node),
        elapsed: orNull(elapsed),
        exitCode: orNull(exitCode),
        reason: orNull(reason),
      }),
    );
  }
  return rows;
}

/**
 * The Key=Value pairs of one `scontrol show job -o` line (the first of a repeated key wins). A word
 * without '=' continues the previous value (a job name or path with spaces).
 */
function scontrolPairs(line: string): Map<string, string> {
  const pairs = new Map<string, string>();
  let last: string | null = null;
  for (const word of line.trim().split(' ')) {
    const m = /^([A-Za-z][\w:/]*)=(.*)$/.exec(word);
    if (m) {
      last = pairs.has(m[1]!) ? null : m[1]!;
      if (last) pairs.set(last, m[2]!);
    } else if (last) {
      pairs.set(last, `${pairs.get(last)!} ${word}`);
    }
  }
  return pairs;
}

/** scontrol show job -o output: one line per job or array task (the pending tasks sharing the array's record, one row each). */
export function parseScontrolJobs(stdout: string): SlurmRow[] {
  const rows: SlurmRow[] = [];
  for (const line of lines(stdout)) {
    const p = scontrolPairs(line);
    const ownId = p.get('JobId');
    const state = p.get('JobState');
    if (!ownId || !/^\d+$/.test(ownId) || !state) throw unexpectedLine('scontrol show job', line, 'JobId=<id> … JobState=<state> … pairs');
    const arrayJobId = orNull(p.get('ArrayJobId'));
    rows.push(
      ...recordRows(arrayJobId, arrayJobId === null ? null : (p.get('ArrayTaskId') ?? null), ownId, {
        state: stateWord(state),
        node: orNull(p.get('NodeList')),
        elapsed: orNull(p.get('RunTime')),
        exitCode: orNull(p.get('ExitCode')),
        reason: orNull(p.get('Reason')),
      }),
    );
  }
  return rows;
}

/** sinfo -h -o '%P|%a|%l' output: one entry per partition (first line wins), '*' marks the default; a limit "n/a" (not set) → null. */
export function parseSinfoPartitions(stdout: string): SlurmPartition[] {
  const byName = new Map<string, SlurmPartition>();
  for (const line of lines(stdout)) {
    const f = line.split('|');
    if (f.length !== 3 || f[0]!.trim() === '') throw unexpectedLine('sinfo', line, '3 fields %P|%a|%l');
    const [rawName, avail, limit] = f.map((s) => s.trim()) as [string, string, string];
    const isDefault = rawName.endsWith('*');
    const name = isDefault ? rawName.slice(0, -1) : rawName;
    if (byName.has(name)) continue;
    byName.set(name, {
      name,
      isDefault,
      up: avail.toLowerCase() === 'up',
      maxTimeSeconds: /^n\/a$/i.test(limit) ? null : parseSlurmTime(limit),
    });
  }
  return [...byName.values()];
}

const TIME_FORMS =
  'minutes ("90"), minutes:seconds ("90:00"), hours:minutes:seconds ("24:00:00"), days-hours ("1-12"), ' +
  'days-hours:minutes ("1-12:30"), days-hours:minutes:seconds ("1-12:00:00"), or UNLIMITED';

/**
 * "1-02:03:04", "02:03:04", "03:04" (mm:ss), "90" (minutes), "1-02" (days-hours), "1-02:03"
 * (days-hours:minutes), "UNLIMITED"/"INFINITE" (any case) → seconds, or null for no limit; anything
 * else → AppError BAD_REQUEST naming the value and the accepted forms. Follows sbatch --time's
 * documented forms, including "a time limit of zero requests that no time limit be imposed" (→ null).
 * Like Slurm, fields are not range-checked ("90:00" is 90 minutes).
 */
export function parseSlurmTime(value: string): number | null {
  const v = value.trim();
  if (/^(unlimited|infinite)$/i.test(v)) return null;
  let seconds: number | null = null;
  let m: RegExpExecArray | null;
  if ((m = /^(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(v))) {
    seconds = Number(m[1]) * 86_400 + Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  } else if ((m = /^(\d+)$/.exec(v))) {
    seconds = Number(m[1]) * 60;
  } else if ((m = /^(\d+):(\d+)$/.exec(v))) {
    seconds = Number(m[1]) * 60 + Number(m[2]);
  } else if ((m = /^(\d+):(\d+):(\d+)$/.exec(v))) {
    seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  }
  if (seconds === null || !Number.isSafeInteger(seconds))
    throw new AppError('BAD_REQUEST', `Invalid Slurm time "${value}": expected ${TIME_FORMS}`);
  return seconds === 0 ? null : seconds;
}

/** seconds → "D-HH:MM:SS" (a day or more) or "HH:MM:SS"; a fraction of a second is rounded up (a limit is never shortened). */
export function formatSlurmTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new AppError('BAD_REQUEST', `Invalid time ${seconds} s: expected a number of seconds >= 0`);
  const total = Math.ceil(seconds);
  const days = Math.floor(total / 86_400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor((total % 86_400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  return days > 0 ? `${days}-${hms}` : hms;
}
