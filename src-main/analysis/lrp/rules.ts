/**
 * LRP rules as data (Zennit's design: a rule says how a layer's input, parameters and output are
 * modified for a gradient-like pass and how the results combine), and their backward passes on
 * tfjs ops. Every rule maps the relevance R at a layer's output to relevance at each of its inputs;
 * every rule is linear in R. Notation: x the layer input, W/b its weight and bias, fwd(x, W) the
 * layer's linear map (conv2d with the layer's stride and padding, or x·W), bwd(s, W) its transpose
 * (conv2dTranspose / s·Wᵀ: the input gradient of fwd), t⁺ = max(t, 0), t⁻ = min(t, 0), ⊙ the
 * element-wise product.
 *
 * The stabiliser (Zennit's `stabilize`): stab(z) = z + ε·sign(z) with sign(0) = +1, ε = 1e-6 by
 * default (`RuleOptions.stabilizer`); for the Epsilon rule ε is the rule's own parameter.
 *
 * - AlphaBeta(α, β), α − β = 1, α, β ≥ 0 (Bach et al. 2015; Zennit `AlphaBeta`). For signed inputs the
 *   positive contributions are x⁺W⁺ and x⁻W⁻ (a negative input times a negative weight adds
 *   positively), the negative ones x⁺W⁻ and x⁻W⁺:
 *     z⁺ = fwd(x⁺, W⁺) + fwd(x⁻, W⁻) + b⁺,   R⁺ = x⁺ ⊙ bwd(R/stab(z⁺), W⁺) + x⁻ ⊙ bwd(R/stab(z⁺), W⁻)
 *     z⁻ = fwd(x⁺, W⁻) + fwd(x⁻, W⁺) + b⁻,   R⁻ = x⁺ ⊙ bwd(R/stab(z⁻), W⁻) + x⁻ ⊙ bwd(R/stab(z⁻), W⁺)
 *     R_in = α·R⁺ − β·R⁻.
 *   α1β0 keeps only positive contributions: R_in ≥ 0 wherever R ≥ 0, and Σ R_in = Σ R·(z⁺ − b⁺)/stab(z⁺)
 *   (conserved when b⁺ = 0, up to the stabiliser). When the input is known to be non-negative (after
 *   a ReLU) the x⁻ terms vanish and are skipped (one conv and one transposed conv instead of two
 *   each). On a `sum` layer the weights are 1 and there is no bias: R_k = α·x_k⁺·R/stab(Σx⁺) − β·x_k⁻·R/stab(Σx⁻).
 * - ZPlus: Zennit's name for the same computation as AlphaBeta(1, 0) (identical results).
 * - ZBox(low, high) (zᴮ, Montavon et al. 2017), for an input bounded per channel in [low, high]:
 *     z = fwd(x, W) − fwd(low, W⁺) − fwd(high, W⁻) = fwd(x − low, W⁺) + fwd(x − high, W⁻)
 *     R_in = (x − low) ⊙ bwd(R/stab(z), W⁺) + (x − high) ⊙ bwd(R/stab(z), W⁻)
 *   The bias cancels (Zennit: b − b⁺ − b⁻ = 0), so Σ R_in = Σ R up to the stabiliser. For normalised
 *   inputs low/high are the normalised images of the pixel values 0 and 1: (0 − mean)/std, (1 − mean)/std.
 * - Flat (Lapuschkin et al. 2019): input and weights replaced by ones, no bias: z = fwd(1, 1),
 *   R_in = bwd(R/stab(z), 1) — each output's relevance spread uniformly over its receptive field.
 * - Epsilon(ε): z = fwd(x, W) + b, R_in = x ⊙ bwd(R/stab_ε(z), W).
 * - Norm ("proportional"): relevance in proportion to each input's share of a sum. `sum`:
 *   R_k = x_k ⊙ R/stab(x₁ + x₂); `avgpool` (Zennit's Norm on the average): R_i = x_i/(HW) · R/stab(mean);
 *   `maxpool`: treated as a sum over its window, R_i = x_i ⊙ Σ_{j ∋ i} R_j/stab(Σ_{i' ∈ window j} x_i')
 *   (padding contributes nothing). Conserves relevance wherever the sums are non-zero.
 * - Pass: R_in = R (element-wise layers: ReLU).
 * - Gradient: R_in = the layer's input gradient applied to R (Zennit's behaviour for layers without a
 *   rule). On `maxpool` this is winner-take-all: all of an output's relevance goes to the maximal
 *   input of its window (tfjs's MaxPoolGrad; ties, which only occur between equal activations, go to
 *   one of them). On a functional `add` each input receives the full R.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import type { LayerNode, LayerType } from './graph';

export type Rule =
  | { readonly kind: 'alpha-beta'; readonly alpha: number; readonly beta: number }
  | { readonly kind: 'zplus' }
  | { readonly kind: 'zbox'; readonly low: readonly number[]; readonly high: readonly number[] }
  | { readonly kind: 'flat' }
  | { readonly kind: 'epsilon'; readonly epsilon: number }
  | { readonly kind: 'norm' }
  | { readonly kind: 'pass' }
  | { readonly kind: 'gradient' };
export type RuleKind = Rule['kind'];

export const DEFAULT_STABILIZER = 1e-6;

export function AlphaBeta(alpha = 1, beta = 0): Rule {
  if (!(alpha >= 0 && beta >= 0) || Math.abs(alpha - beta - 1) > 1e-12)
    throw new AppError('BAD_REQUEST', `AlphaBeta rule: need α, β ≥ 0 and α − β = 1 (got α = ${alpha}, β = ${beta})`);
  return { kind: 'alpha-beta', alpha, beta };
}
export const ZPlus = (): Rule => ({ kind: 'zplus' });
export function ZBox(low: readonly number[], high: readonly number[]): Rule {
  if (
    low.length === 0 ||
    low.length !== high.length ||
    low.some((l, i) => !Number.isFinite(l) || !Number.isFinite(high[i]!) || !(l < high[i]!))
  ) {
    throw new AppError(
      'BAD_REQUEST',
      `ZBox rule: low and high must be finite per-channel bounds with low < high (got low [${low.join(', ')}], high [${high.join(', ')}])`,
    );
  }
  return { kind: 'zbox', low: [...low], high: [...high] };
}
export const Flat = (): Rule => ({ kind: 'flat' });
export function Epsilon(epsilon = 1e-6): Rule {
  if (!(epsilon > 0)) throw new AppError('BAD_REQUEST', `Epsilon rule: ε must be > 0 (got ${epsilon})`);
  return { kind: 'epsilon', epsilon };
}
export const Norm = (): Rule => ({ kind: 'norm' });
export const Pass = (): Rule => ({ kind: 'pass' });
export const Gradient = (): Rule => ({ kind: 'gradient' });

/** Layer types each rule is defined for. */
export const RULE_LAYERS: Readonly<Record<RuleKind, readonly LayerType[]>> = {
  'alpha-beta': ['conv', 'linear', 'sum'],
  zplus: ['conv', 'linear', 'sum'],
  zbox: ['conv', 'linear'],
  flat: ['conv', 'linear'],
  epsilon: ['conv', 'linear'],
  norm: ['sum', 'avgpool', 'maxpool'],
  pass: ['relu', 'bn'],
  gradient: ['conv', 'bn', 'relu', 'maxpool', 'avgpool', 'linear', 'add', 'sum'],
};

/** `AlphaBeta(α=1, β=0)`, `ZBox(low=[…], high=[…])`, … */
export function describeRule(rule: Rule): string {
  const r = (v: number) => Number(v.toPrecision(6));
  switch (rule.kind) {
    case 'alpha-beta':
      return `AlphaBeta(α=${r(rule.alpha)}, β=${r(rule.beta)})`;
    case 'zplus':
      return 'ZPlus';
    case 'zbox':
      return `ZBox(low=[${rule.low.map(r).join(', ')}], high=[${rule.high.map(r).join(', ')}])`;
    case 'flat':
      return 'Flat';
    case 'epsilon':
      return `Epsilon(ε=${r(rule.epsilon)})`;
    case 'norm':
      return 'Norm';
    case 'pass':
      return 'Pass';
    case 'gradient':
      return 'Gradient';
  }
}

export function assertRuleFits(rule: Rule, node: LayerNode): void {
  if (!RULE_LAYERS[rule.kind].includes(node.type)) {
    throw new AppError(
      'BAD_REQUEST',
      `LRP rule ${describeRule(rule)} is not defined for layer "${node.name}" (${node.type}); it applies to ${RULE_LAYERS[rule.kind].join(', ')} layers`,
    );
  }
}

/**
 * z + ε·sign(z), sign(0) = +1 (Zennit's stabilize), as z + ε − 2ε·[z < 0] with [z < 0] = step(−z):
 * element-wise arithmetic only (tf.where with broadcast scalars is ~40× slower on wasm).
 */
export function stabilize(z: Tensor, eps: number): Tensor {
  return tf.tidy(() => tf.sub(tf.add(z, eps), tf.mul(tf.step(tf.neg(z)), 2 * eps)));
}

export interface RuleOptions {
  /** ε of stab(z) for every rule but Epsilon; default 1e-6 (Zennit's default). */
  stabilizer: number;
  /** The (only) input of the layer is ≥ 0 by construction (read from a ReLU or a pooling of one). */
  nonNegativeInput: boolean;
}

/** Per-layer tensors a rule derives from the parameters (W⁺, W⁻, ones), cached across batches by the caller. */
export interface ParamCache {
  get(key: string, make: () => Tensor): Tensor;
}

/** The linear map of a conv or linear layer, its transpose, and its parameters. */
interface LinearOp {
  weight: Tensor;
  bias: Tensor1D | null;
  fwd(x: Tensor, w: Tensor): Tensor;
  bwd(s: Tensor, w: Tensor): Tensor;
}

function linearOp(node: LayerNode, xShape: number[]): LinearOp {
  if (node.type === 'conv') {
    const shape = xShape as [number, number, number, number];
    return {
      weight: node.weight,
      bias: node.bias,
      fwd: (x, w) => tf.conv2d(x as Tensor4D, w as Tensor4D, node.stride, node.pad),
      bwd: (s, w) => tf.conv2dTranspose(s as Tensor4D, w as Tensor4D, shape, node.stride, node.pad),
    };
  }
  if (node.type === 'linear') {
    return {
      weight: node.weight,
      bias: node.bias,
      fwd: (x, w) => tf.matMul(x as Tensor2D, w as Tensor2D),
      bwd: (s, w) => tf.matMul(s as Tensor2D, w as Tensor2D, false, true),
    };
  }
  throw new AppError('INTERNAL', `no linear map for a ${node.type} layer`);
}

/** Sum over each size×size window (stride, zero padding) per channel: a conv with a ones filter on channels moved into the batch. */
export function windowSum(x: Tensor4D, size: number, stride: number, pad: number): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const planes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c, h, w, 1]) as Tensor4D;
    const y = tf.conv2d(planes, tf.ones([size, size, 1, 1]) as Tensor4D, stride, pad);
    const [, oh, ow] = y.shape;
    return tf.transpose(tf.reshape(y, [n, c, oh, ow]), [0, 2, 3, 1]) as Tensor4D;
  });
}

/** Transpose of windowSum: each window's value added to every position of the window. */
export function windowSumTranspose(
  s: Tensor4D,
  xShape: [number, number, number, number],
  size: number,
  stride: number,
  pad: number,
): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = xShape;
    const [, oh, ow] = s.shape;
    const planes = tf.reshape(tf.transpose(s, [0, 3, 1, 2]), [n * c, oh, ow, 1]) as Tensor4D;
    const y = tf.conv2dTranspose(planes, tf.ones([size, size, 1, 1]) as Tensor4D, [n * c, h, w, 1], stride, pad);
    return tf.transpose(tf.reshape(y, [n, c, h, w]), [0, 2, 3, 1]) as Tensor4D;
  });
}

/**
 * Relevance at each input of `node` given the relevance `R` at its output. `inputs` are the layer's
 * input activations, `output` its output activation when stored (only Gradient on relu needs it).
 * Call inside tf.tidy.
 */
export function ruleBackward(
  rule: Rule,
  node: LayerNode,
  inputs: Tensor[],
  output: Tensor | undefined,
  R: Tensor,
  opts: RuleOptions,
  cache: ParamCache,
): Tensor[] {
  assertRuleFits(rule, node);
  const eps = opts.stabilizer;
  const x = inputs[0]!;
  const key = (what: string) => `${node.name}:${what}`;
  const pos = (w: Tensor, name: string) => cache.get(key(`${name}+`), () => tf.relu(w));
  const neg = (w: Tensor, name: string) => cache.get(key(`${name}-`), () => tf.neg(tf.relu(tf.neg(w))));

  switch (rule.kind) {
    case 'alpha-beta':
    case 'zplus': {
      const alpha = rule.kind === 'zplus' ? 1 : rule.alpha;
      const beta = rule.kind === 'zplus' ? 0 : rule.beta;
      if (node.type === 'sum') {
        const xp = inputs.map((t) => tf.relu(t));
        const sp = tf.div(R, tf.add(tf.addN(xp), eps));
        const parts = xp.map((t) => tf.mul(t, sp));
        if (beta === 0) return alpha === 1 ? parts : parts.map((t) => tf.mul(t, alpha));
        const xn = inputs.map((t) => tf.neg(tf.relu(tf.neg(t))));
        const sn = tf.div(R, stabilize(tf.addN(xn), eps));
        return parts.map((t, k) => tf.sub(tf.mul(t, alpha), tf.mul(tf.mul(xn[k]!, sn), beta)));
      }
      const op = linearOp(node, x.shape);
      const wp = pos(op.weight, 'w');
      const wn = neg(op.weight, 'w');
      const bp = op.bias ? pos(op.bias, 'b') : null;
      const bn = op.bias ? neg(op.bias, 'b') : null;
      const withBias = (z: Tensor, b: Tensor | null) => (b ? tf.add(z, b) : z);
      if (opts.nonNegativeInput) {
        // x⁻ = 0: z⁺ = fwd(x, W⁺) + b⁺ ≥ 0, so stab(z⁺) = z⁺ + ε.
        const sp = tf.div(R, tf.add(withBias(op.fwd(x, wp), bp), eps));
        let rel = tf.mul(x, op.bwd(sp, wp));
        if (alpha !== 1) rel = tf.mul(rel, alpha);
        if (beta !== 0) {
          const sn = tf.div(R, stabilize(withBias(op.fwd(x, wn), bn), eps));
          rel = tf.sub(rel, tf.mul(tf.mul(x, op.bwd(sn, wn)), beta));
        }
        return [rel];
      }
      const xp = tf.relu(x);
      const xn = tf.sub(x, xp);
      const sp = tf.div(R, tf.add(withBias(tf.add(op.fwd(xp, wp), op.fwd(xn, wn)), bp), eps));
      let rel = tf.add(tf.mul(xp, op.bwd(sp, wp)), tf.mul(xn, op.bwd(sp, wn)));
      if (alpha !== 1) rel = tf.mul(rel, alpha);
      if (beta !== 0) {
        const sn = tf.div(R, stabilize(withBias(tf.add(op.fwd(xp, wn), op.fwd(xn, wp)), bn), eps));
        rel = tf.sub(rel, tf.mul(tf.add(tf.mul(xp, op.bwd(sn, wn)), tf.mul(xn, op.bwd(sn, wp))), beta));
      }
      return [rel];
    }
    case 'zbox': {
      const channels = x.shape[x.rank - 1]!;
      if (rule.low.length !== channels)
        throw new AppError(
          'BAD_REQUEST',
          `ZBox rule on "${node.name}": bounds for ${rule.low.length} channels, the layer input has ${channels}`,
        );
      const op = linearOp(node, x.shape);
      const wp = pos(op.weight, 'w');
      const wn = neg(op.weight, 'w');
      const xl = tf.sub(x, tf.tensor1d([...rule.low]));
      const xh = tf.sub(x, tf.tensor1d([...rule.high]));
      const s = tf.div(R, stabilize(tf.add(op.fwd(xl, wp), op.fwd(xh, wn)), eps));
      return [tf.add(tf.mul(xl, op.bwd(s, wp)), tf.mul(xh, op.bwd(s, wn)))];
    }
    case 'flat': {
      const op = linearOp(node, x.shape);
      const ones = cache.get(key('ones'), () => tf.onesLike(op.weight));
      const z = op.fwd(tf.onesLike(x), ones); // > 0: every output sees at least one real input
      return [op.bwd(tf.div(R, tf.add(z, eps)), ones)];
    }
    case 'epsilon': {
      const op = linearOp(node, x.shape);
      const z = op.bias ? tf.add(op.fwd(x, op.weight), op.bias) : op.fwd(x, op.weight);
      return [tf.mul(x, op.bwd(tf.div(R, stabilize(z, rule.epsilon)), op.weight))];
    }
    case 'norm': {
      if (node.type === 'sum') {
        const s = tf.div(R, stabilize(tf.add(inputs[0]!, inputs[1]!), eps));
        return inputs.map((t) => tf.mul(t, s));
      }
      if (node.type === 'avgpool') {
        const [n, h, w, c] = x.shape as [number, number, number, number];
        const mean = tf.mean(x, [1, 2]);
        const s = tf.reshape(tf.div(tf.div(R, stabilize(mean, eps)), h * w), [n, 1, 1, c]);
        return [tf.mul(x, s)];
      }
      if (node.type === 'maxpool') {
        const x4 = x as Tensor4D;
        const z = windowSum(x4, node.size, node.stride, node.pad);
        const s = tf.div(R, stabilize(z, eps)) as Tensor4D;
        return [tf.mul(x4, windowSumTranspose(s, x4.shape, node.size, node.stride, node.pad))];
      }
      break;
    }
    case 'pass':
      return [tf.clone(R)]; // a new handle: the caller disposes R after the step
    case 'gradient':
      return gradientBackward(node, inputs, output, R);
  }
  throw new AppError('INTERNAL', `rule ${describeRule(rule)} has no implementation for ${node.type}`);
}

/** The layer's input gradient applied to R (plain backpropagation of R). */
function gradientBackward(node: LayerNode, inputs: Tensor[], output: Tensor | undefined, R: Tensor): Tensor[] {
  const x = inputs[0]!;
  switch (node.type) {
    case 'conv':
    case 'linear': {
      const op = linearOp(node, x.shape);
      return [op.bwd(R, op.weight)];
    }
    case 'bn':
      return [tf.mul(R, tf.div(node.gamma, tf.sqrt(tf.add(node.variance, node.eps))))];
    case 'relu':
      return [tf.mul(R, tf.step(output ?? x))];
    case 'maxpool': {
      const f = (t: Tensor) => tf.maxPool(t as Tensor4D, node.size, node.stride, node.pad);
      return [tf.grad(f)(x, R)];
    }
    case 'avgpool': {
      const [n, h, w, c] = x.shape as [number, number, number, number];
      return [tf.mul(tf.onesLike(x), tf.reshape(tf.div(R, h * w), [n, 1, 1, c]))];
    }
    case 'add':
    case 'sum':
      return [tf.clone(R), tf.clone(R)];
  }
}
