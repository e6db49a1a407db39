/**
 * Conv2DBackpropInput for the wasm backend, replacing tfjs-backend-wasm's own. That one is correct
 * but is a plain loop outside XNNPACK: on ResNet50 layer shapes at batch 8 it takes ~750 ms where
 * the forward convolution takes ~60 ms, which makes it the slowest part of a training step.
 *
 * The input gradient of a convolution with stride s (dilation 1) is a stride-1 convolution of the
 * zero-upsampled output gradient with the spatially flipped filter, input and output channels
 * swapped (a transposed convolution), computed with the wasm backend's own (XNNPACK) Conv2D:
 *
 *   dx[n, h, w, c] = Σ_{i,j,o} dyUp[n, h + i − (kh − 1 − padTop), w + j − (kw − 1 − padLeft), o] · W[kh−1−i, kw−1−j, c, o]
 *
 * where dyUp holds dy[n, p, q, o] at (p·s, q·s) and zeros elsewhere.
 */
import tf from '@tensorflow/tfjs';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, Tensor4D, TensorInfo } from '@tensorflow/tfjs';
import { asTensor, assertNHWC, spatialPadding } from './kernel_utils';

/** Computes dx [b, H, W, ci] from dy [b, oh, ow, co] and the filter [kh, kw, ci, co] (NHWC). */
export function conv2DBackpropInputNHWC(
  dy: Tensor4D,
  filter: Tensor4D,
  inputShape: [number, number, number, number],
  strides: Conv2DBackpropInputAttrs['strides'],
  pad: Conv2DBackpropInputAttrs['pad'],
  dimRoundingMode?: Conv2DBackpropInputAttrs['dimRoundingMode'],
): Tensor4D {
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [batch, height, width, xChannels] = inputShape;
  const [dyBatch, outHeight, outWidth, dyChannels] = dy.shape;
  if (xChannels !== inChannels || dyChannels !== outChannels || dyBatch !== batch) {
    throw new Error(
      `Conv2DBackpropInput (wasm): expected dy [${batch},oh,ow,${outChannels}] for input shape [${inputShape}] and filter [${filter.shape}], got dy [${dy.shape}]`,
    );
  }
  if (outHeight !== info.outHeight || outWidth !== info.outWidth) {
    throw new Error(
      `Conv2DBackpropInput (wasm): expected dy of spatial size ${info.outHeight}x${info.outWidth} for this input, stride and padding, got ${outHeight}x${outWidth}`,
    );
  }
  const strideH = info.strideHeight;
  const strideW = info.strideWidth;
  const upHeight = (outHeight - 1) * strideH + 1;
  const upWidth = (outWidth - 1) * strideW + 1;
  // Padding of the upsampled gradient so the stride-1 convolution yields exactly H x W; a negative
  // value (forward padding wider than the filter) means cropping instead.
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = height + kh - 1 - upHeight - top;
  const right = width + kw - 1 - upWidth - left;

  return tf.tidy(() => {
    if (kh === 1 && kw === 1 && info.padInfo.top === 0 && info.padInfo.left === 0) {
      // 1x1 without padding (ResNet's bottleneck and downsample convs): dx is dy·Wᵀ at the sampled
      // positions (every stride-th row/column) and zero elsewhere. Computing dy·Wᵀ first and then
      // spreading it costs 1/stride² of convolving the zero-upsampled gradient.
      const r = tf.conv2d(dy, tf.transpose(filter, [0, 1, 3, 2]) as Tensor4D, 1, 'valid'); // [b, oh, ow, ci]
      return strideH === 1 && strideW === 1 && outHeight === height && outWidth === width ? r : spread(r, strideH, strideW, height, width);
    }
    let up: Tensor4D = dy;
    if (strideH > 1 || strideW > 1) up = spread(dy, strideH, strideW, upHeight, upWidth);
    const [cropTop, cropLeft, cropBottom, cropRight] = [top, left, bottom, right].map((p) => Math.max(-p, 0)) as [number, number, number, number];
    if (cropTop + cropLeft + cropBottom + cropRight > 0) {
      up = tf.slice(up, [0, cropTop, cropLeft, 0], [batch, upHeight - cropTop - cropBottom, upWidth - cropLeft - cropRight, outChannels]);
    }
    const padding = spatialPadding(Math.max(top, 0), Math.max(bottom, 0), Math.max(left, 0), Math.max(right, 0));
    return tf.conv2d(up, flipFilter(filter), 1, padding, 'NHWC');
  });
}

/**
 * Places t[n, p, q, c] at (p·sh, q·sw) of a zero [n, height, width, c] tensor (cropping or
 * zero-padding at the bottom/right to exactly height x width).
 */
function spread(t: Tensor4D, sh: number, sw: number, height: number, width: number): Tensor4D {
  const [n, h, w, c] = t.shape;
  let out: Tensor4D = t;
  if (sh > 1 || sw > 1) {
    const padded = tf.pad(tf.reshape(t, [n, h, 1, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    out = tf.reshape(padded, [n, h * sh, w * sw, c]);
  }
  const [, oh, ow] = out.shape;
  if (oh > height || ow > width) out = tf.slice(out, [0, 0, 0, 0], [n, Math.min(oh, height), Math.min(ow, width), c]);
  if (oh < height || ow < width) out = tf.pad(out, [[0, 0], [0, Math.max(0, height - oh)], [0, Math.max(0, width - ow)], [0, 0]]);
  return out;
}

/**
 * The filter rotated by 180° in space, with in/out channels swapped. The rotation reverses the order
 * of the kh·kw taps, each a contiguous block of ci·co values: done with typed-array block copies,
 * because the wasm backend's Slice, Reverse and Gather copy element by element (a 3×3×512×512 filter
 * took ~60 ms with nine slices, ~3 ms this way).
 */
function flipFilter(filter: Tensor4D): Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  const taps = kh * kw;
  let flipped = filter;
  if (taps > 1) {
    const src = filter.dataSync() as Float32Array;
    const out = new Float32Array(src.length);
    const block = ci * co;
    for (let t = 0; t < taps; t++) out.set(src.subarray((taps - 1 - t) * block, (taps - t) * block), t * block);
    flipped = tf.tensor4d(out, [kh, kw, ci, co]);
  }
  return tf.transpose(flipped, [0, 1, 3, 2]) as Tensor4D;
}

const conv2DBackpropInputKernel: KernelFunc = ({ inputs, attrs }) => {
  const { dy, filter } = inputs as { dy?: TensorInfo; filter?: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  if (!dy || !filter) throw new Error('Conv2DBackpropInput (wasm): expected inputs dy and filter');
  assertNHWC(tf.Conv2DBackpropInput, dataFormat, { dy, filter });
  return tf.tidy(() => conv2DBackpropInputNHWC(asTensor(dy) as Tensor4D, asTensor(filter) as Tensor4D, inputShape, strides, pad, dimRoundingMode));
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputKernel,
};
