/** AdamW unit behaviour beyond the golden test: naive per-element oracle, state round trip, skipping, validation, leaks. */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { AdamW, excludeOneDimensional, namedGradients } from '../../../src-main/engine/optim/adamw';
import { learningRateAt } from '../../../src-main/engine/optim/schedule';

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

/** torch.optim.AdamW for one scalar parameter, in float64. */
function naiveAdamW(p0: number, grads: number[], lr: number, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let p = p0;
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    p -= ((lr / (1 - b1 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps);
  });
  return p;
}

function vars(): Map<string, tf.Variable> {
  return new Map<string, tf.Variable>([
    [
      'w',
      tf.variable(
        tf.tensor2d([
          [0.5, -1.5],
          [2, 0.25],
        ]),
        true,
      ),
    ],
    ['b', tf.variable(tf.tensor1d([0.1, -0.2]), true)],
  ]);
}

describe('AdamW', () => {
  it('matches a naive per-element implementation (float64 oracle) with default hyper-parameters', async () => {
    const p = vars();
    const opt = new AdamW(p, { lr: 0.01 }); // weight decay 0.01 by default, as torch
    const gw = [
      [0.3, -0.2, 0.1, 4],
      [-0.5, 0.25, 0, 1e-3],
      [0.2, 0.2, -0.2, -0.2],
    ];
    for (const g of gw) {
      const grads = new Map([['w', tf.tensor2d(g, [2, 2])]]);
      opt.step(grads);
      tf.dispose([...grads.values()]);
    }
    const got = p.get('w')!.dataSync();
    const p0 = [0.5, -1.5, 2, 0.25];
    for (let i = 0; i < 4; i++)
      expect(
        Math.abs(
          got[i]! -
            naiveAdamW(
              p0[i]!,
              gw.map((g) => g[i]!),
              0.01,
              0.01,
            ),
        ),
      ).toBeLessThan(1e-6);
    // 'b' had no gradient: untouched, step 0 (torch skips p.grad is None, including the decay)
    expect([...p.get('b')!.dataSync()]).toEqual([...new Float32Array([0.1, -0.2])]);
    expect((await opt.exportState()).params['b']!.step).toBe(0);
    expect((await opt.exportState()).params['w']!.step).toBe(3);
    opt.dispose();
    tf.dispose([...p.values()]);
  });

  it('excludeOneDimensional switches decay off for rank-1 parameters only', () => {
    const p = vars();
    const opt = new AdamW(p, { lr: 0.1, weightDecay: 0.5, noDecay: excludeOneDimensional });
    expect(opt.noDecayNames()).toEqual(['b']);
    const zero = new Map([
      ['w', tf.zeros([2, 2])],
      ['b', tf.zeros([2])],
    ]);
    opt.step(zero); // zero gradient: only decay moves parameters
    expect(Array.from(p.get('b')!.dataSync())).toEqual(Array.from(new Float32Array([0.1, -0.2])));
    expect(p.get('w')!.dataSync()[0]).toBeCloseTo(0.5 * (1 - 0.05), 6);
    tf.dispose([...zero.values(), ...p.values()]);
    opt.dispose();
  });

  it('state round-trips through plain arrays: resuming equals running on', async () => {
    const run = async (split: boolean): Promise<Float32Array> => {
      const p = vars();
      let opt = new AdamW(p, { lr: 0.05, weightDecay: 0.1 });
      for (let t = 0; t < 6; t++) {
        if (split && t === 3) {
          const state = structuredClone(await opt.exportState());
          opt.dispose();
          opt = new AdamW(p, { lr: 0.05, weightDecay: 0.1 });
          opt.loadState(state);
        }
        const { grads, value } = namedGradients(
          p,
          () => tf.sum(tf.square(tf.sub(tf.sum(p.get('w')!), tf.mul(p.get('b')!, t)))) as tf.Scalar,
        );
        opt.step(grads);
        tf.dispose([value, ...grads.values()]);
      }
      const out = Float32Array.from([...p.get('w')!.dataSync(), ...p.get('b')!.dataSync()]);
      opt.dispose();
      tf.dispose([...p.values()]);
      return out;
    };
    expect(Array.from(await run(true))).toEqual(Array.from(await run(false)));
  });

  it('does not leak tensors over many steps, including minimize()', async () => {
    const p = vars();
    const opt = new AdamW(p, { lr: 1e-3 });
    await opt.minimize(() => tf.sum(tf.square(p.get('w')!)) as tf.Scalar);
    const n = tf.memory().numTensors;
    for (let t = 0; t < 50; t++) {
      opt.setLearningRate(learningRateAt(1e-3, { kind: 'cosine', tMax: 50 }, t));
      await opt.minimize(() => tf.add(tf.sum(tf.square(p.get('w')!)), tf.sum(p.get('b')!)) as tf.Scalar);
    }
    expect(tf.memory().numTensors).toBe(n + 2); // b's moments appear once
    opt.dispose();
    expect(tf.memory().numTensors).toBe(n + 2 - 4);
    tf.dispose([...p.values()]);
  });

  it('rejects bad hyper-parameters, shapes and state', async () => {
    const p = vars();
    expect(() => new AdamW(p, { lr: -1 })).toThrow(/learning rate/);
    expect(() => new AdamW(p, { lr: 1, betas: [1, 0.9] })).toThrow(/betas/);
    const opt = new AdamW(p, { lr: 1 });
    const g = tf.zeros([3]);
    expect(() => opt.step(new Map([['b', g]]))).toThrow(/shape/);
    expect(() => opt.step(new Map([['nope', g]]))).toThrow(/unknown parameter/);
    const st = await opt.exportState();
    st.params['w']!.shape = [4];
    expect(() => opt.loadState(st)).toThrow(/shape/);
    opt.dispose();
    expect(() => opt.step({})).toThrow(/disposed/);
    tf.dispose([g, ...p.values()]);
  });
});

describe('learningRateAt', () => {
  it('cosine, step, warm-up and validation', () => {
    expect(learningRateAt(0.03, { kind: 'cosine' }, 0, { totalSteps: 200 })).toBe(0.03);
    expect(learningRateAt(0.03, { kind: 'cosine' }, 100, { totalSteps: 200 })).toBeCloseTo(0.015, 15);
    // MoCo's adjust_learning_rate: lr *= 0.5 * (1 + cos(pi * epoch / epochs))
    expect(learningRateAt(0.03, { kind: 'cosine' }, 37, { totalSteps: 200 })).toBeCloseTo(
      0.03 * 0.5 * (1 + Math.cos((Math.PI * 37) / 200)),
      15,
    );
    expect(learningRateAt(1, { kind: 'step', stepSize: 10 }, 25)).toBeCloseTo(0.01, 15);
    expect(learningRateAt(1, { kind: 'constant' }, 2, { warmup: { steps: 4, startFactor: 0.2 } })).toBeCloseTo(0.6, 15);
    expect(() => learningRateAt(1, { kind: 'cosine' }, 0)).toThrow(/tMax/);
    expect(() => learningRateAt(1, { kind: 'constant' }, -1)).toThrow(/non-negative/);
  });
});
