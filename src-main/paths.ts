import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | null = null;

/** The FundusLab package folder (holds package.json), found from wherever this code runs: src, dist or an asar archive. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'funduslab') return (cachedRoot = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('FundusLab cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const distDir = (): string => path.join(packageRoot(), 'dist');
export const workerEntry = (): string => path.join(distDir(), 'worker.js');
export const rendererDir = (): string => path.join(distDir(), 'renderer');

/** App-level state outside Electron (browser mode, CLI): FUNDUSLAB_HOME, else the platform's config folder. */
export function defaultDataDir(env: Record<string, string | undefined> = process.env): string {
  if (env.FUNDUSLAB_HOME) return path.resolve(env.FUNDUSLAB_HOME);
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'FundusLab');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'FundusLab');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'FundusLab');
}

/** The real fundus test data: FUNDUSLAB_DATA, else `../shared/data` beside the FundusLab folder (tests and benchmarks). */
export function sharedDataDir(env: Record<string, string | undefined> = process.env): string {
  return env.FUNDUSLAB_DATA ? path.resolve(env.FUNDUSLAB_DATA) : path.resolve(packageRoot(), '..', 'shared', 'data');
}
