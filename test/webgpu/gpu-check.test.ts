/**
 * The portable GPU check on webgpu: a copy of the folder outside the repository, run with a clean environment (no
 * NODE_PATH) and EGL_PLATFORM=surfaceless, loads Dawn from its own dawn.node and reports the adapter it computes on —
 * the same one this process's webgpu backend uses (Mesa's llvmpipe where there is no GPU).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuCheckEngineReport } from '../../src-main/cli/gpu-check';
import type { BenchEngineReport } from '../../src-main/engine/bench';
import type { KernelCheckReport } from '../../src-main/engine/kernel-check';
import { buildGpuCheckCopy, removeGpuCheckCopy, runInCopy, type GpuCheckCopy } from '../support/gpu-check';
import { webgpuEngine } from '../support/webgpu';

const status = await webgpuEngine();

const platform = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;

describe.skipIf(!status)('the GPU check on webgpu', () => {
  let check: GpuCheckCopy;
  beforeAll(async () => {
    check = await buildGpuCheckCopy();
  }, 120_000);
  afterAll(() => removeGpuCheckCopy(check));

  it("`engine` activates webgpu with the folder's dawn.node and reports the adapter", () => {
    const r = runInCopy(check.dir, 'gpu-check.mjs', ['engine', '--json'], { EGL_PLATFORM: 'surfaceless' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as GpuCheckEngineReport;
    expect(report.files).toEqual({
      dawn: path.join(check.dir, 'dawn', platform, 'dawn.node'),
      wasm: path.join(check.dir, 'tfjs-backend-wasm'),
    });
    expect('status' in report.webgpu && report.webgpu.status.active).toBe('webgpu');
    const used = report.adapters.filter((a) => a.used);
    expect(used).toHaveLength(1);
    const here = status!.adapters.find((a) => a.used)!;
    expect(used[0]).toMatchObject({
      api: here.api,
      featureLevel: here.featureLevel,
      description: here.description,
      software: here.software,
    });
    expect(used[0]!.limits.maxBufferSize).toBeGreaterThan(0);
    // automatic selection never takes a software adapter
    if (used[0]!.software) expect('status' in report.auto && report.auto.status.active).not.toBe('webgpu');
  });

  it('`bench engine --backends webgpu` measures the forward pass and a training step on the adapter and names it', () => {
    const args = 'bench engine --backends webgpu --arch resnet18-w4 --size 32 --batch 1 --steps 1 --json'.split(' ');
    const r = runInCopy(check.dir, 'gpu-check.mjs', args, { EGL_PLATFORM: 'surfaceless' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchEngineReport;
    expect(report.skipped).toEqual([]);
    expect(report.figures.map((f) => [f.backend, f.tfjsBackend, f.mode, f.batch])).toEqual([
      ['webgpu', 'webgpu', 'forward', 1],
      ['webgpu', 'webgpu', 'train', 1],
    ]);
    for (const f of report.figures) expect(f.msPerImage.median).toBeGreaterThan(0);
    expect(Number.isFinite(report.figures[1]!.loss)).toBe(true);
    // each webgpu figure names the adapter it was measured on: the one this process's webgpu backend uses
    const here = status!.adapters.find((a) => a.used)!;
    for (const f of report.figures) expect(JSON.stringify(f)).toContain(JSON.stringify(here.description));
  });

  it('`kernels check --backend webgpu` checks every training-step kernel on the adapter against the cpu backend', () => {
    const r = runInCopy(check.dir, 'gpu-check.mjs', ['kernels', 'check', '--backend', 'webgpu', '--json'], { EGL_PLATFORM: 'surfaceless' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as KernelCheckReport;
    expect(report).toMatchObject({ backend: 'webgpu', ok: true, failed: [], tolerance: 1e-4 });
    const names = report.kernels.map((k) => k.kernel);
    for (const fused of [
      'FundusLabBatchNormTrain',
      'FundusLabBatchNormTrainGrad',
      'FundusLabAdamW',
      'FundusLabSgd',
      'Conv2DBackpropFilter',
    ])
      expect(names).toContain(fused);
  });
});
