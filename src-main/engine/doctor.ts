/**
 * `funduslab doctor`: what the engine runs on and how well — the backend ladder with reasons,
 * versions, CPU, memory, GPU visibility (nvidia-smi) and a short training self-test.
 */
import tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import os from 'node:os';
import { describeWebGpuAdapter, webgpuVerdict, type DoctorReport, type GpuInfo, type SelfTestParams } from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import type { JobContext } from '../job-context';
import { engineStatus } from './backend';
import { describeAugmentation } from './augment/augment-pool';
import { describeNativeKernels } from './kernels/native/addon';
import { runSelfTest } from './selftest';

export interface DoctorOptions {
  appVersion: string;
  /** process.versions.electron when running inside Electron, else null. */
  electronVersion: string | null;
  selfTest: SelfTestParams;
  ctx: JobContext;
}

/** Collects the doctor report. The engine must already be initialised (initEngine). */
export async function collectDoctorReport(opts: DoctorOptions): Promise<DoctorReport> {
  const engine = engineStatus();
  if (!engine) throw new AppError('INTERNAL', 'Doctor: the engine is not initialised (call initEngine first)');
  const [sharpVersions, gpu] = await Promise.all([sharpInfo(), probeGpu()]);
  const selfTest = await runSelfTest(opts.selfTest, opts.ctx);
  const cpus = os.cpus();
  return {
    engine,
    versions: {
      funduslab: opts.appVersion,
      node: process.versions.node,
      tfjs: tf.version.tfjs,
      sharp: sharpVersions.sharp,
      libvips: sharpVersions.libvips,
      electron: opts.electronVersion,
    },
    cpu: { model: cpus[0]?.model.trim() || 'unknown', threads: os.availableParallelism() },
    nativeKernels: engine.tfjsBackend === 'wasm' ? describeNativeKernels() : null,
    augmentation: describeAugmentation(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    gpu,
    selfTest,
  };
}

/** sharp's and libvips' versions, or nulls when sharp's native part cannot load. */
async function sharpInfo(): Promise<{ sharp: string | null; libvips: string | null }> {
  try {
    const sharp = (await import('sharp')).default;
    const versions = sharp.versions as { sharp?: string; vips?: string };
    return { sharp: versions.sharp ?? null, libvips: versions.vips ?? null };
  } catch {
    return { sharp: null, libvips: null };
  }
}

/** What running a command produced; `error` is set when it could not run or exited non-zero. */
export interface CommandOutcome {
  stdout: string;
  stderr: string;
  error: (Error & { code?: unknown; killed?: boolean }) | null;
}

export type CommandRunner = (file: string, args: string[], timeoutMs: number) => Promise<CommandOutcome>;

const runCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), error });
    });
  });

export const NVIDIA_SMI_ARGS = ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'];
const NVIDIA_SMI_TIMEOUT_MS = 3000;

/** Asks nvidia-smi which NVIDIA GPUs the driver sees (3 s timeout). */
export async function probeGpu(run: CommandRunner = runCommand): Promise<GpuInfo> {
  const { stdout, stderr, error } = await run('nvidia-smi', NVIDIA_SMI_ARGS, NVIDIA_SMI_TIMEOUT_MS);
  if (error) {
    if (error.code === 'ENOENT') return { visible: false, devices: [], detail: 'nvidia-smi not found' };
    if (error.killed) return { visible: false, devices: [], detail: `nvidia-smi did not answer within ${NVIDIA_SMI_TIMEOUT_MS / 1000} s` };
    const why = firstLine(stderr) || firstLine(stdout) || error.message;
    return { visible: false, devices: [], detail: `nvidia-smi failed: ${why}` };
  }
  const devices = parseNvidiaSmi(stdout);
  if (devices.length === 0) return { visible: false, devices, detail: 'nvidia-smi lists no GPUs' };
  return { visible: true, devices, detail: `${devices.length} NVIDIA GPU${devices.length === 1 ? '' : 's'} visible to the driver` };
}

/** Parses `name, memory.total [MiB], driver_version` lines from nvidia-smi's CSV output. */
export function parseNvidiaSmi(stdout: string): GpuInfo['devices'] {
  return stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      // The name may itself contain commas, so read the last two fields from the right.
      const parts = line.split(',').map((p) => p.trim());
      const driver = parts.length >= 3 ? (parts.pop() ?? null) : null;
      const memoryText = parts.length >= 2 ? (parts.pop() ?? '') : '';
      const memory = Number.parseFloat(memoryText);
      return { name: parts.join(', '), memoryMiB: Number.isFinite(memory) ? memory : null, driver: driver || null };
    });
}

function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  );
}

/** Human-readable report for the CLI. */
export function formatDoctorReport(r: DoctorReport): string {
  const e = r.engine;
  const forced = e.forced ? ` (forced by ${e.forcedBy === 'env' ? 'FUNDUSLAB_BACKEND' : 'the settings'})` : ' (chosen automatically)';
  const lines: string[] = [];
  lines.push(`FundusLab ${r.versions.funduslab} — engine doctor`);
  lines.push('');
  lines.push(`Active backend: ${e.active}${forced}, tfjs backend '${e.tfjsBackend}', ${e.threads} thread${e.threads === 1 ? '' : 's'}`);
  if (r.nativeKernels) lines.push(`Native convolution kernels (wasm backend): ${r.nativeKernels.detail}`);
  if (r.augmentation) lines.push(`Training augmentation: ${r.augmentation.detail}`);
  lines.push('Backend ladder:');
  const width = Math.max(...e.candidates.map((c) => c.backend.length));
  for (const c of e.candidates) {
    const mark = c.state === 'active' ? '*' : ' ';
    lines.push(`  ${mark} ${c.backend.padEnd(width)}  ${c.state.padEnd(11)}  ${c.package}${c.reason ? ` — ${c.reason}` : ''}`);
  }
  lines.push(`WebGPU: ${webgpuVerdict(e)}`);
  for (const a of e.adapters) {
    const { name, detail } = describeWebGpuAdapter(a);
    lines.push(`  ${a.used ? '*' : ' '} ${name} — ${detail}`);
  }
  lines.push('');
  lines.push('Versions:');
  lines.push(
    `  node ${r.versions.node}, tfjs ${r.versions.tfjs}, sharp ${r.versions.sharp ?? 'unavailable'}, libvips ${r.versions.libvips ?? 'unavailable'}, electron ${r.versions.electron ?? 'not running'}`,
  );
  lines.push(`CPU: ${r.cpu.model}, ${r.cpu.threads} threads; memory ${r.memoryGiB} GiB`);
  lines.push(`GPU: ${r.gpu.visible ? 'visible' : 'not visible'} — ${r.gpu.detail}`);
  for (const d of r.gpu.devices) {
    lines.push(`  ${d.name}${d.memoryMiB !== null ? `, ${d.memoryMiB} MiB` : ''}${d.driver ? `, driver ${d.driver}` : ''}`);
  }
  const s = r.selfTest;
  lines.push('');
  lines.push(
    `Self-test on ${s.backend} (${s.size}x${s.size} images, batch ${s.batch}, ${s.steps} steps): ${s.passed ? 'PASSED' : 'FAILED'}`,
  );
  lines.push(`  forward:  ${s.forwardMsPerBatch.toFixed(1)} ms/batch, ${s.forwardImagesPerSecond.toFixed(1)} images/s`);
  lines.push(`  training: ${s.trainMsPerBatch.toFixed(1)} ms/batch, ${s.trainImagesPerSecond.toFixed(1)} images/s`);
  lines.push(`  loss ${s.lossFirst.toFixed(4)} → ${s.lossLast.toFixed(4)}`);
  lines.push(
    `  gradient max rel. diff vs CPU: ${s.gradientMaxRelDiffVsCpu === null ? 'n/a (active backend is cpu)' : s.gradientMaxRelDiffVsCpu.toExponential(2)}`,
  );
  for (const c of s.checks) lines.push(`  [${c.passed ? 'pass' : 'FAIL'}] ${c.name}: ${c.detail}`);
  return lines.join('\n');
}
