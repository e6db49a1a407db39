/**
 * Parity with torchvision: the fixtures (make_fixtures.py, run by Debian's /usr/bin/python3 with
 * torch 1.13 / torchvision 0.14) hold randomly initialised models with randomised BatchNorm
 * statistics, saved by torch.save (zip and legacy) and as .safetensors, a fixed input batch of
 * odd spatial size (61x67, so stride-2 padding differences would show), and the expected logits
 * and layer1..4 activations. After import, ours must match to 1e-4 × max|expected| on the active backend.
 */
import tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { importWeights } from '../../../src-main/engine/weights/import';
import { readWeightFile } from '../../../src-main/engine/weights/read';
import { relInfDiff } from '../../support/numeric';
import { FULL_DIR, HERE, inputNHWC, loadFixtures, readArray, toNCHW, type CaseFixture, type Fixtures } from './helpers';

const TOLERANCE = 1e-4;
const fixtures = loadFixtures()!;
const STAGES = ['layer1', 'layer2', 'layer3', 'layer4'] as const;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

/** Eval forward with a hook capturing layer1..4; returns logits and NCHW activations. */
function runWithStages(model: ResNet, x: tf.Tensor4D): { logits: Float32Array; stages: Record<string, Float32Array> } {
  const kept: Record<string, tf.Tensor> = {};
  const logits = model.forward(x, {
    hook: (name, kind, out) => {
      if (kind === 'stage') kept[name] = tf.keep(out);
    },
  });
  const stages = Object.fromEntries(Object.entries(kept).map(([k, t]) => [k, toNCHW(t)]));
  Object.values(kept).forEach((t) => t.dispose());
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return { logits: values, stages };
}

async function checkCase(c: CaseFixture, weightsFile: string, dir: string, fx: Fixtures): Promise<Record<string, number>> {
  const file = await readWeightFile(path.join(dir, weightsFile));
  const model = ResNet.create(parseArch(c.arch, c.classes));
  try {
    const report = importWeights(model, file);
    expect(report.reinitialised).toEqual([]);
    expect(report.skipped).toEqual([]);
    const x = inputNHWC(fx.input, dir);
    const fusedLogits = model.forward(x); // also fills the folded-BN cache
    const fused = fusedLogits.dataSync() as Float32Array;
    fusedLogits.dispose();
    const before = tf.memory().numTensors;
    const hooked = runWithStages(model, x);
    tf.dispose(model.forward(x));
    expect(tf.memory().numTensors).toBe(before); // no leaks from either path
    x.dispose();
    const errors: Record<string, number> = {
      logits: relInfDiff(hooked.logits, readArray(c.logits, dir)),
      'logits (BN folded)': relInfDiff(fused, readArray(c.logits, dir)),
    };
    for (const s of STAGES) errors[s] = relInfDiff(hooked.stages[s]!, readArray(c[s], dir));
    return errors;
  } finally {
    model.dispose();
  }
}

describe('ResNet parity with torchvision (eval mode)', () => {
  for (const [name, c] of Object.entries(fixtures.cases)) {
    for (const weightsFile of c.weights) {
      it(`${name} imported from ${weightsFile}`, async () => {
        const errors = await checkCase(c, weightsFile, HERE, fixtures);
        console.info(`parity ${name} ${weightsFile} (${tf.getBackend()}): ${JSON.stringify(errors)}`);
        for (const [what, err] of Object.entries(errors)) expect(err, what).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }
});

describe('ResNet train mode (BatchNorm batch statistics and running-stat updates)', () => {
  const c = fixtures.cases['resnet18-w4']!;
  it('matches torchvision after one train-mode forward', async () => {
    const train = c.train!;
    const model = ResNet.create(parseArch(c.arch, c.classes));
    importWeights(model, await readWeightFile(path.join(HERE, c.weights[0]!)));
    const before = model.batchesTracked.get('bn1')!;
    const x = inputNHWC(fixtures.input);
    const logits = model.forward(x, { training: true });
    const errors = {
      logits: relInfDiff(logits.dataSync(), readArray(train.logits!)),
      'bn1.running_mean': relInfDiff(model.variable('bn1.running_mean').dataSync(), readArray(train['bn1.running_mean']!)),
      'bn1.running_var': relInfDiff(model.variable('bn1.running_var').dataSync(), readArray(train['bn1.running_var']!)),
      'layer4.1.bn2.running_var': relInfDiff(
        model.variable('layer4.1.bn2.running_var').dataSync(),
        readArray(train['layer4.1.bn2.running_var']!),
      ),
    };
    console.info(`train-mode parity (${tf.getBackend()}): ${JSON.stringify(errors)}`);
    for (const [what, err] of Object.entries(errors)) expect(err, what).toBeLessThanOrEqual(TOLERANCE);
    expect(model.batchesTracked.get('bn1')).toBe(before + 1);
    expect(model.batchesTracked.get('bn1')).toBe(train['bn1.num_batches_tracked']);
    tf.dispose([x, logits]);
    model.dispose();
  });
});

describe('MoCo v2 checkpoint', () => {
  const moco = fixtures.moco!;
  it('loads the query encoder, drops encoder_k/queue/projection head, re-initialises fc; backbone matches', async () => {
    const file = await readWeightFile(path.join(HERE, moco.file));
    expect(file.stateDictKey).toBe('state_dict');
    expect(file.otherFields.map((f) => f.key).sort()).toEqual(['arch', 'epoch', 'optimizer']);
    const model = ResNet.create(parseArch(moco.arch, 5));
    const report = importWeights(model, file);
    expect(report.moco).toBe(true);
    expect(report.reinitialised.map((r) => r.name)).toEqual(['fc.weight', 'fc.bias']);
    expect(report.skipped.some((s) => s.name === 'module.encoder_q.fc.0.weight' && /projection head/.test(s.reason))).toBe(true);
    expect(report.skipped.some((s) => s.name === 'module.encoder_k.conv1.weight' && /key \(momentum\) encoder/.test(s.reason))).toBe(true);
    expect(
      report.skipped
        .filter((s) => /queue/.test(s.reason))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['module.queue', 'module.queue_ptr']);
    expect(report.loaded.length).toBe(model.specs.length - 2);
    const x = inputNHWC(fixtures.input);
    const out = runWithStages(model, x);
    x.dispose();
    const errors = Object.fromEntries(STAGES.map((s) => [s, relInfDiff(out.stages[s]!, readArray(moco[s]))]));
    console.info(`MoCo backbone parity (${tf.getBackend()}): ${JSON.stringify(errors)}`);
    for (const [what, err] of Object.entries(errors)) expect(err, what).toBeLessThanOrEqual(TOLERANCE);
    model.dispose();
  });
});

// Full-width ResNet50 at 224x224: generated on demand (`/usr/bin/python3 test/golden/resnet/make_fixtures.py --full`, ~100 MB, not
// committed).
const full = existsSync(path.join(FULL_DIR, 'fixtures.json')) ? loadFixtures(FULL_DIR) : null;
describe.skipIf(full === null)('full ResNet50 parity (on-demand fixtures in test/golden/resnet/full/)', () => {
  it('resnet50 at 224x224', async () => {
    const c = full!.cases.resnet50!;
    const errors = await checkCase(c, c.weights[0]!, FULL_DIR, full!);
    console.info(`parity resnet50 full (${tf.getBackend()}): ${JSON.stringify(errors)}`);
    for (const [what, err] of Object.entries(errors)) expect(err, what).toBeLessThanOrEqual(TOLERANCE);
  }, 180_000);
});
