/**
 * Importers on the real images in ../shared/data (see its README for the counts asserted here).
 * With CI=true a missing data folder fails these tests; elsewhere they are skipped with a message.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { parseCsv } from '../../../src-main/services/datasets/csv';
import { DatasetManifest } from '../../../src-shared/datasets';
import { snapshotTree, tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { DATA_DIR, realDataAvailable } from '../../support/real-data';
import { makeStudy } from '../../support/studies';

const EYEPACS = path.join(DATA_DIR, 'eyepacs-256');
const QUARTER = path.join(DATA_DIR, 'idrid-seg-quarter');
const FULLRES = path.join(DATA_DIR, 'idrid-seg-fullres');

async function manifestOf(file: string) {
  return DatasetManifest.parse(JSON.parse(await fsp.readFile(file, 'utf8')));
}

describe.skipIf(!realDataAvailable('eyepacs-256'))('eyepacs-256 (real)', () => {
  it(
    'validates every one of the 3,033 images (full decode) and finds exactly the README counts; the source is untouched',
    { timeout: 240_000 },
    async () => {
      const before = await snapshotTree(EYEPACS);
      const r = await importDataset({ type: 'eyepacs', path: EYEPACS, preprocess: false }, await makeStudy(), recordingContext());
      expect(await snapshotTree(EYEPACS)).toEqual(before);
      expect(r.imported).toBe(3033);
      expect(r.excluded).toBe(0);
      expect(r.report.issues).toEqual([]);
      expect(r.report.perSplitGrade).toEqual({ train: { '0': 2217, '1': 194, '2': 461, '3': 90, '4': 71 } });
      const m = await manifestOf(r.manifestPath);
      expect(m.items.every((i) => i.width === 256 && i.height === 256 && i.eye !== null && i.split === 'train')).toBe(true);
      expect(m.items.find((i) => i.id === '10003_right')).toMatchObject({ patient: '10003', eye: 'right', grade: 0 });
      // Whole patients only: every patient has its left and right eye.
      const eyes = new Map<string, Set<string>>();
      for (const i of m.items) eyes.set(i.patient, (eyes.get(i.patient) ?? new Set()).add(i.eye!));
      expect([...eyes.values()].filter((s) => s.size === 2).length).toBeGreaterThanOrEqual(eyes.size - 1);
    },
  );

  it(
    'preprocesses a subset into 224-px inputs and overlays no larger than the 256-px sources; a second import processes 0 images',
    { timeout: 120_000 },
    async () => {
      // A Kaggle-shaped folder of 40 real images (copies: an import never follows a link out of its folder), so the full
      // preprocessing run stays short; the bench covers all 3,033.
      const src = await tempDir('eyepacs-subset');
      const table = parseCsv(await fsp.readFile(path.join(EYEPACS, 'trainLabels.csv'), 'utf8'));
      const rows = table.rows.slice(0, 40);
      await fsp.mkdir(path.join(src, 'train'));
      for (const r of rows)
        await fsp.copyFile(path.join(EYEPACS, 'train', `${r.cells[0]}.jpeg`), path.join(src, 'train', `${r.cells[0]}.jpeg`));
      await fsp.writeFile(path.join(src, 'trainLabels.csv'), 'image,level\n' + rows.map((r) => r.cells.join(',')).join('\n') + '\n');
      const study = await makeStudy();
      const first = await importDataset({ type: 'eyepacs', path: src, id: 'sub' }, study, recordingContext());
      expect([first.imported, first.processed, first.cached]).toEqual([40, 40, 0]);
      const m = await manifestOf(first.manifestPath);
      for (const it of m.items.slice(0, 5)) {
        const a = await sharp(path.join(study, 'datasets', 'sub', it.cache!.input)).metadata();
        const b = await sharp(path.join(study, 'datasets', 'sub', it.cache!.overlay)).metadata();
        // The overlay (512 px by default) is never enlarged: the side of the source's cropped square, at most 256 px.
        expect([a.format, a.width, a.height, b.format, b.width, b.height]).toEqual(['png', 224, 224, 'jpeg', it.crop!.side, it.crop!.side]);
        expect(it.crop!.side).toBeLessThanOrEqual(256);
      }
      // What the cache costs per real EyePACS-256 image (input PNG about 76 kB, overlay JPEG about 34 kB, entry): 115 kB on all 3,033.
      expect(first.cache!.bytesPerImage).toBeLessThan(150_000);
      const second = await importDataset({ type: 'eyepacs', path: src, id: 'sub' }, study, recordingContext());
      expect([second.processed, second.cached]).toEqual([0, 40]);
    },
  );
});

describe.skipIf(!realDataAvailable('idrid-seg-quarter'))('idrid-seg-quarter (real)', () => {
  it(
    'imports 54 images with their bilevel masks (IDRiD_43 without HE, SE for 26) and aligns masks with images',
    { timeout: 180_000 },
    async () => {
      const before = await snapshotTree(QUARTER);
      const study = await makeStudy();
      const r = await importDataset({ type: 'idrid-seg', path: QUARTER, id: 'q' }, study, recordingContext());
      expect(await snapshotTree(QUARTER)).toEqual(before);
      expect(r.imported).toBe(54);
      expect(r.report.issues).toEqual([]);
      expect(r.report.masks).toEqual({ MA: 54, HE: 53, EX: 54, SE: 26, OD: 54 });
      const m = await manifestOf(r.manifestPath);
      expect(Object.keys(m.items.find((i) => i.id === 'IDRiD_43')!.masks!)).not.toContain('HE');
      expect(m.items.every((i) => i.width === 1072 && i.height === 712 && i.grade === null && i.split === 'train')).toBe(true);
      // The optic disc is the brightest structure: inside its (cropped, resized) mask the overlay image is brighter than the rest of the
      // retina.
      for (const it of m.items.slice(0, 6)) {
        const img = await sharp(path.join(study, 'datasets', 'q', it.cache!.overlay))
          .greyscale()
          .raw()
          .toBuffer();
        const od = await sharp(path.join(study, 'datasets', 'q', it.masks!.OD!.cache!.overlay))
          .toColourspace('b-w')
          .raw()
          .toBuffer();
        let sIn = 0;
        let nIn = 0;
        let sOut = 0;
        let nOut = 0;
        for (let i = 0; i < od.length; i++) {
          if (od[i]) {
            sIn += img[i]!;
            nIn++;
          } else if (img[i]! > 20) {
            sOut += img[i]!;
            nOut++;
          }
        }
        expect(nIn).toBeGreaterThan(100);
        expect(sIn / nIn).toBeGreaterThan((sOut / nOut) * 1.3);
      }
    },
  );
});

describe.skipIf(!realDataAvailable('idrid-seg-fullres'))('idrid-seg-fullres (real)', () => {
  it(
    'decodes the 4288x2848 originals and their palette masks; the camera EXIF does not reach the cache',
    { timeout: 120_000 },
    async () => {
      const before = await snapshotTree(FULLRES);
      const study = await makeStudy();
      const r = await importDataset({ type: 'idrid-seg', path: FULLRES, id: 'full' }, study, recordingContext());
      expect(await snapshotTree(FULLRES)).toEqual(before);
      expect(r.imported).toBe(2);
      expect(r.report.issues).toEqual([]);
      const m = await manifestOf(r.manifestPath);
      for (const it of m.items) {
        expect([it.width, it.height]).toEqual([4288, 2848]);
        const src = await sharp(path.join(FULLRES, it.source.file)).metadata();
        // IDRiD_03 carries camera EXIF and XMP; IDRiD_16 is a plain JFIF (no EXIF), despite the data README.
        if (it.id === 'IDRiD_03') expect([src.exif?.length ?? 0, src.xmp?.length ?? 0].every((n) => n > 0)).toBe(true);
        for (const f of [it.cache!.input, it.cache!.overlay]) {
          const meta = await sharp(path.join(study, 'datasets', 'full', f)).metadata();
          expect(meta.exif).toBeUndefined();
          expect(meta.icc).toBeUndefined();
          expect(meta.xmp).toBeUndefined();
        }
        for (const [lesion, mask] of Object.entries(it.masks!)) {
          expect(mask.positivePixels, `${it.id} ${lesion}`).toBeGreaterThan(0);
          const meta = await sharp(path.join(study, 'datasets', 'full', mask.cache!.input)).metadata();
          expect([meta.width, meta.height, meta.channels]).toEqual([224, 224, 1]);
        }
      }
      expect(Object.keys(m.items.find((i) => i.id === 'IDRiD_03')!.masks!).sort()).toEqual(['EX', 'HE', 'MA', 'OD', 'SE']);
      expect(Object.keys(m.items.find((i) => i.id === 'IDRiD_16')!.masks!).sort()).toEqual(['EX', 'HE', 'MA', 'OD']);
    },
  );
});
