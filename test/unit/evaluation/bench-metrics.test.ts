/** `funduslab bench metrics` (runBenchMetrics) on a small n: JSON envelope, figures, argument errors. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBenchMetrics, type BenchMetricsReport } from '../../../src-main/cli/commands/bench-metrics';

describe('runBenchMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--json prints { ok, value } with the five timed figures', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await runBenchMetrics(['--json', '--n', '2000', '--runs', '1', '--replicates', '20'])).toBe(0);
    const parsed = JSON.parse(out) as { ok: boolean; value: BenchMetricsReport };
    expect(parsed.ok).toBe(true);
    expect(parsed.value.n).toBe(2000);
    expect(parsed.value.figures.map((f) => f.name)).toEqual([
      'ROC AUC',
      'AUC + DeLong 95% CI',
      'paired DeLong test',
      'bootstrap CI, B = 20',
      'paired bootstrap CI, B = 20',
    ]);
    for (const f of parsed.value.figures) expect(f.medianMs).toBeGreaterThanOrEqual(0);
    expect(parsed.value.figures[1]!.result.auc).toBe(parsed.value.figures[0]!.result.auc);
  });

  it('rejects bad arguments', async () => {
    await expect(runBenchMetrics(['--n=-3'])).rejects.toThrow(/--n must be a positive integer/);
    await expect(runBenchMetrics(['--prevalence', '1.5'])).rejects.toThrow(/--prevalence must be in \(0, 1\)/);
    await expect(runBenchMetrics(['data'])).rejects.toThrow(/Unexpected argument/);
  });
});
