/**
 * Seed 0 is a seed: tfjs treats 0 as "no seed" (clock-based), so every tfjs seed goes through
 * tfSeed. Two models / heads / queues created with seed 0 are identical, and differ from seed 1.
 */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { MocoQueue, ProjectionHead } from '../../../src-main/engine/moco/moco';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { tfSeed, ZERO_SEED_STAND_IN } from '../../../src-main/random/tf-seed';

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

const values = (v: tf.Variable) => Array.from(v.dataSync());

describe('seed 0', () => {
  it('maps only 0', () => {
    expect([tfSeed(0), tfSeed(1), tfSeed(12345)]).toEqual([ZERO_SEED_STAND_IN, 1, 12345]);
  });

  it('ResNet.create with seed 0 gives the same weights every time (and not those of seed 1)', () => {
    const cfg = parseArch('resnet18-w4', 5);
    const [a, b, c] = [ResNet.create(cfg, { seed: 0 }), ResNet.create(cfg, { seed: 0 }), ResNet.create(cfg, { seed: 1 })];
    for (const name of ['conv1.weight', 'layer1.0.conv1.weight', 'fc.weight', 'fc.bias']) {
      expect(values(a.variable(name)), name).toEqual(values(b.variable(name)));
    }
    expect(values(a.variable('conv1.weight'))).not.toEqual(values(c.variable('conv1.weight')));
    a.reinitialiseHead(0);
    b.reinitialiseHead(0);
    expect(values(a.variable('fc.weight'))).toEqual(values(b.variable('fc.weight')));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('MoCo head and queue with seed 0 are reproducible', async () => {
    const [h1, h2] = [new ProjectionHead(8, 8, 4, 0), new ProjectionHead(8, 8, 4, 0)];
    expect(values(h1.trainableVariables().get('fc.0.weight')!)).toEqual(values(h2.trainableVariables().get('fc.0.weight')!));
    const [q1, q2] = [new MocoQueue(16, 4, 0), new MocoQueue(16, 4, 0)];
    expect(Array.from((await q1.exportState()).keys)).toEqual(Array.from((await q2.exportState()).keys));
    [h1, h2, q1, q2].forEach((x) => x.dispose());
  });
});
