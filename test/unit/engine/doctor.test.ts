import { describe, expect, it } from 'vitest';
import { augmentWorkerCount } from '../../../src-main/engine/augment/augment-pool';
import { nativeKernels, nativeUnavailableReason } from '../../../src-main/engine/kernels/native/addon';
import { DoctorReport } from '../../../src-shared/engine';
import { initEngine } from '../../../src-main/engine/backend';
import {
  collectDoctorReport,
  formatDoctorReport,
  NVIDIA_SMI_ARGS,
  parseNvidiaSmi,
  probeGpu,
  type CommandRunner,
} from '../../../src-main/engine/doctor';
import { detachedContext } from '../../../src-main/job-context';

describe('collectDoctorReport', () => {
  it('produces a valid report whose text names the active backend and every rung', async () => {
    const status = await initEngine({ preference: 'wasm', env: {} });
    const report = DoctorReport.parse(
      await collectDoctorReport({
        appVersion: '0.1.0-test',
        electronVersion: null,
        selfTest: { size: 16, batch: 2, steps: 2 },
        ctx: detachedContext(),
      }),
    );
    expect(report.engine).toEqual(status);
    expect(report.versions).toMatchObject({ funduslab: '0.1.0-test', node: process.versions.node, tfjs: '4.22.0', electron: null });
    expect(report.versions.sharp).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.versions.libvips).toMatch(/^\d+\.\d+/);
    expect(report.cpu.threads).toBeGreaterThan(0);
    expect(report.memoryGiB).toBeGreaterThan(0);
    expect(report.selfTest).toMatchObject({ backend: 'wasm', passed: true });

    const text = formatDoctorReport(report);
    expect(text).toContain("Active backend: wasm (forced by the settings), tfjs backend 'wasm', 1 thread");
    for (const c of report.engine.candidates) expect(text).toContain(c.backend);
    expect(text).toContain('skipped: backend set to wasm in the settings');
    expect(text).toMatch(/Self-test on wasm \(16x16 images, batch 2, 2 steps\): PASSED/);
    expect(text).toContain('[pass] loss falls when training');
    // The native kernels' line: the instruction set and the wasm backend's thread count, or why they are not used.
    const native = nativeKernels();
    if (native) {
      const info = native.info();
      expect(report.nativeKernels).toEqual({ inUse: true, detail: expect.stringContaining(`${info.variant}, 1 thread`) });
      expect(info.threads).toBe(report.engine.threads);
    } else expect(report.nativeKernels).toEqual({ inUse: false, detail: `not in use: ${nativeUnavailableReason()}` });
    expect(text).toContain(`Native convolution kernels (wasm backend): ${report.nativeKernels!.detail}`);
    // The augmentation workers: the native loops whenever the addon is in use, on any backend.
    const workers = augmentWorkerCount();
    const threads = `${workers} worker thread${workers === 1 ? '' : 's'} (FUNDUSLAB_AUGMENT_WORKERS)`;
    expect(report.augmentation).toEqual({
      workers,
      native: native !== null,
      detail: native ? `native loops, ${threads}` : `JavaScript loops, ${threads}; native loops not in use: ${nativeUnavailableReason()}`,
    });
    expect(text).toContain(`Training augmentation: ${report.augmentation!.detail}`);
    expect(text).toMatch(/^WebGPU: (Not used: .+|In use on .+)\.$/m);
    expect(text).toContain(`GPU: ${report.gpu.visible ? 'visible' : 'not visible'} — ${report.gpu.detail}`);
  });
});

describe('probeGpu', () => {
  const runner =
    (outcome: Partial<Awaited<ReturnType<CommandRunner>>>): CommandRunner =>
    async (file, args, timeoutMs) => {
      expect([file, args, timeoutMs]).toEqual(['nvidia-smi', NVIDIA_SMI_ARGS, 3000]);
      return { stdout: '', stderr: '', error: null, ...outcome };
    };

  it('reports a missing nvidia-smi', async () => {
    const enoent = Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
    expect(await probeGpu(runner({ error: enoent }))).toEqual({ visible: false, devices: [], detail: 'nvidia-smi not found' });
  });

  it('reports a driver failure and a timeout', async () => {
    const failed = Object.assign(new Error('Command failed'), { code: 9 });
    const stdout = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n";
    expect((await probeGpu(runner({ error: failed, stdout }))).detail).toBe(
      "nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    );
    const killed = Object.assign(new Error('timeout'), { killed: true });
    expect((await probeGpu(runner({ error: killed }))).detail).toBe('nvidia-smi did not answer within 3 s');
  });

  it('parses one line per device', async () => {
    const stdout = 'NVIDIA GeForce RTX 3090, 24576, 550.54.14\nNVIDIA A100-SXM4-40GB, 40960, 550.54.14\n';
    const gpu = await probeGpu(runner({ stdout }));
    expect(gpu).toEqual({
      visible: true,
      devices: [
        { name: 'NVIDIA GeForce RTX 3090', memoryMiB: 24576, driver: '550.54.14' },
        { name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960, driver: '550.54.14' },
      ],
      detail: '2 NVIDIA GPUs visible to the driver',
    });
    expect(parseNvidiaSmi('Tesla T4, [N/A], 470.1\r\n')).toEqual([{ name: 'Tesla T4', memoryMiB: null, driver: '470.1' }]);
    expect(parseNvidiaSmi('Odd, Name, 8192, 535\n')).toEqual([{ name: 'Odd, Name', memoryMiB: 8192, driver: '535' }]);
  });
});
