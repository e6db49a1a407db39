// Builds the portable GPU check (docs/gpu-check.md): `node scripts/gpu-check.mjs --out <dir>` writes a folder that runs
// FundusLab's engine status, engine benchmark (webgpu and wasm) and kernel checks on another machine with only Node 20+:
//   gpu-check.mjs                       src-main/cli/gpu-check.ts bundled by esbuild, every JavaScript dependency inlined
//   dawn/<platform>-<arch>/dawn.node    Dawn's Node binding for this platform (npm `webgpu`; on Windows its DLLs beside it)
//   tfjs-backend-wasm/dist/*.wasm       the tfjs wasm binaries, and wasm-out/ with the threaded build's two scripts
//   run.mjs, run.sh, README.txt         the check itself (scripts/gpu-check/) and what to do with its results
//   manifest.json                       version, commit, platform and every file with its size
// No node_modules: the bundle's import graph must not reach sharp, Electron or the services (the build fails if it does).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

/** The folder must stay small enough to send around. */
export const MAX_FOLDER_BYTES = 60 * 2 ** 20;
/** manifest.json's `kind`: a folder holding it may be rebuilt in place. */
const KIND = 'funduslab-gpu-check';

/** Inputs that must not enter the bundle: native or desktop-only packages and the services (they need more than Node). */
const FORBIDDEN = [
  { pattern: /(^|\/)node_modules\/(sharp|@img)\//, why: 'sharp (a native image library)' },
  { pattern: /(^|\/)node_modules\/(electron|electron-store|@electron\/[^/]+)\//, why: 'Electron' },
  { pattern: /^src-main\/(services|electron)\//, why: 'the services or the Electron layer (src-main/services, src-main/electron)' },
];

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * What in an esbuild metafile stops the bundle from running on its own: a forbidden input, or an import left outside the
 * bundle that is not a Node built-in (it would need node_modules on the target). One line per finding.
 */
export function bundleProblems(metafile) {
  const problems = [];
  for (const input of Object.keys(metafile.inputs)) {
    const hit = FORBIDDEN.find((f) => f.pattern.test(input.replace(/\\/g, '/')));
    if (hit) problems.push(`${input}: the bundle must not contain ${hit.why}`);
  }
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports ?? []) {
      if (imp.external && !NODE_BUILTINS.has(imp.path))
        problems.push(`${imp.path}: imported from outside the bundle (only Node built-ins may be)`);
    }
  }
  return problems;
}

/** Bundles `entry` (a path relative to the repository) into `outfile`; throws when the bundle has a problem (bundleProblems). */
export async function bundleEntry(entry, outfile) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    metafile: true,
    legalComments: 'none',
    logLevel: 'error',
    // Bundled ESM still meets CommonJS-style code paths (as in scripts/build.mjs), here also __dirname (Emscripten's
    // loaders of the inlined tfjs wasm backend read it in Node).
    banner: {
      js: [
        "import { createRequire as __flCreateRequire } from 'node:module';",
        "import { fileURLToPath as __flFileURLToPath } from 'node:url';",
        'const require = __flCreateRequire(import.meta.url);',
        'const __filename = __flFileURLToPath(import.meta.url);',
        "const __dirname = __flFileURLToPath(new URL('.', import.meta.url));",
      ].join(' '),
    },
  });
  const problems = bundleProblems(result.metafile);
  if (problems.length > 0) {
    rmSync(outfile, { force: true });
    throw new Error(`The GPU check bundle of ${entry} cannot run on its own:\n  ${problems.join('\n  ')}`);
  }
  return result.metafile;
}

/** Every file under `dir` with its size, paths relative to `dir` with forward slashes, sorted. */
export function listFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => String(f))
    .filter((f) => statSync(path.join(dir, f)).isFile())
    .map((f) => ({ path: f.split(path.sep).join('/'), bytes: statSync(path.join(dir, f)).size }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

function copyInto(from, to) {
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** An empty folder, a previous GPU check (rebuilt in place), or a folder to create; anything else is refused. */
function prepareOut(out) {
  if (existsSync(out)) {
    const entries = readdirSync(out);
    if (entries.length > 0) {
      let kind = null;
      try {
        kind = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).kind;
      } catch {
        kind = null;
      }
      if (kind !== KIND) throw new Error(`${out} is not empty and holds no GPU check (manifest.json): choose an empty or new folder`);
      for (const entry of entries) rmSync(path.join(out, entry), { recursive: true, force: true });
    }
  }
  mkdirSync(out, { recursive: true });
}

/** Builds the GPU check folder into `out` for this machine's platform; returns its manifest and the folder's file count and size. */
export async function buildGpuCheck(out) {
  const started = performance.now();
  out = path.resolve(out);
  prepareOut(out);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

  await bundleEntry('src-main/cli/gpu-check.ts', path.join(out, 'gpu-check.mjs'));

  // Dawn's Node binding for this platform, as the webgpu package lays it out (webgpu.ts: dawnBinaryPath).
  const platform = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
  const webgpuDir = path.dirname(require.resolve('webgpu/package.json'));
  const dawnDir = path.join(webgpuDir, 'dist', platform);
  if (!existsSync(path.join(dawnDir, 'dawn.node'))) throw new Error(`The webgpu package has no dawn.node for ${platform} (${dawnDir})`);
  for (const f of readdirSync(dawnDir)) copyInto(path.join(dawnDir, f), path.join(out, 'dawn', platform, f));
  copyInto(path.join(webgpuDir, 'LICENSE.md'), path.join(out, 'dawn', 'LICENSE.md'));

  // The tfjs wasm binaries and the threaded build's scripts (wasm.ts reads them from FUNDUSLAB_WASM_DIR).
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  for (const f of readdirSync(path.join(wasmDir, 'dist')).filter((f) => f.endsWith('.wasm')))
    copyInto(path.join(wasmDir, 'dist', f), path.join(out, 'tfjs-backend-wasm', 'dist', f));
  for (const f of ['tfjs-backend-wasm-threaded-simd.js', 'tfjs-backend-wasm-threaded-simd.worker.js'])
    copyInto(path.join(wasmDir, 'wasm-out', f), path.join(out, 'tfjs-backend-wasm', 'wasm-out', f));

  const assets = path.join(root, 'scripts', 'gpu-check');
  copyInto(path.join(assets, 'run.mjs'), path.join(out, 'run.mjs'));
  copyInto(path.join(assets, 'run.sh'), path.join(out, 'run.sh'));
  chmodSync(path.join(out, 'run.sh'), 0o755);
  const readme = readFileSync(path.join(assets, 'README.txt'), 'utf8')
    .replaceAll('{{version}}', pkg.version)
    .replaceAll('{{platform}}', platform);
  writeFileSync(path.join(out, 'README.txt'), readme);

  const files = listFiles(out);
  const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const manifest = {
    kind: KIND,
    version: pkg.version,
    commit: gitCommit(),
    builtAt: new Date().toISOString(),
    platform,
    builtWithNode: process.version,
    bytes,
    files,
  };
  writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const folder = listFiles(out);
  const folderBytes = folder.reduce((sum, f) => sum + f.bytes, 0);
  if (folderBytes > MAX_FOLDER_BYTES)
    throw new Error(`The GPU check folder is ${(folderBytes / 2 ** 20).toFixed(1)} MB, more than ${MAX_FOLDER_BYTES / 2 ** 20} MB`);
  return { out, manifest, files: folder.length, bytes: folderBytes, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help || !values.out) {
    process.stderr.write('Usage: node scripts/gpu-check.mjs --out <dir>   (builds the portable GPU check folder; docs/gpu-check.md)\n');
    process.exit(values.help ? 0 : 2);
  }
  try {
    const { out, manifest, files, bytes, ms } = await buildGpuCheck(values.out);
    process.stdout.write(
      `GPU check for ${manifest.platform} built in ${ms} ms: ${out} (${(bytes / 2 ** 20).toFixed(1)} MB, ${files} files)\n` +
        `Copy the folder to a machine with a GPU and Node 20+, then run ./run.sh there (README.txt).\n`,
    );
  } catch (error) {
    process.stderr.write(`gpu-check: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
