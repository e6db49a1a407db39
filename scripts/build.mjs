// Builds everything FundusLab runs from `dist/`:
//   dist/cli.js, dist/worker.js            Node entry points (ESM, dependencies stay in node_modules)
//   dist/electron/main.js, preload.cjs     the Electron layer (the sandboxed preload must be one CommonJS file)
//   dist/renderer/                         the React renderer (Vite)
//   dist/native/funduslab-native.node      the native convolution kernels (scripts/build-native.mjs; skipped
//                                          with a note when no C compiler is present)
// Runs on `npm install` (prepare), so `npx funduslab …` works right after installing.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rm, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const only = process.argv.includes('--main-only') ? 'main' : 'all';
const started = performance.now();

await mkdir(dist, { recursive: true });
for (const stale of ['cli.js', 'worker.js', 'electron']) await rm(path.join(dist, stale), { recursive: true, force: true });

// The augmentation worker threads' code (src-main/engine/augment/augment-pool.ts) is embedded in the
// bundles as a string, so it runs from the asar archive of the packaged app as well.
const augmentWorker = await build({
  absWorkingDir: root,
  entryPoints: ['src-main/engine/augment/worker-entry.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  write: false,
  logLevel: 'warning',
});

const nodeCommon = {
  define: { __FUNDUSLAB_AUGMENT_WORKER__: JSON.stringify(augmentWorker.outputFiles[0].text) },
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled ESM still meets CommonJS-style code paths (optional native packages are loaded with require).
  banner: { js: "import { createRequire as __flCreateRequire } from 'node:module'; const require = __flCreateRequire(import.meta.url);" },
};

await Promise.all([
  build({ ...nodeCommon, entryPoints: { cli: 'src-main/cli/main.ts', worker: 'src-main/worker/entry.ts' }, outdir: dist }),
  build({ ...nodeCommon, entryPoints: { main: 'src-main/electron/main.ts' }, outdir: path.join(dist, 'electron') }),
  build({
    absWorkingDir: root,
    entryPoints: { preload: 'src-main/electron/preload.ts' },
    outExtension: { '.js': '.cjs' },
    outdir: path.join(dist, 'electron'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['electron'],
    sourcemap: 'linked',
    logLevel: 'warning',
  }),
]);

// A separate process: it exits with a note (status 0) when it cannot build.
execFileSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs')], { stdio: 'inherit' });

if (only === 'all') {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
}
console.log(`funduslab build: ${only === 'all' ? 'main + renderer' : 'main'} in ${Math.round(performance.now() - started)} ms`);
