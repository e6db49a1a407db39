/**
 * `funduslab bench lrp [--json] [--arch resnet50] [--size 224] [--batch 1] [--runs 3]
 *   [--first-layer alpha-beta|zbox|flat] [--max-pool winner-take-all|proportional]` — the time of one
 * LRP-α1β0 heatmap (src-main/analysis/lrp: forward keeping activations + the relevance backward pass,
 * until the relevance is read back) against the baseline on the same backend in the same process:
 * one forward+backward pass, the gradient of the explained logit with respect to the input
 * (tf.grad through ResNet.forward in eval mode). Random weights with randomised BatchNorm statistics
 * (speed does not depend on the values); each figure is the median of `runs` after one warm-up (which
 * also builds the explainer's cached W⁺/W⁻). Target (issue 9): ratio ≤ 3.
 */
import os from 'node:os';
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { resnetExplainer, startRelevance, type FirstLayerRule, type MaxPoolRule } from '../../analysis/lrp/index';
import { engineStatus, initEngine } from '../../engine/backend';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { Rng } from '../../random/prng';
import { parseCommandArgs } from '../args';

export const BENCH_LRP_USAGE =
  'funduslab bench lrp [--json] [--arch resnet50] [--size 224] [--batch 1] [--runs 3] [--first-layer alpha-beta|zbox|flat] [--max-pool winner-take-all|proportional]';

export interface BenchLrpReport {
  backend: string;
  threads: number;
  arch: string;
  size: number;
  batch: number;
  runs: number;
  composite: string;
  /** Median ms of one eval forward pass (context). */
  forwardMs: number;
  /** Median ms of forward + backward: tf.grad of the explained logit w.r.t. the input. */
  gradientMs: number;
  /** Median ms of one LRP pass (batch images' heatmaps). */
  lrpMs: number;
  /** lrpMs / gradientMs. */
  ratio: number;
  target: number;
  cpus: number;
  node: string;
}

async function median(runs: number, f: () => Promise<void>): Promise<number> {
  await f(); // warm-up
  const ms: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const mid = ms.length >> 1;
  return ms.length % 2 ? ms[mid]! : (ms[mid - 1]! + ms[mid]!) / 2;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new AppError('BAD_REQUEST', `--${name} must be a positive integer, got ${raw}`);
  return v;
}

export async function benchLrp(opts: {
  arch?: string;
  size?: number;
  batch?: number;
  runs?: number;
  firstLayer?: FirstLayerRule;
  maxPool?: MaxPoolRule;
  onProgress?: (m: string) => void;
}): Promise<BenchLrpReport> {
  const arch = opts.arch ?? 'resnet50';
  const size = opts.size ?? 224;
  const batch = opts.batch ?? 1;
  const runs = opts.runs ?? 3;
  if (!engineStatus()) await initEngine({ preference: 'auto' });
  const status = engineStatus()!;
  const model = ResNet.create(parseArch(arch, 5), { seed: 1 });
  const rng = new Rng(2);
  for (const spec of model.specs) {
    if (spec.role === 'bn.running_var' || spec.role === 'bn.running_mean') {
      const v = model.variable(spec.name);
      const values = Float32Array.from({ length: spec.tfjsShape[0]! }, () =>
        spec.role === 'bn.running_var' ? rng.range(0.5, 2) : 0.2 * rng.normal(),
      );
      tf.tidy(() => v.assign(tf.tensor1d(values)));
    }
  }
  const x = tf.tidy(() => tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 3) as Tensor4D);
  const classes = Array.from({ length: batch }, (_, i) => [i % 5]);
  const mask = tf.tensor2d(
    Float32Array.from({ length: batch * 5 }, (_, k) => (k % 5 === Math.floor(k / 5) % 5 ? 1 : 0)),
    [batch, 5],
  );
  const lrp = resnetExplainer(model, {
    firstLayer: opts.firstLayer ?? 'alpha-beta',
    maxPool: opts.maxPool ?? 'winner-take-all',
    bounds: { low: [-2.2, -2.1, -1.9], high: [2.3, 2.5, 2.7] },
  });
  try {
    const read = async (t: Tensor) => {
      await t.data();
      t.dispose();
    };
    opts.onProgress?.(`${arch} at ${size} px, batch ${batch}, on ${status.active}: forward`);
    const forwardMs = await median(runs, () => read(model.forward(x)));
    opts.onProgress?.('forward + backward (tf.grad of the logit w.r.t. the input)');
    const gradient = tf.grad((input: Tensor) => tf.sum(tf.mul(model.forward(input as Tensor4D), mask)));
    const gradientMs = await median(runs, () => read(gradient(x)));
    opts.onProgress?.('LRP heatmap');
    const lrpMs = await median(runs, async () => {
      const r = lrp.explainer.explain(x, (z) => startRelevance(z, classes));
      tf.dispose([r.logits, r.start]);
      await read(r.relevance);
    });
    return {
      backend: status.active,
      threads: status.threads,
      arch,
      size,
      batch,
      runs,
      composite: lrp.composite.name,
      forwardMs,
      gradientMs,
      lrpMs,
      ratio: lrpMs / gradientMs,
      target: 3,
      cpus: os.availableParallelism(),
      node: process.version,
    };
  } finally {
    lrp.dispose();
    tf.dispose([x, mask]);
    model.dispose();
  }
}

export async function runBenchLrp(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    arch: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    runs: { type: 'string' },
    'first-layer': { type: 'string' },
    'max-pool': { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'lrp'))
    throw new AppError('BAD_REQUEST', `Unexpected argument(s) ${positionals.join(' ')}. Usage: ${BENCH_LRP_USAGE}`);
  const firstLayer = values['first-layer'];
  if (firstLayer !== undefined && !['alpha-beta', 'zbox', 'flat'].includes(firstLayer))
    throw new AppError('BAD_REQUEST', `--first-layer must be alpha-beta, zbox or flat (got ${firstLayer})`);
  const maxPool = values['max-pool'];
  if (maxPool !== undefined && !['winner-take-all', 'proportional'].includes(maxPool))
    throw new AppError('BAD_REQUEST', `--max-pool must be winner-take-all or proportional (got ${maxPool})`);
  const report = await benchLrp({
    ...(values.arch !== undefined ? { arch: values.arch } : {}),
    size: positiveInt('size', values.size, 224),
    batch: positiveInt('batch', values.batch, 1),
    runs: positiveInt('runs', values.runs, 3),
    ...(firstLayer !== undefined ? { firstLayer: firstLayer as FirstLayerRule } : {}),
    ...(maxPool !== undefined ? { maxPool: maxPool as MaxPoolRule } : {}),
    ...(values.json ? {} : { onProgress: (m: string) => process.stderr.write(`bench lrp: ${m}\n`) }),
  });
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: report }, null, 2) + '\n');
  else {
    const per = (ms: number) => `${ms.toFixed(0).padStart(7)} ms${report.batch > 1 ? ` (${(ms / report.batch).toFixed(0)} ms/image)` : ''}`;
    process.stdout.write(
      [
        `LRP speed: ${report.arch} at ${report.size} px, batch ${report.batch}, backend ${report.backend} (${report.threads} thread${report.threads === 1 ? '' : 's'}; ${report.cpus} CPUs, Node ${report.node}); median of ${report.runs}`,
        `  forward (eval)                         ${per(report.forwardMs)}`,
        `  forward + backward (gradient w.r.t. x) ${per(report.gradientMs)}`,
        `  LRP heatmap (${report.composite})`,
        `                                         ${per(report.lrpMs)}`,
        `  ratio LRP / (forward + backward)       ${report.ratio.toFixed(2)}×  (target ≤ ${report.target}×: ${report.ratio <= report.target ? 'met' : 'NOT met'})`,
      ].join('\n') + '\n',
    );
  }
  return 0;
}
