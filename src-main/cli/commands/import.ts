/**
 * `funduslab import <type> <path> --study <dir> [--json]` — imports a dataset into a study (a new or
 * empty --study folder is made a study first).
 * For `folder`: `--csv <file> --image-column <c> --grade-column <c> [--patient-column <c>]`.
 * `--split test` records every image as test (a declared held-out set), `--split train` as train, for any type.
 * The dataset id is `--id`, or else the source folder's name (DATASET_ID_RULE, in the help and the --json output).
 * Re-importing a dataset that runs, pretrainings, evaluations or analyses depend on, with other content, needs `--replace`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cacheSizeText, DatasetType, type ImportRequest, type ImportResult } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { DATASET_ID_RULE, importDataset } from '../../services/datasets/import/import-service';
import { StudyService } from '../../services/study-folder/study-service';
import { studyLayout } from '../../services/study-folder/layout';
import { APP_VERSION } from '../../version';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { withStudyLock } from '../../services/study-folder/lock';

export const IMPORT_USAGE =
  'funduslab import <eyepacs|messidor2|idrid-grading|idrid-seg|folder> <dataset folder> --study <dir> [--id <id>] [--replace] [--validate-only] ' +
  '[--split train|test] [--input-size N] [--overlay-size N] [--format png|jpeg] [--concurrency N] [--csv <file>] [--image-column <c> --grade-column <c> [--patient-column <c>]] [--json]\n' +
  DATASET_ID_RULE;

export async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    study: { type: 'string' },
    id: { type: 'string' },
    csv: { type: 'string' },
    'image-column': { type: 'string' },
    'grade-column': { type: 'string' },
    'patient-column': { type: 'string' },
    split: { type: 'string' },
    'validate-only': { type: 'boolean', default: false },
    replace: { type: 'boolean', default: false },
    'input-size': { type: 'string' },
    'overlay-size': { type: 'string' },
    format: { type: 'string' },
    concurrency: { type: 'string' },
  });
  const [type, source] = positionals;
  if (!type || !source || !values.study) {
    throw new AppError('BAD_REQUEST', `Usage: ${IMPORT_USAGE}`, [
      ...(!type ? [{ path: 'type', message: `give the dataset type (${DatasetType.options.join(', ')})` }] : []),
      ...(!source ? [{ path: 'path', message: 'give the dataset folder' }] : []),
      ...(!values.study ? [{ path: 'study', message: 'give --study <dir>' }] : []),
    ]);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const settings = {
    ...(values['input-size'] !== undefined ? { inputSize: num(values['input-size']) } : {}),
    ...(values['overlay-size'] !== undefined ? { overlaySize: num(values['overlay-size']) } : {}),
    ...(values.format !== undefined ? { format: values.format } : {}),
  };
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(p));
  const request = {
    type,
    path: path.resolve(source),
    ...(values.id !== undefined ? { id: values.id } : {}),
    settings,
    preprocess: !values['validate-only'],
    ...(values.replace ? { replace: true } : {}),
    ...(values.concurrency !== undefined ? { concurrency: num(values.concurrency) } : {}),
    ...(values.csv !== undefined ? { csv: abs(values.csv) } : {}),
    ...(values['image-column'] !== undefined ? { imageColumn: values['image-column'] } : {}),
    ...(values['grade-column'] !== undefined ? { gradeColumn: values['grade-column'] } : {}),
    ...(values['patient-column'] !== undefined ? { patientColumn: values['patient-column'] } : {}),
    ...(values.split !== undefined ? { split: values.split } : {}),
  } as unknown as ImportRequest; // validated by importDataset (BAD_REQUEST names each field)
  const studyPath = path.resolve(values.study);
  if (!existsSync(studyLayout(studyPath).studyFile)) {
    // A new or empty folder becomes a study (StudyService refuses a non-empty folder with the reason).
    const created = await new StudyService({ appVersion: APP_VERSION }).create(studyPath, path.basename(studyPath));
    if (!values.json) process.stderr.write(`created study "${created.study.name}" in ${created.path}\n`);
  }
  const ctx = cliContext('import', values.json);
  const result = await withStudyLock(studyPath, 'funduslab import', () => importDataset(request, studyPath, ctx)).finally(ctx.end);
  // How the id was chosen, next to the result: `--id`, or the rule applied to the source folder's name.
  const id = { datasetId: result.datasetId, from: values.id !== undefined ? '--id' : 'folder name', rule: DATASET_ID_RULE };
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: result, id }, null, 2) + '\n');
  else
    process.stdout.write(
      formatImportResult(result) +
        (values.id === undefined
          ? `\n  id "${result.datasetId}" is the source folder's name (--id <id> names the dataset otherwise)`
          : '') +
        '\n',
    );
  return 0;
}

export function formatImportResult(r: ImportResult): string {
  const lines = [
    `Dataset ${r.datasetId}: ${r.imported} images imported, ${r.excluded} left out (${r.report.counts.patients} patients) in ${r.seconds.toFixed(1)} s`,
    `  processed ${r.processed}, reused from the cache ${r.cached}${r.masksProcessed ? `, masks processed ${r.masksProcessed}` : ''}`,
  ];
  if (r.cache) lines.push(`  cache ${cacheSizeText(r.cache)} in ${r.cache.folder}`);
  const sizes = otherCacheSizesLine(r);
  if (sizes) lines.push(sizes);
  for (const [split, grades] of Object.entries(r.report.perSplitGrade)) {
    lines.push(
      `  ${split.padEnd(5)} ${Object.entries(grades)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([g, n]) => `${g === 'ungraded' ? 'ungraded' : `grade ${g}`}: ${n}`)
        .join(', ')}`,
    );
  }
  if (r.report.masks)
    lines.push(
      `  masks ${Object.entries(r.report.masks)
        .map(([l, n]) => `${l}: ${n}`)
        .join(', ')}`,
    );
  const errors = r.report.issues.filter((i) => i.severity === 'error');
  const warnings = r.report.issues.length - errors.length;
  if (r.report.issues.length > 0) {
    lines.push(`  ${errors.length} error(s), ${warnings} warning(s):`);
    for (const i of r.report.issues.slice(0, 20))
      lines.push(`    ${i.severity === 'error' ? 'ERROR' : 'warn '} ${i.kind}: ${i.file}: ${i.reason}`);
    if (r.report.issues.length > 20) lines.push(`    … ${r.report.issues.length - 20} more in ${r.validationPath}`);
  }
  for (const n of r.report.notes) lines.push(`  note: ${n}`);
  lines.push(`  manifest: ${r.manifestPath}`, `  report:   ${r.validationPath}`);
  return lines.join('\n');
}

/** `  also cached at 64 px (40 images, 1.2 MB)`: the dataset's caches at other input sizes (made for runs at those sizes), or null. */
export function otherCacheSizesLine(r: ImportResult): string | null {
  const others = (r.cacheSizes ?? []).filter((c) => !c.imported);
  if (others.length === 0) return null;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  return `  also cached at ${others.map((c) => `${c.inputSize} px (${c.images} images, ${mb(c.bytes)})`).join(', ')}, made for runs at those sizes`;
}
