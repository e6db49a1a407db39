/**
 * What every rung of the backend ladder shares: the npm package of each backend, the outcome of
 * trying one, and the activation that makes a backend tfjs's active one and checks it computes.
 */
import tf from '@tensorflow/tfjs';
import type { BackendName } from '../../../src-shared/engine';

/** npm package that provides each backend (cpu ships inside @tensorflow/tfjs). */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** Outcome of trying one backend: usable (and now the active tfjs backend) or why not. */
export type Attempt =
  { ok: true; tfjsBackend: string; threads: number; packageOverride?: string; note?: string } | { ok: false; reason: string };

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

/**
 * Makes `name` the active tfjs backend and checks it computes: a sum over 4096 ones, large enough to
 * run on the backend itself (webgpu computes tiny tensors on the CPU), read back asynchronously.
 */
export async function activate(name: string, threads: number): Promise<Attempt> {
  let ok: boolean;
  try {
    ok = name === 'cpu' ? await setCpuBackend() : await tf.setBackend(name);
  } catch (err) {
    return { ok: false, reason: `failed to initialise: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!ok) return { ok: false, reason: `failed to initialise (tf.setBackend('${name}') returned false; tfjs logged the cause)` };
  try {
    const total = tf.tidy(() => tf.sum(tf.add(tf.zeros([4096]), tf.scalar(1))));
    const sum = (await total.data())[0];
    total.dispose();
    if (sum !== 4096) return { ok: false, reason: `initialised but summed 4096 ones to ${sum}` };
  } catch (err) {
    return { ok: false, reason: `initialised but failed a smoke test: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ok: true, tfjsBackend: tf.getBackend(), threads };
}
