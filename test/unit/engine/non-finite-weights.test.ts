/**
 * Weights holding NaN or ±∞: `weights inspect` lists them with counts, every import refuses them
 * (naming the file and the tensors) unless allowNonFinite / --allow-non-finite, and with them
 * loaded every backend gives NaN logits where PyTorch does (test/golden/non-finite/non_finite.json,
 * made by make_non_finite.py), so `predict` reports P(referable) as not a number and exits non-zero.
 */
import tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPredict } from '../../../src-main/cli/commands/predict';
import { runWeights } from '../../../src-main/cli/commands/weights';
import { initEngine, setCpuBackend } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { importWeights } from '../../../src-main/engine/weights/import';
import { inspectWeights } from '../../../src-main/engine/weights/inspect';
import { parseWeightBytes, readWeightFile, type WeightFile } from '../../../src-main/engine/weights/read';
import { writeSafetensors } from '../../../src-main/engine/weights/safetensors';
import type { RawTensor } from '../../../src-main/engine/weights/tensors';
import { REPO_ROOT, tempDirSync } from '../../support/files';
import { captureExit } from '../../support/cli';

const GOLDEN = path.join(REPO_ROOT, 'test', 'golden', 'non-finite');
const RESNET = path.join(REPO_ROOT, 'test', 'golden', 'resnet');
interface GoldenCase {
  tensor: string;
  value: 'Infinity' | 'NaN';
  logits: (number | string)[][];
}
const golden = JSON.parse(readFileSync(path.join(GOLDEN, 'non_finite.json'), 'utf8')) as { cases: GoldenCase[] };
const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'bin', 'funduslab.js');

let tmp: string;
let base: WeightFile;
/** conv1.weight all +∞ (588 values); layer1.0.conv1.weight with 3 NaN and 2 −∞. */
let badFile: string;
let image: string;

function float32Tensor(values: Float32Array, shape: number[]): RawTensor {
  return { dtype: 'float32', shape, data: new Uint8Array(values.buffer.slice(0)) };
}

/** The base weights with `name` filled by `edit` (applied to a float32 copy). */
function withTensor(tensors: Map<string, RawTensor>, name: string, edit: (v: Float32Array) => void): Map<string, RawTensor> {
  const raw = tensors.get(name)!;
  expect(raw.dtype).toBe('float32');
  const v = new Float32Array(raw.data.slice().buffer);
  edit(v);
  return new Map([...tensors].map(([k, t]) => [k, k === name ? float32Tensor(v, raw.shape) : t]));
}

function badTensors(): Map<string, RawTensor> {
  let t = withTensor(base.tensors, 'conv1.weight', (v) => v.fill(Infinity));
  t = withTensor(t, 'layer1.0.conv1.weight', (v) => {
    v[0] = NaN;
    v[7] = NaN;
    v[9] = NaN;
    v[3] = -Infinity;
    v[4] = -Infinity;
  });
  return t;
}

async function funduslab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  await initEngine({ preference: 'wasm' });
  tmp = tempDirSync('non-finite');
  base = await readWeightFile(path.join(RESNET, 'resnet18_w4.pt'));
  badFile = path.join(tmp, 'bad.safetensors');
  writeFileSync(badFile, writeSafetensors(badTensors()));
  image = path.join(tmp, 'eye.png');
  const px = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37) % 251;
  await sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toFile(image);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('weights inspect', () => {
  it('counts NaN, +inf and −inf per tensor (report, text and --json)', async () => {
    const report = await inspectWeights(badFile);
    expect(report.nonFinite).toEqual([
      { name: 'conv1.weight', nan: 0, posInf: 588, negInf: 0 },
      { name: 'layer1.0.conv1.weight', nan: 3, posInf: 0, negInf: 2 },
    ]);
    const text = await captureExit(() => runWeights(['inspect', badFile]));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/NON-FINITE in 2 tensors/);
    expect(text.out).toMatch(/conv1\.weight: \+inf ×588\n/);
    expect(text.out).toMatch(/layer1\.0\.conv1\.weight: NaN ×3, −inf ×2/);
    const json = JSON.parse((await captureExit(() => runWeights(['inspect', badFile, '--json']))).out);
    expect(json.nonFinite).toEqual(report.nonFinite);
  });
  it('reports finite weights as such', async () => {
    expect((await inspectWeights(path.join(RESNET, 'resnet18_w4.pt'))).nonFinite).toEqual([]);
    expect((await captureExit(() => runWeights(['inspect', path.join(RESNET, 'resnet18_w4.pt')]))).out).toMatch(/Values: {3}all finite/);
  });
});

describe('imports refuse non-finite weights', () => {
  it('importWeights (predict, convert, IFI initialisation, resume) names the file and the tensors with counts', async () => {
    const model = ResNet.create(parseArch('resnet18-w4', 5));
    try {
      const before = model.variable('conv1.weight').dataSync().slice();
      // As training's resume parses a checkpoint's bytes: the name given is the one reported.
      const checkpoint = parseWeightBytes(readFileSync(badFile), '/study/runs/r1/checkpoint/model.safetensors');
      expect(() => importWeights(model, checkpoint)).toThrow(
        /\/study\/runs\/r1\/checkpoint\/model\.safetensors holds non-finite values \(NaN or ±inf\) in 2 tensors: conv1\.weight \(\+inf ×588\), layer1\.0\.conv1\.weight \(NaN ×3, −inf ×2\)/,
      );
      // Nothing was copied into the model.
      expect(model.variable('conv1.weight').dataSync()).toEqual(before);
      // Tensors that are not loaded (here: the head, re-initialised for 3 classes) do not count.
      const headOnly = { ...base, tensors: withTensor(base.tensors, 'fc.weight', (v) => v.fill(NaN)) };
      const model3 = ResNet.create(parseArch('resnet18-w4', 3));
      try {
        expect(importWeights(model3, headOnly).reinitialised.map((r) => r.name)).toEqual(['fc.weight', 'fc.bias']);
      } finally {
        model3.dispose();
      }
      expect(() => importWeights(model, headOnly)).toThrow(/fc\.weight \(NaN ×160\)/);
      importWeights(model, checkpoint, { allowNonFinite: true });
      expect(model.variable('conv1.weight').dataSync()[0]).toBe(Infinity);
    } finally {
      model.dispose();
    }
  });
  it('predict refuses by default; with --allow-non-finite P(referable) is reported as not a number', async () => {
    await tf.setBackend('wasm');
    await expect(captureExit(() => runPredict(['--weights', badFile, '--arch', 'resnet18-w4', image]))).rejects.toThrow(
      new RegExp(`${badFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds non-finite values .*conv1\\.weight \\(\\+inf ×588\\)`),
    );
    await expect(
      captureExit(() => runPredict(['--weights', badFile, '--arch', 'resnet18-w4', '--allow-non-finite', image])),
    ).rejects.toThrow(/P\(referable\) is not a number: the weights or the image hold non-finite values \(1 of 1 images: .*eye\.png/);
  });
  it('the funduslab command exits non-zero in both cases and 0 with finite weights', async () => {
    const refused = await funduslab(['predict', '--weights', badFile, '--arch', 'resnet18-w4', image]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/bad\.safetensors holds non-finite values/);
    const nan = await funduslab(['predict', '--weights', badFile, '--arch', 'resnet18-w4', '--allow-non-finite', image]);
    expect(nan.code).not.toBe(0);
    expect(nan.stdout).toMatch(/P\(referable\)=NaN\tgrade=none/);
    expect(nan.stdout).not.toMatch(/grade=-1/);
    expect(nan.stderr).toMatch(/P\(referable\) is not a number/);
    const ok = await funduslab(['predict', '--weights', path.join(RESNET, 'resnet18_w4.pt'), '--arch', 'resnet18-w4', image]);
    expect(ok.code, ok.stderr).toBe(0);
  }, 120_000);
});

describe('NaN-ness of the logits matches PyTorch on every backend', () => {
  const input = (): tf.Tensor4D => {
    const buf = readFileSync(path.join(RESNET, 'input_2x3x61x67.bin'));
    const x = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return tf.tidy(() => tf.transpose(tf.tensor4d(x, [2, 3, 61, 67]), [0, 2, 3, 1]) as tf.Tensor4D);
  };
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const c of golden.cases) {
      it(`${backend}: ${c.tensor} = ${c.value}`, async () => {
        if (backend === 'cpu') await setCpuBackend();
        else await tf.setBackend(backend);
        const file = { ...base, tensors: withTensor(base.tensors, c.tensor, (v) => v.fill(Number(c.value))) };
        const model = ResNet.create(parseArch('resnet18-w4', 5));
        try {
          importWeights(model, file, { allowNonFinite: true });
          const x = input();
          const logits = (await model.forward(x).array()) as number[][];
          x.dispose();
          expect(logits.map((row) => row.map((v) => (Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? 'finite' : String(v))))).toEqual(
            c.logits.map((row) => row.map((v) => (v === 'NaN' ? 'NaN' : typeof v === 'number' ? 'finite' : v))),
          );
        } finally {
          model.dispose();
        }
      });
    }
  }
});
