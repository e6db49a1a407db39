/**
 * The webgpu rung of the ladder on the real Dawn binding: a hardware adapter is chosen
 * automatically (here a fake one: the real llvmpipe device behind hardware-looking adapter info),
 * the real software adapter never is, and forcing webgpu takes it.
 */
import tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineStatus } from '../../src-shared/engine';
import { initEngine, resetEngineForTests } from '../../src-main/engine/backend';
import { dawnBinaryPath, type DawnAdapter, type DawnBinding, type DawnLoader } from '../../src-main/engine/backend/webgpu';
import { createRequire } from 'node:module';
import { webgpuEngine } from '../support/webgpu';

const status = await webgpuEngine();
const nodeRequire = createRequire(import.meta.url);
const AUTO = { FUNDUSLAB_BACKEND: undefined, EGL_PLATFORM: 'surfaceless' };

/** Dawn as it is, but told a GPU device exists (so automatic selection probes the adapters). */
function realDawn(): DawnLoader {
  return { load: () => nodeRequire(dawnBinaryPath()) as DawnBinding, deviceBlocker: () => null };
}

/** Dawn whose Vulkan adapter is the real llvmpipe one dressed as a hardware GPU. */
function fakeHardwareDawn(): DawnLoader {
  return {
    deviceBlocker: () => null,
    load() {
      const real = nodeRequire(dawnBinaryPath()) as DawnBinding;
      return {
        globals: real.globals,
        create(flags) {
          if (!flags.includes('backend=vulkan')) return { requestAdapter: async () => null };
          const gl = real.create(['backend=opengles']);
          return {
            async requestAdapter(options) {
              const adapter = await gl.requestAdapter({ ...options, featureLevel: 'compatibility' });
              if (!adapter || options?.featureLevel === 'compatibility') return null;
              const info = {
                vendor: 'nvidia',
                architecture: 'ada',
                device: 'Fake RTX 4090',
                description: 'test adapter',
                isFallbackAdapter: false,
              };
              // Native methods need the real adapter as `this`.
              const get = (t: DawnAdapter, k: string | symbol): unknown => {
                if (k === 'info') return info;
                const v: unknown = Reflect.get(t, k, t);
                return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
              };
              return new Proxy(adapter, { get });
            },
          };
        },
      };
    },
  };
}

describe.skipIf(!status)('webgpu rung selection', () => {
  afterAll(async () => {
    resetEngineForTests();
    await initEngine({ preference: 'webgpu', env: { ...process.env, FUNDUSLAB_BACKEND: 'webgpu' } });
  });

  it('forced: runs on the software adapter and says so', () => {
    EngineStatus.parse(status);
    const used = status!.adapters.find((a) => a.used)!;
    expect(used).toMatchObject({ api: 'opengles', featureLevel: 'compatibility', software: true });
    expect(used.device).toMatch(/llvmpipe/);
    expect(used.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(status!.candidates.find((c) => c.backend === 'webgpu')).toMatchObject({ state: 'active' });
    expect(status!.candidates.find((c) => c.backend === 'webgpu')!.reason).toMatch(
      /^software adapter llvmpipe.*\(OpenGL ES, compatibility\) \(forced; slower than wasm\)$/,
    );
  });

  it('auto: the real software adapter is listed but never chosen', async () => {
    resetEngineForTests({ dawn: realDawn() });
    const auto = await initEngine({ preference: 'auto', env: AUTO });
    expect(auto.active).toBe('wasm');
    const rung = auto.candidates.find((c) => c.backend === 'webgpu')!;
    expect(rung.state).toBe('unavailable');
    expect(rung.reason).toMatch(/^only a software adapter: llvmpipe.*, slower than wasm; FUNDUSLAB_BACKEND=webgpu forces it$/);
    expect(auto.adapters).toEqual([expect.objectContaining({ software: true, used: false, api: 'opengles' })]);
  });

  it('auto: a hardware adapter is chosen and computes', async () => {
    resetEngineForTests({ dawn: fakeHardwareDawn() });
    const auto = await initEngine({ preference: 'auto', env: AUTO });
    expect(auto.active).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(auto.candidates.find((c) => c.backend === 'webgpu')!.reason).toBe('on nvidia Fake RTX 4090 (Vulkan)');
    expect(auto.adapters).toEqual([expect.objectContaining({ api: 'vulkan', featureLevel: 'core', software: false, used: true })]);
    const x = tf.range(0, 5000);
    expect((await tf.sum(x).data())[0]).toBe((4999 * 5000) / 2);
    x.dispose();
  });

  it('auto without a GPU device does not load Dawn at all', async () => {
    let loaded = false;
    resetEngineForTests({
      dawn: {
        deviceBlocker: () => 'no GPU device (no render node in /dev/dri, no /dev/nvidia0)',
        load: () => {
          loaded = true;
          throw new Error('not expected');
        },
      },
    });
    const auto = await initEngine({ preference: 'auto', env: AUTO });
    expect(auto.active).toBe('wasm');
    expect(loaded).toBe(false);
    expect(auto.candidates.find((c) => c.backend === 'webgpu')!.reason).toBe('no GPU device (no render node in /dev/dri, no /dev/nvidia0)');
  });

  it('forced with Dawn missing names the cause', async () => {
    resetEngineForTests({
      dawn: {
        deviceBlocker: () => null,
        load: () => {
          throw new Error("Cannot find module '/x/dawn.node'");
        },
      },
    });
    await expect(initEngine({ preference: 'auto', env: { FUNDUSLAB_BACKEND: 'webgpu' } })).rejects.toThrow(
      /^FUNDUSLAB_BACKEND=webgpu, but it cannot be used \(@tensorflow\/tfjs-backend-webgpu\): failed to load: Cannot find module/,
    );
  });
});
