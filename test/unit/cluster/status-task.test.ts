/**
 * The status of cluster submissions (Slurm's views combined with the tasks' own records, in the
 * order squeue → sacct → scontrol → record), cancel, and the task side (version check, the cell
 * found again, records, the time-limit signal and SIGTERM), with Slurm's tools answered by a
 * scripted command runner holding real output formats.
 */
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ClusterOptions, Submission, TaskRecord, clusterStateByRun } from '../../../src-shared/cluster';
import { AppError } from '../../../src-shared/errors';
import { Slurm, type CommandRunner } from '../../../src-main/services/cluster/slurm';
import { cancelSubmissions, clusterStatus } from '../../../src-main/services/cluster/status';
import { runClusterTask } from '../../../src-main/services/cluster/task';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { APP_VERSION } from '../../../src-main/version';
import { makeStudy } from '../../support/studies';

afterEach(() => vi.restoreAllMocks());

function submission(study: string, over: Partial<Submission> = {}): Submission {
  return {
    id: '20261207-031500-ab12',
    createdAt: '2026-12-07T03:15:00.000Z',
    kind: 'grid',
    appVersion: APP_VERSION,
    cli: { node: '/usr/bin/node', script: '/opt/funduslab/bin/funduslab.js' },
    study,
    plan: null,
    options: ClusterOptions.parse({}),
    cells: [0, 1, 2].map((i) => ({
      runId: `run-${i}`,
      strategy: 'IWNE-FS' as const,
      fraction: 1,
      seed: i,
      specHash: 'h',
      pretraining: null,
    })),
    pretrainings: [],
    jobs: [
      { role: 'train', jobId: '101', script: 'train.sbatch', tasks: 3, indices: [0, 1, 2], dependency: null },
      { role: 'finish', jobId: '102', script: 'finish.sbatch', tasks: 1, dependency: 'afterany:101' },
    ],
    retryOf: null,
    dryRun: false,
    ...over,
  };
}

async function writeSubmission(study: string, sub: Submission): Promise<void> {
  const files = studyLayout(study).clusterSubmission(sub.id);
  await fsp.mkdir(files.tasksDir, { recursive: true });
  await fsp.writeFile(files.submission, JSON.stringify(sub));
}

/** A runner answering each tool from a table; records every call. */
function scripted(
  answers: Partial<Record<string, { stdout?: string; stderr?: string; code?: number }>>,
): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const runner = (async (cmd: string, args: string[]) => {
    calls.push([cmd, ...args]);
    const a = answers[cmd] ?? { stdout: '' };
    return { stdout: a.stdout ?? '', stderr: a.stderr ?? '', code: a.code ?? 0 };
  }) as CommandRunner & { calls: string[][] };
  runner.calls = calls;
  return runner;
}

describe('cluster status', () => {
  test('queued tasks from squeue with their reason, ended ones from sacct, the rest from their records; counts and active', async () => {
    const study = await makeStudy();
    await writeSubmission(study, submission(study));
    await fsp.writeFile(
      studyLayout(study).clusterSubmission('20261207-031500-ab12').taskRecord('train', 2),
      JSON.stringify({
        role: 'train',
        index: 2,
        jobId: '105',
        arrayJobId: '101',
        host: 'gpu07',
        state: 'failed',
        startedAt: 'x',
        endedAt: 'y',
        starts: 1,
        exitCode: 1,
        message: 'out of memory',
      } satisfies TaskRecord),
    );
    const runner = scripted({
      // squeue -r: task 1 pending on a dependency, the finish job pending too (%i|%F|%K|%A|%T|%N|%M|%r)
      squeue: { stdout: '101_1|101|1|104|PENDING||0:00|Resources\n102|102|N/A|102|PENDING||0:00|Dependency\n' },
      // sacct -P -X: task 0 completed on gpu03
      sacct: { stdout: '101_0|103|COMPLETED|gpu03|00:12:01|0:0|None\n101_1|104|PENDING|None assigned|00:00:00|0:0|Resources\n' },
    });
    const status = await clusterStatus(study, new Slurm(runner));
    const [s] = status.submissions;
    const byIndex = (role: string, i: number) => s!.tasks.find((t) => t.role === role && t.index === i)!;
    expect(byIndex('train', 0)).toMatchObject({
      state: 'COMPLETED',
      node: 'gpu03',
      elapsed: '00:12:01',
      exitCode: '0:0',
      source: 'sacct',
      label: 'run-0',
    });
    expect(byIndex('train', 1)).toMatchObject({ state: 'PENDING', reason: 'Resources', source: 'squeue', arrayIndex: 1 });
    expect(byIndex('train', 2)).toMatchObject({
      state: 'FAILED',
      node: 'gpu07',
      exitCode: '1:0',
      reason: 'out of memory',
      source: 'record',
    });
    expect(byIndex('finish', 0)).toMatchObject({
      state: 'PENDING',
      reason: 'Dependency',
      arrayIndex: null,
      log: path.join(studyLayout(study).clusterSubmission(s!.id).dir, '102.log'),
    });
    expect(byIndex('train', 1).log).toBe(path.join(studyLayout(study).clusterSubmission(s!.id).dir, '101_1.log'));
    expect(s!.counts).toEqual({ COMPLETED: 1, PENDING: 2, FAILED: 1 });
    expect(s!.active).toBe(true);
    expect(status.slurm).toBe(true);
    expect(clusterStateByRun(status)['run-1']).toMatchObject({ state: 'PENDING', reason: 'Resources', jobId: '101', arrayIndex: 1 });
  });

  test('without accounting, ended tasks come from scontrol; without Slurm, from the records, and the note says so', async () => {
    const study = await makeStudy();
    await writeSubmission(study, submission(study));
    const runner = scripted({
      squeue: { stdout: '' },
      sacct: { stdout: '', stderr: 'Slurm accounting storage is disabled', code: 1 },
      scontrol: {
        stdout:
          'JobId=103 ArrayJobId=101 ArrayTaskId=0 JobName=x JobState=COMPLETED Reason=None Dependency=(null) RunTime=00:00:09 ExitCode=0:0 NodeList=vm\n',
      },
    });
    const status = await clusterStatus(study, new Slurm(runner));
    const t0 = status.submissions[0]!.tasks[0]!;
    expect(t0).toMatchObject({ state: 'COMPLETED', source: 'scontrol', node: 'vm', elapsed: '00:00:09' });
    expect(status.submissions[0]!.tasks[1]!).toMatchObject({ state: 'UNKNOWN', source: 'none' });
    expect(status.notes.join(' ')).toMatch(/accounting \(sacct\) is not available/);

    const down = await clusterStatus(
      study,
      new Slurm(scripted({ squeue: { code: 1, stderr: 'slurm_load_jobs error: Unable to contact slurm controller' } })),
    );
    expect(down.slurm).toBe(false);
    expect(down.notes.join(' ')).toMatch(/could not be asked/);
  });

  test('cancel runs scancel on the submission’s jobs; an unknown submission is named', async () => {
    const study = await makeStudy();
    await writeSubmission(study, submission(study));
    const runner = scripted({});
    expect(await cancelSubmissions(study, '20261207-031500-ab12', new Slurm(runner))).toEqual({ cancelled: ['101', '102'] });
    expect(runner.calls.filter((c) => c[0] === 'scancel').at(-1)).toEqual(['scancel', '101', '102']);
    await expect(cancelSubmissions(study, 'nope', new Slurm(runner))).rejects.toThrow(
      /no cluster submission nope \(submissions: 20261207-031500-ab12\)/,
    );
  });
});

/** Work that runs until its signal aborts it, then fails as a cancelled run does. */
const stoppable = (signal: AbortSignal) =>
  new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new AppError('CANCELLED', 'Cancelled by the user'))));

describe('cluster tasks', () => {
  const env = { SLURM_JOB_ID: '107', SLURM_ARRAY_JOB_ID: '101', SLURM_ARRAY_TASK_ID: '2' };

  async function setup(over: Partial<Submission> = {}) {
    const study = await makeStudy();
    const sub = submission(study, over);
    await writeSubmission(study, sub);
    const record = async () =>
      TaskRecord.parse(JSON.parse(await fsp.readFile(studyLayout(study).clusterSubmission(sub.id).taskRecord('train', 2), 'utf8')));
    return { study, sub, record };
  }

  test('a finished task is recorded done with exit 0; a second start counts', async () => {
    const { study, sub, record } = await setup();
    const opts = { env, log: () => {}, signals: new EventEmitter() as never };
    expect(await runClusterTask(study, sub.id, 'train', 2, async () => 'run-2 finished', opts)).toBe(0);
    expect(await record()).toMatchObject({
      state: 'done',
      exitCode: 0,
      jobId: '107',
      arrayJobId: '101',
      message: 'run-2 finished',
      starts: 1,
    });
    await runClusterTask(study, sub.id, 'train', 2, async () => null, opts);
    expect((await record()).starts).toBe(2);
  });

  test('the time-limit signal stops the work, records requeued and requeues <array>_<index>; SIGTERM records cancelled with 143; an error records failed', async () => {
    const { study, sub, record } = await setup();
    const signals = new EventEmitter();
    const runner = scripted({});
    const usr1 = runClusterTask(study, sub.id, 'train', 2, async (_s, signal) => stoppable(signal), {
      env,
      log: () => {},
      signals: signals as never,
      slurm: new Slurm(runner),
    });
    await vi.waitFor(() => expect(signals.listenerCount('SIGUSR1')).toBe(1));
    signals.emit('SIGUSR1');
    expect(await usr1).toBe(0);
    expect((await record()).state).toBe('requeued');
    expect(runner.calls).toContainEqual(['scontrol', 'requeue', '101_2']);
    expect(signals.listenerCount('SIGUSR1')).toBe(0);

    const term = runClusterTask(study, sub.id, 'train', 2, async (_s, signal) => stoppable(signal), {
      env,
      log: () => {},
      signals: signals as never,
    });
    await vi.waitFor(() => expect(signals.listenerCount('SIGTERM')).toBe(1));
    signals.emit('SIGTERM');
    expect(await term).toBe(143);
    expect(await record()).toMatchObject({ state: 'cancelled', exitCode: 143 });

    const failing = runClusterTask(
      study,
      sub.id,
      'train',
      2,
      async () => {
        throw new Error('disk full');
      },
      { env, log: () => {}, signals: signals as never },
    );
    expect(await failing).toBe(1);
    expect(await record()).toMatchObject({ state: 'failed', exitCode: 1, message: 'disk full' });
  });

  test('without requeue (--no-requeue), or when Slurm refuses it, the signalled task ends with its checkpoint and says how to go on', async () => {
    const signalled = async (over: Partial<Submission>, runner: ReturnType<typeof scripted>) => {
      const { study, sub, record } = await setup(over);
      const signals = new EventEmitter();
      const done = runClusterTask(study, sub.id, 'train', 2, async (_s, signal) => stoppable(signal), {
        env,
        log: () => {},
        signals: signals as never,
        slurm: new Slurm(runner),
      });
      await vi.waitFor(() => expect(signals.listenerCount('SIGUSR1')).toBe(1));
      signals.emit('SIGUSR1');
      expect(await done).toBe(0);
      return record();
    };
    const quiet = scripted({});
    expect(await signalled({ options: ClusterOptions.parse({ requeue: false }) }, quiet)).toMatchObject({
      state: 'cancelled',
      message: expect.stringMatching(/requeue is off: submit it again with --retry-failed/),
    });
    expect(quiet.calls.some((c) => c[0] === 'scontrol')).toBe(false);
    const refusing = scripted({
      scontrol: { code: 1, stderr: 'scontrol: error: Requested operation is presently disabled for job 101_2' },
    });
    expect(await signalled({}, refusing)).toMatchObject({
      state: 'cancelled',
      message: expect.stringMatching(/requeueing failed \(.*presently disabled.*\): submit it again with --retry-failed/),
    });
  });

  test('a task of another FundusLab version is refused before it records anything', async () => {
    const { study, sub } = await setup({ appVersion: '0.0.1-old' });
    await expect(runClusterTask(study, sub.id, 'train', 2, async () => null, { env, log: () => {} })).rejects.toThrow(
      /made with FundusLab 0\.0\.1-old, but this task runs FundusLab/,
    );
  });
});
