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
import { describeNativeKernels, nativeKernels, setNativeEnabled } from './kernels/native/addon';
import { CONV_RESIDUAL } from './kernels/wasm/Conv2D';
import type { Optimizer, Scalar, Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendName, WebGpuAdapter } from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import { engineStatus, initEngine } from './backend';
import { adapterLabel } from './backend/webgpu';
import { ResNet } from './models/resnet';
import { DEFAULT_CLASSES, archName, parseArch } from './models/resnet-spec';
import { maxTrainingBatch } from './memory-guard';
import { AdamW, namedGradients } from './optim/adamw';
import { Sgd } from './optim/sgd';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/wasm/BatchNormTrain';
import { ADAMW, SGD } from './kernels/wasm/Optimizers';
import { packageRoot } from '../paths';

export type BenchMode = 'forward' | 'train';

export interface BenchEngineOptions {
  /** Optimizer of the training step: AdamW as a training run (default) or SGD as a MoCo v2 pretraining. */
  optimizer?: BenchOptimizer;
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
  /** The training step's optimizer and its settings. */
  optimizer: OptimizerSettings;
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
  const optimizer = optimizerSettings(opts.optimizer ?? 'adamw');
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
          const { x, labels } = benchBatch(b, size, config.classes);
          try {
            progress(`${backend}: ${mode} ${archName(config)} ${size}px batch ${b}, ${warm} warm-up + ${timed} timed step(s)`);
            const fig =
              mode === 'forward' ? await timeForward(model, x, warm, timed) : await timeTrain(model, x, labels, optimizer, warm, timed);
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
    `Training step = forward (train mode) + softmax cross-entropy + gradients of all trainable variables + ${describeOptimizer(optimizer)}.`,
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
    optimizer,
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
/** The benchmarks' input: a seeded N(0, 1) batch of `b` images and one-hot labels cycling through the classes. */
function benchBatch(b: number, size: number, classes: number): { x: Tensor4D; labels: Tensor2D } {
  return tf.tidy(() => ({
    x: tf.randomNormal([b, size, size, 3], 0, 1, 'float32', SEED) as Tensor4D,
    labels: tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: b }, (_, i) => i % classes),
          'int32',
        ),
        classes,
      )
      .toFloat() as Tensor2D,
  }));
}

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
  settings: OptimizerSettings,
  warmup: number,
  steps: number,
): Promise<{ stepMs: number[]; loss: number }> {
  const optimizer = makeOptimizer(model, settings);
  try {
    const fig = await timeTrainWith(model, x, labels, optimizer, warmup, steps);
    return { stepMs: fig.stepMs, loss: round2(fig.loss, 1e4) };
  } finally {
    optimizer.dispose();
  }
}

/**
 * Per-kernel time of `fn` on the active backend (tf.profile), summed by kernel name, slowest first.
 * A kernel or custom-gradient scope that runs other kernels inside it (a gradient built from ops, a
 * scope such as `unnamed scope`) is charged only its own time (`ms`: its time minus that of the
 * kernels nested in it), so the figures add up to the step's kernel time without counting anything
 * twice; `inclusiveMs` keeps the time with the nested kernels, and `calls` counts top-level and
 * nested invocations alike. A nested kernel takes the class of its nearest enclosing convolution,
 * batchnorm, pooling or optimizer kernel (the Conv2D inside a Conv2DBackpropInput is input-gradient
 * work) and its own class otherwise (`class`; figures are summed per name and class). `total` is the
 * wall time of the whole call.
 */
export async function profileKernels(fn: () => void | Promise<void>): Promise<{
  total: number;
  peakBytes: number;
  kernels: { name: string; class: KernelClass; ms: number; inclusiveMs: number; calls: number }[];
}> {
  // The engine pushes a kernel's record right after it returns (nested kernels first); its depth is read then.
  const engine = tf.engine() as unknown as {
    state: { kernelDepth: number };
    profiler: { profileKernel: (...args: unknown[]) => unknown };
  };
  const depths: number[] = [];
  const original = engine.profiler.profileKernel;
  engine.profiler.profileKernel = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    depths.push(engine.state.kernelDepth - 1);
    return result;
  };
  const t0 = performance.now();
  let info;
  try {
    info = await tf.profile(fn);
  } finally {
    engine.profiler.profileKernel = original;
  }
  const total = performance.now() - t0;
  const times = info.kernels.map((k) => (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0));
  const levels = depths.length === times.length ? depths : times.map(() => 0);
  const self = exclusiveTimes(times, levels);
  const classes = recordClasses(
    info.kernels.map((k) => k.name),
    levels,
  );
  const byName = new Map<string, { name: string; class: KernelClass; ms: number; inclusiveMs: number; calls: number }>();
  info.kernels.forEach((k, i) => {
    const key = `${k.name}\u0000${classes[i]}`;
    const e = byName.get(key) ?? { name: k.name, class: classes[i]!, ms: 0, inclusiveMs: 0, calls: 0 };
    e.ms += self[i]!;
    e.inclusiveMs += times[i]!;
    e.calls += 1;
    byName.set(key, e);
  });
  const kernels = [...byName.values()]
    .map((e) => ({ ...e, ms: round2(e.ms), inclusiveMs: round2(e.inclusiveMs) }))
    .sort((a, b) => b.ms - a.ms);
  return { total: round2(total), peakBytes: info.peakBytes, kernels };
}

/**
 * Own time of each record of a profile in completion order (a kernel's nested kernels complete before
 * it): its time minus the times of the records one level deeper completed since the last record at its
 * own level or above.
 */
export function exclusiveTimes(times: readonly number[], depths: readonly number[]): number[] {
  const pending: number[] = [];
  return times.map((t, i) => {
    const d = depths[i]!;
    const children = pending[d + 1] ?? 0;
    pending.length = d + 1;
    pending[d] = (pending[d] ?? 0) + t;
    return Math.max(0, t - children);
  });
}

/**
 * The class each record of a profile (completion order, with depths) is charged to: that of its nearest enclosing
 * convolution, batchnorm, pooling or optimizer kernel, else its own.
 */
export function recordClasses(names: readonly string[], depths: readonly number[]): KernelClass[] {
  const out: KernelClass[] = new Array(names.length);
  const enclosing: KernelClass[] = [];
  // Walking backwards, a record's parent (the next record one level up) is seen before it.
  for (let i = names.length - 1; i >= 0; i--) {
    const d = depths[i]!;
    const parent = d > 0 ? enclosing[d - 1] : undefined;
    const own = kernelClass(names[i]!);
    const cls = parent !== undefined && parent !== 'other' && parent !== 'elementwise' ? parent : own;
    enclosing.length = d;
    enclosing[d] = cls;
    out[i] = cls;
  }
  return out;
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

// ---------------------------------------------------------------------------------------------
// Comparison with PyTorch in the same run (`bench engine --compare-torch`)
// ---------------------------------------------------------------------------------------------

/** AdamW settings of a training run with the spec's defaults (src-shared/training.ts): lr of IWNE, torch's betas, eps and decay. */
export const RUN_ADAMW = { lr: 1e-4, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01 } as const;

/** SGD settings of a MoCo v2 pretraining with the spec's defaults: lr 0.03, momentum 0.9, coupled weight decay 1e-4 (torch.optim.SGD). */
export const RUN_SGD = { lr: 0.03, momentum: 0.9, weightDecay: 1e-4 } as const;

/** The optimizer a benchmark's training step uses: `adamw` as training runs (default), `sgd` as MoCo v2 pretrainings. */
export type BenchOptimizer = 'adamw' | 'sgd';
export const BENCH_OPTIMIZERS: readonly BenchOptimizer[] = ['adamw', 'sgd'];

export type OptimizerSettings =
  | { kind: 'adamw'; lr: number; betas: [number, number]; eps: number; weightDecay: number }
  | { kind: 'sgd'; lr: number; momentum: number; weightDecay: number };

/** The settings of `kind` (the runs' defaults); also what the PyTorch side is asked for. */
export function optimizerSettings(kind: BenchOptimizer): OptimizerSettings {
  if (kind === 'sgd') return { kind, ...RUN_SGD };
  if (kind === 'adamw') return { kind, ...RUN_ADAMW, betas: [...RUN_ADAMW.betas] };
  throw new AppError('BAD_REQUEST', `--optimizer: unknown optimizer "${String(kind)}"; expected ${BENCH_OPTIMIZERS.join(' or ')}`);
}

/** FundusLab's optimizer for `settings` over the model's trainable variables (torch semantics; optim/). */
export function makeOptimizer(model: ResNet, settings: OptimizerSettings): AdamW | Sgd {
  const params = model.trainableVariables();
  return settings.kind === 'sgd'
    ? new Sgd(params, { lr: settings.lr, momentum: settings.momentum, weightDecay: settings.weightDecay })
    : new AdamW(params, { lr: settings.lr, betas: [...settings.betas], eps: settings.eps, weightDecay: settings.weightDecay });
}

/** "an AdamW step (lr …)" / "an SGD step (lr …)", for the notes. */
export function describeOptimizer(o: OptimizerSettings): string {
  return o.kind === 'sgd'
    ? `an SGD step as a MoCo v2 pretraining's (torch.optim.SGD: lr ${o.lr}, momentum ${o.momentum}, weight decay ${o.weightDecay})`
    : `an AdamW step as a training run's (torch.optim.AdamW: lr ${o.lr}, betas ${o.betas.join(', ')}, eps ${o.eps}, weight decay ${o.weightDecay})`;
}

/** The python interpreter asked for torch: FUNDUSLAB_PYTHON, else /usr/bin/python3. */
export function torchPython(env: Record<string, string | undefined> = process.env): string {
  return env.FUNDUSLAB_PYTHON || '/usr/bin/python3';
}

/** How to make PyTorch available to the comparison, and what is printed instead. */
export function missingTorchMessage(python: string, reason: string): string {
  return (
    `PyTorch comparison skipped: ${python} with torch and torchvision is not available (${reason}). ` +
    'Install them (Debian/Ubuntu: apt-get install python3-torch python3-torchvision; elsewhere: pip install torch torchvision) ' +
    'or point FUNDUSLAB_PYTHON at a python that has them. FundusLab figures alone follow.'
  );
}

/** One row of the comparison: an architecture at one input size and batch, in one mode. */
export interface CompareRow {
  arch: string;
  size: number;
  batch: number;
  mode: BenchMode;
}

/** Default rows: torchvision ResNet18 @ 96 and ResNet50 @ 224, and the demo's model, each trained and forwarded. */
export const DEFAULT_COMPARE_ROWS: readonly CompareRow[] = [
  { arch: 'resnet18', size: 96, batch: 32, mode: 'train' },
  { arch: 'resnet18', size: 96, batch: 32, mode: 'forward' },
  { arch: 'resnet50', size: 224, batch: 8, mode: 'train' },
  { arch: 'resnet50', size: 224, batch: 8, mode: 'forward' },
  { arch: 'resnet18-w8', size: 64, batch: 32, mode: 'train' },
  { arch: 'resnet18-w8', size: 64, batch: 32, mode: 'forward' },
];

/**
 * `arch@size/batch/mode[,…]` (e.g. `resnet18@96/32/train,resnet18-w8@64/32/forward`) → rows; a row without a mode
 * stands for both modes.
 */
export function parseCompareRows(text: string): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z0-9-]+)@(\d+)\/(\d+)(?:\/(forward|train))?$/i.exec(item);
    if (!m)
      throw new AppError(
        'BAD_REQUEST',
        `--rows: "${item}" is not a row; expected arch@size/batch[/train|forward], e.g. resnet18@96/32/train`,
      );
    const arch = archName(parseArch(m[1]!));
    const size = positiveInt(Number(m[2]), 'size');
    const batch = positiveInt(Number(m[3]), 'batch');
    if (size < 32) throw new AppError('BAD_REQUEST', `--rows: "${item}": input size must be at least 32 (got ${size})`);
    const modes: BenchMode[] = m[4] ? [m[4].toLowerCase() as BenchMode] : ['train', 'forward'];
    for (const mode of modes) rows.push({ arch, size, batch, mode });
  }
  if (rows.length === 0) throw new AppError('BAD_REQUEST', '--rows: no row given');
  return rows;
}

/** What the PyTorch side is asked for one round of a row (one JSON line on the script's stdin). */
export interface TorchRequest extends CompareRow {
  classes: number;
  threads: number;
  warmup: number;
  steps: number;
  seed: number;
  optimizer: OptimizerSettings;
}

/** What it answers (one JSON line on its stdout). */
export interface TorchResponse {
  torch: string;
  torchvision: string;
  threads: number;
  stepMs: number[];
  loss?: number;
}

export function torchRequestLine(req: TorchRequest): string {
  return `${JSON.stringify(req)}\n`;
}

/** Parses one response line of scripts/bench_torch.py; anything else is an AppError naming what was expected. */
export function parseTorchResponse(line: string): TorchResponse {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new AppError('INTERNAL', `PyTorch benchmark answered "${line.slice(0, 200)}", expected one JSON object per line`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (o.ok === false) throw new AppError('INTERNAL', `PyTorch benchmark failed: ${String(o.error ?? 'no reason given')}`);
  const steps = o.stepMs;
  if (
    o.ok !== true ||
    typeof o.torch !== 'string' ||
    typeof o.torchvision !== 'string' ||
    typeof o.threads !== 'number' ||
    !Array.isArray(steps) ||
    steps.length === 0 ||
    !steps.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0) ||
    (o.loss !== undefined && typeof o.loss !== 'number')
  )
    throw new AppError(
      'INTERNAL',
      `PyTorch benchmark answered ${line.slice(0, 200)}; expected {"ok": true, "torch", "torchvision", "threads", "stepMs": [positive ms…], "loss"?}`,
    );
  return {
    torch: o.torch,
    torchvision: o.torchvision,
    threads: o.threads,
    stepMs: steps as number[],
    ...(o.loss !== undefined ? { loss: o.loss as number } : {}),
  };
}

/**
 * The order of measurements of one row: PyTorch right before and after each FundusLab round —
 * torch, ours, torch, ours, …, torch (rounds + 1 PyTorch measurements, `rounds` of ours).
 */
export function alternationOrder(rounds: number): ('torch' | 'ours')[] {
  const order: ('torch' | 'ours')[] = [];
  for (let i = 0; i < rounds; i++) order.push('torch', 'ours');
  order.push('torch');
  return order;
}

/** Median ms/img of each side over its rounds, their ratio and spreads ((max − min) ÷ median of the rounds). */
export function compareFigures(oursRoundMs: readonly number[], torchRoundMs: readonly number[]): CompareFigures {
  const ours = medianOf(oursRoundMs);
  const torch = medianOf(torchRoundMs);
  const spread = (v: readonly number[], m: number) => (Math.max(...v) - Math.min(...v)) / m;
  return {
    oursMsPerImage: ours,
    torchMsPerImage: torch,
    ratio: ours / torch,
    oursSpread: spread(oursRoundMs, ours),
    torchSpread: spread(torchRoundMs, torch),
  };
}

export interface CompareFigures {
  oursMsPerImage: number;
  torchMsPerImage: number;
  /** ours ÷ torch: > 1 is slower than PyTorch. */
  ratio: number;
  oursSpread: number;
  torchSpread: number;
}

export interface CompareRowResult extends CompareRow {
  /** ms/img of each round (median of its timed steps ÷ batch). */
  oursRoundMs: number[];
  torchRoundMs: number[];
  /** Medians, ratio and spreads; null when PyTorch was not measured. */
  figures: CompareFigures | null;
  oursMsPerImage: number;
  /** With `wasmBaseline`: the same rows with the native kernels off (ms/img per round, median) and median(off) ÷ median(on). */
  wasmBaselineRoundMs?: number[];
  wasmBaselineMsPerImage?: number;
  nativeSpeedup?: number;
  loss?: number;
  torchLoss?: number;
}

export interface CompareTorchOptions {
  rows?: readonly CompareRow[];
  /** Rounds of FundusLab, each between two PyTorch measurements; default 3. */
  rounds?: number;
  /** Timed steps per round (each side); default 2. */
  steps?: number;
  /** Untimed warm-up steps before the first round (each side); default 1. */
  warmup?: number;
  /** Optimizer of the training steps (both sides); default adamw. */
  optimizer?: BenchOptimizer;
  /**
   * Also time FundusLab with its native kernels switched off (the wasm kernels alone) right after each
   * of its rounds: the baseline of the native kernels, in the same process. Ignored when they are not in use.
   */
  wasmBaseline?: boolean;
  /** Python interpreter; default FUNDUSLAB_PYTHON or /usr/bin/python3. */
  python?: string;
  /** The PyTorch script; default scripts/bench_torch.py of the package. */
  script?: string;
  onProgress?: (message: string) => void;
}

export interface CompareTorchReport {
  backend: string;
  /** FundusLab's native convolution kernels on the wasm backend: instruction set and threads, or why not in use. */
  nativeKernels: string | null;
  threads: number;
  tfjsVersion: string;
  rounds: number;
  steps: number;
  warmup: number;
  optimizer: TorchRequest['optimizer'];
  /** null when PyTorch could not be run (see `torchMissing`). */
  torch: { python: string; version: string; torchvision: string; threads: number } | null;
  torchMissing: string | null;
  machine: { cpus: number; loadAverageBefore: [number, number, number]; loadAverageAfter: [number, number, number]; node: string };
  rows: CompareRowResult[];
  notes: string[];
}

/** A running scripts/bench_torch.py: one request line in, one response line out. */
class TorchChild {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((line: string | null) => void) | null = null;
  private readonly lines: string[] = [];
  private stderr = '';
  private exited = false;

  constructor(python: string, script: string) {
    this.child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    // A side that exits early closes its stdin: the write fails (EPIPE) and the exit is reported by `ask`.
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 1);
      }
      this.flush();
    });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-2000)));
    const done = () => {
      this.exited = true;
      this.flush();
    };
    this.child.on('exit', done);
    this.child.on('error', (err) => {
      this.stderr += err.message;
      done();
    });
  }

  private flush(): void {
    if (!this.waiting) return;
    if (this.lines.length > 0) {
      const w = this.waiting;
      this.waiting = null;
      w(this.lines.shift()!);
    } else if (this.exited) {
      const w = this.waiting;
      this.waiting = null;
      w(null);
    }
  }

  async ask(req: TorchRequest): Promise<TorchResponse> {
    if (!this.exited) this.child.stdin.write(torchRequestLine(req));
    const line = await new Promise<string | null>((resolve) => {
      this.waiting = resolve;
      this.flush();
    });
    if (line === null) throw new AppError('INTERNAL', `PyTorch benchmark exited without answering: ${this.stderr.trim() || 'no output'}`);
    return parseTorchResponse(line);
  }

  close(): void {
    this.child.stdin.end();
    if (!this.exited) this.child.kill();
  }
}

/** Checks that `python` runs and imports torch and torchvision; the reason when not. */
export async function probeTorch(python: string, script: string): Promise<string | null> {
  if (!existsSync(python)) return `${python} does not exist`;
  if (!existsSync(script)) return `${script} does not exist`;
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import torch, torchvision'], { timeout: 60_000 }, (err, _out, stderr) =>
      resolve(err ? (stderr.trim().split('\n').pop() ?? err.message) : null),
    );
  });
}

/**
 * Each row measured on FundusLab's wasm backend and in PyTorch (same architecture, input, batch, AdamW settings,
 * same number of threads), alternating torch, ours, torch, … so both see the same machine load. Without python
 * and torch, FundusLab's figures alone and a message saying how to install them.
 */
export async function compareTorch(opts: CompareTorchOptions = {}): Promise<CompareTorchReport> {
  const rows = opts.rows ?? DEFAULT_COMPARE_ROWS;
  const rounds = positiveInt(opts.rounds ?? 3, 'rounds');
  const steps = positiveInt(opts.steps ?? 2, 'steps');
  const warmup = nonNegativeInt(opts.warmup ?? 1, 'warmup');
  const python = opts.python ?? torchPython();
  const script = opts.script ?? path.join(packageRoot(), 'scripts', 'bench_torch.py');
  const progress = opts.onProgress ?? (() => {});
  const optimizerSpec = optimizerSettings(opts.optimizer ?? 'adamw');
  const loadAverageBefore = os.loadavg().map((v) => round2(v)) as [number, number, number];

  const previous = engineStatus();
  const status = await initEngine({ preference: 'wasm', env: { ...process.env, FUNDUSLAB_BACKEND: undefined } });
  const baseline = opts.wasmBaseline === true && status.tfjsBackend === 'wasm' && nativeKernels() !== null;
  const problem = await probeTorch(python, script);
  const torchMissing = problem === null ? null : missingTorchMessage(python, problem);
  const child = problem === null ? new TorchChild(python, script) : null;
  let torchInfo: CompareTorchReport['torch'] = null;
  const results: CompareRowResult[] = [];
  try {
    for (const row of rows) {
      const config = parseArch(row.arch);
      const request: TorchRequest = {
        ...row,
        classes: config.classes,
        threads: status.threads,
        warmup,
        steps,
        seed: SEED,
        optimizer: optimizerSpec,
      };
      const label = `${row.mode} ${row.arch} ${row.size}px batch ${row.batch}`;
      const oursRoundMs: number[] = [];
      const torchRoundMs: number[] = [];
      const wasmRoundMs: number[] = [];
      let loss: number | undefined;
      let torchLoss: number | undefined;
      const model = ResNet.create(config, { seed: SEED });
      const { x, labels } = benchBatch(row.batch, row.size, config.classes);
      const optimizer = row.mode === 'train' ? makeOptimizer(model, optimizerSpec) : null;
      let oursWarm = false;
      let torchWarm = false;
      const timeOurs = (warm: number) =>
        optimizer === null ? timeForward(model, x, warm, steps) : timeTrainWith(model, x, labels, optimizer, warm, steps);
      try {
        for (const side of child ? alternationOrder(rounds) : alternationOrder(rounds).filter((s) => s === 'ours')) {
          if (side === 'torch') {
            progress(`pytorch: ${label}`);
            const r = await child!.ask({ ...request, warmup: torchWarm ? 0 : warmup });
            torchWarm = true;
            torchInfo ??= { python, version: r.torch, torchvision: r.torchvision, threads: r.threads };
            torchRoundMs.push(medianOf(r.stepMs) / row.batch);
            torchLoss = r.loss;
          } else {
            progress(`funduslab (${status.tfjsBackend}, ${status.threads} threads): ${label}`);
            const fig = await timeOurs(oursWarm ? 0 : warmup);
            oursWarm = true;
            oursRoundMs.push(medianOf(fig.stepMs) / row.batch);
            loss = fig.loss;
            if (baseline) {
              progress(`funduslab without native kernels (${status.tfjsBackend}, ${status.threads} threads): ${label}`);
              const was = setNativeEnabled(false);
              try {
                const base = await timeOurs(warmup);
                wasmRoundMs.push(medianOf(base.stepMs) / row.batch);
              } finally {
                setNativeEnabled(was);
              }
            }
          }
        }
      } finally {
        optimizer?.dispose();
        tf.dispose([x, labels]);
        model.dispose();
      }
      const figures = torchRoundMs.length > 0 ? roundFigures(compareFigures(oursRoundMs, torchRoundMs)) : null;
      results.push({
        ...row,
        oursRoundMs: oursRoundMs.map((v) => round2(v)),
        torchRoundMs: torchRoundMs.map((v) => round2(v)),
        figures,
        oursMsPerImage: round2(medianOf(oursRoundMs)),
        ...(wasmRoundMs.length > 0
          ? {
              wasmBaselineRoundMs: wasmRoundMs.map((v) => round2(v)),
              wasmBaselineMsPerImage: round2(medianOf(wasmRoundMs)),
              nativeSpeedup: round2(medianOf(wasmRoundMs) / medianOf(oursRoundMs)),
            }
          : {}),
        ...(loss !== undefined ? { loss: round2(loss, 1e4) } : {}),
        ...(torchLoss !== undefined ? { torchLoss: round2(torchLoss, 1e4) } : {}),
      });
    }
  } finally {
    child?.close();
    if (previous && previous.tfjsBackend !== status.tfjsBackend) await tf.setBackend(previous.tfjsBackend).catch(() => false);
  }
  const notes = [
    `Each row: ${warmup} untimed warm-up step(s) per side, then ${rounds} FundusLab round(s) each between two PyTorch rounds (torch, ours, torch, …); a round is the median of ${steps} timed step(s) ÷ batch; a figure is the median of its rounds; spread = (max − min) ÷ median of the rounds.`,
    `Training step on both sides: forward in train mode (batch statistics) + mean softmax cross-entropy over ${DEFAULT_CLASSES} classes + gradients of every trainable parameter + ${describeOptimizer(optimizerSpec)}. Forward: eval mode, logits read back.`,
    `PyTorch uses as many threads as FundusLab's wasm backend (${status.threads}, torch.set_num_threads).`,
    'ratio = FundusLab ms/img ÷ PyTorch ms/img: above 1 is slower than PyTorch.',
    ...(baseline
      ? [
          'wasm only = FundusLab with its native kernels switched off, timed right after each of its rounds (own warm-up each time); native speedup = wasm only ÷ ours.',
        ]
      : []),
  ];
  return {
    backend: status.tfjsBackend,
    nativeKernels: status.tfjsBackend === 'wasm' ? describeNativeKernels().detail : null,
    threads: status.threads,
    tfjsVersion: tf.version.tfjs,
    rounds,
    steps,
    warmup,
    optimizer: optimizerSpec,
    torch: torchInfo,
    torchMissing,
    machine: {
      cpus: os.availableParallelism(),
      loadAverageBefore,
      loadAverageAfter: os.loadavg().map((v) => round2(v)) as [number, number, number],
      node: process.version,
    },
    rows: results,
    notes,
  };
}

function roundFigures(f: CompareFigures): CompareFigures {
  return {
    oursMsPerImage: round2(f.oursMsPerImage),
    torchMsPerImage: round2(f.torchMsPerImage),
    ratio: round2(f.ratio),
    oursSpread: round2(f.oursSpread, 1e3),
    torchSpread: round2(f.torchSpread, 1e3),
  };
}

async function timeTrainWith(
  model: ResNet,
  x: Tensor4D,
  labels: Tensor2D,
  optimizer: AdamW | Sgd,
  warmup: number,
  steps: number,
): Promise<{ stepMs: number[]; loss: number }> {
  let loss = Number.NaN;
  for (let i = 0; i < warmup; i++) loss = await trainStep(model, x, labels, optimizer);
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    loss = await trainStep(model, x, labels, optimizer);
    stepMs.push(performance.now() - t0);
  }
  return { stepMs, loss };
}

// ---------------------------------------------------------------------------------------------
// Per-kernel-class profile of one training step (`bench engine --profile`)
// ---------------------------------------------------------------------------------------------

export const KERNEL_CLASSES = [
  'convolution forward',
  'conv input-gradient',
  'conv filter-gradient',
  'batchnorm',
  'elementwise',
  'pooling',
  'optimizer',
  'other',
] as const;
export type KernelClass = (typeof KERNEL_CLASSES)[number];

const ELEMENTWISE = new Set([
  'FundusLabAddRelu', 'FundusLabReluGrad', 'Add', 'AddN', 'Sub', 'Mul', 'Div', 'RealDiv', 'Neg', 'Relu', 'Relu6', 'Prelu', 'Elu', 'Selu', 'LeakyRelu', 'Sigmoid', 'Tanh',
  'Sqrt', 'Rsqrt', 'Square', 'SquaredDifference', 'Exp', 'Log', 'Log1p', 'Abs', 'Sign', 'Step', 'Maximum', 'Minimum', 'Pow',
  'Cast', 'Select', 'Where', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr',
  'LogicalNot', 'IsNan', 'IsInf', 'ClipByValue', 'FloorDiv', 'Floor', 'Ceil', 'Round', 'Reciprocal', 'ZerosLike', 'OnesLike', 'Fill',
]); // prettier-ignore

/** The class of a tfjs kernel name in a step's profile (FundusLab's own training kernels included). */
export function kernelClass(name: string): KernelClass {
  if (name === tf.Conv2DBackpropInput || name === 'DepthwiseConv2dNativeBackpropInput') return 'conv input-gradient';
  if (name === tf.Conv2DBackpropFilter || name === 'DepthwiseConv2dNativeBackpropFilter') return 'conv filter-gradient';
  if (/^(Fused)?(Conv2D|DepthwiseConv2dNative)$/.test(name) || name === CONV_RESIDUAL) return 'convolution forward';
  if (name === BATCH_NORM_TRAIN || name === BATCH_NORM_TRAIN_GRAD || name === 'FusedBatchNorm') return 'batchnorm';
  if (name === ADAMW || name === SGD) return 'optimizer';
  if (/^(MaxPool|AvgPool)(Grad)?$/.test(name)) return 'pooling';
  if (ELEMENTWISE.has(name)) return 'elementwise';
  return 'other';
}

export interface ProfileClassFigure {
  class: KernelClass;
  ms: number;
  calls: number;
  /** Share of the summed kernel time. */
  share: number;
  kernels: { name: string; ms: number; calls: number }[];
}

/**
 * Sums per-kernel figures by class (a figure's `class` when given, else the class of its name), every class present
 * (0 when absent), in KERNEL_CLASSES order.
 */
export function groupKernels(kernels: readonly { name: string; ms: number; calls: number; class?: KernelClass }[]): ProfileClassFigure[] {
  const total = kernels.reduce((s, k) => s + k.ms, 0);
  return KERNEL_CLASSES.map((c) => {
    const own = kernels
      .filter((k) => (k.class ?? kernelClass(k.name)) === c)
      .map((k) => ({ name: k.name, ms: k.ms, calls: k.calls }))
      .sort((a, b) => b.ms - a.ms);
    const ms = own.reduce((s, k) => s + k.ms, 0);
    return {
      class: c,
      ms: round2(ms),
      calls: own.reduce((s, k) => s + k.calls, 0),
      share: total > 0 ? round2(ms / total, 1e3) : 0,
      kernels: own,
    };
  });
}

export interface StepProfile extends CompareRow {
  backend: string;
  threads: number;
  /** Wall time of the profiled step, ms. */
  wallMs: number;
  /** Sum of the kernel times (differs from the wall time by the JavaScript between kernels). */
  kernelMs: number;
  classes: ProfileClassFigure[];
}

/**
 * Profiles one training step (a row's mode 'train' or unset) or one eval-mode forward pass ('forward'), after one
 * untimed warm-up, of each row on the wasm backend, grouped by kernel class.
 */
export async function profileTrainSteps(
  rows: readonly CompareRow[],
  onProgress?: (m: string) => void,
  kind: BenchOptimizer = 'adamw',
): Promise<StepProfile[]> {
  const settings = optimizerSettings(kind);
  const previous = engineStatus();
  const status = await initEngine({ preference: 'wasm', env: { ...process.env, FUNDUSLAB_BACKEND: undefined } });
  const out: StepProfile[] = [];
  try {
    for (const row of rows) {
      onProgress?.(`profile: training step ${row.arch} ${row.size}px batch ${row.batch}`);
      const config = parseArch(row.arch);
      const model = ResNet.create(config, { seed: SEED });
      const { x, labels } = benchBatch(row.batch, row.size, config.classes);
      const optimizer = makeOptimizer(model, settings);
      try {
        const forwardOnly = row.mode === 'forward';
        const step = async () => {
          const out = tf.tidy(() => {
            if (forwardOnly) return model.forward(x, { training: false });
            const { value, grads } = namedGradients(
              model.trainableVariables(),
              () => tf.losses.softmaxCrossEntropy(labels, model.forward(x, { training: true })) as Scalar,
            );
            optimizer.step(grads);
            return value;
          });
          await out.data();
          out.dispose();
        };
        await step(); // warm-up
        const p = await profileKernels(step);
        const classes = groupKernels(p.kernels);
        out.push({
          ...row,
          mode: forwardOnly ? 'forward' : 'train',
          backend: status.tfjsBackend,
          threads: status.threads,
          wallMs: p.total,
          kernelMs: round2(classes.reduce((s, c) => s + c.ms, 0)),
          classes,
        });
      } finally {
        optimizer.dispose();
        tf.dispose([x, labels]);
        model.dispose();
      }
    }
  } finally {
    if (previous && previous.tfjsBackend !== status.tfjsBackend) await tf.setBackend(previous.tfjsBackend).catch(() => false);
  }
  return out;
}
