/**
 * The wasm memory check of training runs: the per-image and fixed parts measured on throwaway steps
 * at batch 1 and 2 predict the peak of a real batch-4 step (oracle: tf.profile of that step), the
 * check changes no weight, and a batch over the budget is refused naming the field and the largest
 * batch that fits (which itself passes).
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { assertTrainingFits, measureStepMemory } from '../../../src-main/engine/memory-guard';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';

beforeAll(async () => {
  await initEngine({ preference: 'wasm', env: {} });
});

describe('wasm training memory check', () => {
  it('predicts the peak of a batch-4 training step within 10 % and changes nothing', async () => {
    const model = ResNet.create(parseArch('resnet18-w8', 5), { seed: 1 });
    const weightsBefore = [...model.trainableVariables().values()].map((v) => v.dataSync().slice());
    const tensors = tf.memory().numTensors;
    const memory = await measureStepMemory(model, 64, 0);
    expect(tf.memory().numTensors).toBe(tensors);
    [...model.trainableVariables().values()].forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(weightsBefore[i]!)));
    expect(memory.perImage).toBeGreaterThan(0);
    // The real thing: one step at batch 4 with random data.
    const vars = [...model.trainableVariables().values()];
    const info = await tf.profile(() => {
      const x = tf.randomNormal([4, 64, 64, 3]) as Tensor4D;
      const { value, grads } = tf.variableGrads(
        () => tf.sum(model.forward(x, { training: true, updateRunningStats: false })) as Scalar,
        vars,
      );
      tf.dispose([x, value, ...Object.values(grads)]);
    });
    const actual = info.peakBytes; // the whole engine's peak, like the estimate (resident + step)
    const predicted = memory.estimate(4);
    expect(Math.abs(predicted - actual) / actual).toBeLessThan(0.1);
    model.dispose();
  });

  it('refuses a batch over the budget, naming the field and the largest batch that fits', async () => {
    const model = ResNet.create(parseArch('resnet18-w8', 5), { seed: 1 });
    const memory = await measureStepMemory(model, 64);
    const budgetBytes = memory.estimate(0) + 3.5 * memory.perImage; // room for 3 images
    const err = await assertTrainingFits(model, { inputSize: 64, batchSize: 8, field: 'moco.batchSize', budgetBytes }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'moco.batchSize', message: 'at most 3 on the wasm backend at this size' }],
    });
    expect((err as Error).message).toMatch(
      /^moco.batchSize = 8 needs about .* GB for one training step of ResNet18 .* at 64 px on the WebAssembly backend.*use moco.batchSize ≤ 3/,
    );
    await expect(assertTrainingFits(model, { inputSize: 64, batchSize: 3, field: 'moco.batchSize', budgetBytes })).resolves.not.toBeNull();
    model.dispose();
  });
});
