/**
 * The native rungs of the backend ladder, simulated: no native tfjs package installs on the test
 * machine, so a fake loader stands in for `require`, behaving like tfjs-node does — it registers its
 * kernels for 'tensorflow' first, then loads the binding (which may throw), then registers and
 * activates the 'tensorflow' backend. The fake backend computes with the CPU backend's kernels.
 * Runs in its own worker process (vitest forks per file), so the fake backend stays out of other tests.
 */
import tf from '@tensorflow/tfjs';
import type { KernelBackend } from '@tensorflow/tfjs';
import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineStatus } from '../../../src-shared/engine';
import { initEngine, resetEngineForTests, type CudaProbe, type NativeModuleLoader } from '../../../src-main/engine/backend';

type Behaviour = 'absent' | 'ok' | 'no-gpu-device' | { throws: string };

const GPU_PKG = '@tensorflow/tfjs-node-gpu';
const CPU_PKG = '@tensorflow/tfjs-node';

let CpuBackend: new () => KernelBackend;

function fakeLoader(behaviour: Record<string, Behaviour>, loaded: string[]): NativeModuleLoader {
  return {
    resolve(id) {
      const pkg = id.replace(/\/package\.json$/, '');
      if ((behaviour[pkg] ?? 'absent') === 'absent')
        throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      return `/fake/node_modules/${id}`;
    },
    load(pkg) {
      loaded.push(pkg);
      const how = behaviour[pkg] ?? 'absent';
      if (how === 'absent') throw Object.assign(new Error(`Cannot find module '${pkg}'`), { code: 'MODULE_NOT_FOUND' });
      tf.copyRegisteredKernels('cpu', 'tensorflow'); // tfjs-node registers its kernels before loading the binding
      if (typeof how === 'object') throw new Error(how.throws);
      const usesGpu = pkg === GPU_PKG && how === 'ok';
      tf.registerBackend('tensorflow', () => Object.assign(new CpuBackend(), { isUsingGpuDevice: usesGpu, firstUse: false }), 3);
      void tf.setBackend('tensorflow'); // tfjs-node activates itself on require
      return {};
    },
  };
}

const withGpu: CudaProbe = { platform: 'linux', exists: (p) => p === '/proc/driver/nvidia/gpus', list: () => ['0000:01:00.0'] };
const withoutDriver: CudaProbe = { platform: 'linux', exists: () => false, list: () => [] };

function setup(behaviour: Record<string, Behaviour>, cudaProbe: CudaProbe): string[] {
  const loaded: string[] = [];
  resetEngineForTests({ loader: fakeLoader(behaviour, loaded), cudaProbe });
  return loaded;
}

function rung(status: EngineStatus, backend: string) {
  return status.candidates.find((c) => c.backend === backend);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  CpuBackend = (tf.findBackend('cpu') as KernelBackend).constructor as new () => KernelBackend;
});

afterEach(async () => {
  await tf.setBackend('cpu');
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
  for (const k of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(k.kernelName, 'tensorflow');
  vi.restoreAllMocks();
});

afterAll(() => resetEngineForTests());

describe('native backends (simulated loader)', () => {
  it('uses tfjs-node-gpu when it loads and TensorFlow sees a GPU', async () => {
    setup({ [GPU_PKG]: 'ok', [CPU_PKG]: 'ok' }, withGpu);
    const status = EngineStatus.parse(await initEngine({ preference: 'auto', env: {} }));
    expect(status).toMatchObject({ active: 'tensorflow-gpu', tfjsBackend: 'tensorflow', threads: os.availableParallelism() });
    expect(rung(status, 'tensorflow')).toMatchObject({ state: 'skipped', reason: 'skipped: a better backend is active' });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('does not load tfjs-node-gpu when no NVIDIA driver is present, and falls to tfjs-node', async () => {
    const loaded = setup({ [GPU_PKG]: 'ok', [CPU_PKG]: 'ok' }, withoutDriver);
    const status = await initEngine({ preference: 'auto', env: {} });
    expect(loaded).toEqual([CPU_PKG]);
    expect(rung(status, 'tensorflow-gpu')).toMatchObject({
      state: 'unavailable',
      reason: 'no CUDA device visible (no NVIDIA driver loaded: /proc/driver/nvidia/gpus is absent)',
    });
    expect(status).toMatchObject({ active: 'tensorflow', tfjsBackend: 'tensorflow' });
    expect(rung(status, 'tensorflow')).toMatchObject({ state: 'active', package: CPU_PKG, reason: null });
  });

  it('reports the load error (missing libcudart) and loads tfjs-node cleanly after it', async () => {
    const loaded = setup(
      { [GPU_PKG]: { throws: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' }, [CPU_PKG]: 'ok' },
      withGpu,
    );
    const warn = vi.spyOn(console, 'warn');
    const status = await initEngine({ preference: 'auto', env: {} });
    expect(loaded).toEqual([GPU_PKG, CPU_PKG]);
    expect(rung(status, 'tensorflow-gpu')).toMatchObject({
      state: 'unavailable',
      reason: 'failed to load: libcudart.so.11.0: cannot open shared object file: No such file or directory',
    });
    expect(status.active).toBe('tensorflow');
    // The failed package's kernels were unregistered first, so tfjs-node's registration did not clash.
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('already registered'))).toEqual([]);
  });

  it('when tfjs-node-gpu loads but finds no GPU, it serves the tensorflow rung on the CPU', async () => {
    const loaded = setup({ [GPU_PKG]: 'no-gpu-device', [CPU_PKG]: 'ok' }, withGpu);
    const status = await initEngine({ preference: 'auto', env: {} });
    expect(loaded).toEqual([GPU_PKG]); // a second libtensorflow is never loaded into the process
    expect(rung(status, 'tensorflow-gpu')?.reason).toMatch(/^no CUDA device visible \(TensorFlow loaded but found no usable GPU/);
    expect(rung(status, 'tensorflow')).toMatchObject({
      state: 'active',
      package: GPU_PKG,
      reason: expect.stringContaining('runs on the CPU through'),
    });
  });

  it('forcing tensorflow-gpu without a device fails with the reason instead of falling back', async () => {
    setup({ [GPU_PKG]: 'ok', [CPU_PKG]: 'ok' }, withGpu);
    await expect(
      initEngine({ preference: 'auto', env: { FUNDUSLAB_BACKEND: 'tensorflow-gpu', CUDA_VISIBLE_DEVICES: '-1' } }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message:
        'FUNDUSLAB_BACKEND=tensorflow-gpu, but it cannot be used (@tensorflow/tfjs-node-gpu): no CUDA device visible (CUDA_VISIBLE_DEVICES="-1")',
    });
  });

  it('a package kept without its native addon says so', async () => {
    setup(
      { [CPU_PKG]: { throws: "Cannot find module '/x/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'" } },
      withoutDriver,
    );
    const status = await initEngine({ preference: 'auto', env: {} });
    expect(rung(status, 'tensorflow')?.reason).toMatch(/tfjs_binding\.node'.*native addon is missing/);
    expect(status.active).toBe('wasm');
  });
});
