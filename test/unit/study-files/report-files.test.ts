/**
 * A report's PDF and assets folder are swapped in together (issue 23, case 8): a process killed
 * with SIGKILL at any step of rewriting a report never leaves a PDF beside assets of another
 * version, and the next report to the same file puts the earlier pair back where it has to and
 * removes every temporary file a killed report left (its half-written assets folder and PDF, and
 * the `.tmp` files of the earlier writer). `buildReport` itself cleans up the same way.
 */
import { fork } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../../src-main/report/report';
import { recoverReportFiles, writeReportFiles } from '../../../src-main/report/write-files';
import { reportFilesLayout } from '../../../src-main/services/study-folder/layout';
import { bundleDriver } from '../../support/bundle-driver';
import { REPO_ROOT, tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { makeStudy } from '../../support/studies';

let driver: Awaited<ReturnType<typeof bundleDriver>>;

beforeAll(async () => {
  driver = await bundleDriver(path.join(import.meta.dirname, 'report-files-driver.ts'), 'report-files-driver');
}, 60_000);
afterAll(async () => driver?.remove());

async function writeVersion(pdf: string, version: number): Promise<void> {
  await writeReportFiles(pdf, {
    pdf: Buffer.from(`%PDF-${version}`),
    fillAssets: async (dir) => {
      await fsp.mkdir(path.join(dir, 'tables'));
      await fsp.writeFile(path.join(dir, 'tables', 'a.csv'), `a${version}`);
      await fsp.mkdir(path.join(dir, 'figures'));
      await fsp.writeFile(path.join(dir, 'figures', 'b.svg'), `b${version}`);
    },
  });
}

/** Runs the driver and waits until the process is gone; true when it was killed. */
function runDriver(pdf: string, version: number, step: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = fork(driver.file, [pdf, String(version), step], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve(true) : code === 0 ? resolve(false) : reject(new Error(`driver exited ${code}: ${stderr}`)),
    );
  });
}

/** The version of the visible PDF (null without one), after checking its assets folder holds every file of that same version. */
async function visibleReport(pdf: string): Promise<number | null> {
  if (!existsSync(pdf)) return null;
  const version = Number((await fsp.readFile(pdf, 'latin1')).slice('%PDF-'.length));
  const assets = reportFilesLayout(pdf).assets;
  expect(await fsp.readFile(path.join(assets, 'tables', 'a.csv'), 'utf8')).toBe(`a${version}`);
  expect(await fsp.readFile(path.join(assets, 'figures', 'b.svg'), 'utf8')).toBe(`b${version}`);
  return version;
}

/** The folder's entries: only the PDF and its assets folder once a write has finished. */
async function entries(pdf: string): Promise<string[]> {
  return (await fsp.readdir(path.dirname(pdf))).sort();
}

describe('writeReportFiles under SIGKILL', () => {
  // Where the process dies → the report a reader sees right after (null: no PDF, the earlier pair waits at its hidden names).
  const cases: [string, number | null][] = [
    ['fill', 1], // half the new assets written
    ['written', 1], // new PDF and assets complete beside the old ones
    ['moved-old-aside', null],
    ['assets-in', null], // the new assets in place, the new PDF not yet: no PDF shows
    ['pdf-in', 2], // committed, the earlier pair not yet removed
  ];
  it.each(cases)('killed after %s: the reader sees version %s, never a mix; the next report cleans up', async (step, seen) => {
    const pdf = path.join(await tempDir('report-kill'), 'report.pdf');
    await writeVersion(pdf, 1);
    expect(await runDriver(pdf, 2, step)).toBe(true);
    expect(await visibleReport(pdf)).toBe(seen);
    if (step !== 'pdf-in') expect(await entries(pdf)).not.toEqual(['report-assets', 'report.pdf']); // something was left to clean up
    // Recovery alone restores a complete pair: the earlier one before the commit, the new one after it.
    await recoverReportFiles(reportFilesLayout(pdf));
    expect(await visibleReport(pdf)).toBe(step === 'pdf-in' ? 2 : 1);
    expect(await entries(pdf)).toEqual(['report-assets', 'report.pdf']);
    await writeVersion(pdf, 3);
    expect(await visibleReport(pdf)).toBe(3);
    expect(await entries(pdf)).toEqual(['report-assets', 'report.pdf']);
  });

  it('the next write alone (without a separate recovery) cleans what a kill left and writes the new report', async () => {
    const pdf = path.join(await tempDir('report-kill'), 'report.pdf');
    await writeVersion(pdf, 1);
    expect(await runDriver(pdf, 2, 'assets-in')).toBe(true);
    await writeVersion(pdf, 3);
    expect(await visibleReport(pdf)).toBe(3);
    expect(await entries(pdf)).toEqual(['report-assets', 'report.pdf']);
  });
});

describe('buildReport', () => {
  it('removes the temporary files a killed report left beside the PDF and writes the PDF and assets together', async () => {
    const study = await makeStudy();
    const out = path.join(study, 'reports', 'report.pdf');
    await buildReport(study, { out, date: new Date('2026-01-02T03:04:05Z') }, recordingContext());
    // What a report killed while writing leaves: the earlier writer's .tmp PDF, a half-written assets folder and a temporary PDF.
    const files = reportFilesLayout(out);
    const orphans = [
      path.join(path.dirname(out), '.report.pdf.4242.0123abcd.tmp'),
      `${files.tempAssetsPrefix}abc123`,
      `${files.tempPdfPrefix}def456`,
    ];
    await fsp.writeFile(orphans[0]!, '%PDF-half');
    await fsp.mkdir(path.join(orphans[1]!, 'tables'), { recursive: true });
    await fsp.writeFile(path.join(orphans[1]!, 'tables', 'half.csv'), 'x');
    await fsp.mkdir(orphans[2]!);
    const result = await buildReport(study, { out, date: new Date('2026-01-02T03:04:05Z') }, recordingContext());
    expect(await entries(out)).toEqual(['report-assets', 'report.pdf']);
    expect(result.assetsDir).toBe(files.assets);
    expect((await fsp.readFile(out)).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
