/** Importers on small hand-made layouts, broken on purpose. */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { DatasetManifest, ValidationReport } from '../../../src-shared/datasets';
import { snapshotTree, tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { makeStudy } from '../../support/studies';
import { encodeMask, rectPattern, writeFundusJpeg, writeTruncatedJpeg } from './fixtures';

async function write(file: string, text: string) {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, text);
}

async function listTmp(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name));
      else if (e.name.endsWith('.tmp')) out.push(e.name);
    }
  };
  await walk(dir);
  return out;
}

describe('eyepacs importer on a broken layout', () => {
  it('imports the good items and lists each bad one with its file and reason', async () => {
    const src = await tempDir('eyepacs');
    for (const id of ['1_left', '1_right', '2_left', '2_right', '3_left', '5_left'])
      await writeFundusJpeg(path.join(src, 'train', `${id}.jpeg`), 300, 200, {
        seed: id.length + id.charCodeAt(0) + (id.includes('right') ? 7 : 0),
      });
    await writeTruncatedJpeg(path.join(src, 'train', '3_right.jpeg'));
    await write(path.join(src, 'train', '4_left.jpeg'), 'not a jpeg at all');
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#a55' } })
      .jpeg()
      .toFile(path.join(src, 'train', '4_right.jpeg'));
    await write(
      path.join(src, 'trainLabels.csv'),
      [
        'image,level',
        '1_left,0',
        '1_right,2',
        '2_left,7',
        '2_right,2.5',
        '3_left,1',
        '3_right,1',
        '4_left,0',
        '4_right,0',
        '6_left,3',
        '1_left,0',
      ].join('\n') + '\n',
    );
    await writeFundusJpeg(path.join(src, 'test', '9_left.jpeg'), 300, 200, { seed: 99 });
    await write(path.join(src, 'retinopathy_solution.csv'), 'image,level,Usage\n9_left,4,Private\n');
    const before = await snapshotTree(src);
    const study = await makeStudy();
    const r = await importDataset({ type: 'eyepacs', path: src, id: 'broken' }, study, recordingContext());
    expect(await snapshotTree(src)).toEqual(before);

    const byId = Object.fromEntries(r.report.issues.filter((i) => i.id).map((i) => [`${i.id}:${i.kind}`, i]));
    expect(byId['2_left:bad-grade']?.reason).toMatch(/7 is outside 0-4/);
    expect(byId['2_right:bad-grade']?.reason).toMatch(/not an integer/);
    expect(byId['3_right:truncated']?.file).toBe('train/3_right.jpeg');
    expect(byId['4_left:not-an-image']?.file).toBe('train/4_left.jpeg');
    expect(byId['4_right:implausible-size']?.reason).toMatch(/40x40/);
    expect(byId['6_left:missing-file']?.severity).toBe('error');
    expect(byId['5_left:unlabelled']?.severity).toBe('warning');
    expect(byId['1_left:duplicate-id']?.severity).toBe('warning');

    const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(r.manifestPath, 'utf8')));
    expect(m.items.map((i) => i.id).sort()).toEqual(['1_left', '1_right', '3_left', '5_left', '9_left']);
    const nine = m.items.find((i) => i.id === '9_left')!;
    expect([nine.split, nine.grade, nine.patient, nine.eye]).toEqual(['test', 4, '9', 'left']);
    expect(m.items.find((i) => i.id === '5_left')!.grade).toBeNull();
    const report = ValidationReport.parse(JSON.parse(await fsp.readFile(r.validationPath, 'utf8')));
    expect(report.perSplitGrade).toEqual({ train: { '0': 1, '2': 1, '1': 1, ungraded: 1 }, test: { '4': 1 } });
    expect(report.counts.imported).toBe(5);
    expect(report.counts.excluded).toBe(6); // 2_left, 2_right, 3_right, 4_left, 4_right, 6_left
    for (const it of m.items) {
      const meta = await sharp(path.join(study, 'datasets', 'broken', it.cache!.input)).metadata();
      expect([meta.width, meta.height]).toEqual([224, 224]);
    }
  });

  it('reports a label CSV that misses a column', async () => {
    const src = await tempDir('eyepacs-col');
    await writeFundusJpeg(path.join(src, 'train', '1_left.jpeg'));
    await write(path.join(src, 'trainLabels.csv'), 'image,grade\n1_left,0\n');
    const r = await importDataset({ type: 'eyepacs', path: src, preprocess: false }, await makeStudy(), recordingContext());
    // The CSV without `level` is not recognised as trainLabels (no level column) when named otherwise; here it is named trainLabels.csv.
    expect(r.report.issues.find((i) => i.kind === 'bad-csv')?.reason).toMatch(/missing column level/);
    expect(r.imported).toBe(1);
  });
});

describe('cache and cancellation', () => {
  it('re-imports only what changed, and a cancelled import leaves no manifest and no temp files', async () => {
    const src = await tempDir('cache');
    for (let i = 0; i < 6; i++) await writeFundusJpeg(path.join(src, 'train', `${i}_left.jpeg`), 300, 200, { seed: i });
    await write(
      path.join(src, 'trainLabels.csv'),
      'image,level\n' + Array.from({ length: 6 }, (_, i) => `${i}_left,${i % 5}`).join('\n') + '\n',
    );
    const study = await makeStudy();

    const ctx = recordingContext();
    let seen = 0;
    const cancelling = {
      ...ctx,
      progress: (d: number) => {
        if (++seen >= 1 && d >= 1) ctx.controller.abort();
      },
    };
    await expect(importDataset({ type: 'eyepacs', path: src, id: 'c', concurrency: 1 }, study, cancelling)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(existsSync(path.join(study, 'datasets', 'c', 'manifest.json'))).toBe(false);
    expect(await listTmp(path.join(study, 'datasets'))).toEqual([]);

    const first = await importDataset({ type: 'eyepacs', path: src, id: 'c' }, study, recordingContext());
    expect(first.imported).toBe(6);
    expect(first.processed + first.cached).toBe(6);
    expect(first.cached).toBeGreaterThanOrEqual(1); // finished before the cancellation took effect
    const second = await importDataset({ type: 'eyepacs', path: src, id: 'c' }, study, recordingContext());
    expect([second.processed, second.cached]).toEqual([0, 6]);
    await writeFundusJpeg(path.join(src, 'train', '3_left.jpeg'), 300, 200, { seed: 17 });
    const third = await importDataset({ type: 'eyepacs', path: src, id: 'c' }, study, recordingContext());
    expect([third.processed, third.cached]).toEqual([1, 5]);
    // Another input size → everything again; the 224-px cache stays as the dataset's cache at another size (runs at 224 px read it).
    const fourth = await importDataset({ type: 'eyepacs', path: src, id: 'c', settings: { inputSize: 128 } }, study, recordingContext());
    expect(fourth.processed).toBe(6);
    expect(await fsp.readdir(path.join(study, 'datasets', 'c', 'cache'))).toHaveLength(2);
    expect(fourth.cacheSizes!.map((c) => [c.inputSize, c.imported, c.images])).toEqual([
      [128, true, 6],
      [224, false, 6],
    ]);
    // Other settings → everything again, and every cache of the old settings (both sizes) is pruned.
    const fifth = await importDataset(
      { type: 'eyepacs', path: src, id: 'c', settings: { inputSize: 128, cropMargin: 0.05 } },
      study,
      recordingContext(),
    );
    expect(fifth.processed).toBe(6);
    expect(await fsp.readdir(path.join(study, 'datasets', 'c', 'cache'))).toHaveLength(1);
    expect(fifth.cacheSizes!.map((c) => c.inputSize)).toEqual([128]);
  });

  it('refuses a study folder inside the dataset folder', async () => {
    const src = await tempDir('inside');
    await writeFundusJpeg(path.join(src, 'train', '1_left.jpeg'));
    const { StudyService } = await import('../../../src-main/services/study-folder/study-service');
    await new StudyService({ appVersion: 't' }).create(path.join(src, 'mystudy'), 'x');
    await expect(importDataset({ type: 'eyepacs', path: src }, path.join(src, 'mystudy'), recordingContext())).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});

describe('idrid-seg importer', () => {
  it('drops an image whose mask has the wrong size; images without a lesion are valid', async () => {
    const src = await tempDir('idrid');
    const seg = path.join(src, 'A. Segmentation');
    const imgDir = path.join(seg, '1. Original Images', 'a. Training Set');
    const gt = path.join(seg, '2. All Segmentation Groundtruths', 'a. Training Set');
    await writeFundusJpeg(path.join(imgDir, 'IDRiD_01.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(imgDir, 'IDRiD_02.jpg'), 300, 200, { seed: 2 });
    await writeFundusJpeg(path.join(seg, '1. Original Images', 'b. Testing Set', 'IDRiD_55.jpg'), 300, 200, { seed: 3 });
    const ok = await encodeMask('palette1', 300, 200, rectPattern(300, 200, 100, 80, 130, 110));
    const wrong = await encodeMask('bilevel', 150, 100, rectPattern(150, 100, 10, 10, 20, 20));
    await fsp.mkdir(path.join(gt, '1. Microaneurysms'), { recursive: true });
    await fsp.mkdir(path.join(gt, '5. Optic Disc'), { recursive: true });
    await fsp.writeFile(path.join(gt, '1. Microaneurysms', 'IDRiD_01_MA.tif'), ok);
    await fsp.writeFile(
      path.join(gt, '5. Optic Disc', 'IDRiD_01_OD.tif'),
      await encodeMask('rgba-lzw', 300, 200, rectPattern(300, 200, 200, 80, 230, 110)),
    );
    await fsp.writeFile(path.join(gt, '1. Microaneurysms', 'IDRiD_02_MA.tif'), wrong);
    await fsp.writeFile(path.join(gt, '1. Microaneurysms', 'IDRiD_77_MA.tif'), ok);
    const study = await makeStudy();
    const r = await importDataset({ type: 'idrid-seg', path: src, id: 'seg' }, study, recordingContext());
    const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(r.manifestPath, 'utf8')));
    expect(m.items.map((i) => [i.id, i.split, i.grade]).sort()).toEqual([
      ['IDRiD_01', 'train', null],
      ['IDRiD_55', 'test', null],
    ]);
    const bad = r.report.issues.find((i) => i.kind === 'mask-size-mismatch')!;
    expect(bad.file).toBe('A. Segmentation/2. All Segmentation Groundtruths/a. Training Set/1. Microaneurysms/IDRiD_02_MA.tif');
    expect(bad.reason).toMatch(/150x100 px but its image is 300x200/);
    expect(r.report.issues.find((i) => i.kind === 'orphan-mask')?.file).toMatch(/IDRiD_77_MA\.tif$/);
    const one = m.items.find((i) => i.id === 'IDRiD_01')!;
    expect(Object.keys(one.masks!).sort()).toEqual(['MA', 'OD']);
    expect(one.masks!.MA!.positivePixels).toBe(900);
    expect(m.items.find((i) => i.id === 'IDRiD_55')!.masks).toEqual({});
  });
});

describe('idrid-grading, messidor2 and folder importers', () => {
  it('idrid-grading: set-prefixed ids, trailing empty CSV columns, missing images', async () => {
    const src = await tempDir('idrid-b');
    const part = path.join(src, 'B. Disease Grading');
    await writeFundusJpeg(path.join(part, '1. Original Images', 'a. Training Set', 'IDRiD_001.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(part, '1. Original Images', 'a. Training Set', 'IDRiD_002.jpg'), 300, 200, { seed: 2 });
    await writeFundusJpeg(path.join(part, '1. Original Images', 'b. Testing Set', 'IDRiD_001.jpg'), 300, 200, { seed: 3 });
    await write(
      path.join(part, '2. Groundtruths', 'a. IDRiD_Disease Grading_Training Labels.csv'),
      'Image name,Retinopathy grade,Risk of macular edema ,,,\nIDRiD_001,3,2,,,\nIDRiD_002,0,0,,,\nIDRiD_003,1,0,,,\n',
    );
    await write(
      path.join(part, '2. Groundtruths', 'b. IDRiD_Disease Grading_Testing Labels.csv'),
      'Image name,Retinopathy grade,Risk of macular edema \nIDRiD_001,4,1\n',
    );
    const r = await importDataset({ type: 'idrid-grading', path: src, preprocess: false }, await makeStudy(), recordingContext());
    expect(r.report.perSplitGrade).toEqual({ train: { '3': 1, '0': 1 }, test: { '4': 1 } });
    expect(r.report.issues.map((i) => [i.kind, i.id])).toEqual([['missing-file', 'train/IDRiD_003']]);
    const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(r.manifestPath, 'utf8')));
    expect(m.items.find((i) => i.id === 'train/IDRiD_001')?.dme).toBe(2);
  });

  it('messidor2: ungradable and ungraded images are excluded and counted', async () => {
    const src = await tempDir('messidor');
    await writeFundusJpeg(path.join(src, 'IMAGES', '20051020_43808_0100_PP.png'.replace('.png', '.jpg')), 300, 200, { seed: 1 });
    await sharp(await fsp.readFile(path.join(src, 'IMAGES', '20051020_43808_0100_PP.jpg')))
      .png()
      .toFile(path.join(src, 'IMAGES', 'IMG0001.png'));
    await writeFundusJpeg(path.join(src, 'IMAGES', 'IMG0002.JPG'), 300, 200, { seed: 2 });
    await writeFundusJpeg(path.join(src, 'IMAGES', 'IMG0003.JPG'), 300, 200, { seed: 3 });
    await write(
      path.join(src, 'messidor_data.csv'),
      'image_id,adjudicated_dr_grade,adjudicated_dme,adjudicated_gradable\n20051020_43808_0100_PP.jpg,2,1,1\nIMG0001.png,0,0,1\nIMG0002.JPG,,,0\nIMG0003.JPG,,,1\n',
    );
    const r = await importDataset({ type: 'messidor2', path: src, preprocess: false }, await makeStudy(), recordingContext());
    expect(r.imported).toBe(2);
    expect(r.report.counts.byKind).toMatchObject({ ungradable: 1, ungraded: 1 });
    expect(r.report.perSplitGrade).toEqual({ none: { '2': 1, '0': 1 } });
  });

  it('folder: names with or without extension or as relative paths; ambiguous and escaping names rejected', async () => {
    const src = await tempDir('folder');
    await writeFundusJpeg(path.join(src, 'a', 'x1.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(src, 'a', 'x2.jpg'), 300, 200, { seed: 2 });
    await writeFundusJpeg(path.join(src, 'b', 'x2.jpg'), 300, 200, { seed: 3 });
    await writeFundusJpeg(path.join(src, 'b', 'x3.png'), 300, 200, { seed: 4 });
    await writeFundusJpeg(path.join(src, 'x4.jpeg'), 300, 200, { seed: 5 });
    const csvDir = await tempDir('folder-csv');
    const csv = path.join(csvDir, 'labels.csv');
    await write(csv, 'file;dr;pid\nx1;1;p1\nb/x2.jpg;2;p1\nb\\x3;3;\nx4.jpeg;0;p4\nx2;1;p9\n../etc/passwd;0;p0\n');
    const r = await importDataset(
      { type: 'folder', path: src, csv, imageColumn: 'file', gradeColumn: 'DR', patientColumn: 'pid', split: 'train' },
      await makeStudy(),
      recordingContext(),
    );
    const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(r.manifestPath, 'utf8')));
    expect(m.items.map((i) => [i.id, i.patient, i.grade, i.split])).toEqual([
      ['a/x1', 'p1', 1, 'train'],
      ['b/x2', 'p1', 2, 'train'],
      ['b/x3', 'b/x3', 3, 'train'],
      ['x4', 'p4', 0, 'train'],
    ]);
    expect(r.report.issues.map((i) => i.kind).sort()).toEqual(['ambiguous-file', 'missing-file']);
    await expect(
      importDataset({ type: 'folder', path: src, csv, imageColumn: 'image', gradeColumn: 'dr' }, await makeStudy(), recordingContext()),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'imageColumn' }],
    });
  });
});
