/** The engine benchmark's code path on a tiny configuration (resnet18-w4, 32 px, batch 2, 1 step). */
import tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { engineStatus, initEngine } from '../../../src-main/engine/backend';
import { benchAdapter, benchEngine, softwareSkipReason, type BenchEngineReport } from '../../../src-main/engine/bench';
import { formatBenchEngine, runBenchEngine } from '../../../src-main/cli/commands/bench-engine';
import { AdamW } from '../../../src-main/engine/optim/adamw';
import { Sgd } from '../../../src-main/engine/optim/sgd';

afterAll(() => vi.restoreAllMocks());

describe('benchEngine', () => {
  it('measures forward and training step on wasm and cpu and computes ratios against the cpu figures of the same run', async () => {
    await initEngine({ preference: 'wasm', env: {} });
    const before = tf.memory().numTensors;
    const progress: string[] = [];
    const report = await benchEngine({
      arch: 'resnet18-w4',
      size: 32,
      batch: 2,
      steps: 1,
      warmup: 0,
      backends: ['wasm', 'cpu'],
      cpuBatch: 1,
      cpuSteps: 1,
      cpuTrain: true,
      onProgress: (m) => progress.push(m),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(engineStatus()?.active).toBe('wasm'); // put back on the backend it was on
    expect(report).toMatchObject({
      arch: 'resnet18-w4',
      size: 32,
      classes: 5,
      batch: 2,
      trainBatch: 2,
      steps: 1,
      cpu: { batch: 1, steps: 1, train: true },
      skipped: [],
    });
    expect(report.figures.map((f) => `${f.backend}/${f.mode}/${f.batch}`)).toEqual([
      'wasm/forward/2',
      'wasm/train/2',
      'cpu/forward/1',
      'cpu/train/1',
    ]);
    expect(progress).toHaveLength(4);
    for (const f of report.figures) {
      expect(f.stepMs).toHaveLength(1);
      expect(f.msPerImage.median).toBeGreaterThan(0);
      expect(f.msPerImage.min).toBeLessThanOrEqual(f.msPerImage.median);
      expect(f.imagesPerSecond).toBeCloseTo(1000 / f.msPerImage.median, 0);
      const cpu = report.figures.find((c) => c.backend === 'cpu' && c.mode === f.mode)!;
      expect(f.speedupVsCpu).toBeCloseTo(cpu.msPerImage.median / f.msPerImage.median, 1);
      if (f.mode === 'train') expect(Number.isFinite(f.loss)).toBe(true);
    }
    expect(report.figures.find((f) => f.backend === 'cpu')!.speedupVsCpu).toBe(1);
    expect(report.figures.find((f) => f.backend === 'wasm')!.threads).toBe(engineStatus()!.threads);
    expect(formatBenchEngine(report)).toContain('resnet18-w4, 32x32');
  }, 120_000);

  it('leaves the training ratio null when the cpu training step is not measured (the default)', async () => {
    const report = await benchEngine({ arch: 'resnet18-w4', size: 32, batch: 2, steps: 1, warmup: 0, backends: ['wasm', 'cpu'] });
    expect(report.figures.map((f) => `${f.backend}/${f.mode}`)).toEqual(['wasm/forward', 'wasm/train', 'cpu/forward']);
    expect(report.figures.find((f) => f.mode === 'train')!.speedupVsCpu).toBeNull();
    expect(report.figures.find((f) => f.backend === 'wasm' && f.mode === 'forward')!.speedupVsCpu).not.toBeNull();
    expect(report.notes.join(' ')).toContain('forward only');
  }, 120_000);

  it('the CLI prints JSON', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const code = await runBenchEngine([
      '--json',
      '--arch',
      'resnet18-w4',
      '--size',
      '32',
      '--batch',
      '2',
      '--steps',
      '1',
      '--warmup',
      '0',
      '--backends',
      'wasm',
      '--modes',
      'forward',
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.figures).toHaveLength(1);
    expect(report.figures[0]).toMatchObject({ backend: 'wasm', mode: 'forward', batch: 2, speedupVsCpu: null });
  }, 60_000);

  it('names the webgpu adapter of webgpu rows (text and JSON) and why a software adapter was not measured by default', () => {
    const llvmpipe = benchAdapter({
      api: 'opengles',
      featureLevel: 'compatibility',
      vendor: '',
      architecture: '',
      device: 'llvmpipe-llvm-15',
      description: 'OpenGL ES 3.2 Mesa 22.3.6',
      software: true,
      limits: {
        maxBufferSize: 2 ** 31,
        maxStorageBufferBindingSize: 2 ** 27,
        maxComputeWorkgroupStorageSize: 32768,
        maxComputeInvocationsPerWorkgroup: 1024,
      },
      used: true,
    });
    expect(llvmpipe).toEqual({
      label: 'llvmpipe-llvm-15 (OpenGL ES, compatibility)',
      vendor: '',
      device: 'llvmpipe-llvm-15',
      description: 'OpenGL ES 3.2 Mesa 22.3.6',
      api: 'opengles',
      featureLevel: 'compatibility',
      software: true,
    });
    const figure = (backend: 'webgpu' | 'wasm', mode: 'forward' | 'train', adapter?: typeof llvmpipe) => ({
      backend,
      tfjsBackend: backend,
      threads: 1,
      mode,
      batch: 2,
      warmupSteps: 1,
      stepMs: [100],
      msPerImage: { min: 50, median: 50 },
      imagesPerSecond: 20,
      speedupVsCpu: null,
      ...(adapter ? { adapter } : {}),
    });
    const nvidia = {
      ...llvmpipe,
      label: 'nvidia RTX 4090 (Vulkan)',
      vendor: 'nvidia',
      device: 'RTX 4090',
      description: 'NVIDIA',
      api: 'vulkan' as const,
      software: false,
    };
    const report: BenchEngineReport = {
      arch: 'resnet50',
      size: 224,
      classes: 5,
      batch: 2,
      trainBatch: 2,
      steps: 1,
      warmup: 1,
      cpu: { batch: 1, steps: 1, train: false },
      optimizer: { kind: 'adamw', lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
      machine: { cpus: 2, loadAverage: [0, 0, 0], platform: 'linux-x64', node: 'v20' },
      tfjsVersion: '4.22.0',
      figures: [figure('webgpu', 'forward', nvidia), figure('webgpu', 'train', nvidia), figure('wasm', 'forward')],
      skipped: [],
      notes: [],
    };
    const text = formatBenchEngine(report);
    expect(text.split('\n').filter((l) => l.startsWith('webgpu adapter:'))).toEqual([
      'webgpu adapter: nvidia RTX 4090 (Vulkan), hardware; vendor nvidia, device RTX 4090, "NVIDIA"',
    ]);
    const software = formatBenchEngine({
      ...report,
      figures: [figure('wasm', 'forward')],
      skipped: [{ backend: 'webgpu', reason: softwareSkipReason(llvmpipe) }],
    });
    expect(software).toContain(
      'webgpu: not measured (only a software adapter, llvmpipe-llvm-15 (OpenGL ES, compatibility): slower than wasm, so not measured by default; --backends webgpu measures it)',
    );
    expect(software).not.toContain('webgpu adapter:');
    expect(
      formatBenchEngine({ ...report, figures: [figure('webgpu', 'forward', llvmpipe)] })
        .split('\n')
        .filter((l) => l.startsWith('webgpu adapter:')),
    ).toEqual([
      'webgpu adapter: llvmpipe-llvm-15 (OpenGL ES, compatibility), software (a CPU implementation of WebGPU); device llvmpipe-llvm-15, "OpenGL ES 3.2 Mesa 22.3.6"',
    ]);
  });

  it('times the training step with AdamW, as a run', async () => {
    const adamw = vi.spyOn(AdamW.prototype, 'step');
    const sgd = vi.spyOn(Sgd.prototype, 'step');
    const report = await benchEngine({
      arch: 'resnet18-w4',
      size: 32,
      batch: 2,
      steps: 2,
      warmup: 1,
      backends: ['wasm'],
      modes: ['train'],
    });
    expect(adamw).toHaveBeenCalledTimes(3);
    expect(sgd).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(report.notes).toContain(
      "Training step = forward (train mode) + softmax cross-entropy + gradients of all trainable variables + an AdamW step as a training run's (torch.optim.AdamW: lr 0.0001, betas 0.9, 0.999, eps 1e-8, weight decay 0.01).",
    );
    expect(report.optimizer).toEqual({ kind: 'adamw', lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    expect(report.figures.map((f) => [f.backend, f.mode, f.adapter])).toEqual([['wasm', 'train', undefined]]);
  }, 60_000);

  it('times the training step with SGD, as a MoCo v2 pretraining, when asked', async () => {
    const adamw = vi.spyOn(AdamW.prototype, 'step');
    const sgd = vi.spyOn(Sgd.prototype, 'step');
    const report = await benchEngine({
      arch: 'resnet18-w4',
      size: 32,
      batch: 2,
      steps: 1,
      warmup: 1,
      backends: ['wasm'],
      modes: ['train'],
      optimizer: 'sgd',
    });
    expect(sgd).toHaveBeenCalledTimes(2);
    expect(adamw).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(report.optimizer).toEqual({ kind: 'sgd', lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
    expect(report.notes.join(' ')).toContain(
      "an SGD step as a MoCo v2 pretraining's (torch.optim.SGD: lr 0.03, momentum 0.9, weight decay 0.0001)",
    );
  }, 60_000);

  it('rejects bad options', async () => {
    await expect(runBenchEngine(['--backends', 'gpu'])).rejects.toThrow('unknown backend "gpu"');
    await expect(runBenchEngine(['--modes', 'infer'])).rejects.toThrow('unknown mode "infer"');
    await expect(benchEngine({ batch: 0 })).rejects.toThrow('batch must be a positive integer');
  });
});
