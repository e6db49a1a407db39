/**
 * Identity for the wasm backend without a copy. tfjs-backend-wasm's Identity copies the tensor (its
 * Reshape, by contrast, shares the data); tfjs runs Identity for every input of a custom-gradient op
 * and of FundusLab's composite kernels (~600 times, ~100 ms in a ResNet50 training step at batch
 * 4). Tensors are immutable, so the output can share the input's data, as on the CPU backend: one
 * more reference to it, released when either tensor is disposed.
 */
import tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapBackend } from './heap';

const identityKernel: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x?: TensorInfo };
  if (!x) throw new Error('Identity (wasm): expected input x');
  heapBackend(backend, tf.Identity).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export const identityConfig: KernelConfig = { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identityKernel };
