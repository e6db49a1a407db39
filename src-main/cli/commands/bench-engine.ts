/**
 * `funduslab bench engine [--json] [--arch resnet50] [--size 224] [--batch 8] [--train-batch N]
 *   [--backends wasm,cpu] [--steps 3] [--warmup 1] [--cpu-batch 1] [--cpu-steps 1] [--cpu-train]
 *   [--modes forward,train]` — ResNet forward (eval) and training-step throughput on each backend
 * (see src-main/engine/bench.ts). The JavaScript cpu backend is measured with one forward at
 * batch 1 by default (it takes ~10 s per ResNet50 image); every other figure is compared with it.
 * webgpu is measured by default on a hardware adapter only; `--backends webgpu` measures a software
 * one too. The adapter of webgpu figures is named in the text and the JSON (`adapter`).
 *
 * `--compare-torch [--rows resnet18@96/32/train,…] [--rounds 3]` measures rows on wasm and in PyTorch
 * (scripts/bench_torch.py run by FUNDUSLAB_PYTHON or /usr/bin/python3), alternating, and prints the ratio;
 * `--wasm-baseline` adds, after each FundusLab round, one with the native kernels off (their speedup, same process).
 * `--profile [--rows …]` prints one training step's (or, for a `/forward` row, one eval forward's) kernel time
 * grouped by kernel class.
 * `--optimizer adamw|sgd` (every mode): the training step's optimizer, AdamW as training runs (default) or SGD as MoCo v2
 * pretrainings.
 */
import { BackendName } from '../../../src-shared/engine';
import { AppError } from '../../../src-shared/errors';
import {
  benchEngine,
  compareTorch,
  DEFAULT_COMPARE_ROWS,
  parseCompareRows,
  profileTrainSteps,
  type BenchEngineReport,
  type BenchMode,
  type CompareTorchReport,
  type OptimizerSettings,
  type StepProfile,
  BENCH_OPTIMIZERS,
  type BenchOptimizer,
} from '../../engine/bench';
import { parseCommandArgs } from '../args';

export const BENCH_ENGINE_USAGE =
  'funduslab bench engine [--json] [--optimizer adamw|sgd] [--arch resnet50] [--size 224] [--batch 8] [--train-batch N] [--backends wasm,cpu] [--steps 3] [--warmup 1] [--cpu-batch 1] [--cpu-steps 1] [--cpu-train] [--modes forward,train] | --compare-torch [--rows arch@size/batch[/train|forward],…] [--rounds 3] [--steps 2] [--warmup 1] [--wasm-baseline] | --profile [--rows …]';

/** Rows profiled by default: the training steps of resnet18 @ 96 px and resnet50 @ 224 px. */
const DEFAULT_PROFILE_ROWS = 'resnet18@96/32/train,resnet50@224/8/train';

export async function runBenchEngine(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    arch: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    'train-batch': { type: 'string' },
    backends: { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    'cpu-batch': { type: 'string' },
    'cpu-steps': { type: 'string' },
    'cpu-train': { type: 'boolean', default: false },
    modes: { type: 'string' },
    'compare-torch': { type: 'boolean', default: false },
    'wasm-baseline': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    rows: { type: 'string' },
    rounds: { type: 'string' },
    optimizer: { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'engine')) {
    throw new AppError('BAD_REQUEST', `Unexpected arguments: ${positionals.join(' ')}. Usage: ${BENCH_ENGINE_USAGE}`);
  }
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new AppError('BAD_REQUEST', `--${name} must be an integer (got "${v}")`);
    return n;
  };
  const progress = values.json ? undefined : (m: string) => process.stderr.write(`bench engine: ${m}\n`);
  const optimizer = (values.optimizer ?? 'adamw') as BenchOptimizer;
  if (!BENCH_OPTIMIZERS.includes(optimizer))
    throw new AppError('BAD_REQUEST', `--optimizer must be ${BENCH_OPTIMIZERS.join(' or ')} (got "${values.optimizer}")`, [
      { path: 'optimizer', message: `one of ${BENCH_OPTIMIZERS.join(', ')}` },
    ]);
  if (values['compare-torch'] || values.profile) {
    const compare = values['compare-torch']
      ? await compareTorch({
          rows: values.rows ? parseCompareRows(values.rows) : DEFAULT_COMPARE_ROWS,
          rounds: int('rounds', values.rounds),
          wasmBaseline: values['wasm-baseline'],
          steps: int('steps', values.steps),
          warmup: int('warmup', values.warmup),
          optimizer,
          onProgress: progress,
        })
      : null;
    const profile = values.profile
      ? await profileTrainSteps(parseCompareRows(values.rows ?? DEFAULT_PROFILE_ROWS), progress, optimizer)
      : null;
    if (values.json) process.stdout.write(`${JSON.stringify({ compare, profile }, null, 2)}\n`);
    else {
      if (compare) process.stdout.write(formatCompareTorch(compare));
      if (profile) process.stdout.write(formatProfile(profile));
    }
    return 0;
  }
  const backends = values.backends
    ?.split(',')
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => {
      const parsed = BackendName.safeParse(b);
      if (!parsed.success)
        throw new AppError('BAD_REQUEST', `--backends: unknown backend "${b}"; expected any of ${BackendName.options.join(', ')}`);
      return parsed.data;
    });
  const modes = values.modes
    ?.split(',')
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => {
      if (m !== 'forward' && m !== 'train')
        throw new AppError('BAD_REQUEST', `--modes: unknown mode "${m}"; expected forward and/or train`);
      return m as BenchMode;
    });
  const report = await benchEngine({
    arch: values.arch,
    size: int('size', values.size),
    batch: int('batch', values.batch),
    trainBatch: int('train-batch', values['train-batch']),
    backends,
    steps: int('steps', values.steps),
    warmup: int('warmup', values.warmup),
    cpuBatch: int('cpu-batch', values['cpu-batch']),
    cpuSteps: int('cpu-steps', values['cpu-steps']),
    cpuTrain: values['cpu-train'],
    modes,
    optimizer,
    onProgress: progress,
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatBenchEngine(report));
  return 0;
}

export function formatBenchEngine(r: BenchEngineReport): string {
  const lines = [
    `Engine benchmark: ${r.arch}, ${r.size}x${r.size}, ${r.classes} classes; tfjs ${r.tfjsVersion}; ${r.machine.cpus} CPUs, load ${r.machine.loadAverage.join(' ')}`,
    '',
    `${'backend'.padEnd(16)}${'threads'.padStart(8)}  ${'mode'.padEnd(8)}${'batch'.padStart(6)}${'ms/img (median)'.padStart(17)}${'ms/img (min)'.padStart(14)}${'img/s'.padStart(9)}${'vs cpu'.padStart(9)}`,
  ];
  for (const f of r.figures) {
    lines.push(
      `${f.backend.padEnd(16)}${String(f.threads).padStart(8)}  ${f.mode.padEnd(8)}${String(f.batch).padStart(6)}${f.msPerImage.median.toFixed(1).padStart(17)}${f.msPerImage.min.toFixed(1).padStart(14)}${f.imagesPerSecond.toFixed(2).padStart(9)}${(f.speedupVsCpu === null ? '—' : `${f.speedupVsCpu.toFixed(1)}x`).padStart(9)}`,
    );
  }
  const adapters = new Map(r.figures.flatMap((f) => (f.adapter ? [[f.adapter.label, f.adapter] as const] : [])));
  for (const a of adapters.values()) {
    const named = [a.vendor && `vendor ${a.vendor}`, a.device && `device ${a.device}`, a.description && `"${a.description}"`].filter(
      Boolean,
    );
    lines.push(
      `webgpu adapter: ${a.label}${a.software ? ', software (a CPU implementation of WebGPU)' : ', hardware'}; ${named.join(', ')}`,
    );
  }
  for (const s of r.skipped) lines.push(`${s.backend}: not measured (${s.reason})`);
  lines.push('', ...r.notes.map((n) => `Note: ${n}`), '');
  return lines.join('\n');
}

const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;

/** "AdamW (lr 0.0001, betas 0.9, 0.999, eps 1e-8, weight decay 0.01)" / "SGD (lr 0.03, momentum 0.9, weight decay 0.0001)". */
export function optimizerLine(o: OptimizerSettings): string {
  return o.kind === 'sgd'
    ? `SGD (lr ${o.lr}, momentum ${o.momentum}, weight decay ${o.weightDecay})`
    : `AdamW (lr ${o.lr}, betas ${o.betas.join(', ')}, eps ${o.eps}, weight decay ${o.weightDecay})`;
}

export function formatCompareTorch(r: CompareTorchReport): string {
  const torch = r.torch
    ? `PyTorch ${r.torch.version} (torchvision ${r.torch.torchvision}, ${r.torch.threads} threads, ${r.torch.python})`
    : 'PyTorch not run';
  const lines = [
    `FundusLab vs PyTorch: FundusLab ${r.backend} (${r.threads} threads, tfjs ${r.tfjsVersion}${r.nativeKernels ? `; native convolution kernels: ${r.nativeKernels}` : ''}) vs ${torch}; ${r.machine.cpus} CPUs, load ${r.machine.loadAverageBefore.join(' ')} → ${r.machine.loadAverageAfter.join(' ')}`,
    `Training step optimizer on both sides: ${optimizerLine(r.optimizer)}`,
    ...(r.torchMissing ? ['', r.torchMissing] : []),
    '',
    `${'arch'.padEnd(13)}${'size'.padStart(5)}${'batch'.padStart(6)}  ${'mode'.padEnd(8)}${'ours ms/img'.padStart(12)}${'torch ms/img'.padStart(13)}${'ours/torch'.padStart(11)}${'spread ours'.padStart(12)}${'spread torch'.padStart(13)}`,
  ];
  const baseline = r.rows.some((row) => row.wasmBaselineMsPerImage !== undefined);
  if (baseline) lines[lines.length - 1] += `${'wasm only'.padStart(11)}${'native speedup'.padStart(16)}`;
  for (const row of r.rows) {
    const f = row.figures;
    lines.push(
      `${row.arch.padEnd(13)}${String(row.size).padStart(5)}${String(row.batch).padStart(6)}  ${row.mode.padEnd(8)}${row.oursMsPerImage.toFixed(1).padStart(12)}${(f ? f.torchMsPerImage.toFixed(1) : '—').padStart(13)}${(f ? `${f.ratio.toFixed(2)}x` : '—').padStart(11)}${(f ? pct(f.oursSpread) : '—').padStart(12)}${(f ? pct(f.torchSpread) : '—').padStart(13)}` +
        (baseline
          ? `${(row.wasmBaselineMsPerImage?.toFixed(1) ?? '—').padStart(11)}${(row.nativeSpeedup !== undefined ? `${row.nativeSpeedup.toFixed(2)}x` : '—').padStart(16)}`
          : ''),
    );
  }
  lines.push('', ...r.notes.map((n) => `Note: ${n}`), '');
  return lines.join('\n');
}

export function formatProfile(profiles: readonly StepProfile[]): string {
  const lines: string[] = [];
  for (const p of profiles) {
    lines.push(
      '',
      `Profile of one ${p.mode === 'forward' ? 'forward pass (eval mode)' : 'training step'}: ${p.arch} ${p.size}px batch ${p.batch} on ${p.backend} (${p.threads} threads): wall ${p.wallMs.toFixed(0)} ms, kernels ${p.kernelMs.toFixed(0)} ms`,
      `${'kernel class'.padEnd(22)}${'ms'.padStart(9)}${'share'.padStart(7)}${'calls'.padStart(7)}  kernels (ms)`,
    );
    for (const c of p.classes) {
      const top = c.kernels
        .slice(0, 6)
        .map((k) => `${k.name} ${k.ms.toFixed(0)}`)
        .join(', ');
      lines.push(`${c.class.padEnd(22)}${c.ms.toFixed(1).padStart(9)}${pct(c.share).padStart(7)}${String(c.calls).padStart(7)}  ${top}`);
    }
  }
  lines.push(
    '',
    'Note: kernel times from tf.profile, each kernel charged its own time (without the kernels nested in it), so the classes add up to the kernel total; a nested kernel counts in the class of its enclosing convolution, batchnorm, pooling or optimizer kernel (the Conv2D inside a Conv2DBackpropInput is input-gradient work).',
    '',
  );
  return lines.join('\n');
}
