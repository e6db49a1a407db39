/**
 * The portable GPU check for tests: builds the folder with scripts/gpu-check.mjs (as a user does), copies it to a temporary
 * folder outside the repository, and runs its commands there with Node and a clean environment (no NODE_PATH, nothing of
 * the test run's FUNDUSLAB_* settings), so nothing can come from the repository's node_modules.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from './files';

export interface GpuCheckCopy {
  /** Where scripts/gpu-check.mjs built it. */
  built: string;
  /** The copy the tests run. */
  dir: string;
  /** What the build printed. */
  buildOutput: string;
}

/** Builds the GPU check folder and copies it outside the repository. */
export async function buildGpuCheckCopy(): Promise<GpuCheckCopy> {
  const built = path.join(await tempDir('gpu-check-build'), 'gpu-check');
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'gpu-check.mjs'), '--out', built], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/gpu-check.mjs failed (${r.status}): ${r.stderr}`);
  const dir = path.join(await tempDir('gpu-check-copy'), 'funduslab-gpu-check');
  cpSync(built, dir, { recursive: true });
  return { built, dir, buildOutput: r.stdout };
}

/** A clean environment: only PATH (with this Node's folder) and HOME, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: [path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter), HOME: process.env.HOME ?? '/tmp', ...extra };
}

/** Runs `node <file> …args` in the copy with a clean environment. */
export function runInCopy(dir: string, file: string, args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(dir, file), ...args], {
    cwd: dir,
    env: cleanEnv(extraEnv),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Removes the build and the copy (each in its own temporary folder). */
export function removeGpuCheckCopy(check: GpuCheckCopy | undefined): void {
  for (const dir of check ? [check.built, check.dir] : []) rmSync(path.dirname(dir), { recursive: true, force: true });
}
