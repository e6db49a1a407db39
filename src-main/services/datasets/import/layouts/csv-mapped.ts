/**
 * Layouts whose labels come from one CSV that names the images: Messidor-2 (adjudicated grades of
 * Krause et al. 2018) and a plain folder whose columns the user maps.
 */
import path from 'node:path';
import type { Split, ValidationIssue } from '../../../../../src-shared/datasets';
import { AppError } from '../../../../../src-shared/errors';
import { columnIndex, hasColumns, type CsvTable } from '../../csv';
import { LabelTable, listCsvFiles, listImages, parseGrade, readCsv, rel, type Candidate, type ScanResult } from './common';
import { ImageResolver, idOfFile } from './resolver';

const MESSIDOR_COLUMNS = ['image_id', 'adjudicated_dr_grade', 'adjudicated_dme', 'adjudicated_gradable'] as const;

export async function scanMessidor2(root: string, csvPath?: string): Promise<ScanResult> {
  let csvFile = csvPath;
  let table: CsvTable | undefined;
  if (csvFile) table = await readCsv(csvFile);
  else {
    for (const f of await listCsvFiles(root)) {
      const t = await readCsv(f, root);
      if (hasColumns(t, ['image_id', 'adjudicated_dr_grade'])) {
        csvFile = f;
        table = t;
        break;
      }
    }
  }
  if (!csvFile || !table) {
    throw new AppError('BAD_REQUEST', `No Messidor-2 grade CSV (columns ${MESSIDOR_COLUMNS.join(', ')}) in ${root}. Pass it with --csv.`, [
      { path: 'csv', message: 'no adjudicated-grade CSV found' },
    ]);
  }
  const missing = MESSIDOR_COLUMNS.filter((c) => columnIndex(table, c) < 0);
  if (missing.includes('image_id') || missing.includes('adjudicated_dr_grade')) {
    throw new AppError('BAD_REQUEST', `${csvFile} misses the column(s) ${missing.join(', ')} (has: ${table.header.join(', ')}).`, [
      { path: 'csv', message: `missing column ${missing.join(', ')}` },
    ]);
  }
  const issues: ValidationIssue[] = [];
  const name = rel(root, csvFile);
  if (missing.length > 0)
    issues.push({
      kind: 'bad-csv',
      severity: 'warning',
      file: name,
      reason: `missing column(s) ${missing.join(', ')}: ${missing.includes('adjudicated_gradable') ? 'gradability taken from the grade being present' : 'no DME grade recorded'}`,
    });
  const files = await listImages(root);
  const resolver = new ImageResolver(root, files);
  const ci = columnIndex(table, 'image_id');
  const cg = columnIndex(table, 'adjudicated_dr_grade');
  const cd = columnIndex(table, 'adjudicated_dme');
  const cq = columnIndex(table, 'adjudicated_gradable');
  const labels = new LabelTable(name, issues);
  const fileOf = new Map<string, string>();
  const seen = new Set<string>();
  for (const row of table.rows) {
    const r = resolveRowImage(resolver, root, row.cells[ci] ?? '', row.line, name, issues);
    seen.add(r.id);
    if (r.file === null) continue;
    const id = r.id;
    const gradable = cq >= 0 ? (row.cells[cq] ?? '').trim() : '';
    if (gradable === '0' || /^(false|no)$/i.test(gradable)) {
      issues.push({
        kind: 'ungradable',
        severity: 'error',
        file: rel(root, r.file),
        id,
        reason: `line ${row.line}: adjudicated as ungradable; left out`,
      });
      continue;
    }
    const g = parseGrade(row.cells[cg], 4, { index: cg, name: table.header[cg]! });
    if ('error' in g) {
      issues.push({ kind: 'bad-grade', severity: 'error', file: name, id, reason: `line ${row.line}: ${g.error}; the image is left out` });
      continue;
    }
    if (g.grade === null) {
      issues.push({
        kind: 'ungraded',
        severity: 'error',
        file: rel(root, r.file),
        id,
        reason: `column 'adjudicated_dr_grade' is empty on line ${row.line}; left out`,
      });
      continue;
    }
    const d = cd >= 0 ? parseGrade(row.cells[cd], 1, { index: cd, name: table.header[cd]! }) : { grade: null };
    fileOf.set(id, r.file);
    labels.add(id, { grade: g.grade, dme: 'error' in d ? null : d.grade, line: row.line });
  }
  for (const f of files) {
    if (resolver.used.has(f)) continue;
    const id = idOfFile(root, f);
    seen.add(id);
    issues.push({ kind: 'unlabelled', severity: 'error', file: rel(root, f), id, reason: 'not in the grade CSV (ungraded); left out' });
  }
  const candidates: Candidate[] = [];
  for (const [id, row] of labels.rows) {
    candidates.push({ id, patient: id, eye: null, grade: row.grade, dme: row.dme ?? null, split: null, file: fileOf.get(id)! });
  }
  return {
    candidates,
    issues,
    notes: [
      'Messidor-2 does not say which two images belong to one patient: each image id is used as its own patient, so patient-level splits are image-level here.',
      'Ungradable (adjudicated_gradable = 0) and ungraded images are left out and counted.',
      `Grades from ${name}.`,
    ],
    seen: seen.size,
  };
}

export interface FolderMapping {
  csv: string;
  imageColumn: string;
  gradeColumn: string;
  patientColumn?: string | undefined;
  split: Split | null;
}

export async function scanFolder(root: string, m: FolderMapping): Promise<ScanResult> {
  const table = await readCsv(m.csv);
  const wanted = [m.imageColumn, m.gradeColumn, ...(m.patientColumn ? [m.patientColumn] : [])];
  const missing = wanted.filter((c) => columnIndex(table, c) < 0);
  if (missing.length > 0) {
    throw new AppError(
      'BAD_REQUEST',
      `${path.basename(m.csv)} has no column ${missing.map((c) => `"${c}"`).join(', ')} (columns: ${table.header.join(', ')}).`,
      [
        ...missing.map((c) => ({
          path: c === m.imageColumn ? 'imageColumn' : c === m.gradeColumn ? 'gradeColumn' : 'patientColumn',
          message: `no column "${c}" in the CSV`,
        })),
      ],
    );
  }
  const issues: ValidationIssue[] = [];
  const name = path.basename(m.csv);
  const files = await listImages(root);
  const resolver = new ImageResolver(root, files);
  const ci = columnIndex(table, m.imageColumn);
  const cg = columnIndex(table, m.gradeColumn);
  const cp = m.patientColumn ? columnIndex(table, m.patientColumn) : -1;
  const labels = new LabelTable(name, issues);
  const info = new Map<string, { file: string; patient: string }>();
  const seen = new Set<string>();
  for (const row of table.rows) {
    const r = resolveRowImage(resolver, root, row.cells[ci] ?? '', row.line, name, issues);
    seen.add(r.id);
    if (r.file === null) continue;
    const id = r.id;
    const g = parseGrade(row.cells[cg], 4, { index: cg, name: table.header[cg]! });
    if ('error' in g) {
      issues.push({ kind: 'bad-grade', severity: 'error', file: name, id, reason: `line ${row.line}: ${g.error}; the image is left out` });
      continue;
    }
    if (g.grade === null)
      issues.push({
        kind: 'ungraded',
        severity: 'warning',
        file: rel(root, r.file),
        id,
        reason: `column '${table.header[cg]}' is empty on line ${row.line}; imported without a grade`,
      });
    const patient = cp >= 0 ? (row.cells[cp] ?? '').trim() : '';
    if (!info.has(id)) info.set(id, { file: r.file, patient: patient || id });
    labels.add(id, { grade: g.grade, line: row.line });
  }
  const unlisted = files.filter((f) => !resolver.used.has(f)).length;
  const candidates: Candidate[] = [];
  for (const [id, row] of labels.rows) {
    const i = info.get(id)!;
    candidates.push({ id, patient: i.patient, eye: null, grade: row.grade, split: m.split, file: i.file });
  }
  const notes = [
    m.patientColumn
      ? `Patient ids from column "${m.patientColumn}" (an empty cell: the image id).`
      : 'No patient column: each image id is used as its own patient.',
    `Grades from ${name}, column "${m.gradeColumn}"; images from column "${m.imageColumn}".`,
  ];
  if (unlisted > 0) notes.push(`${unlisted} image file(s) in the folder are not named in the CSV and were not imported.`);
  return { candidates, issues, notes, seen: seen.size };
}

/** Resolves a CSV row's image cell to a file; records a missing or ambiguous file as an issue (file null). */
function resolveRowImage(
  resolver: ImageResolver,
  root: string,
  raw: string,
  line: number,
  name: string,
  issues: ValidationIssue[],
): { id: string; file: string | null } {
  const r = resolver.resolve(raw);
  if ('file' in r) return { id: idOfFile(root, r.file), file: r.file };
  const id = raw.replace(/\.[^./]+$/, '');
  issues.push({
    kind: r.error === 'ambiguous' ? 'ambiguous-file' : 'missing-file',
    severity: 'error',
    file: raw || `${name}:${line}`,
    id,
    reason: `line ${line}: ${r.reason}`,
  });
  return { id, file: null };
}
