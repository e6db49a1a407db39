/**
 * ResNet on tfjs-core ops (NHWC), numerically equivalent to torchvision's ResNet in eval and train
 * mode, with every parameter addressable by its torchvision state_dict key.
 *
 * - Convolutions use explicit symmetric padding (PyTorch's), never 'same' (tfjs pads stride-2
 *   'same' convolutions asymmetrically).
 * - Eval mode, no hook: each BatchNorm is folded into its conv (W·γ/√(σ²+ε), bias β−μ·γ/√(σ²+ε))
 *   into one `fused.conv2d` per conv+BN(+ReLU). The folded filters are cached (one extra copy of
 *   the conv weights) until a variable changes; `clearFoldCache()` frees them. A block's last conv,
 *   its shortcut addition and ReLU are one `convResidual` (one kernel on wasm).
 * - Non-finite weights give NaN logits as in PyTorch on every backend in eval mode: with
 *   `nonFiniteWeights` set, on wasm and webgpu ReLU is neither fused into the convolution nor
 *   `tf.relu` but `reluNaN`, and the stem's max pooling is `maxPoolNaN`. The wasm backend runs
 *   ReLU (fused or not) through XNNPACK's clamp to [0, +∞), whose WebAssembly SIMD micro-kernels
 *   (the x86 flavour, chosen on x86 hosts) compute max(0, x) as the pseudo-maximum
 *   `wasm_f32x4_pmax(0, x)` = (0 < x ? x : 0), which is 0 for x = NaN. A conv whose weights are all
 *   +∞ sums +∞ and −∞ products into NaN; the clamp turned every NaN into 0, and the network then
 *   gave finite logits (P(referable) 0.3278 instead of PyTorch's NaN). The webgpu backend's ReLU
 *   and maxPool (WGSL max, whose NaN result the WGSL specification leaves to the implementation)
 *   drop NaN too, as do tfjs's maxPool on cpu (−∞ for an all-NaN window, which the next
 *   convolution turns back into NaN) and on wasm.
 * - Eval mode with a hook: conv, then BatchNorm with running statistics (one batchNorm op), so the
 *   hook sees each module's own output.
 * - Train mode: BatchNorm normalises with the batch statistics (biased variance) and, unless
 *   `updateRunningStats: false`, updates running_mean/var with momentum 0.1 (running_var gets the
 *   unbiased batch variance, as PyTorch) and increments num_batches_tracked.
 *
 * Hooks: `hook(name, kind, output)` is called with the output of every conv (`layer1.0.conv1`),
 * BatchNorm (`layer1.0.bn1`, `layer1.0.downsample.1`), `maxpool`, block (`layer1.0`, after its
 * final ReLU), stage (`layer1`), `avgpool` ([N, C]) and `fc` (logits). ReLU modules are not hooked.
 * A hook may return a tensor to use instead of the output. forward() runs inside tf.tidy: a hook
 * that wants to keep a tensor beyond the call must `tf.keep()` it (and dispose it later).
 */
import tf from '@tensorflow/tfjs';
import type { NamedAttrMap, NamedTensorMap, Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import {
  BN_EPS,
  BN_MOMENTUM,
  resnetLayout,
  resnetParamSpecs,
  type BnSpec,
  type ConvSpec,
  type ParamSpec,
  type ResNetConfig,
  type ResNetLayout,
} from './resnet-spec';
import { tfSeed } from '../../random/tf-seed';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../kernels/wasm/BatchNormTrain';
import { convResidual } from '../kernels/wasm/Conv2D';
import { addRelu } from '../kernels/wasm/AddRelu';

export type LayerKind = 'conv' | 'bn' | 'maxpool' | 'block' | 'stage' | 'avgpool' | 'linear';
export type LayerHook = (name: string, kind: LayerKind, output: Tensor) => Tensor | void;

export interface ForwardOptions {
  /** Train mode (batch statistics in BatchNorm); default false (eval). */
  training?: boolean;
  /** In train mode, update BatchNorm running statistics; default true. */
  updateRunningStats?: boolean;
  hook?: LayerHook;
  /** Return the pooled backbone features [N, C] (the fc input) instead of the logits; fc is not used. */
  features?: boolean;
}

export interface CreateOptions {
  /** Seed of the random initialisation (torchvision's scheme: Kaiming-normal fan_out convs, BN γ=1 β=0, Linear uniform ±1/√in). */
  seed?: number;
}

export class ResNet {
  readonly layout: ResNetLayout;
  readonly specs: readonly ParamSpec[];
  private readonly vars = new Map<string, Variable>();
  /** num_batches_tracked per BatchNorm module (`bn1`, `layer1.0.bn1` …). */
  readonly batchesTracked = new Map<string, number>();
  private disposed = false;
  /**
   * Whether the weights hold NaN or ±∞ (set by importWeights when it loads such a file with
   * allowNonFinite): eval forwards then propagate NaN as PyTorch does on every backend (see the
   * module comment); otherwise they keep the fused kernels and their memory peak.
   */
  nonFiniteWeights = false;
  private readonly foldCache = new Map<string, { ids: object[]; filter: Tensor4D; bias: Tensor1D }>();

  private constructor(readonly config: ResNetConfig) {
    this.layout = resnetLayout(config);
    this.specs = resnetParamSpecs(config);
  }

  /** A randomly initialised model. */
  static create(config: ResNetConfig, opts: CreateOptions = {}): ResNet {
    const model = new ResNet(config);
    let seed = opts.seed ?? 0;
    for (const spec of model.specs) {
      if (spec.role === 'bn.num_batches_tracked') {
        model.batchesTracked.set(spec.module, 0);
        continue;
      }
      const init = tf.tidy(() => initialValue(spec, seed++, model.layout.fc.inFeatures));
      model.vars.set(spec.name, tf.variable(init, spec.trainable));
      init.dispose();
    }
    return model;
  }

  /** The variable holding a parameter or running statistic, by torchvision name (tfjs layout). */
  variable(name: string): Variable {
    this.assertAlive();
    const v = this.vars.get(name);
    if (!v) throw new AppError('BAD_REQUEST', `${this.describe()} has no parameter "${name}"`);
    return v;
  }

  /** Trainable variables by torchvision name, in state_dict order (for optimizers). */
  trainableVariables(): Map<string, Variable> {
    return new Map(this.specs.filter((s) => s.trainable).map((s) => [s.name, this.variable(s.name)]));
  }

  /** Re-initialises the classification head (used when imported weights bring none). */
  reinitialiseHead(seed = 0): void {
    for (const name of ['fc.weight', 'fc.bias']) {
      const spec = this.specs.find((s) => s.name === name)!;
      const v = this.variable(name);
      tf.tidy(() => v.assign(initialValue(spec, seed + (name === 'fc.bias' ? 1 : 0), this.layout.fc.inFeatures)));
    }
  }

  describe(): string {
    const { depth, width, classes } = this.config;
    return `ResNet${depth}${width === 64 ? '' : ` (width ${width})`} with ${classes} classes`;
  }

  /** x: [N, H, W, 3] float32, already normalised. Returns logits [N, classes] (or features, see ForwardOptions). */
  forward(x: Tensor4D, opts: ForwardOptions = {}): Tensor2D {
    this.assertAlive();
    if (x.rank !== 4 || x.shape[3] !== 3)
      throw new AppError('BAD_REQUEST', `Error in ResNet.forward: expected input [N, H, W, 3], got [${x.shape.join(', ')}]`);
    const training = opts.training ?? false;
    const update = training && (opts.updateRunningStats ?? true);
    const hook = opts.hook;
    const fold = !training && !hook;
    const emit = (name: string, kind: LayerKind, t: Tensor): Tensor => (hook ? (hook(name, kind, t) ?? t) : t);

    const conv = (t: Tensor4D, c: ConvSpec): Tensor4D =>
      emit(c.name, 'conv', tf.conv2d(t, this.variable(`${c.name}.weight`) as Tensor4D, c.stride, c.pad)) as Tensor4D;
    /** Running-statistics update of one BatchNorm from its batch mean and (biased) variance. */
    const updateRunning = (b: BnSpec, n: number, batchMean: Tensor1D, batchVar: Tensor1D): void => {
      const mean = this.variable(`${b.name}.running_mean`);
      const variance = this.variable(`${b.name}.running_var`);
      tf.tidy(() => {
        const unbiased = n > 1 ? tf.mul(batchVar, n / (n - 1)) : batchVar;
        mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(batchMean, BN_MOMENTUM)));
        variance.assign(tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
      });
      this.batchesTracked.set(b.name, (this.batchesTracked.get(b.name) ?? 0) + 1);
    };
    /** Train-mode BatchNorm (batch statistics), optionally with the ReLU fused, with a hand-written gradient. */
    const bnTrain = (t: Tensor4D, b: BnSpec, relu: boolean): Tensor4D => {
      const gamma = this.variable(`${b.name}.weight`) as Tensor1D;
      const beta = this.variable(`${b.name}.bias`) as Tensor1D;
      return batchNormTrain(t, gamma, beta, relu, update ? (n, m, v) => updateRunning(b, n, m, v) : null);
    };
    const bn = (t: Tensor4D, b: BnSpec): Tensor4D => {
      let y: Tensor4D;
      if (training) {
        y = bnTrain(t, b, false);
      } else {
        const gamma = this.variable(`${b.name}.weight`) as Tensor1D;
        const beta = this.variable(`${b.name}.bias`) as Tensor1D;
        const mean = this.variable(`${b.name}.running_mean`);
        const variance = this.variable(`${b.name}.running_var`);
        y = tf.batchNorm(t, mean as Tensor1D, variance as Tensor1D, beta, gamma, BN_EPS);
      }
      return emit(b.name, 'bn', y) as Tensor4D;
    };
    // Training keeps the fast kernels: it refuses non-finite starting weights, and its own
    // BatchNorm+ReLU kernel (batchNormTrain) serves the train-mode ReLUs inside blocks.
    const nanSafe = this.nonFiniteWeights && !training && (tf.getBackend() === 'wasm' || tf.getBackend() === 'webgpu');
    const relu0 = (t: Tensor4D): Tensor4D => (nanSafe ? reluNaN(t) : tf.relu(t));
    const convBn = (t: Tensor4D, c: ConvSpec, b: BnSpec, relu: boolean): Tensor4D => {
      if (fold) {
        const { filter, bias } = this.foldedConv(c, b);
        if (!relu || !nanSafe)
          return tf.fused.conv2d({ x: t, filter, strides: c.stride, pad: c.pad, bias, activation: relu ? 'relu' : 'linear' });
        return reluNaN(tf.fused.conv2d({ x: t, filter, strides: c.stride, pad: c.pad, bias }));
      }
      if (training && !hook) return bnTrain(conv(t, c), b, relu);
      const y = bn(conv(t, c), b);
      return relu ? relu0(y) : y;
    };

    return tf.tidy(() => {
      const { stem, stages, fc } = this.layout;
      let h = convBn(x, stem.conv, stem.bn, true);
      h = emit('maxpool', 'maxpool', nanSafe ? maxPoolNaN(h) : tf.maxPool(h, 3, 2, 1)) as Tensor4D;
      for (const stage of stages) {
        for (const block of stage.blocks) {
          const runBlock = (input: Tensor4D): Tensor4D => {
            const identity = block.downsample ? convBn(input, block.downsample.conv, block.downsample.bn, false) : input;
            let out = input;
            const last = block.convs.length - 1;
            block.convs.forEach(({ conv: c, bn: b }, i) => {
              if (i < last || !fold || nanSafe) out = convBn(out, c, b, i < last);
            });
            if (fold && !nanSafe) {
              // The last conv+BN, the shortcut and the block's ReLU in one kernel (one pass with the native kernels).
              const { conv: c, bn: b } = block.convs[last]!;
              const { filter, bias } = this.foldedConv(c, b);
              return emit(
                block.name,
                'block',
                convResidual(out, filter, bias, identity, { strides: c.stride, pad: c.pad, relu: true }),
              ) as Tensor4D;
            }
            // ReLU(out + shortcut): one kernel each way on wasm (kernels/wasm/AddRelu.ts); NaN-keeping when nanSafe.
            return emit(block.name, 'block', nanSafe ? relu0(tf.add(out, identity)) : addRelu(out, identity)) as Tensor4D;
          };
          // Without hooks, each block's intermediates are freed as soon as the block is done (tensors a
          // gradient needs are kept by the tape), so a forward holds about one block's activations per
          // image instead of the whole network's. Hooks see every module's output until the end of
          // forward(), as documented.
          const input = h;
          h = hook ? runBlock(h) : tf.tidy(() => runBlock(input));
          // In eval mode the previous block's output is not needed any more (a gradient, if one is
          // being taken, keeps its own copies of what it needs).
          if (!hook && !training && input !== x) input.dispose();
        }
        h = emit(stage.name, 'stage', h) as Tensor4D;
      }
      const pooled = emit('avgpool', 'avgpool', tf.mean(h, [1, 2])) as Tensor2D;
      if (opts.features) return pooled;
      const logits = tf.add(
        tf.matMul(pooled, this.variable(`${fc.name}.weight`) as Tensor2D),
        this.variable(`${fc.name}.bias`),
      ) as Tensor2D;
      return emit(fc.name, 'linear', logits) as Tensor2D;
    });
  }

  /**
   * The conv's filter with its BatchNorm folded in (W·γ/√(σ²+ε)) and the bias β−μ·γ/√(σ²+ε),
   * cached until any of the five variables is assigned a new value (tfjs gives each assignment a
   * new data id), so eval forwards do not recompute them.
   */
  private foldedConv(c: ConvSpec, b: BnSpec): { filter: Tensor4D; bias: Tensor1D } {
    const vars = [`${c.name}.weight`, `${b.name}.weight`, `${b.name}.bias`, `${b.name}.running_mean`, `${b.name}.running_var`].map((n) =>
      this.variable(n),
    );
    const ids = vars.map((v) => (v as unknown as { dataId: object }).dataId);
    const hit = this.foldCache.get(c.name);
    if (hit && hit.ids.every((id, i) => id === ids[i])) return hit;
    if (hit) tf.dispose([hit.filter, hit.bias]);
    const [w, gamma, beta, mean, variance] = vars as [Variable, Variable, Variable, Variable, Variable];
    const folded = tf.tidy(() => {
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, BN_EPS)));
      return { filter: tf.keep(tf.mul(w, scale) as Tensor4D), bias: tf.keep(tf.sub(beta, tf.mul(mean, scale)) as Tensor1D) };
    });
    const entry = { ids, ...folded };
    this.foldCache.set(c.name, entry);
    return entry;
  }

  /** Frees the cached BatchNorm-folded filters (they are rebuilt on the next eval forward). */
  clearFoldCache(): void {
    for (const e of this.foldCache.values()) tf.dispose([e.filter, e.bias]);
    this.foldCache.clear();
  }

  dispose(): void {
    if (this.disposed) return;
    this.clearFoldCache();
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new AppError('INTERNAL', `${this.describe()} was disposed`);
  }
}

/**
 * BatchNorm over [N, H, W] with the batch statistics (biased variance, as PyTorch normalises),
 * y = γ·(x − μ)/√(σ² + ε) + β, optionally followed by ReLU, as one differentiable op. Its gradient is
 * written out (the closed form of the BatchNorm backward) instead of being derived by tfjs from
 * moments + batchNorm, whose backward tiles the statistics to the full activation shape and runs
 * ~20 element-wise ops per layer (on wasm ~40% of a ResNet50 training step); it keeps only x, y
 * and two per-channel vectors for the backward pass (a ResNet50 step at 224 px, batch 8 must fit
 * the 4 GB wasm heap). With g = dy·[y > 0] (ReLU) or dy, m = N·H·W, x̂ = (x − μ)/√(σ² + ε):
 *   dβ = Σ g,  dγ = Σ g·x̂,  dx = γ/√(σ² + ε) · (g − dβ/m − x̂·dγ/m).
 * `onStats(m, mean, variance)` receives the batch statistics (for the running averages); they are
 * disposed after the call. On the wasm backend the forward and the backward are one kernel each
 * (kernels/wasm/BatchNormTrain.ts, SIMD over the tensors in place); elsewhere they are tfjs ops.
 */
export function batchNormTrain(
  x: Tensor4D,
  gamma: Tensor1D,
  beta: Tensor1D,
  relu: boolean,
  onStats: ((count: number, mean: Tensor1D, variance: Tensor1D) => void) | null = null,
): Tensor4D {
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  if (tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) && tf.getKernel(BATCH_NORM_TRAIN_GRAD, tf.getBackend()))
    return batchNormTrainKernels(x, gamma, beta, relu, onStats);
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [xx, gIn, bIn, save] = args as [Tensor4D, Tensor1D, Tensor1D, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(xx, [0, 1, 2]);
    const bnOut = tf.batchNorm(xx, mean as Tensor1D, variance as Tensor1D, bIn, gIn, BN_EPS);
    const y = relu ? tf.relu(bnOut) : bnOut;
    const inv = tf.rsqrt(tf.add(variance, BN_EPS));
    save(relu ? [xx, mean, inv, y] : [xx, mean, inv]);
    if (onStats) onStats(count, mean as Tensor1D, variance as Tensor1D);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, mu, invStd, ys] = saved as [Tensor4D, Tensor1D, Tensor1D, Tensor4D | undefined];
        const g = ys ? tf.mul(dy, tf.step(ys)) : dy;
        const dBeta = tf.sum(g, [0, 1, 2]);
        const xc = tf.sub(xs, mu);
        const dGamma = tf.mul(tf.sum(tf.mul(g, xc), [0, 1, 2]), invStd); // Σ g·x̂
        const a = tf.mul(gIn, invStd); // γ/√(σ² + ε)
        const k = tf.mul(a, tf.mul(dGamma, tf.div(invStd, count))); // multiplies (x − μ): a·dγ/(m·√(σ² + ε))
        const c = tf.mul(a, tf.div(dBeta, count));
        const dx = tf.sub(tf.sub(tf.mul(g, a), tf.mul(xc, k)), c);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta);
}

/**
 * batchNormTrain with the backend's fused kernels (kernels/wasm/BatchNormTrain.ts: one kernel
 * forward, one backward, where the composite takes ~15 ops per layer).
 */
function batchNormTrainKernels(
  x: Tensor4D,
  gamma: Tensor1D,
  beta: Tensor1D,
  relu: boolean,
  onStats: ((count: number, mean: Tensor1D, variance: Tensor1D) => void) | null,
): Tensor4D {
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [xx, gIn, bIn, save] = args as [Tensor4D, Tensor1D, Tensor1D, tf.GradSaveFunc];
    const attrs = { epsilon: BN_EPS, relu };
    const [y, mean, variance, invStd] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAIN, { x: xx, gamma: gIn, beta: bIn }, attrs as unknown as NamedAttrMap) as [
      Tensor4D,
      Tensor1D,
      Tensor1D,
      Tensor1D,
    ];
    save([xx, mean, invStd, gIn, bIn]);
    if (onStats) onStats(count, mean, variance);
    variance.dispose();
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, mu, inv, g, b] = saved as [Tensor4D, Tensor1D, Tensor1D, Tensor1D, Tensor1D];
        const inputs: NamedTensorMap = { dy, x: xs, mean: mu, invStd: inv, gamma: g, beta: b };
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, inputs, { relu } as unknown as NamedAttrMap) as Tensor[];
      },
    };
  });
  return op(x, gamma, beta);
}

/** torchvision's initialisation, in the tfjs layout. */
function initialValue(spec: ParamSpec, seed: number, fcInFeatures: number): Tensor {
  switch (spec.role) {
    case 'conv.weight': {
      const [kh, kw, , out] = spec.tfjsShape as [number, number, number, number];
      return tf.randomNormal(spec.tfjsShape, 0, Math.sqrt(2 / (out * kh * kw)), 'float32', tfSeed(seed));
    }
    case 'bn.weight':
    case 'bn.running_var':
      return tf.ones(spec.tfjsShape);
    case 'bn.bias':
    case 'bn.running_mean':
      return tf.zeros(spec.tfjsShape);
    case 'fc.weight': {
      const bound = 1 / Math.sqrt(fcInFeatures);
      return tf.randomUniform(spec.tfjsShape, -bound, bound, 'float32', tfSeed(seed));
    }
    case 'fc.bias': {
      const bound = 1 / Math.sqrt(fcInFeatures);
      return tf.randomUniform(spec.tfjsShape, -bound, bound, 'float32', tfSeed(seed));
    }
    case 'bn.num_batches_tracked':
      throw new AppError('INTERNAL', 'num_batches_tracked is not a variable');
  }
}

/**
 * max(0, x) that keeps NaN (PyTorch's ReLU), for the wasm backend whose relu and fused-ReLU
 * kernels map NaN to 0 (see the module comment).
 */
export function reluNaN(x: Tensor4D): Tensor4D {
  return tf.tidy(() => tf.where(tf.isNaN(x), x, tf.relu(x)) as Tensor4D);
}

/**
 * The stem's 3×3 stride-2 max pooling (padding 1) with PyTorch's NaN semantics (a window holding a
 * NaN gives NaN), for the backends whose maxPool skips NaN: the NaN windows are found by pooling
 * the NaN mask.
 */
export function maxPoolNaN(h: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const pooled = tf.maxPool(h, 3, 2, 1);
    const hasNaN = tf.greater(tf.maxPool(tf.cast(tf.isNaN(h), 'float32') as Tensor4D, 3, 2, 1), 0);
    return tf.where(hasNaN, tf.fill(pooled.shape, NaN), pooled) as Tensor4D;
  });
}
