/**
 * Conv2D and FusedConv2D for the wasm backend on FundusLab's native convolution kernels
 * (kernels/native/addon.ts): the forward convolution of every training step and inference, and — through
 * Conv2DBackpropInput.ts, which assembles the input gradient from stride-1 convolutions — the input
 * gradient. Native code reads and writes the tensors where they are, in tfjs-backend-wasm's heap.
 *
 * When the native kernels are absent or switched off, or a call is outside what they do (NCHW,
 * dilation, an activation other than ReLU, a bias that is not one value per output channel), the
 * wasm backend's own kernel (XNNPACK) runs, as registered before FundusLab replaced it.
 */
import tf from '@tensorflow/tfjs';
import type {
  Conv2DAttrs,
  FusedConv2DAttrs,
  GradConfig,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  Tensor,
  Tensor4D,
  TensorInfo,
} from '@tensorflow/tfjs';
import { nativeKernels, type NativeKernels } from '../native/addon';
import { heapBackend } from './heap';
import { asTensor, nativeConvDims } from './kernel_utils';
import { original, setupOriginal } from './replaced';
import { simdContext } from './simd/module';

/**
 * Narrower convolutions stay on XNNPACK: with fewer than 32 output channels most of the native
 * kernels' register tile is padding, and on the demo's model (widths 8–64 at 64 px) they measured
 * slower than XNNPACK (docs/performance.md).
 */
export const NATIVE_MIN_CHANNELS = 32;

type ConvCall = { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; residual?: TensorInfo; relu: boolean };

/** The native forward convolution, or null when the call is not one it does. */
function nativeConv(
  native: NativeKernels,
  backend: unknown,
  { x, filter, bias, residual, relu }: ConvCall,
  attrs: Pick<Conv2DAttrs, 'strides' | 'pad' | 'dataFormat' | 'dilations' | 'dimRoundingMode'>,
): TensorInfo | null {
  if (attrs.dataFormat !== 'NHWC' || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  const dilations = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : (attrs.dilations ?? [1, 1]);
  if (dilations[0] !== 1 || dilations[1] !== 1) return null;
  const outChannels = filter.shape[3]!;
  if (outChannels < NATIVE_MIN_CHANNELS) return null;
  if (bias && (bias.dtype !== 'float32' || bias.shape.reduce((a, b) => a * b, 1) !== outChannels || bias.shape.length > 1)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.inChannels !== filter.shape[2]) return null;
  const outShape = [info.batchSize, info.outHeight, info.outWidth, outChannels];
  if (residual && (residual.dtype !== 'float32' || residual.shape.join() !== outShape.join())) return null;
  const out = heapBackend(backend, 'Conv2D (wasm)').makeOutput(outShape, 'float32');
  const ctx = simdContext(backend);
  native.conv2d(
    ctx.f32(),
    ctx.ptr(x) / 4,
    ctx.ptr(filter) / 4,
    ctx.ptr(out) / 4,
    nativeConvDims(info),
    bias ? ctx.ptr(bias) / 4 : -1,
    relu ? 1 : 0,
    residual ? ctx.ptr(residual) / 4 : -1,
  );
  return out;
}

const conv2DKernel: KernelFunc = (args) => {
  const native = nativeKernels();
  const { x, filter } = args.inputs as { x?: TensorInfo; filter?: TensorInfo };
  if (native && x && filter) {
    const out = nativeConv(native, args.backend, { x, filter, relu: false }, args.attrs as unknown as Conv2DAttrs);
    if (out) return out;
  }
  return original(tf.Conv2D)(args);
};

const fusedConv2DKernel: KernelFunc = (args) => {
  const native = nativeKernels();
  const { x, filter, bias, preluActivationWeights } = args.inputs as {
    x?: TensorInfo;
    filter?: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const attrs = args.attrs as unknown as FusedConv2DAttrs;
  if (native && x && filter && !preluActivationWeights && (attrs.activation === 'linear' || attrs.activation === 'relu')) {
    const out = nativeConv(native, args.backend, { x, filter, bias, relu: attrs.activation === 'relu' }, attrs);
    if (out) return out;
  }
  return original(tf.FusedConv2D)(args);
};

/**
 * FundusLabConvResidual: y = [ReLU](conv(x, filter) + bias + residual), the last convolution of a
 * ResNet block with its BatchNorm folded, the shortcut added and the block's ReLU, in eval mode
 * (models/resnet.ts). With the native kernels it is one pass: bias, residual and ReLU are applied
 * to each block of the output while it is in the cache, where tfjs would run the convolution, then
 * Add and Relu over the whole activation (a third of a ResNet50 forward on wasm, in memory traffic).
 * Otherwise the same three tfjs ops. Its gradient is registered (resnet.ts only uses it without one).
 */
export const CONV_RESIDUAL = 'FundusLabConvResidual';
export interface ConvResidualAttrs {
  strides: [number, number] | number;
  pad: Conv2DAttrs['pad'];
  relu: boolean;
}

function convResidualOps(x: Tensor4D, filter: Tensor4D, bias: Tensor, residual: Tensor, attrs: ConvResidualAttrs): Tensor4D {
  const sum = tf.add(tf.fused.conv2d({ x, filter, strides: attrs.strides, pad: attrs.pad, bias }), residual) as Tensor4D;
  return attrs.relu ? tf.relu(sum) : sum;
}

const convResidualKernel: KernelFunc = (args) => {
  const { x, filter, bias, residual } = args.inputs as Record<'x' | 'filter' | 'bias' | 'residual', TensorInfo | undefined>;
  if (!x || !filter || !bias || !residual) throw new Error(`${CONV_RESIDUAL} (wasm): expected inputs x, filter, bias and residual`);
  const attrs = args.attrs as unknown as ConvResidualAttrs;
  const native = nativeKernels();
  if (native) {
    const out = nativeConv(
      native,
      args.backend,
      { x, filter, bias, residual, relu: attrs.relu },
      {
        ...attrs,
        dataFormat: 'NHWC',
        dilations: 1,
      },
    );
    if (out) return out;
  }
  return tf.tidy(() => convResidualOps(asTensor(x) as Tensor4D, asTensor(filter) as Tensor4D, asTensor(bias), asTensor(residual), attrs));
};

export const convResidualConfig: KernelConfig = { kernelName: CONV_RESIDUAL, backendName: 'wasm', kernelFunc: convResidualKernel };

/** Its gradient: dz = dy·[y > 0]; x and filter through the convolution's gradient kernels, bias Σ dz, residual dz. */
export const convResidualGradConfig: GradConfig = {
  kernelName: CONV_RESIDUAL,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [Tensor4D, Tensor4D, Tensor4D];
    const { strides, pad, relu } = attrs as unknown as ConvResidualAttrs;
    const dz = relu ? tf.mul(dy as Tensor, tf.step(y)) : (dy as Tensor);
    const conv = { strides, pad, dataFormat: 'NHWC' };
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dz, filter }, { ...conv, inputShape: x.shape }) as Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dz }, { ...conv, filterShape: filter.shape }) as Tensor,
      bias: () => tf.sum(dz, [0, 1, 2]),
      residual: () => dz,
    };
  },
};

/** y = [ReLU](conv(x, filter) + bias + residual) on any backend: the kernel on wasm, the three ops elsewhere. */
export function convResidual(x: Tensor4D, filter: Tensor4D, bias: Tensor, residual: Tensor4D, attrs: ConvResidualAttrs): Tensor4D {
  if (tf.getBackend() !== 'wasm') return convResidualOps(x, filter, bias, residual, attrs);
  return tf.engine().runKernel(CONV_RESIDUAL, { x, filter, bias, residual }, attrs as unknown as NamedAttrMap) as Tensor4D;
}

export const conv2DConfig: KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2DKernel,
  setupFunc: setupOriginal(tf.Conv2D),
};

export const fusedConv2DConfig: KernelConfig = {
  kernelName: tf.FusedConv2D,
  backendName: 'wasm',
  kernelFunc: fusedConv2DKernel,
  setupFunc: setupOriginal(tf.FusedConv2D),
};
