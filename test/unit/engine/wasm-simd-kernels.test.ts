/**
 * FundusLab's WebAssembly SIMD kernels (src-main/engine/kernels/wasm/simd/kernels.c) and the tfjs
 * kernels built on them, against the JavaScript CPU backend. BatchNorm's are tested in
 * models/batchnorm-train.test.ts.
 *
 * AdamW and SGD: the same float32 operations in the same order as the tfjs ops, ≤ 1e-6 relative.
 *
 * MaxPoolGrad: identical to the reference (each dy goes to one position, the same one), so the
 * tolerance is exact equality up to the order of float additions where windows overlap: ≤ 1e-6
 * relative (‖Δ‖∞/‖cpu‖∞).
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, setCpuBackend } from '../../../src-main/engine/backend';
import {
  KERNELS_SOURCE_SHA256,
  KERNELS_WASM_PRIVATE,
  KERNELS_WASM_SHARED,
} from '../../../src-main/engine/kernels/wasm/simd/kernels-binary';
import { AdamW, excludeOneDimensional } from '../../../src-main/engine/optim/adamw';
import { Sgd } from '../../../src-main/engine/optim/sgd';
import { mulberry32 } from '../../../src-main/random/prng';
import { relInfDiff } from '../../support/numeric';

beforeAll(async () => {
  await initEngine({ preference: 'wasm', env: {} });
});

async function on<T>(backend: 'wasm' | 'cpu', fn: () => T): Promise<T> {
  if (backend === 'cpu') await setCpuBackend();
  else await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const out = fn();
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return out;
}

describe('the committed kernel binary', () => {
  it('was built from the kernels.c in the tree (run scripts/build-wasm-kernels.sh after changing it)', () => {
    const source = readFileSync(path.join(__dirname, '../../../src-main/engine/kernels/wasm/simd/kernels.c'));
    expect(createHash('sha256').update(source).digest('hex')).toBe(KERNELS_SOURCE_SHA256);
  });

  it('imports nothing but a memory and exports the kernels, in both variants', () => {
    type Described = { module?: string; name: string; kind: string };
    const Wasm = (
      globalThis as unknown as {
        WebAssembly: { Module: { new (b: Uint8Array): object; imports(m: object): Described[]; exports(m: object): Described[] } };
      }
    ).WebAssembly;
    for (const [variant, b64] of [
      ['shared', KERNELS_WASM_SHARED],
      ['private', KERNELS_WASM_PRIVATE],
    ] as const) {
      const module = new Wasm.Module(Buffer.from(b64, 'base64'));
      expect(Wasm.Module.imports(module), variant).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      expect(
        Wasm.Module.exports(module)
          .map((e) => e.name)
          .sort(),
        variant,
      ).toEqual(
        [
          'fl_adamw',
          'fl_bn_grad_input',
          'fl_bn_grad_sums',
          'fl_conv_filter_grad',
          'fl_gather_phase',
          'fl_im2col_t',
          'fl_maxpool_grad',
          'fl_moments',
          'fl_momentum',
          'fl_scale_shift',
          'fl_scatter_phase',
          'fl_sgd',
          'fl_transpose',
        ].sort(),
      );
    }
  });
});

interface PoolCase {
  name: string;
  x: [number, number, number, number];
  filter: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  /** Values drawn from a few integers, so windows hold ties. */
  ties?: boolean;
}

const POOL_CASES: PoolCase[] = [
  { name: "ResNet's 3x3 s2 pad 1", x: [2, 14, 12, 8], filter: 3, strides: 2, pad: 1 },
  { name: '3x3 s2 pad 1, channels not a multiple of 4', x: [2, 9, 9, 6], filter: 3, strides: 2, pad: 1 },
  { name: '3x3 s2 pad 1 with ties', x: [1, 10, 10, 12], filter: 3, strides: 2, pad: 1, ties: true },
  { name: '2x2 s2 valid, odd size', x: [3, 7, 5, 5], filter: 2, strides: 2, pad: 'valid' },
  { name: '3x2 strides [2,1] same, 1 channel', x: [2, 8, 6, 1], filter: [3, 2], strides: [2, 1], pad: 'same' },
  { name: '3x3 s1 same (every window overlaps)', x: [1, 6, 7, 7], filter: 3, strides: 1, pad: 'same', ties: true },
];

describe('MaxPoolGrad on wasm vs cpu', () => {
  for (const c of POOL_CASES) {
    it(c.name, async () => {
      const rand = mulberry32(7);
      const n = c.x.reduce((a, b) => a * b, 1);
      const xs = Float32Array.from({ length: n }, () => (c.ties ? Math.floor(rand() * 3) : rand() * 4 - 2));
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs, c.x);
          const dy = tf.add(
            tf.onesLike(tf.maxPool(x, c.filter, c.strides, c.pad)),
            tf.randomUniform(tf.maxPool(x, c.filter, c.strides, c.pad).shape, 0, 1, 'float32', 3),
          );
          return tf
            .grad((t: Tensor) => tf.sum(tf.mul(tf.maxPool(t as Tensor4D, c.filter, c.strides, c.pad), dy)))(x)
            .dataSync() as Float32Array;
        });
      const wasm = await on('wasm', run);
      const cpu = await on('cpu', run);
      expect(relInfDiff(wasm, cpu)).toBeLessThanOrEqual(1e-6);
      expect(wasm.some((v) => v !== 0)).toBe(true);
    });
  }

  it('gives no gradient to a window of -Infinity only, as the reference', async () => {
    const xs = Float32Array.from([-Infinity, -Infinity, -Infinity, -Infinity, 1, 2, 3, 4].flatMap((v) => [v, v, v, v, v]));
    const run = () =>
      tf.tidy(
        () =>
          tf
            .grad((t: Tensor) => tf.sum(tf.maxPool(t as Tensor4D, 2, 2, 'valid')))(tf.tensor4d(xs, [1, 2, 4, 5]))
            .dataSync() as Float32Array,
      );
    const wasm = await on('wasm', run);
    const cpu = await on('cpu', run);
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
  });
});

describe('Identity on wasm', () => {
  it('shares the data instead of copying it, and each tensor can be disposed first', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory();
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x); // runs the Identity kernel
    expect((y as unknown as { dataId: object }).dataId).toBe((x as unknown as { dataId: object }).dataId);
    expect(tf.memory().numDataBuffers - before.numDataBuffers).toBe(1); // one buffer
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.memory().numTensors).toBe(before.numTensors);
  });
});

describe('fused optimizer updates on wasm vs the tfjs-op updates on cpu', () => {
  /** Runs 3 steps of `make(params)` on `backend` from the same start and gradients; returns the parameters. */
  async function threeSteps(
    backend: 'wasm' | 'cpu',
    make: (p: Map<string, tf.Variable>) => { step(g: Map<string, Tensor>): void; dispose(): void },
  ): Promise<Float32Array[]> {
    return on(backend, () => {
      const variable = (values: Float32Array, shape: number[]) => tf.tidy(() => tf.variable(tf.tensor(values, shape)));
      const params = new Map([
        [
          'conv.weight',
          variable(
            Float32Array.from({ length: 3 * 3 * 7 * 5 }, (_, i) => Math.sin(i)),
            [3, 3, 7, 5],
          ),
        ],
        [
          'bn.bias',
          variable(
            Float32Array.from({ length: 7 }, (_, i) => i / 7 - 0.5),
            [7],
          ),
        ],
      ]);
      const opt = make(params);
      for (let t = 0; t < 3; t++) {
        const grads = new Map(
          [...params].map(
            ([n, p], k) =>
              [
                n,
                tf.tensor(
                  Float32Array.from({ length: p.size }, (_, i) => Math.cos(i * (t + 1) + k) * 0.1),
                  p.shape,
                ),
              ] as [string, Tensor],
          ),
        );
        opt.step(grads);
        tf.dispose([...grads.values()]);
      }
      const out = [...params.values()].map((p) => p.dataSync() as Float32Array);
      opt.dispose();
      tf.dispose([...params.values()]);
      return out;
    });
  }

  const cases: [string, (p: Map<string, tf.Variable>) => { step(g: Map<string, Tensor>): void; dispose(): void }][] = [
    [
      'AdamW with weight decay (1-D parameters excluded)',
      (p) => new AdamW(p, { lr: 0.01, weightDecay: 0.05, noDecay: excludeOneDimensional }),
    ],
    ['AdamW without weight decay', (p) => new AdamW(p, { lr: 0.003, weightDecay: 0 })],
    ['SGD with momentum and weight decay', (p) => new Sgd(p, { lr: 0.03, momentum: 0.9, weightDecay: 1e-4 })],
    ['SGD without momentum', (p) => new Sgd(p, { lr: 0.1, momentum: 0 })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: the same parameters after 3 steps (≤ 1e-6 relative)`, async () => {
      const wasm = await threeSteps('wasm', make);
      const cpu = await threeSteps('cpu', make);
      wasm.forEach((p, i) => expect(relInfDiff(p, cpu[i]!)).toBeLessThanOrEqual(1e-6));
    });
  }
});
