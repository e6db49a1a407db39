/**
 * A short speed measurement of one model configuration on the active backend, for the study
 * wizard's duration estimate (job kind engine.benchmark; src-shared/estimate.ts turns the figures
 * into a duration). It times the same building blocks a study is made of:
 *  - forward: eval-mode forward pass, logits read back (validation, evaluation, analyses);
 *  - train: forward in train mode + softmax cross-entropy + gradients + AdamW update (as a run);
 *  - augmentation: the fsTrain preset on a batch, and MoCo v2 aug+ on both views of a batch, by the
 *    typed-array code training runs in its augmentation worker (augment/cpu.ts), here on this thread.
 * Each after one untimed warm-up (kernel compilation), median of `steps` timed repetitions, per image.
 * On wasm it first measures the memory of a training step and reports the largest batch that fits in
 * the 4 GB heap, on webgpu the largest that fits the adapter's binding limit and memory (at least the
 * run's batch when that fits: the device is asked only for what the run needs; engine/memory-guard.ts).
 * The training step runs at the run's batch, at most 8 and at most what fits: per-image cost still
 * falls up to batch ~8 (a step re-packs every weight for XNNPACK, a cost per step, not per image).
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs';
import type { QuickBenchParams, QuickBenchResult } from '../../src-shared/engine';
import { FS_TRAIN_AUGMENT, MOCO_AUG_PLUS } from '../../src-shared/training';
import { throwIfCancelled, type JobContext } from '../job-context';
import { crossEntropy } from './loss';
import { applyAugParams } from './augment/cpu';
import { sampleAugParams } from './augment/pipeline';
import { StreamRng } from '../random/streams';
import { engineStatus } from './backend';
import { medianOf } from './bench';
import { maxTrainingBatch } from './memory-guard';
import { ResNet } from './models/resnet';
import { parseArch } from './models/resnet-spec';
import { AdamW, namedGradients } from './optim/adamw';

const MAX_FORWARD_BATCH = 8;
const MAX_TRAIN_BATCH = 8;

export async function runQuickBench(params: QuickBenchParams, ctx: JobContext): Promise<QuickBenchResult> {
  const started = performance.now();
  const config = parseArch(params.arch, 5);
  const size = params.inputSize;
  const fwdBatch = Math.min(params.batchSize, MAX_FORWARD_BATCH);
  const reps = params.steps;
  const phases = 4;
  let phase = 0;
  const say = (message: string) => ctx.progress(phase, phases, message);

  /** Median ms of `fn` over `reps` timed calls after one warm-up; cancellable between calls. */
  const time = async (fn: () => Promise<void>): Promise<number> => {
    await fn();
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      throwIfCancelled(ctx);
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    phase += 1;
    return medianOf(ms);
  };

  const model = ResNet.create(config, { seed: 1 });
  // On wasm and webgpu, the largest training batch that fits (the run itself refuses a larger one).
  let maxTrainBatch: number | null = null;
  if (tf.getBackend() === 'wasm' || tf.getBackend() === 'webgpu') {
    say('memory of a training step');
    maxTrainBatch = await maxTrainingBatch(model, { inputSize: size, batchSize: params.batchSize, optimizerSlots: 2 });
  }
  const trainBatch = Math.max(1, Math.min(params.batchSize, MAX_TRAIN_BATCH, maxTrainBatch ?? MAX_TRAIN_BATCH));
  const vars = model.trainableVariables();
  const optimizer = new AdamW(vars, { lr: 1e-4 });
  const xFwd = tf.randomUniform([fwdBatch, size, size, 3], -1, 1, 'float32', 1) as Tensor4D;
  const xTrain = tf.randomUniform([trainBatch, size, size, 3], -1, 1, 'float32', 2) as Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: trainBatch }, (_, i) => i % config.classes),
    'int32',
  );
  const rawRng = new StreamRng(3);
  const raw = { data: Float32Array.from({ length: fwdBatch * size * size * 3 }, () => rawRng.next()), n: fwdBatch, h: size, w: size, c: 3 };
  const indices = Array.from({ length: fwdBatch }, (_, i) => i);
  const augment = (settings: typeof FS_TRAIN_AUGMENT, epoch: number, view: number) =>
    applyAugParams(
      raw,
      indices.map((i) => sampleAugParams(settings, StreamRng.forImage(1, epoch, i, view), size, size, size)),
      size,
    );
  let epoch = 0;
  try {
    say(`forward pass, ${params.arch} at ${size} px`);
    const forwardMs = await time(async () => {
      const logits = model.forward(xFwd);
      await logits.data();
      logits.dispose();
    });
    throwIfCancelled(ctx);
    say(`training step, ${params.arch} at ${size} px`);
    const trainMs = await time(async () => {
      const loss = tf.tidy(() => {
        const { value, grads } = namedGradients(
          vars,
          () => crossEntropy(model.forward(xTrain, { training: true }), labels, null) as Scalar,
        );
        optimizer.step(grads);
        return value;
      });
      await loss.data();
      loss.dispose();
    });
    throwIfCancelled(ctx);
    say('supervised augmentation');
    const augFsMs = await time(async () => {
      augment(FS_TRAIN_AUGMENT, epoch++, 0);
    });
    throwIfCancelled(ctx);
    say('MoCo v2 augmentation (two views)');
    const augClMs = await time(async () => {
      for (const view of [0, 1]) augment(MOCO_AUG_PLUS, epoch++, view);
    });
    ctx.progress(phases, phases, 'measured');
    const status = engineStatus();
    const result: QuickBenchResult = {
      backend: status?.active ?? 'cpu',
      threads: status?.threads ?? 1,
      arch: params.arch,
      inputSize: size,
      batchSize: params.batchSize,
      forwardMsPerImage: forwardMs / fwdBatch,
      trainMsPerImage: trainMs / trainBatch,
      augmentFsMsPerImage: augFsMs / fwdBatch,
      augmentClMsPerImage: augClMs / fwdBatch,
      maxTrainBatch,
      seconds: (performance.now() - started) / 1000,
      measuredAt: new Date().toISOString(),
    };
    ctx.log(
      `${result.backend} (${result.threads} thread${result.threads === 1 ? '' : 's'}): forward ${result.forwardMsPerImage.toFixed(1)} ms/img (batch ${fwdBatch}), training step ${result.trainMsPerImage.toFixed(1)} ms/img (batch ${trainBatch}), augmentation FS ${result.augmentFsMsPerImage.toFixed(1)} / CL ${result.augmentClMsPerImage.toFixed(1)} ms/img`,
    );
    return result;
  } finally {
    tf.dispose([xFwd, xTrain, labels]);
    optimizer.dispose();
    model.dispose();
  }
}
