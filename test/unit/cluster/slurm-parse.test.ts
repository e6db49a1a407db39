/**
 * Reading Slurm's output: squeue, sacct, scontrol show job and sinfo, on text captured from a real
 * Slurm 22.05 cluster (fixtures/capture.sh) and, for sacct, text in the form man sacct documents
 * (fixtures/NOTES.md); and Slurm's time limits read and written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  expandArrayIndices,
  formatSlurmTime,
  parseSacct,
  parseScontrolJobs,
  parseSinfoPartitions,
  parseSlurmTime,
  parseSqueue,
  type SlurmRow,
} from '../../../src-main/services/cluster/slurm';
import { AppError } from '../../../src-shared/errors';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

/** A row with the fields a tool does not report left null. */
function row(jobId: string, arrayIndex: number | null, rawJobId: string, state: string, over: Partial<SlurmRow> = {}): SlurmRow {
  return { jobId, arrayIndex, rawJobId, state, node: null, elapsed: null, exitCode: null, reason: null, ...over };
}

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

// The capture (fixtures/NOTES.md): 20 plain; 21 array 0-3%1 (task 0 → job 27, task 1 → 28, task 2 in the
// array's own record 21, task 3 split out as 26 with afterok:20); 22 held; 23 exit 3; 24 afterok:23; 25 cancelled.
describe('the captured jobs', () => {
  it('are the roles the expectations below name', () => {
    expect(JSON.parse(fixture('ids.json'))).toEqual({
      plain: '20',
      array: '21',
      held: '22',
      failing: '23',
      dependent: '24',
      cancelled: '25',
    });
  });
});

describe('parseSqueue', () => {
  const pending = { elapsed: '0:00' };
  it('reads one row per array task, the pending ones still in the array record with <array>_<index> ids', () => {
    expect(parseSqueue(fixture('squeue-early.txt'))).toEqual([
      row('21', 1, '21_1', 'PENDING', { ...pending, reason: 'JobArrayTaskLimit' }),
      row('21', 2, '21_2', 'PENDING', { ...pending, reason: 'JobArrayTaskLimit' }),
      row('21', 3, '26', 'PENDING', { ...pending, reason: 'Dependency' }),
      row('23', null, '23', 'PENDING', { ...pending, reason: 'Resources' }),
      row('24', null, '24', 'PENDING', { ...pending, reason: 'Dependency' }),
      row('25', null, '25', 'PENDING', { ...pending, reason: 'Priority' }),
      row('22', null, '22', 'PENDING', { ...pending, reason: 'JobHeldUser' }),
      row('20', null, '20', 'RUNNING', { node: 'vm', elapsed: '0:01' }),
      row('21', 0, '27', 'RUNNING', { node: 'vm', elapsed: '0:01' }),
    ]);
  });

  it('expands a grouped pending line "21_[1-3]" (squeue without -r) per index', () => {
    const rows = parseSqueue(fixture('squeue-early-grouped.txt'));
    expect(rows.slice(0, 3)).toEqual(
      [1, 2, 3].map((i) => row('21', i, `21_${i}`, 'PENDING', { ...pending, reason: 'JobArrayTaskLimit,Dependency' })),
    );
    expect(rows.slice(3)).toEqual(parseSqueue(fixture('squeue-early.txt')).slice(3));
  });

  it('shows DependencyNeverSatisfied for a dependency on a failed job, and lists only jobs not ended', () => {
    expect(parseSqueue(fixture('squeue-late.txt'))).toEqual([
      row('24', null, '24', 'PENDING', { ...pending, reason: 'DependencyNeverSatisfied' }),
      row('22', null, '22', 'PENDING', { ...pending, reason: 'JobHeldUser' }),
    ]);
  });

  it('reads nothing from empty output and refuses a line of another format', () => {
    expect(parseSqueue('')).toEqual([]);
    expect(appError(() => parseSqueue('20 debug wrap root R 0:01 1 vm\n')).message).toBe(
      'Unexpected squeue output line "20 debug wrap root R 0:01 1 vm" (expected 8 fields %i|%F|%K|%A|%T|%N|%M|%r)',
    );
  });
});

describe('parseScontrolJobs', () => {
  const pending = { elapsed: '00:00:00', exitCode: '0:0' };
  it('reads running and pending jobs, expanding the array record of tasks not yet started', () => {
    expect(parseScontrolJobs(fixture('scontrol-early.txt'))).toEqual([
      row('20', null, '20', 'RUNNING', { node: 'vm', elapsed: '00:00:01', exitCode: '0:0' }),
      row('21', 1, '21_1', 'PENDING', { ...pending, reason: 'JobArrayTaskLimit' }),
      row('21', 2, '21_2', 'PENDING', { ...pending, reason: 'JobArrayTaskLimit' }),
      row('21', 0, '27', 'RUNNING', { node: 'vm', elapsed: '00:00:01', exitCode: '0:0' }),
      row('21', 3, '26', 'PENDING', { ...pending, reason: 'Dependency' }),
      row('22', null, '22', 'PENDING', { ...pending, reason: 'JobHeldUser' }),
      row('23', null, '23', 'PENDING', { ...pending, reason: 'Resources' }),
      row('24', null, '24', 'PENDING', { ...pending, reason: 'Dependency' }),
      row('25', null, '25', 'PENDING', { ...pending, reason: 'Priority' }),
    ]);
  });

  it('reads ended jobs: completed tasks (the last one in the array record itself), a failure with its exit code, a cancelled job', () => {
    const done = (elapsed: string) => ({ node: 'vm', elapsed, exitCode: '0:0' });
    expect(parseScontrolJobs(fixture('scontrol-late.txt'))).toEqual([
      row('20', null, '20', 'COMPLETED', done('00:00:05')),
      row('21', 2, '21', 'COMPLETED', done('00:00:06')),
      row('21', 1, '28', 'COMPLETED', done('00:00:05')),
      row('21', 0, '27', 'COMPLETED', done('00:00:05')),
      row('21', 3, '26', 'COMPLETED', done('00:00:06')),
      row('22', null, '22', 'PENDING', { ...pending, reason: 'JobHeldUser' }),
      row('23', null, '23', 'FAILED', { node: 'vm', elapsed: '00:00:01', exitCode: '3:0', reason: 'NonZeroExitCode' }),
      row('24', null, '24', 'PENDING', { ...pending, reason: 'DependencyNeverSatisfied' }),
      row('25', null, '25', 'CANCELLED', { ...pending, reason: 'Priority' }),
    ]);
  });

  it('keeps a job name with spaces out of the fields it reads', () => {
    const line =
      'JobId=7 ArrayJobId=5 ArrayTaskId=2 JobName=train cell 2 UserId=u(1) JobState=RUNNING Reason=None ' +
      'ExitCode=0:0 RunTime=1-02:03:04 ReqNodeList=(null) NodeList=gpu[01-02] WorkDir=/data/my study';
    expect(parseScontrolJobs(line)).toEqual([row('5', 2, '7', 'RUNNING', { node: 'gpu[01-02]', elapsed: '1-02:03:04', exitCode: '0:0' })]);
  });

  it('refuses a line that is no job record', () => {
    expect(appError(() => parseScontrolJobs('No jobs in the system')).message).toContain(
      'Unexpected scontrol show job output line "No jobs in the system"',
    );
  });
});

describe('parseSacct', () => {
  it('reads array rows, "CANCELLED by 0", RUNNING, a pending dependency and the unsplit pending array expanded per index', () => {
    expect(parseSacct(fixture('sacct-documented.txt'))).toEqual([
      row('120', null, '120', 'COMPLETED', { node: 'node01', elapsed: '00:00:05', exitCode: '0:0' }),
      row('121', null, '121', 'FAILED', { node: 'node01', elapsed: '00:00:01', exitCode: '3:0' }),
      row('122', null, '122', 'CANCELLED', { node: 'node02', elapsed: '00:00:12', exitCode: '0:15' }),
      row('123', 0, '124', 'COMPLETED', { node: 'node01', elapsed: '00:00:06', exitCode: '0:0' }),
      row('123', 1, '125', 'RUNNING', { node: 'node[01-02]', elapsed: '1-02:03:04', exitCode: '0:0' }),
      ...[2, 3, 4, 5].map((i) =>
        row('123', i, `123_${i}`, 'PENDING', { elapsed: '00:00:00', exitCode: '0:0', reason: 'JobArrayTaskLimit' }),
      ),
      row('126', null, '126', 'PENDING', { elapsed: '00:00:00', exitCode: '0:0', reason: 'Dependency' }),
      row('127', null, '127', 'TIMEOUT', { node: 'node02', elapsed: '01:00:27', exitCode: '0:0' }),
    ]);
  });

  it('skips job steps and refuses other lines', () => {
    expect(
      parseSacct('120.batch|120.batch|COMPLETED|node01|00:00:05|0:0|\n123_0.extern|124.extern|COMPLETED|node01|00:00:06|0:0|\n'),
    ).toEqual([]);
    expect(appError(() => parseSacct('120|120|COMPLETED|node01|00:00:05|0:0|None|')).message).toContain('(expected 7 fields');
    expect(appError(() => parseSacct('120+1|120|COMPLETED|node01|00:00:05|0:0|None')).message).toContain(
      'a JobID such as 123, 123_4 or 123_[2-5%2]',
    );
  });
});

describe('expandArrayIndices', () => {
  it('reads ranges, lists, steps and the tasks-at-once limit', () => {
    expect(expandArrayIndices('0-3%2')).toEqual([0, 1, 2, 3]);
    expect(expandArrayIndices('1,4,7-9')).toEqual([1, 4, 7, 8, 9]);
    expect(expandArrayIndices('0-10:4')).toEqual([0, 4, 8]);
    expect(expandArrayIndices('5')).toEqual([5]);
  });

  it('drops a part Slurm cut short and refuses anything else', () => {
    expect(expandArrayIndices('1,3,5-7,...')).toEqual([1, 3, 5, 6, 7]);
    expect(appError(() => expandArrayIndices('a-b')).message).toBe(
      'Unexpected Slurm array expression "a-b" (expected e.g. 0-3%2, 1,4,7-9 or 0-10:2)',
    );
  });
});

describe('parseSinfoPartitions', () => {
  it('reads the captured partition: the default, up, without a time limit', () => {
    expect(parseSinfoPartitions(fixture('sinfo-partitions.txt'))).toEqual([
      { name: 'debug', isDefault: true, up: true, maxTimeSeconds: null },
    ]);
  });

  it('lists each partition once, with its availability and time limit', () => {
    const out = 'gpu|up|2-00:00:00\ndebug*|up|infinite\ngpu|up|2-00:00:00\nlong|down|UNLIMITED\nshort|inact|30:00\nunset|up|n/a\n';
    expect(parseSinfoPartitions(out)).toEqual([
      { name: 'gpu', isDefault: false, up: true, maxTimeSeconds: 2 * 86_400 },
      { name: 'debug', isDefault: true, up: true, maxTimeSeconds: null },
      { name: 'long', isDefault: false, up: false, maxTimeSeconds: null },
      { name: 'short', isDefault: false, up: false, maxTimeSeconds: 30 * 60 },
      { name: 'unset', isDefault: false, up: true, maxTimeSeconds: null },
    ]);
  });

  it('refuses a line of another format', () => {
    expect(appError(() => parseSinfoPartitions('debug* up infinite 1 idle vm')).message).toContain('(expected 3 fields %P|%a|%l)');
  });
});

describe('parseSlurmTime', () => {
  it.each([
    ['90', 90 * 60],
    ['03:04', 3 * 60 + 4],
    ['02:03:04', 2 * 3600 + 3 * 60 + 4],
    ['24:00:00', 86_400],
    ['1-02', 86_400 + 2 * 3600],
    ['1-02:03', 86_400 + 2 * 3600 + 3 * 60],
    ['1-02:03:04', 86_400 + 2 * 3600 + 3 * 60 + 4],
    ['365-00:00:00', 365 * 86_400],
    ['90:00', 90 * 60],
    [' 1:30:00 ', 5400],
  ])('reads %j as %i s', (value, seconds) => {
    expect(parseSlurmTime(value)).toBe(seconds);
  });

  it.each(['UNLIMITED', 'INFINITE', 'infinite', 'Unlimited', '0', '00:00:00'])('reads %j as no limit', (value) => {
    expect(parseSlurmTime(value)).toBeNull();
  });

  it.each(['', '1h', '1:2:3:4', '1-', '-5', '1.5', '1-2:3:4:5', 'NOT_SET', '12 h'])(
    'refuses %j naming the value and the accepted forms',
    (value) => {
      const error = appError(() => parseSlurmTime(value));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe(
        `Invalid Slurm time "${value}": expected minutes ("90"), minutes:seconds ("90:00"), hours:minutes:seconds ("24:00:00"), ` +
          'days-hours ("1-12"), days-hours:minutes ("1-12:30"), days-hours:minutes:seconds ("1-12:00:00"), or UNLIMITED',
      );
    },
  );
});

describe('formatSlurmTime', () => {
  it.each([
    [0, '00:00:00'],
    [59, '00:00:59'],
    [3599, '00:59:59'],
    [86_399, '23:59:59'],
    [86_400, '1-00:00:00'],
    [93_784, '1-02:03:04'],
    [100 * 86_400 + 1, '100-00:00:01'],
    [59.2, '00:01:00'],
  ])('writes %s s as %j', (seconds, text) => {
    expect(formatSlurmTime(seconds)).toBe(text);
  });

  it('writes what parseSlurmTime reads back', () => {
    for (const seconds of [1, 61, 3661, 86_400, 93_784, 31_536_000]) expect(parseSlurmTime(formatSlurmTime(seconds))).toBe(seconds);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d', (seconds) => {
    expect(appError(() => formatSlurmTime(seconds)).code).toBe('BAD_REQUEST');
  });
});
