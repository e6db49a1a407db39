import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../support/files';

/** Builds dist/ once before any test file runs (FUNDUSLAB_SKIP_BUILD=1 skips it when dist/ is known fresh). */
export default function setup(): void {
  // Each vitest project runs its global setup; they share this process, so build once per run.
  if (process.env.FUNDUSLAB_SKIP_BUILD === '1') return;
  process.env.FUNDUSLAB_SKIP_BUILD = '1';
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
}
