/**
 * Chooses and activates the TensorFlow.js backend FundusLab computes with.
 *
 * Ladder, best first: tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA) → tensorflow
 * (@tensorflow/tfjs-node, native CPU) → wasm (@tensorflow/tfjs-backend-wasm) → cpu (plain JS).
 * The native packages are optional dependencies that often fail to install (their installer
 * downloads libtensorflow), so they are loaded with `require` at call time, never imported.
 * `FUNDUSLAB_BACKEND` (auto | tensorflow-gpu | tensorflow | wasm | cpu) overrides the settings; a
 * forced backend that cannot be used is an error that says why, never a silent fallback.
 *
 * Every backend registers into the one tfjs-core that `@tensorflow/tfjs` loads (all @tensorflow
 * packages are pinned to one version), so model code imports `tf from '@tensorflow/tfjs'` only.
 *
 * ladder.ts walks the ladder and keeps the engine status; native.ts loads the native packages;
 * wasm.ts sets up the wasm backend and its threads; activate.ts activates and checks a backend.
 */
export {
  BACKEND_ENV_VAR,
  engineStatus,
  initEngine,
  resetEngineForTests,
  resolveBackendRequest,
  type BackendRequest,
  type InitEngineOptions,
} from './ladder';
export { BACKEND_PACKAGES, setCpuBackend } from './activate';
export { NOT_INSTALLED_REASON, cudaDeviceBlocker, describeLoadError, type CudaProbe, type NativeModuleLoader } from './native';
export { DEFAULT_MAX_WASM_THREADS, WASM_THREADS_ENV_VAR, wantedWasmThreads, wasmBinaryDir } from './wasm';
