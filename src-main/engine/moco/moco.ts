/**
 * MoCo v2 building blocks (He et al. 2020; Chen et al. 2020; facebookresearch/moco `moco/builder.py`).
 *
 * - ProjectionHead: MoCo v2's MLP that replaces the backbone's fc: Linear(C, hidden) → ReLU →
 *   Linear(hidden, dim), torch names `fc.0.*` and `fc.2.*` (layout [out, in] as torch), output
 *   L2-normalised along the feature axis (F.normalize, eps 1e-12). hidden defaults to C (2048 for
 *   ResNet50, scaled with model width), dim to 128.
 * - infoNCE: logits = [q·k₊, q·queueᵀ] / T, cross-entropy with label 0 (mean over the batch). Keys
 *   and queue are stop-gradient: gradients reach only the query encoder.
 * - momentumUpdate: θk ← m·θk + (1 − m)·θq over the *parameters* only, exactly as the official
 *   `_momentum_update_key_encoder` (which iterates `encoder_q.parameters()`); BatchNorm running
 *   statistics of the key encoder are not copied — they evolve from the key encoder's own train-mode
 *   forward passes. Both encoders start from the same weights (the official code copies θq to θk once).
 * - MocoQueue: K keys × dim in a ring buffer, `_dequeue_and_enqueue`: queue[ptr : ptr+B] = keys,
 *   ptr = (ptr + B) mod K. The official code asserts K % B == 0; here a batch that does not fit before
 *   the end wraps around to the start (the oldest keys are overwritten in order), so a last smaller
 *   batch of an epoch is accepted. Held as [K, dim] and, for the logits, also as [dim, K] (the
 *   official layout): q·queueᵀ is then a plain matrix product forward (dq = dlogits·queue backward),
 *   with no transpose of the whole queue per step. On wasm a batch's keys are written in place into
 *   both (as the official `queue[:, ptr:ptr+B] = keys.T`) and the packed copies XNNPACK keeps of
 *   them are dropped; a whole-queue concat and transpose per step took ~0.7 s each at K = 65536.
 * - Shuffle-BN (shuffling the key batch across GPUs so BN statistics cannot leak the positive pair)
 *   is a multi-GPU trick and is NOT applied: FundusLab trains on a single device.
 */
import tf from '@tensorflow/tfjs';
import type { NamedAttrMap, Rank, Scalar, Tensor, Tensor1D, Tensor2D, TensorInfo, Variable } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { tfSeed } from '../../random/tf-seed';
import { forgetCachedOperators } from '../kernels/wasm/heap';
import { MOMENTUM } from '../kernels/wasm/Optimizers';
import { simdContext } from '../kernels/wasm/simd/module';
import { readFloat32 } from '../readback';

const bad = (msg: string) => new AppError('BAD_REQUEST', msg);

/** Row-wise L2 normalisation, torch F.normalize(dim=1, eps=1e-12). */
export function l2Normalize(x: Tensor2D): Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as Tensor2D);
}

/** Identity forward, zero gradient (torch's .detach() / no_grad for keys). */
const stopGradientImpl = tf.customGrad(((x: Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);
export const stopGradient = <T extends Tensor>(x: T): T => stopGradientImpl(x) as T;

let headCount = 0;

export class ProjectionHead {
  private readonly vars = new Map<string, Variable>();
  constructor(
    readonly inFeatures: number,
    readonly hidden: number = inFeatures,
    readonly dim = 128,
    seed = 0,
  ) {
    const id = headCount++;
    // torch nn.Linear default init: weight and bias ~ U(−1/√in, 1/√in)
    const layers: [string, number, number][] = [
      ['fc.0', inFeatures, hidden],
      ['fc.2', hidden, dim],
    ];
    layers.forEach(([name, fin, fout], i) => {
      const bound = 1 / Math.sqrt(fin);
      for (const [suffix, shape] of [
        ['weight', [fout, fin]],
        ['bias', [fout]],
      ] as const) {
        const init = tf.randomUniform([...shape], -bound, bound, 'float32', tfSeed(seed * 4 + i * 2 + (suffix === 'bias' ? 1 : 0)));
        this.vars.set(`${name}.${suffix}`, tf.variable(init, true, `mocohead${id}/${name}.${suffix}`));
        init.dispose();
      }
    });
  }

  /** Parameters by torch name (`fc.0.weight` …). */
  trainableVariables(): Map<string, Variable> {
    return new Map(this.vars);
  }

  /** features [N, C] → L2-normalised embeddings [N, dim]. */
  forward(features: Tensor2D): Tensor2D {
    if (features.rank !== 2 || features.shape[1] !== this.inFeatures)
      throw bad(`Error in ProjectionHead.forward: expected [N, ${this.inFeatures}], got [${features.shape.join(', ')}]`);
    return tf.tidy(() => {
      const v = (n: string) => this.vars.get(n)!;
      const h = tf.relu(tf.add(tf.matMul(features, v('fc.0.weight') as Tensor2D, false, true), v('fc.0.bias') as Tensor1D));
      const z = tf.add(tf.matMul(h, v('fc.2.weight') as Tensor2D, false, true), v('fc.2.bias') as Tensor1D) as Tensor2D;
      return l2Normalize(z);
    });
  }

  /** Copies another head's parameters into this one (initialising the key head from the query head). */
  copyFrom(other: ProjectionHead): void {
    for (const [n, v] of this.vars) v.assign(other.vars.get(n)!);
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/**
 * InfoNCE loss: q, k [N, dim] (L2-normalised), queue [K, dim]. Returns the mean cross-entropy with
 * the positive at index 0. `k` and `queue` are stop-gradient.
 */
export function infoNCE(q: Tensor2D, k: Tensor2D, queue: Tensor2D | MocoQueue, temperature: number): Scalar {
  const keys = queue instanceof MocoQueue ? queue.keys : queue;
  if (q.rank !== 2 || !tf.util.arraysEqual(q.shape, k.shape) || keys.rank !== 2 || keys.shape[1] !== q.shape[1]) {
    throw bad(`Error in infoNCE: q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], queue [${keys.shape.join(', ')}] do not fit`);
  }
  if (!(temperature > 0)) throw bad(`Error in infoNCE: temperature must be positive, got ${temperature}`);
  return tf.tidy(() => {
    if (queue instanceof MocoQueue) {
      // The same cross-entropy without building the [N, 1 + K] logits: a concat of that size is a slow generic copy on wasm.
      const { pos, neg } = splitLogits(q, stopGradient(k), queue, temperature);
      const max = tf.maximum(tf.max(neg, 1), pos);
      const sum = tf.add(tf.exp(tf.sub(pos, max)), tf.sum(tf.exp(tf.sub(neg, tf.reshape(max, [-1, 1]))), 1));
      return tf.mean(tf.sub(tf.add(tf.log(sum), max), pos)) as Scalar;
    }
    const logits = mocoLogits(q, stopGradient(k), stopGradient(queue), temperature);
    const ce = tf.sub(tf.logSumExp(logits, 1), tf.squeeze(tf.slice(logits, [0, 0], [-1, 1]), [1]));
    return tf.mean(ce) as Scalar;
  });
}

/** The positive logits q·k₊ / T [N] and the negatives q·queueᵀ / T [N, K] (the queue a constant). */
function splitLogits(q: Tensor2D, k: Tensor2D, queue: MocoQueue, temperature: number): { pos: Tensor1D; neg: Tensor2D } {
  return {
    pos: tf.div(tf.sum(tf.mul(q, k), 1), temperature) as Tensor1D,
    neg: tf.div(queue.negatives(q), temperature) as Tensor2D,
  };
}

/**
 * Acc@1 hits of the contrastive task: how many queries score their positive above every negative
 * (a tie counts as a miss: a collapsed encoder must not score 100 %).
 */
export function contrastiveHits(q: Tensor2D, k: Tensor2D, queue: Tensor2D | MocoQueue, temperature: number): Scalar {
  return tf.tidy(() => {
    const { pos, neg } =
      queue instanceof MocoQueue
        ? splitLogits(q, k, queue, temperature)
        : (() => {
            const logits = mocoLogits(q, k, queue, temperature);
            return { pos: tf.squeeze(tf.slice(logits, [0, 0], [-1, 1]), [1]), neg: tf.slice(logits, [0, 1], [-1, -1]) };
          })();
    return tf.sum(tf.cast(tf.greater(pos, tf.max(neg, 1)), 'float32')) as Scalar;
  });
}

/**
 * The [N, 1 + K] logits [q·k₊, q·queueᵀ] / T (no stop-gradient on a tensor queue; see infoNCE). A
 * MocoQueue is a constant (no gradient reaches it) and its [dim, K] copy saves the transpose.
 */
export function mocoLogits(q: Tensor2D, k: Tensor2D, queue: Tensor2D | MocoQueue, temperature: number): Tensor2D {
  return tf.tidy(() => {
    const pos = tf.sum(tf.mul(q, k), 1, true);
    // matMul(q, transpose(queue)), not matMul(q, queue, false, true): on wasm the transposed-b form
    // takes a generic loop ~13× slower than the explicit transpose's XNNPACK path.
    const neg = queue instanceof MocoQueue ? queue.negatives(q) : tf.matMul(q, tf.transpose(queue));
    return tf.div(tf.concat([pos, neg], 1), temperature) as Tensor2D;
  });
}

/**
 * θk ← m·θk + (1 − m)·θq for every name in `query` (parameters only; see the module comment). One
 * tidy, in-place assigns.
 */
export function momentumUpdate(key: ReadonlyMap<string, Variable>, query: ReadonlyMap<string, Variable>, m: number): void {
  if (!(m >= 0 && m <= 1)) throw bad(`Error in momentumUpdate: momentum must be in [0, 1], got ${m}`);
  for (const [name, q] of query) {
    const k = key.get(name);
    if (!k) throw bad(`Error in momentumUpdate: key encoder has no parameter "${name}"`);
    if (!tf.util.arraysEqual(k.shape, q.shape))
      throw bad(`Error in momentumUpdate: "${name}" has shape [${k.shape.join(', ')}] vs [${q.shape.join(', ')}]`);
  }
  // One fused kernel per parameter where the backend has it (wasm: FundusLabMomentum, the same float32 operations).
  const fused = tf.getKernel(MOMENTUM, tf.getBackend()) !== undefined;
  tf.tidy(() => {
    const mk = tf.scalar(m);
    const mq = tf.scalar(1 - m);
    for (const [name, q] of query) {
      const k = key.get(name)!;
      k.assign(
        fused
          ? (tf.engine().runKernel(MOMENTUM, { key: k, query: q }, { momentum: m } as unknown as NamedAttrMap) as Tensor)
          : tf.add(tf.mul(k, mk), tf.mul(q, mq)),
      );
    }
  });
}

/**
 * The queue size to use: the requested K, reduced when the dataset has fewer images than K to the
 * largest multiple of the batch size ≤ the dataset size (a queue longer than the dataset would hold
 * stale keys of the same images). `reduced` says so, for the run's report.
 */
export function effectiveQueueSize(
  requested: number,
  datasetSize: number,
  batchSize: number,
): { size: number; reduced: boolean; message: string | null } {
  if (!(requested > 0 && batchSize > 0 && datasetSize > 0)) throw bad('Error in effectiveQueueSize: sizes must be positive');
  if (datasetSize >= requested) {
    return requested % batchSize === 0
      ? { size: requested, reduced: false, message: null }
      : {
          size: requested,
          reduced: false,
          message: `queue size ${requested} is not a multiple of the batch size ${batchSize}: batches wrap around the ring buffer`,
        };
  }
  const size = Math.max(batchSize, Math.floor(datasetSize / batchSize) * batchSize);
  return {
    size,
    reduced: true,
    message: `queue reduced from ${requested} to ${size} keys: the dataset has only ${datasetSize} images (largest multiple of the batch size ${batchSize} not above it)`,
  };
}

let queueCount = 0;

export class MocoQueue {
  /** The keys [K, dim], row r = key r. */
  readonly keys: Variable<Rank.R2>;
  /** The same keys as [dim, K] (the official layout), for q·queueᵀ without a transpose per step. */
  private readonly keysT: Variable<Rank.R2>;
  private pointer = 0;
  /** Writes in place (wasm) rather than by concat + transpose; false only to compare the two in tests. */
  inPlace = true;

  /** K random unit vectors (the official init: randn, normalised), seeded. */
  constructor(
    readonly size: number,
    readonly dim: number,
    seed = 0,
  ) {
    if (!(Number.isInteger(size) && size > 0 && Number.isInteger(dim) && dim > 0))
      throw bad(`Error in MocoQueue: invalid size ${size} × ${dim}`);
    const init = tf.tidy(() => l2Normalize(tf.randomNormal([size, dim], 0, 1, 'float32', tfSeed(seed))));
    const id = queueCount++;
    this.keys = tf.variable(init, false, `mocoqueue${id}`);
    const initT = tf.transpose(init);
    this.keysT = tf.variable(initT, false, `mocoqueue${id}/t`);
    tf.dispose([init, initT]);
  }

  /** q [N, dim] · queueᵀ → [N, K], as matMul(q, transpose(keys)); backward dq = dy · keys (the queue is a constant). */
  negatives(q: Tensor2D): Tensor2D {
    const keys = this.keys;
    const keysT = this.keysT;
    const f = tf.customGrad(((x: Tensor2D) => ({
      value: tf.matMul(x, keysT),
      gradFunc: (dy: Tensor2D) => tf.matMul(dy, keys),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(q) as Tensor2D;
  }

  /** Index of the next row to overwrite (the official queue_ptr). */
  get ptr(): number {
    return this.pointer;
  }

  /** Writes a batch of keys [B, dim] at ptr (wrapping around the end) and advances ptr by B mod K. */
  enqueue(batch: Tensor2D): void {
    const b = batch.shape[0];
    if (batch.rank !== 2 || batch.shape[1] !== this.dim)
      throw bad(`Error in MocoQueue.enqueue: expected [B, ${this.dim}], got [${batch.shape.join(', ')}]`);
    if (b > this.size) throw bad(`Error in MocoQueue.enqueue: batch of ${b} exceeds the queue size ${this.size}`);
    const p = this.pointer;
    if (this.inPlace && this.writeInPlace(batch, p)) {
      this.pointer = (p + b) % this.size;
      return;
    }
    tf.tidy(() => {
      const k = stopGradient(batch);
      const first = Math.min(b, this.size - p);
      const parts: Tensor[] = [];
      const rest = b - first; // rows wrapping to the start
      if (rest > 0) parts.push(tf.slice(k, [first, 0], [rest, -1]));
      if (p - rest > 0) parts.push(tf.slice(this.keys, [rest, 0], [p - rest, -1]));
      parts.push(tf.slice(k, [0, 0], [first, -1]));
      if (this.size - p - first > 0) parts.push(tf.slice(this.keys, [p + first, 0], [this.size - p - first, -1]));
      this.keys.assign(tf.concat(parts, 0) as Tensor2D);
      this.keysT.assign(tf.transpose(this.keys));
    });
    this.pointer = (p + b) % this.size;
  }

  /**
   * On the wasm backend, writes the batch's rows into `keys` and its columns into `keysT` where they
   * are on the heap (row p + i mod K). Only when the backend is wasm and no other tensor shares the
   * queue's data (a shared buffer would change under its holder); false leaves the work to the caller.
   */
  private writeInPlace(batch: Tensor2D, p: number): boolean {
    const backend = tf.backend() as unknown as { refCount?(dataId: object): number };
    if (tf.getBackend() !== 'wasm' || typeof backend.refCount !== 'function') return false;
    if (backend.refCount(this.keys.dataId) !== 1 || backend.refCount(this.keysT.dataId) !== 1) return false;
    // XNNPACK keeps a packed copy of a MatMul's second operand per tensor: both layouts are one (negatives, its gradient).
    if (!forgetCachedOperators(backend, this.keys.dataId) || !forgetCachedOperators(backend, this.keysT.dataId)) return false;
    const ctx = simdContext(backend);
    const heap = ctx.f32();
    const [b, dim, K] = [batch.shape[0], this.dim, this.size];
    const src = ctx.ptr(batch as unknown as TensorInfo) / 4;
    const rows = ctx.ptr(this.keys as unknown as TensorInfo) / 4;
    const cols = ctx.ptr(this.keysT as unknown as TensorInfo) / 4;
    for (let i = 0; i < b; i++) {
      const r = (p + i) % K;
      const from = src + i * dim;
      heap.copyWithin(rows + r * dim, from, from + dim);
      for (let c = 0; c < dim; c++) heap[cols + c * K + r] = heap[from + c]!;
    }
    return true;
  }

  /** State for checkpoints: keys [K, dim] row-major (read back asynchronously) and ptr. */
  async exportState(): Promise<{ keys: Float32Array; ptr: number; size: number; dim: number }> {
    const ptr = this.pointer;
    return { keys: await readFloat32(this.keys), ptr, size: this.size, dim: this.dim };
  }

  loadState(s: { keys: Float32Array; ptr: number; size: number; dim: number }): void {
    if (s.size !== this.size || s.dim !== this.dim || s.keys.length !== this.size * this.dim || !(s.ptr >= 0 && s.ptr < this.size))
      throw bad('Error in MocoQueue.loadState: state does not fit this queue');
    tf.tidy(() => {
      this.keys.assign(tf.tensor2d(s.keys, [this.size, this.dim]));
      this.keysT.assign(tf.transpose(this.keys));
    });
    this.pointer = s.ptr;
  }

  dispose(): void {
    this.keys.dispose();
    this.keysT.dispose();
  }
}
