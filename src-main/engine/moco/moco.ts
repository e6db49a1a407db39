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
 *   batch of an epoch is accepted. Stored as [K, dim] (the official stores [dim, K]).
 * - Shuffle-BN (shuffling the key batch across GPUs so BN statistics cannot leak the positive pair)
 *   is a multi-GPU trick and is NOT applied: FundusLab trains on a single device.
 */
import tf from '@tensorflow/tfjs';
import type { Rank, Scalar, Tensor, Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { tfSeed } from '../../random/tf-seed';
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
export function infoNCE(q: Tensor2D, k: Tensor2D, queue: Tensor2D, temperature: number): Scalar {
  if (q.rank !== 2 || !tf.util.arraysEqual(q.shape, k.shape) || queue.rank !== 2 || queue.shape[1] !== q.shape[1]) {
    throw bad(`Error in infoNCE: q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], queue [${queue.shape.join(', ')}] do not fit`);
  }
  if (!(temperature > 0)) throw bad(`Error in infoNCE: temperature must be positive, got ${temperature}`);
  return tf.tidy(() => {
    const logits = mocoLogits(q, stopGradient(k), stopGradient(queue), temperature);
    const ce = tf.sub(tf.logSumExp(logits, 1), tf.squeeze(tf.slice(logits, [0, 0], [-1, 1]), [1]));
    return tf.mean(ce) as Scalar;
  });
}

/** The [N, 1 + K] logits [q·k₊, q·queueᵀ] / T (no stop-gradient; see infoNCE). */
export function mocoLogits(q: Tensor2D, k: Tensor2D, queue: Tensor2D, temperature: number): Tensor2D {
  return tf.tidy(() => {
    const pos = tf.sum(tf.mul(q, k), 1, true);
    // matMul(q, transpose(queue)), not matMul(q, queue, false, true): on wasm the transposed-b form
    // takes a generic loop ~13× slower than the explicit transpose's XNNPACK path.
    const neg = tf.matMul(q, tf.transpose(queue));
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
  tf.tidy(() => {
    const mk = tf.scalar(m);
    const mq = tf.scalar(1 - m);
    for (const [name, q] of query) {
      const k = key.get(name)!;
      k.assign(tf.add(tf.mul(k, mk), tf.mul(q, mq)));
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
  readonly keys: Variable<Rank.R2>;
  private pointer = 0;

  /** K random unit vectors (the official init: randn, normalised), seeded. */
  constructor(
    readonly size: number,
    readonly dim: number,
    seed = 0,
  ) {
    if (!(Number.isInteger(size) && size > 0 && Number.isInteger(dim) && dim > 0))
      throw bad(`Error in MocoQueue: invalid size ${size} × ${dim}`);
    const init = tf.tidy(() => l2Normalize(tf.randomNormal([size, dim], 0, 1, 'float32', tfSeed(seed))));
    this.keys = tf.variable(init, false, `mocoqueue${queueCount++}`);
    init.dispose();
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
    });
    this.pointer = (p + b) % this.size;
  }

  /** State for checkpoints: keys [K, dim] row-major (read back asynchronously) and ptr. */
  async exportState(): Promise<{ keys: Float32Array; ptr: number; size: number; dim: number }> {
    const ptr = this.pointer;
    return { keys: await readFloat32(this.keys), ptr, size: this.size, dim: this.dim };
  }

  loadState(s: { keys: Float32Array; ptr: number; size: number; dim: number }): void {
    if (s.size !== this.size || s.dim !== this.dim || s.keys.length !== this.size * this.dim || !(s.ptr >= 0 && s.ptr < this.size))
      throw bad('Error in MocoQueue.loadState: state does not fit this queue');
    tf.tidy(() => this.keys.assign(tf.tensor2d(s.keys, [this.size, this.dim])));
    this.pointer = s.ptr;
  }

  dispose(): void {
    this.keys.dispose();
  }
}
