/**
 * `funduslab bench engine [--json] [--arch resnet50] [--size 224] [--batch 8] [--train-batch N]
 *   [--backends wasm,cpu] [--steps 3] [--warmup 1] [--cpu-batch 1] [--cpu-steps 1] [--cpu-train]
 *   [--modes forward,train]` — ResNet forward (eval) and training-step throughput on each backend
 * (see src-main/engine/bench.ts). The JavaScript cpu backend is measured with one forward at
 * batch 1 by default (it takes ~10 s per ResNet50 image); every other figure is compared with it.
 * webgpu is measured by default on a hardware adapter only; `--backends webgpu` measures a software
 * one too. The adapter of webgpu figures is named in the text and the JSON (`adapter`).
 */
import { BackendName } from '../../../src-shared/engine';
import { AppError } from '../../../src-shared/errors';
import { benchEngine, type BenchEngineReport, type BenchMode } from '../../engine/bench';
import { parseCommandArgs } from '../args';

export const BENCH_ENGINE_USAGE =
  'funduslab bench engine [--json] [--arch resnet50] [--size 224] [--batch 8] [--train-batch N] [--backends wasm,cpu] [--steps 3] [--warmup 1] [--cpu-batch 1] [--cpu-steps 1] [--cpu-train] [--modes forward,train]';

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
    onProgress: values.json ? undefined : (m) => process.stderr.write(`bench engine: ${m}\n`),
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
