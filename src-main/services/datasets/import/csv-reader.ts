/**
 * The label CSV reader of the importers and of the CSV preview: RFC 4180 (quoted fields with
 * embedded delimiters, line breaks and doubled quotes; CRLF or LF; a UTF-8 BOM), `;` or tab
 * delimiters sniffed from the header (label files exported by spreadsheets), and trailing empty
 * columns (IDRiD's CSVs have them). A malformed row is never merged into another: the reader stops
 * with an error that names its line (an unterminated quote, text after a closing quote, a quote
 * inside an unquoted field, a row with more fields than the header). A row with fewer fields than
 * the header is read with its missing trailing fields empty (spreadsheets drop trailing empty cells).
 *
 * Files are read only when they look like label files: `.csv`, `.tsv` or `.txt`, at most
 * MAX_LABEL_FILE_BYTES, text (no NUL byte, valid UTF-8), so a path to any other file (a key, a
 * binary) is refused without its content appearing in an answer.
 */
import { constants as fsConstants, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../../src-shared/errors';
import type { CsvTable } from '../csv';

/** Label files are small (EyePACS' 35,126 rows are under 1 MB); anything larger is not one. */
export const MAX_LABEL_FILE_BYTES = 10 * 1024 * 1024;
export const LABEL_FILE_EXTENSIONS = ['.csv', '.tsv', '.txt'] as const;
/** Malformed lines named in one error (the rest are counted). */
const MAX_NAMED_PROBLEMS = 5;

/** A CSV that does not follow the format: BAD_REQUEST naming each malformed line under `field`. */
export class CsvFormatError extends AppError {
  constructor(
    readonly file: string,
    readonly problems: { line: number; reason: string }[],
    field: string,
  ) {
    const named = problems.slice(0, MAX_NAMED_PROBLEMS).map((p) => `line ${p.line}: ${p.reason}`);
    const more = problems.length > MAX_NAMED_PROBLEMS ? `; and ${problems.length - MAX_NAMED_PROBLEMS} more malformed line(s)` : '';
    super('BAD_REQUEST', `${file} is not a well-formed CSV file (RFC 4180): ${named.join('; ')}${more}.`, [
      { path: field, message: `malformed CSV (line ${problems[0]?.line ?? 1})` },
    ]);
    this.name = 'CsvFormatError';
  }
}

/**
 * Parses a label CSV. Blank rows are skipped; header names and cells are trimmed; a header's
 * trailing empty columns are dropped, and a row may have extra trailing fields only when they are
 * empty (missing trailing fields are absent from `cells`: read them as empty). Throws CsvFormatError
 * (`name` is the file as shown in the message, `field` the request field).
 */
export function parseLabelCsv(text: string, name: string, field = 'csv'): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delimiter = sniffDelimiter(text.slice(0, text.search(/\r\n|\n|\r|$/)));
  const problems: { line: number; reason: string }[] = [];
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let field_ = '';
  /** The current field: `plain` (unquoted), `quoted` (inside quotes), `closed` (after its closing quote). */
  let state: 'plain' | 'quoted' | 'closed' = 'plain';
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let bad: string | null = null; // the first problem of the current record
  const endRecord = () => {
    cells.push(field_);
    if (bad) problems.push({ line: recordLine, reason: bad });
    else records.push({ line: recordLine, cells });
    cells = [];
    field_ = '';
    state = 'plain';
    bad = null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (state === 'quoted') {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field_ += '"';
          i++;
        } else state = 'closed';
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field_ += c;
      }
      continue;
    }
    if (c === delimiter) {
      cells.push(field_);
      field_ = '';
      state = 'plain';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else if (state === 'closed') {
      if (!/\s/.test(c)) bad ??= `text after the closing quote of field ${cells.length + 1}`;
    } else if (c === '"') {
      if (field_.trim() === '') {
        state = 'quoted';
        quoteLine = line;
        field_ = '';
      } else bad ??= `a quote inside the unquoted field ${cells.length + 1} (quote the whole field and double the quote)`;
    } else field_ += c;
  }
  if (state === 'quoted') {
    problems.push({ line: quoteLine, reason: `field ${cells.length + 1} opens a quote that is never closed` });
  } else if (field_ !== '' || cells.length > 0 || bad) endRecord();

  const nonBlank = records.filter((r) => r.cells.some((cell) => cell.trim() !== ''));
  const [head, ...rows] = nonBlank;
  const header = (head?.cells ?? []).map((h) => h.trim());
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  const width = header.length;
  for (const r of rows) {
    if (r.cells.slice(width).some((cell) => cell.trim() !== ''))
      problems.push({ line: r.line, reason: `${r.cells.length} fields, the header has ${width} (is a field with a comma not quoted?)` });
  }
  if (problems.length > 0)
    throw new CsvFormatError(
      name,
      problems.sort((a, b) => a.line - b.line),
      field,
    );
  return { header, rows: rows.map((r) => ({ line: r.line, cells: r.cells.map((cell) => cell.trim()) })) };
}

function sniffDelimiter(headerLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, headerLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

/** How many leading bytes are checked for binary content (NUL bytes, invalid UTF-8). */
const SNIFF_BYTES = 64 * 1024;

/** What a path that is not a regular file is, for the error that names it. */
function notAFile(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The text of a label file at the absolute path `file`, checked before any of it is parsed: a regular
 * file named .csv/.tsv/.txt, at most MAX_LABEL_FILE_BYTES, text; with `opts.root` (a label file the
 * importer found in the dataset folder), its real path must lie inside that folder. Errors name
 * `field` and say what was expected; they never quote the file's content.
 */
export async function readLabelFileText(file: string, field: string, opts: { root?: string } = {}): Promise<string> {
  const ext = path.extname(file).toLowerCase();
  if (!(LABEL_FILE_EXTENSIONS as readonly string[]).includes(ext))
    throw new AppError('BAD_REQUEST', `${file} is not a label file: expected a file ending in ${LABEL_FILE_EXTENSIONS.join(', ')}.`, [
      { path: field, message: `expected a ${LABEL_FILE_EXTENSIONS.join('/')} file` },
    ]);
  const stat = await fsp.stat(file).catch(() => null);
  if (!stat) throw new AppError('NOT_FOUND', `There is no file ${file}.`, [{ path: field, message: 'no such file' }]);
  if (!stat.isFile())
    throw new AppError('BAD_REQUEST', `${file} is ${notAFile(stat)}, not a CSV file: only regular files are read.`, [
      { path: field, message: 'not a regular file' },
    ]);
  // A link named labels.csv that leads to another kind of file is that file.
  const real = await fsp.realpath(file).catch(() => file);
  if (!(LABEL_FILE_EXTENSIONS as readonly string[]).includes(path.extname(real).toLowerCase()))
    throw new AppError('BAD_REQUEST', `${file} leads to ${real}, which is not a label file (${LABEL_FILE_EXTENSIONS.join(', ')}).`, [
      { path: field, message: `expected a ${LABEL_FILE_EXTENSIONS.join('/')} file` },
    ]);
  if (opts.root !== undefined) {
    const realRoot = await fsp.realpath(opts.root).catch(() => opts.root!);
    const r = path.relative(realRoot, real);
    if (r === '' || r.startsWith('..') || path.isAbsolute(r))
      throw new AppError(
        'BAD_REQUEST',
        `${file} leads to ${real}, outside the dataset folder ${opts.root}: only files inside the folder are read.`,
        [{ path: field, message: 'a link out of the dataset folder' }],
      );
  }
  const tooLarge = (size: number) =>
    new AppError(
      'BAD_REQUEST',
      `${file} is ${(size / 1024 / 1024).toFixed(1)} MB (${size} bytes): too large for a label CSV (at most ${MAX_LABEL_FILE_BYTES / 1024 / 1024} MB, ${MAX_LABEL_FILE_BYTES} bytes).`,
      [{ path: field, message: 'file too large' }],
    );
  if (stat.size > MAX_LABEL_FILE_BYTES) throw tooLarge(stat.size);
  let bytes: Buffer;
  try {
    // Non-blocking, and checked again on the open handle: a FIFO swapped in after the check cannot stall the read.
    const handle = await fsp.open(real, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
    try {
      const opened = await handle.stat();
      if (!opened.isFile())
        throw new AppError('BAD_REQUEST', `${file} is ${notAFile(opened)}, not a CSV file: only regular files are read.`, [
          { path: field, message: 'not a regular file' },
        ]);
      if (opened.size > MAX_LABEL_FILE_BYTES) throw tooLarge(opened.size);
      const buf = Buffer.alloc(MAX_LABEL_FILE_BYTES + 1);
      let length = 0;
      while (length < buf.length) {
        const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      bytes = buf.subarray(0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('NOT_FOUND', `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, [
      { path: field, message: 'cannot read the file' },
    ]);
  }
  if (bytes.length > MAX_LABEL_FILE_BYTES)
    throw new AppError('BAD_REQUEST', `${file} grew beyond ${MAX_LABEL_FILE_BYTES} bytes while it was read.`);
  if (isBinary(bytes.subarray(0, SNIFF_BYTES)))
    throw new AppError('BAD_REQUEST', `${file} is not a text file (binary content): a label CSV is UTF-8 text.`, [
      { path: field, message: 'not a CSV (binary content)' },
    ]);
  return bytes.toString('utf8');
}

/** NUL bytes, or bytes that are not UTF-8 (a sequence cut at the end of the sample is fine). */
export function isBinary(sample: Buffer): boolean {
  if (sample.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return false;
  } catch {
    return true;
  }
}

/** Reads and parses a label file (readLabelFileText + parseLabelCsv). */
export async function readLabelCsv(file: string, field = 'csv', opts: { root?: string } = {}): Promise<CsvTable> {
  return parseLabelCsv(await readLabelFileText(file, field, opts), file, field);
}
