import { describe, expect, it } from 'vitest';
import { describeWebGpuAdapter, webgpuVerdict, type WebGpuAdapter } from '../../../src-shared/engine';
import { adapterLabel, apisFor, isSoftwareAdapter, linuxGpuBlocker } from '../../../src-main/engine/backend/webgpu';

const named = (device: string, description = '', vendor = '') => ({ vendor, architecture: '', device, description });

describe('webgpu adapter rules', () => {
  it('tells the known CPU implementations from GPUs', () => {
    for (const soft of [
      named('llvmpipe-llvm-15-0-6-256-bits-', 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'),
      named('SwiftShader Device (Subzero)', '', 'google'),
      named('llvmpipe (LLVM 15.0.6, 256 bits)', 'Mesa lavapipe'),
      named('Microsoft Basic Render Driver'),
      { ...named('anything'), isFallbackAdapter: true },
    ])
      expect(isSoftwareAdapter(soft)).toBe(true);
    for (const hard of [
      named('NVIDIA GeForce RTX 4090', 'NVIDIA: 550.54', 'nvidia'),
      named('AMD Radeon RX 7900 XTX (RADV NAVI31)', '', 'amd'),
      named('Apple M2 Max', '', 'apple'),
      named('Intel(R) Arc(TM) A770 Graphics (DG2)', 'Intel open-source Mesa driver', 'intel'),
    ])
      expect(isSoftwareAdapter(hard)).toBe(false);
  });

  it('asks each platform for its native GPU interfaces, best first', () => {
    expect(apisFor('linux')).toEqual(['vulkan', 'opengles']);
    expect(apisFor('win32')).toEqual(['d3d12', 'vulkan']);
    expect(apisFor('darwin')).toEqual(['metal']);
  });

  it('sees a Linux GPU by its device nodes', () => {
    const files = (present: string[]) => (p: string) => present.includes(p);
    const none = () => [];
    expect(linuxGpuBlocker(files([]), none)).toBe('no GPU device (no render node in /dev/dri, no /dev/nvidia0)');
    expect(linuxGpuBlocker(files([]), () => ['card0'])).not.toBeNull(); // a display-only node computes nothing
    expect(linuxGpuBlocker(files([]), () => ['card0', 'renderD128'])).toBeNull();
    expect(linuxGpuBlocker(files(['/dev/nvidia0']), none)).toBeNull();
    expect(linuxGpuBlocker(files(['/dev/dxg']), none)).toBeNull(); // WSL2
  });

  it('names an adapter with its API', () => {
    expect(adapterLabel({ vendor: 'nvidia', device: 'RTX 4090', description: 'x', api: 'vulkan', featureLevel: 'core' })).toBe(
      'nvidia RTX 4090 (Vulkan)',
    );
    expect(
      adapterLabel({ vendor: '', device: '', description: 'OpenGL ES 3.2 Mesa', api: 'opengles', featureLevel: 'compatibility' }),
    ).toBe('OpenGL ES 3.2 Mesa (OpenGL ES, compatibility)');
  });
});

const llvmpipe: WebGpuAdapter = {
  api: 'opengles',
  featureLevel: 'compatibility',
  vendor: '',
  architecture: '',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
  software: true,
  limits: {
    maxBufferSize: 2 * 1024 ** 3,
    maxStorageBufferBindingSize: 128 * 1024 ** 2,
    maxComputeWorkgroupStorageSize: 32768,
    maxComputeInvocationsPerWorkgroup: 1024,
  },
  used: false,
};

describe('webgpu status texts (doctor, Compute page)', () => {
  it('describes an adapter: name, API, kind, limits', () => {
    expect(describeWebGpuAdapter(llvmpipe)).toEqual({
      name: 'llvmpipe-llvm-15-0-6-256-bits-',
      detail:
        'OpenGL ES (compatibility); software adapter (runs on the CPU); OpenGL version OpenGL ES 3.2 Mesa 22.3.6; largest buffer 2 GiB, largest tensor per kernel 128 MiB',
    });
    const rtx: WebGpuAdapter = {
      ...llvmpipe,
      api: 'vulkan',
      featureLevel: 'core',
      vendor: 'nvidia',
      architecture: 'ada',
      device: 'RTX 4090',
      description: '',
      software: false,
    };
    expect(describeWebGpuAdapter(rtx).detail).toBe(
      'Vulkan; hardware GPU; architecture ada; largest buffer 2 GiB, largest tensor per kernel 128 MiB',
    );
  });

  it('says whether WebGPU is used and exactly why not', () => {
    const reason = 'only a software adapter: llvmpipe (OpenGL ES, compatibility), slower than wasm; FUNDUSLAB_BACKEND=webgpu forces it';
    const candidates = [{ backend: 'webgpu' as const, package: '@tensorflow/tfjs-backend-webgpu', state: 'unavailable' as const, reason }];
    expect(webgpuVerdict({ active: 'wasm', candidates, adapters: [llvmpipe] })).toBe(`Not used: ${reason}.`);
    const active = [{ ...candidates[0]!, state: 'active' as const, reason: 'x' }];
    expect(webgpuVerdict({ active: 'webgpu', candidates: active, adapters: [{ ...llvmpipe, used: true }] })).toBe(
      'In use on llvmpipe-llvm-15-0-6-256-bits-.',
    );
  });
});
