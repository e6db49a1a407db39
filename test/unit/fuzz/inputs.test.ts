/**
 * Fuzzing the readers of untrusted input: `.pth` (zip and legacy pickle), safetensors, the image and
 * mask decoding of an import (PNG, JPEG, TIFF) and label CSVs, mutated by fast-check with a fixed seed
 * and a fixed number of cases (fuzz-inputs.ts). The loop runs in a child process: every case must
 * end with a result or the reader's documented error naming the file, each within 5 s, the whole
 * loop within 50 s, and the child's peak RSS must stay under 1 GB.
 *
 * Inputs the fuzzing found are kept below as regression tests.
 */
import { spawn } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parseWeightBytes } from '../../../src-main/engine/weights/read';
import { AppError } from '../../../src-shared/errors';
import type { FuzzSummary } from './fuzz-inputs';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const GOLDEN = path.join(ROOT, 'test/golden/resnet');
const OUT = path.join(ROOT, 'test-artifacts', 'fuzz');
/** Cases per format (seven formats) and the seed: fixed, so every run tries the same inputs. */
const RUNS = 500;
const SEED = 23;
const LOOP_DEADLINE_MS = 50_000;
const GB = 1024 ** 3;

describe('fuzzed inputs', () => {
  it(`${RUNS} mutations of each format: no crash, no hang, bounded memory, errors name the file`, async () => {
    await fsp.mkdir(OUT, { recursive: true });
    const script = path.join(OUT, 'fuzz-inputs.mjs');
    // Bundled inside the repository, so its packages resolve from node_modules.
    await build({
      entryPoints: [path.join(import.meta.dirname, 'fuzz-inputs.ts')],
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const progress = path.join(OUT, 'progress.txt');
    const child = spawn(process.execPath, [script, String(RUNS), String(SEED)], {
      env: { ...process.env, FUZZ_GOLDEN: GOLDEN, FUZZ_PROGRESS: progress },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, LOOP_DEADLINE_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    if (killed) {
      const last = readFileSync(progress, 'utf8').trim().split('\n').at(-1);
      expect.fail(`the fuzz loop did not finish within ${LOOP_DEADLINE_MS} ms; the case running: ${last}`);
    }
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as FuzzSummary;
    expect(Object.values(summary.cases)).toEqual(Array.from({ length: 7 }, () => RUNS));
    expect(summary.failures).toEqual([]);
    expect(summary.maxRssBytes).toBeGreaterThan(0);
    expect(summary.maxRssBytes).toBeLessThan(GB);
  });
});

describe('inputs the fuzzing found', () => {
  /** The legacy fixture with some bits flipped (bit, byte). */
  function flipped(flips: [number, number][]): Uint8Array {
    const bytes = readFileSync(path.join(GOLDEN, 'dtypes_legacy.pt'));
    for (const [bit, at] of flips) bytes[at]! ^= 1 << bit;
    return bytes;
  }

  // Errors of the torch reconstructors called by a legacy pickle said "Pickle: …" without the file.
  it.each([
    [
      [
        [2, 1301],
        [2, 1725],
        [5, 1330],
        [7, 923],
        [3, 661],
      ],
      'tensor stride must be a tuple of integers',
    ],
    [
      [
        [2, 114],
        [0, 1123],
        [4, 1111],
        [5, 1621],
        [4, 937],
        [0, 1778],
      ],
      'unsupported dict key type',
    ],
    [
      [
        [6, 1894],
        [2, 1700],
        [4, 867],
        [3, 563],
      ],
      'storage offset must be an integer',
    ],
    [
      [
        [4, 1860],
        [2, 655],
        [7, 120],
        [0, 1294],
        [3, 1799],
      ],
      'tensor size must be an integer',
    ],
  ] as [[number, number][], string][])('a legacy .pth whose pickle breaks a reconstructor (case %#)', (flips, reason) => {
    let error: unknown;
    try {
      parseWeightBytes(flipped(flips), '/data/found.pth');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(new RegExp(`^found\\.pth: ${reason} \\(byte \\d+\\)$`));
  });
});
