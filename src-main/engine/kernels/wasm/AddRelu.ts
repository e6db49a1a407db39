/**
 * ReLU(a + b), the end of every ResNet block (residual addition, then the block's ReLU), as one
 * differentiable op. With tfjs ops a training step spends on it an Add and a Relu forward and Step,
 * Cast and Multiply backward — five passes over each block's activation, 15–25 % of a ResNet training
 * step on wasm once the convolutions ran natively (docs/performance.md). On the wasm backend with
 * FundusLab's native kernels it is one pass forward (FundusLabAddRelu) and one backward
 * (FundusLabReluGrad: dy·step(y) as tfjs computes it, NaN where y is NaN, −0 for a negative dy); both inputs
 * receive that gradient. Elsewhere, and without the native kernels, the tfjs ops.
 */
import tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { nativeKernels } from '../native/addon';
import { heapBackend } from './heap';
import { asTensor } from './kernel_utils';
import { simdContext } from './simd/module';

export const ADD_RELU = 'FundusLabAddRelu';
export const RELU_GRAD = 'FundusLabReluGrad';

/** Runs native kernel `fn` over two same-shaped float32 inputs into a new tensor; null when it cannot. */
function elementwise(backend: unknown, a: TensorInfo, b: TensorInfo, fn: 'addRelu' | 'reluGrad'): TensorInfo | null {
  const native = nativeKernels();
  if (!native || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.join() !== b.shape.join()) return null;
  const n = a.shape.reduce((x, y) => x * y, 1);
  const out = heapBackend(backend, fn).makeOutput(a.shape, 'float32');
  const ctx = simdContext(backend);
  native[fn](ctx.f32(), ctx.ptr(a) / 4, ctx.ptr(b) / 4, ctx.ptr(out) / 4, n);
  return out;
}

const addReluKernel: KernelFunc = ({ inputs, backend }) => {
  const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
  if (!a || !b) throw new Error(`${ADD_RELU} (wasm): expected inputs a and b`);
  return elementwise(backend, a, b, 'addRelu') ?? tf.tidy(() => tf.relu(tf.add(asTensor(a), asTensor(b))));
};

const reluGradKernel: KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy?: TensorInfo; y?: TensorInfo };
  if (!dy || !y) throw new Error(`${RELU_GRAD} (wasm): expected inputs dy and y`);
  return elementwise(backend, dy, y, 'reluGrad') ?? tf.tidy(() => tf.mul(asTensor(dy), tf.step(asTensor(y))));
};

export const addReluConfig: KernelConfig = { kernelName: ADD_RELU, backendName: 'wasm', kernelFunc: addReluKernel };
export const reluGradConfig: KernelConfig = { kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradKernel };

/** ReLU(a + b) for same-shaped tensors; one kernel each way on wasm, the tfjs ops elsewhere. */
export function addRelu<T extends Tensor>(a: T, b: T): T {
  if (tf.getBackend() !== 'wasm' || !tf.getKernel(ADD_RELU, 'wasm') || a.shape.join() !== b.shape.join()) return tf.relu(tf.add(a, b)) as T;
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [x, r, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
    const y = tf.engine().runKernel(ADD_RELU, { a: x, b: r }) as Tensor;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const g = tf.engine().runKernel(RELU_GRAD, { dy, y: saved[0]! }) as Tensor;
        return [g, tf.clone(g)];
      },
    };
  });
  return op(a, b) as T;
}
