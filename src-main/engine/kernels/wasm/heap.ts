/**
 * Tensors on the wasm heap for FundusLab's kernels: the part of tfjs-backend-wasm's BackendWasm used
 * to allocate outputs, and a way for kernels built from tfjs ops to fill a new tensor with one of
 * FundusLab's SIMD kernels (simd/kernels.c) in between.
 */
import tf from '@tensorflow/tfjs';
import type { DataType, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { simdContext, type SimdContext } from './simd/module';

export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  incRef(dataId: object): void;
}

export function heapBackend(backend: unknown, kernelName: string): WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend>;
  if (typeof b.makeOutput !== 'function' || typeof b.incRef !== 'function') {
    throw new Error(
      `${kernelName}: expected the wasm backend (makeOutput), got ${(backend as object | null)?.constructor?.name ?? typeof backend}`,
    );
  }
  return b as WasmHeapBackend;
}

/**
 * A new float32 tensor of `shape` on the active (wasm) backend, written by `fill` (which gets the
 * kernels and the heap offset of the new data; it must write every element). Tracked like any
 * tensor: tf.tidy disposes it.
 */
export function heapTensor<R extends Tensor = Tensor>(
  shape: number[],
  kernelName: string,
  fill: (ctx: SimdContext, out: number) => void,
): R {
  const backend = tf.backend();
  const info = heapBackend(backend, kernelName).makeOutput(shape, 'float32');
  const ctx = simdContext(backend);
  fill(ctx, ctx.ptr(info));
  return tf.engine().makeTensorFromTensorInfo(info, backend) as R;
}

interface WasmDataBackend {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[]; refCount: number } | undefined };
  wasm: { tfjs: { disposeData(id: number): void; registerTensor(id: number, size: number, memoryOffset: number): void } };
}

/**
 * After a tensor's data was changed in place on the heap: drops what tfjs-backend-wasm keeps about
 * that data besides the bytes — the XNNPACK operators it caches per weights tensor (a MatMul or
 * Conv2D whose second operand is this tensor keeps its packed copy until the tensor is disposed) — by
 * unregistering the data and registering the same memory again (the bytes stay; tfjs frees them
 * only in its own disposeData). False when the backend is not wasm as expected.
 */
export function forgetCachedOperators(backend: unknown, dataId: object): boolean {
  const b = backend as Partial<WasmDataBackend>;
  const data = b.dataIdMap?.get(dataId);
  const api = b.wasm?.tfjs;
  if (!data || typeof api?.disposeData !== 'function' || typeof api.registerTensor !== 'function') return false;
  api.disposeData(data.id);
  api.registerTensor(
    data.id,
    data.shape.reduce((x, y) => x * y, 1),
    data.memoryOffset,
  );
  return true;
}
