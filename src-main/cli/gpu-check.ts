/**
 * `gpu-check` — the entry point of the portable GPU check (docs/gpu-check.md): scripts/gpu-check.mjs bundles it, every
 * JavaScript dependency inlined, into a folder with Dawn's `dawn.node` and the tfjs wasm binaries, which runs with a plain
 * Node 20+ on a machine with a GPU and no FundusLab installation. It offers only engine commands, so it starts without
 * sharp, Electron or the services (the build fails when one of them enters the bundle).
 *
 * Beside the bundle it finds the folder's own `dawn/<platform>-<arch>/dawn.node` and `tfjs-backend-wasm/` and points the
 * engine at them (FUNDUSLAB_DAWN_NODE, FUNDUSLAB_WASM_DIR) unless those are set already.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineStatus } from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import { initEngine } from '../engine/backend';
import { WASM_DIR_ENV_VAR } from '../engine/backend/wasm';
import { adapterLabel, DAWN_PATH_ENV_VAR, webgpuAdapters } from '../engine/backend/webgpu';
import { APP_VERSION } from '../version';
import { parseCommandArgs } from './args';
import { runCommand, type Command } from './dispatch';
import { BENCH_ENGINE_USAGE, runBenchEngine } from './commands/bench-engine';
import { KERNELS_USAGE, runKernels } from './commands/kernels';

const NAME = 'gpu-check';

/**
 * The commands of the GPU check. run.mjs runs `engine`, `bench engine`, then `kernels check` when this table has `kernels`
 * (it asks `commands --json`): a command is one import and one entry here.
 */
export const GPU_CHECK_COMMANDS: Record<string, Command> = {
  engine: {
    summary:
      'The backend FundusLab selects here on its own, the WebGPU adapters Dawn finds (vendor, device, API, limits) and whether the webgpu backend activates',
    usage: `${NAME} engine [--json]`,
    run: runEngine,
  },
  bench: {
    summary: 'ResNet forward and training-step timings per backend (FundusLab `bench engine`)',
    usage: BENCH_ENGINE_USAGE.replace(/^funduslab /, `${NAME} `),
    run: (argv) => {
      if (argv[0] !== 'engine')
        throw new AppError('BAD_REQUEST', `Only the engine benchmark is part of the GPU check. Usage: ${BENCH_ENGINE_USAGE}`);
      return runBenchEngine(argv.slice(1));
    },
  },
  kernels: { summary: "FundusLab's training kernels on webgpu against the cpu backend", usage: KERNELS_USAGE, run: runKernels },
};

/** The engine files of the portable folder, when this runs from it: the folder's dawn.node and wasm files. */
export function bundledEngineFiles(dir: string, platform: NodeJS.Platform = process.platform, arch: string = process.arch) {
  return {
    dawn: path.join(dir, 'dawn', `${platform}-${platform === 'darwin' ? 'universal' : arch}`, 'dawn.node'),
    wasm: path.join(dir, 'tfjs-backend-wasm'),
  };
}

/**
 * Points the engine at the folder's own engine files (when `dir` holds them) unless the environment names others. The
 * dawn.node path is set even when this platform's is missing, so the webgpu backend says which file it lacks.
 */
export function useBundledEngineFiles(dir: string, env: Record<string, string | undefined> = process.env): void {
  const files = bundledEngineFiles(dir);
  if (!env[DAWN_PATH_ENV_VAR]?.trim() && existsSync(path.join(dir, 'dawn'))) env[DAWN_PATH_ENV_VAR] = files.dawn;
  if (!env[WASM_DIR_ENV_VAR]?.trim() && existsSync(files.wasm)) env[WASM_DIR_ENV_VAR] = files.wasm;
}

/** What `engine --json` prints. */
export interface GpuCheckEngineReport {
  version: string;
  machine: { platform: string; node: string };
  /** The engine files in use (FUNDUSLAB_DAWN_NODE, FUNDUSLAB_WASM_DIR; null: the installed packages). */
  files: { dawn: string | null; wasm: string | null };
  /** What FundusLab selects on its own (never a software adapter), or why nothing could be. */
  auto: { status: EngineStatus } | { error: string };
  /** The webgpu backend forced (a software adapter accepted when no hardware one exists), or why it cannot be used. */
  webgpu: { status: EngineStatus } | { error: string };
  /** Every adapter Dawn found, the one webgpu computes on marked `used`. */
  adapters: EngineStatus['adapters'];
}

async function runEngine(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {});
  if (positionals.length > 0)
    throw new AppError('BAD_REQUEST', `Unexpected arguments: ${positionals.join(' ')}. Usage: ${NAME} engine [--json]`);
  const attempt = async (preference: 'auto' | 'webgpu'): Promise<{ status: EngineStatus } | { error: string }> => {
    try {
      return { status: await initEngine({ preference, env: { ...process.env, FUNDUSLAB_BACKEND: undefined } }) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  };
  const auto = await attempt('auto');
  const webgpu = await attempt('webgpu');
  const report: GpuCheckEngineReport = {
    version: APP_VERSION,
    machine: { platform: `${process.platform}-${process.arch}`, node: process.version },
    files: { dawn: process.env[DAWN_PATH_ENV_VAR] ?? null, wasm: process.env[WASM_DIR_ENV_VAR] ?? null },
    auto,
    webgpu,
    adapters: 'status' in webgpu ? webgpu.status.adapters : webgpuAdapters(),
  };
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatEngineReport(report));
  return 'status' in webgpu ? 0 : 1;
}

export function formatEngineReport(r: GpuCheckEngineReport): string {
  const lines = [`FundusLab ${r.version} GPU check on ${r.machine.platform}, Node ${r.machine.node}`, ''];
  lines.push(`Selected automatically: ${'status' in r.auto ? r.auto.status.active : `nothing (${r.auto.error})`}`);
  const autoWebgpu = 'status' in r.auto ? r.auto.status.candidates.find((c) => c.backend === 'webgpu' && c.state !== 'active') : undefined;
  if (autoWebgpu?.reason) lines.push(`  webgpu not selected automatically: ${autoWebgpu.reason}`);
  lines.push(`webgpu (forced): ${'status' in r.webgpu ? 'active' : `not usable: ${r.webgpu.error}`}`);
  lines.push('', r.adapters.length === 0 ? 'No WebGPU adapter found.' : 'WebGPU adapters:');
  for (const a of r.adapters) {
    const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
    lines.push(
      `  ${a.used ? '*' : ' '} ${adapterLabel(a)}${a.software ? ' — software (CPU) adapter' : ''}; ${a.architecture || 'architecture not reported'}; ` +
        `max buffer ${mib(a.limits.maxBufferSize)}, max storage binding ${mib(a.limits.maxStorageBufferBindingSize)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function help(): string {
  const width = Math.max(...Object.keys(GPU_CHECK_COMMANDS).map((c) => c.length), 'commands'.length);
  return [
    `FundusLab ${APP_VERSION} GPU check: the compute engine's WebGPU backend on this machine.`,
    '',
    `Usage: node ${NAME}.mjs <command> [options]`,
    '',
    'Commands:',
    ...Object.entries(GPU_CHECK_COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    `  ${'commands'.padEnd(width)}  The commands of this build (--json: their names and usages)`,
    '',
    'Every command accepts --json. `run.sh` runs the whole check and writes its results beside it (README.txt).',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${APP_VERSION}\n`);
    return 0;
  }
  if (name === 'commands') {
    const list = Object.entries(GPU_CHECK_COMMANDS).map(([n, c]) => ({ name: n, usage: c.usage }));
    process.stdout.write(rest.includes('--json') ? `${JSON.stringify(list, null, 2)}\n` : `${list.map((c) => c.usage).join('\n')}\n`);
    return 0;
  }
  return runCommand(NAME, name, GPU_CHECK_COMMANDS[name], rest, help);
}

// Runs when it is the bundle's entry (gpu-check.mjs); importing the module (tests) runs nothing.
const here = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === here) {
  useBundledEngineFiles(path.dirname(here));
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
