/**
 * Grades in label CSVs are decimal integers: `0x2` and `1e0` (which Number() reads as 2 and 1) and
 * every other spelling of a number that is not one are refused, the file, line and column named.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { parseGrade } from '../../../src-main/services/datasets/import/layouts/common';
import { DatasetManifest } from '../../../src-shared/datasets';
import { snapshotTree, tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { makeStudy } from '../../support/studies';
import { writeFundusJpeg } from './fixtures';

describe('parseGrade', () => {
  it('reads decimal integers with optional surrounding whitespace, and an empty cell as no grade', () => {
    expect(parseGrade('2')).toEqual({ grade: 2 });
    expect(parseGrade('  3\t')).toEqual({ grade: 3 });
    expect(parseGrade('04')).toEqual({ grade: 4 });
    expect(parseGrade('0')).toEqual({ grade: 0 });
    expect(parseGrade(' ')).toEqual({ grade: null });
    expect(parseGrade(undefined)).toEqual({ grade: null });
  });

  it.each([
    ['0x2', /"0x2" is a hexadecimal, octal or binary number; expected a decimal integer 0-4/],
    ['0b10', /hexadecimal, octal or binary/],
    ['0o2', /hexadecimal, octal or binary/],
    ['1e0', /"1e0" has an exponent/],
    ['2E-0', /has an exponent/],
    ['2.0', /"2.0" has a fraction \(not an integer\)/],
    ['.5', /has a fraction/],
    ['+2', /"\+2" has a sign \(grades are never negative\)/],
    ['-0', /has a sign/],
    ['-1', /has a sign/],
    ['Infinity', /"Infinity" is not a number/],
    ['2 3', /is not a number/],
    ['٣', /is not a number/],
    ['5', /grade 5 is outside 0-4/],
  ])('refuses %s', (raw, message) => {
    const r = parseGrade(raw, 4, { index: 1, name: 'level' });
    expect(r).toEqual({ error: expect.stringMatching(message) });
    expect((r as { error: string }).error).toMatch(/^column 2 \('level'\): /);
  });

  it('keeps a smaller range (macular edema risk 0-2)', () => {
    expect(parseGrade('2', 2)).toEqual({ grade: 2 });
    expect(parseGrade('3', 2)).toEqual({ error: 'grade 3 is outside 0-2' });
  });
});

describe('an import with grades 0x2 and 1e0', () => {
  it('leaves those images out and names the file, the line and the column; the decimal grades are imported', async () => {
    const src = await tempDir('grades');
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries())
      await writeFundusJpeg(path.join(src, 'train', `${name}_left.jpeg`), 300, 200, { seed: i + 1 });
    await fsp.writeFile(path.join(src, 'trainLabels.csv'), 'image,level\na_left,0x2\nb_left,1e0\nc_left, 2 \nd_left,1\n');
    const before = await snapshotTree(src);
    const r = await importDataset({ type: 'eyepacs', path: src, id: 'grades', preprocess: false }, await makeStudy(), recordingContext());
    expect(await snapshotTree(src)).toEqual(before);
    const bad = r.report.issues.filter((i) => i.kind === 'bad-grade');
    expect(bad).toEqual([
      {
        kind: 'bad-grade',
        severity: 'error',
        file: 'trainLabels.csv',
        id: 'a_left',
        reason: `line 2: column 2 ('level'): grade "0x2" is a hexadecimal, octal or binary number; expected a decimal integer 0-4; the image is left out`,
      },
      {
        kind: 'bad-grade',
        severity: 'error',
        file: 'trainLabels.csv',
        id: 'b_left',
        reason: `line 3: column 2 ('level'): grade "1e0" has an exponent; expected a decimal integer 0-4; the image is left out`,
      },
    ]);
    const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(r.manifestPath, 'utf8')));
    expect(m.items.map((i) => [i.id, i.grade])).toEqual([
      ['c_left', 2],
      ['d_left', 1],
    ]);
  });

  it('folder and IDRiD layouts refuse them the same way (grade and macular edema columns)', async () => {
    const src = await tempDir('grades-folder');
    await writeFundusJpeg(path.join(src, 'x1.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(src, 'x2.jpg'), 300, 200, { seed: 2 });
    const csv = path.join(await tempDir('grades-csv'), 'labels.csv');
    await fsp.writeFile(csv, 'file;dr\nx1;1e0\nx2;3\n');
    const r = await importDataset(
      { type: 'folder', path: src, csv, imageColumn: 'file', gradeColumn: 'dr', preprocess: false },
      await makeStudy(),
      recordingContext(),
    );
    expect(r.report.issues).toEqual([
      expect.objectContaining({
        kind: 'bad-grade',
        file: 'labels.csv',
        reason: `line 2: column 2 ('dr'): grade "1e0" has an exponent; expected a decimal integer 0-4; the image is left out`,
      }),
    ]);
    expect(r.imported).toBe(1);

    const idrid = await tempDir('grades-idrid');
    const part = path.join(idrid, 'B. Disease Grading');
    await writeFundusJpeg(path.join(part, '1. Original Images', 'a. Training Set', 'IDRiD_001.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(part, '1. Original Images', 'a. Training Set', 'IDRiD_002.jpg'), 300, 200, { seed: 2 });
    await fsp.mkdir(path.join(part, '2. Groundtruths'), { recursive: true });
    await fsp.writeFile(
      path.join(part, '2. Groundtruths', 'a. IDRiD_Disease Grading_Training Labels.csv'),
      'Image name,Retinopathy grade,Risk of macular edema \nIDRiD_001,0x2,0\nIDRiD_002,1,0x1\n',
    );
    const g = await importDataset({ type: 'idrid-grading', path: idrid, preprocess: false }, await makeStudy(), recordingContext());
    expect(g.report.issues.map((i) => [i.severity, i.id, i.reason])).toEqual([
      ['error', 'train/IDRiD_001', expect.stringMatching(/^line 2: column 2 \('Retinopathy grade'\): grade "0x2" is a hexadecimal/)],
      [
        'warning',
        'train/IDRiD_002',
        expect.stringMatching(/^line 3: macular edema risk: column 3 \('Risk of macular edema'\): grade "0x1"/),
      ],
    ]);
    const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(g.manifestPath, 'utf8')));
    expect(m.items.map((i) => [i.id, i.grade, i.dme])).toEqual([['train/IDRiD_002', 1, null]]);
  });
});
