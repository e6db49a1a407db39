import { describe, expect, it } from 'vitest';
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
