/**
 * `funduslab bench spectra [--json] [--arch resnet50] [--size 224] [--images 256] [--batch 16]
 *   [--k 100] [--gram backend|float64] [--budget-mb M] [--seed S]` — the time of the spectra of
 * every Conv, BatchNorm and Linear layer (src-main/analysis/spectra) on the active backend, split
 * into forward passes (with copying activations into feature blocks), Gram accumulation and
 * eigenvalues, with the share of the eigen computation (Gram + eigenvalues) in the total. Random
 * weights (torchvision's initialisation, seeded) and seeded random-normal images: the timings do not
 * depend on the values. Activations are stored as feature blocks of at most --budget-mb per forward
 * pass, in memory up to --memory-mb (default 6 GiB each), else in a temporary folder on disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { computeSpectra } from '../../analysis/spectra/service';
import type { GramPrecision } from '../../analysis/spectra/gram';
import { engineStatus, initEngine } from '../../engine/backend';
import { ResNet } from '../../engine/models/resnet';
import { archName, parseArch } from '../../engine/models/resnet-spec';
import { mixSeed, Rng } from '../../random/prng';
import { parseCommandArgs } from '../args';

export const BENCH_SPECTRA_USAGE = 'funduslab bench spectra [--json] [--arch resnet50] [--size 224] [--images 256] [--batch 16] [--k 100] [--gram backend|float64] [--budget-mb 6144] [--memory-mb 6144] [--seed 0]';

export interface BenchSpectraReport {
  arch: string;
  size: number;
  images: number;
  batch: number;
  layers: number;
  backend: string;
  gram: GramPrecision;
  forwardPasses: number;
  dataMs: number;
  forwardMs: number;
  gramMs: number;
  eigenMs: number;
  fitMs: number;
  totalMs: number;
  /** (Gram + eigenvalues) / (forward + Gram + eigenvalues). */
  eigenShare: number;
  firstLayerKappa: number | null;
  cpus: number;
  node: string;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new AppError('BAD_REQUEST', `--${name} must be a positive integer, got ${raw}`);
  return v;
}

export async function benchSpectra(opts: { arch?: string; size?: number; images?: number; batch?: number; k?: number; gram?: GramPrecision; budgetMb?: number; memoryMb?: number; seed?: number; onProgress?: (m: string) => void }): Promise<BenchSpectraReport> {
  const arch = opts.arch ?? 'resnet50';
  const size = opts.size ?? 224;
  const n = opts.images ?? 256;
  const batch = opts.batch ?? 16;
  const seed = opts.seed ?? 0;
  if (n < 3) throw new AppError('BAD_REQUEST', `--images must be at least 3, got ${n}`);
  await initEngine({ preference: 'auto' });
  const model = ResNet.create(parseArch(arch, 5), { seed });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'funduslab-bench-spectra-'));
  try {
    const per = size * size * 3;
    const feed = {
      count: n,
      size,
      async batch(start: number, count: number) {
        const out = new Float32Array(count * per);
        for (let i = 0; i < count; i++) {
          const rng = new Rng(mixSeed(seed, start + i));
          for (let j = 0; j < per; j++) out[i * per + j] = rng.normal();
        }
        return out;
      },
    };
    let last = 0;
    const core = await computeSpectra(
      model,
      feed,
      { k: opts.k ?? 100, batchSize: batch, gramPrecision: opts.gram ?? 'backend', scratchDir: scratch, budgetBytes: (opts.budgetMb ?? 6144) * 1024 * 1024, memoryBytes: (opts.memoryMb ?? 6144) * 1024 * 1024 },
      {
        progress: (d, t, m) => {
          const now = Date.now();
          if (opts.onProgress && (now - last > 5000 || d === t)) {
            last = now;
            opts.onProgress(`${d}/${t} ${m}`);
          }
        },
        log: () => {},
        signal: new AbortController().signal,
      },
    );
    const t = core.timings;
    return {
      arch: archName(model.config),
      size,
      images: n,
      batch,
      layers: core.layers.length,
      backend: engineStatus()?.active ?? core.backend,
      gram: core.gramPrecision,
      forwardPasses: t.forwardPasses,
      dataMs: t.dataMs,
      forwardMs: t.forwardMs,
      gramMs: t.gramMs,
      eigenMs: t.eigenMs,
      fitMs: t.fitMs,
      totalMs: t.totalMs,
      eigenShare: (t.gramMs + t.eigenMs) / (t.forwardMs + t.gramMs + t.eigenMs),
      firstLayerKappa: core.layers[0]!.kappa,
      cpus: os.availableParallelism(),
      node: process.version,
    };
  } finally {
    model.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function runBenchSpectra(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    arch: { type: 'string' },
    size: { type: 'string' },
    images: { type: 'string' },
    batch: { type: 'string' },
    k: { type: 'string' },
    gram: { type: 'string' },
    'budget-mb': { type: 'string' },
    'memory-mb': { type: 'string' },
    seed: { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'spectra')) {
    throw new AppError('BAD_REQUEST', `Unexpected argument(s) ${positionals.join(' ')}. Usage: ${BENCH_SPECTRA_USAGE}`);
  }
  if (values.gram !== undefined && values.gram !== 'backend' && values.gram !== 'float64') throw new AppError('BAD_REQUEST', `--gram must be backend or float64, got ${values.gram}`);
  const report = await benchSpectra({
    arch: values.arch,
    size: positiveInt('size', values.size, 224),
    images: positiveInt('images', values.images, 256),
    batch: positiveInt('batch', values.batch, 16),
    k: positiveInt('k', values.k, 100),
    gram: values.gram as GramPrecision | undefined,
    budgetMb: values['budget-mb'] === undefined ? undefined : positiveInt('budget-mb', values['budget-mb'], 6144),
    memoryMb: values['memory-mb'] === undefined ? undefined : Number(values['memory-mb']),
    seed: values.seed === undefined ? 0 : positiveInt('seed', values.seed, 0),
    onProgress: values.json ? undefined : (m) => process.stderr.write(`bench spectra: ${m}\n`),
  });
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: report }, null, 2) + '\n');
  else {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    process.stdout.write(
      [
        `Spectra of ${report.layers} layers of ${report.arch} at ${report.size} px, N = ${report.images} images (batches of ${report.batch}) on ${report.backend} (Node ${report.node}, ${report.cpus} CPUs):`,
        `  forward passes  ${s(report.forwardMs).padStart(9)}  (${report.forwardPasses} pass${report.forwardPasses === 1 ? '' : 'es'}, incl. copying activations to feature blocks)`,
        `  Gram matrices   ${s(report.gramMs).padStart(9)}  (${report.gram} block products)`,
        `  eigenvalues     ${s(report.eigenMs).padStart(9)}`,
        `  eigen share     ${(100 * report.eigenShare).toFixed(1).padStart(7)} %  ((Gram + eigenvalues) / (forward + Gram + eigenvalues))`,
        `  images ${s(report.dataMs)}, first-layer fits ${s(report.fitMs)}, total ${s(report.totalMs)}`,
      ].join('\n') + '\n',
    );
  }
  return 0;
}
