/**
 * The PyTorch parity fixtures on webgpu, with the golden tests' own fixtures, loading code and
 * tolerances (test/golden/resnet, test/golden/adamw), read back asynchronously:
 *
 * - eval-mode logits (hooked and BatchNorm-folded) and layer1..4 activations of resnet18-w4
 *   (torch.save zip) and resnet50-w4 (safetensors) on the 2x3x61x67 batch: ≤ 1e-4 × max|expected|;
 * - one train-mode forward of resnet18-w4: logits and BatchNorm running statistics, ≤ 1e-4 relative;
 * - train-mode softmax cross-entropy gradients of every parameter of resnet50-w4 (4x3x64x64) against
 *   PyTorch float64, through FundusLab's WGSL BatchNorm kernels: within 5× torch float32's own error;
 * - AdamW (constant lr, biases without decay) and SGD (momentum 0.9, weight decay 1e-4, cosine) fed
 *   torch's gradients for 20 steps: parameters after steps 1, 5 and 20 and the final moments or
 *   momentum buffers ≤ 1e-5 relative, through FundusLab's WGSL optimizer kernels.
 *
 * Left out (time on the software adapter, or nothing webgpu-specific): the legacy .pt and other
 * weight-file variants of the same models, the MoCo checkpoint import, the hooked (unfused ReLU)
 * gradient path, the other AdamW schedules and the tfjs-gradient AdamW runs, and the MoCo v2 golden
 * run (20 steps of two encoders; its state dict is read synchronously).
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResNet } from '../../src-main/engine/models/resnet';
import { parseArch } from '../../src-main/engine/models/resnet-spec';
import { AdamW } from '../../src-main/engine/optim/adamw';
import { Sgd } from '../../src-main/engine/optim/sgd';
import { learningRateAt } from '../../src-main/engine/optim/schedule';
import { importWeights } from '../../src-main/engine/weights/import';
import { readWeightFile } from '../../src-main/engine/weights/read';
import { fx, makeParams, REGIMES } from '../golden/adamw/fixtures';
import { HERE, gradFloats, inputNHWC, loadFixtures, loadGradCases, readArray, toNCHWAsync } from '../golden/resnet/helpers';
import { relInfDiff } from '../support/numeric';
import { webgpuEngine } from '../support/webgpu';

const status = await webgpuEngine();
const fixtures = loadFixtures()!;
const STAGES = ['layer1', 'layer2', 'layer3', 'layer4'] as const;

async function importedModel(arch: string, classes: number, file: string): Promise<ResNet> {
  const model = ResNet.create(parseArch(arch, classes));
  const report = importWeights(model, await readWeightFile(path.join(HERE, file)));
  expect(report.skipped).toEqual([]);
  return model;
}

const read = async (t: Tensor): Promise<Float32Array> => (await t.data()) as Float32Array;

/** The optimizer's state variable …/<parameter>/<suffix>, read asynchronously (exportState reads synchronously). */
async function stateOf(param: string, suffix: string): Promise<Float32Array> {
  const found = Object.entries(tf.engine().registeredVariables).filter(([name]) => name.endsWith(`/${param}/${suffix}`));
  expect(found.length, `${param}/${suffix}`).toBe(1);
  return read(found[0]![1]);
}

describe.skipIf(!status)('PyTorch parity on webgpu', () => {
  const cases: [string, string][] = [
    ['resnet18-w4', 'resnet18_w4.pt'],
    ['resnet50-w4', 'resnet50_w4.safetensors'],
  ];
  for (const [name, file] of cases) {
    it(`${name} (${file}): eval logits, folded logits and layer1..4 within 1e-4 of torchvision`, async () => {
      const c = fixtures.cases[name]!;
      expect(c.weights).toContain(file);
      const model = await importedModel(c.arch, c.classes, file);
      const x = inputNHWC(fixtures.input);
      const before = tf.memory().numTensors;
      const kept: Record<string, Tensor> = {};
      const logits = model.forward(x, {
        hook: (n, kind, out) => {
          if (kind === 'stage') kept[n] = tf.keep(out);
        },
      });
      const folded = model.forward(x);
      const errors: Record<string, number> = {
        logits: relInfDiff(await read(logits), readArray(c.logits)),
        'logits (BN folded)': relInfDiff(await read(folded), readArray(c.logits)),
      };
      for (const s of STAGES) errors[s] = relInfDiff(await toNCHWAsync(kept[s]!), readArray(c[s]));
      tf.dispose([logits, folded, ...Object.values(kept)]);
      model.clearFoldCache();
      expect(tf.memory().numTensors).toBe(before);
      console.info(`parity ${name} ${file} (webgpu): ${JSON.stringify(errors)}`);
      for (const [what, err] of Object.entries(errors)) expect(err, what).toBeLessThanOrEqual(1e-4);
      x.dispose();
      model.dispose();
    });
  }

  it('resnet18-w4: one train-mode forward (logits, running statistics) within 1e-4 of torchvision', async () => {
    const c = fixtures.cases['resnet18-w4']!;
    const train = c.train!;
    const model = await importedModel(c.arch, c.classes, c.weights[0]!);
    const x = inputNHWC(fixtures.input);
    const logits = model.forward(x, { training: true });
    const errors = {
      logits: relInfDiff(await read(logits), readArray(train.logits!)),
      'bn1.running_mean': relInfDiff(await read(model.variable('bn1.running_mean')), readArray(train['bn1.running_mean']!)),
      'bn1.running_var': relInfDiff(await read(model.variable('bn1.running_var')), readArray(train['bn1.running_var']!)),
      'layer4.1.bn2.running_var': relInfDiff(
        await read(model.variable('layer4.1.bn2.running_var')),
        readArray(train['layer4.1.bn2.running_var']!),
      ),
    };
    console.info(`train-mode parity (webgpu): ${JSON.stringify(errors)}`);
    for (const [what, err] of Object.entries(errors)) expect(err, what).toBeLessThanOrEqual(1e-4);
    expect(model.batchesTracked.get('bn1')).toBe(train['bn1.num_batches_tracked']);
    tf.dispose([x, logits]);
    model.dispose();
  });

  for (const [name, c] of Object.entries(loadGradCases())) {
    it(`${name}: every train-mode gradient within 5× torch float32's error of torch float64`, async () => {
      const tolerance = 5 * Math.max(...Object.values(c.grads.tensors).map((t) => t.torch32_rel_err));
      const model = await importedModel(c.arch, c.classes, c.weights);
      const trainable = model.trainableVariables();
      const expected = gradFloats(c.grads.file);
      const x = tf.tidy(() => tf.transpose(tf.tensor4d(gradFloats(c.input.file), c.input.shape), [0, 2, 3, 1]) as Tensor4D);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(c.labels, 'int32'), c.classes).toFloat());
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, model.forward(x, { training: true })) as tf.Scalar,
          [...trainable.values()],
        );
        return [value, ...Object.values(grads)];
      });
      const [value, ...gradList] = profile.result as Tensor[];
      expect(profile.kernelNames).toContain('FundusLabBatchNormTrainGrad');
      const grads = new Map([...trainable.values()].map((v, i) => [v.name, gradList[i]!]));
      const errors: { param: string; err: number }[] = [];
      for (const [param, v] of trainable) {
        const t = c.grads.tensors[param]!;
        const n = t.shape.reduce((a, b) => a * b, 1);
        errors.push({ param, err: relInfDiff(await read(grads.get(v.name)!), expected.subarray(t.offset, t.offset + n)) });
      }
      const loss = (await read(value!))[0]!;
      tf.dispose([x, y, value!, ...gradList]);
      model.dispose();
      expect(errors.length).toBe(Object.keys(c.grads.tensors).length);
      expect(Math.abs(loss - c.loss64) / c.loss64).toBeLessThanOrEqual(1e-5);
      const worst = errors.sort((a, b) => b.err - a.err)[0]!;
      console.info(
        `gradients ${name} (webgpu): worst ${worst.param} ${worst.err.toExponential(2)}, tolerance ${tolerance.toExponential(2)}`,
      );
      expect(worst.err, `worst: ${worst.param}`).toBeLessThanOrEqual(tolerance);
    }, 60_000);
  }

  it('AdamW (constant lr, biases without decay) fed torch’s gradients: parameters after steps 1, 5, 20 and the moments within 1e-5', async () => {
    const c = fx.cases.constant_nobias;
    const r = REGIMES.constant_nobias;
    const params = makeParams(c);
    const opt = new AdamW(params, { lr: r.base, betas: fx.betas, eps: fx.eps, weightDecay: fx.weight_decay, noDecay: r.noDecay });
    const profile = await tf.profile(async () => {
      for (let t = 0; t < fx.steps; t++) {
        opt.setLearningRate(learningRateAt(r.base, r.schedule, t, { warmup: r.warmup, totalSteps: fx.steps }));
        const grads = new Map(c.names.map((n) => [n, tf.tensor(c.grads[t]![n]!, c.shapes[n]!)]));
        opt.step(grads);
        tf.dispose([...grads.values()]);
        const snap = c.params[String(t + 1)];
        if (snap)
          for (const n of c.names)
            expect(relInfDiff(await read(params.get(n)!), snap[n]!), `${n} after step ${t + 1}`).toBeLessThanOrEqual(1e-5);
      }
    });
    expect(profile.kernelNames).toContain('FundusLabAdamW');
    for (const n of c.names) {
      expect(relInfDiff(await stateOf(n, 'exp_avg'), c.state[n]!.exp_avg), `${n} exp_avg`).toBeLessThanOrEqual(1e-5);
      expect(relInfDiff(await stateOf(n, 'exp_avg_sq'), c.state[n]!.exp_avg_sq), `${n} exp_avg_sq`).toBeLessThanOrEqual(1e-5);
    }
    opt.dispose();
    tf.dispose([...params.values()]);
  });

  it('SGD (momentum 0.9, weight decay 1e-4, cosine) fed torch’s gradients: parameters after steps 1, 5, 20 and the buffers within 1e-5', async () => {
    const c = fx.cases.sgd_cosine;
    const params = makeParams(c);
    const opt = new Sgd(params, { lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
    const profile = await tf.profile(async () => {
      for (let t = 0; t < fx.steps; t++) {
        opt.setLearningRate(c.lrs[t]!);
        const grads = new Map(c.names.map((n) => [n, tf.tensor(c.grads[t]![n]!, c.shapes[n]!)]));
        opt.step(grads);
        tf.dispose([...grads.values()]);
        const snap = c.params[String(t + 1)];
        if (snap)
          for (const n of c.names)
            expect(relInfDiff(await read(params.get(n)!), snap[n]!), `${n} after step ${t + 1}`).toBeLessThanOrEqual(1e-5);
      }
    });
    expect(profile.kernelNames).toContain('FundusLabSgd');
    for (const n of c.names)
      expect(relInfDiff(await stateOf(n, 'momentum_buffer'), c.state[n]!.momentum_buffer), `${n} buffer`).toBeLessThanOrEqual(1e-5);
    opt.dispose();
    tf.dispose([...params.values()]);
  });
});
