/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 ships none, so any training
 * step through a convolution fails there with "Kernel 'Conv2DBackpropFilter' not registered").
 *
 * The filter gradient of a convolution (dilation 1) is one matrix product over the P = b·oh·ow
 * output positions:
 *
 *   dW[i, j, c, o] = Σ_p x[n, oh·s + i − padTop, ow·s + j − padLeft, c] · dy[p, o]
 *
 * Filters larger than 1x1 (or padded): FundusLab's SIMD kernel fl_conv_filter_grad computes it
 * directly ('direct', the default): blocks of positions, the block's input per filter tap and 4
 * channels packed into a panel (positions in the padding left out), register-blocked 4 x 8
 * microkernels against dy read in place, chunks of dW taken by the threads in turn. Nothing of
 * size kh·kw·ci x P is materialised.
 *
 * 1x1 filters without padding (ResNet's bottleneck and shortcut convs): cols is the input itself,
 * subsampled for a stride (fl_gather_phase), and the product is wasm's own (XNNPACK) MatMul, xᵀ·dy
 * or (dyᵀ·x)ᵀ when that packs the narrower operand (XNNPACK packs the second operand anew on every
 * call). There the direct kernel is no faster: its blocks of dy shrink with wide outputs (co up to
 * 2048) and its panels read 16 bytes per input row.
 *
 * With FundusLab's native kernels built (kernels/native/addon.ts), every filter gradient is their
 * packed product instead (AVX-512 / AVX2 code outside WebAssembly).
 *
 * The previous formulation of the larger filters ('im2col-matmul', selectable with
 * setFilterGradientImpl for comparisons) was dW [kh·kw·ci, co] = colsᵀ · dy, colsᵀ [kh·kw·ci, P]
 * the input rearranged by fl_im2col_t, on XNNPACK's MatMul: it writes and re-reads the im2col
 * matrix (kh·kw times the input), multiplies the zeros of the padding, and XNNPACK reduces over all
 * P positions in one pass; the direct kernel takes ~20 % less CPU time on ResNet18's 3x3 layers
 * (docs/performance.md).
 */
import tf from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, Tensor2D, Tensor4D, TensorInfo } from '@tensorflow/tfjs';
import { heapTensor } from './heap';
import { slices, transposeOnHeap } from './simd/module';
import { worthSplitting } from './simd/pool';
import { asTensor, assertNHWC, nativeConvDims } from './kernel_utils';
import { nativeKernels } from '../native/addon';
import { NATIVE_MIN_CHANNELS } from './Conv2D';

const NAME = 'Conv2DBackpropFilter (wasm)';

/** How the filter gradient is computed: FundusLab's direct SIMD kernel, or im2col + XNNPACK MatMul. */
export type FilterGradientImpl = 'direct' | 'im2col-matmul';
let filterGradientImpl: FilterGradientImpl = 'direct';

/** Selects the formulation (for comparisons in benchmarks and tests); returns the previous one. */
export function setFilterGradientImpl(impl: FilterGradientImpl): FilterGradientImpl {
  const previous = filterGradientImpl;
  filterGradientImpl = impl;
  return previous;
}

/**
 * Work split of fl_conv_filter_grad: output positions per block (a block of dy, block x co floats,
 * stays in the L2 cache) and panel rows (one tap, 4 input channels) per chunk, the unit the threads
 * take in turn. A chunk re-reads all of dy and keeps its part of dW (4·chunkRows·co floats) in the
 * cache; at least 4 chunks per thread let a thread that other work slows down take fewer.
 */
export function filterGradientSplit(
  filterShape: readonly [number, number, number, number],
  threads: number,
): { block: number; chunkRows: number; chunks: number } {
  const [kh, kw, inChannels, outChannels] = filterShape;
  const block = Math.max(16, Math.min(512, Math.floor(32768 / Math.max(outChannels, 1))));
  const panelRows = kh * kw * Math.ceil(inChannels / 4);
  const cacheRows = Math.max(1, Math.floor(4096 / Math.max(outChannels, 1))); // 4·rows·co floats ≤ 64 KB
  const chunkRows = threads > 1 ? Math.max(1, Math.min(cacheRows, Math.ceil(panelRows / (4 * threads)))) : Math.min(cacheRows, panelRows);
  return { block, chunkRows, chunks: Math.ceil(panelRows / chunkRows) };
}

/** dW [kh, kw, ci, co] by fl_conv_filter_grad on every thread (see the header). */
function directFilterGradient(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  info: { strideHeight: number; strideWidth: number; padInfo: { top: number; left: number } },
): Tensor4D {
  const [kh, kw, inChannels, outChannels] = filterShape;
  const [batch, height, width] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  const positions = batch * outHeight * outWidth;
  return heapTensor<Tensor4D>(filterShape, NAME, (ctx, out) => {
    const threads = worthSplitting(positions * (kh * kw * inChannels + outChannels)) ? ctx.threads : 1;
    const { block, chunkRows, chunks } = filterGradientSplit(filterShape, threads);
    const used = Math.min(threads, chunks);
    const perThread = 20 * block; // a pack buffer (block x 4 floats) and its dy rows (block ints)
    const scratch = ctx.malloc(16 + perThread * used); // the chunk counter first
    try {
      ctx.f32()[scratch / 4] = 0;
      ctx.parallel(
        'fl_conv_filter_grad',
        Array.from({ length: used }, (_, i) => [
          ctx.ptr(x),
          batch,
          height,
          width,
          inChannels,
          ctx.ptr(dy),
          outHeight,
          outWidth,
          outChannels,
          kh,
          kw,
          info.strideHeight,
          info.strideWidth,
          info.padInfo.top,
          info.padInfo.left,
          chunkRows,
          block,
          scratch,
          scratch + 16 + perThread * i,
          scratch + 16 + perThread * i + 16 * block,
          out,
        ]),
      );
    } finally {
      ctx.free(scratch);
    }
  });
}

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
  const native = filterGradientImpl === 'direct' && outChannels >= NATIVE_MIN_CHANNELS ? nativeKernels() : null;
  if (native) {
    return heapTensor<Tensor4D>(filterShape, NAME, (ctx, out) =>
      native.conv2dFilterGrad(ctx.f32(), ctx.ptr(x) / 4, ctx.ptr(dy) / 4, out / 4, nativeConvDims(info)),
    );
  }
  const plainProduct = kh === 1 && kw === 1 && top === 0 && left === 0;
  if (filterGradientImpl === 'direct' && !plainProduct) return directFilterGradient(x, dy, filterShape, info);

  return tf.tidy(() => {
    const dy2 = tf.reshape(dy, [positions, outChannels]) as Tensor2D;
    if (plainProduct) {
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
