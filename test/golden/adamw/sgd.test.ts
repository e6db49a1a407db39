/**
 * SGD (momentum 0.9, coupled weight decay 1e-4, cosine lr from 0.03 — the MoCo v2 recipe) against
 * torch.optim.SGD (fixtures.json case `sgd_cosine`, make_fixtures.py, torch 1.13): fed torch's
 * gradients of each of the 20 steps, the parameters after steps 1, 5, 20 and the final momentum
 * buffers match to ≤ 1e-5 × max|expected| (float32); with tfjs's own gradients, the losses match
 * to 1e-5 relative. A checkpoint round trip (export → new optimizer → load) continues identically.
 */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { learningRateAt } from '../../../src-main/engine/optim/schedule';
import { Sgd } from '../../../src-main/engine/optim/sgd';
import { namedGradients } from '../../../src-main/engine/optim/adamw';
import { relInfDiff as relErr } from '../../support/numeric';
import { fx } from './fixtures';

const c = fx.cases.sgd_cosine;
const TOL = 1e-5;
const makeParams = () =>
  new Map(
    c.names.map((n) => [
      n,
      tf.variable(tf.tensor(c.initial[n]!, c.shapes[n]!), true, `sgd_golden_${n}_${Math.random().toString(36).slice(2)}`),
    ]),
  );
const lrAt = (t: number) => learningRateAt(0.03, { kind: 'cosine', tMax: fx.steps, etaMin: 0 }, t, { totalSteps: fx.steps });

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

describe('SGD golden (torch.optim.SGD, momentum 0.9, weight decay 1e-4)', () => {
  it('the cosine schedule gives torch lrs', () => {
    for (let t = 0; t < fx.steps; t++) expect(Math.abs(lrAt(t) - c.lrs[t]!) / Math.max(c.lrs[t]!, 1e-12)).toBeLessThan(1e-12);
  });

  it('parameters after steps 1, 5, 20 and the momentum buffers equal torch (torch gradients)', async () => {
    const params = makeParams();
    const opt = new Sgd(params, { lr: 0.03, momentum: 0.9, weightDecay: 1e-4 });
    const before = tf.memory().numTensors;
    for (let t = 0; t < fx.steps; t++) {
      opt.setLearningRate(c.lrs[t]!);
      const grads = new Map(c.names.map((n) => [n, tf.tensor(c.grads[t]![n]!, c.shapes[n]!)]));
      opt.step(grads);
      tf.dispose([...grads.values()]);
      expect(tf.memory().numTensors).toBe(before + c.names.length); // one buffer per parameter
      const snap = c.params[String(t + 1)];
      if (snap)
        for (const n of c.names) expect(relErr(params.get(n)!.dataSync(), snap[n]!), `${n} after step ${t + 1}`).toBeLessThanOrEqual(TOL);
    }
    const state = await opt.exportState();
    for (const n of c.names) expect(relErr(state.params[n]!.momentumBuffer, c.state[n]!.momentum_buffer)).toBeLessThanOrEqual(TOL);
    opt.dispose();
    tf.dispose([...params.values()]);
  });

  it('a mid-run export/load continues exactly like the uninterrupted optimizer (tfjs gradients)', async () => {
    const x = tf.tensor2d(fx.x.values, fx.x.shape);
    const y = tf.oneHot(tf.tensor1d(fx.y, 'int32'), 3);
    const loss = (p: Map<string, tf.Variable>) => () =>
      tf.tidy(() => {
        const h = tf.relu(tf.add(tf.matMul(x, p.get('0.weight')! as tf.Tensor2D, false, true), p.get('0.bias')!)) as tf.Tensor2D;
        const logits = tf.add(tf.matMul(h, p.get('2.weight')! as tf.Tensor2D, false, true), p.get('2.bias')!);
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1))) as tf.Scalar;
      });
    const a = makeParams();
    const b = makeParams();
    let optA = new Sgd(a, { lr: 0.03, weightDecay: 1e-4 });
    const optB = new Sgd(b, { lr: 0.03, weightDecay: 1e-4 });
    for (let t = 0; t < fx.steps; t++) {
      if (t === 7) {
        const saved = await optA.exportState();
        optA.dispose();
        optA = new Sgd(a, { lr: 0.03, weightDecay: 1e-4 });
        optA.loadState(saved);
      }
      for (const [opt, p] of [
        [optA, a],
        [optB, b],
      ] as const) {
        opt.setLearningRate(lrAt(t));
        const { value, grads } = namedGradients(p, loss(p));
        if (p === a) expect(Math.abs(value.dataSync()[0]! - c.losses[t]!) / c.losses[t]!).toBeLessThan(1e-5);
        opt.step(grads);
        tf.dispose([value, ...grads.values()]);
      }
    }
    for (const n of c.names) expect(Array.from(a.get(n)!.dataSync())).toEqual(Array.from(b.get(n)!.dataSync()));
    optA.dispose();
    optB.dispose();
    tf.dispose([x, y, ...a.values(), ...b.values()]);
  });
});
