/**
 * Every kernel a training step uses, on webgpu (the software adapter here) against the JavaScript
 * cpu backend: forward and, where a step differentiates it, gradient, ‖webgpu − cpu‖∞ / ‖cpu‖∞ ≤ 1e-4
 * (engine/kernel-check.ts); every one registered for webgpu and FundusLab's WGSL kernels used by the
 * steps. Then the WGSL kernels against their tfjs-op composites on webgpu itself (the kernels
 * unregistered for the comparison), including BatchNorm statistics of activations far from zero.
 */
import tf from '@tensorflow/tfjs';
import type { KernelConfig, Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { WEBGPU_TRAINING_KERNELS, registerWebgpuTrainingKernels } from '../../src-main/engine/kernels/index';
import { FUNDUSLAB_TRAINING_KERNELS, relativeError, runKernelChecks } from '../../src-main/engine/kernel-check';
import { formatKernelCheck } from '../../src-main/cli/commands/kernels';
import { batchNormTrain } from '../../src-main/engine/models/resnet';
import { AdamW } from '../../src-main/engine/optim/adamw';
import { Sgd } from '../../src-main/engine/optim/sgd';
import { webgpuEngine } from '../support/webgpu';
import { setCpuBackend } from '../../src-main/engine/backend';

const status = await webgpuEngine();
const TOLERANCE = 1e-4;

interface BufferCounts {
  numUsedBuffers: number;
  numFreeBuffers: number;
  numBytesAllocated: number;
}
const buffers = (): BufferCounts => {
  const m = (tf.backend() as unknown as { bufferManager: BufferCounts }).bufferManager;
  return { numUsedBuffers: m.numUsedBuffers, numFreeBuffers: m.numFreeBuffers, numBytesAllocated: m.numBytesAllocated };
};

/** Runs `f` with FundusLab's WGSL kernels unregistered for webgpu (the tfjs-op composites run), then registers them again. */
async function withComposites<T>(f: () => Promise<T>): Promise<T> {
  for (const k of WEBGPU_TRAINING_KERNELS) tf.unregisterKernel(k.kernelName, 'webgpu');
  try {
    return await f();
  } finally {
    registerWebgpuTrainingKernels();
  }
}

/** y, batch mean and variance, dx, dγ, dβ of train-mode BatchNorm(+ReLU), read asynchronously. */
async function batchNorm(x: Tensor4D, gamma: Tensor1D, beta: Tensor1D, dy: Tensor, relu: boolean): Promise<Float32Array[]> {
  let stats: Tensor[] = [];
  const f = (xx: Tensor, g: Tensor, b: Tensor) =>
    batchNormTrain(xx as Tensor4D, g as Tensor1D, b as Tensor1D, relu, (_n, m, v) => {
      if (stats.length === 0) stats = [tf.keep(tf.clone(m)), tf.keep(tf.clone(v))];
    });
  const y = f(x, gamma, beta);
  const grads = tf.grads(f)([x, gamma, beta], dy);
  const out = await Promise.all([y, ...stats, ...grads].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([y, ...stats, ...grads]);
  return out;
}

describe.skipIf(!status)('training kernels on webgpu', () => {
  it('FundusLab’s WGSL kernels are registered for webgpu', () => {
    expect(WEBGPU_TRAINING_KERNELS.map((k) => k.kernelName)).toEqual([...FUNDUSLAB_TRAINING_KERNELS]);
    for (const k of WEBGPU_TRAINING_KERNELS) expect(tf.getKernel(k.kernelName, 'webgpu')?.kernelFunc, k.kernelName).toBe(k.kernelFunc);
    expect(registerWebgpuTrainingKernels()).toEqual([]); // already registered when the backend was activated
  });

  it('every kernel of an FS step, a MoCo v2 step and an eval forward: forward and gradient vs cpu ≤ 1e-4, registered, dispatched', async () => {
    const before = { tensors: tf.memory().numTensors, buffers: buffers() };
    const report = await runKernelChecks({ tolerance: TOLERANCE });
    console.info(formatKernelCheck(report));
    console.info(`kernels: FS ${report.inventory.steps.fs.join(' ')}\nkernels: MoCo ${report.inventory.steps.moco.join(' ')}`);
    expect(tf.getBackend()).toBe('webgpu');
    expect(report.backend).toBe('webgpu');
    expect(report.failed).toEqual([]);
    for (const k of FUNDUSLAB_TRAINING_KERNELS) expect(report.inventory.kernels, k).toContain(k);
    // The composites' kernels are gone from the training steps.
    for (const k of ['FusedBatchNorm', 'Rsqrt']) expect(report.inventory.steps.fs, k).not.toContain(k);
    for (const k of report.kernels) {
      expect(k.registered, k.kernel).toBe(true);
      for (const c of k.cases) {
        expect(c.dispatched, `${k.kernel}: ${c.label}`).toBe(true);
        expect(c.forward, `${k.kernel}: ${c.label}`).toBeLessThanOrEqual(TOLERANCE);
        if (c.gradient !== null) expect(c.gradient, `${k.kernel}: ${c.label}`).toBeLessThanOrEqual(TOLERANCE);
      }
    }
    expect(tf.memory().numTensors, 'tensors leaked').toBe(before.tensors);
    expect(buffers().numUsedBuffers, 'GPU buffers in use').toBeLessThanOrEqual(before.buffers.numUsedBuffers);
  }, 120_000);

  it('BatchNorm(+ReLU) forward and backward: the WGSL kernels equal the tfjs-op composite on webgpu and the cpu backend', async () => {
    const cases: { shape: [number, number, number, number]; offset: number; std: number; relu: boolean }[] = [
      { shape: [4, 16, 16, 32], offset: 0, std: 1, relu: true },
      { shape: [3, 7, 5, 6], offset: 0, std: 1, relu: false },
      // Activations far from their spread (mean 100, std 1): Σx² − (Σx)²/m would lose ~4 of float32's 7 digits of the
      // variance; the kernels' merged moments keep it (the cpu backend's two-pass moments are the reference).
      { shape: [2, 16, 16, 8], offset: 100, std: 1, relu: false },
    ];
    for (const c of cases) {
      const C = c.shape[3];
      const make = () => {
        const x = tf.tidy(() => tf.add(tf.randomNormal(c.shape, 0, c.std, 'float32', 1), c.offset)) as Tensor4D;
        return [
          x,
          tf.randomUniform([C], 0.5, 1.5, 'float32', 2),
          tf.randomUniform([C], -0.5, 0.5, 'float32', 3),
          tf.randomNormal(c.shape, 0, 1, 'float32', 4),
        ] as const;
      };
      const inputs = make();
      const fused = await batchNorm(inputs[0], inputs[1] as Tensor1D, inputs[2] as Tensor1D, inputs[3], c.relu);
      const composite = await withComposites(() => batchNorm(inputs[0], inputs[1] as Tensor1D, inputs[2] as Tensor1D, inputs[3], c.relu));
      const values = await Promise.all(inputs.map((t) => t.data()));
      tf.dispose([...inputs]);
      await setCpuBackend();
      const cpuInputs = [
        tf.tensor4d(values[0]!, c.shape),
        tf.tensor1d(values[1]!),
        tf.tensor1d(values[2]!),
        tf.tensor(values[3]!, c.shape),
      ] as const;
      const cpu = await batchNorm(cpuInputs[0], cpuInputs[1], cpuInputs[2], cpuInputs[3], c.relu);
      tf.dispose([...cpuInputs]);
      await tf.setBackend('webgpu');
      const names = ['y', 'mean', 'variance', 'dx', 'dγ', 'dβ'];
      const vsComposite = names.map((n, i) => [n, relativeError(fused[i]!, composite[i]!)] as const);
      const vsCpu = names.map((n, i) => [n, relativeError(fused[i]!, cpu[i]!)] as const);
      console.info(
        `BatchNorm [${c.shape}] offset ${c.offset}: vs composite ${JSON.stringify(Object.fromEntries(vsComposite))}, vs cpu ${JSON.stringify(Object.fromEntries(vsCpu))}`,
      );
      for (const [n, e] of vsCpu) expect(e, `${n} vs cpu, [${c.shape}] offset ${c.offset}`).toBeLessThanOrEqual(TOLERANCE);
      for (const [n, e] of vsComposite) expect(e, `${n} vs composite, [${c.shape}] offset ${c.offset}`).toBeLessThanOrEqual(TOLERANCE);
    }
  }, 60_000);

  it('AdamW and SGD: the WGSL kernels equal the tfjs-op updates on webgpu (same float32 operations in the same order)', async () => {
    const shape = [3, 3, 16, 32];
    const run = async (opt: 'adamw' | 'sgd'): Promise<Float32Array> => {
      const p = tf.variable(tf.randomNormal(shape, 0, 0.1, 'float32', 5));
      const o =
        opt === 'adamw'
          ? new AdamW(new Map([['p', p]]), { lr: 3e-3, weightDecay: 0.05 })
          : new Sgd(new Map([['p', p]]), { lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
      for (let step = 0; step < 5; step++) {
        const g = tf.randomNormal(shape, 0, 0.1, 'float32', 10 + step);
        o.step({ p: g });
        g.dispose();
      }
      const out = (await p.data()) as Float32Array;
      o.dispose();
      p.dispose();
      return out;
    };
    for (const opt of ['adamw', 'sgd'] as const) {
      const fused = await run(opt);
      const composite = await withComposites(() => run(opt));
      const err = relativeError(fused, composite);
      console.info(`${opt}: WGSL vs tfjs ops after 5 steps: ${err.toExponential(2)}`);
      expect(err, opt).toBeLessThanOrEqual(1e-6);
    }
    // Each kernel was used: the parameter moved, and with the kernels registered the composite's element-wise kernels do not run.
    const profile = await tf.profile(async () => void (await run('adamw')));
    expect(profile.kernelNames).toContain('FundusLabAdamW');
    expect(profile.kernelNames).not.toContain('Sqrt');
  }, 60_000);

  it('restores the registry: a composite run leaves FundusLab’s kernels registered', () => {
    for (const k of WEBGPU_TRAINING_KERNELS as readonly KernelConfig[]) expect(tf.getKernel(k.kernelName, 'webgpu')).toBeDefined();
  });
});
