/**
 * Durability of a training run: a run killed with SIGKILL mid-epoch resumes from its last
 * checkpoint and ends with the same numbers as an uninterrupted run (same seed, same backend:
 * tolerance 1e-6, identical in practice); a failing checkpoint write fails the run with a clear
 * message and leaves the previous checkpoint intact; cancellation keeps the last finished epoch.
 */
import { fork } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AugmentPool } from '../../../src-main/engine/augment/augment-pool';
import { initEngine } from '../../../src-main/engine/backend';
import { readSafetensors } from '../../../src-main/engine/weights/safetensors';
import { toFloat32 } from '../../../src-main/engine/weights/tensors';
import { fsyncWriter, type FileWriter } from '../../../src-main/services/training/checkpoint';
import { runTraining } from '../../../src-main/services/training';
import { TrainingEpochLog, type TrainingResult } from '../../../src-shared/training';
import { bundleDriver } from '../../support/bundle-driver';
import { REPO_ROOT } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy } from '../../support/studies';

const TOL = 1e-6;
const spec = demoSpec({ epochs: 3 });
let study: string;
let driver: Awaited<ReturnType<typeof bundleDriver>>;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy({ patients: 40 });
  driver = await bundleDriver(path.join(import.meta.dirname, 'driver.ts'), 'train-driver');
}, 120_000);
afterAll(async () => driver?.remove());

async function readLog(file: string): Promise<TrainingEpochLog[]> {
  const text = (await fsp.readFile(file, 'utf8')).trim();
  return text ? text.split('\n').map((l) => TrainingEpochLog.parse(JSON.parse(l))) : [];
}
async function checkpointEpoch(runDir: string): Promise<number> {
  return JSON.parse(await fsp.readFile(path.join(runDir, 'checkpoint', 'state.json'), 'utf8')).epoch;
}
function expectSameNumbers(a: TrainingEpochLog[], b: TrainingEpochLog[]): void {
  expect(a.map((l) => l.epoch)).toEqual(b.map((l) => l.epoch));
  a.forEach((l, i) => {
    const r = b[i]!;
    expect(Math.abs(l.trainLoss - r.trainLoss)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(l.valLoss - r.valLoss)).toBeLessThanOrEqual(TOL);
    expect(Math.abs((l.valAuc ?? -1) - (r.valAuc ?? -1))).toBeLessThanOrEqual(TOL);
    expect(l.lr).toBe(r.lr);
  });
}
async function maxWeightDiff(a: string, b: string): Promise<number> {
  const ta = readSafetensors(new Uint8Array(await fsp.readFile(a))).tensors;
  const tb = readSafetensors(new Uint8Array(await fsp.readFile(b))).tensors;
  let max = 0;
  for (const [name, t] of ta) {
    if (t.dtype === 'int64') {
      expect(Buffer.from(t.data).equals(Buffer.from(tb.get(name)!.data)), name).toBe(true);
      continue;
    }
    const x = toFloat32(t);
    const y = toFloat32(tb.get(name)!);
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  }
  return max;
}

describe('training run durability', () => {
  let reference: TrainingResult;
  let referenceLog: TrainingEpochLog[];

  beforeAll(async () => {
    reference = await runTraining(spec, study, recordingContext(), { runId: 'reference' });
    referenceLog = await readLog(reference.logPath);
  }, 120_000);

  it("a run killed with SIGKILL mid-epoch resumes from its checkpoint and ends with the uninterrupted run's numbers", async () => {
    const runDir = path.join(study, 'runs', 'killed');
    const child = fork(driver.file, [study, 'killed', JSON.stringify(spec)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let killedAt = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const msg = JSON.parse(line) as { progress?: { message: string } };
        if (!killedAt && msg.progress && /^epoch 2\/3 · batch 2\//.test(msg.progress.message)) {
          killedAt = msg.progress.message;
          child.kill('SIGKILL');
        }
      }
    });
    const how = await exit;
    expect(how, stderr).toBe('SIGKILL');
    expect(killedAt).toMatch(/^epoch 2\/3/);
    // Killed in epoch 2: the checkpoint of epoch 1 is there, the log holds epoch 1 only.
    expect(await checkpointEpoch(runDir)).toBe(1);
    expect((await readLog(path.join(runDir, 'log.ndjson'))).map((l) => l.epoch)).toEqual([1]);
    expect(existsSync(path.join(runDir, 'metrics.json'))).toBe(false);

    const ctx = recordingContext();
    const resumed = await runTraining(spec, study, ctx, { runId: 'killed' });
    expect(ctx.messages.some((m) => m.includes('Resuming run killed after epoch 1'))).toBe(true);
    expect(resumed).toMatchObject({ resumedFromEpoch: 1, epochsRun: 2, finalEpoch: 3, bestEpoch: reference.bestEpoch });
    expect(Math.abs(resumed.bestValAuc! - reference.bestValAuc!)).toBeLessThanOrEqual(TOL);
    expectSameNumbers(await readLog(resumed.logPath), referenceLog);
    expect(resumed.normalisation).toEqual(reference.normalisation);
    // Final checkpoint and best model: same weights, BN statistics and num_batches_tracked.
    const diff = await maxWeightDiff(
      path.join(runDir, 'checkpoint', 'model.safetensors'),
      path.join(reference.runDir, 'checkpoint', 'model.safetensors'),
    );
    console.log(`resumed vs uninterrupted: max |Δweight| ${diff}, val AUC ${resumed.bestValAuc} vs ${reference.bestValAuc}`);
    expect(diff).toBeLessThanOrEqual(TOL);
    expect(await maxWeightDiff(resumed.bestModelPath!, reference.bestModelPath!)).toBeLessThanOrEqual(TOL);
  });

  it('a failing checkpoint write fails the run clearly and keeps the previous checkpoint; the run then resumes', async () => {
    const runDir = path.join(study, 'runs', 'disk-full');
    const failing: FileWriter = async (file, data) => {
      if (file.endsWith('state.json') && String(data).includes('"epoch": 2'))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return fsyncWriter(file, data);
    };
    await expect(runTraining(spec, study, recordingContext(), { runId: 'disk-full', writeFile: failing })).rejects.toMatchObject({
      code: 'NOT_WRITABLE',
      message: expect.stringMatching(/Could not write the checkpoint of epoch 2 .*ENOSPC.*The checkpoint of the previous epoch is kept/),
    });
    expect(await checkpointEpoch(runDir)).toBe(1);
    expect((await fsp.readdir(runDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await readLog(path.join(runDir, 'log.ndjson'))).map((l) => l.epoch)).toEqual([1]);
    const resumed = await runTraining(spec, study, recordingContext(), { runId: 'disk-full' });
    expect(resumed).toMatchObject({ resumedFromEpoch: 1, finalEpoch: 3 });
    expectSameNumbers(await readLog(resumed.logPath), referenceLog);
  });

  it('cancellation between batches throws CANCELLED after a checkpoint of the batches done; the resumed run equals the uninterrupted one', async () => {
    const runDir = path.join(study, 'runs', 'cancelled');
    const ctx = recordingContext();
    const progress = ctx.progress;
    ctx.progress = (d, t, m) => {
      progress(d, t, m);
      if (/^epoch 2\/3 · batch 1\//.test(m)) ctx.controller.abort();
    };
    const terminated = vi.spyOn(AugmentPool.prototype, 'terminate');
    await expect(runTraining(spec, study, ctx, { runId: 'cancelled' })).rejects.toMatchObject({ code: 'CANCELLED' });
    // The cancelled run ended its augmentation workers, with nothing left in flight.
    expect(terminated).toHaveBeenCalledTimes(1);
    expect((terminated.mock.contexts[0] as AugmentPool).inFlight).toBe(0);
    vi.restoreAllMocks();
    expect(await checkpointEpoch(runDir)).toBe(1);
    const state = JSON.parse(await fsp.readFile(path.join(runDir, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.partial).toMatchObject({ epoch: 2, batches: 1 });
    const resumedCtx = recordingContext();
    const resumed = await runTraining(spec, study, resumedCtx, { runId: 'cancelled' });
    expect(resumedCtx.messages.some((m) => m.includes('Resuming run cancelled after epoch 1 and 1 training batch of epoch 2'))).toBe(true);
    expect(resumed.resumedFromEpoch).toBe(1);
    expectSameNumbers(await readLog(resumed.logPath), referenceLog);
    expect(
      await maxWeightDiff(
        path.join(runDir, 'checkpoint', 'model.safetensors'),
        path.join(reference.runDir, 'checkpoint', 'model.safetensors'),
      ),
    ).toBeLessThanOrEqual(TOL);
    expect(await maxWeightDiff(resumed.bestModelPath!, reference.bestModelPath!)).toBeLessThanOrEqual(TOL);
  });

  it('cancelled after the last training batch of an epoch, the run keeps that training and resumes with its validation', async () => {
    const runDir = path.join(study, 'runs', 'cancelled-validation');
    const ctx = recordingContext();
    const progress = ctx.progress;
    ctx.progress = (d, t, m) => {
      progress(d, t, m);
      const last = /^epoch 2\/3 · batch (\d+)\/(\d+)/.exec(m);
      if (last && last[1] === last[2]) ctx.controller.abort();
    };
    await expect(runTraining(spec, study, ctx, { runId: 'cancelled-validation' })).rejects.toMatchObject({ code: 'CANCELLED' });
    const state = JSON.parse(await fsp.readFile(path.join(runDir, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.epoch).toBe(1);
    expect(state.partial.epoch).toBe(2);
    expect(ctx.messages.some((m) => m.includes('Stopped in the validation of epoch 2'))).toBe(true);
    const resumed = await runTraining(spec, study, recordingContext(), { runId: 'cancelled-validation' });
    expectSameNumbers(await readLog(resumed.logPath), referenceLog);
    expect(await maxWeightDiff(resumed.bestModelPath!, reference.bestModelPath!)).toBeLessThanOrEqual(TOL);
  });

  it('refuses a different spec under an existing run id', async () => {
    await expect(runTraining({ ...spec, lr: 1e-2 }, study, recordingContext(), { runId: 'reference' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
