/**
 * The portable GPU check (scripts/gpu-check.mjs, docs/gpu-check.md): the folder it builds is small, has no node_modules and
 * holds what it needs; a copy outside the repository runs the engine benchmark on wasm with a clean environment; the build
 * refuses a bundle that pulls sharp or the services; run.sh reports a failed check with a summary and a non-zero exit code.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchEngineReport } from '../../../src-main/engine/bench';
import { REPO_ROOT, tempDir } from '../../support/files';
import { buildGpuCheckCopy, removeGpuCheckCopy, runInCopy, type GpuCheckCopy } from '../../support/gpu-check';

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports?: { path: string; kind: string; external?: boolean }[] }>;
}
const script = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'gpu-check.mjs')).href)) as {
  MAX_FOLDER_BYTES: number;
  bundleProblems(metafile: Metafile): string[];
  bundleEntry(entry: string, outfile: string): Promise<Metafile>;
  listFiles(dir: string): { path: string; bytes: number }[];
};

const platform = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;

let check: GpuCheckCopy;
beforeAll(async () => {
  check = await buildGpuCheckCopy();
}, 120_000);
afterAll(() => removeGpuCheckCopy(check));

describe('the GPU check folder', () => {
  it('holds the bundle, this platform’s dawn.node, the wasm files and the check, under 60 MB and without node_modules', () => {
    const files = script.listFiles(check.built);
    expect(files.map((f) => f.path)).toEqual(
      [
        'README.txt',
        'dawn/LICENSE.md',
        `dawn/${platform}/dawn.node`,
        'gpu-check.mjs',
        'manifest.json',
        'run.mjs',
        'run.sh',
        'tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
        'tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
        'tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
        'tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
        'tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js',
      ].sort((a, b) => a.localeCompare(b)),
    );
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
    expect(bytes).toBeLessThan(60 * 2 ** 20);
    expect(script.MAX_FOLDER_BYTES).toBe(60 * 2 ** 20);
    expect(files.some((f) => f.path.split('/').includes('node_modules'))).toBe(false);
    expect(statSync(path.join(check.built, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(path.join(check.built, `dawn/${platform}/dawn.node`)).size).toBeGreaterThan(5 * 2 ** 20);

    const manifest = JSON.parse(readFileSync(path.join(check.built, 'manifest.json'), 'utf8')) as {
      kind: string;
      version: string;
      platform: string;
      bytes: number;
      files: { path: string; bytes: number }[];
    };
    expect(manifest).toMatchObject({ kind: 'funduslab-gpu-check', platform });
    expect(manifest.files).toEqual(files.filter((f) => f.path !== 'manifest.json'));
    const readme = readFileSync(path.join(check.built, 'README.txt'), 'utf8');
    expect(readme).toContain(`FundusLab GPU check ${manifest.version} (${platform})`);
    expect(readme).not.toMatch(/\{\{/);
    expect(check.buildOutput).toMatch(new RegExp(`GPU check for ${platform} built in \\d+ ms: .* \\([\\d.]+ MB, 12 files\\)`));
  });

  it('runs `bench engine` on wasm from a copy outside the repository, with a clean environment', () => {
    expect(path.relative(REPO_ROOT, check.dir).startsWith('..')).toBe(true);
    const args = 'bench engine --backends wasm --arch resnet18-w4 --size 32 --batch 1 --steps 1 --json'.split(' ');
    const r = runInCopy(check.dir, 'gpu-check.mjs', args);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchEngineReport;
    expect(report).toMatchObject({ arch: 'resnet18-w4', size: 32, batch: 1, steps: 1, skipped: [] });
    expect(report.figures.map((f) => [f.backend, f.mode, f.batch])).toEqual([
      ['wasm', 'forward', 1],
      ['wasm', 'train', 1],
    ]);
    for (const f of report.figures) {
      expect(f.msPerImage.median).toBeGreaterThan(0);
      expect(Number.isFinite(f.imagesPerSecond)).toBe(true);
      // the multi-threaded build, whose worker script is loaded from the folder's wasm-out/, runs one thread per core (at most 4)
      expect(f.threads).toBe(Math.min(os.availableParallelism(), 4));
    }
    expect(Number.isFinite(report.figures[1]!.loss)).toBe(true);
  });

  it('finds its engine files beside the bundle and lists its commands', () => {
    const r = runInCopy(check.dir, 'gpu-check.mjs', ['commands', '--json']);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { name: string }[]).map((c) => c.name)).toEqual(expect.arrayContaining(['engine', 'bench']));
    const help = runInCopy(check.dir, 'gpu-check.mjs', ['--help']);
    expect(help.stdout).toMatch(/engine[\s\S]*bench/);
    const bad = runInCopy(check.dir, 'gpu-check.mjs', ['bench', 'data', '--json']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('Only the engine benchmark is part of the GPU check');
  });

  it('run.sh exits non-zero when a check fails, with its summary in the results folder, and says where', async () => {
    const results = path.join(await tempDir('gpu-check-results'), 'results');
    const r = runInCopy(check.dir, 'run.mjs', [
      '--no-kernels',
      '--results',
      results,
      '--backends',
      'wasm',
      '--arch',
      'resnet7',
      '--size',
      '32',
    ]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`Results: ${results}`);
    for (const f of ['summary.txt', 'summary.json', 'engine.json', 'engine.log', 'bench-engine.json', 'bench-engine.log'])
      expect(existsSync(path.join(results, f)), f).toBe(true);
    const summary = JSON.parse(readFileSync(path.join(results, 'summary.json'), 'utf8')) as {
      ok: boolean;
      problems: string[];
      steps: { name: string; command?: string; exitCode?: number; skipped?: string; problems: string[] }[];
    };
    expect(summary.ok).toBe(false);
    expect(summary.steps.map((s) => s.name)).toEqual(['engine', 'bench-engine', 'kernels']);
    const bench = summary.steps[1]!;
    // the defaults the command line leaves, then its own options
    expect(bench.command).toBe('gpu-check.mjs bench engine --batch 8 --steps 3 --warmup 1 --backends wasm --arch resnet7 --size 32 --json');
    expect(bench.exitCode).toBe(1);
    expect(bench.problems).toEqual([expect.stringMatching(/^bench engine failed: .*resnet7/)]);
    expect(summary.problems).toEqual(expect.arrayContaining(bench.problems));
    expect(summary.steps[2]).toEqual({ name: 'kernels', skipped: '--no-kernels', problems: [] });
    expect(readFileSync(path.join(results, 'summary.txt'), 'utf8')).toMatch(/bench-engine\s+FAILED/);
  });

  it('refuses to build into a folder that holds something else', async () => {
    const dir = await tempDir('gpu-check-occupied');
    const keep = path.join(dir, 'keep.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(keep, 'mine'));
    const r = runInCopy(REPO_ROOT, 'scripts/gpu-check.mjs', ['--out', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is not empty and holds no GPU check');
    expect(readFileSync(keep, 'utf8')).toBe('mine');
  });
});

describe('the bundle of the GPU check', () => {
  it('contains no sharp, Electron or services module', () => {
    const bundle = readFileSync(path.join(check.built, 'gpu-check.mjs'), 'utf8');
    // esbuild heads every module of a bundle with a comment naming its file
    const modules = [...bundle.matchAll(/^\/\/ (\S+\.(?:m?js|cjs|ts|json))$/gm)].map((m) => m[1]!);
    expect(modules.length).toBeGreaterThan(100);
    expect(modules).toEqual(expect.arrayContaining(['src-main/cli/gpu-check.ts', 'src-main/engine/bench.ts']));
    expect(modules.filter((m) => /node_modules\/(sharp|@img|electron)|src-main\/(services|electron)\//.test(m))).toEqual([]);
  });

  it.each([
    ['sharp', 'test/unit/scripts/fixtures/gpu-check-imports-sharp.ts', /node_modules\/sharp\/.*must not contain sharp/],
    [
      'the services',
      'test/unit/scripts/fixtures/gpu-check-imports-services.ts',
      /src-main\/services\/study-folder\/layout\.ts: the bundle must not/,
    ],
  ])('fails the build when the import graph reaches %s', async (_what, entry, message) => {
    const outfile = path.join(await tempDir('gpu-check-bad'), 'bundle.mjs');
    await expect(script.bundleEntry(entry, outfile)).rejects.toThrow(message);
    expect(existsSync(outfile)).toBe(false);
  });

  it('counts an import left outside the bundle (one that would need node_modules) as a problem, a Node built-in not', () => {
    const metafile: Metafile = {
      inputs: { 'src-main/cli/gpu-check.ts': {} },
      outputs: {
        'gpu-check.mjs': {
          imports: [
            { path: 'node:fs', kind: 'import-statement', external: true },
            { path: 'worker_threads', kind: 'require-call', external: true },
            { path: 'sharp', kind: 'require-call', external: true },
          ],
        },
      },
    };
    expect(script.bundleProblems(metafile)).toEqual(['sharp: imported from outside the bundle (only Node built-ins may be)']);
    expect(script.bundleProblems({ inputs: { 'node_modules/electron/index.js': {} }, outputs: {} })).toEqual([
      'node_modules/electron/index.js: the bundle must not contain Electron',
    ]);
  });
});
