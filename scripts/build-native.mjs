// Builds FundusLab's native convolution kernels (src-main/engine/native/) into
// dist/native/funduslab-native.node, a Node-API addon (loaded by src-main/engine/kernels/native/addon.ts).
// conv.c is compiled once per instruction set — AVX-512, AVX2 + FMA (x86-64) and the compiler's
// default — and addon.c picks one at load time from what the CPU supports; aug.c (the training
// augmentation's loops) once, without floating-point contraction.
//
// Runs from scripts/build.mjs (so on `npm install`). Without a C compiler (CC, cc, gcc or clang) or on
// Windows it builds nothing and says so: FundusLab then runs the wasm backend's own kernels. Exit code 0
// either way, unless --require is given (CI), which makes a missing or failed build an error.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src-main', 'engine', 'native');
const outDir = path.join(root, 'dist', 'native');
const out = path.join(outDir, 'funduslab-native.node');
const require_ = process.argv.includes('--require');

function skip(why) {
  const message = `native kernels not built: ${why}; FundusLab will use the WebAssembly kernels (slower on CPU)`;
  if (require_) {
    console.error(`build-native: ${message}`);
    process.exit(1);
  }
  console.warn(`build-native: ${message}`);
  process.exit(0);
}

if (process.platform === 'win32') skip('building on Windows is not supported yet');

function works(cc) {
  try {
    execFileSync(cc, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const cc = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean).find(works);
if (!cc) skip('no C compiler found (set CC, or install gcc or clang)');

let include;
try {
  include = path.join(path.dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include');
} catch {
  skip('the node-api-headers package is not installed');
}

const x86 = process.arch === 'x64';
const variants = [
  ...(x86
    ? [
        ['avx512', ['-DFL_VARIANT_AVX512', '-mavx512f', '-mavx512vl', '-mavx2', '-mfma']],
        ['avx2', ['-DFL_VARIANT_AVX2', '-mavx2', '-mfma']],
      ]
    : []),
  ['generic', []],
];
const common = ['-std=c11', '-O3', '-fPIC', '-Wall', '-Wextra', '-Werror', '-ffp-contract=fast', '-fvisibility=hidden', '-pthread'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'funduslab-native-'));
const started = performance.now();
try {
  const objects = [];
  for (const [name, flags] of variants) {
    const obj = path.join(tmp, `conv-${name}.o`);
    execFileSync(cc, [...common, ...flags, '-c', path.join(src, 'conv.c'), '-o', obj], { stdio: 'inherit' });
    objects.push(obj);
  }
  // The augmentation loops must round as their JavaScript twins: no fused multiply-add.
  const aug = path.join(tmp, 'aug.o');
  const exact = [...common.filter((f) => !f.startsWith('-ffp-contract')), '-ffp-contract=off'];
  execFileSync(cc, [...exact, '-c', path.join(src, 'aug.c'), '-o', aug], { stdio: 'inherit' });
  objects.push(aug);
  const addon = path.join(tmp, 'addon.o');
  execFileSync(cc, [...common, '-I', include, '-c', path.join(src, 'addon.c'), '-o', addon], {
    stdio: 'inherit',
  });
  const linked = path.join(tmp, 'funduslab-native.node');
  const linkFlags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared'];
  execFileSync(cc, [...linkFlags, '-pthread', '-o', linked, addon, ...objects, '-lm'], { stdio: 'inherit' });
  mkdirSync(outDir, { recursive: true });
  renameSync(linked, out);
} catch (err) {
  skip(`compiling with ${cc} failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(
  `build-native: ${path.relative(root, out)} (${variants.map(([n]) => n).join(', ')}) with ${cc} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
