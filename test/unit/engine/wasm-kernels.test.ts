/**
 * The wasm training kernels (src-main/engine/kernels) against the JavaScript CPU backend.
 *
 * Difference measure throughout: ‖wasm − cpu‖∞ / ‖cpu‖∞ (largest absolute element difference over
 * the largest absolute reference element), required ≤ 1e-4.
 */
import tf from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, setCpuBackend } from '../../../src-main/engine/backend';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from '../../../src-main/engine/kernels/index';
import {
  filterGradientSplit,
  setFilterGradientImpl,
  type FilterGradientImpl,
} from '../../../src-main/engine/kernels/wasm/Conv2DBackpropFilter';
import { nativeKernels, setNativeEnabled } from '../../../src-main/engine/kernels/native/addon';
import { convResidual } from '../../../src-main/engine/kernels/wasm/Conv2D';
import { addRelu } from '../../../src-main/engine/kernels/wasm/AddRelu';
import { mulberry32 } from '../../../src-main/random/prng';
import { relInfDiff } from '../../support/numeric';

const TOLERANCE = 1e-4;

const prng = mulberry32;

function randomValues(count: number, seed: number): Float32Array<ArrayBuffer> {
  const rand = prng(seed);
  return Float32Array.from({ length: count }, () => rand() * 2 - 1);
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `compute` on the given backend with fresh tensors made from `inputs`; returns plain arrays. */
async function onBackend(
  backend: 'wasm' | 'cpu',
  inputs: { values: Float32Array<ArrayBuffer>; shape: number[] }[],
  compute: (...tensors: Tensor[]) => Tensor | Tensor[],
): Promise<Float32Array[]> {
  if (backend === 'cpu')
    await setCpuBackend(); // tf.setBackend('cpu') without tfjs's console banner
  else await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const tensors = inputs.map((i) => tf.tensor(i.values, i.shape));
    const result = compute(...tensors);
    return (Array.isArray(result) ? result : [result]).map((t) => t.dataSync() as Float32Array);
  });
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return out;
}

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Conv2DBackpropFilterAttrs['pad'];
}

const CONV_CASES: ConvCase[] = [
  { name: '3x3 s1 same', x: [2, 9, 9, 4], filter: [3, 3, 4, 6], strides: 1, pad: 'same' },
  { name: '3x3 s2 same, odd size', x: [2, 9, 9, 4], filter: [3, 3, 4, 6], strides: 2, pad: 'same' },
  { name: '3x3 s2 same, even size', x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { name: '3x3 s2 valid, unused last row/col', x: [3, 10, 11, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'valid' },
  { name: '3x3 s1 valid', x: [2, 7, 6, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { name: '1x1 s1 (bottleneck)', x: [2, 8, 8, 16], filter: [1, 1, 16, 8], strides: 1, pad: 'valid' },
  { name: '1x1 s2 (downsampling shortcut)', x: [2, 9, 9, 8], filter: [1, 1, 8, 16], strides: 2, pad: 'valid' },
  { name: '7x7 s2 same (ResNet conv1)', x: [2, 32, 32, 3], filter: [7, 7, 3, 8], strides: 2, pad: 'same' },
  {
    name: '5x3 strides [2,1], explicit padding',
    x: [2, 12, 10, 3],
    filter: [5, 3, 3, 4],
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { name: '3x3 s2 numeric pad 1', x: [1, 8, 8, 2], filter: [3, 3, 2, 3], strides: 2, pad: 1 },
  { name: 'batch 1, 1 channel', x: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'same' },
  {
    name: '1x1 with padding wider than the filter',
    x: [2, 6, 5, 3],
    filter: [1, 1, 3, 4],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ],
  },
  { name: '1x1 s1 widening (more output than input channels)', x: [2, 5, 6, 5], filter: [1, 1, 5, 12], strides: 1, pad: 'valid' },
  { name: '1x1 s2, odd size, narrowing', x: [3, 7, 7, 12], filter: [1, 1, 12, 6], strides: 2, pad: 'valid' },
  { name: '3x3 s3 same (phases without taps in one direction)', x: [2, 10, 11, 4], filter: [3, 3, 4, 5], strides: 3, pad: 'same' },
  { name: '4x4 s2 pad 1 (two taps per phase)', x: [1, 9, 8, 6], filter: [4, 4, 6, 4], strides: 2, pad: 1 },
  { name: '2x2 s2 valid', x: [2, 6, 7, 3], filter: [2, 2, 3, 5], strides: 2, pad: 'valid' },
];

/**
 * ResNet layer shapes at real channel counts (small images, so the cpu reference stays quick):
 * strides 2, 1x1 / 3x3 / 7x7, odd sizes, batch 1, channel counts that are not multiples of 4 or 8.
 */
const RESNET_CASES: ConvCase[] = [
  { name: 'ResNet 3x3 s1 64->64', x: [2, 10, 10, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' },
  { name: 'ResNet 3x3 s2 64->128, odd size', x: [2, 11, 11, 64], filter: [3, 3, 64, 128], strides: 2, pad: 'same' },
  { name: 'ResNet 1x1 s2 shortcut 64->128, batch 1', x: [1, 9, 9, 64], filter: [1, 1, 64, 128], strides: 2, pad: 'valid' },
  { name: 'ResNet 1x1 s1 bottleneck 256->64', x: [2, 7, 7, 256], filter: [1, 1, 256, 64], strides: 1, pad: 'valid' },
  { name: 'ResNet conv1 7x7 s2 3->64, batch 1, odd size', x: [1, 33, 31, 3], filter: [7, 7, 3, 64], strides: 2, pad: 'same' },
  { name: 'ResNet layer4 3x3 s1 512->512 at 3x3', x: [1, 3, 3, 512], filter: [3, 3, 512, 512], strides: 1, pad: 'same' },
  { name: '3x3 s2 pad 1, 38->13 channels (tails of 4 and 8)', x: [2, 9, 8, 38], filter: [3, 3, 38, 13], strides: 2, pad: 1 },
];

function dyShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, undefined, false, 'channelsLast');
  return [c.x[0], info.outHeight, info.outWidth, c.filter[3]];
}

beforeAll(async () => {
  await initEngine({ preference: 'wasm', env: {} });
});

describe('registerWasmTrainingKernels', () => {
  it('adds Conv2DBackpropFilter, the fused BatchNorm and optimizer kernels, replaces Conv2DBackpropInput, MaxPoolGrad and Identity for wasm, once', () => {
    expect(WASM_TRAINING_KERNELS.map((k) => k.kernelName)).toEqual([
      'Conv2DBackpropFilter',
      'FundusLabBatchNormTrain',
      'FundusLabBatchNormTrainGrad',
      'FundusLabAdamW',
      'FundusLabSgd',
      'FundusLabMomentum',
      'FundusLabConvResidual',
      'FundusLabAddRelu',
      'FundusLabReluGrad',
      'Conv2D',
      'FusedConv2D',
      'MaxPool',
      'Conv2DBackpropInput',
      'MaxPoolGrad',
      'Identity',
    ]);
    for (const config of WASM_TRAINING_KERNELS) expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).toBe(config.kernelFunc);
    expect(registerWasmTrainingKernels()).toEqual([]); // already registered by initEngine
  });

  it('leaves the kernels of a ResNet backward that wasm already has in place', () => {
    for (const name of ['AvgPoolGrad', 'FusedBatchNorm', 'Step', 'Multiply', 'BatchMatMul', 'Sum', 'Mean']) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    }
  });
});

/**
 * Runs `fn` with FundusLab's native convolution kernels on ('native') or off ('wasm': the wasm SIMD
 * kernels and XNNPACK). The native kernels must be built where the tests run in CI.
 */
type ConvPath = 'native' | 'wasm';
const CONV_PATHS: ConvPath[] = ['native', 'wasm'];
async function onPath<T>(path: ConvPath, fn: () => Promise<T>): Promise<T> {
  if (path === 'native' && !nativeKernels()) {
    if (process.env.CI) throw new Error('the native kernels are not built (node scripts/build-native.mjs --require)');
    return fn(); // without the addon both paths are the wasm one
  }
  const previous = setNativeEnabled(path === 'native');
  try {
    return await fn();
  } finally {
    setNativeEnabled(previous);
  }
}

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm vs cpu', () => {
  for (const [impl, path] of [
    ['direct', 'native'],
    ['direct', 'wasm'],
    ['im2col-matmul', 'wasm'],
  ] as [FilterGradientImpl, ConvPath][])
    for (const c of [...CONV_CASES, ...RESNET_CASES]) {
      it(`Conv2DBackpropFilter kernel (${path === 'native' ? 'native' : impl}): ${c.name}`, async () => {
        const previous = setFilterGradientImpl(impl);
        try {
          await onPath(path, () => checkFilterGradient(c));
        } finally {
          setFilterGradientImpl(previous);
        }
      });
    }

  it('the direct filter gradient splits its work into chunks for the threads, within the cache', () => {
    // ResNet18 layer1 3x3 64->64: 9 taps x 16 panels of 4 channels.
    expect(filterGradientSplit([3, 3, 64, 64], 2)).toEqual({ block: 512, chunkRows: 18, chunks: 8 });
    expect(filterGradientSplit([3, 3, 64, 64], 1)).toEqual({ block: 512, chunkRows: 64, chunks: 3 });
    // Wide outputs: fewer rows per chunk, shorter blocks (dW and dy parts stay in the cache).
    expect(filterGradientSplit([3, 3, 512, 512], 2)).toEqual({ block: 64, chunkRows: 8, chunks: 144 });
    // conv1: 3 channels make one panel per tap.
    expect(filterGradientSplit([7, 7, 3, 64], 2)).toEqual({ block: 512, chunkRows: 7, chunks: 7 });
  });

  async function checkFilterGradient(c: ConvCase): Promise<void> {
    {
      const dy = dyShape(c);
      const inputs = [
        { values: randomValues(size(c.x), 1), shape: c.x },
        { values: randomValues(size(dy), 2), shape: dy },
      ];
      const run = (x: Tensor, g: Tensor) =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy: g },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter },
          ) as Tensor;
      const [wasm] = await onBackend('wasm', inputs, run);
      const [cpu] = await onBackend('cpu', inputs, run);
      expect(relInfDiff(wasm!, cpu!)).toBeLessThanOrEqual(TOLERANCE);
    }
  }

  for (const path of CONV_PATHS)
    for (const c of [...CONV_CASES, ...RESNET_CASES]) {
      it(`Conv2DBackpropInput kernel (${path}): ${c.name}`, () =>
        onPath(path, async () => {
          const dy = dyShape(c);
          const inputs = [
            { values: randomValues(size(dy), 6), shape: dy },
            { values: randomValues(size(c.filter), 7), shape: c.filter },
          ];
          const run = (g: Tensor, w: Tensor) =>
            tf
              .engine()
              .runKernel(
                'Conv2DBackpropInput',
                { dy: g, filter: w },
                { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x },
              ) as Tensor;
          const [wasm] = await onBackend('wasm', inputs, run);
          const [cpu] = await onBackend('cpu', inputs, run);
          expect(relInfDiff(wasm!, cpu!)).toBeLessThanOrEqual(TOLERANCE);
        }));
    }

  for (const path of CONV_PATHS)
    for (const c of [...CONV_CASES, ...RESNET_CASES]) {
      it(`Conv2D and FusedConv2D (bias, ReLU) kernels (${path}): ${c.name}`, () =>
        onPath(path, async () => {
          const inputs = [
            { values: randomValues(size(c.x), 8), shape: c.x },
            { values: randomValues(size(c.filter), 9), shape: c.filter },
            { values: randomValues(c.filter[3], 10), shape: [c.filter[3]] },
          ];
          const run = (x: Tensor, w: Tensor, b: Tensor) => [
            tf.conv2d(x as Tensor4D, w as Tensor4D, c.strides, c.pad as 'same'),
            tf.fused.conv2d({
              x: x as Tensor4D,
              filter: w as Tensor4D,
              strides: c.strides,
              pad: c.pad as 'same',
              bias: b,
              activation: 'relu',
            }),
            tf.fused.conv2d({ x: x as Tensor4D, filter: w as Tensor4D, strides: c.strides, pad: c.pad as 'same', bias: b }),
          ];
          const wasm = await onBackend('wasm', inputs, run);
          const cpu = await onBackend('cpu', inputs, run);
          wasm.forEach((out, i) => expect(relInfDiff(out, cpu[i]!), `output ${i}`).toBeLessThanOrEqual(TOLERANCE));
          expect(cpu[1]!.some((v) => v === 0) && cpu[1]!.some((v) => v > 0), 'the ReLU case has both signs').toBe(true);
        }));
    }

  for (const path of CONV_PATHS)
    for (const c of [RESNET_CASES[0]!, RESNET_CASES[1]!, CONV_CASES[0]!]) {
      it(`FundusLabConvResidual (${path}): ReLU(conv + bias + residual) and its gradients = the tfjs ops on cpu: ${c.name}`, () =>
        onPath(path, async () => {
          const dy = dyShape(c);
          const inputs = [
            { values: randomValues(size(c.x), 13), shape: c.x },
            { values: randomValues(size(c.filter), 14), shape: c.filter },
            { values: randomValues(c.filter[3], 15), shape: [c.filter[3]] },
            { values: randomValues(size(dy), 16), shape: dy },
            { values: randomValues(size(dy), 17), shape: dy },
          ];
          const attrs = { strides: c.strides, pad: c.pad, relu: true };
          const ours = (x: Tensor, w: Tensor, b: Tensor, r: Tensor, g: Tensor) => {
            const f = (...t: Tensor[]) =>
              tf.sum(tf.mul(convResidual(t[0] as Tensor4D, t[1] as Tensor4D, t[2]!, t[3] as Tensor4D, attrs), g));
            return [convResidual(x as Tensor4D, w as Tensor4D, b, r as Tensor4D, attrs), ...tf.grads(f)([x, w, b, r])];
          };
          const ops = (x: Tensor, w: Tensor, b: Tensor, r: Tensor, g: Tensor) => {
            const y = (...t: Tensor[]) =>
              tf.relu(
                tf.add(
                  tf.fused.conv2d({ x: t[0] as Tensor4D, filter: t[1] as Tensor4D, strides: c.strides, pad: c.pad as 'same', bias: t[2] }),
                  t[3]!,
                ),
              );
            return [y(x, w, b, r), ...tf.grads((...t: Tensor[]) => tf.sum(tf.mul(y(...t), g)))([x, w, b, r])];
          };
          const wasm = await onBackend('wasm', inputs, ours);
          const cpu = await onBackend('cpu', inputs, ops);
          expect(cpu[0]!.some((v) => v === 0) && cpu[0]!.some((v) => v > 0), 'the ReLU case has both signs').toBe(true);
          wasm.forEach((out, i) =>
            expect(relInfDiff(out, cpu[i]!), `output ${i} (0: y, then dx, dfilter, dbias, dresidual)`).toBeLessThanOrEqual(TOLERANCE),
          );
        }));
    }

  for (const path of CONV_PATHS)
    it(`MaxPool kernel (${path}): ResNet's stem pool, stride 1 and 2, same and valid padding, odd sizes, one channel`, () =>
      onPath(path, async () => {
        const shapes: [number, number, number, number][] = [
          [4, 48, 48, 64],
          [2, 9, 7, 5],
          [1, 5, 6, 1],
        ];
        for (const shape of shapes) {
          const inputs = [{ values: randomValues(size(shape), 18), shape }];
          const run = (x: Tensor) => [
            tf.maxPool(x as Tensor4D, 3, 2, 1 as unknown as 'same'),
            tf.maxPool(x as Tensor4D, 3, 2, 'same'),
            tf.maxPool(x as Tensor4D, [2, 3], 1, 'valid'),
            tf.maxPool(x as Tensor4D, 2, [2, 1], 'same'),
          ];
          const wasm = await onBackend('wasm', inputs, run);
          const cpu = await onBackend('cpu', inputs, run);
          wasm.forEach((out, i) => expect(Buffer.from(out.buffer).equals(Buffer.from(cpu[i]!.buffer)), `[${shape}] pool ${i}`).toBe(true));
        }
      }));

  for (const path of CONV_PATHS)
    it(`addRelu (${path}): ReLU(a + b) and the gradients of both inputs = the tfjs ops on cpu, bit for bit; zeros and NaN as tfjs`, () =>
      onPath(path, async () => {
        const shape = [4, 24, 24, 64]; // large enough to be split over the threads
        const a = randomValues(size(shape), 19);
        a[0] = Number.NaN; // NaN: stays NaN forward, NaN gradient (tfjs: dy·step(NaN))
        a[1] = 0.25; // a + b = 0 exactly: output 0, gradient 0 (step(0) = 0)
        const b = randomValues(size(shape), 20);
        b[1] = -0.25;
        const inputs = [
          { values: a, shape },
          { values: b, shape },
          { values: randomValues(size(shape), 21), shape },
        ];
        const ours = (x: Tensor, y: Tensor, g: Tensor) => [
          addRelu(x, y),
          ...tf.grads((p: Tensor, q: Tensor) => tf.sum(tf.mul(addRelu(p, q), g)))([x, y]),
        ];
        const ops = (x: Tensor, y: Tensor, g: Tensor) => [
          tf.relu(tf.add(x, y)),
          ...tf.grads((p: Tensor, q: Tensor) => tf.sum(tf.mul(tf.relu(tf.add(p, q)), g)))([x, y]),
        ];
        const wasm = await onBackend('wasm', inputs, ours);
        const cpu = await onBackend('cpu', inputs, ops);
        expect(cpu[0]![0]).toBeNaN();
        expect(cpu[0]![1]).toBe(0);
        expect(Math.abs(cpu[1]![1]!)).toBe(0);
        wasm.forEach((out, i) => {
          const bad = out.findIndex((v, k) => !Object.is(v, cpu[i]![k]));
          expect(bad, `output ${i} (y, da, db): first difference at ${bad}: ${out[bad]} vs ${cpu[i]![bad]}`).toBe(-1);
        });
      }));

  it('calls the native kernels cannot do fall back to the wasm backend own kernels (dilation, leaky ReLU)', () =>
    onPath('native', async () => {
      const inputs = [
        { values: randomValues(2 * 9 * 9 * 5, 11), shape: [2, 9, 9, 5] },
        { values: randomValues(3 * 3 * 5 * 6, 12), shape: [3, 3, 5, 6] },
      ];
      const run = (x: Tensor, w: Tensor) => [
        tf.conv2d(x as Tensor4D, w as Tensor4D, 1, 'same', 'NHWC', 2),
        tf.fused.conv2d({ x: x as Tensor4D, filter: w as Tensor4D, strides: 1, pad: 'same', activation: 'leakyrelu', leakyreluAlpha: 0.1 }),
      ];
      const wasm = await onBackend('wasm', inputs, run);
      const cpu = await onBackend('cpu', inputs, run);
      wasm.forEach((out, i) => expect(relInfDiff(out, cpu[i]!), `output ${i}`).toBeLessThanOrEqual(TOLERANCE));
    }));

  it('tf.grad of a strided conv2d (filter and input) matches', async () => {
    const c = CONV_CASES[7]!; // 7x7 s2 same
    const dy = dyShape(c);
    const inputs = [
      { values: randomValues(size(c.x), 3), shape: c.x },
      { values: randomValues(size(c.filter), 4), shape: c.filter },
      { values: randomValues(size(dy), 5), shape: dy },
    ];
    const grads = (x: Tensor, w: Tensor, r: Tensor) =>
      tf.grads((xx: Tensor, ww: Tensor) => tf.sum(tf.mul(tf.conv2d(xx as Tensor4D, ww as Tensor4D, c.strides, c.pad as 'same'), r)))([
        x,
        w,
      ]);
    const wasm = await onBackend('wasm', inputs, grads);
    const cpu = await onBackend('cpu', inputs, grads);
    expect(relInfDiff(wasm[0]!, cpu[0]!)).toBeLessThanOrEqual(TOLERANCE);
    expect(relInfDiff(wasm[1]!, cpu[1]!)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('rejects NCHW with a clear error and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    expect(() =>
      tf.tidy(() =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.ones([1, 2, 5, 5]), dy: tf.ones([1, 3, 5, 5]) },
            { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] },
          ),
      ),
    ).toThrow("Conv2DBackpropFilter (wasm): only dataFormat 'NHWC' is supported, got 'NCHW'");
    expect(() =>
      tf.tidy(() =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: tf.ones([1, 3, 5, 5]), filter: tf.ones([3, 3, 2, 3]) },
            { strides: 1, pad: 'same', dataFormat: 'NCHW', inputShape: [1, 2, 5, 5] },
          ),
      ),
    ).toThrow("Conv2DBackpropInput (wasm): only dataFormat 'NHWC' is supported, got 'NCHW'");
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a gradient whose size does not fit the input, stride and padding', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    expect(() =>
      tf.tidy(() =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.ones([1, 8, 8, 2]), dy: tf.ones([1, 8, 8, 3]) },
            { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] },
          ),
      ),
    ).toThrow('Conv2DBackpropFilter (wasm): expected dy of spatial size 4x4 for this input, stride and padding, got 8x8');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('backward of a ResNet-style block on wasm vs cpu', () => {
  it('every parameter and input gradient matches', async () => {
    const shapes = {
      x: [2, 23, 21, 3],
      c1: [7, 7, 3, 8],
      c2: [3, 3, 8, 8],
      c3: [3, 3, 8, 8],
      down: [1, 1, 8, 16],
      gamma: [8],
      beta: [8],
      dense: [16, 5],
      bias: [5],
    };
    const names = Object.keys(shapes) as (keyof typeof shapes)[];
    const inputs = names.map((n, i) => ({ values: randomValues(size(shapes[n]), 10 + i).map((v) => v * 0.5), shape: shapes[n] }));
    const labels = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    inputs.push({ values: labels, shape: [2, 5] });
    const net = (
      x: Tensor,
      c1: Tensor,
      c2: Tensor,
      c3: Tensor,
      down: Tensor,
      gamma: Tensor,
      beta: Tensor,
      dense: Tensor,
      bias: Tensor,
      y: Tensor,
    ) => {
      let h: Tensor4D = tf.relu(tf.conv2d(x as Tensor4D, c1 as Tensor4D, 2, 'same')); // conv1 7x7 s2
      h = tf.maxPool(h, 3, 2, 'same');
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      h = tf.batchNorm(h, mean, variance, beta, gamma, 1e-5) as Tensor4D;
      const r = tf.relu(tf.conv2d(h, c2 as Tensor4D, 1, 'same'));
      h = tf.relu(tf.add(h, tf.conv2d(r, c3 as Tensor4D, 1, 'same'))) as Tensor4D; // residual add
      h = tf.conv2d(h, down as Tensor4D, 2, 'valid'); // 1x1 s2 projection
      h = tf.avgPool(h, 2, 1, 'valid');
      const pooled = tf.mean(h, [1, 2]);
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(pooled, dense), bias)) as tf.Scalar;
    };
    const grads = (...t: Tensor[]) => {
      const y = t[t.length - 1]!;
      const params = t.slice(0, -1);
      return tf.grads((...p: Tensor[]) => net(...(p as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]), y))(
        params,
      );
    };
    const wasm = await onBackend('wasm', inputs, grads);
    const cpu = await onBackend('cpu', inputs, grads);
    names.forEach((name, i) => expect(relInfDiff(wasm[i]!, cpu[i]!), `gradient of ${name}`).toBeLessThanOrEqual(TOLERANCE));
  });

  it('the PyTorch-style variant matches too: numeric padding, fused conv + bias + relu, maxPool pad 1', async () => {
    const shapes = [[2, 33, 31, 3], [7, 7, 3, 8], [8], [3, 3, 8, 8], [8]];
    const inputs = shapes.map((shape, i) => ({ values: randomValues(size(shape), 30 + i), shape }));
    const net = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
      let h = tf.fused.conv2d({ x: x as Tensor4D, filter: w1 as Tensor4D, strides: 2, pad: 3, bias: b1, activation: 'relu' });
      h = tf.maxPool(h, 3, 2, 1);
      h = tf.fused.conv2d({ x: h, filter: w2 as Tensor4D, strides: 2, pad: 1, bias: b2, activation: 'relu' });
      h = tf.avgPool(h, 3, 1, 1);
      return tf.sum(tf.mul(h, h)) as tf.Scalar;
    };
    const grads = (...t: Tensor[]) => tf.grads((...p: Tensor[]) => net(...(p as [Tensor, Tensor, Tensor, Tensor, Tensor])))(t);
    const wasm = await onBackend('wasm', inputs, grads);
    const cpu = await onBackend('cpu', inputs, grads);
    ['x', 'w1', 'b1', 'w2', 'b2'].forEach((name, i) =>
      expect(relInfDiff(wasm[i]!, cpu[i]!), `gradient of ${name}`).toBeLessThanOrEqual(TOLERANCE),
    );
  });
});
