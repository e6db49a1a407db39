/**
 * The Slurm class with a recording command runner: the exact command line of each method, how it reads
 * the answers (captured from a real cluster, fixtures/NOTES.md), and its errors: a missing tool, a
 * failing command, an unknown job id, a command that does not finish. Also the default runner itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Slurm, execRunner, parseScontrolJobs, type CommandResult } from '../../../src-main/services/cluster/slurm';
import { AppError } from '../../../src-shared/errors';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

const ok = (stdout = ''): CommandResult => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string, code: number | null = 1): CommandResult => ({ stdout: '', stderr, code });
const enoent = (cmd: string) => Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: 'ENOENT', errno: -2, syscall: `spawn ${cmd}` });
const MISSING = (cmd: string) => `${cmd} is not on PATH: install the Slurm client or run on the cluster's login node`;
const CONTROLLER_DOWN = 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)';

type Answer = CommandResult | Error;

/** A Slurm over a runner that records every command line and answers from `answers` in order (ok('') when they run out). */
function recording(...answers: Answer[]): { slurm: Slurm; calls: string[][] } {
  const calls: string[][] = [];
  const slurm = new Slurm(async (cmd, args) => {
    calls.push([cmd, ...args]);
    const answer = answers.shift() ?? ok();
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return { slurm, calls };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('requireTool', () => {
  it('asks the tool for its version', async () => {
    const { slurm, calls } = recording(ok('slurm-wlm 22.05.8\n'));
    await slurm.requireTool('sbatch');
    expect(calls).toEqual([['sbatch', '--version']]);
  });

  it('says how to get a tool that is not on PATH', async () => {
    for (const tool of ['sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'] as const) {
      const error = await rejection(recording(enoent(tool)).slurm.requireTool(tool));
      expect([error.code, error.message]).toEqual(['NOT_FOUND', MISSING(tool)]);
    }
  });

  it('reports a tool that cannot run with what it printed', async () => {
    const error = await rejection(
      recording(fail('sinfo: error while loading shared libraries: libslurm.so', 127)).slurm.requireTool('sinfo'),
    );
    expect([error.code, error.message]).toEqual([
      'INTERNAL',
      'sinfo --version failed (exit 127): sinfo: error while loading shared libraries: libslurm.so',
    ]);
  });
});

describe('partitions', () => {
  it('runs sinfo with the partition format and reads it', async () => {
    const { slurm, calls } = recording(ok(fixture('sinfo-partitions.txt')));
    expect(await slurm.partitions()).toEqual([{ name: 'debug', isDefault: true, up: true, maxTimeSeconds: null }]);
    expect(calls).toEqual([['sinfo', '-h', '-o', '%P|%a|%l']]);
  });

  it('quotes sinfo when the controller does not answer', async () => {
    const error = await rejection(
      recording(fail('slurm_load_partitions: Unable to contact slurm controller (connect failure)')).slurm.partitions(),
    );
    expect(error.message).toBe(
      "sinfo -h -o '%P|%a|%l' failed (exit 1): slurm_load_partitions: Unable to contact slurm controller (connect failure)",
    );
  });
});

describe('submit', () => {
  it('submits with --parsable and returns the job id', async () => {
    const { slurm, calls } = recording(ok(fixture('sbatch-parsable.txt')));
    expect(await slurm.submit('/study/cluster/s1/train.sbatch')).toBe('20');
    expect(calls).toEqual([['sbatch', '--parsable', '/study/cluster/s1/train.sbatch']]);
  });

  it('submits held, and drops the cluster name of a federated answer', async () => {
    const { slurm, calls } = recording(ok('123;gpu-cluster\n'));
    expect(await slurm.submit('/s/a b.sbatch', { hold: true })).toBe('123');
    expect(calls).toEqual([['sbatch', '--parsable', '--hold', '/s/a b.sbatch']]);
  });

  it("refuses with sbatch's own message", async () => {
    const error = await rejection(recording(fail(fixture('sbatch-bad-partition.stderr'))).slurm.submit('/s/x.sbatch'));
    expect([error.code, error.message]).toEqual([
      'BAD_REQUEST',
      'sbatch --parsable /s/x.sbatch failed (exit 1): sbatch: error: invalid partition specified: no-such-partition\n' +
        'sbatch: error: Batch job submission failed: Invalid partition name specified',
    ]);
  });

  it('refuses an answer without a job id', async () => {
    const error = await rejection(recording(ok('Submitted batch job 12\n')).slurm.submit('/s/x.sbatch'));
    expect(error.message).toBe(
      'sbatch --parsable /s/x.sbatch printed no job id (expected "<id>" or "<id>;<cluster>"): "Submitted batch job 12"',
    );
  });

  it('says sbatch is missing', async () => {
    expect((await rejection(recording(enoent('sbatch')).slurm.submit('/s/x.sbatch'))).message).toBe(MISSING('sbatch'));
  });
});

describe('scontrol and scancel', () => {
  it('sets the dependency of one array task', async () => {
    const { slurm, calls } = recording();
    await slurm.setTaskDependency('21', 3, 'afterok:20');
    expect(calls).toEqual([['scontrol', 'update', 'JobId=21_3', 'Dependency=afterok:20']]);
  });

  it('says which task Slurm does not know, or why it refused', async () => {
    const unknown = await rejection(recording(fail('15_1: Invalid job id specified')).slurm.setTaskDependency('15', 1, 'afterok:1'));
    expect([unknown.code, unknown.message]).toEqual([
      'NOT_FOUND',
      'scontrol update JobId=15_1 Dependency=afterok:1 failed (exit 1): 15_1: Invalid job id specified',
    ]);
    const finished = await rejection(recording(fail('16_0: Job has already finished')).slurm.setTaskDependency('16', 0, 'afterok:1'));
    expect([finished.code, finished.message]).toEqual([
      'CONFLICT',
      'scontrol update JobId=16_0 Dependency=afterok:1 failed (exit 1): 16_0: Job has already finished',
    ]);
  });

  it('refuses a bad index or job id before running anything', async () => {
    const { slurm, calls } = recording();
    expect((await rejection(slurm.setTaskDependency('21', -1, 'afterok:20'))).message).toBe(
      'Invalid array index -1: expected an integer >= 0',
    );
    expect((await rejection(slurm.setTaskDependency('21', 1.5, 'afterok:20'))).code).toBe('BAD_REQUEST');
    expect((await rejection(slurm.cancel(['20', '--me']))).message).toBe(
      'Invalid Slurm job id "--me": expected digits, or <array job id>_<index> such as 123_4',
    );
    expect((await rejection(slurm.release('21;x'))).code).toBe('BAD_REQUEST');
    expect((await rejection(slurm.queue(['21_[1-3]']))).code).toBe('BAD_REQUEST');
    expect(calls).toEqual([]);
  });

  it('releases, requeues and cancels', async () => {
    const { slurm, calls } = recording();
    await slurm.release('22');
    await slurm.requeue('21_2');
    await slurm.requeue('27');
    await slurm.cancel([]);
    await slurm.cancel(['20', '21_3', '22']);
    expect(calls).toEqual([
      ['scontrol', 'release', '22'],
      ['scontrol', 'requeue', '21_2'],
      ['scontrol', 'requeue', '27'],
      ['scancel', '20', '21_3', '22'],
    ]);
  });

  it('reports an unknown job to release', async () => {
    const error = await rejection(
      recording(fail('Invalid job id specified for job 999999\nslurm_suspend error: Invalid job id specified')).slurm.release('999999'),
    );
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('scontrol release 999999 failed (exit 1): Invalid job id specified for job 999999');
  });
});

describe('queue', () => {
  it('asks squeue one row per array task in the row format, and reads it', async () => {
    const { slurm, calls } = recording(ok(fixture('squeue-late.txt')));
    const rows = await slurm.queue(['24', '22']);
    expect(calls).toEqual([['squeue', '-h', '-r', '--jobs=24,22', '-o', '%i|%F|%K|%A|%T|%N|%M|%r']]);
    expect(rows.map((r) => [r.rawJobId, r.state, r.reason])).toEqual([
      ['24', 'PENDING', 'DependencyNeverSatisfied'],
      ['22', 'PENDING', 'JobHeldUser'],
    ]);
  });

  it('asks nothing for no ids', async () => {
    const { slurm, calls } = recording();
    expect(await slurm.queue([])).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('reads "Invalid job id specified" as no rows, other failures as errors', async () => {
    expect(await recording(fail(fixture('squeue-invalid-id.stderr'))).slurm.queue(['999999999'])).toEqual([]);
    const error = await rejection(recording(fail(CONTROLLER_DOWN)).slurm.queue(['20']));
    expect([error.code, error.message]).toEqual([
      'INTERNAL',
      `squeue -h -r --jobs=20 -o '%i|%F|%K|%A|%T|%N|%M|%r' failed (exit 1): ${CONTROLLER_DOWN}`,
    ]);
    expect((await rejection(recording(enoent('squeue')).slurm.queue(['20']))).message).toBe(MISSING('squeue'));
  });

  it('says when squeue did not finish', async () => {
    const error = await rejection(recording(fail('', null)).slurm.queue(['20']));
    expect([error.code, error.message]).toEqual([
      'TIMEOUT',
      "squeue -h -r --jobs=20 -o '%i|%F|%K|%A|%T|%N|%M|%r' did not finish (stopped after 60 s or by a signal)",
    ]);
  });
});

describe('accounting', () => {
  const SACCT = ['sacct', '-n', '-P', '-X', '--jobs=120,123', '--format=JobID,JobIDRaw,State,NodeList,Elapsed,ExitCode,Reason'];

  it('asks sacct for the allocations in parsable form and reads them', async () => {
    const { slurm, calls } = recording(ok(fixture('sacct-documented.txt')));
    const rows = await slurm.accounting(['120', '123']);
    expect(calls).toEqual([SACCT]);
    expect(rows?.length).toBe(11);
    expect(rows?.filter((r) => r.jobId === '123').map((r) => r.arrayIndex)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('is null when accounting is disabled or sacct is missing', async () => {
    expect(await recording(fail(fixture('sacct-disabled.stderr'))).slurm.accounting(['120', '123'])).toBeNull();
    expect(await recording(enoent('sacct')).slurm.accounting(['120', '123'])).toBeNull();
  });

  it('reports any other failure', async () => {
    const error = await rejection(
      recording(fail('sacct: error: Problem talking to the database: Connection refused')).slurm.accounting(['120', '123']),
    );
    expect(error.message).toBe(`${SACCT.join(' ')} failed (exit 1): sacct: error: Problem talking to the database: Connection refused`);
  });
});

describe('showJobs', () => {
  it('asks scontrol per id, leaving out a job Slurm forgot and a task asked about twice', async () => {
    const late = fixture('scontrol-late.txt').split('\n');
    const array = late.filter((l) => / ArrayJobId=21 /.test(l)).join('\n');
    const task = late.find((l) => l.startsWith('JobId=28 '))!;
    const { slurm, calls } = recording(ok(array), fail(fixture('scontrol-invalid-id.stderr')), ok(task));
    const rows = await slurm.showJobs(['21', '999999999', '28']);
    expect(calls).toEqual([
      ['scontrol', 'show', 'job', '-o', '21'],
      ['scontrol', 'show', 'job', '-o', '999999999'],
      ['scontrol', 'show', 'job', '-o', '28'],
    ]);
    expect(rows).toEqual(parseScontrolJobs(array));
    expect(rows.map((r) => r.arrayIndex)).toEqual([2, 1, 0, 3]);
  });

  it('reports a failure other than an unknown id', async () => {
    expect((await rejection(recording(fail(CONTROLLER_DOWN)).slurm.showJobs(['20']))).message).toBe(
      `scontrol show job -o 20 failed (exit 1): ${CONTROLLER_DOWN}`,
    );
  });
});

describe('jobEnded', () => {
  const line = (id: string, fileName: string) =>
    fixture(fileName)
      .split('\n')
      .find((l) => l.startsWith(`JobId=${id} `))!;
  const invalid = fail('slurm_load_jobs error: Invalid job id specified');
  const disabled = fail('Slurm accounting storage is disabled');

  it('is false while squeue lists the job, asking nothing more', async () => {
    const { slurm, calls } = recording(ok('20|20|N/A|20|RUNNING|vm|0:01|None\n'));
    expect(await slurm.jobEnded('20')).toBe(false);
    expect(calls).toEqual([['squeue', '-h', '-r', '--jobs=20', '-o', '%i|%F|%K|%A|%T|%N|%M|%r']]);
  });

  it('is true when squeue does not list it and scontrol shows it ended', async () => {
    const { slurm, calls } = recording(invalid, ok(line('23', 'scontrol-late.txt')));
    expect(await slurm.jobEnded('23')).toBe(true);
    expect(calls.map((c) => c.slice(0, 2))).toEqual([
      ['squeue', '-h'],
      ['scontrol', 'show'],
    ]);
  });

  it('is false when scontrol shows it active again (requeued after squeue answered)', async () => {
    expect(await recording(ok(''), ok(line('22', 'scontrol-late.txt'))).slurm.jobEnded('22')).toBe(false);
  });

  it('asks sacct when Slurm forgot the job: true for an end state, nothing at all or accounting disabled; false for an active state', async () => {
    const sacctRow = (state: string) => ok(`121|121|${state}|node01|00:00:01|3:0|None\n`);
    const forgotten = (sacct: CommandResult | Error) => recording(invalid, invalid, sacct);
    const { slurm, calls } = forgotten(sacctRow('FAILED'));
    expect(await slurm.jobEnded('121')).toBe(true);
    expect(calls.map((c) => c[0])).toEqual(['squeue', 'scontrol', 'sacct']);
    expect(await forgotten(ok('')).slurm.jobEnded('121')).toBe(true);
    expect(await forgotten(disabled).slurm.jobEnded('121')).toBe(true);
    expect(await forgotten(enoent('sacct')).slurm.jobEnded('121')).toBe(true);
    expect(await forgotten(sacctRow('RUNNING')).slurm.jobEnded('121')).toBe(false);
  });

  it('is null when Slurm cannot be asked', async () => {
    expect(await recording(enoent('squeue')).slurm.jobEnded('20')).toBeNull();
    expect(await recording(fail(CONTROLLER_DOWN)).slurm.jobEnded('20')).toBeNull();
    expect(await recording(invalid, enoent('scontrol')).slurm.jobEnded('20')).toBeNull();
    expect(await recording(fail('', null)).slurm.jobEnded('20')).toBeNull();
  });

  it('asks about one array task by <array>_<index>', async () => {
    const { slurm, calls } = recording(invalid, invalid, disabled);
    expect(await slurm.jobEnded('21_3')).toBe(true);
    expect(calls).toEqual([
      ['squeue', '-h', '-r', '--jobs=21_3', '-o', '%i|%F|%K|%A|%T|%N|%M|%r'],
      ['scontrol', 'show', 'job', '-o', '21_3'],
      ['sacct', '-n', '-P', '-X', '--jobs=21_3', '--format=JobID,JobIDRaw,State,NodeList,Elapsed,ExitCode,Reason'],
    ]);
  });
});

describe('execRunner', () => {
  it('runs without a shell, with the environment, and returns output and exit code', async () => {
    process.env.FUNDUSLAB_SLURM_RUNNER_TEST = 'inherited';
    const script =
      'process.stdout.write(process.argv[1] + " " + process.env.FUNDUSLAB_SLURM_RUNNER_TEST); process.stderr.write("err"); process.exit(3)';
    expect(await execRunner(process.execPath, ['-e', script, 'a b;$(echo x)|*'])).toEqual({
      stdout: 'a b;$(echo x)|* inherited',
      stderr: 'err',
      code: 3,
    });
    expect(await execRunner(process.execPath, ['-e', 'process.stdout.write("fine")'])).toEqual({ stdout: 'fine', stderr: '', code: 0 });
  });

  it('returns code null for a command stopped by a signal', async () => {
    expect((await execRunner(process.execPath, ['-e', 'process.kill(process.pid, "SIGKILL")'])).code).toBeNull();
  });

  it('says how to get a binary that is not on PATH', async () => {
    const error = await rejection(execRunner('funduslab-no-such-slurm-tool', ['--version']));
    expect([error.code, error.message]).toEqual(['NOT_FOUND', MISSING('funduslab-no-such-slurm-tool')]);
  });
});
