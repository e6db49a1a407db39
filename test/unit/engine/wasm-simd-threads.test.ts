/**
 * FundusLab's SIMD kernels on the multi-threaded wasm build, where each call large enough is split
 * over the threads (kernels/wasm/simd/pool.ts): the same results as the JavaScript CPU backend
 * (‖Δ‖∞/‖cpu‖∞ ≤ 1e-4, as in wasm-kernels.test.ts). This file's process asks for 2 wasm threads
 * (the suite runs single-threaded; vitest's forks pool gives each test file its own process, and
 * the wasm module is instantiated once per process), and the shapes are above the size from which
 * calls are split.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, setCpuBackend } from '../../../src-main/engine/backend';
import { setNativeEnabled } from '../../../src-main/engine/kernels/native/addon';
import { simdContext } from '../../../src-main/engine/kernels/wasm/simd/module';
import { MIN_PARALLEL_FLOATS, splitRange } from '../../../src-main/engine/kernels/wasm/simd/pool';
import { batchNormTrain } from '../../../src-main/engine/models/resnet';
import { AdamW } from '../../../src-main/engine/optim/adamw';
import { Sgd } from '../../../src-main/engine/optim/sgd';
import { mulberry32 } from '../../../src-main/random/prng';
import { relInfDiff } from '../../support/numeric';

const previous = process.env.FUNDUSLAB_WASM_THREADS;
// These tests are about the wasm SIMD kernels: the native convolution kernels (tested in
// native-kernels.test.ts) would take their convolutions.
let nativeWas = true;
beforeAll(async () => {
  nativeWas = setNativeEnabled(false);
  process.env.FUNDUSLAB_WASM_THREADS = '2';
  const status = await initEngine({ preference: 'wasm', env: {} });
  expect(status.threads).toBe(2);
});
afterAll(() => {
  setNativeEnabled(nativeWas);
  if (previous === undefined) delete process.env.FUNDUSLAB_WASM_THREADS;
  else process.env.FUNDUSLAB_WASM_THREADS = previous;
});

function values(shape: number[], seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1);
}

/** Gradients of Σ f(params)·r on `backend`, as plain arrays. */
async function gradients(backend: 'wasm' | 'cpu', shapes: number[][], f: (...t: Tensor[]) => Tensor): Promise<Float32Array[]> {
  if (backend === 'cpu') await setCpuBackend();
  else await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const params = shapes.map((s, i) => tf.tensor(values(s, 10 + i), s));
    return tf
      .grads((...p: Tensor[]) => tf.sum(tf.mul(f(...p), tf.tensor(values(f(...params).shape, 99), f(...params).shape))))(params)
      .map((g) => g.dataSync() as Float32Array);
  });
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return out;
}

describe('SIMD kernels split over 2 threads', () => {
  it('runs a pool of workers on the shared wasm memory', async () => {
    await tf.setBackend('wasm');
    expect(simdContext(tf.backend()).threads).toBe(2);
    expect(splitRange(10, 2, 4)).toEqual([
      [0, 8],
      [8, 10],
    ]);
    expect(splitRange(3, 4)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  const cases: { name: string; shapes: number[][]; f: (...t: Tensor[]) => Tensor }[] = [
    {
      name: 'BatchNorm (train) + ReLU forward and backward',
      shapes: [[4, 30, 30, 36], [36], [36]],
      f: (x, g, b) => batchNormTrain(x as Tensor4D, g as Tensor1D, b as Tensor1D, true),
    },
    {
      name: '3x3 stride-2 convolution: direct filter gradient, phase-scattered input gradient',
      shapes: [
        [4, 33, 31, 20],
        [3, 3, 20, 24],
      ],
      f: (x, w) => tf.conv2d(x as Tensor4D, w as Tensor4D, 2, 1 as unknown as 'same'),
    },
    {
      name: '1x1 stride-2 convolution (gather, transposes)',
      shapes: [
        [4, 64, 64, 40],
        [1, 1, 40, 24],
      ],
      f: (x, w) => tf.conv2d(x as Tensor4D, w as Tensor4D, 2, 'valid'),
    },
    {
      name: '1x1 convolution widening (transposed product)',
      shapes: [
        [4, 32, 32, 24],
        [1, 1, 24, 64],
      ],
      f: (x, w) => tf.conv2d(x as Tensor4D, w as Tensor4D, 1, 'valid'),
    },
    {
      name: 'max pool 3x3 s2 pad 1',
      shapes: [[5, 40, 40, 16]],
      f: (x) => tf.maxPool(x as Tensor4D, 3, 2, 1 as unknown as 'same'),
    },
  ];
  it('the direct filter gradient is the same bit for bit on every call, whichever thread takes which chunk', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(values([4, 24, 24, 32], 1), [4, 24, 24, 32]);
    const dy = tf.tensor4d(values([4, 12, 12, 48], 2), [4, 12, 12, 48]);
    const splitBefore = simdContext(tf.backend()).splitCalls();
    const runs = Array.from({ length: 4 }, () => {
      const grad = tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 32, 48] },
        ) as Tensor;
      const data = grad.dataSync() as Float32Array;
      grad.dispose();
      return data;
    });
    expect(simdContext(tf.backend()).splitCalls()).toBeGreaterThan(splitBefore);
    for (const r of runs.slice(1)) expect(Buffer.from(r.buffer).equals(Buffer.from(runs[0]!.buffer))).toBe(true);
    tf.dispose([x, dy]);
  });

  for (const c of cases) {
    it(c.name, async () => {
      expect(c.shapes[0]!.reduce((a, b) => a * b, 1)).toBeGreaterThanOrEqual(MIN_PARALLEL_FLOATS); // large enough to be split
      const splitBefore = simdContext(tf.findBackend('wasm')).splitCalls();
      const wasm = await gradients('wasm', c.shapes, c.f);
      expect(simdContext(tf.findBackend('wasm')).splitCalls(), 'kernel calls split over the threads').toBeGreaterThan(splitBefore);
      const cpu = await gradients('cpu', c.shapes, c.f);
      wasm.forEach((g, i) => expect(relInfDiff(g, cpu[i]!), `gradient ${i}`).toBeLessThanOrEqual(1e-4));
    });
  }
});

describe('fused optimizer updates split over 2 threads', () => {
  it('AdamW and SGD: the same parameters as the tfjs-op updates on cpu (≤ 1e-6 relative)', async () => {
    const run = async (backend: 'wasm' | 'cpu') => {
      if (backend === 'cpu') await setCpuBackend();
      else await tf.setBackend('wasm');
      const shape = [3, 3, 64, 70]; // 40 320 elements x 3 arrays: split
      const a = new Map([['w', tf.tidy(() => tf.variable(tf.tensor(values(shape, 1), shape)))]]);
      const b = new Map([['w', tf.tidy(() => tf.variable(tf.tensor(values(shape, 2), shape)))]]);
      const adamw = new AdamW(a, { lr: 0.01, weightDecay: 0.05 });
      const sgd = new Sgd(b, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
      for (let t = 0; t < 2; t++) {
        const g = tf.tensor(values(shape, 3 + t), shape);
        adamw.step(new Map([['w', g]]));
        sgd.step(new Map([['w', g]]));
        g.dispose();
      }
      const out = [a.get('w')!.dataSync() as Float32Array, b.get('w')!.dataSync() as Float32Array];
      adamw.dispose();
      sgd.dispose();
      tf.dispose([a.get('w')!, b.get('w')!]);
      return out;
    };
    const splitBefore = simdContext(tf.findBackend('wasm')).splitCalls();
    const wasm = await run('wasm');
    expect(simdContext(tf.findBackend('wasm')).splitCalls()).toBeGreaterThan(splitBefore);
    const cpu = await run('cpu');
    wasm.forEach((p, i) => expect(relInfDiff(p, cpu[i]!)).toBeLessThanOrEqual(1e-6));
  });
});
