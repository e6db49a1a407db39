/**
 * The native backends (tensorflow-gpu: @tensorflow/tfjs-node-gpu, tensorflow: @tensorflow/tfjs-node).
 * They are optional dependencies that often fail to install (their installer downloads
 * libtensorflow), so they are loaded with `require` at call time, never imported, and each at most
 * once per process: both register the same tfjs backend, and a second libtensorflow cannot load.
 */
import tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { activate, BACKEND_PACKAGES, type Attempt } from './activate';

/** Reason given for a native package npm did not install. */
export const NOT_INSTALLED_REASON =
  'not installed (its TensorFlow library could not be downloaded when FundusLab was installed; see the README)';

/** tfjs-node and tfjs-node-gpu both register their backend under this tfjs name. */
const TFJS_NATIVE_BACKEND = 'tensorflow';

const nodeRequire = createRequire(import.meta.url);

/** How native packages are found and loaded; replaceable in tests (no native package installs here). */
export interface NativeModuleLoader {
  /** Throws when the package is not installed. */
  resolve(id: string): string;
  /** Requires the package (tfjs-node registers and activates its backend as a side effect). */
  load(id: string): unknown;
}
const defaultLoader: NativeModuleLoader = { resolve: (id) => nodeRequire.resolve(id), load: (id) => nodeRequire(id) };
let nativeLoader: NativeModuleLoader = defaultLoader;

/** Load outcome per native package, so a failed require is not re-run (it re-registers kernels). */
const nativeLoads = new Map<string, { ok: true } | { ok: false; reason: string }>();
/** Which native package provides the registered 'tensorflow' backend, once one has loaded. */
let nativeProvider: string | null = null;

/** Requires a native tfjs package once; returns why it could not be loaded, or null when it loaded. */
function loadNative(pkg: string): string | null {
  const known = nativeLoads.get(pkg);
  if (known) return known.ok ? null : known.reason;
  let reason: string | null = null;
  if (!isInstalled(pkg)) {
    reason = NOT_INSTALLED_REASON;
  } else if (nativeProvider !== null) {
    reason = `not loaded: ${nativeProvider} already provides the TensorFlow backend in this process`;
  } else {
    // A failed load of the other native package may have left its kernels registered without a backend.
    if (tf.findBackendFactory(TFJS_NATIVE_BACKEND) === null) {
      for (const kernel of tf.getKernelsForBackend(TFJS_NATIVE_BACKEND)) tf.unregisterKernel(kernel.kernelName, TFJS_NATIVE_BACKEND);
    }
    try {
      nativeLoader.load(pkg);
      nativeProvider = pkg;
    } catch (err) {
      reason = describeLoadError(pkg, err);
    }
  }
  nativeLoads.set(pkg, reason === null ? { ok: true } : { ok: false, reason });
  return reason;
}

function isInstalled(pkg: string): boolean {
  try {
    nativeLoader.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns a failed `require` of a native tfjs package into a one-line reason: "not installed" when
 * the package itself is missing, otherwise the loader's own message (e.g. a missing libcudart).
 */
export function describeLoadError(pkg: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${pkg}'`)) return NOT_INSTALLED_REASON;
  const firstLine = (message.split('\n').find((line) => line.trim() !== '') ?? message).trim();
  // npm can keep the package while its install script failed to fetch libtensorflow and build the addon.
  const hint = firstLine.includes('tfjs_binding.node')
    ? ' (the native addon is missing: its TensorFlow library was probably not downloaded when FundusLab was installed; see the README)'
    : '';
  return `failed to load: ${firstLine}${hint}`;
}

/** The file-system facts cudaDeviceBlocker looks at. */
export interface CudaProbe {
  platform: NodeJS.Platform;
  exists: (p: string) => boolean;
  list: (p: string) => string[];
}

const defaultCudaProbe: CudaProbe = {
  platform: process.platform,
  exists: (p: string) => existsSync(p),
  list: (p: string) => {
    try {
      return readdirSync(p);
    } catch {
      return [];
    }
  },
};

let cudaProbe: CudaProbe = defaultCudaProbe;

/** Cheap, pre-load answer to "could CUDA see a GPU here?": null when it may, else why not. */
export function cudaDeviceBlocker(env: Record<string, string | undefined>, probe: CudaProbe = cudaProbe): string | null {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && ['', '-1', 'none', 'nodevfiles'].includes(visible.trim().toLowerCase())) {
    return `no CUDA device visible (CUDA_VISIBLE_DEVICES="${visible}")`;
  }
  if (probe.platform !== 'linux') return null; // No cheap probe elsewhere; the loaded backend is asked instead.
  if (probe.exists('/dev/dxg')) return null; // WSL2 exposes GPUs through /dev/dxg, not /proc/driver/nvidia.
  const gpusDir = '/proc/driver/nvidia/gpus';
  if (!probe.exists(gpusDir)) return 'no CUDA device visible (no NVIDIA driver loaded: /proc/driver/nvidia/gpus is absent)';
  if (probe.list(gpusDir).length === 0) return 'no CUDA device visible (the NVIDIA driver lists no GPUs)';
  return null;
}

/** The tensorflow-gpu rung: tfjs-node-gpu, when CUDA may see a device and libtensorflow then finds a usable GPU. */
export async function tryNativeGpu(env: Record<string, string | undefined>): Promise<Attempt> {
  const pkg = BACKEND_PACKAGES['tensorflow-gpu'];
  if (!isInstalled(pkg)) return { ok: false, reason: NOT_INSTALLED_REASON };
  const blocker = cudaDeviceBlocker(env);
  if (blocker) return { ok: false, reason: blocker };
  const failure = loadNative(pkg);
  if (failure) return { ok: false, reason: failure };
  const attempt = await activate(TFJS_NATIVE_BACKEND, os.availableParallelism());
  if (!attempt.ok) return attempt;
  if (!nativeUsesGpu()) {
    return {
      ok: false,
      reason: 'no CUDA device visible (TensorFlow loaded but found no usable GPU; check the CUDA and cuDNN versions)',
    };
  }
  return attempt;
}

/** The tensorflow rung: tfjs-node, or tfjs-node-gpu when that one is already loaded in the process. */
export async function tryNativeCpu(): Promise<Attempt> {
  const pkg = BACKEND_PACKAGES.tensorflow;
  if (nativeProvider === BACKEND_PACKAGES['tensorflow-gpu']) {
    // tfjs-node-gpu is already loaded (typically: it loaded but found no usable GPU). A second
    // libtensorflow cannot be loaded into the same process, so it serves this rung.
    const attempt = await activate(TFJS_NATIVE_BACKEND, os.availableParallelism());
    if (!attempt.ok) return attempt;
    const note = nativeUsesGpu()
      ? `served by ${nativeProvider}, already loaded in this process (it computes on the GPU)`
      : `runs on the CPU through ${nativeProvider} (it loaded first and found no GPU)`;
    return { ...attempt, packageOverride: nativeProvider, note };
  }
  const failure = loadNative(pkg);
  if (failure) return { ok: false, reason: failure };
  return activate(TFJS_NATIVE_BACKEND, os.availableParallelism());
}

/** Whether the registered native backend computes on a GPU (tfjs-node's backend reports it). */
function nativeUsesGpu(): boolean {
  const backend = tf.findBackend(TFJS_NATIVE_BACKEND) as { isUsingGpuDevice?: unknown } | null;
  return backend?.isUsingGpuDevice === true;
}

/** Tests only: forgets the load outcomes, and loads and probes through the given seams (omitted: the real ones). */
export function resetNativeForTests(seams: { loader?: NativeModuleLoader; cudaProbe?: CudaProbe }): void {
  nativeLoads.clear();
  nativeProvider = null;
  nativeLoader = seams.loader ?? defaultLoader;
  cudaProbe = seams.cudaProbe ?? defaultCudaProbe;
}
