/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 ships none, so any training
 * step through a convolution fails there with "Kernel 'Conv2DBackpropFilter' not registered").
 *
 * The filter gradient of a convolution (dilation 1) is one matrix product over the P = b·oh·ow
 * output positions:
 *
 *   dW[i, j, c, o] = Σ_p x[n, oh·s + i − padTop, ow·s + j − padLeft, c] · dy[p, o]
 *
 * i.e. dW [kh·kw·ci, co] = colsᵀ · dy, where colsᵀ [kh·kw·ci, P] is the input rearranged by
 * FundusLab's SIMD kernel fl_im2col_t (zeros in the padding) and the product is wasm's own (XNNPACK)
 * MatMul. XNNPACK packs the second operand of every product anew (~10 ns per element), so dy
 * [P, co] is the one it packs. For 1x1 filters without padding (ResNet's bottleneck and shortcut
 * convs) cols is the input itself, subsampled for a stride (fl_gather_phase): the product is
 * xᵀ·dy, or (dyᵀ·x)ᵀ when that packs the narrower operand. On a ResNet50 training step at batch 4
 * this takes about half the time of the previous formulation (a dilated convolution of the
 * transposed input with the transposed gradient).
 */
import tf from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, Tensor2D, Tensor4D, TensorInfo } from '@tensorflow/tfjs';
import { heapTensor } from './heap';
import { slices, transposeOnHeap } from './simd/module';
import { asTensor, assertNHWC } from './kernel_utils';

const NAME = 'Conv2DBackpropFilter (wasm)';

/** t [rows, cols] transposed by the SIMD kernel (wasm's Transpose copies element by element). */
export function transpose2d(t: Tensor2D): Tensor2D {
  const [rows, cols] = t.shape;
  return heapTensor<Tensor2D>([cols, rows], NAME, (ctx, out) => transposeOnHeap(ctx, ctx.ptr(t), rows, cols, out));
}

/** Computes the filter gradient [kh, kw, ci, co] from input x [b, H, W, ci] and dy [b, oh, ow, co] (NHWC). */
export function conv2DBackpropFilterNHWC(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  strides: Conv2DBackpropFilterAttrs['strides'],
  pad: Conv2DBackpropFilterAttrs['pad'],
  dimRoundingMode?: Conv2DBackpropFilterAttrs['dimRoundingMode'],
): Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [kh, kw, inChannels, outChannels] = filterShape;
  const [batch, height, width, xChannels] = x.shape;
  const [dyBatch, outHeight, outWidth, dyChannels] = dy.shape;
  if (xChannels !== inChannels || dyChannels !== outChannels || dyBatch !== batch) {
    throw new Error(
      `${NAME}: expected x [b,H,W,${inChannels}] and dy [b,oh,ow,${outChannels}] with one batch size, got x [${x.shape}] and dy [${dy.shape}]`,
    );
  }
  if (outHeight !== info.outHeight || outWidth !== info.outWidth) {
    throw new Error(
      `${NAME}: expected dy of spatial size ${info.outHeight}x${info.outWidth} for this input, stride and padding, got ${outHeight}x${outWidth}`,
    );
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32')
    throw new Error(`${NAME}: expected float32 x and dy, got ${x.dtype} and ${dy.dtype}`);
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const positions = batch * outHeight * outWidth;

  return tf.tidy(() => {
    const dy2 = tf.reshape(dy, [positions, outChannels]) as Tensor2D;
    if (kh === 1 && kw === 1 && top === 0 && left === 0) {
      // 1x1 without padding: the input at the sampled positions is cols itself.
      const sampled =
        sh === 1 && sw === 1 && outHeight === height && outWidth === width
          ? x
          : heapTensor<Tensor4D>([batch, outHeight, outWidth, inChannels], NAME, (ctx, out) => {
              const [inImage, outImage] = [4 * height * width * inChannels, 4 * outHeight * outWidth * inChannels];
              ctx.parallel(
                'fl_gather_phase',
                slices(ctx, batch, positions * inChannels).map(([n0, n1]) => [
                  ctx.ptr(x) + n0 * inImage,
                  n1 - n0,
                  height,
                  width,
                  inChannels,
                  sh,
                  sw,
                  0,
                  0,
                  out + n0 * outImage,
                ]),
              );
            });
      const x2 = tf.reshape(sampled, [positions, inChannels]) as Tensor2D;
      const grad = outChannels <= inChannels ? tf.matMul(transpose2d(x2), dy2) : transpose2d(tf.matMul(transpose2d(dy2), x2));
      return tf.reshape(grad, filterShape) as Tensor4D;
    }
    const cols = heapTensor<Tensor2D>([kh * kw * inChannels, positions], NAME, (ctx, out) => {
      const taps = slices(ctx, kh * kw, kh * kw * inChannels * positions);
      const tables = ctx.malloc(4 * positions * taps.length); // one position table per thread
      try {
        ctx.parallel(
          'fl_im2col_t',
          taps.map(([t0, t1], i) => [
            ctx.ptr(x),
            batch,
            height,
            width,
            inChannels,
            kh,
            kw,
            sh,
            sw,
            top,
            left,
            outHeight,
            outWidth,
            t0,
            t1,
            tables + 4 * positions * i,
            out,
          ]),
        );
      } finally {
        ctx.free(tables);
      }
    });
    return tf.reshape(tf.matMul(cols, dy2), filterShape) as Tensor4D;
  });
}

const conv2DBackpropFilterKernel: KernelFunc = ({ inputs, attrs }) => {
  const { x, dy } = inputs as { x?: TensorInfo; dy?: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (!x || !dy) throw new Error(`${NAME}: expected inputs x and dy`);
  assertNHWC(tf.Conv2DBackpropFilter, dataFormat, { x, dy });
  return tf.tidy(() =>
    conv2DBackpropFilterNHWC(asTensor(x) as Tensor4D, asTensor(dy) as Tensor4D, filterShape, strides, pad, dimRoundingMode),
  );
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterKernel,
};
