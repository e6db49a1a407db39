import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Builds dist/ once before any test file runs (FUNDUSLAB_SKIP_BUILD=1 skips it when dist/ is known fresh). */
export default function setup(): void {
  // Each vitest project runs its global setup; they share this process, so build once per run.
  if (process.env.FUNDUSLAB_SKIP_BUILD === '1') return;
  process.env.FUNDUSLAB_SKIP_BUILD = '1';
  const root = path.resolve(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
}
