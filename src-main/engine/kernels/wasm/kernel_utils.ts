/** Helpers shared by FundusLab's wasm kernels (which are built from tfjs ops running on wasm). */
import tf from '@tensorflow/tfjs';
import type { NamedTensorMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import type { ConvDims } from '../native/addon';

/**
 * A Tensor sharing a kernel input's data, so ops can be applied to it. The Identity kernel adds a
 * reference to the data (engine.makeTensorFromTensorInfo would not, and disposing its result would
 * free the caller's tensor); call it inside a tidy, which releases the view.
 */
export function asTensor(info: TensorInfo): Tensor {
  return tf.engine().runKernel(tf.Identity, { x: info } as unknown as NamedTensorMap);
}

/** Throws a clear error unless the kernel runs on NHWC data with rank-4 inputs. */
export function assertNHWC(kernelName: string, dataFormat: string, inputs: Record<string, TensorInfo>): void {
  if (dataFormat !== 'NHWC') {
    throw new Error(`${kernelName} (wasm): only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  }
  for (const [name, info] of Object.entries(inputs)) {
    if (info.shape.length !== 4) throw new Error(`${kernelName} (wasm): expected a rank-4 ${name}, got shape [${info.shape}]`);
  }
}

/** 4-D explicit padding for tf.conv2d: [[0,0],[top,bottom],[left,right],[0,0]]. */
export type Padding4D = [[number, number], [number, number], [number, number], [number, number]];
export function spatialPadding(top: number, bottom: number, left: number, right: number): Padding4D {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** The fields of tfjs's Conv2DInfo / Conv2DInfo-shaped pool info that describe one sliding window. */
interface WindowInfo {
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padInfo: { top: number; left: number };
}

/**
 * [inH, inW, channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft] of a convolution or pooling
 * info: the order FundusLab's pooling kernels (fl_maxpool_grad, the native maxPool) take them in, and the
 * native convolutions' dims without batch and output channels (nativeConvDims).
 */
export function windowDims(info: WindowInfo): number[] {
  return [
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** The native convolution kernels' dims of a Conv2DInfo (kernels/native/addon.ts ConvDims). */
export function nativeConvDims(info: WindowInfo & { batchSize: number; outChannels: number }): ConvDims {
  const [inH, inW, inC, outH, outW, ...rest] = windowDims(info);
  return [info.batchSize, inH!, inW!, inC!, outH!, outW!, info.outChannels, ...rest] as unknown as ConvDims;
}
