/**
 * The engine benchmark on webgpu (resnet18-w4, 32 px, one step): forward and AdamW training step measured with the
 * adapter named in the report and the text; the default backend list measures webgpu only on a hardware adapter and
 * otherwise says how to measure a software one. Nothing leaks and the engine stays on webgpu.
 */
import tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { engineStatus } from '../../src-main/engine/backend';
import { benchAdapter, benchEngine } from '../../src-main/engine/bench';
import { formatBenchEngine } from '../../src-main/cli/commands/bench-engine';
import { webgpuEngine } from '../support/webgpu';

const status = await webgpuEngine();

describe.skipIf(!status)('engine benchmark on webgpu', () => {
  it('measures forward and training step on the adapter and names it', async () => {
    const adapter = benchAdapter(status!.adapters.find((a) => a.used)!);
    const before = tf.memory().numTensors;
    const report = await benchEngine({ arch: 'resnet18-w4', size: 32, batch: 2, steps: 1, warmup: 0, backends: ['webgpu'] });
    expect(tf.memory().numTensors).toBe(before);
    expect(engineStatus()?.active).toBe('webgpu');
    expect(report.skipped).toEqual([]);
    expect(report.figures.map((f) => `${f.backend}/${f.mode}/${f.batch}`)).toEqual(['webgpu/forward/2', 'webgpu/train/2']);
    for (const f of report.figures) {
      expect(f.tfjsBackend).toBe('webgpu');
      expect(f.adapter).toEqual(adapter);
      expect(f.msPerImage.median).toBeGreaterThan(0);
    }
    expect(Number.isFinite(report.figures[1]!.loss)).toBe(true);
    const text = formatBenchEngine(report);
    expect(text).toContain(`webgpu adapter: ${adapter.label}, ${adapter.software ? 'software' : 'hardware'}`);
    expect(text).toContain("an AdamW step as a training run's (torch.optim.AdamW: lr 0.0001");
    if (adapter.software) expect(report.notes.join(' ')).toContain('software adapter');
  }, 60_000);

  it('the default backend list skips a software adapter and says how to measure it', async () => {
    const adapter = benchAdapter(status!.adapters.find((a) => a.used)!);
    const report = await benchEngine({ arch: 'resnet18-w4', size: 32, batch: 1, steps: 1, warmup: 0, modes: ['forward'] });
    expect(engineStatus()?.active).toBe('webgpu');
    const webgpu = report.figures.filter((f) => f.backend === 'webgpu');
    if (adapter.software) {
      expect(webgpu).toEqual([]);
      expect(report.skipped).toContainEqual({
        backend: 'webgpu',
        reason: `only a software adapter, ${adapter.label}: slower than wasm, so not measured by default; --backends webgpu measures it`,
      });
      expect(formatBenchEngine(report)).toContain('webgpu: not measured (only a software adapter');
    } else {
      expect(webgpu).toHaveLength(1);
    }
    expect(report.figures.some((f) => f.backend === 'wasm')).toBe(true);
  }, 60_000);
});
