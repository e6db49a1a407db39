/**
 * Child-process drivers for tests that kill a process mid-work: the TypeScript driver is bundled
 * with esbuild next to node_modules (so its bare imports such as tfjs and sharp resolve) and run
 * with `fork`. Call the returned `remove` in afterAll. Like scripts/build.mjs, the bundle embeds the
 * augmentation workers' code (src-main/engine/augment/augment-pool.ts).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from './files';

/** Bundles `entry` to node_modules/.cache/funduslab-tests/<name>-<pid>.mjs. */
export async function bundleDriver(entry: string, name: string): Promise<{ file: string; remove: () => Promise<void> }> {
  const dir = path.join(REPO_ROOT, 'node_modules', '.cache', 'funduslab-tests');
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: file,
    logLevel: 'error',
    define: { __FUNDUSLAB_AUGMENT_WORKER__: JSON.stringify(await augmentWorkerSource()) },
  });
  return { file, remove: () => fsp.rm(file, { force: true }) };
}

/** The augmentation worker's code, bundled as scripts/build.mjs does. */
async function augmentWorkerSource(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(REPO_ROOT, 'src-main', 'engine', 'augment', 'worker-entry.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0]!.text;
}
