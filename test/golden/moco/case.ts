/**
 * The MoCo v2 golden case, shared by the input exporter (export-inputs.ts, run by make_fixtures.py)
 * and the test (moco.test.ts): its settings, its images, FundusLab's seeded MoCo modules and the
 * views and learning rate of every step, built exactly as a pretraining epoch builds them (the
 * epoch's seeded shuffle, batches of the shuffled order, two aug+ views per image seeded by
 * (seed, epoch, image, view), normalised; the learning rate of the epoch from the schedule).
 */
import tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import { normalize } from '../../../src-main/engine/augment/ops';
import { applyAugParams } from '../../../src-main/engine/augment/cpu';
import { sampleAugParams } from '../../../src-main/engine/augment/pipeline';
import { learningRateAt } from '../../../src-main/engine/optim/schedule';
import { mulberry32 } from '../../../src-main/random/prng';
import { hashSeeds, StreamRng } from '../../../src-main/random/streams';
import { shuffle } from '../../../src-main/services/datasets/splits';
import { toBatches } from '../../../src-main/services/training/data';
import { createMoco, initialiseKeyEncoder, type Moco } from '../../../src-main/services/training/moco-update';
import { TrainingSpec } from '../../../src-shared/training';

/** The case: resnet18-w4 at 64 px, 40 noise images, batch 8 (5 steps per epoch), 4 epochs, queue K = 32. */
export const CASE = {
  arch: 'resnet18-w4',
  inputSize: 64,
  images: 40,
  seed: 7,
  epochs: 4,
  batchSize: 8,
  queueSize: 32,
  dim: 16,
  momentum: 0.99,
  temperature: 0.2,
  lr: 0.02,
  sgdMomentum: 0.9,
  weightDecay: 1e-4,
  /** Steps after which the whole state is compared. */
  snapshots: [1, 5, 20],
} as const;

/** The case as a FundusLab spec: MoCo v2 with SGD, cosine learning rate over the epochs, aug+ views. */
export function caseSpec(): TrainingSpec {
  return TrainingSpec.parse({
    strategy: 'IWNE-CL',
    arch: CASE.arch,
    inputSize: CASE.inputSize,
    seed: CASE.seed,
    moco: {
      epochs: CASE.epochs,
      batchSize: CASE.batchSize,
      queueSize: CASE.queueSize,
      dim: CASE.dim,
      momentum: CASE.momentum,
      temperature: CASE.temperature,
      optimizer: 'sgd',
      lr: CASE.lr,
      sgdMomentum: CASE.sgdMomentum,
      weightDecay: CASE.weightDecay,
      schedule: { kind: 'cosine', etaMin: 0 },
    },
  });
}

/**
 * The images: seeded 8-bit RGB noise ([images, S, S, 3] in [0, 1]) and their per-channel mean/std.
 * Noise, not fundus photographs: 20 float32 steps of this tiny ResNet on fundus-like images (black
 * border, low-contrast channels) leave every float32 run, PyTorch's included, 1e-2 to 1 away from
 * float64 after 5 steps (a pre-ReLU value within rounding of 0 changes side, and BatchNorm-bias
 * gradients, small sums of large terms, jump); on these views float32 runs stay within ~1e-5 of
 * float64 through step 5 (make_fixtures.py measures it), so the comparison can be tight.
 */
export function caseImages(): { pixels: Float32Array; mean: number[]; std: number[] } {
  const per = CASE.inputSize * CASE.inputSize * 3;
  const pixels = new Float32Array(CASE.images * per);
  for (let i = 0; i < CASE.images; i++) {
    const rand = mulberry32(1000 + i);
    for (let k = 0; k < per; k++) pixels[i * per + k] = Math.floor(rand() * 256) / 255;
  }
  const mean = [0, 0, 0];
  const sq = [0, 0, 0];
  for (let k = 0; k < pixels.length; k++) {
    mean[k % 3]! += pixels[k]!;
    sq[k % 3]! += pixels[k]! * pixels[k]!;
  }
  const n = pixels.length / 3;
  const m = mean.map((s) => s / n);
  return { pixels, mean: m, std: sq.map((s, c) => Math.sqrt(s / n - m[c]! ** 2)) };
}

/** FundusLab's MoCo modules of the case, the key encoder initialised from the query encoder as a pretraining starts. */
export function caseMoco(): Moco {
  const moco = createMoco(caseSpec(), CASE.queueSize);
  initialiseKeyEncoder(moco);
  return moco;
}

export interface CaseStep {
  /** 1-based step number. */
  step: number;
  epoch: number;
  lr: number;
  indices: number[];
  /** Query and key views, normalised [batch, S, S, 3] (the caller disposes them). */
  xq: Tensor4D;
  xk: Tensor4D;
}

/** The steps of the case in order, with their views and learning rates. */
export function* caseSteps(images = caseImages()): Generator<CaseStep> {
  const spec = caseSpec();
  const m = spec.moco;
  const S = CASE.inputSize;
  const per = S * S * 3;
  const items = Array.from({ length: CASE.images }, (_, index) => index);
  let step = 0;
  for (let epoch = 1; epoch <= m.epochs; epoch++) {
    const lr = learningRateAt(m.lr, m.schedule, epoch - 1, { totalSteps: m.epochs });
    const order = shuffle(items, mulberry32(hashSeeds(spec.seed, epoch, 0x6d6f636f)));
    for (const indices of toBatches(order, m.batchSize, true)) {
      step++;
      const [xq, xk] = tf.tidy(() => {
        const batch = new Float32Array(indices.length * per);
        indices.forEach((index, j) => batch.set(images.pixels.subarray(index * per, (index + 1) * per), j * per));
        // As the augmentation workers do (engine/augment/augment-pool.ts): per-image parameters, then cpu.ts.
        const x = { data: batch, n: indices.length, h: S, w: S, c: 3 };
        const view = (v: number) => {
          const params = indices.map((i) => sampleAugParams(m.augmentation, StreamRng.forImage(spec.seed, epoch, i, v), S, S, S));
          return normalize(tf.tensor4d(applyAugParams(x, params, S).data, [indices.length, S, S, 3]), images.mean, images.std);
        };
        return [view(0), view(1)];
      });
      yield { step, epoch, lr, indices, xq, xk };
    }
  }
}
