/**
 * AdamW and lr schedules against torch.optim.AdamW / lr_scheduler (fixtures.json, made by
 * make_fixtures.py with Debian's torch 1.13). A 2-layer MLP (torch layouts and names) is trained
 * 20 steps with weight decay 0.05 under three regimes (cosine; constant with biases excluded from
 * decay; linear warm-up then cosine).
 *
 * - Optimizer alone: fed torch's own gradients of every step, our parameters after steps 1, 5, 20
 *   and the final moments must match to ≤ 1e-5 × max|expected| (float32).
 * - End to end: gradients computed by tfjs on the same MLP and data: parameters ≤ 1e-5 relative.
 * - Schedules: our lr at every step equals torch's to ≤ 1e-12 relative.
 */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { AdamW } from '../../../src-main/engine/optim/adamw';
import { learningRateAt } from '../../../src-main/engine/optim/schedule';
import { relInfDiff as relErr } from '../../support/numeric';
import { fx, makeParams, REGIMES } from './fixtures';

const TOL = 1e-5;

function mlpLoss(p: Map<string, tf.Variable>, x: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  const h = tf.relu(tf.add(tf.matMul(x, p.get('0.weight')! as tf.Tensor2D, false, true), p.get('0.bias')!));
  const logits = tf.add(tf.matMul(h as tf.Tensor2D, p.get('2.weight')! as tf.Tensor2D, false, true), p.get('2.bias')!);
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(y, 3)), 1))) as tf.Scalar;
}

const worst: Record<string, number> = {};

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

describe.each(Object.keys(REGIMES) as (keyof typeof REGIMES)[])('AdamW golden: %s', (name) => {
  const c = fx.cases[name];
  const r = REGIMES[name];

  it('schedule reproduces torch lrs', () => {
    for (let t = 0; t < fx.steps; t++) {
      const lr = learningRateAt(r.base, r.schedule, t, { warmup: r.warmup, totalSteps: fx.steps });
      expect(Math.abs(lr - c.lrs[t]!) / c.lrs[t]!).toBeLessThan(1e-12);
    }
  });

  for (const mode of ['torch gradients', 'tfjs gradients'] as const) {
    it(`parameters after steps 1, 5, 20 (${mode})`, async () => {
      const params = makeParams(c);
      const opt = new AdamW(params, { lr: r.base, betas: fx.betas, eps: fx.eps, weightDecay: fx.weight_decay, noDecay: r.noDecay });
      const x = tf.tensor2d(fx.x.values, fx.x.shape);
      const y = tf.tensor1d(fx.y, 'int32');
      const before = tf.memory().numTensors;
      let errMax = 0;
      for (let t = 0; t < fx.steps; t++) {
        opt.setLearningRate(learningRateAt(r.base, r.schedule, t, { warmup: r.warmup, totalSteps: fx.steps }));
        if (mode === 'torch gradients') {
          const grads = new Map(c.names.map((n) => [n, tf.tensor(c.grads[t]![n]!, c.shapes[n]!)]));
          opt.step(grads);
          tf.dispose([...grads.values()]);
        } else {
          const loss = await opt.minimize(() => mlpLoss(params, x, y));
          expect(Math.abs(loss - c.losses[t]!) / c.losses[t]!).toBeLessThan(1e-5);
        }
        expect(tf.memory().numTensors).toBe(before + 2 * c.names.length); // m and v per parameter; nothing else survives a step
        const snap = c.params[String(t + 1)];
        if (snap) {
          for (const n of c.names) {
            const e = relErr(params.get(n)!.dataSync(), snap[n]!);
            errMax = Math.max(errMax, e);
            expect(e, `${n} after step ${t + 1}`).toBeLessThanOrEqual(TOL);
          }
        }
      }
      const state = await opt.exportState();
      for (const n of c.names) {
        expect(state.params[n]!.step).toBe(c.state[n]!.step);
        expect(relErr(state.params[n]!.expAvg, c.state[n]!.exp_avg)).toBeLessThanOrEqual(mode === 'torch gradients' ? TOL : 1e-4);
        expect(relErr(state.params[n]!.expAvgSq, c.state[n]!.exp_avg_sq)).toBeLessThanOrEqual(mode === 'torch gradients' ? TOL : 1e-4);
      }
      worst[`${name} (${mode})`] = errMax;
      opt.dispose();
      tf.dispose([x, y, ...params.values()]);
    });
  }
});

describe('sensitivity', () => {
  it('decaying the biases too (torch default) does not match the no-bias-decay run', () => {
    const c = fx.cases.constant_nobias;
    const params = makeParams(c);
    const opt = new AdamW(params, { lr: 3e-3, betas: fx.betas, eps: fx.eps, weightDecay: fx.weight_decay });
    for (let t = 0; t < fx.steps; t++) {
      const grads = new Map(c.names.map((n) => [n, tf.tensor(c.grads[t]![n]!, c.shapes[n]!)]));
      opt.step(grads);
      tf.dispose([...grads.values()]);
    }
    expect(relErr(params.get('0.bias')!.dataSync(), c.params['20']!['0.bias']!)).toBeGreaterThan(10 * TOL);
    opt.dispose();
    tf.dispose([...params.values()]);
  });
});

describe('StepLR golden', () => {
  it('matches torch', () => {
    const s = fx.step_lr;
    for (let t = 0; t < s.lrs.length; t++) {
      expect(learningRateAt(s.lr, { kind: 'step', stepSize: s.step_size, gamma: s.gamma }, t)).toBeCloseTo(s.lrs[t]!, 15);
    }
  });

  it('reports the measured errors', () => {
    console.log('AdamW golden max relative errors:', worst);
  });
});
