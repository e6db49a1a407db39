/**
 * The study's PDF reports (reports/report-<time>.pdf, figures and tables in <name>-assets/) for the
 * app: listing, download as a data URL, and what the operating system may open.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { ReportFileName, type ReportFileInfo } from '../../src-shared/contract';
import { AppError } from '../../src-shared/errors';
import { reportAssetsDir, studyLayout } from '../services/study-folder/layout';
import { insideFolder } from '../services/study-folder/result-folder';

/** The PDF files directly under <study>/reports/, newest first (then by name). */
export async function listReports(studyPath: string): Promise<ReportFileInfo[]> {
  const dir = studyLayout(studyPath).folder('reports');
  if (!existsSync(dir)) return [];
  const out: ReportFileInfo[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !ReportFileName.safeParse(entry.name).success) continue;
    const file = path.join(dir, entry.name);
    const stat = await fsp.stat(file);
    const assets = reportAssetsDir(file);
    out.push({
      file: entry.name,
      path: file,
      bytes: stat.size,
      modified: stat.mtime.toISOString(),
      assetsDir: existsSync(assets) ? assets : null,
    });
  }
  return out.sort((a, b) => b.modified.localeCompare(a.modified) || a.file.localeCompare(b.file));
}

/** reports/<file> as a data URL, for a browser download; the name is a plain .pdf file name of that folder. */
export async function reportFile(studyPath: string, file: string): Promise<{ dataUrl: string; fileName: string }> {
  if (!ReportFileName.safeParse(file).success)
    throw new AppError('BAD_REQUEST', `Invalid report file name "${file}": expected a .pdf file name inside reports/.`, [
      { path: 'file', message: 'invalid' },
    ]);
  const dir = studyLayout(studyPath).folder('reports');
  const target = insideFolder(dir, file, 'file');
  let data: Buffer;
  try {
    data = await fsp.readFile(target);
  } catch {
    throw new AppError('NOT_FOUND', `There is no report "${file}" in ${dir}.`, [{ path: 'file', message: 'no such report' }]);
  }
  if (data.subarray(0, 5).toString('latin1') !== '%PDF-') throw new AppError('STUDY_CORRUPT', `${target} is not a PDF file.`);
  return { dataUrl: `data:application/pdf;base64,${data.toString('base64')}`, fileName: file };
}

/**
 * What `shell.openPath` may open: an existing PDF file or an existing folder (a report and its
 * assets). Anything else — executables, scripts, documents with macros — is refused, so a renderer
 * can never make the operating system run a program.
 */
export async function checkOpenablePath(target: string): Promise<string> {
  const resolved = path.resolve(target);
  let stat;
  try {
    stat = await fsp.stat(resolved);
  } catch {
    throw new AppError('NOT_FOUND', `${resolved} does not exist.`, [{ path: 'path', message: 'no such file or folder' }]);
  }
  if (stat.isDirectory()) return resolved;
  if (stat.isFile() && /\.pdf$/i.test(resolved)) return resolved;
  throw new AppError('BAD_REQUEST', `FundusLab only opens PDF reports and folders with the operating system; ${resolved} is neither.`, [
    { path: 'path', message: 'not a PDF file or a folder' },
  ]);
}
