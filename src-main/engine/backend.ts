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
 */
import tf from '@tensorflow/tfjs';
import { getThreadsCount as wasmThreadsCount, setThreadsCount as setWasmThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import {
  BACKEND_LADDER,
  BackendName,
  BackendPreference,
  type BackendCandidate,
  type EngineStatus,
} from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import { registerWasmTrainingKernels } from './kernels/index';

/** The environment variable that overrides the backend chosen in the settings. */
export const BACKEND_ENV_VAR = 'FUNDUSLAB_BACKEND';
/** Threads for the wasm backend (1 = single-threaded build, the default; 2-8 = the threaded SIMD build). */
export const WASM_THREADS_ENV_VAR = 'FUNDUSLAB_WASM_THREADS';

/** npm package that provides each backend (cpu ships inside @tensorflow/tfjs). */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** Reason given for a native package npm did not install. */
export const NOT_INSTALLED_REASON = 'not installed (npm could not download libtensorflow; see README)';
const BETTER_ACTIVE_REASON = 'skipped: a better backend is active';

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

export interface InitEngineOptions {
  /** The backend preference from the settings. */
  preference: BackendPreference;
  /** Environment to read FUNDUSLAB_BACKEND (and CUDA_VISIBLE_DEVICES) from; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

/** What the user asked for, after FUNDUSLAB_BACKEND has overridden the settings. */
export interface BackendRequest {
  forced: BackendName | null;
  forcedBy: 'env' | 'settings' | null;
}

/** Outcome of trying one backend: usable (and now the active tfjs backend) or why not. */
type Attempt =
  | { ok: true; tfjsBackend: string; threads: number; packageOverride?: string; note?: string }
  | { ok: false; reason: string };

let current: { key: string; status: EngineStatus } | null = null;
let pending: { key: string; promise: Promise<EngineStatus> } | null = null;

/** The status of the last successful initEngine(), or null before the engine is initialised. */
export function engineStatus(): EngineStatus | null {
  return current?.status ?? null;
}

/**
 * Activates the best usable backend (or the forced one) and returns what was chosen and why the
 * others were not. Calling it again with the same effective request returns the same status
 * without re-initialising; a different request (e.g. the settings changed) switches backends.
 * Throws BAD_REQUEST for an invalid FUNDUSLAB_BACKEND and UNSUPPORTED when a forced backend
 * cannot be used.
 */
export async function initEngine(opts: InitEngineOptions): Promise<EngineStatus> {
  const env = opts.env ?? process.env;
  const request = resolveBackendRequest(opts.preference, env);
  const key = `${request.forced ?? 'auto'}|${request.forcedBy ?? ''}`;
  if (current?.key === key) return current.status;
  if (pending?.key === key) return pending.promise;
  // A different request while one is in flight waits for it, then re-selects.
  const previous = pending?.promise.catch(() => undefined);
  const promise = (async () => {
    await previous;
    if (current?.key === key) return current.status;
    try {
      const status = deepFreeze(await selectBackend(request, env));
      current = { key, status };
      return status;
    } catch (err) {
      // Trying backends switches tfjs's active one (tfjs-node even does so on require): put it back.
      if (current) await tf.setBackend(current.status.tfjsBackend).catch(() => false);
      throw err;
    }
  })();
  pending = { key, promise };
  try {
    return await promise;
  } finally {
    if (pending?.promise === promise) pending = null;
  }
}

/** The status is shared by every caller, so it is made read-only. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Applies FUNDUSLAB_BACKEND over the settings' preference; an invalid value is a BAD_REQUEST error. */
export function resolveBackendRequest(preference: BackendPreference, env: Record<string, string | undefined>): BackendRequest {
  const raw = env[BACKEND_ENV_VAR];
  if (raw !== undefined && raw.trim() !== '') {
    const value = raw.trim();
    if (value === 'auto') return { forced: null, forcedBy: null };
    const parsed = BackendName.safeParse(value);
    if (!parsed.success) {
      throw new AppError(
        'BAD_REQUEST',
        `${BACKEND_ENV_VAR}="${raw}" is not a backend; expected one of: auto, ${BACKEND_LADDER.join(', ')}`,
      );
    }
    return { forced: parsed.data, forcedBy: 'env' };
  }
  const pref = BackendPreference.safeParse(preference);
  if (!pref.success) {
    throw new AppError('BAD_REQUEST', `Backend preference "${String(preference)}" is not valid; expected one of: auto, ${BACKEND_LADDER.join(', ')}`);
  }
  return pref.data === 'auto' ? { forced: null, forcedBy: null } : { forced: pref.data, forcedBy: 'settings' };
}

async function selectBackend(request: BackendRequest, env: Record<string, string | undefined>): Promise<EngineStatus> {
  const candidates: BackendCandidate[] = [];
  let chosen: { backend: BackendName; attempt: Extract<Attempt, { ok: true }> } | null = null;

  for (const backend of BACKEND_LADDER) {
    const pkg = BACKEND_PACKAGES[backend];
    if (request.forced !== null && backend !== request.forced) {
      const why = request.forcedBy === 'env' ? `${BACKEND_ENV_VAR}=${request.forced}` : `backend set to ${request.forced} in the settings`;
      candidates.push({ backend, package: pkg, state: 'skipped', reason: `skipped: ${why}` });
      continue;
    }
    if (chosen) {
      candidates.push({ backend, package: pkg, state: 'skipped', reason: BETTER_ACTIVE_REASON });
      continue;
    }
    const attempt = await tryBackend(backend, env);
    if (attempt.ok) {
      chosen = { backend, attempt };
      candidates.push({ backend, package: attempt.packageOverride ?? pkg, state: 'active', reason: attempt.note ?? null });
    } else {
      if (request.forced === backend) {
        const by = request.forcedBy === 'env' ? `${BACKEND_ENV_VAR}=${backend}` : `The settings force the ${backend} backend`;
        throw new AppError('UNSUPPORTED', `${by}, but it cannot be used (${pkg}): ${attempt.reason}`);
      }
      candidates.push({ backend, package: pkg, state: 'unavailable', reason: attempt.reason });
    }
  }
  if (!chosen) {
    // cpu always works unless tfjs itself is broken; say so rather than return a half status.
    throw new AppError('INTERNAL', `No TensorFlow.js backend could be activated: ${candidates.map((c) => `${c.backend}: ${c.reason}`).join('; ')}`);
  }
  return {
    active: chosen.backend,
    tfjsBackend: chosen.attempt.tfjsBackend,
    forced: request.forced,
    forcedBy: request.forcedBy,
    candidates,
    tfjsVersion: tf.version.tfjs,
    threads: chosen.attempt.threads,
  };
}

async function tryBackend(backend: BackendName, env: Record<string, string | undefined>): Promise<Attempt> {
  switch (backend) {
    case 'tensorflow-gpu':
      return tryNativeGpu(env);
    case 'tensorflow':
      return tryNativeCpu();
    case 'wasm':
      return tryWasm(env);
    case 'cpu':
      return activate('cpu', 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Native backends (tfjs-node-gpu, tfjs-node)

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
  const hint = firstLine.includes('tfjs_binding.node') ? ' (the native addon is missing: libtensorflow was probably not downloaded; see README)' : '';
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

async function tryNativeGpu(env: Record<string, string | undefined>): Promise<Attempt> {
  const pkg = BACKEND_PACKAGES['tensorflow-gpu'];
  if (!isInstalled(pkg)) return { ok: false, reason: NOT_INSTALLED_REASON };
  const blocker = cudaDeviceBlocker(env);
  if (blocker) return { ok: false, reason: blocker };
  const failure = loadNative(pkg);
  if (failure) return { ok: false, reason: failure };
  const attempt = await activate(TFJS_NATIVE_BACKEND, os.availableParallelism());
  if (!attempt.ok) return attempt;
  if (!nativeUsesGpu()) {
    return { ok: false, reason: 'no CUDA device visible (libtensorflow loaded but found no usable GPU; check the CUDA and cuDNN versions)' };
  }
  return attempt;
}

async function tryNativeCpu(): Promise<Attempt> {
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

// ---------------------------------------------------------------------------------------------
// wasm and cpu

let wasmPathsSet = false;

/** Directory holding the tfjs-backend-wasm binaries, with a trailing separator. */
export function wasmBinaryDir(): string {
  const pkgJson = nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkgJson), 'dist') + path.sep;
}

/** Why wasm runs single-threaded (null while multi-threading is on or not yet tried). */
let wasmThreadsNote: string | null = null;

async function tryWasm(env: Record<string, string | undefined>): Promise<Attempt> {
  let dir: string;
  try {
    dir = wasmBinaryDir();
  } catch (err) {
    return { ok: false, reason: describeLoadError(BACKEND_PACKAGES.wasm, err) };
  }
  if (!existsSync(`${dir}tfjs-backend-wasm.wasm`)) return { ok: false, reason: `wasm binaries not found in ${dir}` };
  registerWasmTrainingKernels();
  if (!wasmPathsSet) {
    setWasmPaths(dir);
    wasmPathsSet = true;
    // The wasm module is instantiated once per process, on the first activation: choose its build now.
    // One per core unless FUNDUSLAB_WASM_THREADS says otherwise: a process-wide knob, so the process
    // environment counts even when the caller passes its own (e.g. an empty one to ignore FUNDUSLAB_BACKEND).
    const wanted = wantedWasmThreads({ [WASM_THREADS_ENV_VAR]: process.env[WASM_THREADS_ENV_VAR], ...env });
    if (wanted.threads > 1) {
      const attempt = await activateThreadedWasm(wanted.threads);
      if (attempt.ok) return attempt;
      wasmThreadsNote = `single-threaded: ${attempt.reason}`;
    }
  }
  const attempt = await activate('wasm', 1);
  if (!attempt.ok) return attempt;
  const threads = Math.max(1, wasmThreadsCount());
  return { ...attempt, threads, ...(threads === 1 && wasmThreadsNote ? { note: wasmThreadsNote } : {}) };
}

/** The default number of wasm threads: one per core, at most this many (XNNPACK gains little beyond). */
export const DEFAULT_MAX_WASM_THREADS = 4;

/**
 * Threads for wasm: FUNDUSLAB_WASM_THREADS (1-8) when set, else one per core up to
 * DEFAULT_MAX_WASM_THREADS. Multi-threading halves a ResNet50 forward on 2 idle cores; it is safe by
 * default because an out-of-memory abort — which inside a pool thread hangs instead of failing — is
 * kept away: a forward holds one residual block's activations at a time, and training checks its
 * batch against the wasm heap before it starts (engine/memory-guard.ts). FUNDUSLAB_WASM_THREADS=1
 * turns it off (e.g. when other work keeps every core busy).
 */
export function wantedWasmThreads(env: Record<string, string | undefined>, cores: number = os.availableParallelism()): { threads: number; why: string } {
  const raw = env[WASM_THREADS_ENV_VAR]?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 8) throw new AppError('BAD_REQUEST', `${WASM_THREADS_ENV_VAR}="${raw}" must be an integer from 1 to 8`);
    return { threads: n, why: `${WASM_THREADS_ENV_VAR}=${n}` };
  }
  const threads = Math.max(1, Math.min(cores, DEFAULT_MAX_WASM_THREADS));
  return { threads, why: threads === 1 ? 'one core' : `one per core (${threads}; ${WASM_THREADS_ENV_VAR}=1 turns it off)` };
}

/**
 * Activates tfjs-backend-wasm's multi-threaded SIMD build (XNNPACK's thread pool on Emscripten
 * pthreads, i.e. worker_threads in Node), which tfjs never selects in Node on its own
 * (WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false there, tfjs issue #3830). Three things make
 * it load in Node:
 *  - the pthread worker script: tfjs hands Emscripten a blob: URL, which Node's Worker cannot run,
 *    so the script is written to a .cjs file and loads the Emscripten factory with require();
 *  - the thread count: the module caps XNNPACK's pool at navigator.hardwareConcurrency / 2 (it
 *    assumes 2 hyper-threads per core), read through os.cpus() in Node at instantiation, so os.cpus
 *    reports 2x the threads asked for while the module instantiates;
 *  - WASM_HAS_MULTITHREAD_SUPPORT is set to true for that one activation.
 * Returns why it could not be used otherwise (the caller then loads the single-threaded build).
 */
async function activateThreadedWasm(threads: number): Promise<Attempt> {
  if (typeof SharedArrayBuffer === 'undefined') return { ok: false, reason: 'SharedArrayBuffer is unavailable' };
  let workerFile: string;
  try {
    workerFile = writeWasmWorkerScript();
  } catch (err) {
    return { ok: false, reason: `could not prepare the wasm thread worker (${err instanceof Error ? err.message : String(err)})` };
  }
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = (obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? workerFile : createObjectURL.call(URL, obj));
  os.cpus = () => {
    const real = cpus.call(os);
    return Array.from({ length: 2 * threads }, (_, i) => real[i % Math.max(1, real.length)]!);
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setWasmThreadsCount(threads);
  let ok = false;
  try {
    const attempt = await activate('wasm', threads);
    if (!attempt.ok) return attempt;
    ok = true;
    unrefWasmThreads();
    return { ...attempt, threads: Math.max(1, wasmThreadsCount()) };
  } finally {
    if (!ok) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      setWasmThreadsCount(1);
    }
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
}

/**
 * XNNPACK's pool threads live as long as the process, and Emscripten keeps their workers ref'd, so
 * Node would never exit on its own once a threaded wasm backend is up: unref them (they still run
 * whenever the main thread hands them work).
 */
function unrefWasmThreads(): void {
  const module = (tf.findBackend('wasm') as { wasm?: { PThread?: { runningWorkers?: unknown[]; unusedWorkers?: unknown[] } } } | null)?.wasm;
  const pthread = module?.PThread;
  for (const worker of [...(pthread?.runningWorkers ?? []), ...(pthread?.unusedWorkers ?? [])]) {
    (worker as { unref?: () => void }).unref?.();
  }
}

/** Writes tfjs-backend-wasm's pthread worker script as a CommonJS file Node's Worker can run; returns its path. */
function writeWasmWorkerScript(): string {
  const pkgDir = path.dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const factory = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = nodeRequire(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The worker imports the main script from a Blob it receives; load the factory file instead.
  const importMain = '{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';
  if (!wasmWorkerContents.includes(importMain) || !existsSync(factory)) throw new Error('unexpected tfjs-backend-wasm worker script (tfjs version changed?)');
  const script = wasmWorkerContents
    .replace(/\n/g, '\\n') // as tfjs does: newlines inside its string literals are escaped
    .replace(importMain, `{self.WasmBackendModuleThreadedSimd=require(${JSON.stringify(factory)})}`);
  new vm.Script(script, { filename: 'tfjs-wasm-worker.cjs' }); // a syntax error would only surface inside the worker, as an uncaught exception
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'funduslab-wasm');
  const file = path.join(dir, `tfjs-wasm-worker-${hash}.cjs`);
  if (existsSync(file) && readFileSync(file, 'utf8') === script) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, script);
  renameSync(tmp, file);
  return file;
}

/**
 * Switches tfjs to its JavaScript CPU backend (used by the self-test for reference gradients)
 * without the backend's one-time "install tfjs-node" console banner: the engine status already
 * says which backends are missing and why.
 */
export async function setCpuBackend(): Promise<boolean> {
  const ok = await tf.setBackend('cpu');
  if (ok) {
    const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
    if (cpu && cpu.firstUse === true) cpu.firstUse = false;
  }
  return ok;
}

/** Makes `name` the active tfjs backend and checks it computes 1 + 2 = 3. */
async function activate(name: string, threads: number): Promise<Attempt> {
  let ok: boolean;
  try {
    ok = name === 'cpu' ? await setCpuBackend() : await tf.setBackend(name);
  } catch (err) {
    return { ok: false, reason: `failed to initialise: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!ok) return { ok: false, reason: `failed to initialise (tf.setBackend('${name}') returned false; tfjs logged the cause)` };
  try {
    const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]);
    if (sum !== 3) return { ok: false, reason: `initialised but computed 1 + 2 = ${sum}` };
  } catch (err) {
    return { ok: false, reason: `initialised but failed a smoke test: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ok: true, tfjsBackend: tf.getBackend(), threads };
}

/**
 * Tests only: forgets the engine state and load outcomes, and loads native packages through
 * `loader` and probes for CUDA devices through `cudaProbe` (omitted: the real ones). Backends
 * already registered with tfjs stay registered.
 */
export function resetEngineForTests(seams: { loader?: NativeModuleLoader; cudaProbe?: CudaProbe } = {}): void {
  current = null;
  pending = null;
  nativeLoads.clear();
  nativeProvider = null;
  nativeLoader = seams.loader ?? defaultLoader;
  cudaProbe = seams.cudaProbe ?? defaultCudaProbe;
}
