/**
 * Canonizers leave the network's function unchanged and the model untouched:
 * - BatchNorm merging (property, fast-check over random ResNets — depth 18 or 50, base width 2–4,
 *   randomised BatchNorm statistics, input side 17–40): the canonized graph's logits equal
 *   ResNet.forward with the hook path (conv, then tf.batchNorm with running statistics, nothing folded)
 *   to max|Δ| ≤ 1e-5·max|logit|; and a single conv+bn layer to 1e-5 against a float64 computation.
 * - The residual canonizer turns every functional add into a sum layer; outputs are bitwise equal.
 * - Reversibility: after canonizing, explaining and disposing, every model variable is bitwise
 *   unchanged, the raw graph still runs, and no tensor leaked.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonize, mergeBatchNorm, mergeConvBn, residualSum } from '../../../src-main/analysis/lrp/canonizers';
import { startRelevance } from '../../../src-main/analysis/lrp/explain';
import { disposeGraph, resnetGraph, runGraph } from '../../../src-main/analysis/lrp/graph';
import { resnetExplainer } from '../../../src-main/analysis/lrp/index';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { relInfDiff } from '../../support/numeric';
import { normals, randomInput, randomizeBatchNorm, uniforms } from './helpers';

const TOLERANCE = 1e-5;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

/** Logits of the model's unfolded eval path (a no-op hook disables BN folding in ResNet.forward). */
function unfoldedLogits(model: ResNet, x: Tensor4D): Float32Array {
  const y = model.forward(x, { hook: () => undefined });
  const v = y.dataSync() as Float32Array;
  y.dispose();
  return v;
}

describe('mergeBatchNorm', () => {
  it('one conv+bn: W·γ/√(σ²+ε), (b − μ)·γ/√(σ²+ε) + β against float64', () => {
    const w = normals(3 * 3 * 2 * 4, 1);
    const b = normals(4, 2);
    const gamma = uniforms(4, 3, 0.5, 1.5);
    const beta = normals(4, 4, 0.2);
    const mean = normals(4, 5, 0.2);
    const variance = uniforms(4, 6, 0.5, 2);
    const eps = 1e-5;
    const t = {
      weight: tf.tensor4d(w, [3, 3, 2, 4]),
      bias: tf.tensor1d(b) as Tensor1D,
      gamma: tf.tensor1d(gamma) as Tensor1D,
      beta: tf.tensor1d(beta) as Tensor1D,
      mean: tf.tensor1d(mean) as Tensor1D,
      variance: tf.tensor1d(variance) as Tensor1D,
      eps,
    };
    const merged = mergeConvBn(t, t);
    const scale = Array.from(gamma, (g, c) => g / Math.sqrt(variance[c]! + eps));
    const expectW = Array.from(w, (v, i) => v * scale[i % 4]!);
    const expectB = scale.map((s, c) => (b[c]! - mean[c]!) * s + beta[c]!);
    expect(relInfDiff(merged.weight.dataSync(), expectW)).toBeLessThanOrEqual(TOLERANCE);
    expect(relInfDiff(merged.bias.dataSync(), expectB)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([merged.weight, merged.bias, t.weight, t.bias, t.gamma, t.beta, t.mean, t.variance]);
  });

  it('property: merged graph logits = unfolded ResNet.forward (random ResNet18/50, widths 2–4, random BN, sizes 17–40)', () => {
    const errors: number[] = [];
    fc.assert(
      fc.property(
        fc.constantFrom('resnet18', 'resnet50'),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 17, max: 40 }),
        fc.integer({ min: 0, max: 1e6 }),
        (arch, width, side, seed) => {
          const model = ResNet.create(parseArch(`${arch}-w${width}`, 5), { seed });
          randomizeBatchNorm(model, seed + 1);
          const x = randomInput([2, side, side + 3, 3], seed + 2);
          const before = tf.memory().numTensors;
          const raw = resnetGraph(model);
          const merged = canonize(raw, [mergeBatchNorm]);
          expect(merged.nodes.some((n) => n.type === 'bn')).toBe(false);
          const out = runGraph(merged, x);
          const ours = out.dataSync() as Float32Array;
          out.dispose();
          disposeGraph(merged);
          expect(tf.memory().numTensors).toBe(before);
          const reference = unfoldedLogits(model, x);
          x.dispose();
          model.dispose();
          const err = relInfDiff(ours, reference);
          errors.push(err);
          return err <= TOLERANCE;
        },
      ),
      { numRuns: 16, seed: 20221 },
    );
    console.info(`BN merge: max rel. logit error over ${errors.length} random nets ${Math.max(...errors).toExponential(2)}`);
  });
});

describe('residualSum', () => {
  it('every functional add becomes an explicit sum layer; outputs are bitwise equal', () => {
    const model = ResNet.create(parseArch('resnet50-w2', 5), { seed: 4 });
    randomizeBatchNorm(model, 5);
    const raw = resnetGraph(model);
    const summed = residualSum.apply(raw);
    expect(raw.nodes.filter((n) => n.type === 'add').length).toBe(16);
    expect(summed.nodes.filter((n) => n.type === 'add').length).toBe(0);
    expect(summed.nodes.filter((n) => n.type === 'sum').map((n) => n.name)).toEqual(
      raw.nodes.filter((n) => n.type === 'add').map((n) => n.name),
    );
    const x = randomInput([1, 33, 29, 3], 6);
    const a = runGraph(raw, x);
    const b = runGraph(summed, x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b, x]);
    model.dispose();
  });
});

describe('reversibility', () => {
  it('explaining leaves every model variable bitwise unchanged and leaks nothing', () => {
    const model = ResNet.create(parseArch('resnet18-w4', 5), { seed: 8 });
    randomizeBatchNorm(model, 9);
    const snapshot = new Map(
      model.specs.filter((s) => s.role !== 'bn.num_batches_tracked').map((s) => [s.name, Array.from(model.variable(s.name).dataSync())]),
    );
    const x = randomInput([2, 40, 40, 3], 10);
    const logitsBefore = unfoldedLogits(model, x);
    const before = tf.memory().numTensors;
    const lrp = resnetExplainer(model, { firstLayer: 'zbox', bounds: { low: [-3, -3, -3], high: [3, 3, 3] } });
    const r = lrp.explainer.explain(x, (z) => startRelevance(z, [[1], [4]]));
    tf.dispose([r.relevance, r.logits, r.start]);
    lrp.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const [name, values] of snapshot) expect(Array.from(model.variable(name).dataSync()), name).toEqual(values);
    expect(Array.from(unfoldedLogits(model, x))).toEqual(Array.from(logitsBefore));
    const raw = resnetGraph(model);
    const out = runGraph(raw, x);
    expect(relInfDiff(out.dataSync(), logitsBefore)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([out, x]);
    model.dispose();
  });
});
