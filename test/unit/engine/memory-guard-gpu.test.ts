/**
 * The WebGPU side of the training memory check, on a fake device (limits and allocations that fail past a capacity):
 * the arithmetic of the binding limit and of the memory budget, that the device is never asked for more than the
 * batch needs and every probe buffer is released, and the error that names the field, the batch, the limit, the
 * adapter and the largest batch that fits. The real software adapter is checked in test/webgpu/memory.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  GPU_TRAINING_SHARE,
  gpuFitError,
  gpuTrainingFit,
  maxBatchUnderBinding,
  probeGpuMemory,
  tensorLines,
  type GpuTarget,
  type StepMemory,
  type TensorLine,
} from '../../../src-main/engine/memory-guard';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** A device with `capacity` bytes: an allocation past it is an out-of-memory error, one over maxBufferSize a validation error. */
function fakeDevice(capacity: number, maxBufferSize = 2 * GiB) {
  const scopes: { filter: string; error: { message: string } | null }[] = [];
  const state = { used: 0, live: 0, requested: [] as number[] };
  const raise = (filter: string, message: string) => {
    const scope = [...scopes].reverse().find((s) => s.filter === filter);
    if (scope && !scope.error) scope.error = { message };
  };
  const device = {
    pushErrorScope: (filter: 'out-of-memory' | 'validation') => void scopes.push({ filter, error: null }),
    popErrorScope: () => Promise.resolve(scopes.pop()!.error),
    createBuffer: ({ size }: { size: number; usage: number }) => {
      state.requested.push(size);
      let ok = true;
      if (size > maxBufferSize) {
        ok = false;
        raise('validation', 'buffer too large');
      } else if (state.used + size > capacity) {
        ok = false;
        raise('out-of-memory', 'out of memory');
      }
      if (ok) {
        state.used += size;
        state.live += 1;
      }
      let destroyed = false;
      return {
        destroy: () => {
          if (destroyed || !ok) return;
          destroyed = true;
          state.used -= size;
          state.live -= 1;
        },
      };
    },
  };
  return { device, state };
}

function target(capacity: number, over: Partial<GpuTarget['adapter']> = {}) {
  const { device, state } = fakeDevice(capacity);
  const gpu: GpuTarget = {
    device,
    adapter: {
      vendor: 'nvidia',
      device: 'RTX 1000',
      description: 'a test GPU',
      api: 'vulkan',
      featureLevel: 'core',
      software: false,
      limits: {
        maxBufferSize: 2 * GiB,
        maxStorageBufferBindingSize: 128 * MiB,
        maxComputeWorkgroupStorageSize: 0,
        maxComputeInvocationsPerWorkgroup: 0,
      },
      ...over,
    },
  };
  return { gpu, state };
}

/** A step of 50 MB resident + 100 MB fixed + 300 MB per image whose largest tensor grows 10 MiB per image. */
function stepMemory(
  tensors: TensorLine[] = [
    { fixed: 0, perImage: 10 * MiB },
    { fixed: 20 * MiB, perImage: 0 },
  ],
): StepMemory {
  const resident = 50e6;
  return {
    resident,
    fixed: 100e6,
    perImage: 300e6,
    estimate: (b) => resident + 100e6 + 300e6 * b,
    tensors,
    largestTensor: (b) => Math.max(...tensors.map((t) => t.fixed + t.perImage * b)),
  };
}

describe('tensor sizes of a step', () => {
  it('pairs the tensors of batch 1 and 2 into lines (largest fixed part per growth), or falls back to the largest of each', () => {
    const one = { sizes: [400, 100, 36, 36, 100], kernels: 'Conv2D,Relu' };
    const two = { sizes: [400, 200, 36, 36, 200], kernels: 'Conv2D,Relu' };
    expect(tensorLines(one, two)).toEqual([
      { fixed: 400, perImage: 0 },
      { fixed: 0, perImage: 100 },
    ]);
    expect(tensorLines(one, { sizes: [400, 250], kernels: 'Conv2D' })).toEqual([{ fixed: 400, perImage: 0 }]);
    expect(tensorLines({ sizes: [100, 10], kernels: 'A' }, { sizes: [250, 20], kernels: 'B' })).toEqual([{ fixed: -50, perImage: 150 }]);
  });

  it('the largest batch under a binding limit: every growing tensor within it, 0 when a fixed one is over it', () => {
    const lines = [
      { fixed: 0, perImage: 10 },
      { fixed: 5, perImage: 7 },
      { fixed: 60, perImage: 0 },
    ];
    expect(maxBatchUnderBinding({ tensors: lines }, 100)).toBe(10); // 10·10 = 100 ≤ 100, 5 + 7·13 = 96 but 10·11 > 100
    expect(maxBatchUnderBinding({ tensors: lines }, 99)).toBe(9);
    expect(maxBatchUnderBinding({ tensors: lines }, 59)).toBe(0); // the fixed 60-byte tensor never binds
    expect(maxBatchUnderBinding({ tensors: [{ fixed: 60, perImage: 0 }] }, 100)).toBe(Infinity);
  });
});

describe('GPU memory probe', () => {
  it('allocates in chunks up to the bytes asked, stops at the first refused allocation and releases every buffer', async () => {
    const { device, state } = fakeDevice(1000 * MiB);
    expect(await probeGpuMemory(device, 300 * MiB, 128 * MiB)).toBe(300 * MiB);
    expect(state.requested).toEqual([128 * MiB, 128 * MiB, 44 * MiB]); // never more than asked
    expect(state.live).toBe(0);
    state.requested.length = 0;
    expect(await probeGpuMemory(device, 5 * GiB, 128 * MiB)).toBe(7 * 128 * MiB); // the 8th chunk is refused
    expect(state.requested).toHaveLength(8);
    expect(state.live).toBe(0);
    expect(state.used).toBe(0);
  });

  it('a validation error (a buffer over maxBufferSize) stops it too', async () => {
    const { device, state } = fakeDevice(10 * GiB, 64 * MiB);
    expect(await probeGpuMemory(device, 1 * GiB, 128 * MiB)).toBe(0);
    expect(state.live).toBe(0);
  });
});

describe('training batch on a WebGPU device', () => {
  it('fits: the device is asked for exactly what the batch needs with the safety share, and nothing stays allocated', async () => {
    const memory = stepMemory();
    const { gpu, state } = target(8 * GiB);
    const fit = await gpuTrainingFit(memory, 4, gpu);
    const want = Math.ceil(memory.estimate(4) / GPU_TRAINING_SHARE - memory.resident);
    expect(state.requested.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(want);
    expect(state.requested.reduce((a, b) => a + b, 0)).toBeLessThan(want + 4);
    expect(Math.max(...state.requested)).toBeLessThanOrEqual(128 * MiB); // chunks of at most the binding limit
    expect(state.live).toBe(0);
    expect(fit).toMatchObject({ reason: null, batch: 4, maxBatchByBinding: 12 });
    expect(fit.maxBatch).toBeGreaterThanOrEqual(4);
  });

  it('a tensor over the binding limit: refused with the largest batch that binds, the memory probed only up to that batch', async () => {
    const memory = stepMemory();
    const { gpu, state } = target(64 * GiB);
    const fit = await gpuTrainingFit(memory, 16, gpu); // 16 · 10 MiB = 160 MiB > 128 MiB; 12 · 10 MiB = 120 MiB binds
    expect(fit).toMatchObject({ reason: 'binding', maxBatchByBinding: 12, maxBatch: 12, largestTensor: 160 * MiB });
    const probed = state.requested.reduce((a, b) => a + b, 0);
    expect(probed).toBeLessThan(memory.estimate(12) / GPU_TRAINING_SHARE - memory.resident + 4);
    const err = gpuFitError(fit, gpu, 'batchSize', 'ResNet50 at 224 px');
    expect(err).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'batchSize', message: 'at most 12 on the webgpu backend at this size (nvidia RTX 1000 (Vulkan))' }],
    });
    expect(err.message).toBe(
      'batchSize = 16 makes a tensor of 160 MB in one training step of ResNet50 at 224 px on the WebGPU backend, larger than the 128 MB one GPU kernel can bind on nvidia RTX 1000 (Vulkan) (maxStorageBufferBindingSize): use batchSize ≤ 12 or a smaller input size.',
    );
    // An artificially lower limit.
    expect((await gpuTrainingFit(memory, 16, gpu, { bindingLimitBytes: 64 * MiB })).maxBatch).toBe(6);
  });

  it('a binding-limited batch that does not fit the memory either: the largest batch that fits both', async () => {
    const memory = stepMemory();
    const { gpu } = target(2 * GiB);
    const fit = await gpuTrainingFit(memory, 16, gpu);
    const byMemory = Math.floor((GPU_TRAINING_SHARE * (memory.resident + 2 * GiB) - memory.estimate(0)) / memory.perImage);
    expect(byMemory).toBeLessThan(12);
    expect(fit).toMatchObject({ reason: 'binding', maxBatch: byMemory });
  });

  it('out of memory: refused with the budget found and the largest batch it holds', async () => {
    const memory = stepMemory();
    const { gpu, state } = target(3 * GiB);
    const fit = await gpuTrainingFit(memory, 12, gpu);
    const budget = memory.resident + Math.floor((3 * GiB) / (128 * MiB)) * 128 * MiB; // whole chunks only
    const fits = Math.floor((GPU_TRAINING_SHARE * budget - memory.estimate(0)) / memory.perImage);
    expect(fit).toMatchObject({ reason: 'memory', budget, maxBatch: fits, hostFree: null });
    expect(state.live).toBe(0);
    const err = gpuFitError(fit, gpu, 'moco.batchSize', 'the MoCo query encoder (resnet50) at 224 px');
    expect(err.message).toBe(
      `moco.batchSize = 12 needs about 3.5 GB for one training step of the MoCo query encoder (resnet50) at 224 px on the WebGPU backend, but only about 3.0 GB of memory is available on nvidia RTX 1000 (Vulkan), of which a step may plan to use 2.4 GB: use moco.batchSize ≤ ${fits} or a smaller input size.`,
    );
    expect(err.issues).toEqual([
      { path: 'moco.batchSize', message: `at most ${fits} on the webgpu backend at this size (nvidia RTX 1000 (Vulkan))` },
    ]);
  });

  it('a software adapter: the probe stops at a share of the free memory of the computer, and the error says so', async () => {
    const memory = stepMemory();
    const { gpu, state } = target(64 * GiB, {
      vendor: '',
      device: 'llvmpipe',
      api: 'opengles',
      featureLevel: 'compatibility',
      software: true,
    });
    const freeHostBytes = () => 2 * GiB;
    expect((await gpuTrainingFit(memory, 2, gpu, { freeHostBytes })).reason).toBeNull();
    state.requested.length = 0;
    const fit = await gpuTrainingFit(memory, 8, gpu, { freeHostBytes });
    expect(state.requested.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(GPU_TRAINING_SHARE * 2 * GiB);
    expect(fit).toMatchObject({ reason: 'memory', hostFree: 2 * GiB });
    expect(gpuFitError(fit, gpu, 'batchSize', 'x').message).toContain(
      "is available on llvmpipe (OpenGL ES, compatibility), a software adapter (it computes in this computer's memory, 2.0 GB free)",
    );
  });

  it('not even one image: a fixed tensor over the binding limit, or one image over the memory', async () => {
    const { gpu, state } = target(64 * GiB);
    const huge = stepMemory([{ fixed: 200 * MiB, perImage: 1 * MiB }]);
    const fit = await gpuTrainingFit(huge, 1, gpu);
    expect(fit).toMatchObject({ reason: 'binding', maxBatch: 0 });
    expect(state.requested).toEqual([]); // nothing to probe
    const err = gpuFitError(fit, gpu, 'batchSize', 'ResNet50 at 512 px');
    expect(err.message).toMatch(
      /makes a tensor of 201 MB .* even one image does not fit; use a smaller input size or architecture, or another backend \(wasm\)\.$/,
    );
    expect(err.issues).toEqual([
      { path: 'batchSize', message: 'does not fit on the webgpu backend at this size (nvidia RTX 1000 (Vulkan))' },
    ]);
    const small = target(100 * MiB);
    const tooBig = await gpuTrainingFit(stepMemory(), 1, small.gpu);
    expect(tooBig).toMatchObject({ reason: 'memory', maxBatch: 0 });
  });
});
