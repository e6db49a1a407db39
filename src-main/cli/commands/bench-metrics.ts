/**
 * `funduslab bench metrics [--json] [--n N] [--prevalence P] [--runs R] [--replicates B] [--seed S]` —
 * time of the referable-DR metrics at the EyePACS test-set size (default n = 53,576, 20 % referable,
 * scores rounded to 1e-4 so ties are as in exported probabilities; seeded synthetic data): ROC AUC,
 * AUC + DeLong 95 % CI, the paired DeLong test of two models, and the stratified bootstrap
 * (B = 2000 by default, single model and paired). Each figure is the median of R runs (default 7;
 * bootstrap: min(R, 3)) after one warm-up run.
 */
import os from 'node:os';
import { AppError } from '../../../src-shared/errors';
import { bootstrapAuc, delongCi, pairedBootstrapAuc, pairedDelongTest, rocAuc, syntheticScores } from '../../services/evaluation/metrics';
import { parseCommandArgs } from '../args';

export interface BenchMetricsFigure {
  name: string;
  /** Median wall time in milliseconds. */
  medianMs: number;
  runs: number;
  result: Record<string, number>;
}

export interface BenchMetricsReport {
  n: number;
  positives: number;
  prevalence: number;
  distinctScores: number;
  replicates: number;
  seed: number;
  cpus: number;
  node: string;
  figures: BenchMetricsFigure[];
}

function positiveNumber(name: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    throw new AppError('BAD_REQUEST', `--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
  return v;
}

function time<T>(runs: number, f: () => T): { medianMs: number; value: T } {
  let value = f(); // warm-up
  const ms: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    value = f();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const mid = ms.length >> 1;
  return { medianMs: ms.length % 2 ? ms[mid]! : (ms[mid - 1]! + ms[mid]!) / 2, value };
}

export async function runBenchMetrics(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    n: { type: 'string' },
    prevalence: { type: 'string' },
    runs: { type: 'string' },
    replicates: { type: 'string' },
    seed: { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'metrics')) {
    throw new AppError('BAD_REQUEST', `Unexpected argument(s) ${positionals.join(' ')} for "bench metrics".`);
  }
  const n = positiveNumber('n', values.n, 53_576, true);
  const prevalence = positiveNumber('prevalence', values.prevalence, 0.2, false);
  if (prevalence >= 1) throw new AppError('BAD_REQUEST', `--prevalence must be in (0, 1), got ${prevalence}`);
  const runs = positiveNumber('runs', values.runs, 7, true);
  const replicates = positiveNumber('replicates', values.replicates, 2000, true);
  const seed = values.seed === undefined ? 2022 : Math.trunc(Number(values.seed));
  if (!Number.isFinite(seed)) throw new AppError('BAD_REQUEST', `--seed must be an integer, got ${values.seed}`);

  const { labels, a, b } = syntheticScores(n, { prevalence, decimals: 4, seed });
  const positives = labels.reduce((s, y) => s + y, 0);
  const figures: BenchMetricsFigure[] = [];
  {
    const t = time(runs, () => rocAuc(labels, a));
    figures.push({ name: 'ROC AUC', medianMs: t.medianMs, runs, result: { auc: t.value } });
  }
  {
    const t = time(runs, () => delongCi(labels, a));
    figures.push({
      name: 'AUC + DeLong 95% CI',
      medianMs: t.medianMs,
      runs,
      result: { auc: t.value.auc, se: t.value.se, lower: t.value.lower, upper: t.value.upper },
    });
  }
  {
    const t = time(runs, () => pairedDelongTest(labels, a, b));
    figures.push({
      name: 'paired DeLong test',
      medianMs: t.medianMs,
      runs,
      result: { aucA: t.value.aucA, aucB: t.value.aucB, z: t.value.z, p: t.value.p },
    });
  }
  const bootRuns = Math.min(runs, 3);
  {
    const t = time(bootRuns, () => bootstrapAuc(labels, a, { replicates, seed }));
    figures.push({
      name: `bootstrap CI, B = ${replicates}`,
      medianMs: t.medianMs,
      runs: bootRuns,
      result: { lower: t.value.lower, upper: t.value.upper, sd: t.value.sd },
    });
  }
  {
    const t = time(bootRuns, () => pairedBootstrapAuc(labels, a, b, { replicates, seed }));
    figures.push({
      name: `paired bootstrap CI, B = ${replicates}`,
      medianMs: t.medianMs,
      runs: bootRuns,
      result: { difference: t.value.estimate, lower: t.value.lower, upper: t.value.upper },
    });
  }
  const report: BenchMetricsReport = {
    n,
    positives,
    prevalence,
    distinctScores: new Set(a).size,
    replicates,
    seed,
    cpus: os.availableParallelism(),
    node: process.version,
    figures,
  };
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: report }, null, 2) + '\n');
  else {
    const lines = [
      `Referable-DR metrics on ${n} synthetic scores (${positives} referable, ${report.distinctScores} distinct values; Node ${report.node}, ${report.cpus} CPUs):`,
    ];
    for (const f of figures) {
      const res = Object.entries(f.result)
        .map(([k, v]) => `${k} ${k === 'p' ? v.toExponential(2) : v.toFixed(4)}`)
        .join(', ');
      lines.push(`  ${f.name.padEnd(30)} ${f.medianMs.toFixed(1).padStart(8)} ms  (median of ${f.runs}; ${res})`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}
