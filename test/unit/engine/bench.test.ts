/** The engine benchmark's code path on a tiny configuration (resnet18-w4, 32 px, batch 2, 1 step). */
import tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { engineStatus, initEngine } from '../../../src-main/engine/backend';
import { benchEngine } from '../../../src-main/engine/bench';
import { formatBenchEngine, runBenchEngine } from '../../../src-main/cli/commands/bench-engine';

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

  it('rejects bad options', async () => {
    await expect(runBenchEngine(['--backends', 'gpu'])).rejects.toThrow('unknown backend "gpu"');
    await expect(runBenchEngine(['--modes', 'infer'])).rejects.toThrow('unknown mode "infer"');
    await expect(benchEngine({ batch: 0 })).rejects.toThrow('batch must be a positive integer');
  });
});
