/**
 * The kernel inventory of a training step and the kernel check (src-main/engine/kernel-check.ts,
 * `funduslab kernels`) on the wasm and cpu backends: which kernels an FS step, a MoCo v2 step and an
 * eval forward dispatch, the report of runKernelChecks, and that it catches a wrong kernel, a case
 * that does not dispatch its kernel, an unregistered kernel and a fused kernel the steps no longer
 * use. Error measure: ‖a − b‖∞ / ‖b‖∞ (b: the cpu backend), tolerance 1e-4.
 */
import tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { KERNEL_CASES, type KernelCase } from '../../../src-main/engine/kernel-cases';
import {
  FUNDUSLAB_TRAINING_KERNELS,
  relativeError,
  runKernelChecks,
  trainingStepKernels,
  type StepInventory,
} from '../../../src-main/engine/kernel-check';
import { formatKernelCheck, formatKernelList, runKernels } from '../../../src-main/cli/commands/kernels';

/** Kernels any backend's FS step must dispatch (besides BatchNorm and the optimizer, which depend on the backend). */
const FS_CORE = [
  'Conv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'MaxPool',
  'MaxPoolGrad',
  'BatchMatMul',
  'Mean',
  'GatherV2',
  'OneHot',
];
const MOCO_CORE = ['Greater', 'Maximum', 'Less', 'Exp', 'Log', 'Pow'];

let wasmInventory: StepInventory;

beforeAll(async () => {
  await initEngine({ preference: 'wasm', env: {} });
  wasmInventory = await trainingStepKernels();
});

/** Replaces a registered kernel for a test; restored after each test. */
const restore: (() => void)[] = [];
function replaceKernel(kernelName: string, backendName: string, kernelFunc: KernelFunc): void {
  const original = tf.getKernel(kernelName, backendName)!;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc });
  restore.push(() => {
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(original as KernelConfig);
  });
}
afterEach(async () => {
  while (restore.length) restore.pop()!();
  await tf.setBackend('wasm');
});

describe('trainingStepKernels', () => {
  it('records the kernels of an FS step, a MoCo v2 step and an eval forward on wasm, FundusLab’s fused kernels included', () => {
    const inv = wasmInventory;
    expect(inv.backend).toBe('wasm');
    expect(inv.arch).toBe('resnet18-w4');
    for (const k of [...FS_CORE, 'FundusLabBatchNormTrain', 'FundusLabBatchNormTrainGrad', 'FundusLabAdamW'])
      expect(inv.steps.fs, k).toContain(k);
    for (const k of [...MOCO_CORE, 'FundusLabBatchNormTrain', 'FundusLabBatchNormTrainGrad', 'FundusLabSgd', 'FundusLabMomentum'])
      expect(inv.steps.moco, k).toContain(k);
    expect(inv.steps.fs).not.toContain('FundusLabSgd');
    expect(inv.steps.moco).not.toContain('FundusLabAdamW');
    // On wasm the queue is written in place and kept in both layouts: no concat or transpose of it per step.
    expect(inv.steps.moco).not.toContain('Concat');
    expect(inv.steps.moco).not.toContain('Transpose');
    // Eval mode folds BatchNorm into the convolutions: no train-mode BatchNorm, no gradients.
    expect(inv.steps.eval).toContain('FusedConv2D');
    for (const k of ['FundusLabBatchNormTrain', 'Conv2DBackpropFilter', 'FusedBatchNorm']) expect(inv.steps.eval).not.toContain(k);
    // The composites' kernels are gone where the fused kernels run.
    for (const k of ['FusedBatchNorm', 'Rsqrt']) expect(inv.steps.fs).not.toContain(k);
    // Scopes of custom gradients and op wrappers are not kernels.
    expect(inv.kernels.some((k) => / scope|__op$/.test(k))).toBe(false);
    expect(inv.kernels).toEqual([...new Set([...inv.steps.fs, ...inv.steps.moco, ...inv.steps.eval])].sort());
  });

  it('on the cpu backend the steps use the tfjs-op composites (no FundusLab kernels), and no tensor leaks', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const inv = await trainingStepKernels();
    expect(tf.memory().numTensors).toBe(before);
    expect(inv.backend).toBe('cpu');
    for (const k of FUNDUSLAB_TRAINING_KERNELS) expect(inv.kernels).not.toContain(k);
    for (const k of [...FS_CORE, 'FusedBatchNorm', 'Rsqrt', 'Sqrt']) expect(inv.steps.fs, k).toContain(k);
  }, 60_000);

  it('every kernel of the steps has a check, with a gradient check for those a step differentiates', () => {
    const withCases = new Set(KERNEL_CASES.map((c) => c.kernel));
    for (const k of wasmInventory.kernels) expect(withCases.has(k), k).toBe(true);
    const differentiated = [
      'Conv2D',
      'FundusLabBatchNormTrain',
      'FusedBatchNorm',
      'MaxPool',
      'Mean',
      'BatchMatMul',
      'Relu',
      'Add',
      'Concat',
      'Slice',
    ];
    for (const k of differentiated)
      expect(
        KERNEL_CASES.some((c) => c.kernel === k && c.grad?.length),
        k,
      ).toBe(true);
  });
});

describe('relativeError', () => {
  it('is ‖a − b‖∞ / ‖b‖∞, the plain difference for an all-zero reference, infinite for NaN on one side or a length mismatch', () => {
    expect(relativeError([1, 2.5, -4], [1, 2, -4])).toBeCloseTo(0.5 / 4, 12);
    expect(relativeError([0, 1e-3], [0, 0])).toBeCloseTo(1e-3, 12);
    expect(relativeError([NaN, 1], [1, 1])).toBe(Infinity);
    expect(relativeError([NaN], [NaN])).toBe(0);
    expect(relativeError([1], [1, 2])).toBe(Infinity);
  });
});

describe('runKernelChecks', () => {
  it('passes every kernel of the steps on wasm, with a report of forward and gradient errors per case', async () => {
    const before = tf.memory().numTensors;
    const report = await runKernelChecks({ inventory: wasmInventory });
    expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
    expect(tf.getBackend()).toBe('wasm'); // back on the active backend after the cpu references
    console.info(formatKernelCheck(report));
    expect(report.failed).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report).toMatchObject({ backend: 'wasm', tolerance: 1e-4 });
    expect(report.measure).toMatch(/‖a − b‖∞ \/ ‖b‖∞/);
    expect(report.kernels.map((k) => k.kernel).sort()).toEqual(wasmInventory.kernels);
    for (const k of report.kernels) {
      expect(k.registered, k.kernel).toBe(true);
      expect(k.cases.length, k.kernel).toBeGreaterThan(0);
      for (const c of k.cases) {
        expect(c.dispatched, `${k.kernel}: ${c.label}`).toBe(true);
        expect(c.forward, `${k.kernel}: ${c.label}`).toBeLessThanOrEqual(1e-4);
        if (c.gradient !== null) expect(c.gradient, `${k.kernel}: ${c.label}`).toBeLessThanOrEqual(1e-4);
      }
    }
    const bn = report.kernels.find((k) => k.kernel === 'FundusLabBatchNormTrain')!;
    expect(bn).toMatchObject({ funduslab: true, steps: ['fs', 'moco'] });
    expect(bn.cases.every((c) => c.gradient !== null)).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  }, 120_000);

  it('detects a wrong kernel: a ReLU on wasm that lets negative values through fails forward and gradient', async () => {
    replaceKernel('Relu', 'wasm', ({ inputs, backend }) => {
      const x = (inputs as { x: TensorInfo }).x;
      (backend as { incRef(id: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    });
    const report = await runKernelChecks({ inventory: wasmInventory, only: ['Relu', 'Sum'] });
    expect(report.ok).toBe(false);
    expect(report.failed).toEqual(['Relu']);
    const relu = report.kernels.find((k) => k.kernel === 'Relu')!;
    expect(relu.cases[0]!.forward).toBeGreaterThan(0.1);
    expect(relu.problems.join('\n')).toMatch(/forward error .* > 0.0001/);
    expect(formatKernelCheck(report)).toMatch(/Relu .* FAIL[\s\S]*Failures:\n {2}Relu: /);
  });

  it('detects a case that does not dispatch its kernel, an unregistered kernel and a kernel without a check', async () => {
    const notDispatching: KernelCase = {
      kernel: 'Relu',
      label: 'abs instead',
      inputs: { x: { shape: [64, 32] } },
      run: (t) => tf.abs(t.x!),
    };
    const inventory: StepInventory = {
      ...wasmInventory,
      steps: { fs: ['Relu', 'NoSuchKernel'], moco: [], eval: [] },
      kernels: ['NoSuchKernel', 'Relu'],
    };
    const report = await runKernelChecks({ inventory, only: ['Relu', 'NoSuchKernel'], cases: [notDispatching] });
    const byName = Object.fromEntries(report.kernels.map((k) => [k.kernel, k]));
    expect(byName.Relu!.problems).toEqual(['abs instead: did not dispatch Relu on wasm']);
    expect(byName.NoSuchKernel!.registered).toBe(false);
    expect(byName.NoSuchKernel!.problems).toEqual(['not registered for wasm', 'no check is defined for this kernel (kernel-cases.ts)']);
    expect(report.failed.sort()).toEqual(['NoSuchKernel', 'Relu']);
  });

  it('detects a fused kernel the steps do not use (the model fell back to the composite)', async () => {
    const sgd = tf.getKernel('FundusLabSgd', 'wasm')!;
    tf.unregisterKernel('FundusLabSgd', 'wasm');
    restore.push(() => tf.registerKernel(sgd as KernelConfig));
    const inventory = await trainingStepKernels();
    expect(inventory.steps.moco).not.toContain('FundusLabSgd');
    const report = await runKernelChecks({ inventory, only: ['FundusLabSgd'] });
    const check = report.kernels.find((k) => k.kernel === 'FundusLabSgd')!;
    expect(check.steps).toEqual([]);
    expect(check.registered).toBe(false);
    expect(check.problems).toContain('the training steps did not use it on wasm (a tfjs-op composite ran instead)');
    expect(report.ok).toBe(false);
  }, 60_000);
});

describe('funduslab kernels', () => {
  it('list prints a table of the kernels per step; check --json exits 1 with the failing kernel in the report', async () => {
    expect(formatKernelList(wasmInventory)).toMatch(
      /^Kernels of a training step on wasm \(resnet18-w4, 32x32, batch 2\): \d+\n\nkernel +FS +MoCo +eval\n/,
    );
    expect(formatKernelList(wasmInventory)).toMatch(/\nFundusLabSgd +· +✓ +·\n/);
    replaceKernel('Abs', 'wasm', ({ inputs, backend }) => {
      const x = (inputs as { x: TensorInfo }).x;
      (backend as { incRef(id: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    });
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await runKernels(['check', '--json', '--backend', 'wasm']);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(1);
    const report = JSON.parse(out) as { ok: boolean; failed: string[]; backend: string };
    expect(report).toMatchObject({ ok: false, failed: ['Abs'], backend: 'wasm' });
    await expect(runKernels(['verify'])).rejects.toThrow(/Expected "list" or "check", got "verify"/);
  }, 120_000);
});
