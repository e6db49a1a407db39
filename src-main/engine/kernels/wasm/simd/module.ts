/**
 * FundusLab's WebAssembly SIMD kernels (kernels.c), instantiated on tfjs-backend-wasm's own memory so
 * they read and write tensors where they are: no copies in or out. One instance per wasm backend
 * memory (the multi-threaded build's memory is shared, the single-threaded one's is not; kernels.c
 * is built for both). On the multi-threaded build, `parallel` runs a call's slices on as many
 * threads as the backend has (pool.ts); otherwise one after the other on the calling thread.
 */
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs';
import { KERNELS_WASM_PRIVATE, KERNELS_WASM_SHARED } from './kernels-binary';
import { KernelPool, splitRange, worthSplitting } from './pool';

type Ptr = number;

/** The WebAssembly API as used here (Node 20's type definitions do not describe it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
const WebAssemblyApi = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: abstract new (...args: never[]) => WasmMemory;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;
export interface SimdKernels {
  fl_moments(x: Ptr, rows: number, channels: number, shift: Ptr, part: Ptr, s: Ptr, ss: Ptr): void;
  fl_scale_shift(x: Ptr, rows: number, channels: number, a: Ptr, b: Ptr, relu: number, y: Ptr): void;
  fl_bn_grad_sums(
    dy: Ptr,
    x: Ptr,
    fa: Ptr,
    fb: Ptr,
    relu: number,
    rows: number,
    channels: number,
    mean: Ptr,
    part: Ptr,
    sg: Ptr,
    sgx: Ptr,
  ): void;
  fl_bn_grad_input(
    dy: Ptr,
    x: Ptr,
    fa: Ptr,
    fb: Ptr,
    relu: number,
    rows: number,
    channels: number,
    mean: Ptr,
    a: Ptr,
    k: Ptr,
    b: Ptr,
    dx: Ptr,
  ): void;
  fl_maxpool_grad(
    x: Ptr,
    dy: Ptr,
    dx: Ptr,
    batch: number,
    inH: number,
    inW: number,
    channels: number,
    outH: number,
    outW: number,
    filterH: number,
    filterW: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
  ): void;
  fl_transpose(src: Ptr, rows: number, cols: number, dst: Ptr, dstStride: number): void;
  fl_im2col_t(
    x: Ptr,
    batch: number,
    inH: number,
    inW: number,
    channels: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
    tap0: number,
    tap1: number,
    table: Ptr,
    dst: Ptr,
  ): void;
  fl_scatter_phase(
    src: Ptr,
    batch: number,
    height: number,
    width: number,
    channels: number,
    sh: number,
    sw: number,
    a: number,
    b: number,
    dst: Ptr,
  ): void;
  fl_gather_phase(
    src: Ptr,
    batch: number,
    height: number,
    width: number,
    channels: number,
    sh: number,
    sw: number,
    a: number,
    b: number,
    dst: Ptr,
  ): void;
  fl_conv_filter_grad(
    x: Ptr,
    batch: number,
    inH: number,
    inW: number,
    channels: number,
    dy: Ptr,
    outH: number,
    outW: number,
    outChannels: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
    chunkRows: number,
    block: number,
    counter: Ptr,
    pack: Ptr,
    packRows: Ptr,
    dw: Ptr,
  ): void;
  fl_adamw(p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, h: Ptr, useDecay: number, pOut: Ptr, mOut: Ptr, vOut: Ptr): void;
  fl_sgd(p: Ptr, g: Ptr, buf: Ptr, n: number, h: Ptr, first: number, pOut: Ptr, bufOut: Ptr): void;
  fl_momentum(k: Ptr, q: Ptr, n: number, h: Ptr, out: Ptr): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm and its Emscripten module used here. */
interface WasmBackendInternals {
  wasm: {
    wasmMemory?: WasmMemory;
    asm?: Record<string, unknown>;
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  getMemoryOffset(dataId: object): number;
}

export type KernelName = keyof SimdKernels;

export interface SimdContext {
  kernels: SimdKernels;
  /** Threads `parallel` spreads a call over (1 on the single-threaded build). */
  threads: number;
  /** Runs kernel `fn` once per argument list: in parallel on the multi-threaded build, else in turn. */
  parallel(fn: KernelName, argLists: readonly (readonly number[])[]): void;
  /** Calls so far that ran on more than one thread. */
  splitCalls(): number;
  /** Heap offset of a tensor's data. */
  ptr(info: TensorInfo): Ptr;
  /** Allocates `bytes` on the heap (free with `free`); 8-byte aligned. */
  malloc(bytes: number): Ptr;
  free(ptr: Ptr): void;
  /** The whole heap as float32 / float64 (fresh views: the heap may have grown since the last call). */
  f32(): Float32Array;
  f64(): Float64Array;
}

interface Instance {
  kernels: SimdKernels;
  pool: KernelPool | null;
}
const instances = new WeakMap<WasmMemory, Instance>();
/** One context per backend (kernels call simdContext on every call). */
const contexts = new WeakMap<object, SimdContext>();

function memoryOf(module: WasmBackendInternals['wasm']): WasmMemory {
  if (module.wasmMemory instanceof WebAssemblyApi.Memory) return module.wasmMemory;
  for (const v of Object.values(module.asm ?? {})) if (v instanceof WebAssemblyApi.Memory) return v;
  throw new Error('FundusLab wasm SIMD kernels: the memory of the tfjs wasm module was not found (tfjs version changed?)');
}

/** The kernels on the wasm backend `backend` (a tfjs BackendWasm). */
export function simdContext(backend: unknown): SimdContext {
  const b = backend as WasmBackendInternals;
  const cached = contexts.get(b);
  if (cached) return cached;
  if (!b?.wasm || typeof b.getMemoryOffset !== 'function') throw new Error('FundusLab wasm SIMD kernels: not a tfjs wasm backend');
  const module = b.wasm;
  const memory = memoryOf(module);
  let instance = instances.get(memory);
  if (!instance) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const bytes = Buffer.from(shared ? KERNELS_WASM_SHARED : KERNELS_WASM_PRIVATE, 'base64');
    const compiled = new WebAssemblyApi.Module(bytes);
    const kernels = new WebAssemblyApi.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    const threads = shared ? Math.max(1, getThreadsCount()) : 1;
    instance = { kernels, pool: threads > 1 ? new KernelPool(memory, bytes, Object.keys(kernels), threads) : null };
    instances.set(memory, instance);
  }
  const { kernels, pool } = instance;
  const context: SimdContext = {
    kernels,
    threads: pool?.threads ?? 1,
    parallel: (fn, argLists) => {
      const local = kernels[fn] as (...args: number[]) => void;
      if (pool && argLists.length > 1) pool.run(fn, argLists, local);
      else for (const args of argLists) local(...args);
    },
    splitCalls: () => pool?.splitCalls ?? 0,
    ptr: (info) => b.getMemoryOffset(info.dataId),
    malloc: (bytes) => {
      // wasm32 addresses are unsigned; Emscripten's _malloc returns them as signed i32, negative above 2 GiB.
      const p = module._malloc(bytes) >>> 0;
      if (!p) throw new Error(`FundusLab wasm SIMD kernels: out of wasm memory (${bytes} bytes)`);
      if (p % 8 !== 0) throw new Error(`FundusLab wasm SIMD kernels: malloc returned an unaligned address (${p})`);
      return p;
    },
    free: (p) => module._free(p),
    f32: () => new Float32Array(memory.buffer),
    f64: () => new Float64Array(memory.buffer),
  };
  contexts.set(b, context);
  return context;
}

/**
 * Slices of [0, n) for `ctx.parallel`: one per thread when the call touches at least
 * MIN_PARALLEL_FLOATS floats (`floats`), else one; slice starts are multiples of `align`.
 */
export function slices(ctx: SimdContext, n: number, floats: number, align = 1): [number, number][] {
  return ctx.threads > 1 && worthSplitting(floats) ? splitRange(n, ctx.threads, align) : [[0, n]];
}

/** dst [cols, rows] = transpose of src [rows, cols] (heap offsets), rows split over the threads. */
export function transposeOnHeap(ctx: SimdContext, src: Ptr, rows: number, cols: number, dst: Ptr): void {
  ctx.parallel(
    'fl_transpose',
    slices(ctx, rows, rows * cols, 4).map(([r0, r1]) => [src + 4 * r0 * cols, r1 - r0, cols, dst + 4 * r0, rows]),
  );
}
