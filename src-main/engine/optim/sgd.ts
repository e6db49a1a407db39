/**
 * SGD with momentum and (coupled) weight decay, exactly torch.optim.SGD with dampening 0 and
 * nesterov False (the optimizer of the official MoCo v2 recipe: lr 0.03, momentum 0.9, wd 1e-4):
 *
 *   d = g + wd·p
 *   buf = d                    (first step of a parameter)
 *   buf = μ·buf + d            (later steps)
 *   p ← p − lr·buf             (μ = 0: p ← p − lr·d, no buffer)
 *
 * Golden test: test/golden/adamw (case `sgd_cosine`, torch 1.13).
 */
import tf from '@tensorflow/tfjs';
import type { NamedAttrMap, NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { SGD, type SgdAttrs } from '../kernels/wasm/Optimizers';
import { readFloat32 } from '../readback';

export interface SgdOptions {
  lr: number;
  /** Momentum μ; default 0.9. */
  momentum?: number;
  /** Coupled weight decay (added to the gradient); default 0. */
  weightDecay?: number;
}

export interface SgdParamState {
  step: number;
  shape: number[];
  /** torch `momentum_buffer` in the tfjs variable's layout (zeros before the first step). */
  momentumBuffer: Float32Array;
}
export interface SgdState {
  format: 'funduslab.sgd/1';
  lr: number;
  momentum: number;
  weightDecay: number;
  params: Record<string, SgdParamState>;
}

interface Slot {
  param: Variable;
  step: number;
  buf: Variable | null;
}

let instances = 0;

export class Sgd {
  private readonly slots = new Map<string, Slot>();
  private readonly id = instances++;
  private disposed = false;
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;

  constructor(params: ReadonlyMap<string, Variable>, opts: SgdOptions) {
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0.9;
    this.weightDecay = opts.weightDecay ?? 0;
    const bad = (what: string) => new AppError('BAD_REQUEST', `Error in SGD: ${what}`);
    if (!(this.lr >= 0)) throw bad(`invalid learning rate ${this.lr}`);
    if (!(this.momentum >= 0 && this.momentum < 1)) throw bad(`invalid momentum ${this.momentum}`);
    if (!(this.weightDecay >= 0)) throw bad(`invalid weight decay ${this.weightDecay}`);
    for (const [name, param] of params) {
      if (param.dtype !== 'float32') throw bad(`parameter "${name}" is ${param.dtype}, expected float32`);
      this.slots.set(name, { param, step: 0, buf: null });
    }
  }

  setLearningRate(lr: number): void {
    if (!(lr >= 0)) throw new AppError('BAD_REQUEST', `Error in SGD: invalid learning rate ${lr}`);
    this.lr = lr;
  }

  /** One step; parameters absent from `grads` are skipped (torch: p.grad is None). Does not dispose the gradients. */
  step(grads: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): void {
    this.assertAlive();
    const entries = grads instanceof Map ? [...grads] : Object.entries(grads);
    for (const [name, g] of entries) {
      const slot = this.slots.get(name);
      if (!slot) throw new AppError('BAD_REQUEST', `Error in SGD.step: unknown parameter "${name}"`);
      if (!tf.util.arraysEqual(g.shape, slot.param.shape))
        throw new AppError(
          'BAD_REQUEST',
          `Error in SGD.step: gradient of "${name}" has shape [${g.shape.join(', ')}], parameter [${slot.param.shape.join(', ')}]`,
        );
    }
    const fused = tf.getKernel(SGD, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      const lr: Scalar = tf.scalar(this.lr);
      const mu: Scalar = tf.scalar(this.momentum);
      const wd: Scalar = tf.scalar(this.weightDecay);
      for (const [name, g] of entries) {
        const slot = this.slots.get(name)!;
        if (fused) {
          // The same operations in one kernel (kernels/wasm/Optimizers.ts).
          const attrs: SgdAttrs = { lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay };
          const inputs: NamedTensorMap = { param: slot.param, grad: g, ...(slot.buf ? { buf: slot.buf } : {}) };
          const [p, buf] = tf.engine().runKernel(SGD, inputs, attrs as unknown as NamedAttrMap) as [Tensor, Tensor | undefined];
          if (buf) {
            if (slot.buf === null) slot.buf = tf.variable(buf, false, `sgd${this.id}/${name}/momentum_buffer`);
            else slot.buf.assign(buf);
          }
          slot.step++;
          slot.param.assign(p);
          continue;
        }
        const d = this.weightDecay !== 0 ? tf.add(g, tf.mul(slot.param, wd)) : g;
        let update: Tensor = d;
        if (this.momentum !== 0) {
          if (slot.buf === null) {
            slot.buf = tf.variable(tf.clone(d), false, `sgd${this.id}/${name}/momentum_buffer`);
          } else {
            slot.buf.assign(tf.add(tf.mul(slot.buf, mu), d));
          }
          update = slot.buf;
        }
        slot.step++;
        slot.param.assign(tf.sub(slot.param, tf.mul(update, lr)));
      }
    });
  }

  /** The state as plain arrays (copies, read back asynchronously), keyed by torch parameter name. */
  async exportState(): Promise<SgdState> {
    this.assertAlive();
    const params: Record<string, SgdParamState> = {};
    for (const [name, s] of this.slots) {
      params[name] = {
        step: s.step,
        shape: [...s.param.shape],
        momentumBuffer: s.buf ? await readFloat32(s.buf) : new Float32Array(s.param.size),
      };
    }
    return { format: 'funduslab.sgd/1', lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay, params };
  }

  /** Restores steps and momentum buffers (hyper-parameters stay the caller's); unknown names and shape mismatches are errors. */
  loadState(state: SgdState): void {
    this.assertAlive();
    if (state.format !== 'funduslab.sgd/1')
      throw new AppError('BAD_REQUEST', `Error in SGD.loadState: unknown format "${String(state.format)}"`);
    for (const [name, ps] of Object.entries(state.params)) {
      const slot = this.slots.get(name);
      if (!slot) throw new AppError('BAD_REQUEST', `Error in SGD.loadState: unknown parameter "${name}"`);
      if (!tf.util.arraysEqual(ps.shape, slot.param.shape) || ps.momentumBuffer.length !== slot.param.size)
        throw new AppError(
          'BAD_REQUEST',
          `Error in SGD.loadState: "${name}" has shape [${ps.shape.join(', ')}], parameter [${slot.param.shape.join(', ')}]`,
        );
    }
    for (const [name, slot] of this.slots) {
      const ps = state.params[name];
      slot.buf?.dispose();
      slot.buf = null;
      slot.step = ps?.step ?? 0;
      if (!ps || ps.step === 0 || this.momentum === 0) continue;
      const t = tf.tensor(ps.momentumBuffer, slot.param.shape, 'float32');
      slot.buf = tf.variable(t, false, `sgd${this.id}/${name}/momentum_buffer`);
      t.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    for (const s of this.slots.values()) {
      s.buf?.dispose();
      s.buf = null;
    }
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new AppError('BAD_REQUEST', 'Error in SGD: the optimizer was disposed');
  }
}
