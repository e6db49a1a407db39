#!/usr/bin/env node
// The FundusLab GPU check (README.txt beside this file; the folder is built by FundusLab's scripts/gpu-check.mjs). Runs, in
// order, with the gpu-check.mjs beside it:
//   1. engine         the backend FundusLab selects here, the WebGPU adapters Dawn finds, whether webgpu activates
//   2. bench engine   ResNet forward and training step on webgpu and wasm (modest defaults; options pass through)
//   3. kernels check  FundusLab's training kernels on webgpu against the CPU (when this build has the command)
// writes each one's JSON output and log, summary.json and summary.txt into results-<time>/ beside this file, prints where,
// and exits 1 when a check failed (2: wrong usage).
//
// Usage: ./run.sh [--results DIR] [--no-kernels] [--allow-software-adapter] [bench engine options] [-- kernels check options]
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, 'gpu-check.mjs');

/** The benchmark's settings unless the command line gives others. */
const BENCH_DEFAULTS = [
  '--backends',
  'webgpu,wasm',
  '--arch',
  'resnet50',
  '--size',
  '224',
  '--batch',
  '8',
  '--steps',
  '3',
  '--warmup',
  '1',
];

const USAGE = `Usage: ./run.sh [--results DIR] [--no-kernels] [--allow-software-adapter] [bench engine options] [-- kernels check options]
  --results DIR              write the results there (default: results-<time> beside run.sh)
  --no-kernels               skip the kernel checks
  --allow-software-adapter   accept WebGPU on a software (CPU) adapter such as llvmpipe (a machine without a GPU)
  bench engine options       node gpu-check.mjs bench engine --help; defaults: ${BENCH_DEFAULTS.join(' ')}`;

function parse(argv) {
  const opts = { results: null, kernels: true, allowSoftware: false, bench: [], kernelArgs: [] };
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  if (split !== -1) opts.kernelArgs = argv.slice(split + 1);
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    if (a === '--help' || a === '-h') opts.help = true;
    else if (a === '--no-kernels') opts.kernels = false;
    else if (a === '--allow-software-adapter') opts.allowSoftware = true;
    else if (a === '--results') {
      if (own[i + 1] === undefined) throw new Error('--results needs a folder');
      opts.results = path.resolve(own[++i]);
    } else if (a.startsWith('--results=')) opts.results = path.resolve(a.slice('--results='.length));
    else if (a !== '--json') opts.bench.push(a);
  }
  return opts;
}

/** The benchmark's arguments: the defaults the user did not set, then the user's. */
function benchArguments(user) {
  const given = new Set(user.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]));
  const kept = [];
  for (let i = 0; i < BENCH_DEFAULTS.length; i += 2) if (!given.has(BENCH_DEFAULTS[i])) kept.push(BENCH_DEFAULTS[i], BENCH_DEFAULTS[i + 1]);
  return [...kept, ...user];
}

/** The last value of a `--name value` / `--name=value` option in args. */
function optionValue(args, name) {
  let value;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) value = args[i + 1];
    else if (args[i].startsWith(`${name}=`)) value = args[i].slice(name.length + 1);
  }
  return value;
}

/** Runs `node gpu-check.mjs …args`: stdout to <name>.json, stderr to <name>.log and this terminal. */
function runStep(dir, name, args) {
  const started = performance.now();
  const json = path.join(dir, `${name}.json`);
  const log = path.join(dir, `${name}.log`);
  return new Promise((resolve) => {
    const out = createWriteStream(json);
    const err = createWriteStream(log);
    const chunks = [];
    const child = spawn(process.execPath, [entry, ...args], { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => {
      chunks.push(c);
      out.write(c);
    });
    child.stderr.on('data', (c) => {
      err.write(c);
      process.stderr.write(c);
    });
    const finish = (exitCode, error) => {
      out.end();
      err.end();
      const seconds = Math.round(performance.now() - started) / 1000;
      let output = null;
      try {
        output = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        output = null;
      }
      resolve({
        name,
        command: ['gpu-check.mjs', ...args].join(' '),
        exitCode,
        seconds,
        output,
        files: [`${name}.json`, `${name}.log`],
        error,
      });
    };
    child.on('error', (e) => finish(null, e.message));
    child.on('close', (code) => finish(code, null));
  });
}

const label = (a) => {
  const name = [a.vendor, a.device].filter((s) => s && s.trim() !== '').join(' ') || a.description || 'unnamed adapter';
  const api = { vulkan: 'Vulkan', d3d12: 'D3D12', metal: 'Metal', opengles: 'OpenGL ES' }[a.api] ?? a.api;
  return `${name} (${api}${a.featureLevel === 'compatibility' ? ', compatibility' : ''})`;
};

/** What went wrong in the engine step (empty: webgpu is active on an acceptable adapter). */
function engineProblems(step, allowSoftware) {
  const r = step.output;
  if (!r || !r.webgpu) return [`engine: no report (exit code ${step.exitCode}${step.error ? `, ${step.error}` : ''}; see engine.log)`];
  if (r.webgpu.error) return [`webgpu cannot be used: ${r.webgpu.error}`];
  const used = (r.adapters ?? []).find((a) => a.used);
  if (used && used.software && !allowSoftware)
    return [
      `WebGPU runs only on a software (CPU) adapter, ${label(used)}: no GPU was reachable through ${os.platform() === 'linux' ? 'Vulkan or OpenGL ES' : 'the GPU drivers'} (are the GPU drivers installed?)`,
    ];
  return step.exitCode === 0 ? [] : [`engine: exit code ${step.exitCode}`];
}

/** What went wrong in the benchmark: a failed run, a requested backend not measured, a non-finite training loss. */
function benchProblems(step, args) {
  const r = step.output;
  if (step.exitCode !== 0 || !r || r.ok === false) {
    const why = r?.error?.message ?? (step.error || `exit code ${step.exitCode}; see bench-engine.log`);
    return [`bench engine failed: ${why}`];
  }
  const problems = [];
  const wanted = (optionValue(args, '--backends') ?? '').split(',').filter(Boolean);
  for (const backend of wanted) {
    const skipped = (r.skipped ?? []).find((s) => s.backend === backend);
    if (skipped) problems.push(`bench engine: ${backend} not measured: ${skipped.reason}`);
    else if (!(r.figures ?? []).some((f) => f.backend === backend)) problems.push(`bench engine: no ${backend} figure`);
  }
  for (const f of r.figures ?? []) {
    if (f.mode === 'train' && !Number.isFinite(f.loss)) problems.push(`bench engine: ${f.backend} training loss is not finite (${f.loss})`);
  }
  return problems;
}

function kernelProblems(step) {
  if (step.exitCode === 0) return [];
  const why = step.output?.error?.message ?? (step.error || `exit code ${step.exitCode}; see kernels.json and kernels.log`);
  return [`kernels check failed: ${why}`];
}

/** The commands of the bundled entry (`commands --json`); the kernel checks run only when it has them. */
function entryCommands() {
  const r = spawnSync(process.execPath, [entry, 'commands', '--json'], { encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout).map((c) => c.name);
  } catch {
    return [];
  }
}

function summaryText(s) {
  const lines = [
    `FundusLab GPU check ${s.version ?? ''} — ${s.machine.platform}, Node ${s.machine.node}, ${s.machine.cpus} CPUs (${s.machine.cpuModel}), ${s.machine.memoryGiB} GiB`,
    `Started ${s.startedAt}, took ${s.seconds} s`,
    '',
  ];
  const engine = s.steps.find((x) => x.name === 'engine')?.output;
  if (engine) {
    const auto = engine.auto?.status ? engine.auto.status.active : `nothing (${engine.auto?.error})`;
    lines.push(`Selected automatically: ${auto}`);
    for (const a of engine.adapters ?? [])
      lines.push(
        `WebGPU adapter${a.used ? ' (used)' : ''}: ${label(a)}${a.software ? ', software (CPU)' : ''}; max buffer ${Math.round(a.limits.maxBufferSize / 2 ** 20)} MiB`,
      );
    if ((engine.adapters ?? []).length === 0) lines.push('WebGPU adapters: none found');
    lines.push('');
  }
  for (const step of s.steps) {
    const state = step.skipped ? `skipped (${step.skipped})` : step.problems.length === 0 ? 'ok' : 'FAILED';
    lines.push(`${step.name.padEnd(14)}${state}${step.seconds !== undefined ? `  (${step.seconds} s)` : ''}`);
    if (step.name === 'bench-engine' && step.output?.figures) {
      for (const f of step.output.figures)
        lines.push(
          `    ${f.backend.padEnd(8)}${f.mode.padEnd(9)}batch ${String(f.batch).padEnd(4)}${f.msPerImage.median.toFixed(1).padStart(9)} ms/img${f.imagesPerSecond.toFixed(2).padStart(9)} img/s${f.adapter?.label ? `  on ${f.adapter.label}` : ''}`,
        );
    }
    for (const p of step.problems) lines.push(`    ! ${p}`);
  }
  lines.push('', s.ok ? 'All checks passed.' : `${s.problems.length} problem(s): the check failed.`);
  return `${lines.join('\n')}\n`;
}

async function main(argv) {
  let opts;
  try {
    opts = parse(argv);
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = opts.results ?? path.join(here, `results-${stamp}`);
  mkdirSync(dir, { recursive: true });
  const started = performance.now();

  const benchArgs = benchArguments(opts.bench);
  const plan = [
    { name: 'engine', args: ['engine', '--json'], problems: (step) => engineProblems(step, opts.allowSoftware) },
    { name: 'bench-engine', args: ['bench', 'engine', ...benchArgs, '--json'], problems: (step) => benchProblems(step, benchArgs) },
    { name: 'kernels', args: ['kernels', 'check', ...opts.kernelArgs, '--json'], problems: kernelProblems },
  ];
  const commands = entryCommands();
  const steps = [];
  for (const [i, p] of plan.entries()) {
    let skipped = null;
    if (p.name === 'kernels' && !opts.kernels) skipped = '--no-kernels';
    else if (p.name === 'kernels' && !commands.includes('kernels')) skipped = 'not part of this build';
    if (skipped) {
      process.stderr.write(`[${i + 1}/${plan.length}] ${p.name}: skipped (${skipped})\n`);
      steps.push({ name: p.name, skipped, problems: [] });
      continue;
    }
    process.stderr.write(`[${i + 1}/${plan.length}] ${['node gpu-check.mjs', ...p.args].join(' ')}\n`);
    const step = await runStep(dir, p.name, p.args);
    step.problems = p.problems(step);
    process.stderr.write(`[${i + 1}/${plan.length}] ${p.name}: ${step.problems.length === 0 ? 'ok' : 'FAILED'} in ${step.seconds} s\n`);
    steps.push(step);
  }

  const problems = steps.flatMap((s) => s.problems);
  const engine = steps[0]?.output;
  const summary = {
    ok: problems.length === 0,
    problems,
    version: engine?.version ?? null,
    startedAt: startedAt.toISOString(),
    seconds: Math.round(performance.now() - started) / 1000,
    machine: {
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    },
    steps: steps.map(({ output: _output, ...s }) => s),
  };
  const text = summaryText({ ...summary, steps });
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(path.join(dir, 'summary.txt'), text);
  process.stdout.write(
    `\n${text}\nResults: ${dir}\n(summary.txt, summary.json, and each step's .json and .log; README.txt says how to send them back)\n`,
  );
  return summary.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
