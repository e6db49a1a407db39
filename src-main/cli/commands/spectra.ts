/**
 * `funduslab spectra --study <dir> --run <id> --dataset <id> [--images N] [--k K] [--split test|train|all]
 *   [--seed S] [--batch B] [--json]` — the representation analysis of a trained run (paper Fig 3a,
 * Fig 3b, Table 2): κ of every Conv/BatchNorm/Linear layer and the first-layer spectrum with its
 * kurtosis and distribution fits; writes spectra/<run-id>__<dataset-id>/result.json in the study.
 * Progress goes to stderr; the result to stdout (`{"ok": true, "value": SpectraResult}` with --json).
 */
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import type { SpectraRequestInput, SpectraResult } from '../../../src-shared/spectra';
import { runSpectra } from '../../analysis/spectra/service';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { studyLayout } from '../../services/study-folder/layout';
import { withStudyLock } from '../../services/study-folder/lock';

export const SPECTRA_USAGE =
  'funduslab spectra --study <dir> --run <id> --dataset <id> [--images N] [--k K] [--split test|train|all] [--seed S] [--batch B] [--json]';

function intOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v))
    throw new AppError('BAD_REQUEST', `--${name} must be an integer, got "${raw}"`, [{ path: name, message: 'integer expected' }]);
  return v;
}

export async function runSpectraCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    study: { type: 'string' },
    run: { type: 'string' },
    dataset: { type: 'string' },
    images: { type: 'string' },
    k: { type: 'string' },
    split: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
  });
  if (positionals.length > 0) throw new AppError('BAD_REQUEST', `Unexpected argument(s) ${positionals.join(' ')}. Usage: ${SPECTRA_USAGE}`);
  const missing = (['study', 'run', 'dataset'] as const).filter((k) => !values[k]);
  if (missing.length > 0)
    throw new AppError(
      'BAD_REQUEST',
      `Usage: ${SPECTRA_USAGE}`,
      missing.map((k) => ({ path: k, message: `give --${k}` })),
    );
  const request: SpectraRequestInput = {
    runId: values.run!,
    datasetId: values.dataset!,
    ...(values.images !== undefined ? { images: intOption('images', values.images) } : {}),
    ...(values.k !== undefined ? { k: intOption('k', values.k) } : {}),
    ...(values.seed !== undefined ? { seed: intOption('seed', values.seed) } : {}),
    ...(values.batch !== undefined ? { batchSize: intOption('batch', values.batch) } : {}),
    ...(values.split !== undefined ? { split: values.split as SpectraRequestInput['split'] } : {}),
  };
  const ctx = cliContext('spectra', values.json);
  const study = path.resolve(values.study!);
  const result = await withStudyLock(study, 'funduslab spectra', () => runSpectra(request, study, ctx)).finally(ctx.end);
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: result }, null, 2) + '\n');
  else process.stdout.write(formatSpectra(result, path.resolve(values.study!)) + '\n');
  return 0;
}

export function formatSpectra(r: SpectraResult, study: string): string {
  const t = r.timings;
  const lines = [
    `Spectra of run ${r.run.runId} (${r.run.strategy}, ${r.run.arch}) on ${r.n} images of ${r.dataset.datasetId} (split ${r.dataset.split}), k = ${r.k}, κ = |P${r.percentiles.high}(λ)| / |P${r.percentiles.low}(λ)|, backend ${r.backend}`,
    `  layer                          kind    features      κ`,
    ...r.layers.map(
      (l) =>
        `  ${l.name.padEnd(30)} ${l.kind.padEnd(6)} ${String(l.features).padStart(9)}  ${l.kappa === null ? 'n/a' : l.kappa.toFixed(3)}`,
    ),
    `First layer (${r.firstLayer.layer}): kurtosis (Fisher, mirrored) ${r.firstLayer.kurtosis.toFixed(3)}; best fit ${r.firstLayer.best ?? 'none'}; Pareto α ${r.firstLayer.paretoAlpha === null ? 'n/a' : r.firstLayer.paretoAlpha.toPrecision(4)}`,
    ...r.firstLayer.fits.map(
      (f) =>
        `  ${f.distribution.padEnd(11)} RSS ${f.rss.toExponential(3)}  ${f.names.map((n, i) => `${n}=${f.params[i]!.toPrecision(4)}`).join(' ')}`,
    ),
    `Time: forward ${(t.forwardMs / 1000).toFixed(1)} s (${t.forwardPasses} pass${t.forwardPasses === 1 ? '' : 'es'}), Gram ${(t.gramMs / 1000).toFixed(1)} s, eigen ${(t.eigenMs / 1000).toFixed(1)} s, images ${(t.dataMs / 1000).toFixed(1)} s, fits ${(t.fitMs / 1000).toFixed(1)} s`,
    `Result: ${studyLayout(study).result('spectra', r.name).result}`,
  ];
  return lines.join('\n');
}
