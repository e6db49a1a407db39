/**
 * Engine benchmark: a ResNet (default torchvision ResNet50 at 224x224, batch 8) on every requested
 * backend, timing
 *  - forward: eval-mode forward pass (BatchNorm folded, ReLU fused), logits read back;
 *  - train: one training step = forward in train mode (batch statistics, running stats updated) +
 *    softmax cross-entropy + gradients of every trainable variable + an AdamW update (optim/adamw.ts,
 *    torch.optim.AdamW semantics, the optimizer of a training run), loss read back.
 * Results are read back asynchronously (on webgpu a synchronous read cannot wait for the GPU in Node).
 * Each figure is per image (ms/img, images/s) with the min and median over the timed steps, after
 * untimed warm-up steps (the first call builds the XNNPACK operators and the folded filters).
 *
 * The JavaScript CPU backend is ~30x slower than wasm (~9.4 s per ResNet50 image forward on two
 * cores), so by default it is measured with a single forward at batch 1 and no warm-up
 * (`cpuBatch`, `cpuSteps`, `cpuTrain` raise that). Every other backend's figure gets its ratio
 * against the CPU figure of the same mode measured in the same run (cpu ms/img ÷ backend ms/img,
 * i.e. "x times faster than cpu"); without a CPU figure the ratio is null.
 *
 * webgpu is measured by default when a hardware adapter exists (the rule of automatic selection: a
 * software adapter such as Mesa's llvmpipe is slower than wasm); `backends: ['webgpu']` measures the
 * software adapter too. Its figures name the adapter.
 */
import tf from '@tensorflow/tfjs';
import type { Optimizer, Scalar, Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import os from 'node:os';
import type { BackendName, WebGpuAdapter } from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import { engineStatus, initEngine } from './backend';
import { adapterLabel } from './backend/webgpu';
import { ResNet } from './models/resnet';
import { archName, parseArch } from './models/resnet-spec';
import { maxTrainingBatch } from './memory-guard';
import { AdamW, namedGradients } from './optim/adamw';

export type BenchMode = 'forward' | 'train';

export interface BenchEngineOptions {
  /** Architecture (`resnet50`, `resnet18-w4` …); default resnet50. */
  arch?: string;
  /** Batch size for every backend except cpu; default 8. */
  batch?: number;
  /** Square input size; default 224. */
  size?: number;
  /**
   * Backends to measure, in order; default every backend that loads here, cpu included, and webgpu only on a
   * hardware adapter (webgpu named here measures a software adapter too).
   */
  backends?: BackendName[];
  /**
   * Batch of the training step on every backend except cpu; default `batch`, on wasm at most the
   * largest batch whose step fits in its 4 GB heap (engine/memory-guard.ts; ResNet50 at 224 px:
   * batch 8 fits), on webgpu at most what fits the adapter's binding limit and memory. Running out
   * of that memory would abort the wasm module.
   */
  trainBatch?: number;
  /** Timed steps per figure (after warm-up) on every backend except cpu; default 3. */
  steps?: number;
  /** Untimed warm-up steps per figure on every backend except cpu; default 1. */
  warmup?: number;
  /** Modes to measure; default both. */
  modes?: BenchMode[];
  /** Batch on the cpu backend; default 1. */
  cpuBatch?: number;
  /** Timed steps on the cpu backend (no warm-up); default 1. */
  cpuSteps?: number;
  /** Also time a training step on the cpu backend (slow: ~3x its forward); default false. */
  cpuTrain?: boolean;
  /** Called before each measurement (for progress output). */
  onProgress?: (message: string) => void;
}

export interface BenchEngineFigure {
  backend: BackendName;
  /** tfjs's name for it ('wasm', 'cpu', 'tensorflow'). */
  tfjsBackend: string;
  threads: number;
  mode: BenchMode;
  batch: number;
  warmupSteps: number;
  /** Wall time of each timed step, ms. */
  stepMs: number[];
  msPerImage: { min: number; median: number };
  /** From the median step. */
  imagesPerSecond: number;
  /** cpu ms/img ÷ this ms/img (medians), against the cpu figure of the same mode in this run; 1 for cpu itself. */
  speedupVsCpu: number | null;
  /** Final loss of the last step (train mode), a sanity check that the numbers are finite. */
  loss?: number;
  /** webgpu: the adapter measured. */
  adapter?: BenchAdapter;
}

/** The WebGPU adapter of a figure: its name, native interface and whether it is a software (CPU) implementation. */
export interface BenchAdapter {
  /** "NVIDIA GeForce RTX 4090 (Vulkan)", "llvmpipe-… (OpenGL ES, compatibility)". */
  label: string;
  vendor: string;
  device: string;
  description: string;
  api: WebGpuAdapter['api'];
  featureLevel: WebGpuAdapter['featureLevel'];
  software: boolean;
}

export interface BenchEngineReport {
  arch: string;
  size: number;
  classes: number;
  batch: number;
  trainBatch: number;
  steps: number;
  warmup: number;
  cpu: { batch: number; steps: number; train: boolean };
  machine: { cpus: number; loadAverage: [number, number, number]; platform: string; node: string };
  tfjsVersion: string;
  figures: BenchEngineFigure[];
  /** Backends that could not be measured, and why. */
  skipped: { backend: BackendName; reason: string }[];
  notes: string[];
}

const DEFAULT_BACKENDS: BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];
const SEED = 1234;

export async function benchEngine(opts: BenchEngineOptions = {}): Promise<BenchEngineReport> {
  const arch = opts.arch ?? 'resnet50';
  const config = parseArch(arch);
  const batch = positiveInt(opts.batch ?? 8, 'batch');
  const size = positiveInt(opts.size ?? 224, 'size');
  const steps = positiveInt(opts.steps ?? 3, 'steps');
  if (opts.trainBatch !== undefined) positiveInt(opts.trainBatch, 'train batch');
  const warmup = nonNegativeInt(opts.warmup ?? 1, 'warmup');
  const cpuBatch = positiveInt(opts.cpuBatch ?? 1, 'cpu batch');
  const cpuSteps = positiveInt(opts.cpuSteps ?? 1, 'cpu steps');
  const cpuTrain = opts.cpuTrain ?? false;
  const modes = opts.modes ?? ['forward', 'train'];
  const backends = opts.backends ?? DEFAULT_BACKENDS;
  if (size < 32) throw new AppError('BAD_REQUEST', `Benchmark input size must be at least 32 (got ${size})`);
  const progress = opts.onProgress ?? (() => {});

  const previous = engineStatus();
  const figures: BenchEngineFigure[] = [];
  const skipped: BenchEngineReport['skipped'] = [];
  const notes: string[] = [];
  let trainBatch = opts.trainBatch ?? batch;
  try {
    for (const backend of backends) {
      let status;
      try {
        status = await initEngine({ preference: backend, env: { ...process.env, FUNDUSLAB_BACKEND: undefined } });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        skipped.push({ backend, reason });
        continue;
      }
      const used = backend === 'webgpu' ? status.adapters.find((a) => a.used) : undefined;
      const adapter = used ? benchAdapter(used) : undefined;
      if (adapter?.software && opts.backends === undefined) {
        skipped.push({ backend, reason: softwareSkipReason(adapter) });
        continue;
      }
      const isCpu = backend === 'cpu';
      const timed = isCpu ? cpuSteps : steps;
      const warm = isCpu ? 0 : warmup;
      const model = ResNet.create(config, { seed: SEED });
      try {
        if (opts.trainBatch === undefined && modes.includes('train')) {
          const fits = await maxTrainingBatch(model, { inputSize: size, batchSize: trainBatch, optimizerSlots: 2 });
          if (fits !== null && fits < trainBatch) {
            trainBatch = Math.max(1, fits);
            notes.push(
              status.tfjsBackend === 'wasm'
                ? `Training steps ran at batch ${trainBatch} (forward at ${batch}): a larger training batch of ${archName(config)} at ${size} px does not fit in the 4 GB wasm heap.`
                : `Training steps ran at batch ${trainBatch} (forward at ${batch}): a larger training batch of ${archName(config)} at ${size} px does not fit on ${adapter?.label ?? backend} (its binding limit or memory).`,
            );
          }
        }
        for (const mode of modes) {
          if (isCpu && mode === 'train' && !cpuTrain) continue;
          const b = isCpu ? cpuBatch : mode === 'train' ? trainBatch : batch;
          const x = tf.tidy(() => tf.randomNormal([b, size, size, 3], 0, 1, 'float32', SEED) as Tensor4D);
          const labels = tf.tidy(
            () =>
              tf
                .oneHot(
                  tf.tensor1d(
                    Array.from({ length: b }, (_, i) => i % config.classes),
                    'int32',
                  ),
                  config.classes,
                )
                .toFloat() as Tensor2D,
          );
          try {
            progress(`${backend}: ${mode} ${archName(config)} ${size}px batch ${b}, ${warm} warm-up + ${timed} timed step(s)`);
            const fig = mode === 'forward' ? await timeForward(model, x, warm, timed) : await timeTrain(model, x, labels, warm, timed);
            const median = medianOf(fig.stepMs) / b;
            figures.push({
              backend,
              tfjsBackend: status.tfjsBackend,
              threads: status.threads,
              mode,
              batch: b,
              warmupSteps: warm,
              stepMs: fig.stepMs.map((v) => round2(v)),
              msPerImage: { min: round2(Math.min(...fig.stepMs) / b), median: round2(median) },
              imagesPerSecond: round2(1000 / median),
              speedupVsCpu: null,
              ...(fig.loss !== undefined ? { loss: fig.loss } : {}),
              ...(adapter ? { adapter } : {}),
            });
          } finally {
            tf.dispose([x, labels]);
          }
        }
      } finally {
        model.dispose();
      }
    }
  } finally {
    // Leave the engine on the backend it was on (the benchmark switches backends).
    if (previous) {
      const env = previous.forcedBy === 'env' && previous.forced ? { FUNDUSLAB_BACKEND: previous.forced } : {};
      await initEngine({ preference: previous.forcedBy === 'settings' && previous.forced ? previous.forced : 'auto', env }).catch(
        () => undefined,
      );
      if (tf.getBackend() !== previous.tfjsBackend) await tf.setBackend(previous.tfjsBackend).catch(() => false);
    }
  }

  for (const fig of figures) {
    const ref = figures.find((f) => f.backend === 'cpu' && f.mode === fig.mode);
    fig.speedupVsCpu = ref ? round2(ref.msPerImage.median / fig.msPerImage.median) : null;
  }
  if (backends.includes('cpu')) {
    notes.push(
      `cpu (JavaScript) measured with ${cpuSteps} step(s) at batch ${cpuBatch}, no warm-up, ${cpuTrain ? 'forward and training step' : 'forward only (no training-step ratio; use --cpu-train)'}: it is ~30x slower than wasm, so a longer measurement would take minutes.`,
    );
  }
  notes.push('speedupVsCpu = cpu ms/img ÷ backend ms/img (medians), both measured in this run.');
  notes.push(
    'Training step = forward (train mode) + softmax cross-entropy + gradients of all trainable variables + AdamW update (torch.optim.AdamW semantics, as a training run).',
  );
  if (figures.some((f) => f.adapter?.software))
    notes.push('webgpu ran on a software adapter (a CPU implementation of WebGPU): its figures show that it works, not what a GPU does.');

  return {
    arch: archName(config),
    size,
    classes: config.classes,
    batch,
    trainBatch,
    steps,
    warmup,
    cpu: { batch: cpuBatch, steps: cpuSteps, train: cpuTrain },
    machine: {
      cpus: os.availableParallelism(),
      loadAverage: os.loadavg().map((v) => round2(v)) as [number, number, number],
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
    },
    tfjsVersion: tf.version.tfjs,
    figures,
    skipped,
    notes,
  };
}

/** The adapter of a webgpu figure. */
export function benchAdapter(a: WebGpuAdapter): BenchAdapter {
  return {
    label: adapterLabel(a),
    vendor: a.vendor,
    device: a.device,
    description: a.description,
    api: a.api,
    featureLevel: a.featureLevel,
    software: a.software,
  };
}

/** Why the default backend list does not measure webgpu on a software adapter, and how to measure it anyway. */
export function softwareSkipReason(a: BenchAdapter): string {
  return `only a software adapter, ${a.label}: slower than wasm, so not measured by default; --backends webgpu measures it`;
}

async function timeForward(model: ResNet, x: Tensor4D, warmup: number, steps: number): Promise<{ stepMs: number[]; loss?: number }> {
  const run = async () => {
    const logits = model.forward(x);
    await logits.data();
    logits.dispose();
  };
  for (let i = 0; i < warmup; i++) await run();
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await run();
    stepMs.push(performance.now() - t0);
  }
  return { stepMs };
}

/** A tfjs optimizer, or one of FundusLab's (optim/: updates by torch parameter name). */
export type StepOptimizer = Optimizer | { step(grads: ReadonlyMap<string, Tensor>): void };

/**
 * One training step: forward (train) + loss + gradients of every trainable variable + optimizer update; returns the
 * loss, read back asynchronously.
 */
export async function trainStep(model: ResNet, x: Tensor4D, labels: Tensor2D, optimizer: StepOptimizer): Promise<number> {
  const value = tf.tidy(() => {
    const loss = () => tf.losses.softmaxCrossEntropy(labels, model.forward(x, { training: true })) as Scalar;
    if ('applyGradients' in optimizer) {
      const { value, grads } = tf.variableGrads(loss, [...model.trainableVariables().values()]);
      optimizer.applyGradients(grads);
      return value;
    }
    const { value, grads } = namedGradients(model.trainableVariables(), loss);
    optimizer.step(grads);
    return value;
  });
  try {
    return (await value.data())[0]!;
  } finally {
    value.dispose();
  }
}

async function timeTrain(
  model: ResNet,
  x: Tensor4D,
  labels: Tensor2D,
  warmup: number,
  steps: number,
): Promise<{ stepMs: number[]; loss: number }> {
  // AdamW as torch.optim.AdamW, the optimizer of a training run (torch's defaults but the run's learning rate).
  const optimizer = new AdamW(model.trainableVariables(), { lr: 1e-4 });
  let loss = Number.NaN;
  try {
    for (let i = 0; i < warmup; i++) loss = await trainStep(model, x, labels, optimizer);
    const stepMs: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      loss = await trainStep(model, x, labels, optimizer);
      stepMs.push(performance.now() - t0);
    }
    return { stepMs, loss: round2(loss, 1e4) };
  } finally {
    optimizer.dispose();
  }
}

/**
 * Per-kernel wall time of `fn` on the active backend (tf.profile), summed by kernel name, slowest
 * first. Kernels built from other kernels (FundusLab's wasm training kernels) count their inner
 * kernels too, so the totals overlap; `total` is the wall time of the whole call.
 */
export async function profileKernels(
  fn: () => void,
): Promise<{ total: number; peakBytes: number; kernels: { name: string; ms: number; calls: number }[] }> {
  const t0 = performance.now();
  const info = await tf.profile(fn);
  const total = performance.now() - t0;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    byName.set(k.name, e);
  }
  const kernels = [...byName.entries()].map(([name, e]) => ({ name, ms: round2(e.ms), calls: e.calls })).sort((a, b) => b.ms - a.ms);
  return { total: round2(total), peakBytes: info.peakBytes, kernels };
}

/** The median of a list of timings. */
export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round2(v: number, scale = 100): number {
  return Math.round(v * scale) / scale;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new AppError('BAD_REQUEST', `Benchmark ${what} must be a positive integer (got ${v})`);
  return v;
}

function nonNegativeInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0) throw new AppError('BAD_REQUEST', `Benchmark ${what} must be a non-negative integer (got ${v})`);
  return v;
}
