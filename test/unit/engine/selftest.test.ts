import tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SelfTestParams, SelfTestResult } from '../../../src-shared/engine';
import { AppError } from '../../../src-shared/errors';
import { initEngine, resetEngineForTests } from '../../../src-main/engine/backend';
import { gradientRelDiff, runSelfTest } from '../../../src-main/engine/selftest';
import { detachedContext, type JobContext } from '../../../src-main/job-context';

const SMALL = SelfTestParams.parse({ size: 16, batch: 4, steps: 4 });

function recordingContext(): { ctx: JobContext; calls: [number, number, string][] } {
  const calls: [number, number, string][] = [];
  return { ctx: detachedContext((done, total, message) => calls.push([done, total, message])), calls };
}

describe('runSelfTest', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`passes on ${backend}: the loss falls, gradients match, nothing leaks`, async () => {
      await initEngine({ preference: backend, env: {} });
      const before = tf.memory().numTensors;
      const { ctx, calls } = recordingContext();
      const result = SelfTestResult.parse(await runSelfTest(SMALL, ctx));

      expect(result.checks.filter((c) => !c.passed)).toEqual([]);
      expect(result.passed).toBe(true);
      expect(result).toMatchObject({ backend, size: 16, batch: 4, steps: 4 });
      expect(result.lossLast).toBeLessThan(result.lossFirst);
      expect(result.lossFirst).toBeGreaterThan(0);
      expect(result.forwardMsPerBatch).toBeGreaterThan(0);
      expect(result.trainImagesPerSecond).toBeCloseTo((4 * 1000) / result.trainMsPerBatch, 6);
      if (backend === 'cpu') expect(result.gradientMaxRelDiffVsCpu).toBeNull();
      else expect(result.gradientMaxRelDiffVsCpu).toBeLessThan(1e-4);
      expect(result.checks.map((c) => c.name)).toEqual([
        'loss is finite',
        'forward pass is deterministic',
        'loss falls when training',
        'gradients match the CPU reference',
        'no tensors leaked',
      ]);

      expect(tf.memory().numTensors).toBe(before);
      expect(tf.getBackend()).toBe(backend); // restored after the CPU reference
      // One progress report per unit: reference, warm-up, 4 forward, 4 training steps.
      expect(calls.at(-1)).toEqual([10, 10, 'training step 4/4']);
      expect(calls.map((c) => c[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });
  }

  it('is deterministic: the same figures twice (losses and gradient difference)', async () => {
    await initEngine({ preference: 'wasm', env: {} });
    const a = await runSelfTest(SMALL, detachedContext());
    const b = await runSelfTest(SMALL, detachedContext());
    expect(b.lossFirst).toBe(a.lossFirst);
    expect(b.lossLast).toBe(a.lossLast);
    expect(b.gradientMaxRelDiffVsCpu).toBe(a.gradientMaxRelDiffVsCpu);
  });

  it('stops with CANCELLED when the job is cancelled, leaking nothing and keeping the backend', async () => {
    await initEngine({ preference: 'wasm', env: {} });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const ctx: JobContext = {
      progress: (done) => {
        if (done === 4) controller.abort(); // during the timed forward passes
      },
      log: () => {},
      signal: controller.signal,
    };
    const error = await runSelfTest(SMALL, ctx).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CANCELLED');
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('runSelfTest outside the happy path', () => {
  it('refuses to run before the engine is initialised', async () => {
    resetEngineForTests();
    await expect(runSelfTest(SMALL, detachedContext())).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'Self-test: the engine is not initialised (call initEngine first)',
    });
  });

  it('runs on the engine backend even if tfjs was switched, and switches back afterwards', async () => {
    await initEngine({ preference: 'wasm', env: {} });
    await tf.setBackend('cpu');
    const result = await runSelfTest(SMALL, detachedContext());
    expect(result.backend).toBe('wasm');
    expect(result.gradientMaxRelDiffVsCpu).not.toBeNull();
    expect(tf.getBackend()).toBe('cpu');
    await tf.setBackend('wasm');
  });
});

describe('gradientRelDiff', () => {
  it('is the largest per-tensor max|a-b| / max|b|', () => {
    const zeros = () => ({
      conv1: new Float32Array(2),
      conv2: new Float32Array(2),
      bnGamma: new Float32Array(1),
      bnBeta: new Float32Array(1),
      dense: new Float32Array(1),
      denseBias: new Float32Array(1),
    });
    const ref = { ...zeros(), conv1: Float32Array.from([2, -4]) };
    const act = { ...zeros(), conv1: Float32Array.from([2, -4.4]) };
    expect(gradientRelDiff(act, ref)).toBeCloseTo(0.1, 6);
    expect(gradientRelDiff({ ...act, dense: Float32Array.from([Number.NaN]) }, ref)).toBe(Number.POSITIVE_INFINITY);
  });
});
