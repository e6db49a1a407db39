/**
 * The first rows of a label CSV, for the column mapping of the `folder` importer. Parsed with the
 * importer's own CSV reader, so the columns offered are exactly the ones it will look up.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../../src-shared/errors';
import { parseCsv } from '../csv';

export const PREVIEW_ROWS = 10;
/** Label files are small; anything larger is not a label CSV. */
export const MAX_CSV_BYTES = 64 * 1024 * 1024;

export interface CsvPreview {
  columns: string[];
  rows: string[][];
  rowCount: number;
}

export async function csvPreview(file: string): Promise<CsvPreview> {
  const abs = path.resolve(file);
  const stat = await fsp.stat(abs).catch(() => null);
  if (!stat) throw new AppError('NOT_FOUND', `There is no file ${abs}.`, [{ path: 'path', message: 'no such file' }]);
  if (!stat.isFile()) throw new AppError('BAD_REQUEST', `${abs} is a folder, not a CSV file.`, [{ path: 'path', message: 'not a file' }]);
  if (stat.size > MAX_CSV_BYTES)
    throw new AppError('BAD_REQUEST', `${abs} is ${Math.round(stat.size / 1e6)} MB: too large for a label CSV.`, [
      { path: 'path', message: 'file too large' },
    ]);
  let text: string;
  try {
    text = await fsp.readFile(abs, 'utf8');
  } catch (error) {
    throw new AppError('NOT_FOUND', `Cannot read ${abs} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, [
      { path: 'path', message: 'cannot read the file' },
    ]);
  }
  if (text.includes('\u0000'))
    throw new AppError('BAD_REQUEST', `${abs} is not a text file.`, [{ path: 'path', message: 'not a CSV (binary content)' }]);
  const table = parseCsv(text);
  if (table.header.length === 0)
    throw new AppError('BAD_REQUEST', `${abs} is empty: a label CSV needs a header row.`, [{ path: 'path', message: 'empty CSV' }]);
  const width = table.header.length;
  const rows = table.rows.slice(0, PREVIEW_ROWS).map((r) => Array.from({ length: width }, (_, i) => r.cells[i] ?? ''));
  return { columns: table.header, rows, rowCount: table.rows.length };
}
