/**
 * A training step's memory, checked before a run trains on a backend whose memory has a hard end.
 *
 * wasm: the WebAssembly backend addresses at most 4 GiB, and a training step keeps every activation the
 * backward pass needs: a ResNet50 step at 224 px takes ~0.34 GB per image (batch 8 fits, 9 does
 * not), so the batches a GPU takes do not fit. Running out of that memory aborts the wasm module — and inside a thread of the
 * multi-threaded build it hangs the process instead of failing. So before a run trains on wasm, the
 * memory of one step is measured on throwaway steps at batch 1 and 2 (tf.profile's peak tensor
 * bytes: a fixed part — gradients, temporaries — and a part per image), extrapolated to the run's
 * batch, and a batch that would not fit is refused up front with the largest one that does.
 *
 * webgpu: two limits, and tfjs's WebGPU backend reports neither when it hits it (a GPU error does not
 * throw; the step computes garbage or the device is lost). (a) A kernel binds each tensor it reads or
 * writes as one storage buffer of at most the device's maxStorageBufferBindingSize (128 MiB on many
 * adapters): the same throwaway steps give every tensor's size at batch 1 and 2 (tf.profile's kernel
 * input and output shapes), hence the largest batch whose largest tensor still binds. (b) The step must
 * fit in the GPU's memory, which WebGPU does not report: the device is asked, by allocating buffers up
 * to what the batch needs (with the same safety share as wasm) inside an out-of-memory error scope and
 * releasing them at once; when an allocation fails, what could be allocated is the budget. It never
 * allocates more than the run needs. A software adapter (Mesa's llvmpipe …) computes in the computer's
 * memory, where an allocation too large is not refused but gets the process killed: there the
 * allocations also stop at a share of the free memory the system reports.
 * Native backends (tfjs-node, tfjs-node-gpu) have no such limit and are not checked.
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs';
import os from 'node:os';
import type { WebGpuAdapter } from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import { adapterLabel, webgpuDevice } from './backend/webgpu';
import type { ResNet } from './models/resnet';

export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Share of the wasm heap a training step may plan to use (the rest: fragmentation, the data pipeline, the module itself). */
export const WASM_TRAINING_SHARE = 0.8;
/** Share of the GPU memory found a training step may plan to use (the rest: tfjs's buffer pool, uniforms, staging, other apps). */
export const GPU_TRAINING_SHARE = 0.8;

/** A tensor's bytes in a training step as a function of the batch: fixed + perImage · batch. */
export interface TensorLine {
  fixed: number;
  perImage: number;
}

export interface StepMemory {
  /** Tensor bytes allocated before the step (weights, optimizer state so far, caches). */
  resident: number;
  /** Bytes of a step that do not grow with the batch (gradients of the weights, temporaries). */
  fixed: number;
  /** Bytes a step needs per image of the batch. */
  perImage: number;
  /** resident + optimizer state to come + fixed + perImage · batch. */
  estimate(batch: number): number;
  /** Every tensor size a step has (one line per distinct growth per image, the largest fixed part of each). */
  tensors: readonly TensorLine[];
  /** Bytes of the largest single tensor of a step at `batch` (what one kernel binds as one buffer). */
  largestTensor(batch: number): number;
}

/** Bytes of a tensor of `shape` (4 per element: float32 and int32; bool takes as much on webgpu). */
const shapeBytes = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1) * 4;

/**
 * One throwaway training step (forward in train mode without updating the BatchNorm statistics, gradients of every
 * trainable variable) at `batch`: its peak tensor bytes, and the bytes of every tensor its kernels read or write, in
 * execution order, with the kernel names (to pair the tensors of two batches).
 */
async function stepPeak(model: ResNet, inputSize: number, batch: number): Promise<{ peak: number; sizes: number[]; kernels: string }> {
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
  const sizes = info.kernels.flatMap((k) => [...(k.inputShapes ?? []), ...k.outputShapes].map((s) => shapeBytes(s ?? [])));
  return { peak: info.peakBytes - before, sizes, kernels: info.kernels.map((k) => k.name).join(',') };
}

/**
 * Tensor lines from the tensors of the same step at batch 1 and 2, paired in execution order (the kernels of a step
 * do not depend on the batch); should they differ, one line from the largest tensor of each. Reduced to the largest
 * fixed part per growth.
 */
export function tensorLines(one: { sizes: number[]; kernels: string }, two: { sizes: number[]; kernels: string }): TensorLine[] {
  const paired = one.kernels === two.kernels && one.sizes.length === two.sizes.length;
  const pairs: [number, number][] = paired
    ? one.sizes.map((s, i) => [s, two.sizes[i]!])
    : [[Math.max(0, ...one.sizes), Math.max(0, ...two.sizes)]];
  const byGrowth = new Map<number, number>();
  for (const [a, b] of pairs) {
    const perImage = Math.max(b - a, 0);
    const fixed = a - perImage;
    byGrowth.set(perImage, Math.max(byGrowth.get(perImage) ?? -Infinity, fixed));
  }
  return [...byGrowth.entries()].map(([perImage, fixed]) => ({ fixed, perImage })).sort((x, y) => x.perImage - y.perImage);
}

/**
 * The per-image and fixed parts depend only on the backend, the architecture and the input size: measured once
 * per process (a study job trains many runs of one configuration; a ResNet50 measurement at 224 px
 * takes a few seconds on wasm).
 */
const measured = new Map<string, { fixed: number; perImage: number; tensors: TensorLine[] }>();

/**
 * Measures a training step's memory. `optimizerSlots` is the number of weight-sized tensors the
 * optimizer will keep per variable (AdamW 2, SGD with momentum 1).
 */
export async function measureStepMemory(model: ResNet, inputSize: number, optimizerSlots = 2): Promise<StepMemory> {
  const resident = tf.memory().numBytes;
  const variables = [...model.trainableVariables().values()];
  const weights = variables.reduce((n, v) => n + v.size * 4, 0);
  const key = `${tf.getBackend()}|${model.describe()}|${inputSize}`;
  let parts = measured.get(key);
  if (!parts) {
    const one = await stepPeak(model, inputSize, 1);
    const two = await stepPeak(model, inputSize, 2);
    const perImage = Math.max(two.peak - one.peak, 0);
    parts = { fixed: Math.max(one.peak - perImage, 0), perImage, tensors: tensorLines(one, two) };
    measured.set(key, parts);
  }
  const { fixed, perImage } = parts;
  // The weights (and the optimizer's weight-sized state) are bound by kernels too.
  const tensors = [...parts.tensors, { fixed: Math.max(0, ...variables.map((v) => v.size * 4)), perImage: 0 }];
  return {
    resident,
    fixed,
    perImage,
    estimate: (batch) => resident + optimizerSlots * weights + fixed + perImage * batch,
    tensors,
    largestTensor: (batch) => Math.max(0, ...tensors.map((t) => t.fixed + t.perImage * batch)),
  };
}

/** The largest batch whose step fits in `budget` bytes (0 when not even one image does). */
export function maxBatchThatFits(memory: StepMemory, budget: number = WASM_HEAP_BYTES * WASM_TRAINING_SHARE): number {
  return Math.max(0, Math.floor((budget - memory.estimate(0)) / Math.max(memory.perImage, 1)));
}

/** The largest batch whose every tensor is at most `limit` bytes (0 when not even one image does); Infinity when none grows. */
export function maxBatchUnderBinding(memory: Pick<StepMemory, 'tensors'>, limit: number): number {
  let max = Infinity;
  for (const t of memory.tensors) {
    if (t.perImage <= 0) {
      if (t.fixed > limit) return 0;
    } else {
      max = Math.min(max, Math.floor((limit - t.fixed) / t.perImage));
    }
  }
  return Math.max(0, max);
}

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
/** Sizes of single buffers: MB below a GB. */
const bufferSize = (bytes: number) => (bytes >= 1024 ** 3 ? gb(bytes) : `${Math.round(bytes / 1024 ** 2)} MB`);

/** What the memory guard needs of a WebGPU device: error scopes and buffers (a GPUDevice, or a fake in tests). */
export interface GpuProbeDevice {
  pushErrorScope(filter: 'out-of-memory' | 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  createBuffer(descriptor: { size: number; usage: number }): { destroy(): void };
}

/** The device to check against and the adapter it is on (webgpuDevice() gives the active one). */
export interface GpuTarget {
  device: GpuProbeDevice;
  adapter: Pick<WebGpuAdapter, 'vendor' | 'device' | 'description' | 'api' | 'featureLevel' | 'software' | 'limits'>;
}

/** WebGPU's GPUBufferUsage.STORAGE: the usage of tensors' buffers. */
const STORAGE_USAGE = 0x80;

/**
 * Allocates up to `bytes` on `device` in buffers of at most `chunk` bytes, each inside an out-of-memory (and a
 * validation) error scope, stops at the first one the device refuses, and destroys them all. Returns the bytes it
 * could allocate.
 */
export async function probeGpuMemory(device: GpuProbeDevice, bytes: number, chunk: number): Promise<number> {
  const size = Math.max(4, Math.floor(chunk / 4) * 4);
  const buffers: { destroy(): void }[] = [];
  let allocated = 0;
  try {
    while (allocated < bytes) {
      const want = Math.min(size, Math.ceil((bytes - allocated) / 4) * 4);
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      const buffer = device.createBuffer({ size: want, usage: STORAGE_USAGE });
      buffers.push(buffer);
      const invalid = await device.popErrorScope();
      const outOfMemory = await device.popErrorScope();
      if (invalid || outOfMemory) break;
      allocated += want;
    }
  } finally {
    for (const b of buffers) b.destroy();
  }
  return allocated;
}

/** How a training batch fits on a WebGPU device. */
export interface GpuFit {
  batch: number;
  /** Bytes of the step at `batch` (estimate) and of its largest tensor. */
  need: number;
  largestTensor: number;
  /** The binding limit checked (maxStorageBufferBindingSize unless overridden). */
  bindingLimit: number;
  /** The largest batch whose every tensor binds (Infinity when no tensor grows with the batch). */
  maxBatchByBinding: number;
  /** Tensor bytes already on the device plus what it could still allocate (probed up to what the batch needs). */
  budget: number;
  /** The free memory of the computer that capped the probe (software adapter), else null. */
  hostFree: number | null;
  /** The largest batch known to fit both limits; at least `batch` when it fits (the probe stops at what `batch` needs). */
  maxBatch: number;
  /** Why `batch` does not fit, or null when it does. */
  reason: 'binding' | 'memory' | null;
}

/**
 * Checks a batch against a WebGPU device: the largest tensor against the binding limit, then the memory of the step
 * (at the requested batch, or at the largest batch that binds when that is smaller) by allocating on the device.
 */
export async function gpuTrainingFit(
  memory: StepMemory,
  batch: number,
  gpu: GpuTarget,
  opts: { bindingLimitBytes?: number; freeHostBytes?: () => number } = {},
): Promise<GpuFit> {
  const bindingLimit = opts.bindingLimitBytes ?? gpu.adapter.limits.maxStorageBufferBindingSize;
  const maxBatchByBinding = maxBatchUnderBinding(memory, bindingLimit);
  const candidate = Math.min(batch, maxBatchByBinding);
  const base = { batch, need: memory.estimate(batch), largestTensor: memory.largestTensor(batch), bindingLimit, maxBatchByBinding };
  if (candidate < 1) return { ...base, budget: 0, hostFree: null, maxBatch: 0, reason: 'binding' };
  // Already on the device: the tensors resident before the step. To add: what the step needs with its safety share.
  // (Buffer sizes are multiples of 4 bytes.)
  const want = Math.max(0, Math.ceil((memory.estimate(candidate) / GPU_TRAINING_SHARE - memory.resident) / 4) * 4);
  const hostFree = gpu.adapter.software ? (opts.freeHostBytes ?? os.freemem)() : null;
  const cap = hostFree === null ? want : Math.min(want, Math.floor((hostFree * GPU_TRAINING_SHARE) / 4) * 4);
  const chunk = Math.min(gpu.adapter.limits.maxBufferSize, gpu.adapter.limits.maxStorageBufferBindingSize);
  const allocated = await probeGpuMemory(gpu.device, cap, chunk);
  const budget = memory.resident + allocated;
  const memoryFits = allocated >= want;
  const byMemory = maxBatchThatFits(memory, budget * GPU_TRAINING_SHARE);
  const maxBatch = Math.min(maxBatchByBinding, memoryFits ? Math.max(candidate, byMemory) : Math.min(byMemory, candidate - 1));
  const reason = batch > maxBatchByBinding ? 'binding' : memoryFits ? null : 'memory';
  return { ...base, budget, hostFree, maxBatch, reason };
}

/**
 * tfjs's WebGPU backend keeps the buffer of every disposed tensor for reuse by a tensor of the same size, and never
 * frees it: the throwaway steps of the measurement would keep holding GPU memory that the run's batch cannot reuse.
 * Destroys the buffers it holds unused (no tensor owns them, no unsubmitted command uses them: tfjs returns a buffer
 * to its pool only after the commands using it were submitted). No-op on other backends.
 */
export function releaseIdleGpuBuffers(): void {
  if (tf.getBackend() !== 'webgpu') return;
  const manager = (tf.backend() as unknown as { bufferManager?: IdleBuffers }).bufferManager;
  if (!manager || !(manager.freeBuffers instanceof Map)) return;
  for (const buffers of manager.freeBuffers.values()) {
    for (const buffer of buffers.splice(0)) {
      manager.numBytesAllocated -= buffer.size;
      manager.numFreeBuffers -= 1;
      buffer.destroy();
    }
  }
}
interface IdleBuffers {
  freeBuffers: Map<string, { size: number; destroy(): void }[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/**
 * The largest training batch that fits on the active backend, or null where there is no such limit. On webgpu the
 * device is asked only up to what `batchSize` needs, so the answer is at least `batchSize` when that fits.
 */
export async function maxTrainingBatch(
  model: ResNet,
  opts: { inputSize: number; batchSize: number; optimizerSlots?: number; gpu?: GpuTarget },
): Promise<number | null> {
  const backend = tf.getBackend();
  if (backend === 'wasm') return maxBatchThatFits(await measureStepMemory(model, opts.inputSize, opts.optimizerSlots ?? 2));
  if (backend !== 'webgpu') return null;
  const gpu = opts.gpu ?? webgpuDevice();
  if (!gpu) return null;
  const memory = await measureStepMemory(model, opts.inputSize, opts.optimizerSlots ?? 2);
  releaseIdleGpuBuffers();
  const fit = await gpuTrainingFit(memory, opts.batchSize, gpu);
  return Number.isFinite(fit.maxBatch) ? fit.maxBatch : opts.batchSize;
}

export interface TrainingFitOptions {
  inputSize: number;
  batchSize: number;
  /** The settings field of the batch, named in the error (`batchSize`, `moco.batchSize`). */
  field: string;
  optimizerSlots?: number;
  /** wasm: the bytes a step may use (default 80 % of 4 GB). */
  budgetBytes?: number;
  /** webgpu: the binding limit to check (default the device's maxStorageBufferBindingSize). */
  bindingLimitBytes?: number;
  /** webgpu: the device (default the active one). */
  gpu?: GpuTarget;
  /** What trains, for the error (default "<architecture> at <size> px"). */
  what?: string;
}

/**
 * Refuses a batch whose training step would not fit: on wasm in its 4 GB heap, on webgpu in the binding limit or the
 * memory of the device. The error names the field (`batchSize`, `moco.batchSize`), the batch, the limit and the
 * largest batch that fits. Returns the measurement (null on backends without such limits).
 */
export async function assertTrainingFits(model: ResNet, opts: TrainingFitOptions): Promise<StepMemory | null> {
  const backend = tf.getBackend();
  if (backend === 'webgpu') return assertTrainingFitsWebgpu(model, opts);
  if (backend !== 'wasm') return null;
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

async function assertTrainingFitsWebgpu(model: ResNet, opts: TrainingFitOptions): Promise<StepMemory | null> {
  const gpu = opts.gpu ?? webgpuDevice();
  if (!gpu) return null;
  const memory = await measureStepMemory(model, opts.inputSize, opts.optimizerSlots ?? 2);
  releaseIdleGpuBuffers();
  const fit = await gpuTrainingFit(memory, opts.batchSize, gpu, { bindingLimitBytes: opts.bindingLimitBytes });
  if (fit.reason) throw gpuFitError(fit, gpu, opts.field, opts.what ?? `${model.describe()} at ${opts.inputSize} px`);
  return memory;
}

/** The error for a batch that does not fit on a WebGPU device (`fit.reason` set). */
export function gpuFitError(fit: GpuFit, gpu: GpuTarget, field: string, what: string): AppError {
  const adapter = `${adapterLabel(gpu.adapter)}${gpu.adapter.software ? ', a software adapter' : ''}`;
  const why =
    fit.reason === 'binding'
      ? `${field} = ${fit.batch} makes a tensor of ${bufferSize(fit.largestTensor)} in one training step of ${what} on the WebGPU backend, larger than the ${bufferSize(fit.bindingLimit)} one GPU kernel can bind on ${adapter} (maxStorageBufferBindingSize): `
      : `${field} = ${fit.batch} needs about ${gb(fit.need)} for one training step of ${what} on the WebGPU backend, but only about ${gb(fit.budget)} of memory is available on ${adapter}` +
        (fit.hostFree !== null ? ` (it computes in this computer's memory, ${gb(fit.hostFree)} free)` : '') +
        `, of which a step may plan to use ${gb(fit.budget * GPU_TRAINING_SHARE)}: `;
  const fits = fit.maxBatch;
  return new AppError(
    'BAD_REQUEST',
    why +
      (fits > 0
        ? `use ${field} ≤ ${fits} or a smaller input size.`
        : `even one image does not fit; use a smaller input size or architecture, or another backend (wasm).`),
    [
      {
        path: field,
        message:
          fits > 0
            ? `at most ${fits} on the webgpu backend at this size (${adapterLabel(gpu.adapter)})`
            : `does not fit on the webgpu backend at this size (${adapterLabel(gpu.adapter)})`,
      },
    ],
  );
}
