/**
 * A real supervised (IWNE-FS) run on the demo dataset: the loss falls, the validation AUC clearly
 * beats chance, no tensor leaks between epochs, and the run folder holds what docs/design.md "The study folder" promises.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AugmentPool } from '../../../src-main/engine/augment/augment-pool';
import { initEngine } from '../../../src-main/engine/backend';
import { readSafetensors } from '../../../src-main/engine/weights/safetensors';
import { runTraining } from '../../../src-main/services/training';
import { TrainingEpochLog, TrainingResult, TrainingSpec } from '../../../src-shared/training';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy } from '../../support/studies';

let study: string;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy();
}, 120_000);

describe('runTraining on demo data', () => {
  it('learns: training loss falls, validation AUC > 0.7, no leaked tensors per epoch', async () => {
    const ctx = recordingContext();
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const created = vi.spyOn(AugmentPool, 'create');
    const terminated = vi.spyOn(AugmentPool.prototype, 'terminate');
    const augmented = vi.spyOn(AugmentPool.prototype, 'augment');
    const result = await runTraining(demoSpec(), study, ctx, { runId: 'learn', onEpoch: () => counts.push(tf.memory().numTensors) });
    // One pool of augmentation workers for the run, ended with it, nothing left in flight.
    expect(created).toHaveBeenCalledTimes(1);
    expect(terminated).toHaveBeenCalledTimes(1);
    expect(terminated.mock.contexts[0]).toBe(await created.mock.results[0]!.value);
    expect((await created.mock.results[0]!.value).inFlight).toBe(0);
    // Every training batch of every epoch was augmented there (one view, the spec's settings and seed), nothing else.
    const spec = TrainingSpec.parse(demoSpec());
    expect(augmented.mock.calls[0]![0]).toMatchObject({
      settings: spec.augmentation,
      seed: spec.seed,
      epoch: 1,
      views: [0],
      label: 'epoch 1, batch 1',
    });
    const epochs = augmented.mock.calls.map((c) => c[0].epoch);
    const perEpoch = epochs.filter((e) => e === 1).length;
    expect(perEpoch).toBeGreaterThan(1);
    expect(epochs).toEqual(Array.from({ length: spec.epochs * perEpoch }, (_, i) => 1 + Math.floor(i / perEpoch)));
    vi.restoreAllMocks();
    expect(TrainingResult.parse(result)).toEqual(result);
    const log = (await fsp.readFile(result.logPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => TrainingEpochLog.parse(JSON.parse(l)));
    console.log(
      log
        .map(
          (l) =>
            `epoch ${l.epoch} loss ${l.trainLoss.toFixed(3)} val ${l.valLoss.toFixed(3)} auc ${l.valAuc?.toFixed(3)} ${l.imagesPerSecond.toFixed(1)} img/s stall ${l.stallMs.toFixed(0)} ms`,
        )
        .join('\n'),
    );
    console.log(
      JSON.stringify({
        imagesPerSecond: result.imagesPerSecond,
        stallFraction: result.stallFraction,
        bestValAuc: result.bestValAuc,
        bestEpoch: result.bestEpoch,
        seconds: result.seconds,
      }),
    );
    expect(log.map((l) => l.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    const first = log[0]!.trainLoss;
    const lastTwo = (log[4]!.trainLoss + log[5]!.trainLoss) / 2;
    expect(lastTwo).toBeLessThan(first * 0.85);
    expect(result.bestValAuc).toBeGreaterThan(0.7);
    expect(result.bestEpoch).toBe(log.reduce((b, l) => ((l.valAuc ?? -1) > (b.valAuc ?? -1) ? l : b)).epoch);
    // Leak check: identical tensor count after every epoch, and back to the start after the run.
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    // Progress per batch, with the epoch/batch/loss message.
    expect(ctx.progress_.some((m) => /epoch 2\/6 · batch 2\/\d+ · loss \d/.test(m))).toBe(true);
    // Run folder contents.
    const dir = result.runDir;
    for (const f of [
      'spec.json',
      'normalisation.json',
      'log.ndjson',
      'metrics.json',
      'checkpoint/model.safetensors',
      'checkpoint/optimizer.safetensors',
      'checkpoint/state.json',
      'best/model.safetensors',
      'best/metrics.json',
    ]) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    const best = readSafetensors(new Uint8Array(await fsp.readFile(result.bestModelPath!)));
    expect(best.tensors.get('conv1.weight')!.shape).toEqual([8, 3, 7, 7]); // torch layout, torchvision names
    expect(best.tensors.get('fc.weight')!.shape).toEqual([64, 5].reverse());
    expect(best.tensors.get('layer1.0.bn1.num_batches_tracked')!.dtype).toBe('int64');
    const bestMetrics = JSON.parse(await fsp.readFile(result.bestMetricsPath!, 'utf8'));
    expect(bestMetrics).toMatchObject({ epoch: result.bestEpoch, valAuc: result.bestValAuc, selection: 'val-auc' });
    // IWNE: the training subset's own mean/std.
    expect(result.normalisation.source).toMatch(/training subset/);
    expect(result.normalisation.std.every((s) => s > 0.01)).toBe(true);
    // Running the same spec again finds the finished run.
    const again = await runTraining(demoSpec(), study, recordingContext(), { runId: 'learn' });
    expect(again).toMatchObject({ bestValAuc: result.bestValAuc, finalEpoch: 6, epochsRun: 0 });
  });
});
