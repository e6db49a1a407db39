/**
 * AdamW with decoupled weight decay, with exactly torch.optim.AdamW's semantics (PyTorch 1.13+,
 * amsgrad=False, maximize=False): for each parameter p with gradient g at its step t (1-based),
 *
 *   p ← p · (1 − lr·wd)                                   (decoupled decay, before the Adam update)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 *
 * Defaults as torch: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01. As in torch, a parameter
 * without a gradient in a step is left untouched (no decay, no state change, its step count does not
 * advance), and the step count is kept per parameter.
 *
 * Parameters are addressed by torch name (`layer1.0.conv1.weight`), so the state round-trips
 * through checkpoints independently of tfjs variable names. Weight decay can be switched off per
 * parameter (`noDecay`; default: decay everything, as torch does). `excludeOneDimensional` is the
 * usual "no decay for BatchNorm and biases" rule.
 *
 * Cost: one tf.tidy per step; m, v and p are updated in place with Variable.assign. Bias
 * corrections are computed in float64 on the JS side and enter as scalars.
 */
import tf from '@tensorflow/tfjs';
import type { NamedAttrMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { ADAMW, type AdamWAttrs } from '../kernels/wasm/Optimizers';
import { readFloat32 } from '../readback';

export interface AdamWOptions {
  /** Learning rate (changed per step by a schedule through `setLearningRate`). */
  lr: number;
  /** (β1, β2); default (0.9, 0.999). */
  betas?: readonly [number, number];
  /** Added to √v̂; default 1e-8. */
  eps?: number;
  /** Decoupled weight decay factor; default 0.01 (torch's default). */
  weightDecay?: number;
  /** Parameters for which weight decay is off (e.g. `excludeOneDimensional`); default none. */
  noDecay?: (name: string, variable: Variable) => boolean;
}

/** Weight decay off for every parameter of rank ≤ 1: BatchNorm γ/β and all biases. */
export const excludeOneDimensional = (_name: string, v: Variable): boolean => v.rank <= 1;

/** Per-parameter optimizer state as plain arrays (checkpoint format, keyed by torch name). */
export interface AdamWParamState {
  /** Number of optimizer steps this parameter has taken (torch's `state[p]['step']`). */
  step: number;
  shape: number[];
  /** First moment (torch `exp_avg`), in the tfjs variable's layout. */
  expAvg: Float32Array;
  /** Second moment (torch `exp_avg_sq`), in the tfjs variable's layout. */
  expAvgSq: Float32Array;
}
export interface AdamWState {
  format: 'funduslab.adamw/1';
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  params: Record<string, AdamWParamState>;
}

interface Slot {
  param: Variable;
  decay: boolean;
  step: number;
  m: Variable | null;
  v: Variable | null;
}

let instances = 0;

export class AdamW {
  private readonly slots = new Map<string, Slot>();
  private readonly id = instances++;
  private disposed = false;
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: ReadonlyMap<string, Variable>, opts: AdamWOptions) {
    this.lr = opts.lr;
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    const bad = (what: string) => new AppError('BAD_REQUEST', `Error in AdamW: ${what}`);
    if (!(this.lr >= 0)) throw bad(`invalid learning rate ${this.lr}`);
    if (!(this.eps >= 0)) throw bad(`invalid eps ${this.eps}`);
    if (!(this.beta1 >= 0 && this.beta1 < 1) || !(this.beta2 >= 0 && this.beta2 < 1))
      throw bad(`invalid betas (${this.beta1}, ${this.beta2})`);
    if (!(this.weightDecay >= 0)) throw bad(`invalid weight decay ${this.weightDecay}`);
    for (const [name, param] of params) {
      if (param.dtype !== 'float32') throw bad(`parameter "${name}" is ${param.dtype}, expected float32`);
      this.slots.set(name, { param, decay: !(opts.noDecay?.(name, param) ?? false), step: 0, m: null, v: null });
    }
  }

  setLearningRate(lr: number): void {
    if (!(lr >= 0)) throw new AppError('BAD_REQUEST', `Error in AdamW: invalid learning rate ${lr}`);
    this.lr = lr;
  }

  /** Names of the parameters with weight decay switched off. */
  noDecayNames(): string[] {
    return [...this.slots].filter(([, s]) => !s.decay).map(([n]) => n);
  }

  /**
   * One optimizer step with the given gradients (by torch name, same shapes as the parameters).
   * Parameters absent from `grads` are skipped, as torch skips `p.grad is None`. Does not dispose
   * the gradients.
   */
  step(grads: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): void {
    this.assertAlive();
    const entries = grads instanceof Map ? [...grads] : Object.entries(grads);
    for (const [name, g] of entries) {
      const slot = this.slots.get(name);
      if (!slot) throw new AppError('BAD_REQUEST', `Error in AdamW.step: unknown parameter "${name}"`);
      if (!tf.util.arraysEqual(g.shape, slot.param.shape)) {
        throw new AppError(
          'BAD_REQUEST',
          `Error in AdamW.step: gradient of "${name}" has shape [${g.shape.join(', ')}], parameter [${slot.param.shape.join(', ')}]`,
        );
      }
    }
    const { beta1, beta2, eps, lr } = this;
    const fused = tf.getKernel(ADAMW, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      const scalars = new Map<number, Scalar>();
      const s = (x: number): Scalar => {
        let t = scalars.get(x);
        if (!t) scalars.set(x, (t = tf.scalar(x)));
        return t;
      };
      for (const [name, g] of entries) {
        const slot = this.slots.get(name)!;
        slot.m ??= tf.variable(tf.zerosLike(slot.param), false, `adamw${this.id}/${name}/exp_avg`);
        slot.v ??= tf.variable(tf.zerosLike(slot.param), false, `adamw${this.id}/${name}/exp_avg_sq`);
        const t = ++slot.step;
        const bc1 = 1 - beta1 ** t;
        const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
        const decay = slot.decay && this.weightDecay !== 0 ? 1 - lr * this.weightDecay : null;
        let m: Tensor, v: Tensor, p: Tensor;
        if (fused) {
          // The same operations in one kernel (kernels/wasm/Optimizers.ts).
          const attrs: AdamWAttrs = { beta1, beta2, decay, bc2Sqrt, eps, stepSize: lr / bc1 };
          [p, m, v] = tf
            .engine()
            .runKernel(ADAMW, { param: slot.param, grad: g, m: slot.m, v: slot.v }, attrs as unknown as NamedAttrMap) as [
            Tensor,
            Tensor,
            Tensor,
          ];
        } else {
          m = tf.add(tf.mul(slot.m, s(beta1)), tf.mul(g, s(1 - beta1)));
          v = tf.add(tf.mul(slot.v, s(beta2)), tf.mul(tf.square(g), s(1 - beta2)));
          const decayed = decay !== null ? tf.mul(slot.param, s(decay)) : slot.param;
          const denom = tf.add(tf.div(tf.sqrt(v), s(bc2Sqrt)), s(eps));
          p = tf.sub(decayed, tf.mul(tf.div(m, denom), s(lr / bc1)));
        }
        slot.m.assign(m);
        slot.v.assign(v);
        slot.param.assign(p);
      }
    });
  }

  /**
   * Computes the gradients of `loss` with respect to the optimizer's parameters, takes one step and
   * returns the loss value (read back asynchronously: a GPU backend cannot be read synchronously in
   * Node). Parameters that `loss` does not depend on are skipped.
   */
  async minimize(loss: () => Scalar): Promise<number> {
    this.assertAlive();
    const { value, grads } = namedGradients(new Map([...this.slots].map(([n, s]) => [n, s.param])), loss);
    try {
      this.step(grads);
      return (await value.data())[0]!;
    } finally {
      value.dispose();
      tf.dispose([...grads.values()]);
    }
  }

  /** The state as plain arrays (copies, read back asynchronously), keyed by torch parameter name. */
  async exportState(): Promise<AdamWState> {
    this.assertAlive();
    const params: Record<string, AdamWParamState> = {};
    for (const [name, s] of this.slots) {
      const size = s.param.size;
      params[name] = {
        step: s.step,
        shape: [...s.param.shape],
        expAvg: s.m ? await readFloat32(s.m) : new Float32Array(size),
        expAvgSq: s.v ? await readFloat32(s.v) : new Float32Array(size),
      };
    }
    return {
      format: 'funduslab.adamw/1',
      lr: this.lr,
      betas: [this.beta1, this.beta2],
      eps: this.eps,
      weightDecay: this.weightDecay,
      params,
    };
  }

  /**
   * Restores per-parameter state (step, moments). Hyper-parameters are not taken from the state
   * (the caller's configuration wins); parameters missing from the state start fresh, unknown
   * names and shape mismatches are errors.
   */
  loadState(state: AdamWState): void {
    this.assertAlive();
    if (state.format !== 'funduslab.adamw/1')
      throw new AppError('BAD_REQUEST', `Error in AdamW.loadState: unknown format "${String(state.format)}"`);
    for (const [name, ps] of Object.entries(state.params)) {
      const slot = this.slots.get(name);
      if (!slot) throw new AppError('BAD_REQUEST', `Error in AdamW.loadState: unknown parameter "${name}"`);
      if (
        !tf.util.arraysEqual(ps.shape, slot.param.shape) ||
        ps.expAvg.length !== slot.param.size ||
        ps.expAvgSq.length !== slot.param.size
      ) {
        throw new AppError(
          'BAD_REQUEST',
          `Error in AdamW.loadState: "${name}" has shape [${ps.shape.join(', ')}], parameter [${slot.param.shape.join(', ')}]`,
        );
      }
    }
    for (const [name, slot] of this.slots) {
      const ps = state.params[name];
      slot.m?.dispose();
      slot.v?.dispose();
      slot.m = slot.v = null;
      slot.step = 0;
      if (!ps || ps.step === 0) continue;
      slot.step = ps.step;
      slot.m = variableFrom(ps.expAvg, slot.param.shape, `adamw${this.id}/${name}/exp_avg`);
      slot.v = variableFrom(ps.expAvgSq, slot.param.shape, `adamw${this.id}/${name}/exp_avg_sq`);
    }
  }

  /** Frees the moment buffers (not the parameters). */
  dispose(): void {
    if (this.disposed) return;
    for (const s of this.slots.values()) {
      s.m?.dispose();
      s.v?.dispose();
      s.m = s.v = null;
    }
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new AppError('BAD_REQUEST', 'Error in AdamW: the optimizer was disposed');
  }
}

function variableFrom(values: Float32Array, shape: number[], name: string): Variable {
  const t = tf.tensor(values, shape, 'float32');
  const v = tf.variable(t, false, name);
  t.dispose();
  return v;
}

/**
 * Value and gradients of `f` with respect to named variables; gradients keyed by the given names
 * (torch names), only for variables `f` depends on. The caller disposes value and gradients.
 */
export function namedGradients(params: ReadonlyMap<string, Variable>, f: () => Scalar): { value: Scalar; grads: Map<string, Tensor> } {
  const byVarName = new Map<string, string>();
  for (const [name, v] of params) byVarName.set(v.name, name);
  const { value, grads } = tf.variableGrads(f, [...params.values()]);
  const out = new Map<string, Tensor>();
  for (const [varName, g] of Object.entries(grads)) out.set(byVarName.get(varName) ?? varName, g);
  return { value, grads: out };
}
