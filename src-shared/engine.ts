import { z } from 'zod';
import { ARCH_REGEX } from './training';

/**
 * The compute backends FundusLab can run on, best first. `tensorflow-gpu` and `tensorflow` are
 * the native libtensorflow bindings (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node); `webgpu` is
 * any recent GPU through WebGPU (Dawn's Node binding, the npm package `webgpu`, and
 * @tensorflow/tfjs-backend-webgpu); `wasm` and `cpu` ship with @tensorflow/tfjs and always install.
 */
export const BACKEND_LADDER = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export const BackendName = z.enum(BACKEND_LADDER);
export type BackendName = z.infer<typeof BackendName>;

export const BackendPreference = z.union([z.literal('auto'), BackendName]);
export type BackendPreference = z.infer<typeof BackendPreference>;

export const BackendCandidate = z.object({
  backend: BackendName,
  /** npm package that provides it. */
  package: z.string(),
  /**
   * active: in use; available: loads but a better one won; skipped: not tried (forced or a better one won first); unavailable: tried and
   * failed.
   */
  state: z.enum(['active', 'available', 'skipped', 'unavailable']),
  /** Why it is not active: "not installed", "no CUDA device", the load error's text, … */
  reason: z.string().nullable(),
});
export type BackendCandidate = z.infer<typeof BackendCandidate>;

/** The native GPU interface Dawn drives an adapter through. */
export const WebGpuApi = z.enum(['vulkan', 'd3d12', 'metal', 'opengles']);
export type WebGpuApi = z.infer<typeof WebGpuApi>;

/** A WebGPU adapter as Dawn reports it, and whether FundusLab computes on it. */
export const WebGpuAdapter = z.object({
  api: WebGpuApi,
  /** 'core' WebGPU, or the 'compatibility' subset (OpenGL ES adapters offer only that). */
  featureLevel: z.enum(['core', 'compatibility']),
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  /** A CPU implementation (llvmpipe, SwiftShader, lavapipe, WARP …): slower than wasm, never chosen automatically. */
  software: z.boolean(),
  limits: z.object({
    /** Largest single GPU buffer, bytes. */
    maxBufferSize: z.number(),
    /** Largest buffer one kernel may bind, bytes: the largest tensor a kernel can read or write. */
    maxStorageBufferBindingSize: z.number(),
    maxComputeWorkgroupStorageSize: z.number(),
    maxComputeInvocationsPerWorkgroup: z.number(),
  }),
  /** In use: the webgpu backend is active on this adapter. */
  used: z.boolean(),
});
export type WebGpuAdapter = z.infer<typeof WebGpuAdapter>;

export const EngineStatus = z.object({
  active: BackendName,
  /** Name tfjs itself uses for the active backend (tfjs-node registers 'tensorflow' for CPU and GPU builds). */
  tfjsBackend: z.string(),
  /** Backend forced by FUNDUSLAB_BACKEND or the settings; null when chosen automatically. */
  forced: BackendName.nullable(),
  forcedBy: z.enum(['env', 'settings']).nullable(),
  candidates: z.array(BackendCandidate),
  tfjsVersion: z.string(),
  /** Threads the active backend computes with (wasm/native), or 1. */
  threads: z.number().int().positive(),
  /** The WebGPU adapters found when the webgpu rung was tried (empty when it was not, or none was found). */
  adapters: z.array(WebGpuAdapter),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const GpuInfo = z.object({
  visible: z.boolean(),
  /** One line per device as reported by nvidia-smi, or why none was seen. */
  devices: z.array(z.object({ name: z.string(), memoryMiB: z.number().nullable(), driver: z.string().nullable() })),
  detail: z.string(),
});
export type GpuInfo = z.infer<typeof GpuInfo>;

export const SelfTestParams = z
  .object({
    /** Square input size of the self-test images. */
    size: z.number().int().min(8).max(128).default(32),
    batch: z.number().int().min(1).max(64).default(8),
    /** Timed training steps (forward + backward + update). */
    steps: z.number().int().min(1).max(500).default(12),
  })
  .strict();
export type SelfTestParams = z.infer<typeof SelfTestParams>;

export const SelfTestResult = z.object({
  backend: BackendName,
  size: z.number().int(),
  batch: z.number().int(),
  steps: z.number().int(),
  /** Mean milliseconds of one forward pass over the batch. */
  forwardMsPerBatch: z.number(),
  /** Mean milliseconds of one forward + backward + update step over the batch. */
  trainMsPerBatch: z.number(),
  forwardImagesPerSecond: z.number(),
  trainImagesPerSecond: z.number(),
  lossFirst: z.number(),
  lossLast: z.number(),
  /** Largest relative difference of the first step's gradients between the active backend and the JavaScript CPU reference. */
  gradientMaxRelDiffVsCpu: z.number().nullable(),
  passed: z.boolean(),
  checks: z.array(z.object({ name: z.string(), passed: z.boolean(), detail: z.string() })),
});
export type SelfTestResult = z.infer<typeof SelfTestResult>;

export const DoctorReport = z.object({
  engine: EngineStatus,
  versions: z.object({
    funduslab: z.string(),
    node: z.string(),
    tfjs: z.string(),
    sharp: z.string().nullable(),
    libvips: z.string().nullable(),
    electron: z.string().nullable(),
  }),
  cpu: z.object({ model: z.string(), threads: z.number().int() }),
  /** FundusLab's native convolution kernels for the wasm backend: in use (with the instruction set) or why not. */
  nativeKernels: z.object({ inUse: z.boolean(), detail: z.string() }).nullable().default(null),
  /** The training augmentation's worker threads and loops (native: the addon's aug.c; on every backend). */
  augmentation: z.object({ workers: z.number().int(), native: z.boolean(), detail: z.string() }).nullable().default(null),
  memoryGiB: z.number(),
  gpu: GpuInfo,
  selfTest: SelfTestResult,
});
export type DoctorReport = z.infer<typeof DoctorReport>;

/**
 * A short measurement on the active backend for the study wizard's duration estimate (job kind
 * engine.benchmark): the chosen architecture at the chosen input size and batch, timed for the steps
 * every phase of a study is made of (src-shared/estimate.ts turns them into a duration).
 */
export const QuickBenchParams = z
  .object({
    arch: z.string().regex(ARCH_REGEX).default('resnet50'),
    inputSize: z.number().int().min(32).max(1024).default(224),
    batchSize: z.number().int().min(1).max(256).default(16),
    /** Timed repetitions of each measurement (after one untimed warm-up). */
    steps: z.number().int().min(1).max(20).default(2),
  })
  .strict();
export type QuickBenchParams = z.output<typeof QuickBenchParams>;
export const QuickBenchResult = z
  .object({
    backend: BackendName,
    threads: z.number().int().positive(),
    arch: z.string(),
    inputSize: z.number().int(),
    batchSize: z.number().int(),
    /** Eval-mode forward pass, per image. */
    forwardMsPerImage: z.number().positive(),
    /** Forward + backward + optimizer update in train mode, per image. */
    trainMsPerImage: z.number().positive(),
    /** The supervised training augmentation (fsTrain preset), per image. */
    augmentFsMsPerImage: z.number().nonnegative(),
    /** The MoCo v2 aug+ augmentation of both views of an image. */
    augmentClMsPerImage: z.number().nonnegative(),
    /**
     * On the wasm backend (4 GB of memory): the largest training batch that fits, from the measured memory of a step; on webgpu the largest
     * that fits the adapter's binding limit and memory (at least the batch measured when it fits); null elsewhere (no such limit).
     */
    maxTrainBatch: z.number().int().nonnegative().nullable(),
    seconds: z.number().nonnegative(),
    measuredAt: z.string(),
  })
  .strict();
export type QuickBenchResult = z.infer<typeof QuickBenchResult>;

const API_NAMES: Record<WebGpuApi, string> = { vulkan: 'Vulkan', d3d12: 'D3D12', metal: 'Metal', opengles: 'OpenGL ES' };

const bytes = (n: number): string => (n >= 1024 ** 3 ? `${+(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`);

/** One WebGPU adapter for people: its name, and the API, kind and limits that decide what it can train. */
export function describeWebGpuAdapter(a: WebGpuAdapter): { name: string; detail: string } {
  const name = [a.vendor, a.device].filter((s) => s.trim() !== '').join(' ') || a.description || 'unnamed adapter';
  const kind = a.software ? 'software adapter (runs on the CPU)' : 'hardware GPU';
  const api = `${API_NAMES[a.api]}${a.featureLevel === 'compatibility' ? ' (compatibility)' : ''}`;
  const detail = [
    api,
    kind,
    a.architecture ? `architecture ${a.architecture}` : null,
    a.description && a.description !== name ? a.description : null,
    `largest buffer ${bytes(a.limits.maxBufferSize)}, largest tensor per kernel ${bytes(a.limits.maxStorageBufferBindingSize)}`,
  ]
    .filter((s): s is string => s !== null)
    .join('; ');
  return { name, detail };
}

/** Whether WebGPU is used, and if not, exactly why (the webgpu rung's reason). */
export function webgpuVerdict(status: Pick<EngineStatus, 'active' | 'candidates' | 'adapters'>): string {
  const rung = status.candidates.find((c) => c.backend === 'webgpu');
  const used = status.adapters.find((a) => a.used);
  if (status.active === 'webgpu' && used) return `In use on ${describeWebGpuAdapter(used).name}.`;
  if (!rung) return 'Not part of this engine status.';
  return `Not used: ${rung.reason ?? rung.state}.`;
}

/** Whether the active backend computes on a GPU: tensorflow-gpu, or webgpu on a hardware adapter. */
export function computesOnGpu(status: Pick<EngineStatus, 'active' | 'adapters'>): boolean {
  return status.active === 'tensorflow-gpu' || (status.active === 'webgpu' && status.adapters.some((a) => a.used && !a.software));
}
