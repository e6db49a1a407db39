import tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { EngineStatus } from '../../../src-shared/engine';
import { linuxGpuBlocker } from '../../../src-main/engine/backend/webgpu';
import {
  cudaDeviceBlocker,
  describeLoadError,
  engineStatus,
  initEngine,
  NOT_INSTALLED_REASON,
  resolveBackendRequest,
} from '../../../src-main/engine/backend';

const nodeRequire = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    nodeRequire.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}
const nativeAbsent = !installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu');

function candidate(status: EngineStatus, backend: string) {
  const c = status.candidates.find((x) => x.backend === backend);
  if (!c) throw new Error(`no candidate ${backend}`);
  return c;
}

// Tests share one process (tfjs backend state is per process); each states the request it needs.
describe('initEngine', () => {
  it.skipIf(!nativeAbsent)('auto picks wasm here and lists the native backends as not installed', async () => {
    const status = await initEngine({ preference: 'auto', env: {} });
    EngineStatus.parse(status);
    expect(status.active).toBe('wasm');
    expect(status.tfjsBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(status.forced).toBeNull();
    expect(status.forcedBy).toBeNull();
    expect(status.threads).toBe(1); // tfjs-backend-wasm runs single-threaded in Node
    expect(status.tfjsVersion).toBe('4.22.0');
    expect(status.candidates.map((c) => [c.backend, c.state])).toEqual([
      ['tensorflow-gpu', 'unavailable'],
      ['webgpu', linuxGpuBlocker() === null ? expect.any(String) : 'unavailable'],
      ['tensorflow', 'unavailable'],
      ['wasm', 'active'],
      ['cpu', 'skipped'],
    ]);
    // Without a GPU device (CI) automatic selection does not even load Dawn.
    if (linuxGpuBlocker() !== null) {
      expect(candidate(status, 'webgpu').reason).toBe('no GPU device (no render node in /dev/dri, no /dev/nvidia0)');
      expect(status.adapters).toEqual([]);
    }
    expect(candidate(status, 'tensorflow-gpu')).toMatchObject({ package: '@tensorflow/tfjs-node-gpu', reason: NOT_INSTALLED_REASON });
    expect(candidate(status, 'tensorflow').reason).toBe(
      'not installed (its TensorFlow library could not be downloaded when FundusLab was installed; see the README)',
    );
    expect(candidate(status, 'wasm').reason).toBeNull();
    expect(candidate(status, 'cpu').reason).toBe('skipped: a better backend is active');
    expect(engineStatus()).toBe(status);
  });

  it('is idempotent: the same request returns the same status without re-initialising', async () => {
    const first = await initEngine({ preference: 'wasm', env: {} });
    const [a, b] = await Promise.all([initEngine({ preference: 'wasm', env: {} }), initEngine({ preference: 'wasm', env: {} })]);
    expect(a).toBe(first);
    expect(b).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.candidates[0])).toBe(true);
  });

  it('forced cpu from the settings', async () => {
    const status = EngineStatus.parse(await initEngine({ preference: 'cpu', env: {} }));
    expect(status).toMatchObject({ active: 'cpu', tfjsBackend: 'cpu', forced: 'cpu', forcedBy: 'settings', threads: 1 });
    expect(tf.getBackend()).toBe('cpu');
    for (const other of ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']) {
      expect(candidate(status, other)).toMatchObject({ state: 'skipped', reason: 'skipped: backend set to cpu in the settings' });
    }
  });

  it('forced wasm from FUNDUSLAB_BACKEND, with the training kernels registered', async () => {
    const status = EngineStatus.parse(await initEngine({ preference: 'auto', env: { FUNDUSLAB_BACKEND: 'wasm' } }));
    expect(status).toMatchObject({ active: 'wasm', forced: 'wasm', forcedBy: 'env', threads: 1 });
    expect(candidate(status, 'cpu')).toMatchObject({ state: 'skipped', reason: 'skipped: FUNDUSLAB_BACKEND=wasm' });
    expect(candidate(status, 'tensorflow-gpu').reason).toBe('skipped: FUNDUSLAB_BACKEND=wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('FUNDUSLAB_BACKEND beats the settings (both ways, including auto)', async () => {
    const byEnv = await initEngine({ preference: 'cpu', env: { FUNDUSLAB_BACKEND: 'wasm' } });
    expect(byEnv).toMatchObject({ active: 'wasm', forcedBy: 'env' });
    const envCpu = await initEngine({ preference: 'wasm', env: { FUNDUSLAB_BACKEND: 'cpu' } });
    expect(envCpu).toMatchObject({ active: 'cpu', forced: 'cpu', forcedBy: 'env' });
    const envAuto = await initEngine({ preference: 'cpu', env: { FUNDUSLAB_BACKEND: 'auto' } });
    expect(envAuto).toMatchObject({ forced: null, forcedBy: null });
    expect(['tensorflow-gpu', 'tensorflow', 'wasm']).toContain(envAuto.active);
  });

  it('rejects an invalid FUNDUSLAB_BACKEND, naming the variable and the allowed values', async () => {
    await expect(initEngine({ preference: 'auto', env: { FUNDUSLAB_BACKEND: 'gpu' } })).rejects.toThrow(
      'FUNDUSLAB_BACKEND="gpu" is not a backend; expected one of: auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu',
    );
    await expect(initEngine({ preference: 'auto', env: { FUNDUSLAB_BACKEND: 'WASM ' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it.skipIf(installed('@tensorflow/tfjs-node'))(
    'forcing tensorflow when it is not installed fails with the reason and keeps the engine as it was',
    async () => {
      const before = await initEngine({ preference: 'wasm', env: {} });
      await expect(initEngine({ preference: 'auto', env: { FUNDUSLAB_BACKEND: 'tensorflow' } })).rejects.toThrow(
        'FUNDUSLAB_BACKEND=tensorflow, but it cannot be used (@tensorflow/tfjs-node): not installed (its TensorFlow library could not be downloaded when FundusLab was installed; see the README)',
      );
      await expect(initEngine({ preference: 'tensorflow-gpu', env: {} })).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: expect.stringMatching(
          /^The settings force the tensorflow-gpu backend, but it cannot be used \(@tensorflow\/tfjs-node-gpu\): /,
        ),
      });
      expect(engineStatus()).toBe(before);
      expect(tf.getBackend()).toBe('wasm');
    },
  );
});

describe('resolveBackendRequest', () => {
  it('treats an empty FUNDUSLAB_BACKEND as unset', () => {
    expect(resolveBackendRequest('wasm', { FUNDUSLAB_BACKEND: '' })).toEqual({ forced: 'wasm', forcedBy: 'settings' });
    expect(resolveBackendRequest('auto', {})).toEqual({ forced: null, forcedBy: null });
  });
});

describe('load failure reasons', () => {
  it('says "not installed" only when the package itself is missing', () => {
    const missing = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack:\n- /x.js"), {
      code: 'MODULE_NOT_FOUND',
    });
    expect(describeLoadError('@tensorflow/tfjs-node', missing)).toBe(NOT_INSTALLED_REASON);
    const depMissing = Object.assign(new Error("Cannot find module '@mapbox/node-pre-gyp'"), { code: 'MODULE_NOT_FOUND' });
    expect(describeLoadError('@tensorflow/tfjs-node', depMissing)).toBe("failed to load: Cannot find module '@mapbox/node-pre-gyp'");
    const cuda = new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
    expect(describeLoadError('@tensorflow/tfjs-node-gpu', cuda)).toBe(
      'failed to load: libcudart.so.11.0: cannot open shared object file: No such file or directory',
    );
  });

  it('sees no CUDA device without a driver or with CUDA_VISIBLE_DEVICES hiding them', () => {
    const fsWith = (paths: Record<string, string[]>) => ({
      platform: 'linux' as const,
      exists: (p: string) => p in paths,
      list: (p: string) => paths[p] ?? [],
    });
    expect(cudaDeviceBlocker({}, fsWith({}))).toBe('no CUDA device visible (no NVIDIA driver loaded: /proc/driver/nvidia/gpus is absent)');
    expect(cudaDeviceBlocker({}, fsWith({ '/proc/driver/nvidia/gpus': [] }))).toBe(
      'no CUDA device visible (the NVIDIA driver lists no GPUs)',
    );
    expect(cudaDeviceBlocker({}, fsWith({ '/proc/driver/nvidia/gpus': ['0000:01:00.0'] }))).toBeNull();
    expect(cudaDeviceBlocker({ CUDA_VISIBLE_DEVICES: '-1' }, fsWith({ '/proc/driver/nvidia/gpus': ['0000:01:00.0'] }))).toBe(
      'no CUDA device visible (CUDA_VISIBLE_DEVICES="-1")',
    );
    expect(cudaDeviceBlocker({}, fsWith({ '/dev/dxg': [] }))).toBeNull(); // WSL2
    expect(cudaDeviceBlocker({}, { ...fsWith({}), platform: 'win32' })).toBeNull();
  });
});
