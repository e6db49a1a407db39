/** `bench engine --compare-torch` and `--profile`: protocol, alternation, arithmetic, missing python, kernel grouping. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import tf from '@tensorflow/tfjs';
import {
  alternationOrder,
  compareFigures,
  compareTorch,
  exclusiveTimes,
  recordClasses,
  groupKernels,
  kernelClass,
  KERNEL_CLASSES,
  parseCompareRows,
  parseTorchResponse,
  profileTrainSteps,
  torchPython,
  torchRequestLine,
  RUN_ADAMW,
  RUN_SGD,
  makeOptimizer,
  optimizerSettings,
  trainStep,
  type TorchRequest,
} from '../../../src-main/engine/bench';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { namedGradients } from '../../../src-main/engine/optim/adamw';
import { TrainingSpec } from '../../../src-shared/training';
import { formatCompareTorch, runBenchEngine } from '../../../src-main/cli/commands/bench-engine';
import { nativeKernels, nativeUnavailableReason } from '../../../src-main/engine/kernels/native/addon';
import { initEngine } from '../../../src-main/engine/backend';
import { AppError } from '../../../src-shared/errors';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(tmp, { recursive: true, force: true });
});

/** Naive median: sort a copy, take the middle one or the mean of the middle two. */
function naiveMedian(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const request: TorchRequest = {
  arch: 'resnet18-w8',
  size: 64,
  batch: 32,
  mode: 'train',
  classes: 5,
  threads: 2,
  warmup: 1,
  steps: 2,
  seed: 1234,
  optimizer: { kind: 'adamw', lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
};

describe('PyTorch request and response', () => {
  it('writes a request as one JSON line that reads back unchanged', () => {
    const line = torchRequestLine(request);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(request);
  });

  it('uses the AdamW settings of a training run, or the SGD settings of a MoCo v2 pretraining', () => {
    expect(RUN_ADAMW).toEqual({ lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    expect(optimizerSettings('adamw')).toEqual({ kind: 'adamw', lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    // The MoCo v2 defaults of a training spec.
    const moco = TrainingSpec.parse({ strategy: 'IWNE-CL', datasetId: 'd' }).moco;
    expect(moco.optimizer).toBe('sgd');
    expect(optimizerSettings('sgd')).toEqual({ kind: 'sgd', lr: moco.lr, momentum: moco.sgdMomentum, weightDecay: moco.weightDecay });
    expect(() => optimizerSettings('adam' as never)).toThrow(/--optimizer: unknown optimizer "adam"; expected adamw or sgd/);
  });

  it('parses a good response', () => {
    const r = parseTorchResponse(
      '{"ok": true, "torch": "1.13.0", "torchvision": "0.14.1", "threads": 2, "stepMs": [10.5, 12], "loss": 1.6}',
    );
    expect(r).toEqual({ torch: '1.13.0', torchvision: '0.14.1', threads: 2, stepMs: [10.5, 12], loss: 1.6 });
    expect(parseTorchResponse('{"ok":true,"torch":"2","torchvision":"0.1","threads":1,"stepMs":[1]}')).not.toHaveProperty('loss');
  });

  it.each([
    ['not json', /expected one JSON object per line/],
    ['{"ok": false, "error": "KeyError: threads"}', /PyTorch benchmark failed: KeyError: threads/],
    ['{"ok": true, "torchvision": "0.14", "threads": 2, "stepMs": [1]}', /expected \{"ok": true, "torch"/],
    ['{"ok": true, "torch": "1", "torchvision": "0.14", "threads": 2, "stepMs": []}', /"stepMs": \[positive ms/],
    ['{"ok": true, "torch": "1", "torchvision": "0.14", "threads": 2, "stepMs": [-1]}', /"stepMs": \[positive ms/],
    ['{"ok": true, "torch": "1", "torchvision": "0.14", "threads": 2, "stepMs": [1], "loss": "x"}', /"loss"\?/],
    ['[1, 2]', /expected \{"ok": true/],
  ])('refuses %s with a clear error', (line, message) => {
    expect(() => parseTorchResponse(line)).toThrow(AppError);
    expect(() => parseTorchResponse(line)).toThrow(message);
  });
});

describe('rows', () => {
  it('parses arch@size/batch[/mode]; a row without a mode is both modes', () => {
    expect(parseCompareRows('resnet18@96/32/train, ResNet18-W8@64/32')).toEqual([
      { arch: 'resnet18', size: 96, batch: 32, mode: 'train' },
      { arch: 'resnet18-w8', size: 64, batch: 32, mode: 'train' },
      { arch: 'resnet18-w8', size: 64, batch: 32, mode: 'forward' },
    ]);
  });

  it.each([
    ['resnet18', /expected arch@size\/batch/],
    ['resnet18@96/32/eval', /expected arch@size\/batch/],
    ['vgg16@96/32', /Unknown architecture "vgg16"/],
    ['resnet18@16/32', /at least 32/],
    ['resnet18@96/0', /batch must be a positive integer/],
    [',', /no row given/],
  ])('refuses %s', (text, message) => {
    expect(() => parseCompareRows(text)).toThrow(message);
  });
});

describe('alternation and arithmetic', () => {
  it.each([1, 2, 3, 5])('%i rounds: PyTorch right before and after every FundusLab round', (rounds) => {
    const order = alternationOrder(rounds);
    const expected: string[] = [];
    for (let i = 0; i < 2 * rounds + 1; i++) expected.push(i % 2 === 0 ? 'torch' : 'ours');
    expect(order).toEqual(expected);
  });

  it('medians, ratio and spreads agree with a naive re-implementation', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 100 + 1;
    for (let n = 1; n <= 7; n++) {
      const ours = Array.from({ length: n }, rnd);
      const torch = Array.from({ length: n + 1 }, rnd);
      const f = compareFigures(ours, torch);
      const mo = naiveMedian(ours);
      const mt = naiveMedian(torch);
      expect(f.oursMsPerImage).toBeCloseTo(mo, 12);
      expect(f.torchMsPerImage).toBeCloseTo(mt, 12);
      expect(f.ratio).toBeCloseTo(mo / mt, 12);
      expect(f.oursSpread).toBeCloseTo((Math.max(...ours) - Math.min(...ours)) / mo, 12);
      expect(f.torchSpread).toBeCloseTo((Math.max(...torch) - Math.min(...torch)) / mt, 12);
    }
    expect(compareFigures([30, 10, 20], [5, 10, 40, 20])).toEqual({
      oursMsPerImage: 20,
      torchMsPerImage: 15,
      ratio: 20 / 15,
      oursSpread: 1,
      torchSpread: 35 / 15,
    });
  });
});

describe('compareTorch', () => {
  const row = { arch: 'resnet18-w4', size: 32, batch: 2, mode: 'train' as const };

  it('without python: FundusLab figures alone and how to install PyTorch', async () => {
    expect(torchPython({ FUNDUSLAB_PYTHON: '/x/python' })).toBe('/x/python');
    expect(torchPython({})).toBe('/usr/bin/python3');
    const missing = path.join(tmp, 'no-such-python');
    const r = await compareTorch({ rows: [row], rounds: 2, steps: 1, warmup: 0, python: missing });
    expect(r.torch).toBeNull();
    expect(r.torchMissing).toContain(`${missing} with torch and torchvision is not available (${missing} does not exist)`);
    expect(r.torchMissing).toContain('apt-get install python3-torch python3-torchvision');
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]!.figures).toBeNull();
    expect(r.rows[0]!.torchRoundMs).toEqual([]);
    expect(r.rows[0]!.oursRoundMs).toHaveLength(2);
    expect(r.rows[0]!.oursMsPerImage).toBeGreaterThan(0);
    expect(Number.isFinite(r.rows[0]!.loss)).toBe(true);
  });

  it('the CLI with FUNDUSLAB_PYTHON pointing at no file prints the message and FundusLab figures', async () => {
    await initEngine({ preference: 'wasm', env: {} });
    vi.stubEnv('FUNDUSLAB_PYTHON', path.join(tmp, 'nothing-here'));
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await runBenchEngine([
        'engine',
        '--compare-torch',
        '--rows',
        'resnet18-w4@32/2/forward',
        '--rounds',
        '1',
        '--steps',
        '1',
      ]);
      expect(code).toBe(0);
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    const text = out.join('');
    expect(text).toContain('PyTorch comparison skipped');
    expect(text).toContain('apt-get install python3-torch python3-torchvision');
    expect(text).toMatch(/resnet18-w4\s+32\s+2\s+forward\s+\d+\.\d\s+—/);
  });

  it('alternates torch, ours, torch with a stand-in PyTorch and reports its figures', async () => {
    // A stand-in "python": answers the torch probe, then serves the protocol from a Node script; logs every request.
    const log = path.join(tmp, 'requests.log');
    const server = path.join(tmp, 'fake-torch.mjs');
    writeFileSync(
      server,
      `import { appendFileSync } from 'node:fs';
import readline from 'node:readline';
let n = 0;
for await (const line of readline.createInterface({ input: process.stdin })) {
  appendFileSync(${JSON.stringify(log)}, line + '\\n');
  n += 1;
  const req = JSON.parse(line);
  process.stdout.write(JSON.stringify({ ok: true, torch: '9.9', torchvision: '0.9', threads: req.threads, stepMs: [n * 10 * req.batch], loss: 1.5 }) + '\\n');
}
`,
    );
    const python = path.join(tmp, 'fake-python');
    writeFileSync(
      python,
      `#!/bin/sh\nif [ "$1" = "-c" ]; then exit 0; fi\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(server)}\n`,
    );
    chmodSync(python, 0o755);
    const progress: string[] = [];
    const r = await compareTorch({
      rows: [row],
      rounds: 2,
      steps: 1,
      warmup: 1,
      python,
      script: server,
      onProgress: (m) => progress.push(m),
    });
    expect(progress.map((m) => (m.startsWith('pytorch') ? 'torch' : 'ours'))).toEqual(['torch', 'ours', 'torch', 'ours', 'torch']);
    const requests = (await import('node:fs'))
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TorchRequest);
    expect(requests.map((q) => q.warmup)).toEqual([1, 0, 0]);
    expect(requests[0]).toMatchObject({
      ...row,
      classes: 5,
      steps: 1,
      seed: 1234,
      optimizer: { kind: 'adamw', lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
    });
    expect(requests[0]!.threads).toBe(r.threads);
    expect(r.torch).toEqual({ python, version: '9.9', torchvision: '0.9', threads: r.threads });
    expect(r.torchMissing).toBeNull();
    const res = r.rows[0]!;
    expect(res.torchRoundMs).toEqual([10, 20, 30]);
    expect(res.figures!.torchMsPerImage).toBe(20);
    expect(res.figures!.ratio).toBeCloseTo(res.oursMsPerImage / 20, 1);
    expect(res.torchLoss).toBe(1.5);

    // --optimizer sgd: PyTorch is asked for SGD with a MoCo v2 pretraining's settings, and the report says so.
    const sgd = await compareTorch({ rows: [row], rounds: 1, steps: 1, warmup: 0, python, script: server, optimizer: 'sgd' });
    const last = (await import('node:fs')).readFileSync(log, 'utf8').trim().split('\n').at(-1)!;
    expect((JSON.parse(last) as TorchRequest).optimizer).toEqual({ kind: 'sgd', lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
    expect(sgd.optimizer).toEqual({ kind: 'sgd', lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
    expect(sgd.notes.join(' ')).toContain('an SGD step as a MoCo v2 pretraining');

    // --wasm-baseline: after each FundusLab round one with the native kernels off, and their speedup.
    const steps: string[] = [];
    const base = await compareTorch({
      rows: [row],
      rounds: 2,
      steps: 1,
      warmup: 0,
      python,
      script: server,
      wasmBaseline: true,
      onProgress: (m) => steps.push(m),
    });
    const b = base.rows[0]!;
    if (nativeKernels()) {
      expect(steps.map((m) => (m.startsWith('pytorch') ? 'torch' : m.includes('without native') ? 'wasm' : 'ours'))).toEqual([
        'torch',
        'ours',
        'wasm',
        'torch',
        'ours',
        'wasm',
        'torch',
      ]);
      expect(b.wasmBaselineRoundMs).toHaveLength(2);
      const median = (v: number[]) => (v.length === 2 ? (v[0]! + v[1]!) / 2 : v[0]!);
      expect(b.nativeSpeedup).toBeCloseTo(median(b.wasmBaselineRoundMs!) / median(b.oursRoundMs), 1);
      expect(formatCompareTorch(base)).toMatch(/wasm only +native speedup/);
      expect(nativeUnavailableReason(), 'the native kernels are on again afterwards').toBeNull();
    } else {
      if (process.env.CI) throw new Error('CI needs the native kernels');
      expect(b.wasmBaselineRoundMs).toBeUndefined();
    }
  });

  it('a PyTorch side that dies names what it said', async () => {
    const python = path.join(tmp, 'dying-python');
    writeFileSync(python, '#!/bin/sh\nif [ "$1" = "-c" ]; then exit 0; fi\necho "Illegal instruction" >&2\nexit 132\n');
    chmodSync(python, 0o755);
    await expect(compareTorch({ rows: [row], rounds: 1, steps: 1, warmup: 0, python, script: python })).rejects.toThrow(
      /PyTorch benchmark exited without answering: Illegal instruction/,
    );
  });
});

describe('kernel classes', () => {
  it.each([
    ['Conv2D', 'convolution forward'],
    ['FusedConv2D', 'convolution forward'],
    ['Conv2DBackpropInput', 'conv input-gradient'],
    ['Conv2DBackpropFilter', 'conv filter-gradient'],
    ['FundusLabBatchNormTrain', 'batchnorm'],
    ['FundusLabBatchNormTrainGrad', 'batchnorm'],
    ['FusedBatchNorm', 'batchnorm'],
    ['Add', 'elementwise'],
    ['Relu', 'elementwise'],
    ['Step', 'elementwise'],
    ['Mul', 'elementwise'],
    ['MaxPool', 'pooling'],
    ['MaxPoolGrad', 'pooling'],
    ['FundusLabAdamW', 'optimizer'],
    ['FundusLabSgd', 'optimizer'],
    ['Reshape', 'other'],
    ['MatMul', 'other'],
    ['Conv2DX', 'other'],
  ])('%s → %s', (name, cls) => {
    expect(kernelClass(name)).toBe(cls);
  });

  it('groups per-kernel figures by class, every class listed once, sums as a naive loop', () => {
    const kernels = [
      { name: 'Conv2D', ms: 10, calls: 3 },
      { name: 'FusedConv2D', ms: 5, calls: 1 },
      { name: 'Conv2DBackpropFilter', ms: 20, calls: 4 },
      { name: 'Add', ms: 2, calls: 10 },
      { name: 'Relu', ms: 3, calls: 10 },
      { name: 'Reshape', ms: 0, calls: 7 },
    ];
    const g = groupKernels(kernels);
    expect(g.map((c) => c.class)).toEqual([...KERNEL_CLASSES]);
    const total = kernels.reduce((s, k) => s + k.ms, 0);
    for (const c of g) {
      let ms = 0;
      let calls = 0;
      for (const k of kernels) {
        if (kernelClass(k.name) !== c.class) continue;
        ms += k.ms;
        calls += k.calls;
      }
      expect(c.ms).toBeCloseTo(ms, 10);
      expect(c.calls).toBe(calls);
      expect(c.share).toBeCloseTo(ms / total, 3);
    }
    expect(g.find((c) => c.class === 'convolution forward')!.kernels.map((k) => k.name)).toEqual(['Conv2D', 'FusedConv2D']);
    expect(g.find((c) => c.class === 'pooling')).toMatchObject({ ms: 0, calls: 0, share: 0, kernels: [] });
  });

  it('charges each record its own time: minus the records nested one level in it', () => {
    // Completion order: children before their parent. Tree: A(10){ B(3){ C(1) }, D(2) }, E(4), F(5){ G(5) }.
    const names = ['C', 'B', 'D', 'A', 'E', 'G', 'F'];
    const times = [1, 3, 2, 10, 4, 5, 5];
    const depths = [2, 1, 1, 0, 0, 1, 0];
    const parent: Record<string, string | null> = { A: null, B: 'A', C: 'B', D: 'A', E: null, F: null, G: 'F' };
    const self = exclusiveTimes(times, depths);
    names.forEach((n, i) => {
      const children = names.reduce((s, m, j) => s + (parent[m] === n ? times[j]! : 0), 0);
      expect(self[i]).toBe(times[i]! - children);
    });
    expect(self.reduce((a, b) => a + b, 0)).toBe(10 + 4 + 5);
  });

  it('charges a nested kernel to the class of its enclosing convolution kernel, else its own', () => {
    // Conv2DBackpropInput{ Conv2D{ Identity } }, unnamed scope{ Add, FundusLabBatchNormTrain{ Mul } }, Conv2D
    const names = ['Identity', 'Conv2D', 'Conv2DBackpropInput', 'Add', 'Mul', 'FundusLabBatchNormTrain', 'unnamed scope', 'Conv2D'];
    const depths = [2, 1, 0, 1, 2, 1, 0, 0];
    expect(recordClasses(names, depths)).toEqual([
      'conv input-gradient',
      'conv input-gradient',
      'conv input-gradient',
      'elementwise',
      'batchnorm',
      'batchnorm',
      'other',
      'convolution forward',
    ]);
  });

  it('profiles a training step of a tiny ResNet on wasm', async () => {
    const before = tf.memory().numTensors;
    const [p] = await profileTrainSteps([{ arch: 'resnet18-w4', size: 32, batch: 2, mode: 'train' }]);
    expect(tf.memory().numTensors).toBe(before);
    expect(p!.backend).toBe('wasm');
    const by = Object.fromEntries(p!.classes.map((c) => [c.class, c]));
    const calls = (cls: string, name: string) => by[cls]!.kernels.find((k) => k.name === name)?.calls;
    // 20 convolutions, each forward once and with a filter gradient; the stem has no input gradient.
    expect(calls('convolution forward', 'Conv2D')).toBe(20);
    expect(calls('conv filter-gradient', 'Conv2DBackpropFilter')).toBe(20);
    expect(calls('conv input-gradient', 'Conv2DBackpropInput')).toBe(19);
    expect(calls('batchnorm', 'FundusLabBatchNormTrain')).toBe(20);
    expect(calls('pooling', 'MaxPool')).toBe(1);
    expect(calls('optimizer', 'FundusLabAdamW')).toBe(62); // every trainable tensor of resnet18
    expect(p!.kernelMs).toBeGreaterThan(0);
    expect(p!.kernelMs).toBeLessThanOrEqual(p!.wallMs * 1.05); // own times: nothing counted twice
    const [s] = await profileTrainSteps([{ arch: 'resnet18-w4', size: 32, batch: 2, mode: 'train' }], undefined, 'sgd');
    const sgdCalls = Object.fromEntries(s!.classes.map((c) => [c.class, c]))['optimizer']!.kernels.find(
      (k) => k.name === 'FundusLabSgd',
    )?.calls;
    expect(sgdCalls).toBe(62);
  });
});

describe('the training step of a benchmark', () => {
  // One step of each optimizer against a naive re-implementation of torch's first step on the same gradients.
  const tiny = { arch: 'resnet18-w4', size: 32, batch: 2 };

  async function firstStep(
    kind: 'adamw' | 'sgd',
  ): Promise<{ before: Map<string, Float32Array>; after: Map<string, Float32Array>; grads: Map<string, Float32Array> }> {
    await initEngine({ preference: 'wasm' });
    const model = ResNet.create(parseArch(tiny.arch, 5), { seed: 7 });
    const x = tf.randomNormal([tiny.batch, tiny.size, tiny.size, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 3], 'int32'), 5).toFloat() as tf.Tensor2D;
    const vars = model.trainableVariables();
    const read = async () => new Map(await Promise.all([...vars].map(async ([n, v]) => [n, (await v.data()) as Float32Array] as const)));
    const before = await read();
    const { value, grads: g } = namedGradients(
      vars,
      () => tf.losses.softmaxCrossEntropy(labels, model.forward(x, { training: true })) as tf.Scalar,
    );
    const grads = new Map(await Promise.all([...g].map(async ([n, t]) => [n, (await t.data()) as Float32Array] as const)));
    tf.dispose([value, ...g.values()]);
    const optimizer = makeOptimizer(model, optimizerSettings(kind));
    await trainStep(model, x, labels, optimizer);
    const after = await read();
    optimizer.dispose();
    tf.dispose([x, labels]);
    model.dispose();
    return { before, after, grads };
  }

  for (const kind of ['adamw', 'sgd'] as const) {
    it(`${kind}: every parameter moves as torch's first ${kind === 'sgd' ? 'SGD' : 'AdamW'} step (≤ 1e-6 · (1 + |w|))`, async () => {
      const { before, after, grads } = await firstStep(kind);
      let worst = 0;
      let moved = 0;
      for (const [name, w0] of before) {
        const g = grads.get(name)!;
        const w1 = after.get(name)!;
        for (let i = 0; i < w0.length; i++) {
          // torch, first step: SGD buf = g + wd·w, w −= lr·buf; AdamW w·(1 − lr·wd), then − lr·m̂/(√v̂ + eps) with m̂ = g, v̂ = g².
          const expected =
            kind === 'sgd'
              ? w0[i]! - RUN_SGD.lr * (g[i]! + RUN_SGD.weightDecay * w0[i]!)
              : w0[i]! * (1 - RUN_ADAMW.lr * RUN_ADAMW.weightDecay) - (RUN_ADAMW.lr * g[i]!) / (Math.abs(g[i]!) + RUN_ADAMW.eps);
          worst = Math.max(worst, Math.abs(w1[i]! - expected) / (1 + Math.abs(expected)));
          if (w1[i] !== w0[i]) moved++;
        }
      }
      expect(moved).toBeGreaterThan(1000);
      expect(worst).toBeLessThan(1e-6);
    });
  }

  it('the CLI refuses an unknown --optimizer, naming the option', async () => {
    await expect(runBenchEngine(['engine', '--optimizer', 'adam'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'optimizer', message: 'one of adamw, sgd' }],
    });
  });
});
