/**
 * How kernel-check.ts exercises each kernel a training step uses: seeded inputs of the shapes the
 * step gives the kernel (tiny ResNet layers, the MoCo head and queue; each large enough that
 * backends which compute tiny tensors on the CPU run their own code), the ops that dispatch the
 * kernel with the step's attributes, and which inputs the gradient check differentiates (the
 * kernels a step differentiates; gradient-only kernels such as Conv2DBackpropInput are checked by
 * their forward and are what the gradient checks of Conv2D etc. dispatch).
 *
 * FundusLab's own kernels have no cpu implementation: their reference on the cpu backend is what the
 * model or optimizer computes there, the tfjs-op composite (models/resnet.ts batchNormTrain, the
 * AdamW and SGD classes).
 */
import tf from '@tensorflow/tfjs';
import type { NamedAttrMap, NamedTensorMap, Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { BN_EPS } from './models/resnet-spec';
import { batchNormTrain } from './models/resnet';
import { AdamW } from './optim/adamw';
import { Sgd } from './optim/sgd';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/wasm/BatchNormTrain';
import { ADAMW, MOMENTUM, SGD } from './kernels/wasm/Optimizers';
import { momentumUpdate } from './moco/moco';
import { CONV_RESIDUAL, convResidual } from './kernels/wasm/Conv2D';
import { ADD_RELU, addRelu, RELU_GRAD } from './kernels/wasm/AddRelu';

/**
 * A seeded input: normal float32 values (mean, std), |normal| + 0.1 (positive), small integers as
 * float32 (levels) or int32 indices below `max`.
 */
export interface InputSpec {
  shape: number[];
  dtype?: 'float32' | 'int32';
  mean?: number;
  std?: number;
  positive?: boolean;
  /** float32 values from {0, 1, …, levels − 1} (for comparisons with ties). */
  levels?: number;
  /** int32 values in [0, max). */
  max?: number;
}

export type CaseValues = Record<string, Float32Array | Int32Array>;

export interface KernelCase {
  kernel: string;
  /** What is computed, with the shapes (shown in reports). */
  label: string;
  inputs: Record<string, InputSpec>;
  /** The ops on the active backend; must dispatch `kernel`. */
  run(t: Record<string, Tensor>, values: CaseValues): Tensor | Tensor[];
  /** The same on the cpu backend, when `run` cannot be (FundusLab kernels: the tfjs-op composite). */
  reference?(t: Record<string, Tensor>, values: CaseValues): Tensor | Tensor[];
  /** Inputs to differentiate Σ outputᵢ·wᵢ (random wᵢ) with respect to; none: no gradient check. */
  grad?: string[];
  /** Only the first `gradOutputs` outputs enter the gradient check's loss (default all; the others are disposed). */
  gradOutputs?: number;
}

const f = (shape: number[], extra: Omit<InputSpec, 'shape'> = {}): InputSpec => ({ shape, ...extra });
const positive = (shape: number[]): InputSpec => ({ shape, positive: true });
const run = (kernel: string, inputs: Record<string, Tensor>, attrs: object): Tensor | Tensor[] =>
  tf.engine().runKernel(kernel, inputs as NamedTensorMap, attrs as NamedAttrMap);

/** Conv2D attributes of ResNet's convolutions (symmetric explicit padding as PyTorch's). */
interface ConvShape {
  name: string;
  x: [number, number, number, number];
  k: number;
  out: number;
  stride: number;
  pad: number;
}
const CONVS: ConvShape[] = [
  { name: 'stem 7x7/2', x: [2, 32, 32, 3], k: 7, out: 8, stride: 2, pad: 3 },
  { name: '3x3/1', x: [2, 16, 16, 8], k: 3, out: 16, stride: 1, pad: 1 },
  { name: 'downsample 1x1/2', x: [2, 16, 16, 16], k: 1, out: 32, stride: 2, pad: 0 },
];
const explicitPad = (p: number): [[number, number], [number, number], [number, number], [number, number]] => [
  [0, 0],
  [p, p],
  [p, p],
  [0, 0],
];
const outSize = (c: ConvShape): number => Math.floor((c.x[1] + 2 * c.pad - c.k) / c.stride) + 1;
const convAttrs = (c: ConvShape) => ({
  strides: [c.stride, c.stride],
  pad: explicitPad(c.pad),
  dataFormat: 'NHWC',
  dimRoundingMode: undefined,
});
const dyShape = (c: ConvShape): number[] => [c.x[0], outSize(c), outSize(c), c.out];
const label = (c: ConvShape) => `${c.name}: x [${c.x}], filter [${c.k},${c.k},${c.x[3]},${c.out}]`;

function convCases(): KernelCase[] {
  return CONVS.flatMap((c): KernelCase[] => [
    {
      kernel: 'Conv2D',
      label: label(c),
      inputs: { x: f(c.x), filter: f([c.k, c.k, c.x[3], c.out], { std: 0.2 }) },
      run: (t) => tf.conv2d(t.x as Tensor4D, t.filter as Tensor4D, c.stride, explicitPad(c.pad)),
      grad: ['x', 'filter'],
    },
    {
      kernel: 'Conv2DBackpropInput',
      label: label(c),
      inputs: { dy: f(dyShape(c)), filter: f([c.k, c.k, c.x[3], c.out], { std: 0.2 }) },
      run: (t) => run('Conv2DBackpropInput', { dy: t.dy!, filter: t.filter! }, { ...convAttrs(c), inputShape: c.x }),
    },
    {
      kernel: 'Conv2DBackpropFilter',
      label: label(c),
      inputs: { x: f(c.x), dy: f(dyShape(c)) },
      run: (t) => run('Conv2DBackpropFilter', { x: t.x!, dy: t.dy! }, { ...convAttrs(c), filterShape: [c.k, c.k, c.x[3], c.out] }),
    },
    {
      kernel: 'FusedConv2D',
      label: `${label(c)}, bias, relu (eval mode, BatchNorm folded)`,
      inputs: { x: f(c.x), filter: f([c.k, c.k, c.x[3], c.out], { std: 0.2 }), bias: f([c.out]) },
      run: (t) =>
        tf.fused.conv2d({
          x: t.x as Tensor4D,
          filter: t.filter as Tensor4D,
          strides: c.stride,
          pad: explicitPad(c.pad),
          bias: t.bias!,
          activation: 'relu',
        }),
    },
  ]);
}

/** Train-mode BatchNorm(+ReLU) through batchNormTrain: the fused kernels where registered, the composite elsewhere. */
function batchNormTrainRun(relu: boolean) {
  return (t: Record<string, Tensor>): Tensor[] => {
    let stats: Tensor[] = [];
    const y = batchNormTrain(t.x as Tensor4D, t.gamma as Tensor1D, t.beta as Tensor1D, relu, (_n, mean, variance) => {
      // Kept: the statistics are made inside the op's own scope, which ends before this returns.
      stats = [tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance))];
    });
    return [y, ...stats];
  };
}

function batchNormCases(): KernelCase[] {
  const shapes: [number, number, number, number][] = [
    [2, 16, 16, 8],
    [4, 8, 8, 6],
    [2, 4, 4, 64],
  ];
  const vectors = (c: number) => ({ gamma: f([c], { mean: 1, std: 0.2 }), beta: f([c], { std: 0.2 }) });
  return shapes.flatMap((shape, i): KernelCase[] => {
    const relu = i !== 1;
    const c = shape[3];
    const what = `x [${shape}]${relu ? ' + ReLU' : ''}`;
    return [
      {
        kernel: BATCH_NORM_TRAIN,
        label: `${what}: y, batch mean and variance (cpu: the tfjs-op composite)`,
        // Activations with an offset: the statistics must not lose the variance to the mean.
        inputs: { x: f(shape, { mean: 3, std: 2 }), ...vectors(c) },
        run: batchNormTrainRun(relu),
        grad: ['x', 'gamma', 'beta'],
        gradOutputs: 1,
      },
      {
        kernel: BATCH_NORM_TRAIN_GRAD,
        label: `${what}: dx, dγ, dβ from the forward's statistics (cpu: the composite's gradient)`,
        inputs: { x: f(shape, { mean: 3, std: 2 }), dy: f(shape), ...vectors(c) },
        run: (t) => {
          const [, mean, , invStd] = run(
            BATCH_NORM_TRAIN,
            { x: t.x!, gamma: t.gamma!, beta: t.beta! },
            { epsilon: BN_EPS, relu },
          ) as Tensor[];
          return run(BATCH_NORM_TRAIN_GRAD, { dy: t.dy!, x: t.x!, mean: mean!, invStd: invStd!, gamma: t.gamma!, beta: t.beta! }, { relu });
        },
        reference: (t) =>
          tf.grads((x: Tensor, g: Tensor, b: Tensor) => batchNormTrain(x as Tensor4D, g as Tensor1D, b as Tensor1D, relu))(
            [t.x!, t.gamma!, t.beta!],
            t.dy,
          ),
      },
      {
        kernel: 'FusedBatchNorm',
        label: `x [${shape}] with running statistics (the composite and hooked paths)`,
        inputs: { x: f(shape), mean: f([c], { std: 0.5 }), variance: positive([c]), ...vectors(c) },
        run: (t) => tf.batchNorm(t.x!, t.mean as Tensor1D, t.variance as Tensor1D, t.beta as Tensor1D, t.gamma as Tensor1D, BN_EPS),
        grad: ['x', 'mean', 'variance', 'gamma', 'beta'],
      },
    ];
  });
}

/** The optimizers through their classes (fused kernels where registered, tfjs ops elsewhere), from a given state. */
function optimizerCases(): KernelCase[] {
  const shapes = [
    [3, 3, 8, 16],
    [16, 33],
  ];
  // The optimizers keep their state in variables named …/<parameter>/exp_avg etc.; a unique parameter name finds them.
  const stateVariable = (param: string, suffix: string): Tensor => {
    const found = Object.entries(tf.engine().registeredVariables).find(([name]) => name.endsWith(`/${param}/${suffix}`));
    if (!found) throw new Error(`no optimizer state variable …/${param}/${suffix}`);
    return tf.clone(found[1]);
  };
  const unique = (what: string) => `kernelcheck_${what}_${Math.random().toString(36).slice(2)}`;
  const adamw = (decay: boolean, shape: number[]): KernelCase => ({
    kernel: ADAMW,
    label: `AdamW step 3 of a [${shape}] parameter, weight decay ${decay ? '0.05' : 'off'} (cpu: the tfjs ops)`,
    inputs: { param: f(shape), grad: f(shape, { std: 0.1 }), m: f(shape, { std: 0.01 }), v: positive(shape) },
    run: (t, v) => {
      const name = unique('adamw');
      const param = tf.variable(t.param!, true, `${name}/param`);
      const opt = new AdamW(new Map([[name, param]]), { lr: 3e-3, weightDecay: decay ? 0.05 : 0 });
      try {
        const expAvgSq = (v.v as Float32Array).map((x) => x * 1e-4);
        opt.loadState({
          format: 'funduslab.adamw/1',
          lr: 3e-3,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0.05,
          params: { [name]: { step: 2, shape, expAvg: v.m as Float32Array, expAvgSq } },
        });
        opt.step({ [name]: t.grad! });
        return [tf.clone(param), stateVariable(name, 'exp_avg'), stateVariable(name, 'exp_avg_sq')];
      } finally {
        opt.dispose();
        param.dispose();
      }
    },
  });
  const sgd = (first: boolean, shape: number[]): KernelCase => ({
    kernel: SGD,
    label: `SGD (momentum 0.9, weight decay 1e-4) ${first ? 'first step' : 'step 5'} of a [${shape}] parameter (cpu: the tfjs ops)`,
    inputs: { param: f(shape), grad: f(shape, { std: 0.1 }), buf: f(shape, { std: 0.1 }) },
    run: (t, v) => {
      const name = unique('sgd');
      const param = tf.variable(t.param!, true, `${name}/param`);
      const opt = new Sgd(new Map([[name, param]]), { lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
      try {
        if (!first)
          opt.loadState({
            format: 'funduslab.sgd/1',
            lr: 0.03,
            momentum: 0.9,
            weightDecay: 1e-4,
            params: { [name]: { step: 4, shape, momentumBuffer: v.buf as Float32Array } },
          });
        opt.step({ [name]: t.grad! });
        return [tf.clone(param), stateVariable(name, 'momentum_buffer')];
      } finally {
        opt.dispose();
        param.dispose();
      }
    },
  });
  return [adamw(true, shapes[0]!), adamw(false, shapes[1]!), sgd(true, shapes[1]!), sgd(false, shapes[0]!)];
}

/** ResNet's pooling: 3x3/2 max pool with padding 1 after the stem, global average pool. */
function poolCases(): KernelCase[] {
  const x: [number, number, number, number] = [2, 16, 16, 8];
  return [
    {
      kernel: 'MaxPool',
      label: `3x3/2 pad 1 of [${x}]`,
      inputs: { x: f(x) },
      run: (t) => tf.maxPool(t.x as Tensor4D, 3, 2, 1),
      grad: ['x'],
    },
    {
      kernel: 'MaxPoolGrad',
      label: `3x3/2 pad 1 of [${x}]`,
      inputs: { x: f(x), dy: f([2, 8, 8, 8]) },
      run: (t) =>
        run(
          'MaxPoolGrad',
          { dy: t.dy!, input: t.x!, output: tf.maxPool(t.x as Tensor4D, 3, 2, 1) },
          { filterSize: 3, strides: 2, pad: 1, dimRoundingMode: undefined },
        ),
    },
    {
      kernel: 'Mean',
      label: `global average pool of [2,8,8,32] over H, W`,
      inputs: { x: f([2, 8, 8, 32]) },
      run: (t) => tf.mean(t.x!, [1, 2]),
      grad: ['x'],
    },
    {
      kernel: 'Mean',
      label: `batch mean of [2048] and of [2,16,16,8] over N, H, W (composite BatchNorm)`,
      inputs: { x: f([2048]), y: f([2, 16, 16, 8], { mean: 3 }) },
      run: (t) => [tf.mean(t.x!), tf.mean(t.y!, [0, 1, 2])],
      grad: ['x', 'y'],
    },
  ];
}

/** Element-wise and reduction kernels with the operand shapes of the steps (activations, biases, logits, the MoCo queue). */
function elementwiseCases(): KernelCase[] {
  const act = [2, 8, 8, 16];
  const unary = (kernel: string, op: (x: Tensor) => Tensor, spec: InputSpec, grad = true): KernelCase => ({
    kernel,
    label: `[${spec.shape}]`,
    inputs: { x: spec },
    run: (t) => op(t.x!),
    ...(grad ? { grad: ['x'] } : {}),
  });
  return [
    unary('Abs', tf.abs, f([64, 32])),
    unary('Exp', tf.exp, f([64, 33])),
    unary('Log', tf.log, positive([64, 33])),
    unary('Neg', tf.neg, f(act)),
    unary('Relu', tf.relu, f(act)),
    unary('Rsqrt', tf.rsqrt, positive([2048])),
    unary('Sqrt', tf.sqrt, positive([2048])),
    unary('Square', tf.square, f(act)),
    unary('Step', (x) => tf.step(x), f(act), false),
    unary('Identity', tf.clone, f(act)),
    unary('ZerosLike', tf.zerosLike, f(act), false),
    unary('Reshape', (x) => tf.reshape(x, [2, 64, 16]), f(act)),
    {
      kernel: 'Add',
      label: `[${act}] + [${act}] (residual) and + [16] (bias)`,
      inputs: { a: f(act), b: f(act), bias: f([16]) },
      run: (t) => [tf.add(t.a!, t.b!), tf.add(t.a!, t.bias!)],
      grad: ['a', 'b', 'bias'],
    },
    {
      kernel: 'Sub',
      label: `[${act}] − [${act}] and − [16]`,
      inputs: { a: f(act), b: f(act), mean: f([16]) },
      run: (t) => [tf.sub(t.a!, t.b!), tf.sub(t.a!, t.mean!)],
      grad: ['a', 'b', 'mean'],
    },
    {
      kernel: 'Multiply',
      label: `[${act}] · [${act}], · [16] and · scalar`,
      inputs: { a: f(act), b: f(act), scale: f([16]), s: f([]) },
      run: (t) => [tf.mul(t.a!, t.b!), tf.mul(t.a!, t.scale!), tf.mul(t.a!, t.s!)],
      grad: ['a', 'b', 'scale', 's'],
    },
    {
      kernel: 'RealDiv',
      label: `[64,16] / [64,1] (L2 normalisation) and [8,33] / scalar`,
      inputs: { a: f([64, 16]), norm: positive([64, 1]), b: f([32, 33]), s: positive([]) },
      run: (t) => [tf.div(t.a!, t.norm!), tf.div(t.b!, t.s!)],
      grad: ['a', 'norm', 'b', 's'],
    },
    {
      kernel: 'Maximum',
      label: '[64,1] ∨ 1e-12 (L2 normalisation)',
      inputs: { x: positive([2048, 1]) },
      run: (t) => tf.maximum(t.x!, 1e-12),
      grad: ['x'],
    },
    {
      kernel: 'Pow',
      label: '|x|² of [64,16] (vector norm)',
      inputs: { x: positive([64, 16]) },
      run: (t) => tf.pow(t.x!, 2),
      grad: ['x'],
    },
    {
      kernel: 'Sum',
      label: `[${act}] over N, H, W; [64,33] over rows; [64,16] over features`,
      inputs: { a: f(act), b: f([64, 33]), c: f([64, 16]) },
      run: (t) => [tf.sum(t.a!, [0, 1, 2]), tf.sum(t.b!, 1), tf.sum(t.c!, 1, true), tf.sum(t.b!)],
      grad: ['a', 'b', 'c'],
    },
    {
      kernel: 'Max',
      label: '[64,33] over rows (log-sum-exp, Acc@1)',
      inputs: { x: f([64, 33]) },
      run: (t) => tf.max(t.x!, 1),
      grad: ['x'],
    },
    {
      kernel: 'Greater',
      label: '[64,33] > [64,33] (Acc@1; ties included)',
      inputs: { a: f([64, 33], { levels: 4 }), b: f([64, 33], { levels: 4 }) },
      run: (t) => tf.greater(t.a!, t.b!),
    },
    {
      kernel: 'GreaterEqual',
      label: '[64,33] ≥ [64,33] (gradient of max and maximum; ties included)',
      inputs: { a: f([64, 33], { levels: 4 }), b: f([64, 33], { levels: 4 }) },
      run: (t) => tf.greaterEqual(t.a!, t.b!),
    },
    {
      kernel: 'Equal',
      label: '[64,33] = [64,33] (gradient of max; ties included)',
      inputs: { a: f([64, 33], { levels: 4 }), b: f([64, 33], { levels: 4 }) },
      run: (t) => tf.equal(t.a!, t.b!),
    },
    {
      kernel: 'Cast',
      label: 'bool [64,33] → float32 (Acc@1), int32 [2048] → float32',
      inputs: { a: f([64, 33]), b: f([64, 33]), i: { shape: [2048], dtype: 'int32', max: 5 } },
      run: (t) => [tf.cast(tf.greater(t.a!, t.b!), 'float32'), tf.cast(t.i!, 'float32')],
    },
  ];
}

/** Matrix products, slicing and layout kernels of the classifier, the MoCo head, InfoNCE and the queue. */
function layoutCases(): KernelCase[] {
  return [
    {
      kernel: 'BatchMatMul',
      label: 'fc [8,32]·[32,5]; MLP head [8,32]·[32,32]ᵀ; queue [8,16]·[16,64]',
      inputs: { a: f([8, 32]), w: f([32, 5]), h: f([32, 32]), q: f([8, 16]), queue: f([16, 64]) },
      run: (t) => [
        tf.matMul(t.a as Tensor2D, t.w as Tensor2D),
        tf.matMul(t.a as Tensor2D, t.h as Tensor2D, false, true),
        tf.matMul(t.q as Tensor2D, t.queue as Tensor2D),
      ],
      grad: ['a', 'w', 'h', 'q', 'queue'],
    },
    {
      kernel: 'Transpose',
      label: 'queue [64,16]ᵀ; [2,8,8,16] NHWC → NCHW',
      inputs: { queue: f([64, 16]), x: f([2, 8, 8, 16]) },
      run: (t) => [tf.transpose(t.queue!), tf.transpose(t.x!, [0, 3, 1, 2])],
      grad: ['queue', 'x'],
    },
    {
      kernel: 'Concat',
      label: 'logits [64,1] ‖ [64,32] along features; queue rows [8,16] ‖ [56,16]',
      inputs: { pos: f([64, 1]), neg: f([64, 32]), a: f([8, 16]), b: f([56, 16]) },
      run: (t) => [tf.concat([t.pos!, t.neg!], 1), tf.concat([t.a!, t.b!], 0)],
      grad: ['pos', 'neg', 'a', 'b'],
    },
    {
      kernel: 'Slice',
      label: '[64,33] → [64,1] and [64,32]; queue rows [64,16] → [8,16]',
      inputs: { logits: f([64, 33]), queue: f([64, 16]) },
      run: (t) => [tf.slice(t.logits!, [0, 0], [-1, 1]), tf.slice(t.logits!, [0, 1], [-1, -1]), tf.slice(t.queue!, [8, 0], [8, -1])],
      grad: ['logits', 'queue'],
    },
    {
      kernel: 'SplitV',
      label: '[64,33] into [64,1] and [64,32] (gradient of concat)',
      inputs: { x: f([64, 33]) },
      run: (t) => tf.split(t.x!, [1, 32], 1),
    },
    {
      kernel: 'PadV2',
      label: '[64,1] padded to [64,33] (gradient of slice)',
      inputs: { x: f([64, 1]) },
      run: (t) =>
        tf.pad(t.x!, [
          [0, 0],
          [0, 32],
        ]),
    },
    {
      kernel: 'GatherV2',
      // Not differentiated in a step: the class weights are constants (wasm has no UnsortedSegmentSum for its gradient).
      label: 'class weights [64] at targets [256]',
      inputs: { w: positive([64]), i: { shape: [256], dtype: 'int32', max: 64 } },
      run: (t) => tf.gather(t.w!, t.i!),
    },
    {
      kernel: 'OneHot',
      label: 'targets [256] to [256,5]',
      inputs: { i: { shape: [256], dtype: 'int32', max: 5 } },
      run: (t) => tf.oneHot(t.i as Tensor1D, 5),
    },
  ];
}

/**
 * Kernels of the MoCo v2 step added later (a case's inputs are seeded by its position, so new cases go last): the key-encoder
 * momentum update through momentumUpdate (the fused kernel where registered, tfjs ops elsewhere) and Less (gradient of the
 * log-sum-exp's shift, a maximum).
 */
function mocoCases(): KernelCase[] {
  const shape = [16, 33];
  return [
    {
      kernel: MOMENTUM,
      label: `MoCo key-encoder momentum update (m 0.999) of a [${shape}] parameter (cpu: the tfjs ops)`,
      inputs: { key: f(shape), query: f(shape) },
      run: (t) => {
        const key = tf.variable(t.key!, false);
        const query = tf.variable(t.query!, false);
        try {
          momentumUpdate(new Map([['w', key]]), new Map([['w', query]]), 0.999);
          return [tf.clone(key)];
        } finally {
          tf.dispose([key, query]);
        }
      },
    },
    {
      kernel: 'Less',
      label: '[64] < [64] (gradient of maximum; ties included)',
      inputs: { a: f([64], { levels: 4 }), b: f([64], { levels: 4 }) },
      run: (t) => tf.less(t.a!, t.b!),
    },
  ];
}

/**
 * A ResNet block's tail in eval mode (last conv with BatchNorm folded + shortcut + ReLU) as one kernel, FundusLabConvResidual
 * (wasm); on the cpu backend the three tfjs ops. 32 outputs, so the native kernels take it where they are built.
 */
function convResidualCases(): KernelCase[] {
  const c: ConvShape = { name: 'block tail 3x3/1', x: [2, 8, 8, 16], k: 3, out: 32, stride: 1, pad: 1 };
  const attrs = { strides: c.stride, pad: explicitPad(c.pad), relu: true };
  return [
    {
      kernel: CONV_RESIDUAL,
      label: `${label(c)}, bias, + residual, relu (eval mode, a block's last conv; cpu: the tfjs ops)`,
      inputs: { x: f(c.x), filter: f([c.k, c.k, c.x[3], c.out], { std: 0.2 }), bias: f([c.out]), residual: f(dyShape(c)) },
      run: (t) => convResidual(t.x as Tensor4D, t.filter as Tensor4D, t.bias!, t.residual as Tensor4D, attrs),
      grad: ['x', 'filter', 'bias', 'residual'],
    },
  ];
}

/** ReLU(a + b) at the end of every ResNet block: one kernel each way on wasm (kernels/wasm/AddRelu.ts), the tfjs ops on cpu. */
function addReluCases(): KernelCase[] {
  const shape = [2, 8, 8, 16];
  return [
    {
      kernel: ADD_RELU,
      label: `ReLU(a + b) of two [${shape}] activations (a block's shortcut; cpu: the tfjs ops)`,
      inputs: { a: f(shape), b: f(shape) },
      run: (t) => addRelu(t.a!, t.b!),
      grad: ['a', 'b'],
    },
    {
      kernel: RELU_GRAD,
      label: `its gradient: dy where y > 0 of [${shape}] (cpu: dy·step(y))`,
      inputs: { dy: f(shape), y: f(shape) },
      run: (t) => run(RELU_GRAD, { dy: t.dy!, y: t.y! }, {}),
      reference: (t) => tf.mul(t.dy!, tf.step(t.y!)),
    },
  ];
}

/** Every case, by kernel. */
export const KERNEL_CASES: readonly KernelCase[] = [
  ...convCases(),
  ...batchNormCases(),
  ...optimizerCases(),
  ...poolCases(),
  ...elementwiseCases(),
  ...layoutCases(),
  ...mocoCases(),
  ...convResidualCases(),
  ...addReluCases(),
];
