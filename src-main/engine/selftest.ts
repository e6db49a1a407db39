/**
 * Engine self-test: trains a small ResNet-style conv net on a fixed synthetic batch on the active
 * backend, times forward passes and training steps, and checks the numbers are right — the loss
 * falls, forward passes are deterministic, and the first step's gradients match the JavaScript CPU
 * reference computed from the same weights.
 *
 * Network: conv3x3 s1 (3→8) → relu → conv3x3 s2 (8→16) → batch norm (batch statistics) → relu →
 * maxPool 3x3 s2 'same' → global mean → dense 16→5, softmax cross-entropy, Adam.
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs';
import type { BackendName, SelfTestParams, SelfTestResult } from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import { throwIfCancelled, type JobContext } from '../job-context';
import { engineStatus, setCpuBackend } from './backend';
import { mulberry32 } from '../random/prng';

const CLASSES = 5;
const SEED = 20220513;
const LEARNING_RATE = 0.01;
/**
 * Largest accepted gradient difference vs the CPU reference (see gradientRelDiff). It holds for
 * webgpu too: WGSL computes in float32 (no TF32), measured ≈ 5e-7 on Mesa's software adapter.
 */
const GRADIENT_TOLERANCE = 1e-3;
/** TensorFlow on GPUs may compute convolutions in TF32 (10-bit mantissa), so allow more there. */
const GRADIENT_TOLERANCE_GPU = 2e-2;

/** Parameter shapes of the self-test net, in a fixed order. */
const PARAM_SHAPES = {
  conv1: [3, 3, 3, 8],
  conv2: [3, 3, 8, 16],
  bnGamma: [16],
  bnBeta: [16],
  dense: [16, CLASSES],
  denseBias: [CLASSES],
} as const;
type ParamName = keyof typeof PARAM_SHAPES;
const PARAM_NAMES = Object.keys(PARAM_SHAPES) as ParamName[];

type Params = Record<ParamName, Tensor>;
type ParamValues = Record<ParamName, Float32Array>;

/** Weights and data come from the seeded PRNG, so they are identical on every backend. */
const prng = mulberry32;

/** Standard normal samples (Box-Muller) from a uniform PRNG. */
function normals(rand: () => number, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** He-initialised weights, ones/zeros for batch norm, zeros for the dense bias. */
function initialWeights(): ParamValues {
  const rand = prng(SEED);
  const he = (shape: readonly number[], fanIn: number) => normals(rand, product(shape), Math.sqrt(2 / fanIn));
  return {
    conv1: he(PARAM_SHAPES.conv1, 3 * 3 * 3),
    conv2: he(PARAM_SHAPES.conv2, 3 * 3 * 8),
    bnGamma: new Float32Array(16).fill(1),
    bnBeta: new Float32Array(16),
    dense: he(PARAM_SHAPES.dense, 16),
    denseBias: new Float32Array(CLASSES),
  };
}

/**
 * A fixed batch in which each class has its own colour cast and stripe orientation on top of
 * noise, so a working training loop must lower the loss within a few steps.
 */
function syntheticBatch(size: number, batch: number): { images: Float32Array; labels: Float32Array } {
  const rand = prng(SEED + 1);
  const images = new Float32Array(batch * size * size * 3);
  const labels = new Float32Array(batch * CLASSES);
  for (let n = 0; n < batch; n++) {
    const label = n % CLASSES;
    labels[n * CLASSES + label] = 1;
    const angle = (label * Math.PI) / CLASSES;
    const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const stripe = Math.sin(((x * dx + y * dy) * 2 * Math.PI) / 6);
        for (let c = 0; c < 3; c++) {
          const cast = c === label % 3 ? 0.5 : -0.25;
          images[((n * size + y) * size + x) * 3 + c] = cast + 0.5 * stripe + 0.3 * (rand() - 0.5);
        }
      }
    }
  }
  return { images, labels };
}

function forwardLoss(p: Params, images: Tensor4D, labels: Tensor2D): Scalar {
  return tf.tidy(() => {
    let h: Tensor4D = tf.relu(tf.conv2d(images, p.conv1 as Tensor4D, 1, 'same'));
    h = tf.conv2d(h, p.conv2 as Tensor4D, 2, 'same');
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = tf.relu(tf.batchNorm(h, mean, variance, p.bnBeta as Tensor1D, p.bnGamma as Tensor1D, 1e-5)) as Tensor4D;
    h = tf.maxPool(h, 3, 2, 'same');
    const pooled = tf.mean(h, [1, 2]) as Tensor2D;
    const logits = tf.add(tf.matMul(pooled, p.dense as Tensor2D), p.denseBias);
    return tf.losses.softmaxCrossEntropy(labels, logits) as Scalar;
  });
}

/** The loss and its gradient for each parameter, read back (asynchronously) to plain arrays. */
async function gradientsAt(values: ParamValues, images: Float32Array, labels: Float32Array, size: number, batch: number) {
  const vars = makeVariables(values);
  const x = tf.tensor4d(images, [batch, size, size, 3]);
  const y = tf.tensor2d(labels, [batch, CLASSES]);
  const { value, grads } = tf.variableGrads(
    () => forwardLoss(vars, x, y),
    PARAM_NAMES.map((n) => vars[n] as Variable),
  );
  try {
    return await readGradients(vars, value, grads);
  } finally {
    tf.dispose([x, y, value, ...Object.values(grads), ...Object.values(vars)]);
  }
}

/** Loss and gradients as plain arrays, read back asynchronously (the caller disposes the tensors). */
async function readGradients(vars: Record<ParamName, Variable>, value: Scalar, grads: Record<string, Tensor>) {
  const out = {} as ParamValues;
  for (const name of PARAM_NAMES) out[name] = (await gradOf(grads, vars[name]).data()) as Float32Array;
  return { loss: (await value.data())[0] ?? Number.NaN, grads: out };
}

function gradOf(grads: Record<string, Tensor>, variable: Tensor): Tensor {
  const g = grads[(variable as Variable).name];
  if (!g) throw new Error(`Self-test: no gradient for ${(variable as Variable).name}`);
  return g;
}

let runCounter = 0;
function makeVariables(values: ParamValues): Record<ParamName, Variable> {
  const run = ++runCounter;
  const out = {} as Record<ParamName, Variable>;
  for (const name of PARAM_NAMES) {
    const initial = tf.tensor(values[name], [...PARAM_SHAPES[name]]);
    out[name] = tf.variable(initial, true, `selftest_${run}_${name}`);
    initial.dispose(); // the variable keeps its own reference to the data
  }
  return out;
}

/**
 * Largest relative gradient difference over all parameters: for each parameter tensor,
 * max|a − b| / max|b| (∞-norm of the difference over ∞-norm of the reference), then the maximum
 * over tensors. A zero reference counts as 0 if a is zero too, else as the absolute difference.
 */
export function gradientRelDiff(active: ParamValues, reference: ParamValues): number {
  let worst = 0;
  for (const name of PARAM_NAMES) {
    const a = active[name];
    const b = reference[name];
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i++) {
      diff = Math.max(diff, Math.abs((a[i] ?? Number.NaN) - (b[i] ?? 0)));
      scale = Math.max(scale, Math.abs(b[i] ?? 0));
    }
    const rel = scale > 0 ? diff / scale : diff;
    worst = Math.max(worst, Number.isNaN(rel) ? Number.POSITIVE_INFINITY : rel);
  }
  return worst;
}

/** Lets a pending cancel (or progress message) through, then stops if the job was cancelled. */
async function checkpoint(ctx: JobContext): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfCancelled(ctx);
}

/**
 * Runs the self-test on the engine's active backend. The engine must be initialised (initEngine).
 * Throws AppError CANCELLED when ctx.signal is aborted. Leaves no tensors behind and tfjs on the
 * backend it was on (the CPU reference step switches to 'cpu' and back).
 */
export async function runSelfTest(params: SelfTestParams, ctx: JobContext): Promise<SelfTestResult> {
  const status = engineStatus();
  if (!status) throw new AppError('INTERNAL', 'Self-test: the engine is not initialised (call initEngine first)');
  const callerTfjs = tf.getBackend();
  const tensorsBefore = tf.memory().numTensors;
  let measured: Omit<SelfTestResult, 'passed'>;
  try {
    if (callerTfjs !== status.tfjsBackend) await tf.setBackend(status.tfjsBackend);
    measured = await measure(status.active, status.tfjsBackend, params, ctx);
  } finally {
    if (tf.getBackend() !== callerTfjs) await tf.setBackend(callerTfjs);
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  const checks = [
    ...measured.checks,
    {
      name: 'no tensors leaked',
      passed: leaked === 0,
      detail:
        leaked === 0
          ? `tensor count back to ${tensorsBefore}`
          : `${leaked} tensors left behind (${tensorsBefore} before, ${tf.memory().numTensors} after)`,
    },
  ];
  return { ...measured, checks, passed: checks.every((c) => c.passed) };
}

/** The self-test proper, on `tfjsBackend` (already active); every check but the leak check. */
async function measure(
  backend: BackendName,
  tfjsBackend: string,
  params: SelfTestParams,
  ctx: JobContext,
): Promise<Omit<SelfTestResult, 'passed'>> {
  const { size, batch, steps } = params;
  const total = 2 + 2 * steps;
  let done = 0;
  const weights = initialWeights();
  const data = syntheticBatch(size, batch);

  // 1. CPU reference gradients from the initial weights.
  ctx.progress(done, total, 'computing CPU reference gradients');
  await checkpoint(ctx);
  let reference: ParamValues | null = null;
  if (tfjsBackend !== 'cpu') {
    try {
      if (!(await setCpuBackend())) throw new Error("Self-test: tf.setBackend('cpu') failed");
      reference = (await gradientsAt(weights, data.images, data.labels, size, batch)).grads;
    } finally {
      await tf.setBackend(tfjsBackend);
    }
  }
  ctx.progress(++done, total, 'CPU reference done');

  const vars = makeVariables(weights);
  const varList = PARAM_NAMES.map((n) => vars[n]);
  const images = tf.tensor4d(data.images, [batch, size, size, 3]);
  const labels = tf.tensor2d(data.labels, [batch, CLASSES]);
  const optimizer = tf.train.adam(LEARNING_RATE);
  const readLoss = async (loss: Scalar | null): Promise<number> => {
    if (!loss) throw new Error('Self-test: the optimizer returned no loss');
    const value = (await loss.data())[0] ?? Number.NaN;
    loss.dispose();
    return value;
  };

  try {
    // 2. Warm-up: the first training step, whose gradients are compared with the reference.
    await checkpoint(ctx);
    const { value, grads } = tf.variableGrads(() => forwardLoss(vars, images, labels), varList);
    let first: { loss: number; grads: ParamValues };
    try {
      first = await readGradients(vars, value, grads);
      optimizer.applyGradients(PARAM_NAMES.map((n) => ({ name: vars[n].name, tensor: gradOf(grads, vars[n]) })));
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
    const lossFirst = first.loss;
    const gradientMaxRelDiffVsCpu = reference ? gradientRelDiff(first.grads, reference) : null;
    ctx.progress(++done, total, 'warm-up step done');

    // 3. Timed forward passes (weights unchanged, so every pass must give the same loss).
    const forwardLosses: number[] = [];
    let forwardMs = 0;
    for (let i = 0; i < steps; i++) {
      await checkpoint(ctx);
      const t0 = performance.now();
      forwardLosses.push(await readLoss(forwardLoss(vars, images, labels)));
      forwardMs += performance.now() - t0;
      ctx.progress(++done, total, `forward pass ${i + 1}/${steps}`);
    }

    // 4. Timed training steps (forward + backward + Adam update).
    const trainLosses: number[] = [];
    let trainMs = 0;
    for (let i = 0; i < steps; i++) {
      await checkpoint(ctx);
      const t0 = performance.now();
      trainLosses.push(await readLoss(optimizer.minimize(() => forwardLoss(vars, images, labels), true, varList)));
      trainMs += performance.now() - t0;
      ctx.progress(++done, total, `training step ${i + 1}/${steps}`);
    }
    const lossLast = await readLoss(forwardLoss(vars, images, labels));

    const forwardMsPerBatch = forwardMs / steps;
    const trainMsPerBatch = trainMs / steps;
    return {
      backend,
      size,
      batch,
      steps,
      forwardMsPerBatch,
      trainMsPerBatch,
      forwardImagesPerSecond: (batch * 1000) / forwardMsPerBatch,
      trainImagesPerSecond: (batch * 1000) / trainMsPerBatch,
      lossFirst,
      lossLast,
      gradientMaxRelDiffVsCpu,
      checks: numericChecks(backend, steps, { lossFirst, lossLast, forwardLosses, trainLosses, gradientMaxRelDiffVsCpu }),
    };
  } finally {
    optimizer.dispose();
    tf.dispose([images, labels, ...varList]);
  }
}

function numericChecks(
  backend: BackendName,
  steps: number,
  r: { lossFirst: number; lossLast: number; forwardLosses: number[]; trainLosses: number[]; gradientMaxRelDiffVsCpu: number | null },
): SelfTestResult['checks'] {
  const allLosses = [r.lossFirst, ...r.forwardLosses, ...r.trainLosses, r.lossLast];
  const nonFinite = allLosses.filter((l) => !Number.isFinite(l));
  const forwardSpread = Math.max(...r.forwardLosses) - Math.min(...r.forwardLosses);
  const tolerance = backend === 'tensorflow-gpu' ? GRADIENT_TOLERANCE_GPU : GRADIENT_TOLERANCE;
  const diff = r.gradientMaxRelDiffVsCpu;
  return [
    {
      name: 'loss is finite',
      passed: nonFinite.length === 0,
      detail: nonFinite.length === 0 ? `${allLosses.length} losses, all finite` : `non-finite losses: ${nonFinite.join(', ')}`,
    },
    {
      name: 'forward pass is deterministic',
      passed: forwardSpread <= 1e-5 * Math.max(1, Math.abs(r.forwardLosses[0] ?? 0)),
      detail: `${steps} forward passes with the same weights, loss spread ${forwardSpread.toExponential(2)}`,
    },
    {
      name: 'loss falls when training',
      passed: r.lossLast < r.lossFirst,
      detail: `loss ${r.lossFirst.toFixed(4)} → ${r.lossLast.toFixed(4)} after ${steps + 1} Adam steps (lr ${LEARNING_RATE})`,
    },
    diff === null
      ? { name: 'gradients match the CPU reference', passed: true, detail: 'not compared: the active backend is the CPU reference' }
      : {
          name: 'gradients match the CPU reference',
          passed: diff <= tolerance,
          detail: `max relative difference ${diff.toExponential(2)} (max|Δ|/max|ref| per tensor; tolerance ${tolerance})`,
        },
  ];
}
