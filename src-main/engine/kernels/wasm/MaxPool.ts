/**
 * MaxPool for the wasm backend on FundusLab's native kernels (kernels/native/addon.ts), split over
 * the threads by output rows; wasm's own (XNNPACK, one thread) took 7 % of a ResNet18 forward at
 * 96 px. Without the native kernels, or for NCHW or dilation, wasm's own runs. Like it, the
 * maximum never chooses NaN (models/resnet.ts has a NaN-keeping max pool for non-finite weights).
 */
import tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, MaxPoolAttrs, TensorInfo } from '@tensorflow/tfjs';
import { nativeKernels } from '../native/addon';
import { heapBackend } from './heap';
import { windowDims } from './kernel_utils';
import { original, setupOriginal } from './replaced';
import { simdContext } from './simd/module';

const maxPoolKernel: KernelFunc = (args) => {
  const native = nativeKernels();
  const { x } = args.inputs as { x?: TensorInfo };
  const attrs = args.attrs as unknown as MaxPoolAttrs;
  if (native && x && x.shape.length === 4 && x.dtype === 'float32') {
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (info.dilationHeight === 1 && info.dilationWidth === 1) {
      const out = heapBackend(args.backend, 'MaxPool (wasm)').makeOutput(info.outShape, 'float32');
      const ctx = simdContext(args.backend);
      native.maxPool(ctx.f32(), ctx.ptr(x) / 4, ctx.ptr(out) / 4, [info.batchSize, ...windowDims(info)]);
      return out;
    }
  }
  return original(tf.MaxPool)(args);
};

export const maxPoolConfig: KernelConfig = {
  kernelName: tf.MaxPool,
  backendName: 'wasm',
  kernelFunc: maxPoolKernel,
  setupFunc: setupOriginal(tf.MaxPool),
};
