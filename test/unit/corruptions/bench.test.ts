/**
 * `funduslab bench corruptions` at a tiny size: the report covers every corruption and severity with
 * positive times, images/s consistent with ms/image, and bad options are refused naming the option.
 * (The figures themselves are measured by running the benchmark, not here.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { CORRUPTION_NAMES } from '../../../src-main/analysis/corruptions/index';
import { runBenchCorruptions, type BenchCorruptionsReport } from '../../../src-main/cli/commands/bench-corruptions';

afterEach(() => vi.restoreAllMocks());

describe('bench corruptions', () => {
  it('reports all 19 corruptions x 5 severities with consistent figures (--json)', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const code = await runBenchCorruptions(['corruptions', '--json', '--size', '32', '--images', '1', '--rounds', '1']);
    expect(code).toBe(0);
    const report = (JSON.parse(out) as { ok: boolean; value: BenchCorruptionsReport }).value;
    expect(report.size).toBe(32);
    expect(report.figures.map((f) => f.name)).toEqual([...CORRUPTION_NAMES]);
    for (const f of report.figures) {
      expect(f.msPerImage).toHaveLength(5);
      for (const ms of f.msPerImage) expect(ms).toBeGreaterThan(0);
      expect(f.severity3.msPerImage).toBe(f.msPerImage[2]);
      expect(f.severity3.imagesPerSecond).toBeCloseTo(1000 / f.msPerImage[2]!, 6);
      expect(f.allSeverities.msPerImage).toBeCloseTo(f.msPerImage.reduce((a, b) => a + b, 0) / 5, 9);
      expect(f.allSeverities.slowestSeverity).toBe(f.msPerImage.indexOf(Math.max(...f.msPerImage)) + 1);
    }
    const total = report.figures.reduce((a, f) => a + f.msPerImage.reduce((x, y) => x + y, 0), 0);
    expect(report.allPairsMsPerImage).toBeCloseTo(total, 6);
    expect(report.referenceSlowShare).toBeGreaterThan(0);
    expect(report.referenceSlowShare).toBeLessThan(1);
    expect(report.baselines.copy.msPerImage).toBeGreaterThan(0);
  });

  it.each([
    ['size', ['--size', '16']],
    ['images', ['--images', '0']],
    ['rounds', ['--rounds', 'x']],
    ['seed', ['--seed', '1.5']],
  ])('refuses a bad --%s', async (field, args) => {
    const err = await runBenchCorruptions(args).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).issues?.[0]?.path).toBe(field);
  });
});
