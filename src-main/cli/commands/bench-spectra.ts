/**
 * `funduslab bench spectra [--json] [--arch resnet50] [--size 224] [--images 256] [--batch 16]
 *   [--k 100] [--gram backend|float64] [--block F] [--bn-direct] [--verify] [--budget-mb M]
 *   [--memory-mb M] [--seed S]` — the time of the spectra of every Conv, BatchNorm and Linear layer
 * (src-main/analysis/spectra) on the active backend, split into forward passes (with copying
 * activations into feature blocks), Gram accumulation and eigenvalues, with the share of the eigen
 * computation (Gram + eigenvalues) in the total. Random weights (torchvision's initialisation,
 * seeded) and seeded random-normal images: the timings do not depend on the values. Activations are
 * stored as feature blocks of at most --budget-mb per forward pass, in memory up to --memory-mb
 * (default 6 GiB each), else in a temporary folder on disk. --block sets the features per block
 * (default capture.ts defaultBlockFeatures); --bn-direct captures BatchNorm outputs instead of
 * deriving their Gram matrices from the convs'. --verify also computes the stem's and the first
 * block's layers with the float64 reference path and reports the largest difference of the
 * backend path's eigenvalues (relative to each layer's largest) and κ.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { captureGrams, defaultBlockFeatures, spectrumLayers, type ImageFeed } from '../../analysis/spectra/capture';
import { componentCount, conditionNumber, explainedVariance } from '../../analysis/spectra/eigen';
import { computeSpectra } from '../../analysis/spectra/service';
import type { GramPrecision } from '../../analysis/spectra/gram';
import type { JobContext } from '../../job-context';
import { engineStatus, initEngine } from '../../engine/backend';
import { ResNet } from '../../engine/models/resnet';
import { archName, parseArch } from '../../engine/models/resnet-spec';
import { mixSeedPair, Rng } from '../../random/prng';
import { parseCommandArgs } from '../args';

export const BENCH_SPECTRA_USAGE =
  'funduslab bench spectra [--json] [--arch resnet50] [--size 224] [--images 256] [--batch 16] [--k 100] [--gram backend|float64] [--block F] [--bn-direct] [--verify] [--budget-mb 6144] [--memory-mb 6144] [--seed 0]';

/** Backend path vs the float64 reference on one layer (--verify). */
export interface SpectraVerifyRow {
  layer: string;
  features: number;
  /** max_i |λ_i(backend) − λ_i(float64)| / λ_1(float64). */
  maxEigenDiff: number;
  /** |κ(backend) − κ(float64)| / κ(float64) (0 when both are null). */
  kappaRelDiff: number;
}

export interface BenchSpectraReport {
  arch: string;
  size: number;
  images: number;
  batch: number;
  layers: number;
  backend: string;
  gram: GramPrecision;
  /** Features per block of the Gram step. */
  blockFeatures: number;
  /** BatchNorm Gram matrices derived from their convs' (false: captured directly, --bn-direct). */
  bnFromConv: boolean;
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
  /** --verify: the stem's and the first block's layers, backend path vs float64. */
  verify: SpectraVerifyRow[] | null;
  cpus: number;
  node: string;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new AppError('BAD_REQUEST', `--${name} must be a positive integer, got ${raw}`);
  return v;
}

export interface BenchSpectraOptions {
  arch?: string;
  size?: number;
  images?: number;
  batch?: number;
  k?: number;
  gram?: GramPrecision;
  blockFeatures?: number;
  bnFromConv?: boolean;
  verify?: boolean;
  budgetMb?: number;
  memoryMb?: number;
  seed?: number;
  onProgress?: (m: string) => void;
}

/** The stem's and the first block's layers through the backend and the float64 path (--verify). */
async function verifyLayers(
  model: ResNet,
  feed: ImageFeed,
  k: number,
  batch: number,
  block: number,
  bnFromConv: boolean,
  ctx: JobContext,
): Promise<SpectraVerifyRow[]> {
  const first = model.layout.stages[0]!.blocks[0]!.name;
  const layers = spectrumLayers(model, feed.size).filter((l) => l.name.startsWith(`${first}.`) || !l.name.includes('.'));
  const layersInReach = layers.filter((l) => l.name !== 'fc');
  const spectra = async (gramPrecision: GramPrecision) => {
    const out = new Map<string, number[]>();
    await captureGrams(model, layersInReach, feed, { batchSize: batch, blockFeatures: block, gramPrecision, bnFromConv }, ctx, (g) =>
      out.set(g.layer.name, explainedVariance(g.gram, feed.count, componentCount(k, feed.count, g.layer.features))),
    );
    return out;
  };
  const fast = await spectra('backend');
  const exact = await spectra('float64');
  return layersInReach.map((l) => {
    const a = fast.get(l.name)!;
    const b = exact.get(l.name)!;
    const top = b[0] ?? 0;
    const maxEigenDiff = top === 0 ? Math.max(0, ...a) : Math.max(0, ...a.map((v, i) => Math.abs(v - b[i]!) / top));
    const ka = conditionNumber(a).kappa;
    const kb = conditionNumber(b).kappa;
    const kappaRelDiff = ka === null && kb === null ? 0 : ka === null || kb === null ? Number.POSITIVE_INFINITY : Math.abs(ka - kb) / kb;
    return { layer: l.name, features: l.features, maxEigenDiff, kappaRelDiff };
  });
}

export async function benchSpectra(opts: BenchSpectraOptions): Promise<BenchSpectraReport> {
  const arch = opts.arch ?? 'resnet50';
  const size = opts.size ?? 224;
  const n = opts.images ?? 256;
  const batch = opts.batch ?? 16;
  const seed = opts.seed ?? 0;
  const k = opts.k ?? 100;
  const block = opts.blockFeatures ?? defaultBlockFeatures(n);
  const bnFromConv = opts.bnFromConv ?? true;
  if (n < 3) throw new AppError('BAD_REQUEST', `--images must be at least 3, got ${n}`);
  await initEngine({ preference: 'auto' });
  const model = ResNet.create(parseArch(arch, 5), { seed });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'funduslab-bench-spectra-'));
  try {
    const per = size * size * 3;
    const feed: ImageFeed = {
      count: n,
      size,
      async batch(start: number, count: number) {
        const out = new Float32Array(count * per);
        for (let i = 0; i < count; i++) {
          const rng = new Rng(mixSeedPair(seed, start + i));
          for (let j = 0; j < per; j++) out[i * per + j] = rng.normal();
        }
        return out;
      },
    };
    let last = 0;
    const ctx: JobContext = {
      progress: (d, t, m) => {
        const now = Date.now();
        if (opts.onProgress && (now - last > 5000 || d === t)) {
          last = now;
          opts.onProgress(`${d}/${t} ${m}`);
        }
      },
      log: () => {},
      signal: new AbortController().signal,
    };
    const core = await computeSpectra(
      model,
      feed,
      {
        k,
        batchSize: batch,
        gramPrecision: opts.gram ?? 'backend',
        blockFeatures: block,
        bnFromConv,
        scratchDir: scratch,
        budgetBytes: (opts.budgetMb ?? 6144) * 1024 * 1024,
        memoryBytes: (opts.memoryMb ?? 6144) * 1024 * 1024,
      },
      ctx,
    );
    const verify = opts.verify ? await verifyLayers(model, feed, k, batch, block, bnFromConv, ctx) : null;
    const t = core.timings;
    return {
      arch: archName(model.config),
      size,
      images: n,
      batch,
      layers: core.layers.length,
      backend: engineStatus()?.active ?? core.backend,
      gram: core.gramPrecision,
      blockFeatures: block,
      bnFromConv,
      forwardPasses: t.forwardPasses,
      dataMs: t.dataMs,
      forwardMs: t.forwardMs,
      gramMs: t.gramMs,
      eigenMs: t.eigenMs,
      fitMs: t.fitMs,
      totalMs: t.totalMs,
      eigenShare: (t.gramMs + t.eigenMs) / (t.forwardMs + t.gramMs + t.eigenMs),
      firstLayerKappa: core.layers[0]!.kappa,
      verify,
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
    block: { type: 'string' },
    'bn-direct': { type: 'boolean', default: false },
    verify: { type: 'boolean', default: false },
    'budget-mb': { type: 'string' },
    'memory-mb': { type: 'string' },
    seed: { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'spectra')) {
    throw new AppError('BAD_REQUEST', `Unexpected argument(s) ${positionals.join(' ')}. Usage: ${BENCH_SPECTRA_USAGE}`);
  }
  if (values.gram !== undefined && values.gram !== 'backend' && values.gram !== 'float64')
    throw new AppError('BAD_REQUEST', `--gram must be backend or float64, got ${values.gram}`);
  const report = await benchSpectra({
    arch: values.arch,
    size: positiveInt('size', values.size, 224),
    images: positiveInt('images', values.images, 256),
    batch: positiveInt('batch', values.batch, 16),
    k: positiveInt('k', values.k, 100),
    gram: values.gram as GramPrecision | undefined,
    blockFeatures: values.block === undefined ? undefined : positiveInt('block', values.block, 1),
    bnFromConv: !values['bn-direct'],
    verify: values.verify,
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
        `  Gram matrices   ${s(report.gramMs).padStart(9)}  (${report.gram} block products, blocks of ${report.blockFeatures} features, BatchNorms ${report.bnFromConv ? 'from their convs' : 'captured directly'})`,
        `  eigenvalues     ${s(report.eigenMs).padStart(9)}`,
        `  eigen share     ${(100 * report.eigenShare).toFixed(1).padStart(7)} %  ((Gram + eigenvalues) / (forward + Gram + eigenvalues))`,
        `  images ${s(report.dataMs)}, first-layer fits ${s(report.fitMs)}, total ${s(report.totalMs)}`,
        ...(report.verify
          ? [
              '  backend path vs float64 (--verify): max |Δλ| / λ₁, |Δκ| / κ',
              ...report.verify.map(
                (v) =>
                  `    ${v.layer.padEnd(24)} ${String(v.features).padStart(8)} features  ${v.maxEigenDiff.toExponential(2)}  ${v.kappaRelDiff.toExponential(2)}`,
              ),
            ]
          : []),
      ].join('\n') + '\n',
    );
  }
  return 0;
}
