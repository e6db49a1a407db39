/** An import leaves nothing behind when it fails; malformed label CSVs and empty grade cells are named by line. */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { makeStudy } from '../../support/studies';
import { writeFundusJpeg } from './fixtures';

async function write(file: string, text: string) {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, text);
}

describe('imports that fail leave nothing behind', () => {
  it('an import whose images are all bad fails and leaves no dataset folder', async () => {
    const src = await tempDir('all-bad');
    await write(path.join(src, 'img', 'a.jpg'), 'not a jpeg');
    await write(path.join(src, 'img', 'b.jpg'), 'not a jpeg either');
    const csv = path.join(await tempDir('all-bad-csv'), 'labels.csv');
    await write(csv, 'file,grade\nimg/a.jpg,1\nimg/b.jpg,2\n');
    const study = await makeStudy();
    const error = await importDataset(
      { type: 'folder', path: src, id: 'bad', csv, imageColumn: 'file', gradeColumn: 'grade' },
      study,
      recordingContext(),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'path', message: 'no importable image' }] });
    expect((error as Error).message).toMatch(
      /^None of the 2 image\(s\) in .* could be imported\. Nothing was written\. First problems: img\/a\.jpg: /,
    );
    expect(existsSync(path.join(study, 'datasets', 'bad'))).toBe(false);
    expect(await fsp.readdir(path.join(study, 'datasets'))).toEqual([]);
  });

  it('a layout that names no image fails before anything is written', async () => {
    const src = await tempDir('no-images');
    await write(path.join(src, 'train', 'readme.txt'), 'empty');
    const study = await makeStudy();
    await expect(importDataset({ type: 'eyepacs', path: src, id: 'none' }, study, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^No image to import in .*: the layout names no image file\. Nothing was written\./),
    });
    expect(await fsp.readdir(path.join(study, 'datasets'))).toEqual([]);
  });

  it('a malformed label CSV is refused with its line (no rows merged), and nothing is written', async () => {
    const src = await tempDir('malformed');
    await writeFundusJpeg(path.join(src, 'x1.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(src, 'x2.jpg'), 300, 200, { seed: 2 });
    const csv = path.join(await tempDir('malformed-csv'), 'labels.csv');
    await write(csv, 'file,grade\n"x1.jpg,1\nx2.jpg,2\n');
    const study = await makeStudy();
    await expect(
      importDataset({ type: 'folder', path: src, csv, imageColumn: 'file', gradeColumn: 'grade' }, study, recordingContext()),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${csv} is not a well-formed CSV file (RFC 4180): line 2: field 1 opens a quote that is never closed.`,
      issues: [{ path: 'csv', message: 'malformed CSV (line 2)' }],
    });
    expect(await fsp.readdir(path.join(study, 'datasets'))).toEqual([]);
  });

  it('an empty grade cell is "column \'<grade>\' is empty on line N"; quoted names with commas and line breaks import', async () => {
    const src = await tempDir('empty-grade');
    await writeFundusJpeg(path.join(src, 'a,b.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(src, 'c.jpg'), 300, 200, { seed: 2 });
    const csv = path.join(await tempDir('empty-grade-csv'), 'labels.csv');
    await write(csv, '\ufeffimage,"DR grade",note\r\n"a,b.jpg",2,"two\r\nlines"\r\nc.jpg,,""\r\n');
    const r = await importDataset(
      { type: 'folder', path: src, csv, imageColumn: 'image', gradeColumn: 'DR grade', preprocess: false },
      await makeStudy(),
      recordingContext(),
    );
    expect(r.imported).toBe(2);
    expect(r.report.perSplitGrade).toEqual({ none: { '2': 1, ungraded: 1 } });
    expect(r.report.issues).toEqual([
      {
        kind: 'ungraded',
        severity: 'warning',
        file: 'c.jpg',
        id: 'c',
        reason: "column 'DR grade' is empty on line 4; imported without a grade",
      },
    ]);
  });
});
