/**
 * The wasm backend's own kernels that FundusLab's replace while falling back to them (Conv2D,
 * FusedConv2D, MaxPool: the native kernels do not take every call): recorded by index.ts before it
 * unregisters them, called for what the replacement does not do.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';

const originals = new Map<string, KernelConfig>();

/** Records the kernel registered before ours under the same name (index.ts, before it unregisters it). */
export function keepOriginalKernel(config: KernelConfig): void {
  if (!originals.has(config.kernelName)) originals.set(config.kernelName, config);
}

/** The recorded kernel function of `name`. */
export function original(name: string): KernelFunc {
  const config = originals.get(name);
  if (!config) throw new Error(`${name} (wasm): the wasm backend's own kernel was not recorded before FundusLab's replaced it`);
  return config.kernelFunc;
}

/** Setup of the replaced kernel (wasm's binds its C function there), run when the backend initialises. */
export const setupOriginal =
  (name: string): KernelConfig['setupFunc'] =>
  (backend) =>
    originals.get(name)?.setupFunc?.(backend);
