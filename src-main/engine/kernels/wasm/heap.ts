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
