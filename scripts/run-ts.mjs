// Bundles a TypeScript script of scripts/ into dist/ and runs it with the given arguments (the bench-*.mjs launchers).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles scripts/<name>.ts to dist/<name>.js, runs it with `args` and sets the exit code to its. */
export async function runTsScript(name, args) {
  const outfile = path.join(root, 'dist', `${name}.js`);
  await build({
    absWorkingDir: root,
    entryPoints: [`scripts/${name}.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __flCreateRequire } from 'node:module'; const require = __flCreateRequire(import.meta.url);" },
  });
  process.exitCode = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit' }).status ?? 1;
}
