/**
 * A run is trained by one process at a time (its folder's work lock): the same tiny spec started in
 * two processes at once is trained once, the second process is refused naming the first; runGrid
 * reports a cell whose run another process trains as busy and goes on with the others; `funduslab
 * grid` lists it after the grid and does not count it as failed; an IWNE-CL run whose MoCo
 * pretraining another process trains is refused naming the pretraining.
 */
import { fork } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeClusterLock } from '../../support/locks';
import { runGridCommand } from '../../../src-main/cli/commands/grid';
import { initEngine } from '../../../src-main/engine/backend';
import { studyLayout, workLockFile } from '../../../src-main/services/study-folder/layout';
import { RunBusyError, type LockHolder } from '../../../src-main/services/study-folder/lock';
import { gridView, saveGrid } from '../../../src-main/services/training/grid';
import { runGrid } from '../../../src-main/services/training/grid-run';
import { pretrainId } from '../../../src-main/services/training/pretrain';
import { runTraining } from '../../../src-main/services/training/run';
import { openRunFolder } from '../../../src-main/services/training/run-setup';
import { TrainingEpochLog, TrainingSpec, type TrainingResult } from '../../../src-shared/training';
import { bundleDriver } from '../../support/bundle-driver';
import { captureOutput } from '../../support/cli';
import { REPO_ROOT, tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy } from '../../support/studies';

let study: string;
let driver: Awaited<ReturnType<typeof bundleDriver>>;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy({ patients: 16, size: 64 });
  driver = await bundleDriver(path.join(import.meta.dirname, 'hold-driver.ts'), 'hold-driver');
}, 120_000);
afterAll(async () => driver?.remove());
afterEach(() => vi.restoreAllMocks());

type Line = { epoch?: number; result?: TrainingResult; busy?: string };

/** Starts the driver; `lines` grows as it prints, `done` settles when it exits (rejects on a non-zero exit). */
function startDriver(args: string[]): { lines: Line[]; done: Promise<void>; pid: number } {
  const child = fork(driver.file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const lines: Line[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      lines.push(JSON.parse(buffer.slice(0, i)) as Line);
      buffer = buffer.slice(i + 1);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`driver exited ${code}: ${stderr}`)))),
  );
  return { lines, done, pid: child.pid! };
}

/** The run folder of `spec` as a cluster task on another host leaves it while it trains: opened for the spec, its lock held. */
async function clusterLock(spec: unknown): Promise<{ dir: string; holder: LockHolder }> {
  const { files } = await openRunFolder(TrainingSpec.parse(spec), study, undefined);
  return { dir: files.dir, holder: await writeClusterLock(files.dir, '42_1') };
}

describe('one process trains a run at a time', () => {
  it('the same spec started in two processes at once is trained once; the second process is refused naming the first', async () => {
    const spec = demoSpec({ epochs: 2, inputSize: 32 });
    const hold = path.join(await tempDir('hold'), 'release');
    let winnerLines: Line[] = [];
    const args = [study, 'raced', JSON.stringify(spec), hold];
    const a = startDriver(args);
    const b = startDriver(args);
    try {
      // One of them trains its first epoch and waits; the other meets the held lock and is refused.
      const seen = () => [...a.lines, ...b.lines].filter((l) => l.busy || l.epoch === 1);
      await expect.poll(() => seen().length, { timeout: 90_000 }).toBeGreaterThanOrEqual(2);
      expect(seen().filter((l) => l.busy)).toHaveLength(1);
      const [winner, loser] = a.lines.some((l) => l.epoch === 1) ? [a, b] : [b, a];
      await loser.done;
      expect(loser.lines).toEqual([
        {
          busy: expect.stringMatching(
            new RegExp(
              `^The run raced is being trained by hold-driver ${winner.pid} \\(pid ${winner.pid} on host ${os.hostname()}, since .+\\)\\.$`,
            ),
          ),
        },
      ]);
      await fsp.writeFile(hold, '');
      await winner.done;
      winnerLines = winner.lines;
    } finally {
      await fsp.writeFile(hold, ''); // never leave a child waiting
    }
    const result = winnerLines.find((l) => l.result)!.result!;
    expect(result).toMatchObject({ epochsRun: 2, finalEpoch: 2, resumedFromEpoch: 0 });
    // Trained once: one log line per epoch, in order.
    const log = (await fsp.readFile(path.join(study, 'runs', 'raced', 'log.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => TrainingEpochLog.parse(JSON.parse(l)));
    expect(log.map((l) => l.epoch)).toEqual([1, 2]);
    expect(existsSync(workLockFile(path.join(study, 'runs', 'raced')))).toBe(false);
  }, 180_000);

  it('runGrid reports a cell another process trains as busy and trains the others; funduslab grid lists it, exit code 0', async () => {
    const { strategy: _s, seed: _seed, ...base } = demoSpec({ epochs: 1, inputSize: 32 });
    const view = await saveGrid(study, { strategies: ['IWNE-FS'], fractions: [0.5, 1], seeds: [5], base } as never);
    const [busyCell, freeCell] = view.cells;
    const { dir: busyDir, holder } = await clusterLock(busyCell!.spec);
    expect(path.basename(busyDir)).toBe(busyCell!.runId);
    const ctx = recordingContext();
    const outcomes = await runGrid(study, ctx);
    expect(outcomes.map((o) => [o.runId, o.status])).toEqual([
      [busyCell!.runId, 'busy'],
      [freeCell!.runId, 'succeeded'],
    ]);
    const message = `The run ${busyCell!.runId} is being trained by funduslab grid (Slurm job 42_1 on host node07, since ${new Date(holder.startedAt).toLocaleString()}).`;
    expect(outcomes[0]).toEqual({
      runId: busyCell!.runId,
      status: 'busy',
      result: null,
      error: { code: 'BUSY', message },
      heldBy: 'Slurm job 42_1 on host node07',
    });
    expect(ctx.messages).toContain(`Run ${busyCell!.runId} left alone: ${message}`);
    // Nothing of the busy run was trained here, and its holder's lock is untouched.
    for (const f of ['log.ndjson', 'metrics.json', 'checkpoint']) expect(existsSync(path.join(busyDir, f)), f).toBe(false);
    expect(JSON.parse(await fsp.readFile(workLockFile(busyDir), 'utf8'))).toEqual(holder);
    expect((await gridView(study)).cells.map((c) => c.status)).toEqual(['pending', 'done']);

    const io = captureOutput();
    const code = await runGridCommand(['--study', study]);
    expect(code).toBe(0);
    expect(io.out()).toContain(`Runs being trained elsewhere (left alone):\n  busy     ${busyCell!.runId} — ${message}\n`);
  }, 180_000);

  it('an IWNE-CL run whose MoCo pretraining another process trains is refused naming the pretraining; nothing is pretrained here', async () => {
    const spec = TrainingSpec.parse(
      demoSpec({
        strategy: 'IWNE-CL',
        epochs: 1,
        inputSize: 32,
        moco: { epochs: 1, batchSize: 16, queueSize: 64, dim: 16, mlpHidden: 16 },
      }),
    );
    const pretrainDir = studyLayout(study).pretrain(pretrainId(spec).id).dir;
    await fsp.mkdir(pretrainDir, { recursive: true });
    const holder = await writeClusterLock(pretrainDir, '42_0');
    const now = holder.startedAt;
    const error = await runTraining(spec, study, recordingContext(), { runId: 'cl-busy' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunBusyError);
    expect((error as RunBusyError).message).toBe(
      `The MoCo pretraining ${path.basename(pretrainDir)} is being trained by funduslab grid (Slurm job 42_0 on host node07, since ${new Date(now).toLocaleString()}).`,
    );
    expect(await fsp.readdir(pretrainDir)).toEqual(['.lock']);
    const runDir = path.join(study, 'runs', 'cl-busy');
    for (const f of ['.lock', 'checkpoint', 'log.ndjson', 'metrics.json']) expect(existsSync(path.join(runDir, f)), f).toBe(false);
  }, 120_000);
});
