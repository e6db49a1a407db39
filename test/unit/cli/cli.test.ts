/** The `funduslab` command as a user runs it: the built bin, a real process. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DoctorReport } from '../../../src-shared/engine';
import { REPO_ROOT } from '../../support/files';
import { nativeKernels } from '../../../src-main/engine/kernels/native/addon';

const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'bin', 'funduslab.js');

async function funduslab(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('funduslab CLI', () => {
  it('--help lists the commands; an unknown command exits 2 with help', async () => {
    const help = await funduslab(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/doctor/);
    expect(help.stdout).toMatch(/browser/);
    const unknown = await funduslab(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('doctor --json prints a valid report with a passing self-test on the active backend', async () => {
    const result = await funduslab(['doctor', '--json', '--size', '16', '--batch', '2', '--steps', '3']);
    expect(result.code, result.stderr).toBe(0);
    const report = DoctorReport.parse(JSON.parse(result.stdout));
    expect(report.selfTest.passed).toBe(true);
    expect(report.selfTest.backend).toBe(report.engine.active);
    expect(report.selfTest.lossLast).toBeLessThan(report.selfTest.lossFirst);
    expect(report.versions.tfjs).toBe('4.22.0');
    expect(report.cpu.threads).toBeGreaterThan(0);
  });

  it('doctor in text mode names the active backend and why the better ones are not used', async () => {
    const result = await funduslab(['doctor', '--size', '16', '--batch', '2', '--steps', '2'], { FUNDUSLAB_BACKEND: 'cpu' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/cpu/);
    expect(result.stdout).toMatch(/FUNDUSLAB_BACKEND/);
  });

  it('bad options and a bad FUNDUSLAB_BACKEND give clear errors', async () => {
    const badSteps = await funduslab(['doctor', '--json', '--steps', '100000']);
    expect(badSteps.code).toBe(1);
    expect(JSON.parse(badSteps.stdout)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(badSteps.stderr).toMatch(/steps/);
    const badFlag = await funduslab(['doctor', '--bogus']);
    expect(badFlag.code).toBe(2);
    const badBackend = await funduslab(['doctor', '--json'], { FUNDUSLAB_BACKEND: 'quantum' });
    expect(badBackend.code).toBe(1);
    expect(badBackend.stderr).toMatch(/FUNDUSLAB_BACKEND/);
    expect(badBackend.stderr).toMatch(/wasm/);
  });
});

describe('funduslab bench train', () => {
  it('measures FS, CL and the model-only baseline on the real pipeline (tiny settings)', async () => {
    const result = await funduslab([
      'bench',
      'train',
      '--json',
      '--arch',
      'resnet18-w8',
      '--size',
      '32',
      '--batch',
      '4',
      '--patients',
      '8',
      '--epochs',
      '1',
      '--augment-baseline',
      '--rounds',
      '1',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout).value as {
      figures: { phase: string; imagesPerSecond: number; stallFraction: number | null; vsModelOnly: number }[];
      images: number;
      learningCheck: { seconds: number; shareOfPretraining: number } | null;
      notes: string[];
      augmentBaseline: { rounds: number; phases: { phase: string; native: number[]; javascript: number[]; medianRatio: number }[] } | null;
    };
    // one alternating round: FS and CL with the native and with the JavaScript augmentation loops
    expect(report.augmentBaseline!.rounds).toBe(1);
    expect(report.augmentBaseline!.phases.map((p) => p.phase)).toEqual(['FS', 'CL']);
    for (const p of report.augmentBaseline!.phases) {
      expect(p.native).toHaveLength(1);
      expect(p.javascript).toHaveLength(1);
      expect(p.native[0]).toBeGreaterThan(0);
      expect(p.medianRatio).toBeCloseTo(p.native[0]! / p.javascript[0]!, 10);
    }
    expect(report.images).toBe(16);
    // which loops augmented (the child process uses the native addon whenever it is built)
    expect(report.notes).toContain(
      nativeKernels()
        ? 'Augmentation: native loops, 1 worker thread (FUNDUSLAB_AUGMENT_WORKERS).'
        : expect.stringMatching(/^Augmentation: JavaScript loops, 1 worker thread/),
    );
    expect(report.learningCheck!.seconds).toBeGreaterThanOrEqual(0);
    expect(report.learningCheck!.shareOfPretraining).toBeGreaterThanOrEqual(0);
    expect(report.learningCheck!.shareOfPretraining).toBeLessThan(1);
    expect(report.figures.map((f) => f.phase)).toEqual(['model only', 'FS', 'CL']);
    for (const f of report.figures) {
      expect(f.imagesPerSecond).toBeGreaterThan(0);
      if (f.phase !== 'model only') {
        expect(f.stallFraction).toBeGreaterThanOrEqual(0);
        expect(f.stallFraction).toBeLessThanOrEqual(1);
      }
      expect(f.vsModelOnly).toBeCloseTo(f.imagesPerSecond / report.figures[0]!.imagesPerSecond, 10);
    }
  }, 180_000);

  it('refuses --rounds without --augment-baseline, before any work', async () => {
    const result = await funduslab(['bench', 'train', '--rounds', '2']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--rounds goes with --augment-baseline/);
  });
});
