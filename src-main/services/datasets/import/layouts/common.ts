/** What every layout scanner produces, and the helpers they share. Scanners only read the source folder. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Eye, Lesion, Split, ValidationIssue } from '../../../../../src-shared/datasets';
import type { CsvTable } from '../../csv';
import { readLabelCsv } from '../csv-reader';

/** An image the layout names, before it is decoded. */
export interface Candidate {
  id: string;
  patient: string;
  eye: Eye | null;
  grade: number | null;
  dme?: number | null;
  split: Split | null;
  /** Absolute path of the image. */
  file: string;
  /** Absolute paths of its lesion masks. */
  masks?: Partial<Record<Lesion, string>>;
}

export interface ScanResult {
  candidates: Candidate[];
  issues: ValidationIssue[];
  notes: string[];
  /** Distinct ids looked at (images and label rows), including the excluded ones. */
  seen: number;
}

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.tif', '.tiff', '.bmp', '.webp']);

export function isImageName(name: string): boolean {
  return !name.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

export function stem(file: string): string {
  const base = path.basename(file);
  const ext = path.extname(base);
  return ext ? base.slice(0, -ext.length) : base;
}

/** Path relative to `root` with forward slashes (the absolute path if outside). */
export function rel(root: string, file: string): string {
  const r = path.relative(root, file);
  return r.startsWith('..') || path.isAbsolute(r) ? file : r.split(path.sep).join('/');
}

/**
 * Entries named like images under `dir` (recursive, sorted, hidden ones skipped), whatever they are: the
 * import reads only the regular files among them and names the others; [] if `dir` does not exist.
 */
export async function listImages(dir: string, recursive = true): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(d, e.name);
      // Anything named like an image is listed, so the import names what it is (a folder, a FIFO, a link out of the folder).
      if (isImageName(e.name)) out.push(full);
      else if (e.isDirectory() && recursive) await walk(full);
    }
  };
  await walk(dir);
  return out.sort();
}

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Sub-folder of `dir` whose name matches `pattern` (case-insensitive), or null. */
export async function findSubdir(dir: string, pattern: RegExp): Promise<string | null> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  const hit = entries.filter((e) => e.isDirectory() && pattern.test(e.name)).sort((a, b) => a.name.localeCompare(b.name))[0];
  return hit ? path.join(dir, hit.name) : null;
}

export async function listCsvFiles(dir: string): Promise<string[]> {
  try {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.csv'))
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/**
 * A label CSV (csv-reader.ts: a .csv/.tsv/.txt text file of at most 10 MB, RFC 4180; malformed lines
 * named). With `root`, a CSV found in the dataset folder: its real path must stay inside `root`.
 */
export async function readCsv(file: string, root?: string): Promise<CsvTable> {
  return readLabelCsv(file, 'csv', root === undefined ? {} : { root });
}

/** A grade cell's column, as messages name it: 0-based index into the row and its header name. */
export interface GradeColumn {
  index: number;
  name: string;
}

/**
 * Parses a grade cell (ICDR 0-4, or 0-`max`): `null` for an empty cell; otherwise only a decimal
 * integer, with optional surrounding whitespace. Anything else is an error message that says what
 * was found and what was expected, naming `column` when given: a hexadecimal, octal or binary
 * literal (`0x2`), an exponent (`1e0`), a fraction (`2.0`, `1.5`), a sign (`+2`, `-1`: grades are
 * never negative), or any other text, so a cell is never read as a different number than it shows.
 */
export function parseGrade(raw: string | undefined, max = 4, column?: GradeColumn): { grade: number | null } | { error: string } {
  const s = (raw ?? '').trim();
  if (s === '') return { grade: null };
  const where = column ? `column ${column.index + 1} ('${column.name}'): ` : '';
  const expected = `expected a decimal integer 0-${max}`;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n > max) return { error: `${where}grade ${s} is outside 0-${max}` };
    return { grade: n };
  }
  const why = /^[+-]?0[xob]/i.test(s)
    ? 'is a hexadecimal, octal or binary number'
    : /^[+-]?(\d+\.?\d*|\.\d+)e[+-]?\d+$/i.test(s)
      ? 'has an exponent'
      : /^[+-]?(\d+\.\d*|\.\d+)$/.test(s)
        ? 'has a fraction (not an integer)'
        : /^[+-]\d+$/.test(s)
          ? 'has a sign (grades are never negative)'
          : 'is not a number';
  return { error: `${where}grade "${s}" ${why}; ${expected}` };
}

export interface LabelRow {
  grade: number | null;
  dme?: number | null;
  line: number;
  extra?: Record<string, string>;
}

/**
 * Collects label rows by id. A repeated id with the same grade is a warning (the first row is kept);
 * with a different grade the id is dropped altogether (which grade is right?).
 */
export class LabelTable {
  readonly rows = new Map<string, LabelRow>();
  private readonly conflicting = new Set<string>();
  constructor(
    private readonly csvName: string,
    private readonly issues: ValidationIssue[],
  ) {}

  add(id: string, row: LabelRow): void {
    const prev = this.rows.get(id);
    if (this.conflicting.has(id)) return;
    if (!prev) {
      this.rows.set(id, row);
      return;
    }
    if (prev.grade === row.grade) {
      this.issues.push({
        kind: 'duplicate-id',
        severity: 'warning',
        file: this.csvName,
        id,
        reason: `line ${row.line} repeats ${id} (same grade as line ${prev.line}); the first row is used`,
      });
    } else {
      this.conflicting.add(id);
      this.rows.delete(id);
      this.issues.push({
        kind: 'duplicate-id',
        severity: 'error',
        file: this.csvName,
        id,
        reason: `lines ${prev.line} and ${row.line} give ${id} different grades (${prev.grade ?? 'none'} and ${row.grade ?? 'none'}); the image is left out`,
      });
    }
  }

  isConflicting(id: string): boolean {
    return this.conflicting.has(id);
  }
}

/** Files keyed by id; a second file with the same id is reported and left out. */
export function indexById(files: string[], idOf: (file: string) => string, root: string, issues: ValidationIssue[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const f of files) {
    const id = idOf(f);
    const prev = map.get(id);
    if (prev) {
      issues.push({
        kind: 'duplicate-id',
        severity: 'error',
        file: rel(root, f),
        id,
        reason: `another file has the same id ${id} (${rel(root, prev)}); this one is left out`,
      });
    } else map.set(id, f);
  }
  return map;
}

export function missingColumns(table: CsvTable, required: readonly string[], has: (t: CsvTable, n: string) => boolean): string[] {
  return required.filter((c) => !has(table, c));
}
