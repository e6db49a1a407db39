/** MoCo v2 pieces against naive loops: InfoNCE, stop-gradient on keys, momentum update, queue order, head, leaks. */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import {
  contrastiveHits,
  effectiveQueueSize,
  infoNCE,
  l2Normalize,
  MocoQueue,
  momentumUpdate,
  ProjectionHead,
} from '../../../src-main/engine/moco/moco';
import { StreamRng } from '../../../src-main/random/streams';

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

function unitRows(rng: StreamRng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: d }, () => rng.uniform(-1, 1));
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

function naiveInfoNCE(q: number[][], k: number[][], queue: number[][], t: number): number {
  let total = 0;
  q.forEach((qi, i) => {
    const logits = [dot(qi, k[i]!) / t, ...queue.map((n) => dot(qi, n) / t)];
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    total += lse - logits[0]!;
  });
  return total / q.length;
}

describe('MoCo v2 components', () => {
  it('InfoNCE equals a naive loop', () => {
    const rng = new StreamRng(11);
    const [q, k, queue] = [unitRows(rng, 5, 8), unitRows(rng, 5, 8), unitRows(rng, 16, 8)];
    for (const t of [0.2, 0.07, 1]) {
      const loss = infoNCE(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(queue), t);
      const expected = naiveInfoNCE(q, k, queue, t);
      expect(Math.abs(loss.dataSync()[0]! - expected) / expected).toBeLessThan(1e-5);
      loss.dispose();
    }
  });

  it('gradients flow into the query encoder only (keys and queue are stop-gradient)', () => {
    const rng = new StreamRng(12);
    const x = tf.tensor2d(unitRows(rng, 4, 6));
    const wq = tf.variable(tf.tensor2d(unitRows(rng, 6, 5)), true);
    const wk = tf.variable(tf.tensor2d(unitRows(rng, 6, 5)), true);
    const queue = tf.variable(l2Normalize(tf.tensor2d(unitRows(rng, 8, 5))), true);
    const { value, grads } = tf.variableGrads(
      () => infoNCE(l2Normalize(tf.matMul(x, wq)), l2Normalize(tf.matMul(x, wk)), queue, 0.2),
      [wq, wk, queue],
    );
    const absSum = (t: tf.Tensor | undefined) => (t ? tf.tidy(() => tf.sum(tf.abs(t)).dataSync()[0]!) : 0);
    expect(absSum(grads[wq.name])).toBeGreaterThan(1e-3);
    expect(absSum(grads[wk.name])).toBe(0);
    expect(absSum(grads[queue.name])).toBe(0);
    tf.dispose([value, ...Object.values(grads), x, wq, wk, queue]);
  });

  it('momentum update equals the naive formula, parameters only', () => {
    const q = new Map<string, tf.Variable>([
      ['a', tf.variable(tf.tensor1d([1, 2, 3]))],
      ['b', tf.variable(tf.tensor2d([[4, 5]]))],
    ]);
    const k = new Map<string, tf.Variable>([
      ['a', tf.variable(tf.tensor1d([0, -2, 9]))],
      ['b', tf.variable(tf.tensor2d([[1, 1]]))],
      ['bn.running_mean', tf.variable(tf.tensor1d([7]), false)],
    ]);
    momentumUpdate(k, q, 0.9);
    const naive = (kk: number, qq: number) => 0.9 * kk + 0.1 * qq;
    const close = (got: ArrayLike<number>, want: number[]) => want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThan(1e-6));
    close(k.get('a')!.dataSync(), [naive(0, 1), naive(-2, 2), naive(9, 3)]);
    close(k.get('b')!.dataSync(), [naive(1, 4), naive(1, 5)]);
    expect(Array.from(k.get('bn.running_mean')!.dataSync())).toEqual([7]); // buffers untouched, as the official code
    momentumUpdate(k, q, 0); // m = 0 copies θq
    expect(Array.from(k.get('a')!.dataSync())).toEqual([1, 2, 3]);
    expect(() => momentumUpdate(new Map(), q, 0.5)).toThrow(/no parameter "a"/);
    tf.dispose([...q.values(), ...k.values()]);
  });

  it('queue: enqueue/dequeue order as _dequeue_and_enqueue, including wrap-around', async () => {
    const rows = (from: number, n: number) => tf.tensor2d(Array.from({ length: n }, (_, i) => [from + i, -(from + i)]));
    // K divisible by B: the official sequence
    const q8 = new MocoQueue(8, 2, 1);
    const b1 = rows(1, 4);
    q8.enqueue(b1);
    expect(q8.ptr).toBe(4);
    const b2 = rows(5, 4);
    q8.enqueue(b2);
    expect(q8.ptr).toBe(0);
    const b3 = rows(9, 4);
    q8.enqueue(b3);
    expect(q8.ptr).toBe(4);
    expect((q8.keys.arraySync() as number[][]).map((r) => r[0])).toEqual([9, 10, 11, 12, 5, 6, 7, 8]);
    // naive ring buffer with wrap-around for K = 6, B = 4
    const q6 = new MocoQueue(6, 2, 2);
    const naive = (q6.keys.arraySync() as number[][]).map((r) => r[0]!);
    let ptr = 0;
    const batches = [rows(1, 4), rows(5, 4), rows(9, 4), rows(13, 2)];
    for (const b of batches) {
      const vals = (b.arraySync() as number[][]).map((r) => r[0]!);
      vals.forEach((v, i) => (naive[(ptr + i) % 6] = v));
      ptr = (ptr + vals.length) % 6;
      q6.enqueue(b);
      expect(q6.ptr).toBe(ptr);
      expect((q6.keys.arraySync() as number[][]).map((r) => r[0])).toEqual(naive);
    }
    expect(naive).toEqual([13, 14, 9, 10, 11, 12]);
    const st = await q6.exportState();
    const q6b = new MocoQueue(6, 2, 3);
    q6b.loadState(st);
    expect(q6b.ptr).toBe(ptr);
    expect(Array.from(q6b.keys.dataSync())).toEqual(Array.from(st.keys));
    tf.dispose([b1, b2, b3, ...batches]);
    [q8, q6, q6b].forEach((q) => q.dispose());
  });

  it('queue held twice ([K, dim] and [dim, K]): in-place writes equal the concat path; negatives and their gradient equal the tensor formulation', async () => {
    const rng = new StreamRng(21);
    const [K, dim] = [10, 6];
    const fast = new MocoQueue(K, dim, 4);
    const slow = new MocoQueue(K, dim, 4);
    slow.inPlace = false;
    const q = tf.tensor2d(unitRows(rng, 3, dim));
    const dy = tf.tensor2d(Array.from({ length: 3 }, () => Array.from({ length: K }, () => rng.uniform(-1, 1))));
    // batches of 4, 4, 3 (wraps), 4 (wraps), 1
    for (const b of [4, 4, 3, 4, 1]) {
      const batch = tf.tensor2d(unitRows(rng, b, dim));
      fast.enqueue(batch);
      slow.enqueue(batch);
      batch.dispose();
      expect(fast.ptr).toBe(slow.ptr);
      expect(Array.from(fast.keys.dataSync())).toEqual(Array.from(slow.keys.dataSync()));
      for (const queue of [fast, slow]) {
        // forward: bit for bit the product with the transposed keys; backward: dy · keys (float32 sums, ≤ 1e-6)
        const want = tf.tidy(() => tf.matMul(q, tf.transpose(queue.keys)));
        const got = queue.negatives(q);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(queue.negatives(x as tf.Tensor2D), dy)))(q);
        const keys = queue.keys.arraySync() as number[][];
        const dyv = dy.arraySync() as number[][];
        const naive = dyv.map((row) => Array.from({ length: dim }, (_, c) => row.reduce((s, v, r) => s + v * keys[r]![c]!, 0)));
        (grad.arraySync() as number[][]).forEach((row, i) => row.forEach((v, c) => expect(Math.abs(v - naive[i]![c]!)).toBeLessThan(1e-6)));
        tf.dispose([want, got, grad]);
      }
    }
    // InfoNCE with the queue object equals InfoNCE with its keys as a tensor
    const k = tf.tensor2d(unitRows(rng, 3, dim));
    const a = infoNCE(q, k, fast, 0.2);
    const b = infoNCE(q, k, fast.keys, 0.2);
    expect(Math.abs(a.dataSync()[0]! - b.dataSync()[0]!)).toBeLessThan(1e-6);
    const naiveLoss = naiveInfoNCE(q.arraySync() as number[][], k.arraySync() as number[][], fast.keys.arraySync() as number[][], 0.2);
    expect(Math.abs(a.dataSync()[0]! - naiveLoss) / naiveLoss).toBeLessThan(1e-5);
    // Acc@1 hits: equal with the queue object and its tensor; a positive equal to a negative is a miss
    const hitsA = contrastiveHits(q, k, fast, 0.2);
    const hitsB = contrastiveHits(q, k, fast.keys, 0.2);
    expect(hitsA.dataSync()[0]).toBe(hitsB.dataSync()[0]);
    const tie = contrastiveHits(
      fast.keys.slice([0, 0], [1, dim]) as tf.Tensor2D,
      fast.keys.slice([0, 0], [1, dim]) as tf.Tensor2D,
      fast,
      0.2,
    );
    expect(tie.dataSync()[0]).toBe(0);
    tf.dispose([hitsA, hitsB, tie]);
    // a loaded state holds both layouts
    const copy = new MocoQueue(K, dim, 9);
    copy.loadState(await fast.exportState());
    const n1 = copy.negatives(q);
    const n2 = fast.negatives(q);
    expect(Array.from(n1.dataSync())).toEqual(Array.from(n2.dataSync()));
    tf.dispose([q, dy, k, a, b, n1, n2]);
    [fast, slow, copy].forEach((x) => x.dispose());
  });

  it('fused momentum update (wasm kernel) equals the tfjs operations bit for bit', () => {
    const rng = new StreamRng(22);
    for (const n of [1, 7, 4099]) {
      const kv = Float32Array.from({ length: n }, () => rng.uniform(-3, 3));
      const qv = Float32Array.from({ length: n }, () => rng.uniform(-3, 3));
      for (const m of [0.999, 0.9, 0.5]) {
        const key = new Map([['w', tf.variable(tf.tensor1d(kv))]]);
        const query = new Map([['w', tf.variable(tf.tensor1d(qv))]]);
        momentumUpdate(key, query, m);
        const want = tf.tidy(() => tf.add(tf.mul(tf.tensor1d(kv), tf.scalar(m)), tf.mul(tf.tensor1d(qv), tf.scalar(1 - m))));
        expect(Array.from(key.get('w')!.dataSync())).toEqual(Array.from(want.dataSync()));
        // and the float32 formula computed here
        const f = Math.fround;
        const naive = Array.from(kv, (x, i) => f(f(x * f(m)) + f(qv[i]! * f(1 - m))));
        expect(Array.from(key.get('w')!.dataSync())).toEqual(naive);
        tf.dispose([want, ...key.values(), ...query.values()]);
      }
    }
  });

  it('queue size is reduced for small datasets', () => {
    expect(effectiveQueueSize(65536, 100_000, 256)).toMatchObject({ size: 65536, reduced: false });
    const r = effectiveQueueSize(65536, 1000, 256);
    expect(r).toMatchObject({ size: 768, reduced: true });
    expect(r.message).toMatch(/65536 to 768/);
    expect(effectiveQueueSize(65536, 100, 256).size).toBe(256);
  });

  it('projection head: MLP with ReLU, unit-norm output, equals a naive computation; no leaks', () => {
    const head = new ProjectionHead(6, 10, 4, 7);
    const v = head.trainableVariables();
    expect([...v.keys()]).toEqual(['fc.0.weight', 'fc.0.bias', 'fc.2.weight', 'fc.2.bias']);
    expect(v.get('fc.0.weight')!.shape).toEqual([10, 6]);
    const rng = new StreamRng(5);
    const x = unitRows(rng, 3, 6);
    const xt = tf.tensor2d(x);
    const before = tf.memory().numTensors;
    const y = head.forward(xt);
    expect(tf.memory().numTensors).toBe(before + 1); // only the output survives
    const W1 = v.get('fc.0.weight')!.arraySync() as number[][];
    const b1 = Array.from(v.get('fc.0.bias')!.dataSync());
    const W2 = v.get('fc.2.weight')!.arraySync() as number[][];
    const b2 = Array.from(v.get('fc.2.bias')!.dataSync());
    const expected = x.map((xi) => {
      const h = W1.map((w, j) => Math.max(0, dot(w, xi) + b1[j]!));
      const z = W2.map((w, j) => dot(w, h) + b2[j]!);
      const n = Math.hypot(...z);
      return z.map((zz) => zz / n);
    });
    const got = y.arraySync();
    got.forEach((row, i) => row.forEach((val, j) => expect(Math.abs(val - expected[i]![j]!)).toBeLessThan(1e-5)));
    tf.dispose([y, xt]);
    head.dispose();
  });

  it('a training-step loop (loss, momentum update, enqueue) does not leak', () => {
    const rng = new StreamRng(9);
    const x = tf.tensor2d(unitRows(rng, 4, 6));
    const wq = new Map([['w', tf.variable(tf.tensor2d(unitRows(rng, 6, 5)), true)]]);
    const wk = new Map([['w', tf.variable(wq.get('w')!.clone(), false)]]);
    const queue = new MocoQueue(8, 5, 0);
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => infoNCE(l2Normalize(tf.matMul(x, wq.get('w')!)), l2Normalize(tf.matMul(x, wk.get('w')!)), queue.keys as tf.Tensor2D, 0.2),
        [wq.get('w')!],
      );
      tf.tidy(() => wq.get('w')!.assign(tf.sub(wq.get('w')!, tf.mul(grads[wq.get('w')!.name]!, 0.1))));
      momentumUpdate(wk, wq, 0.99);
      const k = tf.tidy(() => l2Normalize(tf.matMul(x, wk.get('w')!)));
      queue.enqueue(k);
      tf.dispose([value, k, ...Object.values(grads)]);
    };
    step();
    const n = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(n);
    tf.dispose([x, ...wq.values(), ...wk.values()]);
    queue.dispose();
  });
});
