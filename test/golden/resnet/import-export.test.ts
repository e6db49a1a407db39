/**
 * Import rules (missing/unexpected keys, shape mismatches, heads of another size, `module.`
 * prefixes), architecture detection, `weights inspect`, and export round trips
 * (safetensors and tfjs: export → import → identical outputs).
 */
import tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { countParameters, parseArch, resnetParamSpecs } from '../../../src-main/engine/models/resnet-spec';
import { exportSafetensors, exportTfjs, modelTensors } from '../../../src-main/engine/weights/export';
import { detectArchitecture, importWeights, planImport } from '../../../src-main/engine/weights/import';
import { inspectWeightFile } from '../../../src-main/engine/weights/inspect';
import { readWeightFile, type WeightFile } from '../../../src-main/engine/weights/read';
import { HERE, inputNHWC, loadFixtures } from './helpers';
import { tempDirSync } from '../../support/files';

const fixtures = loadFixtures()!;
let tmp: string;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  tmp = tempDirSync('weights');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function catchAppError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

function withTensors(
  file: WeightFile,
  edit: (m: Map<string, WeightFile['tensors'] extends Map<string, infer T> ? T : never>) => void,
): WeightFile {
  const tensors = new Map(file.tensors);
  edit(tensors);
  return { ...file, tensors };
}

describe('architecture specs', () => {
  it('parameter counts equal torchvision (resnet18 11,689,512; resnet50 25,557,032 at 1000 classes)', () => {
    expect(countParameters(parseArch('resnet18', 1000))).toBe(11_689_512);
    expect(countParameters(parseArch('resnet50', 1000))).toBe(25_557_032);
    expect(resnetParamSpecs(parseArch('resnet50')).filter((s) => s.name.endsWith('num_batches_tracked')).length).toBe(53);
  });
  it('rejects unknown architectures', () => {
    expect(catchAppError(() => parseArch('vgg16')).code).toBe('BAD_REQUEST');
  });
});

describe('import planning and errors', () => {
  it('detects architecture, width and classes of each fixture', async () => {
    const r18 = detectArchitecture(await readWeightFile(path.join(HERE, 'resnet18_w4_legacy.pt')));
    expect(r18).toMatchObject({ arch: 'resnet18-w4', block: 'basic', width: 4, classes: 5, moco: false });
    const moco = detectArchitecture(await readWeightFile(path.join(HERE, fixtures.moco!.file)));
    expect(moco).toMatchObject({ arch: 'resnet50-w4', block: 'bottleneck', classes: null, moco: true });
  });

  it('lists missing, unexpected and mis-shaped tensors with expected and found shapes', async () => {
    const file = await readWeightFile(path.join(HERE, 'resnet18_w4.pt'));
    const broken = withTensors(file, (m) => {
      m.delete('layer2.0.bn1.running_var');
      m.set('layer9.0.conv1.weight', m.get('conv1.weight')!);
      m.set('layer1.0.conv1.weight', m.get('layer2.0.conv2.weight')!);
    });
    const model = ResNet.create(parseArch('resnet18-w4'));
    const err = catchAppError(() => importWeights(model, broken));
    model.dispose();
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/1 missing, 1 with the wrong shape, 1 unexpected/);
    expect(err.issues).toEqual(
      expect.arrayContaining([
        { path: 'layer2.0.bn1.running_var', message: 'missing from the file (expected shape [8])' },
        { path: 'layer1.0.conv1.weight', message: 'shape mismatch: expected [4, 4, 3, 3], found [8, 8, 3, 3]' },
        { path: 'layer9.0.conv1.weight', message: 'unexpected tensor of shape [4, 3, 7, 7] (no such parameter in resnet18-w4)' },
      ]),
    );
  });

  it('importing into the wrong architecture is refused with every problem listed', async () => {
    const file = await readWeightFile(path.join(HERE, 'resnet18_w4.pt'));
    const plan = planImport(file, parseArch('resnet50-w4'));
    expect(plan.ok).toBe(false);
    expect(plan.missing.length + plan.mismatched.length).toBeGreaterThan(50);
  });

  it('strips module., re-initialises a head of another size, sets num_batches_tracked to 0 when absent', async () => {
    const file = await readWeightFile(path.join(HERE, 'resnet18_w4.pt'));
    const renamed = withTensors(file, (m) => {
      for (const [k, v] of [...m]) {
        m.delete(k);
        if (!k.endsWith('num_batches_tracked')) m.set(`module.${k}`, v);
      }
    });
    const plan = planImport(renamed, parseArch('resnet18-w4', 3));
    expect(plan.ok).toBe(true);
    expect(plan.reinitialised.filter((r) => r.name.startsWith('fc.')).map((r) => r.reason)[0]).toMatch(/\(5 outputs\).*\(3 classes\)/);
    expect(plan.skipped.map((s) => s.name)).toEqual(['module.fc.weight', 'module.fc.bias']);
    expect(plan.reinitialised.filter((r) => r.name.endsWith('num_batches_tracked')).length).toBe(20);
    expect(planImport(renamed, parseArch('resnet18-w4', 3), { reinitialiseHead: false }).ok).toBe(false);
  });

  it('inspect reports format, counts, dtypes, detection and per-architecture plans for a MoCo checkpoint', async () => {
    const r = inspectWeightFile(await readWeightFile(path.join(HERE, fixtures.moco!.file)));
    expect(r.format).toBe('torch-zip');
    expect(r.stateDictKey).toBe('state_dict');
    expect(r.otherFields.find((f) => f.key === 'arch')?.description).toBe('"resnet50"');
    expect(r.otherFields.find((f) => f.key === 'optimizer')?.description).toMatch(/dict with 2 entries \(\d+ tensors\)/);
    expect(r.tensors.dtypes.int64).toBeGreaterThan(0);
    expect(r.imports.map((p) => [p.arch, p.ok])).toEqual([
      ['resnet50', false],
      ['resnet18', false],
      ['resnet50-w4', true],
    ]);
  });
});

describe('export round trips', () => {
  async function logitsOf(model: ResNet): Promise<Float32Array> {
    const x = inputNHWC(fixtures.input);
    const y = model.forward(x);
    const v = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return v;
  }

  it('safetensors (torch layout, I64 num_batches_tracked) and tfjs: export → import → identical logits and tensors', async () => {
    const c = fixtures.cases['resnet50-w4']!;
    const source = ResNet.create(parseArch(c.arch, c.classes));
    importWeights(source, await readWeightFile(path.join(HERE, c.weights[0]!)));
    // One train-mode step so running stats and num_batches_tracked differ from the file.
    const x = inputNHWC(fixtures.input);
    tf.dispose([source.forward(x, { training: true }), x]);
    const expected = await logitsOf(source);
    const st = path.join(tmp, 'model.safetensors');
    await exportSafetensors(source, st);
    const tfjsDir = path.join(tmp, 'tfjs');
    await exportTfjs(source, tfjsDir);
    for (const target of [st, tfjsDir]) {
      const file = await readWeightFile(target);
      if (target === st) {
        expect(file.tensors.get('bn1.num_batches_tracked')?.dtype).toBe('int64');
        expect(file.metadata.arch).toBe('resnet50-w4');
      }
      const copy = ResNet.create(parseArch(c.arch, c.classes), { seed: 99 });
      const report = importWeights(copy, file);
      expect(report.reinitialised).toEqual([]);
      expect(await logitsOf(copy)).toEqual(expected);
      expect(copy.batchesTracked).toEqual(source.batchesTracked);
      const a = await modelTensors(source, 'torch');
      const b = await modelTensors(copy, 'torch');
      for (const [k, t] of a) expect(b.get(k), k).toEqual(t);
      copy.dispose();
    }
    source.dispose();
  });

  it('writes the resnet18-w4 export for the PyTorch check when FUNDUSLAB_WRITE_EXPORT=1', async () => {
    // make_fixtures.py --check-export test/golden/resnet/exported/resnet18_w4.safetensors --arch resnet18-w4
    const c = fixtures.cases['resnet18-w4']!;
    const model = ResNet.create(parseArch(c.arch, c.classes));
    importWeights(model, await readWeightFile(path.join(HERE, c.weights[0]!)));
    const out =
      process.env.FUNDUSLAB_WRITE_EXPORT === '1'
        ? path.join(HERE, 'exported', 'resnet18_w4.safetensors')
        : path.join(tmp, 'resnet18_w4.safetensors');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(out), { recursive: true });
    await exportSafetensors(model, out);
    const back = await readWeightFile(out);
    const original = await readWeightFile(path.join(HERE, c.weights[0]!));
    expect([...back.tensors.keys()]).toEqual([...original.tensors.keys()]); // torchvision state_dict order
    for (const [k, t] of original.tensors) expect(back.tensors.get(k), k).toEqual(t); // bit-identical to torch.save's tensors
    model.dispose();
  });
});
