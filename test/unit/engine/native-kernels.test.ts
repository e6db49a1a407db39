/**
 * FundusLab's native convolution kernels (src-main/engine/native, kernels/native/addon.ts) called
 * directly on a Float32Array "heap", against a naive float64 re-implementation of the convolution
 * and its filter gradient, for every instruction set the CPU supports (AVX-512, AVX2, generic) and
 * 1–3 threads. Tolerance: ‖native − naive‖∞ / ‖naive‖∞ ≤ 1e-5 (float32 sums of up to ~600 products;
 * measured ≤ 7e-7). Results must be bit-identical for any thread count.
 *
 * The kernels as the wasm backend's Conv2D / FusedConv2D / Conv2DBackpropFilter / -Input are checked
 * against the cpu backend in wasm-kernels.test.ts. CI builds the addon (`.ci/run`); elsewhere, without
 * a C compiler, these tests are skipped with the reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nativeKernels, nativeUnavailableReason, type ConvDims } from '../../../src-main/engine/kernels/native/addon';
import { mulberry32 } from '../../../src-main/random/prng';

const native = nativeKernels();
if (!native && process.env.CI) throw new Error(`CI needs the native kernels: ${nativeUnavailableReason()}`);
const initial = native?.info();
afterAll(() => {
  if (native && initial) native.configure({ variant: initial.variant, threads: initial.threads });
});

function values(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

// [batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft]
const CASES: { name: string; dims: ConvDims }[] = [
  { name: '3x3 s2 pad 1, odd sizes, 3->5', dims: [2, 9, 7, 3, 5, 4, 5, 3, 3, 2, 2, 1, 1] },
  { name: '1x1, one channel, batch 1', dims: [1, 5, 5, 1, 5, 5, 1, 1, 1, 1, 1, 0, 0] },
  { name: '3x2 s2 top pad only, 13->37 (tails of every tile width)', dims: [3, 11, 10, 13, 6, 5, 37, 3, 2, 2, 2, 1, 0] },
  { name: 'ResNet 3x3 64->64', dims: [2, 8, 8, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1] },
  { name: 'ResNet conv1 7x7 s2 3->64, odd size', dims: [1, 33, 31, 3, 17, 16, 64, 7, 7, 2, 2, 3, 3] },
  { name: '1x1 s2 40->70', dims: [2, 6, 6, 40, 3, 3, 70, 1, 1, 2, 2, 0, 0] },
  { name: '3x3 at 3x3, 150->130 (narrow and wide filter-gradient kernels)', dims: [2, 3, 3, 150, 3, 3, 130, 3, 3, 1, 1, 1, 1] },
  { name: 'stride [2, 1], 5x3 filter', dims: [2, 10, 9, 6, 4, 9, 33, 5, 3, 2, 1, 1, 1] },
];

function naive(x: Float32Array, w: Float32Array, dy: Float32Array, d: ConvDims): { y: Float64Array; dw: Float64Array } {
  const [B, H, W, C, OH, OW, O, KH, KW, SH, SW, PT, PL] = d;
  const y = new Float64Array(B * OH * OW * O);
  const dw = new Float64Array(KH * KW * C * O);
  for (let n = 0; n < B; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let i = 0; i < KH; i++)
          for (let j = 0; j < KW; j++) {
            const ih = oh * SH - PT + i;
            const iw = ow * SW - PL + j;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let c = 0; c < C; c++) {
              const xv = x[((n * H + ih) * W + iw) * C + c]!;
              for (let o = 0; o < O; o++) {
                const p = ((n * OH + oh) * OW + ow) * O + o;
                const k = ((i * KW + j) * C + c) * O + o;
                y[p] = y[p]! + xv * w[k]!;
                dw[k] = dw[k]! + xv * dy[p]!;
              }
            }
          }
  return { y, dw };
}

function relErr(got: Float32Array, want: Float64Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / scale;
}

/** Runs both kernels with the tensors at odd offsets in one heap; returns y and dw. */
function run(dims: ConvDims, x: Float32Array, w: Float32Array, dy: Float32Array, bias?: Float32Array, relu = 0, residual?: Float32Array) {
  const O = dims[6];
  const ny = dy.length;
  const heap = new Float32Array(7 + x.length + w.length + 2 * ny + w.length + O + ny);
  const xo = 7;
  const wo = xo + x.length;
  const yo = wo + w.length;
  const dyo = yo + ny;
  const dwo = dyo + ny;
  const bo = dwo + w.length;
  heap.set(x, xo);
  heap.set(w, wo);
  heap.set(dy, dyo);
  if (bias) heap.set(bias, bo);
  const ro = bo + O;
  if (residual) heap.set(residual, ro);
  heap.fill(Number.NaN, yo, yo + ny); // every element must be written
  heap.fill(Number.NaN, dwo, dwo + w.length);
  native!.conv2d(heap, xo, wo, yo, dims, bias ? bo : -1, relu, residual ? ro : -1);
  native!.conv2dFilterGrad(heap, xo, dyo, dwo, dims);
  expect(
    heap.subarray(0, xo).every((v) => v === 0),
    'nothing written before the tensors',
  ).toBe(true);
  return { y: heap.slice(yo, yo + ny), dw: heap.slice(dwo, dwo + w.length) };
}

describe.skipIf(!native)(`native convolution kernels (${native ? native.info().supported.join(', ') : nativeUnavailableReason()})`, () => {
  for (const variant of native?.info().supported ?? []) {
    for (const c of CASES) {
      it(`${variant}: ${c.name}: forward and filter gradient = naive float64, the same bits on 1, 2 and 3 threads`, () => {
        const [B, H, W, C, OH, OW, O, KH, KW] = c.dims;
        const x = values(B * H * W * C, 1);
        const w = values(KH * KW * C * O, 2);
        const dy = values(B * OH * OW * O, 3);
        const want = naive(x, w, dy, c.dims);
        const results = [1, 2, 3].map((threads) => {
          native!.configure({ variant, threads });
          return run(c.dims, x, w, dy);
        });
        expect(relErr(results[0]!.y, want.y), 'forward').toBeLessThanOrEqual(1e-5);
        expect(relErr(results[0]!.dw, want.dw), 'filter gradient').toBeLessThanOrEqual(1e-5);
        for (const r of results.slice(1)) {
          expect(Buffer.from(r.y.buffer).equals(Buffer.from(results[0]!.y.buffer)), 'forward bits').toBe(true);
          expect(Buffer.from(r.dw.buffer).equals(Buffer.from(results[0]!.dw.buffer)), 'filter gradient bits').toBe(true);
        }
      });
    }

    it(`${variant}: bias, residual and ReLU after the sum, in that order, as the separate float32 ops`, () => {
      native!.configure({ variant, threads: 2 });
      const dims: ConvDims = [2, 9, 9, 24, 9, 9, 48, 3, 3, 1, 1, 1, 1];
      const x = values(2 * 9 * 9 * 24, 7);
      const w = values(3 * 3 * 24 * 48, 8);
      const bias = values(48, 9);
      const residual = values(2 * 9 * 9 * 48, 10);
      const dy = new Float32Array(residual.length);
      const plain = run(dims, x, w, dy).y;
      const fused = run(dims, x, w, dy, bias, 1, residual).y;
      let positive = 0;
      for (let i = 0; i < plain.length; i++) {
        const want = Math.fround(Math.fround(plain[i]! + bias[i % 48]!) + residual[i]!);
        expect(fused[i]).toBe(want < 0 ? 0 : want);
        if (want > 0) positive++;
      }
      expect(positive).toBeGreaterThan(0);
      expect(positive).toBeLessThan(plain.length);
    });

    it(`${variant}: bias and ReLU after the sum (NaN kept), as the fused convolution`, () => {
      native!.configure({ variant, threads: 2 });
      const dims: ConvDims = [2, 7, 7, 16, 7, 7, 40, 3, 3, 1, 1, 1, 1];
      const x = values(2 * 7 * 7 * 16, 4);
      x[5] = Number.NaN;
      const w = values(3 * 3 * 16 * 40, 5);
      const bias = values(40, 6);
      const dy = new Float32Array(2 * 7 * 7 * 40);
      const plain = run(dims, x, w, dy).y;
      const fused = run(dims, x, w, dy, bias, 1).y;
      let nans = 0;
      for (let i = 0; i < plain.length; i++) {
        const want = plain[i]! + bias[i % 40]!;
        if (Number.isNaN(want)) {
          nans++;
          expect(fused[i]).toBeNaN();
        } else expect(fused[i]).toBe(Math.fround(want) < 0 ? 0 : Math.fround(want));
      }
      expect(nans).toBeGreaterThan(0);
    });
  }

  it('refuses tensors outside the heap, bad dimensions and unknown variants with a clear error', () => {
    const heap = new Float32Array(100);
    const dims: ConvDims = [1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1];
    expect(() => native!.conv2d(heap, 0, 32, 60, dims)).toThrow('conv2d: a tensor lies outside the heap');
    expect(() => native!.conv2dFilterGrad(heap, 0, 32, 90, dims)).toThrow('conv2dFilterGrad: a tensor lies outside the heap');
    expect(() => native!.conv2d(heap, 0, 0, 0, [1, 4, 4, 0, 4, 4, 3, 3, 3, 1, 1, 1, 1])).toThrow('expected positive sizes');
    expect(() => native!.conv2d(new Float64Array(10) as unknown as Float32Array, 0, 0, 0, dims)).toThrow('expected a Float32Array');
    expect(() => native!.maxPool(heap, 0, 95, [1, 4, 4, 2, 2, 2, 3, 3, 2, 2, 1, 1])).toThrow('maxPool: a tensor lies outside the heap');
    expect(() => native!.maxPool(heap, 0, 40, [1, 4, 4, 2, 2, 2, 0, 3, 2, 2, 1, 1])).toThrow('maxPool: expected positive sizes');
    expect(() => native!.addRelu(heap, 0, 50, 90, 20)).toThrow('addRelu: a tensor lies outside the heap');
    expect(() => native!.reluGrad(heap, 0, 50, 60, -1)).toThrow('reluGrad: expected offsets and a length as non-negative integers');
    expect(() => native!.configure({ variant: 'sse9' })).toThrow('does not support that variant');
    expect(() => native!.configure({ threads: 0 })).toThrow('threads must be an integer from 1 to 64');
  });
});
