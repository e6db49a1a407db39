/**
 * MaxPoolGrad for the wasm backend, replacing tfjs-backend-wasm's own (a scalar loop: ~105 ms for
 * ResNet's one max pool at 224 px, batch 4) with FundusLab's SIMD kernel (simd/kernels.c,
 * fl_maxpool_grad, ~8 ms). Same result as the reference: each dy goes to the first maximum of its
 * window in row-major order.
 */
import tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs';
import { heapBackend } from './heap';
import { assertNHWC, windowDims } from './kernel_utils';
import { simdContext, slices } from './simd/module';

const maxPoolGradKernel: KernelFunc = ({ inputs, attrs, backend: kb }) => {
  const { dy, input } = inputs as { dy?: TensorInfo; input?: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  if (!dy || !input) throw new Error('MaxPoolGrad (wasm): expected inputs dy and input');
  assertNHWC(tf.MaxPoolGrad, 'NHWC', { dy, input });
  if (dy.dtype !== 'float32' || input.dtype !== 'float32')
    throw new Error(`MaxPoolGrad (wasm): expected float32 dy and input, got ${dy.dtype} and ${input.dtype}`);
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  if (dy.shape.join() !== info.outShape.join())
    throw new Error(`MaxPoolGrad (wasm): expected dy of shape [${info.outShape}], got [${dy.shape}]`);
  const backend = heapBackend(kb, tf.MaxPoolGrad);
  const ctx = simdContext(kb);
  const dx = backend.makeOutput(input.shape, 'float32');
  const [inImage, outImage] = [4 * info.inHeight * info.inWidth * info.inChannels, 4 * info.outHeight * info.outWidth * info.inChannels];
  ctx.parallel(
    'fl_maxpool_grad',
    slices(ctx, info.batchSize, (info.batchSize * inImage) / 4).map(([n0, n1]) => [
      ctx.ptr(input) + n0 * inImage,
      ctx.ptr(dy) + n0 * outImage,
      ctx.ptr(dx) + n0 * inImage,
      n1 - n0,
      ...windowDims(info),
    ]),
  );
  return dx;
};

export const maxPoolGradConfig: KernelConfig = { kernelName: tf.MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGradKernel };
