/**
 * Training kernels FundusLab adds to the wasm backend.
 *
 * tfjs-backend-wasm 4.22 runs a ResNet's forward pass but not its backward pass: of the kernels
 * the gradients of conv2d, batchNorm, relu, maxPool, avgPool/mean, add, matMul and softmax
 * cross-entropy dispatch, only Conv2DBackpropFilter is missing. Depthwise convolution gradients are
 * missing too; no FundusLab model uses depthwise convolutions.
 *
 * Two kinds of kernels:
 *  - built from tfjs ops, so they run on wasm's own fast kernels (XNNPACK Conv2D, MatMul):
 *    Conv2DBackpropFilter, and Conv2DBackpropInput (wasm's own is a plain loop ~5-12x slower);
 *  - FundusLab's WebAssembly SIMD code (wasm/simd/kernels.c) working on the tensors in wasm's heap,
 *    for what tfjs ops do slowly on wasm: train-mode BatchNorm forward and backward as two fused
 *    kernels (FundusLabBatchNormTrain/-Grad, used by models/resnet.ts), the AdamW and SGD updates and
 *    MoCo's key-encoder momentum update as one kernel per parameter (FundusLabAdamW, FundusLabSgd,
 *    used by optim/; FundusLabMomentum, used by moco/moco.ts), and MaxPoolGrad (wasm's own is a
 *    scalar loop).
 * Identity is replaced by one that shares the data (wasm's copies it), as the CPU backend does.
 * Conv2D and FusedConv2D (and the filter gradient) run on FundusLab's native convolution kernels when
 * they are built (kernels/native/addon.ts: AVX-512 / AVX2 code outside WebAssembly), else on wasm's own.
 * Every kernel is tested against the JavaScript CPU backend (test/unit/engine/wasm-kernels.test.ts,
 * wasm-simd-kernels.test.ts, models/batchnorm-train.test.ts).
 */
import tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './wasm/Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './wasm/Conv2DBackpropInput';
import { conv2DConfig, convResidualConfig, convResidualGradConfig, fusedConv2DConfig } from './wasm/Conv2D';
import { maxPoolConfig } from './wasm/MaxPool';
import { addReluConfig, reluGradConfig } from './wasm/AddRelu';
import { keepOriginalKernel } from './wasm/replaced';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './wasm/BatchNormTrain';
import { identityConfig } from './wasm/Identity';
import { maxPoolGradConfig } from './wasm/MaxPoolGrad';
import { adamWConfig, momentumConfig, sgdConfig } from './wasm/Optimizers';
import { batchNormTrainGradWebgpuConfig, batchNormTrainWebgpuConfig } from './webgpu/BatchNormTrain';
import { adamWWebgpuConfig, sgdWebgpuConfig } from './webgpu/Optimizers';

/** Kernels wasm lacks: registered unless a kernel of that name exists (e.g. a future tfjs provides it). */
export const WASM_ADDED_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  adamWConfig,
  sgdConfig,
  momentumConfig,
  convResidualConfig,
  addReluConfig,
  reluGradConfig,
];
/** Kernels wasm has but that are much slower than ours (or copy where they need not): replaced. */
export const WASM_REPLACED_KERNELS: readonly KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  maxPoolConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  identityConfig,
];
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [...WASM_ADDED_KERNELS, ...WASM_REPLACED_KERNELS];

/**
 * Registers FundusLab's training kernels for the 'wasm' backend. Safe to call more than once and
 * before or after the backend is initialised. Returns the names it (re)registered on this call.
 */
export function registerWasmTrainingKernels(): string[] {
  const registered: string[] = [];
  if (!tf.getGradient(convResidualGradConfig.kernelName)) tf.registerGradient(convResidualGradConfig);
  for (const config of WASM_TRAINING_KERNELS) {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) {
      if (!WASM_REPLACED_KERNELS.includes(config)) continue;
      keepOriginalKernel(existing);
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}

/**
 * FundusLab's WGSL kernels for tfjs's 'webgpu' backend (kernels/webgpu/): train-mode BatchNorm
 * forward and backward and the AdamW and SGD updates, under the wasm kernels' names and contracts.
 * tfjs-backend-webgpu 4.22 has every other kernel a training step uses (kernel-check.ts lists them
 * and checks each against the CPU backend); these four replace tfjs-op composites of ~5 to ~20
 * programs each.
 */
export const WEBGPU_TRAINING_KERNELS: readonly KernelConfig[] = [
  batchNormTrainWebgpuConfig,
  batchNormTrainGradWebgpuConfig,
  adamWWebgpuConfig,
  sgdWebgpuConfig,
];

/**
 * Registers FundusLab's training kernels for the 'webgpu' backend (a kernel of that name that is
 * not ours is left alone). Safe to call more than once and before the backend exists. Returns the
 * names it registered on this call.
 */
export function registerWebgpuTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const config of WEBGPU_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
