/**
 * The tfjs LRP backward passes against the naive float64 oracle (naive.ts: explicit loops over every
 * contribution x_i·w_ij) on tiny nets: conv+relu+maxpool+conv+relu+avgpool+linear with biases and
 * signed inputs, and a residual block (stride-2 branch, 1x1 downsample, explicit sum). Every rule and
 * every configurable choice is exercised: first layer α1β0 / zB / flat, max pooling winner-take-all /
 * proportional, residual sum Norm / α1β0, α2β1, Epsilon. Tolerance: max|Δ| ≤ 1e-5·max|R_naive|
 * (float32 against float64; measured ≤ 2.3e-7 on wasm).
 */
import tf from '@tensorflow/tfjs';
import type { Tensor2D } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRules, lrpComposite, type Composite } from '../../../src-main/analysis/lrp/composite';
import { Explainer, startRelevance } from '../../../src-main/analysis/lrp/explain';
import { disposeGraph, type LayerGraph } from '../../../src-main/analysis/lrp/graph';
import { poolRelevance } from '../../../src-main/analysis/lrp/index';
import { poolHeatmap, POOLINGS } from '../../../src-main/analysis/lrp/rma-rra';
import { AlphaBeta, Epsilon, ZPlus } from '../../../src-main/analysis/lrp/rules';
import { initEngine } from '../../../src-main/engine/backend';
import { relInfDiff } from '../../support/numeric';
import { convNode, linearNode, randomInput, tinyGraph } from './helpers';
import { naiveLrp, toArr, type Arr } from './naive';

const TOLERANCE = 1e-5;
const EPS = 1e-6;
const CLASSES = [[0], [2]];

let plain: LayerGraph;
let residual: LayerGraph;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  plain = tinyGraph(
    [
      convNode('conv1', 'input', 3, 3, 4, 1, 1, 11, true),
      { type: 'relu', name: 'relu1', inputs: ['conv1'] },
      { type: 'maxpool', name: 'maxpool', inputs: ['relu1'], size: 3, stride: 2, pad: 1 },
      convNode('conv2', 'maxpool', 3, 4, 5, 2, 1, 12, true),
      { type: 'relu', name: 'relu2', inputs: ['conv2'] },
      { type: 'avgpool', name: 'avgpool', inputs: ['relu2'] },
      linearNode('fc', 'avgpool', 5, 3, 13, true),
    ],
    'fc',
  );
  residual = tinyGraph(
    [
      convNode('conv1', 'input', 3, 3, 4, 2, 1, 21, true),
      { type: 'relu', name: 'relu', inputs: ['conv1'] },
      convNode('block.conv1', 'relu', 3, 4, 6, 2, 1, 22, true),
      { type: 'relu', name: 'block.relu1', inputs: ['block.conv1'] },
      convNode('block.conv2', 'block.relu1', 3, 6, 6, 1, 1, 23, true),
      convNode('block.downsample', 'relu', 1, 4, 6, 2, 0, 24, true),
      { type: 'sum', name: 'block.add', inputs: ['block.conv2', 'block.downsample'] },
      { type: 'relu', name: 'block.relu', inputs: ['block.add'] },
      { type: 'avgpool', name: 'avgpool', inputs: ['block.relu'] },
      linearNode('fc', 'avgpool', 6, 3, 25, true),
    ],
    'fc',
  );
});

afterAll(() => {
  disposeGraph(plain);
  disposeGraph(residual);
});

function compare(
  graph: LayerGraph,
  composite: Composite,
  shape: [number, number, number, number],
  seed: number,
): { diff: number; ours: Float32Array; naive: Arr } {
  const x = randomInput(shape, seed);
  const explainer = new Explainer(graph, composite, { stabilizer: EPS });
  const before = tf.memory().numTensors;
  const { relevance, logits, start } = explainer.explain(x, (z) => startRelevance(z, CLASSES, 'logit'));
  const ours = relevance.dataSync() as Float32Array;
  const naive = naiveLrp(graph, explainer.rules, toArr(x), toArr(start), EPS);
  tf.dispose([relevance, logits, start]);
  explainer.dispose(); // frees the cached W⁺/W⁻ made during explain
  expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  x.dispose();
  return { diff: relInfDiff(ours, naive.data), ours, naive };
}

const CASES: [string, () => Composite][] = [
  ['default: first α1β0, maxpool winner-take-all, sum Norm', () => lrpComposite()],
  [
    'first zB (bounds ±2.5), maxpool proportional',
    () => lrpComposite({ firstLayer: 'zbox', maxPool: 'proportional', bounds: { low: [-2.5, -2, -3], high: [2.5, 2, 3] } }),
  ],
  ['first flat, sum α1β0', () => lrpComposite({ firstLayer: 'flat', sum: 'alpha-beta' })],
  [
    'conv α2β1, linear Epsilon(0.25)',
    () => ({
      name: 'a2b1-eps',
      entries: [
        { match: { types: ['conv'] }, rule: AlphaBeta(2, 1) },
        { match: { types: ['linear'] }, rule: Epsilon(0.25) },
        ...lrpComposite().entries,
      ],
    }),
  ],
];

describe('LRP vs the naive float64 implementation', () => {
  for (const [label, make] of CASES) {
    it(`plain net (conv, relu, maxpool, conv s2, relu, avgpool, linear): ${label}`, () => {
      const { diff, naive } = compare(plain, make(), [2, 9, 11, 3], 101);
      console.info(`naive ${label} (plain): rel. max diff ${diff.toExponential(2)}`);
      expect(naive.data.some((v) => v !== 0)).toBe(true);
      expect(diff).toBeLessThanOrEqual(TOLERANCE);
    });
    it(`residual block (stride-2 branch, 1x1 downsample, sum): ${label}`, () => {
      const { diff, naive } = compare(residual, make(), [2, 8, 7, 3], 102);
      console.info(`naive ${label} (residual): rel. max diff ${diff.toExponential(2)}`);
      expect(naive.data.some((v) => v !== 0)).toBe(true);
      expect(diff).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('ZPlus gives exactly the AlphaBeta(1, 0) relevance', () => {
    const x = randomInput([2, 9, 11, 3], 103);
    const run = (c: Composite) => {
      const e = new Explainer(plain, c);
      const r = e.explain(x, (z) => startRelevance(z, CLASSES));
      const v = r.relevance.dataSync().slice();
      tf.dispose([r.relevance, r.logits, r.start]);
      e.dispose();
      return v;
    };
    const zplus = run({ name: 'zplus', entries: [{ match: { types: ['conv', 'linear'] }, rule: ZPlus() }, ...lrpComposite().entries] });
    const ab = run(lrpComposite());
    x.dispose();
    expect(Array.from(zplus)).toEqual(Array.from(ab));
  });

  it("linearity: a 'logit' heatmap is the 'unit' heatmap scaled by the logit (so only a negative logit changes RMA/RRA, by flipping the sign)", () => {
    const x = randomInput([2, 9, 11, 3], 104);
    const e = new Explainer(plain, lrpComposite());
    const a = e.explain(x, (z) => startRelevance(z, CLASSES, 'unit'));
    const b = e.explain(x, (z) => startRelevance(z, CLASSES, 'logit'));
    const logits = a.logits.dataSync();
    const unit = a.relevance.dataSync();
    const logit = b.relevance.dataSync();
    const per = unit.length / 2;
    const scaled = Float32Array.from(unit, (v, i) => v * logits[Math.floor(i / per) * 3 + CLASSES[Math.floor(i / per)]![0]!]!);
    expect(relInfDiff(logit, scaled)).toBeLessThanOrEqual(1e-6);
    tf.dispose([a.relevance, a.logits, a.start, b.relevance, b.logits, b.start, x]);
    e.dispose();
  });

  it('an error inside the pass (a start of the wrong shape, a failing observer) leaks no tensor', () => {
    const x = randomInput([2, 9, 11, 3], 106);
    const e = new Explainer(plain, lrpComposite());
    const warm = e.explain(x, (z) => startRelevance(z, CLASSES)); // fills the parameter cache
    tf.dispose([warm.relevance, warm.logits, warm.start]);
    const before = tf.memory().numTensors;
    expect(() => e.explain(x, () => tf.zeros([2, 4]))).toThrow(/start relevance has shape \[2,4\]/);
    expect(() =>
      e.explain(
        x,
        (z) => startRelevance(z, CLASSES),
        (node) => {
          if (node.name === 'conv2') throw new Error('observer failed');
        },
      ),
    ).toThrow('observer failed');
    expect(tf.memory().numTensors).toBe(before);
    e.dispose();
    x.dispose();
  });

  it('the rule assignment is first-match-wins with the first layer singled out', () => {
    const rules = assignRules(residual, lrpComposite({ firstLayer: 'flat', maxPool: 'proportional' })).map((r) => r.kind);
    expect(rules).toEqual(['flat', 'pass', 'alpha-beta', 'pass', 'alpha-beta', 'alpha-beta', 'norm', 'pass', 'norm', 'alpha-beta']);
  });

  it('a rule on a layer type it is not defined for is refused with the layer named', () => {
    const bad: Composite = { name: 'bad', entries: [{ match: { types: ['relu'] }, rule: AlphaBeta(1, 0) }] };
    expect(() => assignRules(plain, bad)).toThrow(/AlphaBeta\(α=1, β=0\) is not defined for layer "relu1" \(relu\)/);
    expect(() => AlphaBeta(2, 0)).toThrow(/α − β = 1/);
  });
});

describe('poolRelevance (tfjs) = poolHeatmap (float64)', () => {
  it.each(POOLINGS)('%s', (pooling) => {
    const r = randomInput([2, 5, 4, 3], 105);
    const pooled = poolRelevance(r, pooling);
    const values = r.dataSync();
    const per = 5 * 4 * 3;
    const expected = [0, 1].flatMap((i) => Array.from(poolHeatmap(values.subarray(i * per, (i + 1) * per), 3, pooling)));
    expect(pooled.shape).toEqual([2, 5, 4]);
    expect(relInfDiff(pooled.dataSync(), expected)).toBeLessThanOrEqual(1e-6);
    tf.dispose([r, pooled]);
  });
});

describe('start relevance', () => {
  it('logit mode puts the chosen logits (several per image for a group), unit mode ones', () => {
    const z = tf.tensor2d([
      [1, -2, 3, 4, 5],
      [6, 7, -8, 9, 10],
    ]) as Tensor2D;
    const logit = startRelevance(z, [[3, 4], [2]], 'logit');
    const unit = startRelevance(z, [[3, 4], [2]]);
    expect(Array.from(logit.dataSync())).toEqual([0, 0, 0, 4, 5, 0, 0, -8, 0, 0]);
    expect(Array.from(unit.dataSync())).toEqual([0, 0, 0, 1, 1, 0, 0, 1, 0, 0]);
    expect(() => startRelevance(z, [[5], [0]])).toThrow(/class 5 of image 0/);
    tf.dispose([z, logit, unit]);
  });
});
