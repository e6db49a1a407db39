/**
 * FundusLab's native CPU convolution kernels (src-main/engine/native/: conv.c, addon.c), a Node-API
 * addon built by scripts/build-native.mjs into dist/native/funduslab-native.node when the package is
 * built (on `npm install`), if a C compiler is present. They run the wasm backend's convolutions
 * (forward, the input gradient through it, and the filter gradient) on the tensors in tfjs-backend-wasm's
 * heap, with the CPU's own vector instructions (AVX-512 or AVX2 with FMA, chosen at load time), where
 * WebAssembly has 128-bit vectors without fused multiply-add (docs/performance.md).
 *
 * The same addon carries the training augmentation's per-image loops (aug.c), which the augmentation
 * worker threads load (engine/augment/augment-pool.ts, cpu.ts useNativeAugment).
 *
 * Without the addon (no compiler at install, another OS, FUNDUSLAB_NATIVE=0) the wasm backend keeps its
 * own kernels: same results to float32 rounding, slower; the augmentation runs its JavaScript loops
 * (the same bits).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../../../paths';
import type { AugmentNative } from '../../augment/cpu';

export const NATIVE_ENV_VAR = 'FUNDUSLAB_NATIVE';

export interface NativeInfo {
  /** The instruction set in use: 'avx512', 'avx2' or 'generic' (the compiler's default vectors). */
  variant: string;
  threads: number;
  /** Variants this CPU and build can run. */
  supported: string[];
}

/** [batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft] */
export type ConvDims = readonly [number, number, number, number, number, number, number, number, number, number, number, number, number];

/** The native kernels, and the augmentation's per-image loops (aug.c) the augmentation workers load. */
export interface NativeKernels extends AugmentNative {
  /**
   * y = x ⊛ w (+ bias + residual, ReLU): offsets are float32 element offsets into `heap`; bias and
   * residual −1 = none; relu 0 or 1.
   */
  conv2d(heap: Float32Array, x: number, w: number, y: number, dims: ConvDims, bias?: number, relu?: number, residual?: number): void;
  /** dw = the filter gradient of x ⊛ w given dy. */
  conv2dFilterGrad(heap: Float32Array, x: number, dy: number, dw: number, dims: ConvDims): void;
  /** Max pooling (NHWC); dims = [batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft]. */
  maxPool(heap: Float32Array, x: number, y: number, dims: readonly number[]): void;
  /** out = max(a + b, 0) over n elements (NaN stays NaN). */
  addRelu(heap: Float32Array, a: number, b: number, out: number, n: number): void;
  /** dx = dy·step(y) over n elements (step: 1 where y > 0, 0 where y ≤ 0, NaN where y is NaN), as tfjs. */
  reluGrad(heap: Float32Array, dy: number, y: number, dx: number, n: number): void;
  info(): NativeInfo;
  configure(options: { threads?: number; variant?: string }): NativeInfo;
}

/** Where the build puts the addon (in the packaged app: outside the asar archive). */
export function nativeAddonPath(): string {
  return path.join(packageRoot(), 'dist', 'native', 'funduslab-native.node').replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
}

let loaded: { kernels: NativeKernels | null; reason: string | null } | null = null;
let enabled = true;

/** The addon, or null with the reason (not built, disabled, failed to load). Loaded once per process. */
export function nativeKernels(env: Record<string, string | undefined> = process.env): NativeKernels | null {
  if (!enabled) return null;
  if (!loaded) loaded = load(env);
  return loaded.kernels;
}

/** Why the native kernels are not in use (null when they are). */
export function nativeUnavailableReason(env: Record<string, string | undefined> = process.env): string | null {
  if (!enabled) return 'switched off for this process';
  if (!loaded) loaded = load(env);
  return loaded.reason;
}

function load(env: Record<string, string | undefined>): { kernels: NativeKernels | null; reason: string | null } {
  const flag = env[NATIVE_ENV_VAR]?.trim();
  if (flag === '0' || flag === 'false' || flag === 'off') return { kernels: null, reason: `${NATIVE_ENV_VAR}=${flag}` };
  let file: string;
  try {
    file = nativeAddonPath();
  } catch (err) {
    // e.g. the portable GPU check, a bundle without the FundusLab package around it
    return { kernels: null, reason: `no FundusLab package folder to load them from (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!existsSync(file)) {
    return { kernels: null, reason: `not built (${file} is missing: it is compiled on npm install when a C compiler is present)` };
  }
  try {
    const kernels = createRequire(import.meta.url)(file) as NativeKernels;
    if (flag && flag !== '1' && flag !== 'true' && flag !== 'on') kernels.configure({ variant: flag });
    return { kernels, reason: null };
  } catch (err) {
    return { kernels: null, reason: `could not be loaded from ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Switches the native kernels off (false) or back on for this process, returning the previous state:
 * benchmarks compare them with the wasm kernels in one process, tests check both paths.
 */
export function setNativeEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** One line for reports: the instruction set and threads in use, or why the native kernels are not used. */
export function describeNativeKernels(env: Record<string, string | undefined> = process.env): { inUse: boolean; detail: string } {
  const kernels = nativeKernels(env);
  if (!kernels) return { inUse: false, detail: `not in use: ${nativeUnavailableReason(env)}` };
  const info = kernels.info();
  return {
    inUse: true,
    detail: `${info.variant}, ${info.threads} thread${info.threads === 1 ? '' : 's'} (supported here: ${info.supported.join(', ')})`,
  };
}
