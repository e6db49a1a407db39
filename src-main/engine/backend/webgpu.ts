/**
 * The webgpu rung: any recent GPU (NVIDIA, AMD, Intel, Apple) through WebGPU, without CUDA or any
 * other driver toolkit. Dawn's Node binding (npm `webgpu`: a prebuilt `dawn.node` per platform,
 * Node-API, so it loads in Electron too) provides the GPU; @tensorflow/tfjs-backend-webgpu computes
 * on it. Dawn is loaded at call time, never imported, like the native tfjs packages.
 *
 * Adapters are asked for through each native interface the platform has (Linux: Vulkan, then
 * OpenGL ES; Windows: D3D12, then Vulkan; macOS: Metal), core WebGPU first, then its
 * 'compatibility' subset (all an OpenGL ES adapter offers). A software adapter (Mesa's llvmpipe,
 * SwiftShader, lavapipe, Microsoft's WARP) is slower than wasm: automatic selection never takes
 * one, a forced webgpu backend (FUNDUSLAB_BACKEND=webgpu or the settings) does when no hardware
 * adapter exists — that is how the tests run on machines without a GPU.
 *
 * tfjs-backend-webgpu registers its backend at import only when `navigator.gpu` already exists and
 * then asks for the default adapter; FundusLab imports it first, chooses the adapter itself and
 * registers the backend with that adapter's device.
 */
import tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { WebGpuAdapter, WebGpuApi } from '../../../src-shared/engine';
import { activate, type Attempt } from './activate';
import { describeLoadError } from './native';
import { registerWebgpuTrainingKernels } from '../kernels/index';

/** Path of a `dawn.node` to load instead of the one in the `webgpu` package (the portable GPU check ships its own). */
export const DAWN_PATH_ENV_VAR = 'FUNDUSLAB_DAWN_NODE';

const nodeRequire = createRequire(import.meta.url);

/** The parts of WebGPU FundusLab touches itself (tfjs-backend-webgpu does the rest). */
export interface DawnGpu {
  requestAdapter(options?: {
    powerPreference?: 'high-performance' | 'low-power';
    featureLevel?: 'core' | 'compatibility';
  }): Promise<DawnAdapter | null>;
}
export interface DawnAdapter {
  readonly info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  readonly limits: Readonly<Record<string, number>> & {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupSizeX: number;
    maxComputeWorkgroupsPerDimension: number;
  };
  readonly features: { has(name: string): boolean };
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<DawnDevice>;
}
/** A GPUDevice (opaque here; the memory guard uses its error scopes and allocates buffers to find its memory). */
export interface DawnDevice {
  pushErrorScope(filter: 'out-of-memory' | 'validation' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  createBuffer(descriptor: { size: number; usage: number }): { destroy(): void };
  readonly lost: Promise<{ reason: string; message: string }>;
}

/** The parts of Dawn's Node binding FundusLab uses. */
export interface DawnBinding {
  /** Creates a GPU (navigator.gpu) with Dawn toggles such as 'backend=vulkan'. */
  create(flags: string[]): DawnGpu;
  /** WebGPU's global constants and classes (GPUBufferUsage, GPUMapMode …) that tfjs-backend-webgpu reads from globalThis. */
  globals: Record<string, unknown>;
}

/** How Dawn is found and whether a GPU device exists; replaceable in tests. */
export interface DawnLoader {
  /** Throws when Dawn cannot be loaded. */
  load(): DawnBinding;
  /** Cheap check before loading Dawn for automatic selection: null when a GPU may be present, else why not. */
  deviceBlocker(): string | null;
}

/** The `dawn.node` for this platform inside the `webgpu` package (or FUNDUSLAB_DAWN_NODE). */
export function dawnBinaryPath(env: Record<string, string | undefined> = process.env): string {
  const override = env[DAWN_PATH_ENV_VAR]?.trim();
  if (override) return path.resolve(override);
  const pkgDir = path.dirname(nodeRequire.resolve('webgpu/package.json'));
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return asarUnpackedPath(path.join(pkgDir, 'dist', `${process.platform}-${arch}`, 'dawn.node'));
}

/**
 * In the packaged app a file that electron-builder.yml's asarUnpack takes out of the archive lies under app.asar.unpacked/:
 * dawn.node is loaded from there, its real file, next to which Windows finds Dawn's DLLs.
 */
export function asarUnpackedPath(file: string): string {
  return file.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
}

/** Linux: a GPU shows up as a DRM render node, an NVIDIA device node, or (WSL2) /dev/dxg. */
export function linuxGpuBlocker(exists: (p: string) => boolean = existsSync, list: (p: string) => string[] = safeList): string | null {
  if (exists('/dev/dxg') || exists('/dev/nvidia0')) return null;
  if (list('/dev/dri').some((name) => name.startsWith('renderD'))) return null;
  return 'no GPU device (no render node in /dev/dri, no /dev/nvidia0)';
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const defaultLoader: DawnLoader = {
  load() {
    const file = dawnBinaryPath();
    if (!existsSync(file)) throw new Error(`Dawn's binary for ${process.platform}-${process.arch} is missing (${file})`);
    return nodeRequire(file) as DawnBinding;
  },
  deviceBlocker: () => (process.platform === 'linux' ? linuxGpuBlocker() : null),
};
let loader: DawnLoader = defaultLoader;

/** Native interfaces to ask for adapters, best first, per platform. */
export function apisFor(platform: NodeJS.Platform): WebGpuApi[] {
  if (platform === 'win32') return ['d3d12', 'vulkan'];
  if (platform === 'darwin') return ['metal'];
  return ['vulkan', 'opengles'];
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|basic render driver|microsoft basic|\bwarp\b|software rasteri[sz]er/i;

/** A software adapter by Dawn's own flag or by the names of the known CPU implementations. */
export function isSoftwareAdapter(info: {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}): boolean {
  if (info.isFallbackAdapter === true) return true;
  return SOFTWARE_ADAPTER.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/** An adapter found, with what is needed to compute on it. */
interface Found {
  info: Omit<WebGpuAdapter, 'used'>;
  adapter: DawnAdapter;
  gpu: DawnGpu;
}

/** What the last probe found (kept for the engine status), and the backend registered with tfjs. */
let probed: Found[] = [];
let registered: { found: Found; device: DawnDevice } | null = null;
let binding: DawnBinding | null = null;
let bindingError: string | null = null;

function loadBinding(): DawnBinding | string {
  if (binding) return binding;
  if (bindingError) return bindingError;
  try {
    binding = loader.load();
    for (const [name, value] of Object.entries(binding.globals)) {
      if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    }
    return binding;
  } catch (err) {
    bindingError = describeLoadError('webgpu', err);
    return bindingError;
  }
}

/**
 * Headless Linux (no X11 or Wayland display): Mesa's EGL needs EGL_PLATFORM=surfaceless to open a
 * GPU without a window system. Set only when the user has not chosen a platform.
 */
function prepareEgl(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'linux' && !env.EGL_PLATFORM && !env.DISPLAY && !env.WAYLAND_DISPLAY) env.EGL_PLATFORM = 'surfaceless';
}

async function probeAdapters(dawn: DawnBinding): Promise<Found[]> {
  const found: Found[] = [];
  for (const api of apisFor(process.platform)) {
    if (api === 'opengles') prepareEgl();
    let gpu: DawnGpu;
    try {
      gpu = dawn.create([`backend=${api}`]);
    } catch {
      continue;
    }
    for (const featureLevel of ['core', 'compatibility'] as const) {
      let adapter: DawnAdapter | null = null;
      try {
        adapter = await gpu.requestAdapter({
          powerPreference: 'high-performance',
          ...(featureLevel === 'compatibility' ? { featureLevel } : {}),
        });
      } catch {
        adapter = null;
      }
      if (!adapter) continue;
      const i = adapter.info;
      const named = {
        vendor: i.vendor ?? '',
        architecture: i.architecture ?? '',
        device: i.device ?? '',
        description: i.description ?? '',
      };
      const l = adapter.limits;
      found.push({
        gpu,
        adapter,
        info: {
          api,
          featureLevel,
          ...named,
          software: isSoftwareAdapter({ ...named, isFallbackAdapter: i.isFallbackAdapter }),
          limits: {
            maxBufferSize: l.maxBufferSize,
            maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
            maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
            maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          },
        },
      });
      break; // core found: the compatibility subset of the same adapter adds nothing
    }
  }
  return found;
}

/** "llvmpipe (OpenGL ES, compatibility)": how an adapter is named in reasons and reports. */
export function adapterLabel(a: Pick<WebGpuAdapter, 'vendor' | 'device' | 'description' | 'api' | 'featureLevel'>): string {
  const name = [a.vendor, a.device].filter((s) => s.trim() !== '').join(' ') || a.description || 'unnamed adapter';
  const api = { vulkan: 'Vulkan', d3d12: 'D3D12', metal: 'Metal', opengles: 'OpenGL ES' }[a.api];
  return `${name} (${api}${a.featureLevel === 'compatibility' ? ', compatibility' : ''})`;
}

/** The adapters of the last probe, the one in use marked. */
export function webgpuAdapters(): WebGpuAdapter[] {
  return probed.map((f) => ({ ...f.info, used: registered?.found === f && tf.getBackend() === 'webgpu' }));
}

/** The device of the registered webgpu backend (for the memory guard), or null. */
export function webgpuDevice(): { device: DawnDevice; adapter: WebGpuAdapter } | null {
  return registered ? { device: registered.device, adapter: { ...registered.found.info, used: tf.getBackend() === 'webgpu' } } : null;
}

/**
 * The webgpu rung. `allowSoftware` (a forced backend) accepts a software adapter when no hardware
 * one exists; automatic selection does not, and does not load Dawn at all where no GPU device exists.
 */
export async function tryWebgpu(opts: { allowSoftware: boolean }): Promise<Attempt & { adapters: WebGpuAdapter[] }> {
  const fail = (reason: string) => ({ ok: false as const, reason, adapters: webgpuAdapters() });
  if (registered) {
    if (registered.found.info.software && !opts.allowSoftware) return fail(softwareReason(registered.found.info));
    const attempt = await activate('webgpu', 1);
    return attempt.ok
      ? { ...attempt, adapters: webgpuAdapters(), ...noteFor(registered.found.info) }
      : { ...attempt, adapters: webgpuAdapters() };
  }
  if (!opts.allowSoftware) {
    const blocker = loader.deviceBlocker();
    if (blocker) return fail(blocker);
  }
  // Imported rather than resolved: a bundle that inlines the package (the portable GPU check) has no node_modules to resolve.
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    return fail(describeLoadError('@tensorflow/tfjs-backend-webgpu', err));
  }
  const dawn = loadBinding();
  if (typeof dawn === 'string') return fail(dawn);
  probed = await probeAdapters(dawn);
  const hardware = probed.find((f) => !f.info.software);
  const software = probed.find((f) => f.info.software);
  const choice = hardware ?? (opts.allowSoftware ? software : undefined);
  if (!choice) {
    if (software) return fail(softwareReason(software.info));
    return fail(
      `no WebGPU adapter (tried ${apisFor(process.platform).join(', ')}; on Linux the Vulkan or Mesa EGL/GL libraries may be missing)`,
    );
  }
  let device: DawnDevice;
  try {
    device = await requestDevice(choice.adapter);
  } catch (err) {
    return fail(`${adapterLabel(choice.info)}: requesting a device failed (${err instanceof Error ? err.message : String(err)})`);
  }
  await registerBackend(choice, device);
  registered = { found: choice, device };
  registerWebgpuTrainingKernels();
  const attempt = await activate('webgpu', 1);
  if (!attempt.ok) return { ...attempt, adapters: webgpuAdapters() };
  return { ...attempt, adapters: webgpuAdapters(), ...noteFor(choice.info) };
}

function softwareReason(info: Found['info']): string {
  return `only a software adapter: ${adapterLabel(info)}, slower than wasm; FUNDUSLAB_BACKEND=webgpu forces it`;
}

function noteFor(info: Found['info']): { note: string } {
  return { note: info.software ? `software adapter ${adapterLabel(info)} (forced; slower than wasm)` : `on ${adapterLabel(info)}` };
}

/** A device with the adapter's own limits (WebGPU's defaults cap a buffer binding at 128 MiB). */
async function requestDevice(adapter: DawnAdapter): Promise<DawnDevice> {
  const l = adapter.limits;
  const requiredFeatures: string[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
}

/** Registers tfjs's webgpu backend on `device` (the package is imported before navigator.gpu exists, so it registers none itself). */
async function registerBackend(found: Found, device: DawnDevice): Promise<void> {
  const { WebGPUBackend } = (await import('@tensorflow/tfjs-backend-webgpu')) as typeof import('@tensorflow/tfjs-backend-webgpu');
  // The backend checks navigator.gpu when constructed; Node 20 has no navigator, Node 21+ and Electron one without gpu.
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: DawnGpu };
  if (nav.gpu !== found.gpu) Object.defineProperty(nav, 'gpu', { value: found.gpu, configurable: true, writable: true });
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  type BackendArgs = ConstructorParameters<typeof WebGPUBackend>;
  tf.registerBackend('webgpu', () => new WebGPUBackend(device as unknown as BackendArgs[0], found.adapter.info as BackendArgs[1]), 0);
}

/**
 * Tests only: forgets the probe (the registered backend stays registered with tfjs) and loads Dawn
 * through `dawn` (omitted: the real binding).
 */
export function resetWebgpuForTests(dawn?: DawnLoader): void {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  probed = [];
  registered = null;
  binding = null;
  bindingError = null;
  loader = dawn ?? defaultLoader;
}
