/**
 * The first rows of a label CSV, for the column mapping of the `folder` importer. Parsed with the
 * importer's own CSV reader, so the columns offered are exactly the ones it will look up.
 */
import path from 'node:path';
import { AppError } from '../../../../src-shared/errors';
import { MAX_LABEL_FILE_BYTES, parseLabelCsv, readLabelFileText } from '../import/csv-reader';

export const PREVIEW_ROWS = 10;
/** Label files are small; anything larger is not a label CSV. */
export const MAX_CSV_BYTES = MAX_LABEL_FILE_BYTES;

export interface CsvPreview {
  columns: string[];
  rows: string[][];
  rowCount: number;
}

/**
 * The preview of the label file at `file`: only a .csv/.tsv/.txt text file of at most 10 MB is read
 * (any other path, e.g. a system file, is refused before its content is looked at).
 */
export async function csvPreview(file: string): Promise<CsvPreview> {
  const abs = path.resolve(file);
  const table = parseLabelCsv(await readLabelFileText(abs, 'path'), abs, 'path');
  if (table.header.length === 0)
    throw new AppError('BAD_REQUEST', `${abs} is empty: a label CSV needs a header row.`, [{ path: 'path', message: 'empty CSV' }]);
  const width = table.header.length;
  const rows = table.rows.slice(0, PREVIEW_ROWS).map((r) => Array.from({ length: width }, (_, i) => r.cells[i] ?? ''));
  return { columns: table.header, rows, rowCount: table.rows.length };
}
