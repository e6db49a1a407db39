/**
 * FundusLab on a real Slurm cluster (the one-node cluster CI starts; test/support/slurm.ts): a tiny
 * 2-strategy × 2-fraction grid with an IWNE-CL cell and its MoCo pretraining submitted as arrays,
 * equal bit for bit to the same grid run locally; a task stopped by the time-limit signal and by
 * `scontrol requeue` resuming from its checkpoint; status and cancel against real jobs; the finish job
 * writing the report; the checks made before anything is submitted.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClusterStatus, Submission, TaskRecord } from '../../src-shared/cluster';
import { TrainingEpochLog } from '../../src-shared/training';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { demoStudy } from '../support/studies';
import { REPO_ROOT, tempDir } from '../support/files';
import { slurmAvailable } from '../support/slurm';

const HAVE = slurmAvailable();
const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin', 'funduslab.js');

/** Runs the built CLI; resolves to its exit code and output (never rejects on a non-zero exit). */
async function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, maxBuffer: 64 << 20, timeout: 600_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function json<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`funduslab ${args.join(' ')} exited ${r.code}: ${r.stderr}\n${r.stdout}`);
  return (JSON.parse(r.stdout) as { value: T }).value;
}

async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function taskRecord(study: string, sub: string, name: string): Promise<TaskRecord | null> {
  const file = path.join(study, 'cluster', sub, 'tasks', `${name}.json`);
  return existsSync(file) ? TaskRecord.parse(JSON.parse(await fsp.readFile(file, 'utf8'))) : null;
}

async function epochLog(runDir: string): Promise<TrainingEpochLog[]> {
  const text = await fsp.readFile(path.join(runDir, 'log.ndjson'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => TrainingEpochLog.parse(JSON.parse(l)));
}

/** What a run's epochs computed (its timings left out). */
const epochNumbers = (log: TrainingEpochLog[]) =>
  log.map(({ epoch, trainLoss, valLoss, valAuc, lr, best }) => ({ epoch, trainLoss, valLoss, valAuc, lr, best }));
const sha = async (file: string) =>
  createHash('sha256')
    .update(await fsp.readFile(file))
    .digest('hex');
const slurmJobs: string[] = [];

const GRID = {
  strategies: ['IWNE-FS', 'IWNE-CL'],
  fractions: [0.5, 1],
  seeds: [0],
  base: {
    datasetId: 'demo',
    arch: 'resnet18-w4',
    inputSize: 32,
    epochs: 2,
    batchSize: 8,
    lr: 2e-3,
    referable: [2, 3, 4],
    moco: { epochs: 1, batchSize: 8 },
  },
};

describe.skipIf(!HAVE)('funduslab on a Slurm cluster', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('slurm');
  });
  afterAll(() => {
    if (slurmJobs.length > 0) execFileSync('scancel', slurmJobs);
  });

  test('a 2 × 2 grid with an IWNE-CL cell runs as Slurm arrays, its report is written, and every run equals the local run bit for bit', async () => {
    const study = await demoStudy({ patients: 12 });
    const local = path.join(root, 'local-study');
    await fsp.cp(study, local, { recursive: true });
    const gridFile = path.join(root, 'grid.json');
    await fsp.writeFile(gridFile, JSON.stringify(GRID));

    const sub = await json<Submission>([
      'grid',
      '--study',
      study,
      '--spec',
      gridFile,
      '--executor',
      'slurm',
      '--max-parallel',
      '2',
      '--time',
      '2:00:00',
    ]);
    slurmJobs.push(...sub.jobs.map((j) => j.jobId!));
    expect(sub.cells.map((c) => c.strategy)).toEqual(['IWNE-FS', 'IWNE-FS', 'IWNE-CL', 'IWNE-CL']);
    expect(sub.pretrainings).toHaveLength(1); // the two CL fractions share one pretraining
    expect(sub.jobs.map((j) => j.role)).toEqual(['pretrain', 'train', 'finish']);
    const script = await fsp.readFile(path.join(study, 'cluster', sub.id, 'train.sbatch'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-3%2');
    expect(script).toContain(`grid --study ${study} --submission ${sub.id} --cell "$SLURM_ARRAY_TASK_ID"`);

    // The same grid locally, meanwhile.
    const localRun = cli(['grid', '--study', local, '--spec', gridFile]);
    await waitFor('the finish job', async () => (await taskRecord(study, sub.id, 'finish-0'))?.endedAt, 600_000);
    expect((await localRun).code).toBe(0);

    // Every task did its work once; the CL cells started after their pretraining ended.
    const pre = (await taskRecord(study, sub.id, 'pretrain-0'))!;
    expect(pre.state).toBe('done');
    for (const i of [0, 1, 2, 3]) {
      const t = (await taskRecord(study, sub.id, `train-${i}`))!;
      expect(t.state, `train task ${i}: ${t.message}`).toBe('done');
      expect(t.exitCode).toBe(0);
      if (i >= 2) expect(Date.parse(t.startedAt)).toBeGreaterThanOrEqual(Date.parse(pre.endedAt!));
    }
    expect((await taskRecord(study, sub.id, 'finish-0'))!.state).toBe('done');
    expect((await fsp.readdir(path.join(study, 'reports'))).some((f) => f.endsWith('.pdf'))).toBe(true);

    // Bit for bit: per-epoch losses, validation AUCs and the best model's bytes.
    for (const cell of sub.cells) {
      const [a, b] = [path.join(study, 'runs', cell.runId), path.join(local, 'runs', cell.runId)];
      const [la, lb] = [epochNumbers(await epochLog(a)), epochNumbers(await epochLog(b))];
      expect(la).toHaveLength(2);
      expect(la).toEqual(lb);
      expect(await sha(path.join(a, 'best', 'model.safetensors'))).toBe(await sha(path.join(b, 'best', 'model.safetensors')));
    }

    // Status from the real cluster: every task ended, no job left in the queue.
    const status = await json<ClusterStatus>(['cluster', 'status', '--study', study]);
    const s = ClusterStatus.parse(status).submissions[0]!;
    expect(s.id).toBe(sub.id);
    expect(s.tasks).toHaveLength(6);
    expect(s.tasks.every((t) => t.state === 'COMPLETED')).toBe(true);
    expect(s.active).toBe(false);

    // Nothing left to do: a new submission is refused, retry-failed too.
    const again = await cli(['grid', '--study', study, '--executor', 'slurm']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Nothing to submit/);
  });

  test('a task stopped by the time-limit signal requeues itself, one requeued by scontrol resumes too, and both continue from the checkpoint', async () => {
    const study = await demoStudy({ patients: 12 });
    const gridFile = path.join(root, 'grid-long.json');
    await fsp.writeFile(gridFile, JSON.stringify({ ...GRID, strategies: ['IWNE-FS'], fractions: [1], base: { ...GRID.base, epochs: 40 } }));
    await cli(['grid', '--study', study, '--spec', gridFile, '--dry-run']);
    const local = path.join(root, 'local-long');
    await fsp.cp(study, local, { recursive: true });
    const sub = await json<Submission>(['grid', '--study', study, '--executor', 'slurm', '--no-time-check']);
    const localRun = cli(['grid', '--study', local]);
    const train = sub.jobs.find((j) => j.role === 'train')!.jobId!;
    slurmJobs.push(...sub.jobs.map((j) => j.jobId!));
    const runDir = path.join(study, 'runs', sub.cells[0]!.runId);
    const task = `${train}_0`;

    const interrupt = async (how: string[], atEpoch: number, starts: number) => {
      await waitFor(`epoch ${atEpoch}`, async () => (await epochLog(runDir)).length >= atEpoch, 300_000);
      execFileSync(how[0]!, how.slice(1));
      // Requeued: pending with a begin time Slurm sets; let it start now.
      await waitFor(
        'the requeue',
        async () => /PENDING/.test(execFileSync('squeue', ['-h', '-r', '-o', '%T', '-j', task], { encoding: 'utf8' })),
        120_000,
      );
      execFileSync('scontrol', ['update', `JobId=${task}`, 'StartTime=now']);
      await waitFor(`start ${starts}`, async () => ((await taskRecord(study, sub.id, 'train-0'))?.starts ?? 0) >= starts, 120_000);
    };
    // 1. The signal Slurm sends before the time limit (sbatch --signal=B:USR1@…), sent now.
    await interrupt(['scancel', '--batch', '--signal=USR1', task], 2, 2);
    // 2. An administrator's (or the preempting scheduler's) requeue.
    await interrupt(['scontrol', 'requeue', task], (await epochLog(runDir)).length + 2, 3);

    const done = await waitFor(
      'the run',
      async () => {
        const r = await taskRecord(study, sub.id, 'train-0');
        return r?.state === 'done' ? r : null;
      },
      600_000,
    );
    expect(done.starts).toBe(3);
    const log = await fsp.readFile(path.join(study, 'cluster', sub.id, `${train}_0.log`), 'utf8');
    expect(log).toMatch(/Slurm signalled the time limit/);
    expect(log.match(/Resuming run/g)?.length).toBe(2);
    const epochs = (await epochLog(runDir)).map((e) => e.epoch);
    expect(epochs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const metrics = JSON.parse(await fsp.readFile(path.join(runDir, 'metrics.json'), 'utf8')) as {
      finalEpoch: number;
      resumedFromEpoch: number;
    };
    expect(metrics.finalEpoch).toBe(40);
    expect(metrics.resumedFromEpoch).toBeGreaterThan(2);
    // Stopped twice mid-epoch and resumed: the same numbers and the same best model as the uninterrupted local run, bit for bit.
    expect((await localRun).code).toBe(0);
    const localDir = path.join(local, 'runs', sub.cells[0]!.runId);
    expect(epochNumbers(await epochLog(runDir))).toEqual(epochNumbers(await epochLog(localDir)));
    expect(await sha(path.join(runDir, 'best', 'model.safetensors'))).toBe(await sha(path.join(localDir, 'best', 'model.safetensors')));
  });

  test('status shows pending tasks with their reason, cancel runs scancel on them; bad input is refused before anything is submitted', async () => {
    const study = await demoStudy({ patients: 12 });
    const gridFile = path.join(root, 'grid-cancel.json');
    await fsp.writeFile(gridFile, JSON.stringify({ ...GRID, base: { ...GRID.base, epochs: 1000 } }));
    await cli(['grid', '--study', study, '--spec', gridFile, '--dry-run']);

    // Refused before submission: unknown partition, a time limit under the estimate, no sbatch on PATH.
    const bad = await cli(['grid', '--study', study, '--executor', 'slurm', '--partition', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/partition "nope" does not exist.*debug/);
    const short = await cli(['grid', '--study', study, '--executor', 'slurm', '--time', '1']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/--time 1 is shorter than the estimated/);
    const noSlurm = await cli(['grid', '--study', study, '--executor', 'slurm'], { ...process.env, PATH: await tempDir('empty-path') });
    expect(noSlurm.code).toBe(1);
    expect(noSlurm.stderr).toMatch(/sbatch is not on PATH/);
    expect(existsSync(path.join(study, 'cluster'))).toBe(false);

    // Held back an hour: every task pends with reason BeginTime (CL cells: Dependency on the pretraining).
    const sub = await json<Submission>([
      'grid',
      '--study',
      study,
      '--executor',
      'slurm',
      '--no-time-check',
      '--sbatch-arg=--begin=now+1hour',
    ]);
    slurmJobs.push(...sub.jobs.map((j) => j.jobId!));
    const status = ClusterStatus.parse(await json<ClusterStatus>(['cluster', 'status', '--study', study]));
    const tasks = status.submissions[0]!.tasks;
    expect(tasks.every((t) => t.state === 'PENDING' && t.source === 'squeue')).toBe(true);
    expect(tasks.find((t) => t.role === 'train' && t.label === sub.cells[0]!.runId)!.reason).toBe('BeginTime');
    expect(tasks.find((t) => t.role === 'train' && t.label === sub.cells[2]!.runId)!.reason).toBe('Dependency');
    expect(status.submissions[0]!.active).toBe(true);
    // A second submission of the same cells is refused while they are queued.
    const twice = await cli(['grid', '--study', study, '--executor', 'slurm', '--no-time-check']);
    expect(twice.stderr).toMatch(/already queued or running on the cluster/);

    const cancelled = await json<{ cancelled: string[] }>(['cluster', 'cancel', '--study', study, '--submission', sub.id]);
    expect(cancelled.cancelled.sort()).toEqual(sub.jobs.map((j) => j.jobId!).sort());
    const after = await waitFor(
      'the cancellation',
      async () => {
        const s = ClusterStatus.parse(await json<ClusterStatus>(['cluster', 'status', '--study', study])).submissions[0]!;
        return s.tasks.every((t) => t.state === 'CANCELLED') ? s : null;
      },
      60_000,
    );
    expect(after.active).toBe(false);

    // --retry-failed submits the cells no submission works on: all four again (none finished).
    const retry = await json<Submission>(['grid', '--study', study, '--executor', 'slurm', '--retry-failed', '--dry-run']);
    expect(retry.cells).toHaveLength(4);
    expect(retry.retryOf).toBe(sub.id);
  });

  test('a whole study plan: its datasets imported by the prepare job, its runs trained, evaluated and reported by the finish job', async () => {
    const data = path.join(root, 'plan-data');
    await writeEyepacsDemo(data, { patients: 16, testPatients: 6, size: 64, seed: 5, distribution: 'balanced' });
    const planFile = path.join(root, 'plan.json');
    await fsp.writeFile(
      planFile,
      JSON.stringify({
        study: 'plan-study',
        name: 'Cluster plan',
        datasets: [{ type: 'eyepacs', path: path.join(data, 'eyepacs'), id: 'demo', settings: { inputSize: 32, overlaySize: 32 } }],
        grid: { ...GRID, strategies: ['IWNE-FS'], fractions: [1], base: { ...GRID.base, epochs: 1 } },
        evaluate: [{ datasetId: 'demo', split: 'test' }],
        report: { out: 'report.pdf' },
      }),
    );
    const sub = await json<Submission>(['study', planFile, '--executor', 'slurm', '--no-time-check']);
    slurmJobs.push(...sub.jobs.map((j) => j.jobId!));
    expect(sub.kind).toBe('study');
    expect(sub.jobs.map((j) => [j.role, j.dependency?.split(':')[0] ?? null])).toEqual([
      ['prepare', null],
      ['train', 'afterok'],
      ['finish', 'afterany'],
    ]);
    const study = path.join(root, 'plan-study');
    const finish = await waitFor(
      'the finish job',
      async () => {
        const r = await taskRecord(study, sub.id, 'finish-0');
        return r?.endedAt ? r : null;
      },
      600_000,
    );
    expect(finish.state, finish.message ?? '').toBe('done');
    expect((await taskRecord(study, sub.id, 'prepare-0'))!.state).toBe('done');
    const evaluations = await fsp.readdir(path.join(study, 'evaluations'));
    expect(evaluations).toEqual([`${sub.cells[0]!.runId}__demo__test`]);
    expect(existsSync(path.join(study, 'report.pdf'))).toBe(true);
  });
});
