/**
 * The wasm backend (@tensorflow/tfjs-backend-wasm): where its binaries are, how many threads it
 * runs (FUNDUSLAB_WASM_THREADS), and the activation of its multi-threaded SIMD build in Node.
 */
import tf from '@tensorflow/tfjs';
import { getThreadsCount as wasmThreadsCount, setThreadsCount as setWasmThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { AppError } from '../../../src-shared/errors';
import { registerWasmTrainingKernels } from '../kernels/index';
import { nativeKernels } from '../kernels/native/addon';
import { activate, BACKEND_PACKAGES, type Attempt } from './activate';
import { describeLoadError } from './native';

/** Threads for the wasm backend (1 = single-threaded build, the default; 2-8 = the threaded SIMD build). */
export const WASM_THREADS_ENV_VAR = 'FUNDUSLAB_WASM_THREADS';

const nodeRequire = createRequire(import.meta.url);

let wasmPathsSet = false;

/**
 * A folder laid out like the @tensorflow/tfjs-backend-wasm package (its dist/*.wasm and wasm-out/ files) to load the wasm
 * backend's binaries from instead of the installed package (the portable GPU check ships its own copy).
 */
export const WASM_DIR_ENV_VAR = 'FUNDUSLAB_WASM_DIR';

/** The tfjs-backend-wasm package folder (or FUNDUSLAB_WASM_DIR). */
function wasmPackageDir(): string {
  const override = process.env[WASM_DIR_ENV_VAR]?.trim();
  if (override) return path.resolve(override);
  return path.dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Directory holding the tfjs-backend-wasm binaries, with a trailing separator. */
export function wasmBinaryDir(): string {
  return path.join(wasmPackageDir(), 'dist') + path.sep;
}

/** Why wasm runs single-threaded (null while multi-threading is on or not yet tried). */
let wasmThreadsNote: string | null = null;

/** The wasm rung: the threaded SIMD build on its first activation when more than one thread is wanted, else the single-threaded one. */
export async function tryWasm(env: Record<string, string | undefined>): Promise<Attempt> {
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
  configureNativeThreads(threads);
  return { ...attempt, threads, ...(threads === 1 && wasmThreadsNote ? { note: wasmThreadsNote } : {}) };
}

/** The native convolution kernels (when built) run on as many threads as the wasm backend. */
function configureNativeThreads(threads: number): void {
  nativeKernels()?.configure({ threads });
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
export function wantedWasmThreads(
  env: Record<string, string | undefined>,
  cores: number = os.availableParallelism(),
): { threads: number; why: string } {
  const raw = env[WASM_THREADS_ENV_VAR]?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 8)
      throw new AppError('BAD_REQUEST', `${WASM_THREADS_ENV_VAR}="${raw}" must be an integer from 1 to 8`);
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
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === 'application/javascript' ? workerFile : createObjectURL.call(URL, obj);
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
    const active = Math.max(1, wasmThreadsCount());
    configureNativeThreads(active);
    return { ...attempt, threads: active };
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
  const module = (tf.findBackend('wasm') as { wasm?: { PThread?: { runningWorkers?: unknown[]; unusedWorkers?: unknown[] } } } | null)
    ?.wasm;
  const pthread = module?.PThread;
  for (const worker of [...(pthread?.runningWorkers ?? []), ...(pthread?.unusedWorkers ?? [])]) {
    (worker as { unref?: () => void }).unref?.();
  }
}

/** Writes tfjs-backend-wasm's pthread worker script as a CommonJS file Node's Worker can run; returns its path. */
function writeWasmWorkerScript(): string {
  const pkgDir = wasmPackageDir();
  const factory = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = nodeRequire(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The worker imports the main script from a Blob it receives; load the factory file instead.
  const importMain = '{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';
  if (!wasmWorkerContents.includes(importMain) || !existsSync(factory))
    throw new Error('unexpected tfjs-backend-wasm worker script (tfjs version changed?)');
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
