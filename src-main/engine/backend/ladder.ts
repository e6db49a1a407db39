/**
 * The backend ladder, best first: tensorflow-gpu → webgpu → tensorflow → wasm → cpu. Activates the best
 * usable backend (or the one FUNDUSLAB_BACKEND or the settings force), records for every
 * candidate why it is active, skipped or unavailable, and keeps the resulting engine status.
 */
import tf from '@tensorflow/tfjs';
import { BACKEND_LADDER, BackendName, BackendPreference, type BackendCandidate, type EngineStatus } from '../../../src-shared/engine';
import { AppError } from '../../../src-shared/errors';
import { activate, BACKEND_PACKAGES, type Attempt } from './activate';
import { resetNativeForTests, tryNativeCpu, tryNativeGpu, type CudaProbe, type NativeModuleLoader } from './native';
import { tryWasm } from './wasm';
import { resetWebgpuForTests, tryWebgpu, webgpuAdapters, type DawnLoader } from './webgpu';

/** The environment variable that overrides the backend chosen in the settings. */
export const BACKEND_ENV_VAR = 'FUNDUSLAB_BACKEND';
const BETTER_ACTIVE_REASON = 'skipped: a better backend is active';

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
    throw new AppError(
      'BAD_REQUEST',
      `Backend preference "${String(preference)}" is not valid; expected one of: auto, ${BACKEND_LADDER.join(', ')}`,
    );
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
    const attempt = await tryBackend(backend, env, request.forced === backend);
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
    throw new AppError(
      'INTERNAL',
      `No TensorFlow.js backend could be activated: ${candidates.map((c) => `${c.backend}: ${c.reason}`).join('; ')}`,
    );
  }
  return {
    active: chosen.backend,
    tfjsBackend: chosen.attempt.tfjsBackend,
    forced: request.forced,
    forcedBy: request.forcedBy,
    candidates,
    tfjsVersion: tf.version.tfjs,
    threads: chosen.attempt.threads,
    adapters: webgpuAdapters(),
  };
}

async function tryBackend(backend: BackendName, env: Record<string, string | undefined>, forced: boolean): Promise<Attempt> {
  switch (backend) {
    case 'tensorflow-gpu':
      return tryNativeGpu(env);
    case 'webgpu':
      return tryWebgpu({ allowSoftware: forced });
    case 'tensorflow':
      return tryNativeCpu();
    case 'wasm':
      return tryWasm(env);
    case 'cpu':
      return activate('cpu', 1);
  }
}

/**
 * Tests only: forgets the engine state and load outcomes, and loads native packages through
 * `loader`, probes for CUDA devices through `cudaProbe` and loads Dawn through `dawn` (omitted: the
 * real ones). Backends already registered with tfjs stay registered, except webgpu (re-probed).
 */
export function resetEngineForTests(seams: { loader?: NativeModuleLoader; cudaProbe?: CudaProbe; dawn?: DawnLoader } = {}): void {
  current = null;
  pending = null;
  resetNativeForTests(seams);
  resetWebgpuForTests(seams.dawn);
}
