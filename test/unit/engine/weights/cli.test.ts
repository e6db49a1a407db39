/** `funduslab weights inspect|convert` and `funduslab predict`, run in-process on the golden fixtures. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPredict } from '../../../../src-main/cli/commands/predict';
import { runWeights } from '../../../../src-main/cli/commands/weights';
import { referableProbability } from '../../../../src-main/engine/predict';
import { tempDirSync } from '../../../support/files';
import { captureExit } from '../../../support/cli';

const GOLDEN = path.resolve(import.meta.dirname, '../../../golden/resnet');
let tmp: string;

async function writeImage(file: string, width: number, height: number, seed: number): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 16) & 0xff;
  }
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

beforeAll(async () => {
  tmp = tempDirSync('cli');
  await writeImage(path.join(tmp, 'wide.png'), 300, 250, 1);
  await writeImage(path.join(tmp, 'exact.png'), 64, 64, 2);
  await writeImage(path.join(tmp, 'small.png'), 40, 40, 3);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('referableProbability', () => {
  it('sums the softmax over the referable grades', () => {
    const { probabilities, pReferable } = referableProbability([0, 0, 0, Math.log(2), Math.log(3)], [3, 4]);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(pReferable).toBeCloseTo(5 / 8, 12);
    expect(referableProbability([1000, 0, 0, 0, 1000], [2, 3, 4]).pReferable).toBeCloseTo(0.5, 12);
    expect(() => referableProbability([0, 0], [3])).toThrow(/not one of the model's outputs/);
  });
});

describe('funduslab weights', () => {
  it('inspect --json describes a MoCo checkpoint', async () => {
    const { code, out } = await captureExit(() => runWeights(['inspect', path.join(GOLDEN, 'moco_resnet50_w4.pth.tar'), '--json']));
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.detected).toMatchObject({ arch: 'resnet50-w4', moco: true, classes: null });
    const plan = r.imports.find((p: { arch: string }) => p.arch === 'resnet50-w4');
    expect(plan.ok).toBe(true);
    expect(plan.reinitialised.map((x: { name: string }) => x.name)).toEqual(['fc.weight', 'fc.bias']);
  });
  it('inspect prints a readable summary', async () => {
    const { out } = await captureExit(() => runWeights(['inspect', path.join(GOLDEN, 'resnet18_w4_legacy.pt')]));
    expect(out).toMatch(/Format: {3}torch-legacy/);
    expect(out).toMatch(/Detected: resnet18-w4 \(basic blocks, base width 4\), 5 classes/);
    expect(out).toMatch(/Import into resnet18-w4 \(5 classes\): OK — 122 loaded/);
  });
  it('convert writes safetensors that inspect reads back', async () => {
    const out = path.join(tmp, 'converted.safetensors');
    const r = await captureExit(() =>
      runWeights(['convert', path.join(GOLDEN, 'resnet18_w4.pt'), '--arch', 'resnet18-w4', '--to', 'safetensors', '--out', out, '--json']),
    );
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, arch: 'resnet18-w4', format: 'safetensors' });
    const back = JSON.parse((await captureExit(() => runWeights(['inspect', out, '--json']))).out);
    expect(back).toMatchObject({ format: 'safetensors', detected: { arch: 'resnet18-w4', classes: 5 } });
  });
});

describe('funduslab predict', () => {
  const weights = path.join(GOLDEN, 'resnet18_w4.pt');
  it('prints logits and P(referable) per image; resizing an exact-size image equals --raw', async () => {
    const images = [path.join(tmp, 'wide.png'), path.join(tmp, 'exact.png')];
    const resized = JSON.parse(
      (await captureExit(() => runPredict(['--weights', weights, '--arch', 'resnet18-w4', '--size', '64', '--json', ...images]))).out,
    );
    expect(resized.predictions).toHaveLength(2);
    for (const p of resized.predictions) {
      expect(p.logits).toHaveLength(5);
      expect(p.pReferable).toBeCloseTo(p.probabilities[3] + p.probabilities[4], 10);
    }
    const raw = JSON.parse(
      (
        await captureExit(() =>
          runPredict([
            '--weights',
            weights,
            '--arch',
            'resnet18-w4',
            '--size',
            '64',
            '--raw',
            '--referable',
            '2,3,4',
            '--json',
            images[1]!,
          ]),
        )
      ).out,
    );
    expect(raw.preprocessing.mode).toBe('raw');
    const exact = resized.predictions[1];
    raw.predictions[0].logits.forEach((l: number, i: number) => expect(l).toBeCloseTo(exact.logits[i], 4));
    expect(raw.predictions[0].pReferable).toBeCloseTo(exact.probabilities[2] + exact.probabilities[3] + exact.probabilities[4], 4);
  });
  it('--raw refuses an image of another size; a missing head is refused', async () => {
    await expect(
      runPredict(['--weights', weights, '--arch', 'resnet18-w4', '--size', '64', '--raw', path.join(tmp, 'small.png')]),
    ).rejects.toThrow(/40×40; --raw needs images of exactly 64×64/);
    await expect(
      runPredict(['--weights', path.join(GOLDEN, 'moco_resnet50_w4.pth.tar'), '--arch', 'resnet50-w4', path.join(tmp, 'exact.png')]),
    ).rejects.toThrow(/missing from the file/);
  });
});
