/**
 * The WebAssembly backend addresses at most 4 GiB, and a training step keeps every activation the
 * backward pass needs: a ResNet50 step at 224 px takes ~0.34 GB per image (batch 8 fits, 9 does
 * not), so the batches a GPU takes do not fit. Running out of that memory aborts the wasm module — and inside a thread of the
 * multi-threaded build it hangs the process instead of failing. So before a run trains on wasm, the
 * memory of one step is measured on throwaway steps at batch 1 and 2 (tf.profile's peak tensor
 * bytes: a fixed part — gradients, temporaries — and a part per image), extrapolated to the run's
 * batch, and a batch that would not fit is refused up front with the largest one that does.
 * Native backends (tfjs-node, tfjs-node-gpu) have no such limit and are not checked.
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../src-shared/errors';
import type { ResNet } from './models/resnet';

export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Share of the wasm heap a training step may plan to use (the rest: fragmentation, the data pipeline, the module itself). */
export const WASM_TRAINING_SHARE = 0.8;

export interface StepMemory {
  /** Tensor bytes allocated before the step (weights, optimizer state so far, caches). */
  resident: number;
  /** Bytes of a step that do not grow with the batch (gradients of the weights, temporaries). */
  fixed: number;
  /** Bytes a step needs per image of the batch. */
  perImage: number;
  /** resident + optimizer state to come + fixed + perImage · batch. */
  estimate(batch: number): number;
}

/**
 * Peak tensor bytes of one throwaway training step (forward in train mode without updating the BatchNorm statistics, gradients of every
 * trainable variable) at `batch`.
 */
async function stepPeak(model: ResNet, inputSize: number, batch: number): Promise<number> {
  const vars = [...model.trainableVariables().values()];
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => {
    const x = tf.zeros([batch, inputSize, inputSize, 3]) as Tensor4D;
    const { value, grads } = tf.variableGrads(
      () => tf.sum(model.forward(x, { training: true, updateRunningStats: false })) as Scalar,
      vars,
    );
    tf.dispose([x, value, ...Object.values(grads)]);
  });
  return info.peakBytes - before;
}

/**
 * The per-image and fixed parts depend only on the backend, the architecture and the input size: measured once
 * per process (a study job trains many runs of one configuration; a ResNet50 measurement at 224 px
 * takes a few seconds on wasm).
 */
const measured = new Map<string, { fixed: number; perImage: number }>();

/**
 * Measures a training step's memory. `optimizerSlots` is the number of weight-sized tensors the
 * optimizer will keep per variable (AdamW 2, SGD with momentum 1).
 */
export async function measureStepMemory(model: ResNet, inputSize: number, optimizerSlots = 2): Promise<StepMemory> {
  const resident = tf.memory().numBytes;
  const weights = [...model.trainableVariables().values()].reduce((n, v) => n + v.size * 4, 0);
  const key = `${tf.getBackend()}|${model.describe()}|${inputSize}`;
  let parts = measured.get(key);
  if (!parts) {
    const one = await stepPeak(model, inputSize, 1);
    const two = await stepPeak(model, inputSize, 2);
    const perImage = Math.max(two - one, 0);
    parts = { fixed: Math.max(one - perImage, 0), perImage };
    measured.set(key, parts);
  }
  const { fixed, perImage } = parts;
  return { resident, fixed, perImage, estimate: (batch) => resident + optimizerSlots * weights + fixed + perImage * batch };
}

/** The largest batch whose step fits in `budget` bytes (0 when not even one image does). */
export function maxBatchThatFits(memory: StepMemory, budget: number = WASM_HEAP_BYTES * WASM_TRAINING_SHARE): number {
  return Math.max(0, Math.floor((budget - memory.estimate(0)) / Math.max(memory.perImage, 1)));
}

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

/**
 * On the wasm backend, refuses a batch whose training step would not fit in the wasm heap, naming
 * the field (`batchSize`, `moco.batchSize`) and the largest batch that fits. Returns the measurement
 * (null on other backends).
 */
export async function assertTrainingFitsWasm(
  model: ResNet,
  opts: { inputSize: number; batchSize: number; field: string; optimizerSlots?: number; budgetBytes?: number; what?: string },
): Promise<StepMemory | null> {
  if (tf.getBackend() !== 'wasm') return null;
  const memory = await measureStepMemory(model, opts.inputSize, opts.optimizerSlots ?? 2);
  const budget = opts.budgetBytes ?? WASM_HEAP_BYTES * WASM_TRAINING_SHARE;
  const need = memory.estimate(opts.batchSize);
  if (need > budget) {
    const fits = maxBatchThatFits(memory, budget);
    const what = opts.what ?? `${model.describe()} at ${opts.inputSize} px`;
    throw new AppError(
      'BAD_REQUEST',
      `${opts.field} = ${opts.batchSize} needs about ${gb(need)} for one training step of ${what} on the WebAssembly backend, which can use ${gb(budget)} of its 4 GB: ` +
        (fits > 0
          ? `use ${opts.field} ≤ ${fits}, a smaller input size, or a native backend (tensorflow-gpu on an NVIDIA GPU).`
          : `even one image does not fit; use a smaller input size or architecture, or a native backend (tensorflow-gpu on an NVIDIA GPU).`),
      [
        {
          path: opts.field,
          message: fits > 0 ? `at most ${fits} on the wasm backend at this size` : 'does not fit on the wasm backend at this size',
        },
      ],
    );
  }
  return memory;
}
