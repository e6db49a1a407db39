/**
 * The kernel inventory of training and its numerics on the active backend.
 *
 * trainingStepKernels() records, with tf.profile on the active backend, the kernels a real
 * training step dispatches: a fine-tuning (FS) step — ResNet forward in train mode, softmax
 * cross-entropy with class weights, gradients, AdamW (decay off for BatchNorm and biases) — a MoCo v2
 * step as a pretraining runs it — momentum update of the key encoder, key and query encoders with
 * their MLP heads, InfoNCE against the queue, gradients, SGD with momentum, Acc@1, enqueue — and an
 * eval-mode forward (BatchNorm folded into the convolutions). Each is recorded once, the optimizers'
 * first step (which also creates their state), on a tiny ResNet of the same block type.
 *
 * runKernelChecks() checks every kernel of that inventory (kernel-cases.ts): the kernel's forward,
 * and the gradient tfjs derives through it where a training step differentiates it, on the active
 * backend against tfjs's JavaScript cpu backend on the same seeded inputs of realistic shapes;
 * that the case really dispatches its kernel on the active backend; that every kernel of the
 * inventory is registered for the active backend; and that FundusLab's own kernels are used where
 * the backend has them (the models fall back to tfjs-op composites without a word otherwise).
 *
 * Error measure (per output, the worst output counts): ‖a − b‖∞ / ‖b‖∞, the largest absolute
 * difference over the largest absolute reference value (b: the cpu backend); the plain largest
 * difference when the reference is all zeros. Integer and boolean outputs must be equal.
 * Tolerance 1e-4 by default.
 *
 * Everything is read back asynchronously (webgpu cannot read synchronously in Node), and every
 * tensor created is disposed. The reference runs switch tfjs to the cpu backend and back.
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { setCpuBackend } from './backend';
import { crossEntropy, GRADES } from './loss';
import { MocoQueue, ProjectionHead, contrastiveHits, infoNCE, momentumUpdate } from './moco/moco';
import { ResNet } from './models/resnet';
import { parseArch } from './models/resnet-spec';
import { AdamW, excludeOneDimensional, namedGradients } from './optim/adamw';
import { Sgd } from './optim/sgd';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/wasm/BatchNormTrain';
import { ADAMW, SGD } from './kernels/wasm/Optimizers';
import { KERNEL_CASES, type CaseValues, type KernelCase } from './kernel-cases';
import { mulberry32 } from '../random/prng';

export type TrainingStepName = 'fs' | 'moco' | 'eval';

export interface StepOptions {
  /** Architecture of the recorded steps; default resnet18-w4 (ResNet50-style models: resnet50-w4, same kernels plus none). */
  arch?: string;
  /** Input size; default 32. */
  size?: number;
  /** Batch size; default 2. */
  batch?: number;
}

export interface StepInventory {
  backend: string;
  arch: string;
  size: number;
  batch: number;
  /** Kernels each step dispatched (sorted; scopes of custom gradients are not kernels and are left out). */
  steps: Record<TrainingStepName, string[]>;
  /** All of them (sorted). */
  kernels: string[];
}

/** FundusLab's fused training kernels (kernels/): the models and optimizers use them where the backend has them. */
export const FUNDUSLAB_TRAINING_KERNELS = [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, ADAMW, SGD] as const;

/** Seeded normal values (Box–Muller on the project's PRNG). */
function normals(seed: number, count: number, std = 1): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = std * Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  return out;
}

/** One training step of each kind on tiny models; `run(step)` dispatches the step's kernels. */
interface StepRig {
  run(step: TrainingStepName): Promise<void>;
  dispose(): void;
}

function stepRig(opts: Required<StepOptions>): StepRig {
  const config = parseArch(opts.arch, GRADES);
  const { size: S, batch: n } = opts;
  const image = (seed: number) => tf.tensor4d(normals(seed, n * S * S * 3), [n, S, S, 3]);
  // Fine-tuning: AdamW as run-setup.ts creates it (no decay for BatchNorm and biases), class weights as an inverse-frequency run has.
  const model = ResNet.create(config, { seed: 1 });
  const adamw = new AdamW(model.trainableVariables(), { lr: 1e-3, weightDecay: 0.05, noDecay: excludeOneDimensional });
  const x = image(11);
  const targets = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % GRADES),
    'int32',
  );
  const classWeights = tf.tensor1d([0.5, 1, 1.5, 2, 2.5]);
  // MoCo v2 as services/training/moco-update.ts builds and updates it.
  const query = ResNet.create(config, { seed: 2 });
  const key = ResNet.create(config, { seed: 2 });
  const features = query.layout.fc.inFeatures;
  const dim = 8;
  const headQ = new ProjectionHead(features, features, dim, 3);
  const headK = new ProjectionHead(features, features, dim, 3);
  const queue = new MocoQueue(4 * n, dim, 4);
  const encoder = (m: ResNet, h: ProjectionHead) => {
    const vars = new Map<string, Variable>();
    for (const [name, v] of m.trainableVariables()) if (name !== 'fc.weight' && name !== 'fc.bias') vars.set(name, v);
    for (const [name, v] of h.trainableVariables()) vars.set(name, v);
    return vars;
  };
  const queryVars = encoder(query, headQ);
  const keyVars = encoder(key, headK);
  momentumUpdate(keyVars, queryVars, 0);
  const sgd = new Sgd(queryVars, { lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
  const xq = image(12);
  const xk = image(13);

  const steps: Record<TrainingStepName, () => Tensor[]> = {
    fs: () => {
      const { value, grads } = namedGradients(model.trainableVariables(), () =>
        crossEntropy(model.forward(x, { training: true }), targets, classWeights),
      );
      adamw.step(grads);
      return [value, ...grads.values()];
    },
    moco: () => {
      momentumUpdate(keyVars, queryVars, 0.99);
      const k = headK.forward(key.forward(xk, { training: true, features: true }));
      let q: Tensor2D | null = null;
      const { value, grads } = namedGradients(queryVars, () => {
        q = tf.keep(headQ.forward(query.forward(xq, { training: true, features: true })));
        return infoNCE(q, k, queue, 0.2);
      });
      sgd.step(grads);
      const hits = contrastiveHits(q!, k, queue, 0.2);
      queue.enqueue(k);
      return [value, hits, q!, ...grads.values()];
    },
    eval: () => [model.forward(x)],
  };
  return {
    async run(step) {
      const outputs = tf.tidy(() => steps[step]());
      await Promise.all(outputs.map((t) => t.data()));
      tf.dispose(outputs);
    },
    dispose() {
      adamw.dispose();
      sgd.dispose();
      for (const m of [model, query, key]) m.dispose();
      for (const h of [headQ, headK]) h.dispose();
      queue.dispose();
      tf.dispose([x, targets, classWeights, xq, xk]);
    },
  };
}

/** Kernel names (not scopes: custom gradients and op wrappers also appear in a profile) a profile saw. */
function kernelNamesOf(profile: { kernels: { name: string }[] }, backend: string): Set<string> {
  const names = new Set<string>();
  for (const k of profile.kernels) {
    if (tf.getKernel(k.name, backend) !== undefined || tf.getKernel(k.name, 'cpu') !== undefined) names.add(k.name);
  }
  return names;
}

/** The kernels an FS step, a MoCo v2 step and an eval-mode forward dispatch on the active backend (see the module comment). */
export async function trainingStepKernels(opts: StepOptions = {}): Promise<StepInventory> {
  const o = { arch: opts.arch ?? 'resnet18-w4', size: opts.size ?? 32, batch: opts.batch ?? 2 };
  const backend = tf.getBackend();
  const rig = stepRig(o);
  const steps = {} as Record<TrainingStepName, string[]>;
  try {
    for (const step of ['fs', 'moco', 'eval'] as const) {
      const profile = await tf.profile(() => rig.run(step));
      steps[step] = [...kernelNamesOf(profile, backend)].sort();
    }
  } finally {
    rig.dispose();
  }
  return { backend, ...o, steps, kernels: [...new Set(Object.values(steps).flat())].sort() };
}

/** Backends with FundusLab's fused kernels (kernels/index.ts): a training step there must use them. */
const FUSED_BACKENDS: readonly string[] = ['wasm', 'webgpu'];

export const KERNEL_TOLERANCE = 1e-4;
export const ERROR_MEASURE =
  '‖a − b‖∞ / ‖b‖∞ per output (b: the cpu backend; ‖a − b‖∞ when b is all zeros), the worst output; integer and boolean outputs must be equal';

export interface CaseCheck {
  label: string;
  /** Forward error (see ERROR_MEASURE); null when the case failed to run. */
  forward: number | null;
  /** Gradient error, null without a gradient check (or when the case failed to run). */
  gradient: number | null;
  /** The case dispatched its kernel on the active backend. */
  dispatched: boolean;
  /** Wall time of the active backend's forward and gradient, ms (first use includes compiling shaders). */
  ms: number;
  /** Why the case failed to run. */
  error?: string;
}

export interface KernelCheck {
  kernel: string;
  /** The training steps that dispatch it (empty: a FundusLab kernel the steps should have used but did not). */
  steps: TrainingStepName[];
  /** A kernel function is registered for the active backend. */
  registered: boolean;
  /** One of FundusLab's own kernels. */
  funduslab: boolean;
  cases: CaseCheck[];
  /** What is wrong (empty when the kernel passes). */
  problems: string[];
  ok: boolean;
}

export interface KernelCheckReport {
  backend: string;
  tolerance: number;
  measure: string;
  inventory: StepInventory;
  kernels: KernelCheck[];
  /** Kernels with problems. */
  failed: string[];
  ok: boolean;
  durationMs: number;
}

export interface KernelCheckOptions {
  tolerance?: number;
  /** The inventory to check (default: trainingStepKernels(step) on the active backend). */
  inventory?: StepInventory;
  step?: StepOptions;
  /** Check only these kernels of the inventory. */
  only?: readonly string[];
  /** The cases per kernel (default KERNEL_CASES; tests pass deliberately wrong ones). */
  cases?: readonly KernelCase[];
  onProgress?: (message: string) => void;
}

/** The error measure of ERROR_MEASURE for one output. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    // NaN on either side (but not both) is an infinite difference.
    diff = Math.max(diff, Number.isNaN(d) ? (Number.isNaN(actual[i]!) && Number.isNaN(expected[i]!) ? 0 : Infinity) : d);
    if (!Number.isNaN(expected[i]!)) scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

interface Outputs {
  values: { data: ArrayLike<number>; dtype: string; shape: number[] }[];
  grads: ArrayLike<number>[] | null;
  kernels: Set<string>;
  ms: number;
}

function caseValues(c: KernelCase, seed: number): CaseValues {
  const values: CaseValues = {};
  let k = 0;
  for (const [name, spec] of Object.entries(c.inputs)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const rand = mulberry32(seed * 131 + k++);
    if (spec.dtype === 'int32') {
      values[name] = Int32Array.from({ length: size }, () => Math.floor(rand() * (spec.max ?? 2)));
    } else if (spec.levels !== undefined) {
      values[name] = Float32Array.from({ length: size }, () => Math.floor(rand() * spec.levels!));
    } else {
      const z = normals(seed * 131 + k + 1000, size, spec.std ?? 1);
      values[name] = spec.positive ? z.map((v) => Math.abs(v) + 0.1) : z.map((v) => v + (spec.mean ?? 0));
    }
  }
  return values;
}

/** Puts a tensor's data on the device (webgpu computes tensors still on the CPU that are small with its CPU code). */
function onDevice(t: Tensor): Tensor {
  const b = tf.backend() as { uploadToGPU?: (dataId: object) => void };
  b.uploadToGPU?.(t.dataId);
  return t;
}

const asList = (t: Tensor | Tensor[]): Tensor[] => (Array.isArray(t) ? t : [t]);

/** Runs one case on the current backend: outputs, gradients (when the case has a gradient check), dispatched kernels. */
async function runCase(c: KernelCase, seed: number, reference: boolean): Promise<Outputs> {
  const values = caseValues(c, seed);
  const tensors: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(c.inputs))
    tensors[name] = onDevice(tf.tensor(values[name]!, spec.shape, spec.dtype ?? 'float32'));
  const fn = reference && c.reference ? c.reference : c.run;
  const started = performance.now();
  try {
    let outputs: Tensor[] = [];
    const profile = await tf.profile(() => {
      outputs = tf.tidy(() => asList(fn(tensors, values)));
      return outputs;
    });
    const read = await Promise.all(outputs.map(async (t) => ({ data: await t.data(), dtype: t.dtype, shape: [...t.shape] })));
    let grads: ArrayLike<number>[] | null = null;
    if (c.grad) {
      const used = outputs.slice(0, c.gradOutputs ?? outputs.length);
      const weights = used.map((t, i) => tf.tensor(normals(seed * 977 + i, t.size), t.shape, 'float32'));
      const names = c.grad;
      const g = tf.tidy(() =>
        tf.grads((...xs: Tensor[]) => {
          const inputs = { ...tensors, ...Object.fromEntries(names.map((n, i) => [n, xs[i]!])) };
          const outs = asList(fn(inputs, values));
          tf.dispose(outs.slice(used.length));
          return tf.addN(outs.slice(0, used.length).map((o, i) => tf.sum(tf.mul(o, weights[i]!)))) as Scalar;
        })(names.map((n) => tensors[n]!)),
      );
      grads = await Promise.all(g.map((t) => t.data()));
      tf.dispose([...g, ...weights]);
    }
    tf.dispose(outputs);
    return { values: read, grads, kernels: new Set(profile.kernelNames), ms: performance.now() - started };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

function compare(actual: Outputs, expected: Outputs): { forward: number; gradient: number | null } {
  let forward = actual.values.length === expected.values.length ? 0 : Infinity;
  actual.values.forEach((a, i) => {
    const e = expected.values[i];
    if (!e || a.shape.join() !== e.shape.join()) forward = Infinity;
    else if (a.dtype !== 'float32' || e.dtype !== 'float32')
      forward = Math.max(forward, relativeError(a.data, e.data) === 0 ? 0 : Infinity);
    else forward = Math.max(forward, relativeError(a.data, e.data));
  });
  let gradient: number | null = null;
  if (actual.grads && expected.grads) {
    gradient = actual.grads.length === expected.grads.length ? 0 : Infinity;
    actual.grads.forEach((g, i) => (gradient = Math.max(gradient!, relativeError(g, expected.grads![i] ?? []))));
  }
  return { forward, gradient };
}

/**
 * Checks every kernel of the training steps' inventory on the active backend against the cpu
 * backend (see the module comment). Never throws for a failing kernel: the report says what failed.
 */
export async function runKernelChecks(opts: KernelCheckOptions = {}): Promise<KernelCheckReport> {
  const started = performance.now();
  const tolerance = opts.tolerance ?? KERNEL_TOLERANCE;
  const backend = tf.getBackend();
  const progress = opts.onProgress ?? (() => undefined);
  // The webgpu backend warns once that kernel times need the timestamp-query feature; the check does not time kernels.
  const quiet = tf.backend() as { hasTimestampQueryWarned?: boolean };
  if (quiet.hasTimestampQueryWarned === false) quiet.hasTimestampQueryWarned = true;
  progress(`recording the kernels of an FS step, a MoCo v2 step and an eval forward on ${backend}`);
  const inventory = opts.inventory ?? (await trainingStepKernels(opts.step));
  const stepsOf = (kernel: string) =>
    (Object.keys(inventory.steps) as TrainingStepName[]).filter((s) => inventory.steps[s].includes(kernel));
  const fused: readonly string[] = FUSED_BACKENDS.includes(backend) ? FUNDUSLAB_TRAINING_KERNELS : [];
  const names = [...new Set([...inventory.kernels, ...fused])].filter((k) => !opts.only || opts.only.includes(k));
  const allCases = opts.cases ?? KERNEL_CASES;
  const checks: KernelCheck[] = names.map((kernel) => ({
    kernel,
    steps: stepsOf(kernel),
    registered: tf.getKernel(kernel, backend) !== undefined,
    funduslab: (FUNDUSLAB_TRAINING_KERNELS as readonly string[]).includes(kernel),
    cases: [],
    problems: [],
    ok: false,
  }));
  const planned = checks.flatMap((check) => allCases.filter((c) => c.kernel === check.kernel).map((c) => ({ check, c })));
  const results: (Outputs | string)[] = [];
  for (const [i, { c }] of planned.entries()) {
    progress(`${backend}: ${c.kernel} — ${c.label}`);
    results.push(await runCase(c, i + 1, false).catch((err: unknown) => (err instanceof Error ? err.message : String(err))));
  }
  const references: (Outputs | string)[] = [];
  if (planned.length > 0) {
    progress('reference values on the cpu backend');
    await setCpuBackend();
    try {
      for (const [i, { c }] of planned.entries())
        references.push(await runCase(c, i + 1, true).catch((err: unknown) => (err instanceof Error ? err.message : String(err))));
    } finally {
      await tf.setBackend(backend);
    }
  }
  planned.forEach(({ check, c }, i) => {
    const got = results[i]!;
    const ref = references[i]!;
    if (typeof got === 'string' || typeof ref === 'string') {
      const error = typeof got === 'string' ? `on ${backend}: ${got}` : `on cpu: ${ref}`;
      check.cases.push({
        label: c.label,
        forward: null,
        gradient: null,
        dispatched: typeof got !== 'string' && got.kernels.has(c.kernel),
        ms: 0,
        error,
      });
      return;
    }
    check.cases.push({ label: c.label, ...compare(got, ref), dispatched: got.kernels.has(c.kernel), ms: Math.round(got.ms) });
  });
  for (const check of checks) {
    const p = check.problems;
    if (!check.registered) p.push(`not registered for ${backend}`);
    if (fused.includes(check.kernel) && check.steps.length === 0)
      p.push(`the training steps did not use it on ${backend} (a tfjs-op composite ran instead)`);
    if (check.cases.length === 0) p.push('no check is defined for this kernel (kernel-cases.ts)');
    for (const r of check.cases) {
      if (r.error) p.push(`${r.label}: failed to run ${r.error}`);
      else {
        if (!r.dispatched) p.push(`${r.label}: did not dispatch ${check.kernel} on ${backend}`);
        if (!(r.forward! <= tolerance)) p.push(`${r.label}: forward error ${fmt(r.forward!)} > ${tolerance}`);
        if (r.gradient !== null && !(r.gradient <= tolerance)) p.push(`${r.label}: gradient error ${fmt(r.gradient)} > ${tolerance}`);
      }
    }
    check.ok = p.length === 0;
  }
  const failed = checks.filter((c) => !c.ok).map((c) => c.kernel);
  return {
    backend,
    tolerance,
    measure: ERROR_MEASURE,
    inventory,
    kernels: checks,
    failed,
    ok: failed.length === 0,
    durationMs: Math.round(performance.now() - started),
  };
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : String(x));
