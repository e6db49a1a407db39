/**
 * IDRiD (Porwal et al. 2018) in its official layout:
 * - "A. Segmentation": `1. Original Images/{a. Training Set,b. Testing Set}/IDRiD_NN.jpg` and
 *   `2. All Segmentation Groundtruths/<set>/<n. Lesion>/IDRiD_NN_<MA|HE|EX|SE|OD>.tif`; no grades.
 * - "B. Disease Grading": `1. Original Images/<set>/IDRiD_NNN.jpg` and CSVs in `2. Groundtruths/`
 *   (`Image name`, `Retinopathy grade`, `Risk of macular edema`), one per set.
 * IDRiD does not identify patients: the image id stands for the patient.
 */
import path from 'node:path';
import type { Lesion, Split, ValidationIssue } from '../../../../../src-shared/datasets';
import { AppError } from '../../../../../src-shared/errors';
import { columnIndex } from '../../csv';
import {
  findSubdir,
  indexById,
  isDirectory,
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

const NO_PATIENTS = 'IDRiD does not say which images belong to the same patient: each image id is used as its own patient.';

function splitOfFolder(name: string): Split | null {
  if (/train/i.test(name) || /^a\.\s/i.test(name)) return 'train';
  if (/test/i.test(name) || /^b\.\s/i.test(name)) return 'test';
  return null;
}

/** Finds the part folder (`A. Segmentation` / `B. Disease Grading`) given it or the IDRiD root. */
async function partFolder(root: string, part: RegExp, what: string): Promise<string> {
  if (await findSubdir(root, /original images/i)) return root;
  const sub = await findSubdir(root, part);
  if (sub && (await findSubdir(sub, /original images/i))) return sub;
  throw new AppError('BAD_REQUEST', `${root} is not the IDRiD "${what}" folder (nor its parent): no "1. Original Images" folder found.`, [
    { path: 'path', message: `not an IDRiD ${what} folder` },
  ]);
}

async function setFolders(dir: string): Promise<{ split: Split; dir: string }[]> {
  const out: { split: Split; dir: string }[] = [];
  for (const [split, re] of [
    ['train', /training|^a\.\s/i],
    ['test', /testing|^b\.\s/i],
  ] as const) {
    const d = await findSubdir(dir, re);
    if (d) out.push({ split, dir: d });
  }
  return out;
}

const LESION_FOLDERS: [RegExp, Lesion][] = [
  [/microaneurysm/i, 'MA'],
  [/haemorrhage|hemorrhage/i, 'HE'],
  [/hard exudate/i, 'EX'],
  [/soft exudate/i, 'SE'],
  [/optic disc/i, 'OD'],
];

export async function scanIdridSeg(root: string): Promise<ScanResult> {
  const seg = await partFolder(root, /segmentation/i, 'A. Segmentation');
  const issues: ValidationIssue[] = [];
  const imagesRoot = (await findSubdir(seg, /original images/i))!;
  const masksRoot = await findSubdir(seg, /groundtruth/i);
  const candidates: Candidate[] = [];
  const byKey = new Map<string, Candidate>();
  for (const { split, dir } of await setFolders(imagesRoot)) {
    const images = indexById(await listImages(dir), stem, root, issues);
    for (const [id, file] of images) {
      if (byKey.has(id)) {
        issues.push({
          kind: 'duplicate-id',
          severity: 'error',
          file: rel(root, file),
          id,
          reason: `${id} is in both the training and the testing set; the second is left out`,
        });
        continue;
      }
      const c: Candidate = { id, patient: id, eye: null, grade: null, split, file, masks: {} };
      byKey.set(id, c);
      candidates.push(c);
    }
  }
  let orphans = 0;
  if (masksRoot) {
    for (const { dir } of await setFolders(masksRoot)) {
      for (const file of await listImages(dir)) {
        const m = /^(.*)_(MA|HE|EX|SE|OD)$/i.exec(stem(file));
        const folder = path.basename(path.dirname(file));
        const lesion = (m?.[2]?.toUpperCase() as Lesion | undefined) ?? LESION_FOLDERS.find(([re]) => re.test(folder))?.[1];
        const id = m?.[1] ?? stem(file);
        const c = byKey.get(id);
        if (!lesion || !c) {
          orphans++;
          issues.push({
            kind: 'orphan-mask',
            severity: 'warning',
            file: rel(root, file),
            id,
            reason: !lesion ? 'cannot tell which lesion this mask is for' : `no image ${id} for this mask; ignored`,
          });
          continue;
        }
        const masks = (c.masks ??= {});
        if (masks[lesion]) {
          issues.push({
            kind: 'duplicate-id',
            severity: 'warning',
            file: rel(root, file),
            id,
            reason: `a second ${lesion} mask for ${id} (${rel(root, masks[lesion])} is used)`,
          });
          continue;
        }
        masks[lesion] = file;
      }
    }
  } else {
    issues.push({
      kind: 'bad-csv',
      severity: 'warning',
      file: rel(root, seg),
      reason: 'no "2. All Segmentation Groundtruths" folder: images imported without masks',
    });
  }
  const notes = [
    NO_PATIENTS,
    'IDRiD segmentation has no DR grades (grade = null). An image without a mask for a lesion has none of that lesion.',
  ];
  if (orphans) notes.push(`${orphans} mask file(s) matched no image.`);
  return { candidates, issues, notes, seen: candidates.length };
}

export async function scanIdridGrading(root: string): Promise<ScanResult> {
  const part = await partFolder(root, /disease grading/i, 'B. Disease Grading');
  const issues: ValidationIssue[] = [];
  const imagesRoot = (await findSubdir(part, /original images/i))!;
  const gtRoot = await findSubdir(part, /groundtruth/i);
  const csvFiles = gtRoot ? await listCsvFiles(gtRoot) : [];
  const tables: Partial<Record<Split, LabelTable>> = {};
  const badGrade = new Set<string>();
  for (const file of csvFiles) {
    const name = rel(root, file);
    const split = splitOfFolder(path.basename(file));
    if (!split) {
      issues.push({
        kind: 'bad-csv',
        severity: 'warning',
        file: name,
        reason: 'cannot tell whether this CSV is for the training or the testing set (its name has neither); ignored',
      });
      continue;
    }
    const table = await readCsv(file, root);
    const required = ['Image name', 'Retinopathy grade'];
    const missing = required.filter((c) => columnIndex(table, c) < 0);
    if (missing.length > 0) {
      issues.push({
        kind: 'bad-csv',
        severity: 'error',
        file: name,
        reason: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (has: ${table.header.join(', ')})`,
      });
      continue;
    }
    const ci = columnIndex(table, 'Image name');
    const cg = columnIndex(table, 'Retinopathy grade');
    const cd = columnIndex(table, 'Risk of macular edema');
    const labels = (tables[split] ??= new LabelTable(name, issues));
    for (const row of table.rows) {
      const raw = row.cells[ci] ?? '';
      if (!raw) continue;
      const id = stem(raw);
      const g = parseGrade(row.cells[cg], 4, { index: cg, name: table.header[cg]! });
      if ('error' in g) {
        badGrade.add(`${split}/${id}`);
        issues.push({
          kind: 'bad-grade',
          severity: 'error',
          file: name,
          id: `${split}/${id}`,
          reason: `line ${row.line}: ${g.error}; the image is left out`,
        });
        continue;
      }
      if (g.grade === null)
        issues.push({
          kind: 'ungraded',
          severity: 'warning',
          file: name,
          id: `${split}/${id}`,
          reason: `column '${table.header[cg]}' is empty on line ${row.line}; imported without a grade`,
        });
      const d = cd >= 0 ? parseGrade(row.cells[cd], 2, { index: cd, name: table.header[cd]! }) : { grade: null };
      if ('error' in d)
        issues.push({
          kind: 'bad-grade',
          severity: 'warning',
          file: name,
          id: `${split}/${id}`,
          reason: `line ${row.line}: macular edema risk: ${d.error}; recorded as unknown`,
        });
      labels.add(id, { grade: g.grade, dme: 'error' in d ? null : d.grade, line: row.line });
    }
  }
  if (csvFiles.length === 0)
    issues.push({
      kind: 'bad-csv',
      severity: 'error',
      file: gtRoot ? rel(root, gtRoot) : '2. Groundtruths',
      reason: 'no ground-truth CSV found: images imported without grades',
    });
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const { split, dir } of await setFolders(imagesRoot)) {
    if (!(await isDirectory(dir))) continue;
    const images = indexById(await listImages(dir), stem, root, issues);
    const labels = tables[split];
    for (const [name, file] of images) {
      const id = `${split}/${name}`;
      seen.add(id);
      if (badGrade.has(id) || labels?.isConflicting(name)) continue;
      const row = labels?.rows.get(name);
      if (!row)
        issues.push({
          kind: 'unlabelled',
          severity: 'warning',
          file: rel(root, file),
          id,
          reason: 'no row in the ground-truth CSV; imported without a grade',
        });
      candidates.push({ id, patient: id, eye: null, grade: row?.grade ?? null, dme: row?.dme ?? null, split, file });
    }
    for (const [name, row] of labels?.rows ?? []) {
      if (images.has(name)) continue;
      seen.add(`${split}/${name}`);
      issues.push({
        kind: 'missing-file',
        severity: 'error',
        file: `${rel(root, dir)}/${name}.jpg`,
        id: `${split}/${name}`,
        reason: `listed on line ${row.line} of the ground-truth CSV but not found`,
      });
    }
  }
  for (const id of badGrade) seen.add(id);
  return {
    candidates,
    issues,
    notes: [
      NO_PATIENTS,
      'Ids are prefixed with the set (train/, test/) because the two sets reuse the names IDRiD_001 …',
      'dme = "Risk of macular edema" (0-2).',
    ],
    seen: seen.size,
  };
}
