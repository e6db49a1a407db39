/**
 * EyePACS as downloaded from Kaggle ("Diabetic Retinopathy Detection"): `train/` and/or `test/`
 * with `<patient>_<left|right>.jpeg`, `trainLabels.csv` (`image,level`) and, for the test set, the
 * published solution (`image,level,Usage`; `retinopathy_solution.csv` or any CSV with those columns;
 * Public and Private rows both count as test).
 */
import path from 'node:path';
import type { Eye, Split, ValidationIssue } from '../../../../../src-shared/datasets';
import { AppError } from '../../../../../src-shared/errors';
import { columnIndex, hasColumns, type CsvTable } from '../../csv';
import {
  findSubdir,
  indexById,
  LabelTable,
  listCsvFiles,
  listImages,
  parseGrade,
  readCsv,
  rel,
  stem,
  type Candidate,
  type ScanResult,
} from './common';

export function eyepacsPatient(id: string): { patient: string; eye: Eye | null } {
  const m = /^(.+?)_(left|right)$/i.exec(id);
  if (m) return { patient: m[1]!, eye: m[2]!.toLowerCase() as Eye };
  const i = id.indexOf('_');
  return { patient: i > 0 ? id.slice(0, i) : id, eye: null };
}

export async function scanEyepacs(root: string): Promise<ScanResult> {
  const issues: ValidationIssue[] = [];
  const notes: string[] = ['Patient id = the part of the image name before "_"; eye from the _left/_right suffix.'];
  const dirs: Record<Split, string | null> = { train: await findSubdir(root, /^train$/i), test: await findSubdir(root, /^test$/i) };
  if (!dirs.train && !dirs.test) {
    throw new AppError('BAD_REQUEST', `${root} has no train/ or test/ folder: it does not look like the Kaggle EyePACS download.`, [
      { path: 'path', message: 'no train/ or test/ folder' },
    ]);
  }
  const csvs: { file: string; table: CsvTable }[] = [];
  for (const file of await listCsvFiles(root)) csvs.push({ file, table: await readCsv(file, root) });
  const trainCsv =
    csvs.find((c) => /^trainlabels\.csv$/i.test(path.basename(c.file))) ??
    csvs.find((c) => hasColumns(c.table, ['image', 'level']) && columnIndex(c.table, 'usage') < 0);
  const testCsv =
    csvs.find((c) => /^retinopathy_solution\.csv$/i.test(path.basename(c.file))) ??
    csvs.find((c) => hasColumns(c.table, ['image', 'level', 'usage']));

  const labels: Record<Split, LabelTable | null> = { train: null, test: null };
  const badGrade = new Set<string>();
  const load = (split: Split, csv: { file: string; table: CsvTable } | undefined, required: string[]) => {
    if (!dirs[split]) return;
    if (!csv) {
      issues.push({
        kind: 'bad-csv',
        severity: 'warning',
        file: split === 'train' ? 'trainLabels.csv' : 'retinopathy_solution.csv',
        reason: `no label CSV for ${split}/ (columns ${required.join(',')}); its images are imported without grades`,
      });
      return;
    }
    const name = rel(root, csv.file);
    const missing = required.filter((c) => columnIndex(csv.table, c) < 0);
    if (missing.length > 0) {
      issues.push({
        kind: 'bad-csv',
        severity: 'error',
        file: name,
        reason: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (has: ${csv.table.header.join(', ')}); ${split}/ images are imported without grades`,
      });
      return;
    }
    const table = new LabelTable(name, issues);
    const ci = columnIndex(csv.table, 'image');
    const cl = columnIndex(csv.table, 'level');
    for (const row of csv.table.rows) {
      const raw = row.cells[ci] ?? '';
      if (!raw) {
        issues.push({ kind: 'bad-csv', severity: 'warning', file: name, reason: `line ${row.line} has no image name; skipped` });
        continue;
      }
      const id = stem(raw);
      const g = parseGrade(row.cells[cl], 4, { index: cl, name: csv.table.header[cl]! });
      if ('error' in g) {
        badGrade.add(`${split}:${id}`);
        issues.push({
          kind: 'bad-grade',
          severity: 'error',
          file: name,
          id,
          reason: `line ${row.line}: ${g.error}; the image is left out`,
        });
        continue;
      }
      table.add(id, { grade: g.grade, line: row.line });
    }
    labels[split] = table;
  };
  load('train', trainCsv, ['image', 'level']);
  load('test', testCsv, ['image', 'level', 'usage']);
  if (dirs.test && testCsv) notes.push(`Test grades from ${rel(root, testCsv.file)} (Public and Private rows both count as test).`);

  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const split of ['train', 'test'] as const) {
    const dir = dirs[split];
    if (!dir) continue;
    const images = indexById(await listImages(dir), stem, root, issues);
    const table = labels[split];
    for (const [id, file] of images) {
      seen.add(id);
      if (badGrade.has(`${split}:${id}`) || table?.isConflicting(id)) continue;
      const row = table?.rows.get(id);
      if (table && !row)
        issues.push({
          kind: 'unlabelled',
          severity: 'warning',
          file: rel(root, file),
          id,
          reason: 'no row in the label CSV; imported without a grade',
        });
      if (row && row.grade === null)
        issues.push({
          kind: 'ungraded',
          severity: 'warning',
          file: rel(root, file),
          id,
          reason: `column 'level' is empty on line ${row.line} of the label CSV; imported without a grade`,
        });
      candidates.push({ id, ...eyepacsPatient(id), grade: row?.grade ?? null, split, file });
    }
    if (table) {
      for (const [id, row] of table.rows) {
        if (images.has(id)) continue;
        seen.add(id);
        issues.push({
          kind: 'missing-file',
          severity: 'error',
          file: `${path.basename(dir)}/${id}.jpeg`,
          id,
          reason: `listed on line ${row.line} of the label CSV but not in ${path.basename(dir)}/`,
        });
      }
    }
  }
  for (const key of badGrade) seen.add(key.slice(key.indexOf(':') + 1));
  if (!dirs.test && testCsv) notes.push('The solution CSV is present but there is no test/ folder: only train/ was imported.');
  return { candidates, issues, notes, seen: seen.size };
}
