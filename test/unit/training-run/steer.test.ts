/**
 * Steering a run (services/runs/steer.ts, `funduslab runs stop|extend`):
 *
 * - "finish after this epoch": a request made while epoch 1 of 4 trains ends the run after epoch 1
 *   (outcome, metrics.json, best model, log lines, request removed); oracle: the uninterrupted 4-epoch
 *   run, whose first epoch it repeats exactly (same losses, AUC and lr, bit for bit). A request made
 *   during the last epoch changes nothing and is removed.
 * - "extend to N": a constant-schedule run of 2 epochs extended to 4 equals an uninterrupted 4-epoch
 *   run bit for bit (per-epoch losses, validation AUCs, lrs, SHA-256 of the best model) and is marked
 *   equivalent; a cosine run extended from 2 to 4 is marked not equivalent and its lrs are the
 *   documented rule, checked against a naive cos() (relative 1e-12); the spec history, and which
 *   specs find the extended run (runFolderFor).
 * - across processes: a run trained by another process (hold-driver.ts) is stopped by a request made here.
 * - the app: runs.get says who trains the run, runs.stopAfterEpoch (the "Finish after this epoch" button,
 *   through the renderer's view model runSteering) stops it, runs.extend records an extension.
 * - bad input: unknown run, N ≤ epochs done, a run being trained, a run without a checkpoint, a stop for
 *   a run nothing trains or that finished — clear errors naming the run, nothing changed.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ComposedApp } from '../../../src-main/host/compose';
import { runSteering } from '../../../src-renderer/features/training/run-curves.viewmodel';
import type { RunDetail } from '../../../src-shared/grid';
import { callChannel, testApp } from '../../support/app';
import { bundleDriver } from '../../support/bundle-driver';
import { REPO_ROOT, tempDir } from '../../support/files';
import { runRunsCommand } from '../../../src-main/cli/commands/runs';
import { initEngine } from '../../../src-main/engine/backend';
import { runFolderFor } from '../../../src-main/services/runs/identity';
import { extendRun, requestStop } from '../../../src-main/services/runs/steer';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { RunBusyError } from '../../../src-main/services/study-folder/lock';
import { runTraining } from '../../../src-main/services/training';
import { openRunFolder } from '../../../src-main/services/training/run-setup';
import { TrainingEpochLog, TrainingResult, TrainingSpec, type TrainingSpecInput } from '../../../src-shared/training';
import { captureOutput } from '../../support/cli';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy } from '../../support/studies';

const LR_TOL = 1e-12;
const base = (over: Partial<TrainingSpecInput> = {}) => demoSpec({ inputSize: 32, batchSize: 8, ...over });

let study: string;
/** The uninterrupted 4-epoch constant-schedule run: the oracle of the stopped and the extended runs. */
let straight: { result: TrainingResult; log: TrainingEpochLog[] };
/** The 2-epoch constant-schedule run (its default id), later extended to 4. */
let const2: string;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy({ patients: 16, size: 64 });
  const result = await runTraining(base({ epochs: 4 }), study, recordingContext(), { runId: 'straight' });
  straight = { result, log: await readLog('straight') };
}, 600_000);
afterEach(() => vi.restoreAllMocks());

const files = (runId: string) => studyLayout(study).run(runId);

async function readLog(runId: string): Promise<TrainingEpochLog[]> {
  const text = (await fsp.readFile(files(runId).log, 'utf8')).trim();
  return text ? text.split('\n').map((l) => TrainingEpochLog.parse(JSON.parse(l))) : [];
}
async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fsp.readFile(file))
    .digest('hex');
}
async function readSpec(runId: string): Promise<TrainingSpec> {
  return TrainingSpec.parse(JSON.parse(await fsp.readFile(files(runId).spec, 'utf8')));
}
/** The numbers of an epoch that must match bit for bit (not the times). */
const numbers = (l: TrainingEpochLog) => ({
  epoch: l.epoch,
  trainLoss: l.trainLoss,
  valLoss: l.valLoss,
  valAuc: l.valAuc,
  lr: l.lr,
  best: l.best,
});

describe('finish after this epoch', () => {
  it('a request made during epoch 1 of 4 ends the run after epoch 1, as the uninterrupted run had it then', async () => {
    const ctx = recordingContext();
    const answers: Awaited<ReturnType<typeof requestStop>>[] = [];
    const result = await runTraining(base({ epochs: 4 }), study, ctx, {
      runId: 'stopped',
      lockedBy: 'funduslab grid',
      onEpoch: async (e) => {
        if (e.epoch === 1) answers.push(await requestStop(study, 'stopped', 'a test'));
      },
    });
    // The request is written after epoch 1's log line: the loop reads it before epoch 2.
    expect(answers).toHaveLength(1);
    expect(answers[0]!.trainer).toMatch(/^funduslab grid \(pid \d+ on host /);
    expect(result.finalEpoch).toBe(1);
    expect(result.stoppedEarly).toBe(false);
    expect(result.stoppedByRequest).toMatchObject({ afterEpoch: 1, of: 4, requestedBy: 'a test' });
    const stored = TrainingResult.parse(JSON.parse(await fsp.readFile(files('stopped').metrics, 'utf8')));
    expect(stored.stoppedByRequest?.afterEpoch).toBe(1);
    expect(existsSync(files('stopped').bestModel)).toBe(true);
    expect(existsSync(files('stopped').stopRequest)).toBe(false);
    expect(ctx.messages.some((m) => m.startsWith('Finishing after epoch 1 of 4 at the request of a test'))).toBe(true);
    expect((await readLog('stopped')).map(numbers)).toEqual(straight.log.slice(0, 1).map(numbers));
    // A finished run takes no request.
    await expect(requestStop(study, 'stopped', 'a test')).rejects.toThrow(/Run stopped already finished/);
  }, 300_000);

  it('a request made during the last epoch changes nothing and is removed; a run nothing trains takes no request', async () => {
    const ctx = recordingContext();
    // Under the id its settings get (runFolderFor), so that which settings find it after the extension can be checked.
    const2 = (await runFolderFor(study, TrainingSpec.parse(base({ epochs: 2 })))).runId;
    const result = await runTraining(base({ epochs: 2 }), study, ctx, {
      onEpoch: async (e) => {
        if (e.epoch === 2) await requestStop(study, const2, 'a test');
      },
    });
    expect(result.runId).toBe(const2);
    expect(result.finalEpoch).toBe(2);
    expect(result.stoppedByRequest).toBeNull();
    expect(existsSync(files(const2).stopRequest)).toBe(false);
    expect(ctx.messages).toContain('A stop request arrived during the last epoch; the run finished anyway, request removed.');
    expect((await readLog(const2)).map(numbers)).toEqual(straight.log.slice(0, 2).map(numbers));

    // Not trained by anyone: refused, naming the run, and nothing written.
    await openRunFolder(TrainingSpec.parse(base({ epochs: 3, seed: 9 })), study, 'idle');
    captureOutput();
    await expect(runRunsCommand(['stop', '--study', study, '--run', 'idle', '--after-epoch'])).rejects.toThrow(
      /Run idle is not being trained \(no process holds .*\.lock\): there is nothing to stop\. It stands at epoch 0 of 3\./,
    );
    expect(existsSync(files('idle').stopRequest)).toBe(false);
    await expect(runRunsCommand(['stop', '--study', study, '--run', 'idle'])).rejects.toThrow(/--after-epoch/);
  }, 300_000);
});

describe('extend to N epochs', () => {
  it('a constant-schedule run of 2 epochs extended to 4 equals the uninterrupted 4-epoch run bit for bit', async () => {
    const before = TrainingResult.parse(JSON.parse(await fsp.readFile(files(const2).metrics, 'utf8')));
    const out = captureOutput();
    expect(await runRunsCommand(['extend', '--study', study, '--run', const2, '--epochs', '4'])).toBe(0);
    expect(out.err()).toContain(`Run ${const2} extended from 2 to 4 epochs (equivalent to an uninterrupted 4-epoch run).`);
    vi.restoreAllMocks();

    const spec = await readSpec(const2);
    expect(spec.epochs).toBe(4);
    expect(spec.extensions).toEqual([{ from: 2, previousEpochs: 2, to: 4, at: expect.any(String) as string, equivalent: true }]);
    // The result before the extension is kept beside the new one.
    expect(JSON.parse(await fsp.readFile(files(const2).metricsBeforeExtension(2), 'utf8'))).toEqual(before);
    const result = TrainingResult.parse(JSON.parse(await fsp.readFile(files(const2).metrics, 'utf8')));
    expect(result.finalEpoch).toBe(4);
    expect(result.resumedFromEpoch).toBe(2);
    expect((await readLog(const2)).map(numbers)).toEqual(straight.log.map(numbers));
    expect(result.bestEpoch).toBe(straight.result.bestEpoch);
    expect(result.bestValAuc).toBe(straight.result.bestValAuc);
    expect(await sha256(files(const2).bestModel)).toBe(await sha256(files('straight').bestModel));

    // The unextended settings no longer find it (a grid cell of 2 epochs trains afresh); the 4-epoch settings do, as it is that run.
    expect((await runFolderFor(study, TrainingSpec.parse(base({ epochs: 2 })))).runId).not.toBe(const2);
    expect(await runFolderFor(study, TrainingSpec.parse(base({ epochs: 4 })))).toMatchObject({ runId: const2, existing: true });

    // runs show / list say how each run ended and what extended it.
    const shown = captureOutput();
    expect(await runRunsCommand(['show', '--study', study, '--run', const2])).toBe(0);
    expect(await runRunsCommand(['list', '--study', study])).toBe(0);
    expect(shown.out()).toContain(
      `${const2}: finished 4 of 4 epochs; extended from 2 to 4 epochs (equivalent to an uninterrupted 4-epoch run)\n`,
    );
    expect(shown.out()).toContain("stopped  stopped after epoch 1 of 4 at the user's request\n");
  }, 300_000);

  it('a cosine run extended from 2 to 4 is not equivalent; epochs 3-4 follow the cosine over 4 epochs', async () => {
    const lr = 2e-3;
    await runTraining(base({ epochs: 2, seed: 5, schedule: { kind: 'cosine' } }), study, recordingContext(), { runId: 'cos' });
    const answer = await extendRun(study, 'cos', 4, 'a test', new Date('2026-01-02T03:04:05Z'));
    expect(answer.extension).toEqual({ from: 2, previousEpochs: 2, to: 4, at: '2026-01-02T03:04:05.000Z', equivalent: false });
    const result = await runTraining(await readSpec('cos'), study, recordingContext(), { runId: 'cos' });
    expect(result.finalEpoch).toBe(4);
    const lrs = (await readLog('cos')).map((l) => l.lr);
    // Naive: epochs 1-2 as planned (cosine over 2), then the cosine over the new total 4 from epoch 3 on.
    const naive = [1, 2, 3, 4].map((e) => (lr * (1 + Math.cos((Math.PI * (e - 1)) / (e <= 2 ? 2 : 4)))) / 2);
    lrs.forEach((v, i) => expect(Math.abs(v - naive[i]!) / naive[i]!).toBeLessThanOrEqual(LR_TOL));
    // An uninterrupted cosine over 4 epochs runs epoch 2 at lr·(1 + cos(π/4))/2: not what this run did.
    expect(Math.abs(lrs[1]! - (lr * (1 + Math.cos(Math.PI / 4))) / 2)).toBeGreaterThan(1e-4);
    // No spec finds it but its own: not the 2-epoch cosine, not the 4-epoch one.
    for (const epochs of [2, 4])
      expect((await runFolderFor(study, TrainingSpec.parse(base({ epochs, seed: 5, schedule: { kind: 'cosine' } })))).runId).not.toBe(
        'cos',
      );
    // Training it with the unextended spec is refused, naming the run's own spec.
    await expect(
      runTraining(base({ epochs: 2, seed: 5, schedule: { kind: 'cosine' } }), study, recordingContext(), { runId: 'cos' }),
    ).rejects.toThrow(/Run "cos" was extended to 4 epochs .*train it with its own spec/);
  }, 300_000);

  it('refuses an unknown run, too few epochs, a run being trained and a run without a checkpoint, changing nothing', async () => {
    await expect(extendRun(study, 'nope', 5, 'a test')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('Run "nope"'),
    });
    const spec = await fsp.readFile(files(const2).spec, 'utf8');
    await expect(extendRun(study, const2, 4, 'a test')).rejects.toThrow(
      `Run ${const2} has 4 epochs done: --epochs must be more than 4, got 4.`,
    );
    await expect(extendRun(study, const2, 0, 'a test')).rejects.toThrow(/positive whole number/);
    expect(await fsp.readFile(files(const2).spec, 'utf8')).toBe(spec);
    // The idle run (opened, never trained) has no checkpoint.
    await expect(extendRun(study, 'idle', 5, 'a test')).rejects.toThrow(/Run idle has no checkpoint/);
    // A run being trained: the extension waits for nobody, it is refused naming the trainer.
    let busy: unknown = null;
    await runTraining(base({ epochs: 1, seed: 7 }), study, recordingContext(), {
      runId: 'busy',
      lockedBy: 'funduslab train',
      onEpoch: async () => {
        busy = await extendRun(study, 'busy', 3, 'a test').catch((e: unknown) => e);
      },
    });
    expect(busy).toBeInstanceOf(RunBusyError);
    expect((busy as Error).message).toMatch(/The run busy is being trained by funduslab train/);
    expect((await readSpec('busy')).epochs).toBe(1);
  }, 300_000);
});

describe('the app: runs.get, runs.stopAfterEpoch and runs.extend through the dispatcher, and the view model of the buttons', () => {
  let app: ComposedApp;
  beforeAll(async () => {
    app = testApp({ dataDir: await tempDir('steer-app'), preferredBackend: 'cpu' });
  });
  afterAll(async () => app?.shutdown());

  it('"Finish after this epoch" shows while the run trains and stops it; "Extend" shows once it has ended', async () => {
    const seen: RunDetail[] = [];
    const result = await runTraining(base({ epochs: 3, seed: 11 }), study, recordingContext(), {
      runId: 'app-run',
      lockedBy: 'funduslab train',
      onEpoch: async (e) => {
        if (e.epoch !== 1) return;
        const detail = (await callChannel(app, 'runs.get', { studyPath: study, runId: 'app-run' })) as RunDetail;
        seen.push(detail);
        const model = runSteering(detail);
        expect(model.stop).toMatchObject({ shown: true, enabled: true, label: 'Finish after this epoch' });
        expect(model.stop.hint).toMatch(/^Trained by funduslab train \(pid \d+ on host .*epoch 2 of 3/);
        expect(model.extend.shown).toBe(false);
        await callChannel(app, 'runs.stopAfterEpoch', { studyPath: study, runId: 'app-run' });
        const asked = (await callChannel(app, 'runs.get', { studyPath: study, runId: 'app-run' })) as RunDetail;
        expect(asked.stopRequest?.requestedBy).toMatch(/^the FundusLab app \(pid /);
        expect(runSteering(asked).stop).toMatchObject({ shown: true, enabled: false, label: 'Finishing after this epoch' });
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.trainer).toMatch(/^funduslab train \(pid /);
    expect(result.stoppedByRequest).toMatchObject({
      afterEpoch: 1,
      of: 3,
      requestedBy: expect.stringMatching(/^the FundusLab app/) as string,
    });

    const after = (await callChannel(app, 'runs.get', { studyPath: study, runId: 'app-run' })) as RunDetail;
    expect(after).toMatchObject({ trainer: null, stopRequest: null });
    const model = runSteering(after);
    expect(model.stop.shown).toBe(false);
    expect(model.extend).toMatchObject({ shown: true, enabled: true, min: 2, initial: 3 });
    await expect(callChannel(app, 'runs.stopAfterEpoch', { studyPath: study, runId: 'app-run' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('Run app-run already finished') as string,
    });
    await expect(callChannel(app, 'runs.extend', { studyPath: study, runId: 'app-run', epochs: 0 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    // A run outside the folders its settings train in (a --run-id of its own) is extended, and the answer says how to train it.
    const answer = (await callChannel(app, 'runs.extend', { studyPath: study, runId: 'app-run', epochs: 3 })) as {
      extension: { from: number; to: number; equivalent: boolean };
      job: unknown;
      note: string;
    };
    expect(answer.extension).toMatchObject({ from: 1, to: 3, equivalent: true });
    expect(answer.job).toBeNull();
    expect(answer.note).toContain(`funduslab train ${files('app-run').spec} --study ${study} --run-id app-run`);
    expect((await readSpec('app-run')).epochs).toBe(3);
  }, 300_000);
});

describe('across processes', () => {
  it('a request made here stops a run another process trains, after its current epoch', async () => {
    const driver = await bundleDriver(path.join(import.meta.dirname, 'hold-driver.ts'), 'steer-hold-driver');
    try {
      const hold = path.join(await tempDir('steer-hold'), 'release');
      const child = fork(driver.file, [study, 'other-process', JSON.stringify(base({ epochs: 3, seed: 13 })), hold], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      const lines: { epoch?: number; result?: TrainingResult }[] = [];
      let buffer = '';
      child.stdout!.on('data', (d: Buffer) => {
        buffer += d.toString();
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          lines.push(JSON.parse(buffer.slice(0, i)) as (typeof lines)[number]);
          buffer = buffer.slice(i + 1);
        }
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      // The other process has finished epoch 1 and waits: its lock is held, its pid alive.
      await expect.poll(() => lines.some((l) => l.epoch === 1), { timeout: 120_000 }).toBe(true);
      const answer = await requestStop(study, 'other-process', 'the test process');
      expect(answer.trainer).toMatch(new RegExp(`^hold-driver ${child.pid} \\(pid ${child.pid} on host `));
      expect(answer).toMatchObject({ epochsDone: 1, epochs: 3 });
      await fsp.writeFile(hold, '');
      expect(await exited).toBe(0);
      const result = lines.find((l) => l.result)!.result!;
      expect(result.finalEpoch).toBe(1);
      expect(result.stoppedByRequest).toMatchObject({ afterEpoch: 1, of: 3, requestedBy: 'the test process' });
      expect(lines.filter((l) => l.epoch !== undefined).map((l) => l.epoch)).toEqual([1]);
      expect(existsSync(files('other-process').stopRequest)).toBe(false);
    } finally {
      await driver.remove();
    }
  }, 300_000);
});
