/**
 * wasm threads: one per core by default (up to 4), FUNDUSLAB_WASM_THREADS overrides it; and the
 * default really runs multi-threaded — `funduslab doctor` in a child process without the variable
 * (the test suite itself sets it to 1) reports the threads and passes its training self-test,
 * whose gradients are compared with the JavaScript CPU backend.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_WASM_THREADS, wantedWasmThreads } from '../../../src-main/engine/backend';
import { REPO_ROOT } from '../../support/files';

describe('wasm threads', () => {
  it('defaults to one per core, at most 4; the variable overrides it and is checked', () => {
    expect(wantedWasmThreads({}, 1).threads).toBe(1);
    expect(wantedWasmThreads({}, 2)).toEqual({ threads: 2, why: 'one per core (2; FUNDUSLAB_WASM_THREADS=1 turns it off)' });
    expect(wantedWasmThreads({}, 32).threads).toBe(DEFAULT_MAX_WASM_THREADS);
    expect(wantedWasmThreads({ FUNDUSLAB_WASM_THREADS: '1' }, 8).threads).toBe(1);
    expect(wantedWasmThreads({ FUNDUSLAB_WASM_THREADS: ' 3 ' }, 2).threads).toBe(3);
    expect(() => wantedWasmThreads({ FUNDUSLAB_WASM_THREADS: '9' }, 2)).toThrow(
      'FUNDUSLAB_WASM_THREADS="9" must be an integer from 1 to 8',
    );
    expect(() => wantedWasmThreads({ FUNDUSLAB_WASM_THREADS: 'two' }, 2)).toThrow(/must be an integer/);
  });

  it('the default runs the wasm backend multi-threaded and its training self-test passes', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, FUNDUSLAB_BACKEND: 'wasm' }; // also where a native backend is installed
    delete env.FUNDUSLAB_WASM_THREADS;
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'funduslab.js'), 'doctor', '--json'], {
      env,
      timeout: 120_000,
    });
    const report = JSON.parse(stdout) as {
      engine: { active: string; threads: number };
      selfTest: { passed: boolean; gradientMaxRelDiffVsCpu: number | null };
    };
    expect(report.engine.active).toBe('wasm');
    expect(report.engine.threads).toBe(Math.min(os.availableParallelism(), DEFAULT_MAX_WASM_THREADS));
    expect(report.selfTest.passed).toBe(true);
    expect(report.selfTest.gradientMaxRelDiffVsCpu).toBeLessThan(1e-4);
  }, 150_000);
});
