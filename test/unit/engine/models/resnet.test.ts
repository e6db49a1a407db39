/** ResNet model mechanics: hooks by torchvision name, output replacement, no leaked tensors. */
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../../src-main/engine/backend';
import { ResNet, type LayerKind } from '../../../../src-main/engine/models/resnet';
import { parseArch } from '../../../../src-main/engine/models/resnet-spec';

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

describe('ResNet', () => {
  for (const arch of ['resnet18-w4', 'resnet50-w4']) {
    it(`${arch}: hooks see every Conv, BatchNorm and Linear layer by its torchvision name`, () => {
      const model = ResNet.create(parseArch(arch), { seed: 1 });
      const seen: [string, LayerKind][] = [];
      const x = tf.randomNormal([1, 40, 40, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const y = model.forward(x, { hook: (name, kind) => void seen.push([name, kind]) });
      const modules = [...new Set(model.specs.map((s) => s.module))];
      expect(
        seen
          .filter(([, k]) => k === 'conv' || k === 'bn' || k === 'linear')
          .map(([n]) => n)
          .sort(),
      ).toEqual(modules.sort());
      expect(seen.filter(([, k]) => k === 'stage').map(([n]) => n)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
      expect(seen.map(([n]) => n)).toContain('layer2.0.downsample.0');
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  it('a hook can replace a layer output (zeroed features give logits = fc bias)', () => {
    const model = ResNet.create(parseArch('resnet18-w4'), { seed: 2 });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const y = model.forward(x, { hook: (name, _kind, out) => (name === 'avgpool' ? tf.zerosLike(out) : undefined) });
    const bias = model.variable('fc.bias').arraySync() as number[];
    expect(y.arraySync()).toEqual([bias, bias]);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('leaks no tensors: create/dispose, eval (folded and hooked) and train-mode forwards', () => {
    const start = tf.memory().numTensors;
    const model = ResNet.create(parseArch('resnet50-w4'), { seed: 5 });
    const x = tf.randomNormal([2, 36, 36, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    tf.dispose(model.forward(x)); // fills the folded-BN cache: 2 tensors per conv
    const convs = model.specs.filter((s) => s.role === 'conv.weight').length;
    const warm = tf.memory().numTensors;
    for (const opts of [{}, { hook: () => undefined }]) {
      tf.dispose(model.forward(x, opts));
      expect(tf.memory().numTensors).toBe(warm);
    }
    // A train-mode forward changes the running statistics: the cache is rebuilt, not grown.
    tf.dispose(model.forward(x, { training: true }));
    tf.dispose(model.forward(x));
    expect(tf.memory().numTensors).toBe(warm);
    model.clearFoldCache();
    expect(tf.memory().numTensors).toBe(warm - 2 * convs);
    expect(model.batchesTracked.get('layer3.0.downsample.1')).toBe(1);
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('rejects a wrong input layout with a clear message', () => {
    const model = ResNet.create(parseArch('resnet18-w4'));
    const x = tf.zeros([1, 3, 32, 32]) as tf.Tensor4D;
    expect(() => model.forward(x)).toThrow(/expected input \[N, H, W, 3\], got \[1, 3, 32, 32\]/);
    x.dispose();
    model.dispose();
  });
});
