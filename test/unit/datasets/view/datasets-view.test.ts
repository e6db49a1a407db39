/**
 * The read-only dataset queries on a study made by really importing tiny generated datasets
 * (synthetic EyePACS and IDRiD segmentation), plus a corrupt manifest and path-traversal attempts.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../../../src-main/services/datasets/import/import-service';
import { csvPreview, datasetImage, getDataset, listDatasets, listItems } from '../../../../src-main/services/datasets/view/index';
import { blendMask, cacheFile } from '../../../../src-main/services/datasets/view/images';
import { readDatasetManifest } from '../../../../src-main/services/datasets/manifest-file';
import { writeEyepacsDemo, writeIdridDemo } from '../../../../src-main/services/demo';
import { contract, type DatasetSummary, type ReadableDatasetSummary } from '../../../../src-shared/contract';
import { AppError } from '../../../../src-shared/errors';
import { tempDir } from '../../../support/files';
import { recordingContext } from '../../../support/job-context';
import { makeStudy } from '../../../support/studies';

let study: string;
let src: string;

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

function readable(list: DatasetSummary[], id: string): ReadableDatasetSummary {
  const s = list.find((d) => d.id === id);
  if (!s?.readable) throw new Error(`${id} is not readable: ${JSON.stringify(s)}`);
  return s;
}

beforeAll(async () => {
  src = await tempDir('view-src');
  await writeEyepacsDemo(src, { patients: 5, testPatients: 1, size: 96, seed: 7, distribution: 'balanced' });
  await writeIdridDemo(src, { images: 2, size: 72, seed: 3 });
  study = await makeStudy();
  await importDataset(
    { type: 'eyepacs', path: path.join(src, 'eyepacs'), id: 'eyepacs-demo', settings: { inputSize: 64, overlaySize: 96 }, concurrency: 2 },
    study,
    recordingContext(),
  );
  await importDataset(
    {
      type: 'idrid-seg',
      path: path.join(src, 'idrid'),
      id: 'idrid-seg-demo',
      settings: { inputSize: 64, overlaySize: 128 },
      concurrency: 2,
    },
    study,
    recordingContext(),
  );
  // An unreadable dataset next to them: broken JSON, and one that parses but is not a manifest.
  await fsp.mkdir(path.join(study, 'datasets', 'broken'), { recursive: true });
  await fsp.writeFile(path.join(study, 'datasets', 'broken', 'manifest.json'), '{"schemaVersion": 1, "id":');
  await fsp.mkdir(path.join(study, 'datasets', 'wrong-shape'), { recursive: true });
  await fsp.writeFile(
    path.join(study, 'datasets', 'wrong-shape', 'manifest.json'),
    JSON.stringify({ schemaVersion: 1, id: 'wrong-shape', items: 'none' }),
  );
}, 120_000);

describe('datasets.list', () => {
  it('summarises every imported dataset from its manifest and report', async () => {
    const list = await listDatasets(study);
    expect(list.map((d) => d.id)).toEqual(['broken', 'eyepacs-demo', 'idrid-seg-demo', 'wrong-shape']);
    expect(contract['datasets.list'].output.safeParse(list).success).toBe(true);

    const eye = readable(list, 'eyepacs-demo');
    expect(eye.type).toBe('eyepacs');
    expect(eye.items).toBe(12);
    expect(eye.patients).toBe(6);
    expect(eye.synthetic).toBe(true);
    expect(eye.splits).toEqual({ train: 10, test: 2 });
    expect(Object.values(eye.grades).reduce((a, b) => a + b, 0)).toBe(12);
    expect(Object.values(eye.perSplitGrade.train ?? {}).reduce((a, b) => a + b, 0)).toBe(10);
    expect(eye.settings.inputSize).toBe(64);
    expect(eye.masks).toEqual({});
    expect(eye.reportProblem).toBeNull();
    expect(eye.candidates).toBe(12);

    const seg = readable(list, 'idrid-seg-demo');
    expect(seg.items).toBe(2);
    expect(seg.synthetic).toBe(true);
    expect(seg.grades.ungraded).toBe(2);
    expect(seg.masks.OD).toBe(2);
  });

  it('flags a corrupt manifest as unreadable with the reason, never throwing', async () => {
    const list = await listDatasets(study);
    const broken = list.find((d) => d.id === 'broken');
    expect(broken).toMatchObject({ readable: false });
    expect(broken && !broken.readable && broken.reason).toMatch(/not valid JSON/);
    const wrong = list.find((d) => d.id === 'wrong-shape');
    expect(wrong && !wrong.readable && wrong.reason).toMatch(/does not match the expected format/);
  });

  it('keeps the manifest readable when only validation.json is corrupt', async () => {
    const s2 = await makeStudy();
    await fsp.cp(path.join(study, 'datasets', 'idrid-seg-demo'), path.join(s2, 'datasets', 'idrid-seg-demo'), { recursive: true });
    await fsp.writeFile(path.join(s2, 'datasets', 'idrid-seg-demo', 'validation.json'), 'garbage');
    const [one] = await listDatasets(s2);
    expect(one).toMatchObject({ readable: true, items: 2, candidates: null });
    expect(one?.readable && one.reportProblem).toMatch(/validation\.json is not valid JSON/);
  });

  it('refuses a folder that is not a study', async () => {
    const e = await rejection(listDatasets(src));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.issues?.[0]?.path).toBe('studyPath');
  });

  it('lists nothing for a new study', async () => {
    expect(await listDatasets(await makeStudy())).toEqual([]);
  });
});

describe('datasets.get', () => {
  it('returns the full report', async () => {
    const d = await getDataset(study, 'eyepacs-demo');
    expect(d.summary.readable).toBe(true);
    expect(Array.isArray(d.issues)).toBe(true);
    expect(contract['datasets.get'].output.safeParse(d).success).toBe(true);
  });

  it('answers for an unreadable dataset with its reason', async () => {
    const d = await getDataset(study, 'broken');
    expect(d.summary.readable).toBe(false);
    expect(d.issues).toEqual([]);
  });

  it.each(['../eyepacs-demo', '..', '.', '/etc', 'eyepacs-demo/../idrid-seg-demo', 'nope', 'EYEPACS-DEMO'])(
    'refuses the dataset id %j',
    async (id) => {
      const e = await rejection(getDataset(study, id));
      expect(e.code).toBe('NOT_FOUND');
      expect(e.issues?.[0]?.path).toBe('datasetId');
    },
  );
});

describe('datasets.items', () => {
  it('pages through the items in manifest order', async () => {
    const first = await listItems(study, 'eyepacs-demo', 0, 5);
    const second = await listItems(study, 'eyepacs-demo', 5, 5);
    const third = await listItems(study, 'eyepacs-demo', 10, 5);
    expect([first.total, first.items.length, second.items.length, third.items.length]).toEqual([12, 5, 5, 2]);
    const ids = [...first.items, ...second.items, ...third.items].map((i) => i.id);
    expect(new Set(ids).size).toBe(12);
    expect(first.items[0]).toMatchObject({ patient: expect.stringMatching(/^syn/), hasImage: true, lesions: [] });
  });

  it('filters by split, grade and lesion', async () => {
    const test = await listItems(study, 'eyepacs-demo', 0, 200, { split: 'test' });
    expect(test.total).toBe(2);
    expect(test.items.every((i) => i.split === 'test')).toBe(true);
    const all = await listItems(study, 'eyepacs-demo', 0, 200);
    const g = all.items[0]!.grade!;
    const byGrade = await listItems(study, 'eyepacs-demo', 0, 200, { grade: g });
    expect(byGrade.total).toBe(all.items.filter((i) => i.grade === g).length);
    const od = await listItems(study, 'idrid-seg-demo', 0, 200, { lesion: 'OD' });
    expect(od.total).toBe(2);
    expect(od.items[0]!.lesions).toContain('OD');
    expect((await listItems(study, 'eyepacs-demo', 0, 200, { lesion: 'MA' })).total).toBe(0);
  });

  it('refuses a corrupt dataset as STUDY_CORRUPT', async () => {
    expect((await rejection(listItems(study, 'broken', 0, 10))).code).toBe('STUDY_CORRUPT');
  });
});

describe('datasets.image', () => {
  it('returns a thumbnail of the cached input image at the asked size', async () => {
    const { items } = await listItems(study, 'eyepacs-demo', 0, 1);
    const r = await datasetImage({ studyPath: study, datasetId: 'eyepacs-demo', itemId: items[0]!.id, variant: 'input', size: 40 });
    expect(r.dataUrl.startsWith('data:image/png;base64,')).toBe(true);
    const meta = await sharp(Buffer.from(r.dataUrl.split(',')[1]!, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height, r.width]).toEqual(['png', 40, 40, 40]);
  });

  it('draws the chosen lesion masks over the overlay copy', async () => {
    const { items } = await listItems(study, 'idrid-seg-demo', 0, 1);
    const item = items[0]!;
    const base = { studyPath: study, datasetId: 'idrid-seg-demo', itemId: item.id, variant: 'overlay' as const };
    const plain = await datasetImage(base);
    // The overlay copy (128 px asked) is never larger than the source's cropped square (72-px high images here).
    const { manifest } = await readDatasetManifest(study, 'idrid-seg-demo');
    const side = manifest.items.find((i) => i.id === item.id)!.crop!.side;
    expect(side).toBeLessThan(128);
    expect(plain.width).toBe(side);
    const withOd = await datasetImage({ ...base, masks: ['OD'] });
    const raw = async (url: string) =>
      sharp(Buffer.from(url.split(',')[1]!, 'base64'))
        .raw()
        .toBuffer();
    const [a, b] = [await raw(plain.dataUrl), await raw(withOd.dataUrl)];
    let changed = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed++;
    expect(changed).toBeGreaterThan(30);
    // Thumbnails keep a small lesion visible.
    const thumb = await datasetImage({ ...base, size: 32, masks: item.lesions });
    expect(thumb.width).toBe(32);
  });

  it('refuses a mask the item does not have', async () => {
    const { items } = await listItems(study, 'eyepacs-demo', 0, 1);
    const e = await rejection(
      datasetImage({ studyPath: study, datasetId: 'eyepacs-demo', itemId: items[0]!.id, variant: 'input', masks: ['MA'] }),
    );
    expect(e.issues?.[0]?.path).toBe('masks');
  });

  it.each(['../../study.json', '/etc/passwd', 'train/../../x', '', 'cache'])('refuses the item id %j', async (itemId) => {
    const e = await rejection(datasetImage({ studyPath: study, datasetId: 'eyepacs-demo', itemId, variant: 'input' }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.issues?.[0]?.path).toBe('itemId');
  });

  it('refuses a manifest whose cache path leaves the dataset folder', async () => {
    const dir = path.join(study, 'datasets', 'eyepacs-demo');
    await expect(cacheFile(dir, '../../study.json')).rejects.toThrow(/outside its dataset folder/);
    await expect(cacheFile(dir, '/etc/passwd')).rejects.toThrow(/outside its dataset folder/);
    await expect(cacheFile(dir, 'cache/../../../study.json')).rejects.toThrow(/outside its dataset folder/);
    // A symlink inside the dataset folder that points out of it.
    await fsp.symlink(path.join(study, 'study.json'), path.join(dir, 'escape.png'));
    await expect(cacheFile(dir, 'escape.png')).rejects.toThrow(/resolves outside/);
  });
});

describe('blendMask', () => {
  it('fills translucently and outlines opaquely', () => {
    const w = 5;
    const rgb = new Uint8Array(w * w * 3);
    const mask = new Uint8Array(w * w);
    for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) mask[y * w + x] = 255;
    blendMask(rgb, mask, w, w, [200, 100, 0], 127);
    expect([...rgb.slice(0, 3)]).toEqual([0, 0, 0]); // outside
    expect([...rgb.slice((1 * w + 1) * 3, (1 * w + 1) * 3 + 3)]).toEqual([200, 100, 0]); // edge
    expect(rgb[(2 * w + 2) * 3]).toBe(90); // centre: 45 % of 200
  });
});

describe('datasets.csvPreview', () => {
  it('shows the columns, the first ten rows and the row count', async () => {
    const p = await csvPreview(path.join(src, 'eyepacs', 'trainLabels.csv'));
    expect(p.columns).toEqual(['image', 'level']);
    expect(p.rowCount).toBe(10);
    expect(p.rows[0]![0]).toMatch(/^syn/);
    const dir = await tempDir('csv');
    const big = ['a;b;c', ...Array.from({ length: 25 }, (_, i) => `${i};x`)].join('\n');
    await fsp.writeFile(path.join(dir, 'big.csv'), big);
    const q = await csvPreview(path.join(dir, 'big.csv'));
    expect([q.columns, q.rows.length, q.rowCount, q.rows[3]]).toEqual([['a', 'b', 'c'], 10, 25, ['3', 'x', '']]);
  });

  it('names the field for a missing file, a folder and an empty file', async () => {
    const dir = await tempDir('csv');
    await fsp.writeFile(path.join(dir, 'empty.csv'), '');
    for (const [file, code] of [
      [path.join(dir, 'nope.csv'), 'NOT_FOUND'],
      [dir, 'BAD_REQUEST'],
      [path.join(dir, 'empty.csv'), 'BAD_REQUEST'],
    ] as const) {
      const e = await rejection(csvPreview(file));
      expect(e.code).toBe(code);
      expect(e.issues?.[0]?.path).toBe('path');
    }
  });
});
