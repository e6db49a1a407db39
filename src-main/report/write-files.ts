/**
 * Writing a report's PDF and its assets folder as one: both are written beside their places under
 * hidden temporary names and flushed, then swapped in by renames, the PDF last. The PDF's presence
 * means the report is complete, so an earlier PDF is moved aside before its assets are replaced:
 *
 *   1. the earlier PDF and assets folder are renamed to hidden `.previous` names;
 *   2. the new assets folder, then the new PDF, are renamed into place (the PDF's rename commits);
 *   3. the `.previous` pair is removed.
 *
 * A crash before step 1 leaves the earlier report whole; one inside steps 1–2 leaves no PDF and the
 * earlier pair at its `.previous` names, which the next write to the same PDF puts back before it
 * starts; one after step 2 leaves the new report whole. The next write also removes temporary files
 * a killed writer left (its PDF and assets folders, and writeFileAtomic's `.tmp` files).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { isTempFileOf, syncDir, syncTree } from '../fs/atomic';
import { fsWriteError } from '../fs/errors';
import { reportFilesLayout, type ReportFilesLayout } from '../services/study-folder/layout';

/** The steps of writeReportFiles after which a test may kill the process. */
export type ReportWriteStep = 'written' | 'moved-old-aside' | 'assets-in' | 'pdf-in';

export interface ReportFilesContent {
  pdf: Uint8Array;
  /** Fills the (empty) temporary assets folder. */
  fillAssets(dir: string): Promise<void>;
}

/** Writes the PDF `out` and its assets folder together (see the module comment). */
export async function writeReportFiles(
  out: string,
  content: ReportFilesContent,
  afterStep?: (step: ReportWriteStep) => Promise<void> | void,
): Promise<void> {
  const files = reportFilesLayout(out);
  const dir = path.dirname(out);
  let tmpAssets: string;
  let tmpPdf: string;
  try {
    await fsp.mkdir(dir, { recursive: true });
    await recoverReportFiles(files);
    tmpAssets = await fsp.mkdtemp(files.tempAssetsPrefix);
    tmpPdf = await fsp.mkdtemp(files.tempPdfPrefix);
  } catch (error) {
    throw fsWriteError(error, out);
  }
  const tmpPdfFile = path.join(tmpPdf, path.basename(out));
  let moved = false;
  try {
    await content.fillAssets(tmpAssets);
    await syncTree(tmpAssets);
    await fsp.writeFile(tmpPdfFile, content.pdf, { flag: 'wx' });
    await syncTree(tmpPdf);
    await afterStep?.('written');
    if (existsSync(files.pdf)) await fsp.rename(files.pdf, files.previousPdf);
    if (existsSync(files.assets)) await fsp.rename(files.assets, files.previousAssets);
    moved = true;
    await syncDir(dir);
    await afterStep?.('moved-old-aside');
    await fsp.rename(tmpAssets, files.assets);
    await afterStep?.('assets-in');
    await fsp.rename(tmpPdfFile, files.pdf);
    await syncDir(dir);
    await afterStep?.('pdf-in');
  } catch (error) {
    if (moved && !existsSync(files.pdf)) await recoverReportFiles(files).catch(() => {});
    await fsp.rm(tmpAssets, { recursive: true, force: true }).catch(() => {});
    await fsp.rm(tmpPdf, { recursive: true, force: true }).catch(() => {});
    throw fsWriteError(error, out);
  }
  await fsp.rm(tmpPdf, { recursive: true, force: true });
  await fsp.rm(files.previousPdf, { force: true });
  await fsp.rm(files.previousAssets, { recursive: true, force: true });
  await syncDir(dir);
}

/**
 * Finishes what a killed writer left beside `files.pdf`: without the PDF, the earlier pair at its
 * `.previous` names is put back (an assets folder already swapped in is removed first); with it, the
 * new report is complete and the `.previous` pair is removed. Temporary files are removed either way.
 */
export async function recoverReportFiles(files: ReportFilesLayout): Promise<void> {
  const hasPrevious = existsSync(files.previousPdf) || existsSync(files.previousAssets);
  if (hasPrevious && !existsSync(files.pdf)) {
    if (existsSync(files.previousAssets)) {
      await fsp.rm(files.assets, { recursive: true, force: true });
      await fsp.rename(files.previousAssets, files.assets);
    }
    if (existsSync(files.previousPdf)) await fsp.rename(files.previousPdf, files.pdf);
  }
  await fsp.rm(files.previousPdf, { force: true });
  await fsp.rm(files.previousAssets, { recursive: true, force: true });
  const dir = path.dirname(files.pdf);
  const tempPrefixes = [files.tempPdfPrefix, files.tempAssetsPrefix].map((p) => path.basename(p));
  for (const entry of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (tempPrefixes.some((p) => entry.startsWith(p)) || isTempFileOf(files.pdf, entry))
      await fsp.rm(path.join(dir, entry), { recursive: true, force: true });
  }
  await syncDir(dir);
}
