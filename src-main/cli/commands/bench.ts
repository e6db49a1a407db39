import { AppError } from '../../../src-shared/errors';
import { runBenchData } from './bench-data';
import { runBenchImport } from './bench-import';
import { runBenchEngine } from './bench-engine';
import { runBenchMetrics } from './bench-metrics';
import { runBenchTrain } from './bench-train';
import { runBenchSpectra } from './bench-spectra';
import { runBenchLrp } from './bench-lrp';
import { runBenchCorruptions } from './bench-corruptions';

/** Benchmarks, one per subsystem; each prints its figures (and --json). */
const BENCHES: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  data: { summary: 'dataset preprocessing throughput (images/s) on the real EyePACS and IDRiD samples', run: runBenchData },
  import: {
    summary:
      'an import at scale: N synthetic camera-sized JPEGs (--images, default 10000) imported at the default settings, with images/s and the cache bytes per image (target ≤ 150 kB)',
    run: runBenchImport,
  },
  engine: {
    summary: 'ResNet forward and training step (images/s, ms/image) on every available backend, with ratios against the JS cpu backend',
    run: runBenchEngine,
  },
  train: {
    summary:
      'training throughput with the real data pipeline: FS steps, MoCo v2 (CL) steps and a model-only baseline (images/s, data stall share)',
    run: runBenchTrain,
  },
  spectra: {
    summary:
      'spectra of every layer of ResNet50 at 224 px (N = 256 images by default, --images for fewer): forward passes vs Gram + eigenvalues, with the eigen share',
    run: runBenchSpectra,
  },
  lrp: {
    summary:
      'one LRP-α1β0 heatmap (ResNet50 at 224 px) against a forward+backward pass (gradient w.r.t. the input) on the same backend, with their ratio (target ≤ 3×)',
    run: runBenchLrp,
  },
  corruptions: {
    summary:
      'the 19 image corruptions: corrupted images/s at 224 px per corruption (severity 3 and all severities), against a plain copy and brightness',
    run: runBenchCorruptions,
  },
  metrics: {
    summary: 'AUC, DeLong CI, paired test and bootstrap times at the EyePACS test-set size (53,576 scores)',
    run: runBenchMetrics,
  },
};

export const BENCH_USAGE = `funduslab bench <${Object.keys(BENCHES).join('|')}> [--json] [options]`;

export async function runBench(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    throw new AppError(
      'BAD_REQUEST',
      `Unknown benchmark ${JSON.stringify(name ?? '')}. Available: ${Object.entries(BENCHES)
        .map(([n, b]) => `${n} (${b.summary})`)
        .join('; ')}`,
      [{ path: 'benchmark', message: 'unknown' }],
    );
  }
  return bench.run(rest);
}
