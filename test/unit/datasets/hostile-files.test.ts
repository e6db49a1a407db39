/**
 * Hostile files in a dataset folder: links that leave the folder (to /dev/zero, /etc/passwd, a JPEG
 * elsewhere), FIFOs and folders named like images, files above their size limit, and a 1-bit TIFF
 * mask of 30000×30000 px. Each is named in the validation report (or refuses the import when it is
 * the label CSV), the source folder is left untouched, and the cases that used to read forever or
 * decode gigabytes run in a child process that must finish within 20 s with a peak RSS under 1 GB.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import type { ValidationIssue } from '../../../src-shared/datasets';
import { bundleDriver } from '../../support/bundle-driver';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { makeStudy } from '../../support/studies';
import { writeFundusJpeg } from './fixtures';

const MB = 1024 * 1024;
const CHILD_TIMEOUT_MS = 20_000;

let driver: Awaited<ReturnType<typeof bundleDriver>>;
beforeAll(async () => {
  driver = await bundleDriver(path.join(import.meta.dirname, 'import-driver.ts'), 'import-driver');
});
afterAll(async () => driver?.remove());

/** Every entry under `dir` by lstat (links recorded by their target, never followed), with each regular file's bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const st = await fsp.lstat(full);
      if (st.isSymbolicLink()) out.set(full, `link ${await fsp.readlink(full)}`);
      else if (st.isDirectory()) {
        out.set(full, `dir ${st.mtimeMs}`);
        await walk(full);
      } else if (st.isFile()) out.set(full, `${st.size} ${st.mtimeMs} ${(await fsp.readFile(full)).toString('base64')}`);
      else out.set(full, `special ${st.mode} ${st.mtimeMs}`);
    }
  };
  await walk(dir);
  return out;
}

/** An EyePACS layout with one good image, 1_left, and the label rows for `ids`. */
async function eyepacs(name: string, ids: string[]): Promise<string> {
  const src = await tempDir(name);
  await writeFundusJpeg(path.join(src, 'train', '1_left.jpeg'), 300, 200, { seed: 1 });
  await fsp.writeFile(path.join(src, 'trainLabels.csv'), ['image,level', '1_left,0', ...ids.map((id) => `${id},1`)].join('\n') + '\n');
  return src;
}

/** A 1-bit CCITT G4 TIFF of w×h px in which every row repeats the one above (one bit per row): about h/8 bytes. */
function g4Tiff(width: number, height: number): Buffer {
  const data = Buffer.concat([Buffer.alloc(Math.ceil(height / 8), 0xff), Buffer.from([0x00, 0x10, 0x01])]);
  const tags: [number, number, number][] = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 1],
    [259, 3, 4], // CCITT T.6 (Group 4)
    [262, 3, 0],
    [273, 4, 0], // strip offset, set below
    [277, 3, 1],
    [278, 4, height],
    [279, 4, data.length],
  ];
  const ifd = Buffer.alloc(2 + tags.length * 12 + 4);
  ifd.writeUInt16LE(tags.length, 0);
  tags.forEach(([tag, type, value], i) => {
    const o = 2 + i * 12;
    ifd.writeUInt16LE(tag, o);
    ifd.writeUInt16LE(type, o + 2);
    ifd.writeUInt32LE(1, o + 4);
    const v = tag === 273 ? 8 + ifd.length : value;
    if (type === 3) ifd.writeUInt16LE(v, o + 8);
    else ifd.writeUInt32LE(v, o + 8);
  });
  return Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), ifd, data]);
}

/** An IDRiD segmentation layout: IDRiD_01 with `mask` as its microaneurysm mask, IDRiD_02 without masks. */
async function idridSeg(name: string, mask: Buffer): Promise<{ src: string; maskRel: string }> {
  const src = await tempDir(name);
  const seg = path.join(src, 'A. Segmentation');
  const images = path.join(seg, '1. Original Images', 'a. Training Set');
  await writeFundusJpeg(path.join(images, 'IDRiD_01.jpg'), 300, 200, { seed: 1 });
  await writeFundusJpeg(path.join(images, 'IDRiD_02.jpg'), 300, 200, { seed: 2 });
  const maskRel = 'A. Segmentation/2. All Segmentation Groundtruths/a. Training Set/1. Microaneurysms/IDRiD_01_MA.tif';
  await fsp.mkdir(path.dirname(path.join(src, maskRel)), { recursive: true });
  await fsp.writeFile(path.join(src, maskRel), mask);
  return { src, maskRel };
}

interface ChildOutcome {
  result?: { imported: number; issues: ValidationIssue[]; limits?: Record<string, number> };
  error?: { code: string; message: string };
  maxRssKb: number;
  seconds: number;
}

/** Runs the import in a child process, killed after CHILD_TIMEOUT_MS. */
async function importInChild(study: string, request: object): Promise<ChildOutcome> {
  const started = Date.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [driver.file, study, JSON.stringify(request)],
      { timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * MB },
      (error, out, err) =>
        error ? reject(new Error(`the import child failed or ran past ${CHILD_TIMEOUT_MS} ms: ${error.message} ${err}`)) : resolve(out),
    );
  });
  return { ...(JSON.parse(stdout.trim().split('\n').pop()!) as Omit<ChildOutcome, 'seconds'>), seconds: (Date.now() - started) / 1000 };
}

const issueOf = (issues: ValidationIssue[], file: string) => issues.find((i) => i.file === file);

describe('links that leave the dataset folder and files that are not regular files', () => {
  it('x.jpeg → /dev/zero is refused without being read: the child finishes in < 20 s under 1 GB', async () => {
    const src = await eyepacs('devzero', ['x']);
    await fsp.symlink('/dev/zero', path.join(src, 'train', 'x.jpeg'));
    const before = await snapshot(src);
    const out = await importInChild(await makeStudy(), { type: 'eyepacs', path: src, id: 'zero', preprocess: false });
    expect(out.seconds).toBeLessThan(20);
    expect(out.maxRssKb).toBeLessThan(1024 * 1024);
    expect(out.result?.imported).toBe(1);
    expect(issueOf(out.result!.issues, 'train/x.jpeg')).toEqual({
      kind: 'outside-folder',
      severity: 'error',
      file: 'train/x.jpeg',
      id: 'x',
      reason: 'a link to /dev/zero, outside the dataset folder: only files inside the folder are read',
    });
    expect(await snapshot(src)).toEqual(before);
  });

  it('links to /etc/passwd and to a JPEG outside the folder are named and left out; a link inside the folder is imported', async () => {
    const src = await eyepacs('outside', ['p', 'o', 'in']);
    const elsewhere = path.join(await tempDir('elsewhere'), 'other.jpeg');
    await writeFundusJpeg(elsewhere, 300, 200, { seed: 7 });
    await fsp.symlink('/etc/passwd', path.join(src, 'train', 'p.jpeg'));
    await fsp.symlink(elsewhere, path.join(src, 'train', 'o.jpeg'));
    await writeFundusJpeg(path.join(src, 'originals', 'in.jpeg'), 300, 200, { seed: 9 });
    await fsp.symlink(path.join('..', 'originals', 'in.jpeg'), path.join(src, 'train', 'in.jpeg'));
    const before = await snapshot(src);
    const study = await makeStudy();
    const r = await importDataset({ type: 'eyepacs', path: src, id: 'links', preprocess: false }, study, recordingContext());
    expect(r.imported).toBe(2);
    expect(r.report.issues.filter((i) => i.kind === 'outside-folder')).toEqual([
      {
        kind: 'outside-folder',
        severity: 'error',
        file: 'train/o.jpeg',
        id: 'o',
        reason: `a link to ${await fsp.realpath(elsewhere)}, outside the dataset folder: only files inside the folder are read`,
      },
      {
        kind: 'outside-folder',
        severity: 'error',
        file: 'train/p.jpeg',
        id: 'p',
        reason: 'a link to /etc/passwd, outside the dataset folder: only files inside the folder are read',
      },
    ]);
    expect(issueOf(r.report.issues, 'train/in.jpeg')).toBeUndefined();
    expect(await snapshot(src)).toEqual(before);
  });

  it('a FIFO, a folder and a link to a folder named like images are skipped as not regular files, without blocking', async () => {
    const src = await eyepacs('fifo', ['f', 'd', 'l']);
    execFileSync('mkfifo', [path.join(src, 'train', 'f.jpeg')]);
    await fsp.mkdir(path.join(src, 'train', 'd.jpeg'));
    await fsp.mkdir(path.join(src, 'somewhere'));
    await fsp.symlink(path.join(src, 'somewhere'), path.join(src, 'train', 'l.jpeg'));
    const before = await snapshot(src);
    const r = await importDataset({ type: 'eyepacs', path: src, id: 'fifo', preprocess: false }, await makeStudy(), recordingContext());
    expect(r.imported).toBe(1);
    expect(issueOf(r.report.issues, 'train/f.jpeg')).toMatchObject({
      kind: 'not-a-regular-file',
      reason: 'a FIFO (named pipe), not a regular file: it is not read',
    });
    expect(issueOf(r.report.issues, 'train/l.jpeg')).toMatchObject({
      kind: 'not-a-regular-file',
      reason: 'a folder, not a regular file: it is not read',
    });
    expect(issueOf(r.report.issues, 'train/d.jpeg')).toMatchObject({
      kind: 'not-a-regular-file',
      reason: 'a folder, not a regular file: it is not read',
    });
    expect(await snapshot(src)).toEqual(before);
  }, 20_000);
});

describe('size limits per file, checked before reading and stated in the report', () => {
  it('the report states the limits; an image above maxImageBytes is named with its size and the limit', async () => {
    const src = await eyepacs('big-image', ['2_left']);
    await writeFundusJpeg(path.join(src, 'train', '2_left.jpeg'), 600, 400, { seed: 2, quality: 100 });
    const size = (await fsp.stat(path.join(src, 'train', '2_left.jpeg'))).size;
    const small = (await fsp.stat(path.join(src, 'train', '1_left.jpeg'))).size;
    expect(size).toBeGreaterThan(small);
    const limit = small + 1;
    const r = await importDataset(
      { type: 'eyepacs', path: src, id: 'big', preprocess: false, limits: { maxImageBytes: limit } },
      await makeStudy(),
      recordingContext(),
    );
    expect(r.imported).toBe(1);
    expect(issueOf(r.report.issues, 'train/2_left.jpeg')).toMatchObject({
      kind: 'too-large',
      reason: `${(size / MB).toFixed(1)} MB (${size} bytes): above the limit of ${(limit / MB).toFixed(1)} MB (${limit} bytes) per image; it is not read`,
    });
    expect(r.report.limits).toEqual({ maxImageBytes: limit, maxMaskBytes: 64 * MB, maxCsvBytes: 10 * MB, maxSide: 10000 });
    expect(r.report.notes.at(-1)).toMatch(
      /^Files read: regular files inside the dataset folder only .* at most 0\.0 MB per image, 64\.0 MB per mask and 10\.0 MB per label CSV; images and masks at most 10000 px per side/,
    );
  });

  it('a mask above maxMaskBytes leaves its image out, naming the mask, its size and the limit', async () => {
    const { src, maskRel } = await idridSeg('big-mask', g4Tiff(300, 200));
    const size = (await fsp.stat(path.join(src, maskRel))).size;
    const r = await importDataset(
      { type: 'idrid-seg', path: src, id: 'seg', preprocess: false, limits: { maxMaskBytes: 10 } },
      await makeStudy(),
      recordingContext(),
    );
    expect(r.imported).toBe(1);
    expect(issueOf(r.report.issues, maskRel)).toMatchObject({
      kind: 'too-large',
      id: 'IDRiD_01',
      reason: `MA mask: 0.0 MB (${size} bytes): above the limit of 0.0 MB (10 bytes) per mask; it is not read`,
    });
  });

  it('a label CSV that is a link to /dev/zero or /etc/passwd, or above 10 MB, refuses the import naming the file', async () => {
    const src = await tempDir('csv-src');
    await writeFundusJpeg(path.join(src, 'a.jpg'), 300, 200, { seed: 1 });
    const dir = await tempDir('csv-links');
    const study = await makeStudy();
    const run = (csv: string) =>
      importDataset(
        { type: 'folder', path: src, csv, imageColumn: 'file', gradeColumn: 'grade', preprocess: false },
        study,
        recordingContext(),
      );
    const zero = path.join(dir, 'zero.csv');
    await fsp.symlink('/dev/zero', zero);
    await expect(run(zero)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${zero} is a device, not a CSV file: only regular files are read.`,
    });
    const passwd = path.join(dir, 'passwd.csv');
    await fsp.symlink('/etc/passwd', passwd);
    await expect(run(passwd)).rejects.toMatchObject({
      message: `${passwd} leads to /etc/passwd, which is not a label file (.csv, .tsv, .txt).`,
    });
    const big = path.join(dir, 'big.csv');
    await fsp.writeFile(big, 'file,grade\n' + 'a.jpg,1\n'.repeat(1_400_000));
    const size = (await fsp.stat(big)).size;
    await expect(run(big)).rejects.toMatchObject({
      message: `${big} is ${(size / MB).toFixed(1)} MB (${size} bytes): too large for a label CSV (at most 10 MB, ${10 * MB} bytes).`,
    });
    expect(await fsp.readdir(path.join(study, 'datasets'))).toEqual([]);
  });
});

describe('TIFF masks are size-checked from their header before decoding', () => {
  it('a 30000×30000 1-bit TIFF mask is refused quickly, naming the file and its size; the child stays under 1 GB', async () => {
    const bomb = g4Tiff(30000, 30000);
    expect(bomb.length).toBeLessThan(25 * 1024);
    const { src, maskRel } = await idridSeg('tiff-bomb', bomb);
    const before = await snapshot(src);
    const out = await importInChild(await makeStudy(), { type: 'idrid-seg', path: src, id: 'bomb', preprocess: false });
    expect(out.seconds).toBeLessThan(20);
    expect(out.maxRssKb).toBeLessThan(1024 * 1024);
    expect(out.result?.imported).toBe(1);
    expect(issueOf(out.result!.issues, maskRel)).toEqual({
      kind: 'implausible-size',
      severity: 'error',
      file: maskRel,
      id: 'IDRiD_01',
      reason: 'MA mask: 30000x30000 px (from the header, not decoded): a side is above 10000 px; the image is left out',
    });
    expect(await snapshot(src)).toEqual(before);
  });
});
