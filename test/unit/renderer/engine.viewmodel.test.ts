import { describe, it, expect } from 'vitest';
import type { EngineStatus, SelfTestResult } from '../../../src-shared/engine';
import {
  PREFERENCE_OPTIONS,
  backendChipModel,
  candidateRows,
  parseSelfTestResult,
  selectionExplanation,
  selfTestReport,
  webgpuSection,
} from '../../../src-renderer/features/engine/engine.viewmodel';

const status: EngineStatus = {
  active: 'wasm',
  tfjsBackend: 'wasm',
  forced: null,
  forcedBy: null,
  tfjsVersion: '4.22.0',
  threads: 8,
  adapters: [],
  candidates: [
    { backend: 'cpu', package: '@tensorflow/tfjs', state: 'available', reason: 'a better backend won' },
    { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', state: 'active', reason: null },
    { backend: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu', state: 'unavailable', reason: 'not installed' },
    {
      backend: 'tensorflow',
      package: '@tensorflow/tfjs-node',
      state: 'unavailable',
      reason: 'libtensorflow.so.2: cannot open shared object file',
    },
  ],
};

const result: SelfTestResult = {
  backend: 'wasm',
  size: 32,
  batch: 8,
  steps: 12,
  forwardMsPerBatch: 12.345,
  trainMsPerBatch: 48.91,
  forwardImagesPerSecond: 648.0,
  trainImagesPerSecond: 163.57,
  lossFirst: 1.6094,
  lossLast: 0.8123,
  gradientMaxRelDiffVsCpu: 3.2e-6,
  passed: true,
  checks: [
    { name: 'loss decreases', passed: true, detail: '1.61 → 0.812' },
    { name: 'gradients match CPU', passed: true, detail: 'max rel. diff 3.2e-6 ≤ 1e-3' },
  ],
};

describe('candidateRows', () => {
  it('lists the ladder best first whatever order the status uses', () => {
    expect(candidateRows(status).map((r) => r.backend)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']); // webgpu absent from this status
  });

  it('carries state, colour and reason of each candidate', () => {
    const rows = candidateRows(status);
    const wasm = rows.find((r) => r.backend === 'wasm');
    expect(wasm).toMatchObject({ active: true, stateLabel: 'Active', stateColor: 'success', reason: 'In use' });
    expect(rows.find((r) => r.backend === 'tensorflow')?.reason).toMatch(/libtensorflow/);
    expect(rows.find((r) => r.backend === 'tensorflow-gpu')).toMatchObject({
      stateLabel: 'Unavailable',
      packageName: '@tensorflow/tfjs-node-gpu',
    });
  });
});

describe('selectionExplanation and the top-bar chip', () => {
  it('says whether the backend was forced, and by what', () => {
    expect(selectionExplanation(status)).toMatch(/automatically/);
    expect(selectionExplanation({ forced: 'cpu', forcedBy: 'env' })).toMatch(/FUNDUSLAB_BACKEND/);
    expect(selectionExplanation({ forced: 'wasm', forcedBy: 'settings' })).toMatch(/preference/);
  });

  it('names the active backend, marks a forced one, and shows loading and errors', () => {
    expect(backendChipModel(status, false, null).label).toBe('Backend: wasm');
    expect(backendChipModel({ ...status, forced: 'wasm', forcedBy: 'env' }, false, null).label).toBe('Backend: wasm (forced)');
    expect(backendChipModel({ ...status, active: 'tensorflow-gpu' }, false, null).color).toBe('success');
    expect(backendChipModel(null, true, null).label).toMatch(/checking/);
    expect(backendChipModel(null, false, 'worker crashed')).toMatchObject({ label: 'Backend: unknown', color: 'error' });
    expect(backendChipModel(status, false, null).ariaLabel).toMatch(/WebAssembly/);
  });

  it('gives the chip an accessible name that starts with its visible label, in every state', () => {
    for (const model of [
      backendChipModel(status, false, null),
      backendChipModel({ ...status, forced: 'wasm', forcedBy: 'env' }, false, null),
      backendChipModel(null, true, null),
      backendChipModel(null, false, null),
      backendChipModel(null, false, 'worker crashed'),
    ])
      expect(model.ariaLabel.startsWith(model.label)).toBe(true);
  });

  it('offers automatic plus every backend of the ladder as preferences', () => {
    expect(PREFERENCE_OPTIONS.map((o) => o.value)).toEqual(['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
  });
});

describe('selfTestReport', () => {
  it('turns a result into rows with units', () => {
    const report = selfTestReport(result);
    const value = (label: string) => report.rows.find((r) => r.label === label)?.value;
    expect(report.passed).toBe(true);
    expect(report.verdict).toBe('Passed on wasm');
    expect(value('Forward')).toBe('648 images/s (12.3 ms/batch)');
    expect(value('Training step')).toBe('164 images/s (48.9 ms/batch)');
    expect(value('Loss')).toBe('1.61 → 0.812');
    expect(value('Gradients vs CPU')).toBe('3.2e-6 max. relative difference');
    expect(value('Workload')).toBe('8 images of 32×32, 12 training steps');
    expect(report.checks).toHaveLength(2);
  });

  it('counts failed checks and explains a missing CPU comparison', () => {
    const report = selfTestReport({
      ...result,
      backend: 'cpu',
      gradientMaxRelDiffVsCpu: null,
      passed: false,
      checks: [...result.checks, { name: 'loss is finite', passed: false, detail: 'NaN at step 3' }],
    });
    expect(report.verdict).toBe('Failed on cpu: 1 of 3 checks failed');
    expect(report.rows.find((r) => r.label === 'Gradients vs CPU')?.value).toMatch(/not compared/);
  });

  it('parses only well-formed results', () => {
    expect(parseSelfTestResult(result)).toEqual(result);
    expect(parseSelfTestResult({ backend: 'wasm' })).toBeNull();
    expect(parseSelfTestResult(null)).toBeNull();
  });
});

describe('webgpuSection', () => {
  it('lists every adapter found with its details and says why WebGPU is not used', () => {
    const adapter = {
      api: 'opengles' as const,
      featureLevel: 'compatibility' as const,
      vendor: '',
      architecture: '',
      device: 'llvmpipe-llvm-15',
      description: 'OpenGL ES 3.2 Mesa',
      software: true,
      limits: {
        maxBufferSize: 2 ** 31,
        maxStorageBufferBindingSize: 2 ** 27,
        maxComputeWorkgroupStorageSize: 32768,
        maxComputeInvocationsPerWorkgroup: 1024,
      },
      used: false,
    };
    const reason =
      'only a software adapter: llvmpipe-llvm-15 (OpenGL ES, compatibility), slower than wasm; FUNDUSLAB_BACKEND=webgpu forces it';
    const withWebgpu = {
      ...status,
      adapters: [adapter],
      candidates: [
        ...status.candidates,
        { backend: 'webgpu' as const, package: '@tensorflow/tfjs-backend-webgpu', state: 'unavailable' as const, reason },
      ],
    };
    expect(webgpuSection(withWebgpu)).toEqual({
      verdict: `Not used: ${reason}.`,
      adapters: [
        {
          name: 'llvmpipe-llvm-15',
          detail:
            'OpenGL ES (compatibility); software adapter (runs on the CPU); OpenGL ES 3.2 Mesa; largest buffer 2 GiB, largest tensor per kernel 128 MiB',
          used: false,
        },
      ],
    });
    expect(webgpuSection(status)).toEqual({ verdict: 'Not part of this engine status.', adapters: [] });
    // The chip is green only when the computation is on a GPU: webgpu on a hardware adapter, not on llvmpipe.
    const onWebgpu = (software: boolean) => ({
      ...withWebgpu,
      active: 'webgpu' as const,
      adapters: [{ ...adapter, software, used: true }],
    });
    expect(backendChipModel(onWebgpu(true), false, null).color).toBe('default');
    expect(backendChipModel(onWebgpu(false), false, null).color).toBe('success');
  });
});
