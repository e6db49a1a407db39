import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDemoData } from '../../../src-main/cli/commands/demo-data';
import { TEXTURE_CLASSES, writeEyepacsDemo, writeIdridDemo, writeTextureSet } from '../../../src-main/services/demo';
import { tempDir } from '../../support/files';
import { DATA_DIR, realDataAvailable } from '../../support/real-data';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('demo');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function parseCsv(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.length > 0)
    .map((l) => l.split(','));
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, base)));
    else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

describe('EyePACS layout', () => {
  it('writes train/ + trainLabels.csv and test/ + retinopathy_solution.csv that parse and decode, both eyes per syn patient', async () => {
    const out = path.join(tmp, 'e1');
    const progress = vi.fn();
    const res = await writeEyepacsDemo(out, { patients: 5, testPatients: 2, size: 64, seed: 3 }, progress);
    expect(progress).toHaveBeenCalledTimes(14);
    const root = path.join(out, 'eyepacs');
    const train = parseCsv(await readFile(path.join(root, 'trainLabels.csv'), 'utf8'));
    expect(train[0]).toEqual(['image', 'level']);
    expect(train.length - 1).toBe(10);
    const patients = new Map<string, string[]>();
    for (const [image, level] of train.slice(1)) {
      expect(image).toMatch(/^syn\d{5}_(left|right)$/);
      expect(['0', '1', '2', '3', '4']).toContain(level);
      const [patient, eye] = image!.split('_');
      patients.set(patient!, [...(patients.get(patient!) ?? []), eye!]);
      const file = path.join(root, 'train', `${image}.jpeg`);
      const meta = await sharp(file).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 64, 64, 3]);
    }
    expect([...patients.values()].every((eyes) => eyes.sort().join() === 'left,right')).toBe(true);
    expect(res.train.grades.reduce((a, b) => a + b, 0)).toBe(10);
    const test = parseCsv(await readFile(path.join(root, 'retinopathy_solution.csv'), 'utf8'));
    expect(test[0]).toEqual(['image', 'level', 'Usage']);
    expect(test.length - 1).toBe(4);
    for (const [image, , usage] of test.slice(1)) {
      expect(['Public', 'Private']).toContain(usage);
      expect(existsSync(path.join(root, 'test', `${image}.jpeg`))).toBe(true);
      expect(patients.has(image!.split('_')[0]!)).toBe(false); // test patients are distinct
    }
    const notice = await readFile(path.join(root, 'SYNTHETIC.txt'), 'utf8');
    expect(notice).toMatch(/SYNTHETIC/);
    expect(notice).toMatch(/Seed: 3/);
    const exif = (await sharp(path.join(root, 'train', `${train[1]![0]}.jpeg`)).metadata()).exif;
    expect(exif?.toString('latin1')).toMatch(/SYNTHETIC/);
  });

  it('is deterministic from the seed and follows the requested grade distribution', async () => {
    const a = path.join(tmp, 'e2a');
    const b = path.join(tmp, 'e2b');
    await writeEyepacsDemo(a, { patients: 3, size: 48, seed: 9 });
    await writeEyepacsDemo(b, { patients: 3, size: 48, seed: 9 });
    expect(await readFile(path.join(a, 'eyepacs', 'trainLabels.csv'))).toEqual(await readFile(path.join(b, 'eyepacs', 'trainLabels.csv')));
    expect(await readFile(path.join(a, 'eyepacs', 'train', 'syn00002_left.jpeg'))).toEqual(
      await readFile(path.join(b, 'eyepacs', 'train', 'syn00002_left.jpeg')),
    );

    const bal = await writeEyepacsDemo(path.join(tmp, 'e3'), { patients: 100, size: 24, seed: 1, distribution: 'balanced' });
    for (const n of bal.train.grades) expect(n).toBeGreaterThan(20);
    const def = await writeEyepacsDemo(path.join(tmp, 'e4'), { patients: 100, size: 24, seed: 1 });
    expect(def.train.grades[0]!).toBeGreaterThan(100);
  });

  it('correlates the grades of the two eyes of a patient', async () => {
    const out = path.join(tmp, 'e5');
    await writeEyepacsDemo(out, { patients: 60, size: 24, seed: 2, distribution: 'balanced' });
    const rows = parseCsv(await readFile(path.join(out, 'eyepacs', 'trainLabels.csv'), 'utf8')).slice(1);
    const byPatient = new Map<string, number[]>();
    for (const [image, level] of rows) {
      const p = image!.split('_')[0]!;
      byPatient.set(p, [...(byPatient.get(p) ?? []), Number(level)]);
    }
    const same = [...byPatient.values()].filter(([x, y]) => x === y).length / byPatient.size;
    expect(same).toBeGreaterThan(0.55); // 0.7 + 0.3 * 0.2 expected; 0.2 if independent
  });
});

describe('IDRiD segmentation layout', () => {
  it('uses exactly the official relative paths, with masks decoding at the image size', async () => {
    const out = path.join(tmp, 'i1');
    const res = await writeIdridDemo(out, { images: 3, size: 134, seed: 4 });
    expect([res.width, res.height]).toEqual([202, 134]);
    const root = path.join(out, 'idrid');
    const files = (await walk(root)).filter((f) => f !== 'SYNTHETIC.txt');
    const pattern = (f: string) => f.replace(/IDRiD_\d+/, 'IDRiD_NN');
    const expected = new Set([
      'A. Segmentation/1. Original Images/a. Training Set/IDRiD_NN.jpg',
      ...[
        ['1. Microaneurysms', 'MA'],
        ['2. Haemorrhages', 'HE'],
        ['3. Hard Exudates', 'EX'],
        ['4. Soft Exudates', 'SE'],
        ['5. Optic Disc', 'OD'],
      ].map(([folder, code]) => `A. Segmentation/2. All Segmentation Groundtruths/a. Training Set/${folder}/IDRiD_NN_${code}.tif`),
    ]);
    for (const f of files) expect(expected).toContain(pattern(f));
    // Compare with the real data's folder names when they are on this machine.
    if (realDataAvailable('idrid-seg-quarter')) {
      const realPatterns = new Set((await walk(path.join(DATA_DIR, 'idrid-seg-quarter'))).map(pattern));
      for (const f of files) expect(realPatterns).toContain(pattern(f));
    }
    const images = files.filter((f) => f.endsWith('.jpg'));
    expect(images.map((f) => path.basename(f)).sort()).toEqual(['IDRiD_01.jpg', 'IDRiD_02.jpg', 'IDRiD_03.jpg']);
    for (const img of images) {
      const id = path.basename(img, '.jpg');
      const meta = await sharp(path.join(root, img)).metadata();
      expect([meta.width, meta.height]).toEqual([202, 134]);
      const masks = files.filter((f) => path.basename(f).startsWith(`${id}_`));
      expect(masks.some((f) => f.endsWith('_OD.tif'))).toBe(true);
      expect(masks.some((f) => f.endsWith('_MA.tif'))).toBe(true); // grades 2-4 always have microaneurysms
      for (const m of masks) {
        const { data, info } = await sharp(path.join(root, m)).raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height]).toEqual([202, 134]);
        let positive = 0;
        for (let i = 0; i < data.length; i += info.channels) if (data[i]! > 0) positive++;
        expect(positive).toBeGreaterThan(0); // a mask file is only written when the lesion is present
        expect(positive).toBeLessThan(202 * 134 * 0.2);
      }
    }
    expect(await readFile(path.join(root, 'SYNTHETIC.txt'), 'utf8')).toMatch(/SYNTHETIC DATA/);
  });
});

describe('texture set', () => {
  it('writes balanced labels for the 10 classes and decodable images', async () => {
    const out = path.join(tmp, 't1');
    const res = await writeTextureSet(out, { perClass: 4, size: 32, seed: 5 });
    expect(res.images).toBe(40);
    const rows = parseCsv(await readFile(path.join(out, 'textures', 'labels.csv'), 'utf8'));
    expect(rows[0]).toEqual(['image', 'label', 'class']);
    const counts = new Map<string, number>();
    for (const [image, label, cls] of rows.slice(1)) {
      expect(TEXTURE_CLASSES[Number(label)]).toBe(cls);
      counts.set(label!, (counts.get(label!) ?? 0) + 1);
      expect((await stat(path.join(out, 'textures', 'images', `${image}.png`))).size).toBeGreaterThan(0);
    }
    expect([...counts.values()]).toEqual(Array(10).fill(4));
    const meta = await sharp(path.join(out, 'textures', 'images', `${rows[1]![0]}.png`)).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]);
  });
});

describe('funduslab demo-data', () => {
  it('writes all three sets and reports JSON on stdout', async () => {
    const out = path.join(tmp, 'cli');
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await runDemoData([
        '--out',
        out,
        '--patients',
        '2',
        '--size',
        '40',
        '--seed',
        '6',
        '--idrid-images',
        '1',
        '--idrid-height',
        '60',
        '--textures-per-class',
        '1',
        '--texture-size',
        '16',
        '--json',
        '--quiet',
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const report = JSON.parse(writes.join('')) as { synthetic: boolean; eyepacs: { train: { images: number } } };
    expect(report.synthetic).toBe(true);
    expect(report.eyepacs.train.images).toBe(4);
    for (const f of ['SYNTHETIC.txt', 'eyepacs/trainLabels.csv', 'idrid/SYNTHETIC.txt', 'textures/labels.csv'])
      expect(existsSync(path.join(out, f))).toBe(true);
    await expect(runDemoData(['--patients', '2'])).rejects.toThrow(/--out/);
  });
});
