/**
 * Conv2DBackpropInput for the wasm backend, replacing tfjs-backend-wasm's own. That one is correct
 * but is a plain loop outside XNNPACK: on ResNet50 layer shapes at batch 8 it takes ~750 ms where
 * the forward convolution takes ~60 ms, which makes it the slowest part of a training step.
 *
 * The input gradient of a convolution with stride s (dilation 1) is assembled from s_h·s_w stride-1
 * convolutions of dy on wasm's own (XNNPACK) Conv2D, one per phase (a, b) of the input — the rows
 * h ≡ a and columns w ≡ b (mod s). Row h = s·u + a receives dy row oh through filter row i exactly
 * when oh·s + i − padTop = h, i.e. i ≡ i0 = (a + padTop) mod s, i = i0 + s·t, oh = u + da − t with
 * da = ⌊(a + padTop)/s⌋ (columns alike). So
 *
 *   dx[n, s·u + a, s·v + b, c] = Σ_{t,t',o} dy[n, u + da − t, v + db − t', o] · W[i0 + s·t, j0 + s·t', c, o]
 *
 * a stride-1 correlation of dy with the sub-filter of taps ≡ (i0, j0), flipped, its channels
 * swapped ([kt, kt', co, ci]), padded by kt − 1 − da on top. FundusLab's SIMD kernels build the
 * sub-filters (fl_transpose per tap) and place each phase into dx (fl_scatter_phase). Every tap is
 * used by one phase: the work is that of the forward convolution, where convolving a zero-upsampled
 * dy (the textbook transposed convolution) does s² times as much. A phase no tap reaches (a 1x1
 * filter with stride 2) is zero.
 */
import tf from '@tensorflow/tfjs';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, Tensor4D, TensorInfo } from '@tensorflow/tfjs';
import { heapTensor } from './heap';
import { transposeOnHeap, slices } from './simd/module';
import { asTensor, assertNHWC, spatialPadding } from './kernel_utils';

const NAME = 'Conv2DBackpropInput (wasm)';

/** One dimension of a phase: first tap, tap count, offset into dy, and the phase's size. */
interface PhaseAxis {
  first: number;
  taps: number;
  offset: number;
  size: number;
}

function phaseAxis(phase: number, stride: number, kernel: number, padBefore: number, inSize: number): PhaseAxis {
  const first = (phase + padBefore) % stride;
  return {
    first,
    taps: first < kernel ? Math.ceil((kernel - first) / stride) : 0,
    offset: Math.floor((phase + padBefore) / stride),
    size: Math.ceil((inSize - phase) / stride),
  };
}

/**
 * The sub-filter of taps (first.h + s_h·t, first.w + s_w·t'), flipped in space, channels swapped:
 * [kt, kt', co, ci] with F[τ, τ'] = W[i0 + s_h(kt − 1 − τ), j0 + s_w(kt' − 1 − τ')]ᵀ.
 */
function subFilter(filter: Tensor4D, rows: PhaseAxis, cols: PhaseAxis, sh: number, sw: number): Tensor4D {
  const [, kw, ci, co] = filter.shape;
  const block = ci * co;
  return heapTensor<Tensor4D>([rows.taps, cols.taps, co, ci], NAME, (ctx, out) => {
    const src = ctx.ptr(filter);
    for (let tau = 0; tau < rows.taps; tau++) {
      for (let tau2 = 0; tau2 < cols.taps; tau2++) {
        const i = rows.first + sh * (rows.taps - 1 - tau);
        const j = cols.first + sw * (cols.taps - 1 - tau2);
        transposeOnHeap(ctx, src + 4 * (i * kw + j) * block, ci, co, out + 4 * (tau * cols.taps + tau2) * block);
      }
    }
  });
}

/** The phase's stride-1 correlation of dy with its sub-filter: [b, rows.size, cols.size, ci]. */
function phaseGradient(dy: Tensor4D, filter: Tensor4D, rows: PhaseAxis, cols: PhaseAxis, sh: number, sw: number): Tensor4D {
  const [batch, outHeight, outWidth, outChannels] = dy.shape;
  // Padding before/after dy so the correlation yields exactly rows.size x cols.size; negative = crop.
  const top = rows.taps - 1 - rows.offset;
  const bottom = rows.size - outHeight - top + rows.taps - 1;
  const left = cols.taps - 1 - cols.offset;
  const right = cols.size - outWidth - left + cols.taps - 1;
  let input = dy;
  const crop = [top, bottom, left, right].map((p) => Math.max(-p, 0)) as [number, number, number, number];
  if (crop.some((c) => c > 0)) {
    input = tf.slice(dy, [0, crop[0], crop[2], 0], [batch, outHeight - crop[0] - crop[1], outWidth - crop[2] - crop[3], outChannels]);
  }
  const padding = spatialPadding(Math.max(top, 0), Math.max(bottom, 0), Math.max(left, 0), Math.max(right, 0));
  return tf.conv2d(input, subFilter(filter, rows, cols, sh, sw), 1, padding, 'NHWC');
}

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
      `${NAME}: expected dy [${batch},oh,ow,${outChannels}] for input shape [${inputShape}] and filter [${filter.shape}], got dy [${dy.shape}]`,
    );
  }
  if (outHeight !== info.outHeight || outWidth !== info.outWidth) {
    throw new Error(
      `${NAME}: expected dy of spatial size ${info.outHeight}x${info.outWidth} for this input, stride and padding, got ${outHeight}x${outWidth}`,
    );
  }
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32')
    throw new Error(`${NAME}: expected float32 dy and filter, got ${dy.dtype} and ${filter.dtype}`);
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;

  return tf.tidy(() => {
    const phases: { a: number; b: number; grad: Tensor4D | null }[] = [];
    for (let a = 0; a < sh; a++) {
      for (let b = 0; b < sw; b++) {
        const rows = phaseAxis(a, sh, kh, top, height);
        const cols = phaseAxis(b, sw, kw, left, width);
        if (rows.size <= 0 || cols.size <= 0) continue;
        phases.push({ a, b, grad: rows.taps > 0 && cols.taps > 0 ? phaseGradient(dy, filter, rows, cols, sh, sw) : null });
      }
    }
    if (phases.length === 1 && phases[0]!.grad) return phases[0]!.grad; // stride 1
    return heapTensor<Tensor4D>([batch, height, width, inChannels], NAME, (ctx, out) => {
      const image = height * width * inChannels;
      for (const { a, b, grad } of phases) {
        const phaseImage = Math.ceil((height - a) / sh) * Math.ceil((width - b) / sw) * inChannels;
        ctx.parallel(
          'fl_scatter_phase',
          slices(ctx, batch, batch * phaseImage).map(([n0, n1]) => [
            grad ? ctx.ptr(grad) + 4 * n0 * phaseImage : 0,
            n1 - n0,
            height,
            width,
            inChannels,
            sh,
            sw,
            a,
            b,
            out + 4 * n0 * image,
          ]),
        );
      }
    });
  });
}

const conv2DBackpropInputKernel: KernelFunc = ({ inputs, attrs }) => {
  const { dy, filter } = inputs as { dy?: TensorInfo; filter?: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  if (!dy || !filter) throw new Error(`${NAME}: expected inputs dy and filter`);
  assertNHWC(tf.Conv2DBackpropInput, dataFormat, { dy, filter });
  return tf.tidy(() =>
    conv2DBackpropInputNHWC(asTensor(dy) as Tensor4D, asTensor(filter) as Tensor4D, inputShape, strides, pad, dimRoundingMode),
  );
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputKernel,
};
