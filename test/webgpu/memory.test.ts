/**
 * The training memory check on the real WebGPU device (here Mesa's llvmpipe software adapter): a tiny ResNet's
 * largest tensor per batch, predicted from throwaway steps at batch 1 and 2, equals the largest tensor of a real
 * batch-4 step (oracle: tf.profile of that step) and its memory estimate is within 10 % of that step's peak; a batch
 * whose largest tensor exceeds an artificially small binding limit is refused naming batchSize and the largest batch
 * that fits, which itself passes (after asking the device for its memory); nothing leaks (tensors, tfjs's buffers,
 * the probe's buffers) and no weight changes.
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adapterLabel, webgpuDevice } from '../../src-main/engine/backend/webgpu';
import { assertTrainingFits, maxBatchUnderBinding, measureStepMemory, releaseIdleGpuBuffers } from '../../src-main/engine/memory-guard';
import { ResNet } from '../../src-main/engine/models/resnet';
import { parseArch } from '../../src-main/engine/models/resnet-spec';
import { webgpuEngine } from '../support/webgpu';
import { QuickBenchParams, QuickBenchResult } from '../../src-shared/engine';
import { runQuickBench } from '../../src-main/engine/quick-bench';
import { detachedContext } from '../../src-main/job-context';

const status = await webgpuEngine();

interface Buffers {
  numUsedBuffers: number;
  numFreeBuffers: number;
  numBytesAllocated: number;
}
const buffers = () => (tf.backend() as unknown as { bufferManager: Buffers }).bufferManager;

describe.skipIf(!status)('webgpu training memory check', () => {
  it('predicts the largest tensor and the peak of a batch-4 step, refuses a batch over the binding limit and passes the largest that fits', async () => {
    const model = ResNet.create(parseArch('resnet18-w4', 5), { seed: 1 });
    const vars = [...model.trainableVariables().values()];
    const weightsBefore = await Promise.all(vars.map((v) => v.data()));
    const tensors = tf.memory().numTensors;
    const memory = await measureStepMemory(model, 32, 0);
    expect(memory.perImage).toBeGreaterThan(0);

    // Oracle: a real step at batch 4.
    const info = await tf.profile(() => {
      const x = tf.randomNormal([4, 32, 32, 3]) as Tensor4D;
      const { value, grads } = tf.variableGrads(
        () => tf.sum(model.forward(x, { training: true, updateRunningStats: false })) as Scalar,
        vars,
      );
      tf.dispose([x, value, ...Object.values(grads)]);
    });
    const largest = Math.max(
      ...info.kernels.flatMap((k) => [...k.inputShapes, ...k.outputShapes].map((s) => s.reduce((n, d) => n * d, 4))),
    );
    expect(memory.largestTensor(4)).toBe(largest);
    expect(Math.abs(memory.estimate(4) - info.peakBytes) / info.peakBytes).toBeLessThan(0.1); // the whole engine's peak, like the estimate

    // A binding limit that holds batch 4's largest tensor but not batch 5's.
    const bindingLimitBytes = memory.largestTensor(4);
    expect(memory.largestTensor(5)).toBeGreaterThan(bindingLimitBytes);
    expect(maxBatchUnderBinding(memory, bindingLimitBytes)).toBe(4);
    const label = adapterLabel(webgpuDevice()!.adapter);
    const err = await assertTrainingFits(model, { inputSize: 32, batchSize: 8, field: 'batchSize', bindingLimitBytes }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'batchSize', message: `at most 4 on the webgpu backend at this size (${label})` }],
    });
    expect((err as Error).message).toMatch(
      /^batchSize = 8 makes a tensor of .* in one training step of ResNet18 .* at 32 px on the WebGPU backend/,
    );
    expect((err as Error).message).toContain(`one GPU kernel can bind on ${label}`);
    expect((err as Error).message).toMatch(/\(maxStorageBufferBindingSize\): use batchSize ≤ 4 or a smaller input size\.$/);
    await expect(assertTrainingFits(model, { inputSize: 32, batchSize: 4, field: 'batchSize', bindingLimitBytes })).resolves.not.toBeNull();

    // Nothing leaks, the weights are untouched, the measurement's idle GPU buffers are released.
    expect(tf.memory().numTensors).toBe(tensors);
    const weightsAfter = await Promise.all(vars.map((v) => v.data()));
    weightsAfter.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weightsBefore[i]!)));
    releaseIdleGpuBuffers();
    expect(buffers().numFreeBuffers).toBe(0);
    const used = buffers().numUsedBuffers;
    await assertTrainingFits(model, { inputSize: 32, batchSize: 4, field: 'batchSize' });
    expect(buffers().numUsedBuffers).toBe(used);
    expect(buffers().numFreeBuffers).toBe(0);
    model.dispose();
  }, 60_000);

  it("the study wizard's speed measurement reports the largest training batch on webgpu (at least the batch, which fits)", async () => {
    const before = tf.memory().numTensors;
    const result = QuickBenchResult.parse(
      await runQuickBench(QuickBenchParams.parse({ arch: 'resnet18-w4', inputSize: 32, batchSize: 4, steps: 1 }), detachedContext()),
    );
    expect(result).toMatchObject({ backend: 'webgpu', batchSize: 4 });
    expect(result.maxTrainBatch).toBeGreaterThanOrEqual(4);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
