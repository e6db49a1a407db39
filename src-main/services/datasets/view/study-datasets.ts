/**
 * Read-only queries over the datasets imported into a study: `datasets/<id>/manifest.json` and
 * `validation.json`, parsed with their schemas. Nothing here writes. Ids that arrive from a caller
 * are looked up (a folder listing, the manifest's items), never joined into a path, so `../x` or an
 * absolute path can only fail to match.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type {
  DatasetDetail,
  DatasetItemRow,
  DatasetSummary,
  ItemFilter,
  ItemsPage,
  ReadableDatasetSummary,
} from '../../../../src-shared/contract';
import { DatasetManifest, LESIONS, ValidationReport, type DatasetItem, type Lesion } from '../../../../src-shared/datasets';
import { AppError, describeIssues, fieldIssues } from '../../../../src-shared/errors';
import { MANIFEST_FILE, PENDING_VALIDATION_FILE, VALIDATION_FILE, studyLayout } from '../../study-folder/layout';
import { readStudyFile } from '../../study-folder/study-service';

export const SYNTHETIC_MARKER = 'SYNTHETIC.txt';

/** A parsed manifest with an index of its items, cached by file identity (path, size, mtime). */
export interface LoadedDataset {
  dir: string;
  folder: string;
  manifest: DatasetManifest;
  byId: Map<string, DatasetItem>;
}

type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const manifestCache = new Map<string, { stamp: string; loaded: LoadedDataset }>();
const MANIFEST_CACHE_SIZE = 4;

/** Checks that `studyPath` is a study folder; returns its resolved path. */
export async function resolveStudy(studyPath: string): Promise<string> {
  const study = path.resolve(studyPath);
  const file = studyLayout(study).studyFile;
  try {
    await readStudyFile(file);
  } catch (error) {
    if (error instanceof AppError)
      throw new AppError(
        error.code,
        error.message,
        (error.issues ?? []).map((i) => ({ ...i, path: i.path === 'path' ? 'studyPath' : i.path })),
      );
    throw error;
  }
  return study;
}

async function datasetFolders(study: string): Promise<string[]> {
  const dir = studyLayout(study).folder('datasets');
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
}

async function readJson<T>(file: string, parse: (value: unknown) => ReadResult<T>): Promise<ReadResult<T>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return { ok: false, reason: `${path.basename(file)} is missing (the import has not finished, or it failed before writing it).` };
    return { ok: false, reason: `${path.basename(file)} cannot be read (${code ?? (error as Error).message}).` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `${path.basename(file)} is not valid JSON (${(error as Error).message}). Import the dataset again.` };
  }
  return parse(value);
}

function schemaParser<T>(schema: z.ZodType<T>, name: string) {
  return (value: unknown): ReadResult<T> => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issues = fieldIssues(parsed.error);
    const shown = describeIssues(issues.slice(0, 3)) + (issues.length > 3 ? ` (and ${issues.length - 3} more)` : '');
    return { ok: false, reason: `${name} does not match the expected format: ${shown}. Import the dataset again.` };
  };
}

async function loadManifest(dir: string, folder: string): Promise<ReadResult<LoadedDataset>> {
  const file = path.join(dir, MANIFEST_FILE);
  const stat = await fsp.stat(file).catch(() => null);
  const stamp = stat ? `${stat.size}:${stat.mtimeMs}` : '';
  const hit = manifestCache.get(file);
  if (hit && stat && hit.stamp === stamp) return { ok: true, value: hit.loaded };
  const read = await readJson(file, schemaParser(DatasetManifest, MANIFEST_FILE));
  if (!read.ok) return read;
  const loaded: LoadedDataset = { dir, folder, manifest: read.value, byId: new Map(read.value.items.map((i) => [i.id, i])) };
  if (stat) {
    manifestCache.delete(file);
    manifestCache.set(file, { stamp, loaded });
    while (manifestCache.size > MANIFEST_CACHE_SIZE) manifestCache.delete(manifestCache.keys().next().value!);
  }
  return { ok: true, value: loaded };
}

/** Finds the dataset folder named `datasetId` by listing `datasets/` (the id is never joined raw). */
export async function findDataset(studyPath: string, datasetId: string): Promise<{ study: string; dir: string; folder: string }> {
  const study = await resolveStudy(studyPath);
  const folder = (await datasetFolders(study)).find((name) => name === datasetId);
  if (!folder)
    throw new AppError('NOT_FOUND', `The study has no dataset "${datasetId}".`, [
      { path: 'datasetId', message: 'no such dataset in this study' },
    ]);
  return { study, dir: studyLayout(study).dataset(folder).dir, folder };
}

/** The dataset's manifest, or NOT_FOUND / STUDY_CORRUPT naming the reason. */
export async function loadDataset(studyPath: string, datasetId: string): Promise<LoadedDataset> {
  const { dir, folder } = await findDataset(studyPath, datasetId);
  const read = await loadManifest(dir, folder);
  if (!read.ok)
    throw new AppError('STUDY_CORRUPT', `Dataset "${datasetId}" cannot be read: ${read.reason}`, [
      { path: 'datasetId', message: read.reason },
    ]);
  return read.value;
}

export function findItem(dataset: LoadedDataset, itemId: string): DatasetItem {
  const item = dataset.byId.get(itemId);
  if (!item)
    throw new AppError('NOT_FOUND', `Dataset "${dataset.manifest.id}" has no item "${itemId}".`, [
      { path: 'itemId', message: 'no such item in this dataset' },
    ]);
  return item;
}

function gradeKey(grade: number | null): string {
  return grade === null ? 'ungraded' : String(grade);
}

function splitKey(split: string | null): string {
  return split ?? 'none';
}

export function itemLesions(item: DatasetItem): Lesion[] {
  return LESIONS.filter((l) => item.masks?.[l] !== undefined);
}

/** Whether the source folder (or one of its two parents: IDRiD's part folders) says it is synthetic. */
function isSynthetic(manifest: DatasetManifest): boolean {
  let dir = manifest.source;
  for (let i = 0; i < 3; i++) {
    if (existsSync(path.join(dir, SYNTHETIC_MARKER))) return true;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // The demo generator's EyePACS patients are named syn…; real EyePACS ids are numbers.
  return manifest.type === 'eyepacs' && manifest.items.length > 0 && manifest.items.every((i) => i.patient.startsWith('syn'));
}

/** The manifest's recorded cache size with bytes per imported image; null when none was recorded. */
export function cacheSizeOf(manifest: DatasetManifest): ReadableDatasetSummary['cacheSize'] {
  const size = manifest.preprocessed ? manifest.cacheSize : undefined;
  if (!size) return null;
  return { ...size, bytesPerImage: manifest.items.length > 0 ? Math.round(size.bytes / manifest.items.length) : 0 };
}

function summarise(manifest: DatasetManifest, report: ReadResult<ValidationReport>): ReadableDatasetSummary {
  const grades: Record<string, number> = { '0': 0, '1': 0, '2': 0, '3': 0, '4': 0, ungraded: 0 };
  const splits: Record<string, number> = {};
  const perSplitGrade: Record<string, Record<string, number>> = {};
  const masks: Partial<Record<Lesion, number>> = {};
  const patients = new Set<string>();
  for (const item of manifest.items) {
    const g = gradeKey(item.grade);
    const s = splitKey(item.split);
    grades[g] = (grades[g] ?? 0) + 1;
    splits[s] = (splits[s] ?? 0) + 1;
    const row = (perSplitGrade[s] ??= {});
    row[g] = (row[g] ?? 0) + 1;
    patients.add(item.patient);
    for (const l of itemLesions(item)) masks[l] = (masks[l] ?? 0) + 1;
  }
  const issues = { error: 0, warning: 0 };
  if (report.ok) for (const i of report.value.issues) issues[i.severity]++;
  return {
    readable: true,
    id: manifest.id,
    type: manifest.type,
    name: manifest.id,
    source: manifest.source,
    synthetic: isSynthetic(manifest),
    created: manifest.created,
    updated: manifest.updated,
    preprocessed: manifest.preprocessed,
    settings: manifest.settings,
    items: manifest.items.length,
    patients: patients.size,
    grades,
    splits,
    perSplitGrade,
    masks,
    issues,
    candidates: report.ok ? report.value.counts.candidates : null,
    excluded: report.ok ? report.value.counts.excluded : null,
    notes: manifest.notes,
    cacheSize: cacheSizeOf(manifest),
    reportProblem: report.ok ? null : report.reason,
  };
}

async function readDataset(dir: string, folder: string): Promise<{ summary: DatasetSummary; report: ReadResult<ValidationReport> }> {
  const manifest = await loadManifest(dir, folder);
  if (!manifest.ok) return { summary: { readable: false, id: folder, reason: manifest.reason }, report: manifest };
  let report = await readJson(path.join(dir, VALIDATION_FILE), schemaParser(ValidationReport, VALIDATION_FILE));
  // An import killed between its manifest and its report leaves the new report beside (the next import puts it in place).
  if (!report.ok || report.value.created !== manifest.value.manifest.updated) {
    const pending = await readJson(path.join(dir, PENDING_VALIDATION_FILE), schemaParser(ValidationReport, VALIDATION_FILE));
    if (pending.ok && pending.value.created === manifest.value.manifest.updated) report = pending;
  }
  return { summary: summarise(manifest.value.manifest, report), report };
}

/** Every dataset folder of the study, readable or not (an unreadable one says why). */
export async function listDatasets(studyPath: string): Promise<DatasetSummary[]> {
  const study = await resolveStudy(studyPath);
  const out: DatasetSummary[] = [];
  for (const folder of await datasetFolders(study)) {
    try {
      out.push((await readDataset(studyLayout(study).dataset(folder).dir, folder)).summary);
    } catch (error) {
      out.push({ readable: false, id: folder, reason: (error as Error).message });
    }
  }
  return out;
}

/** The dataset's summary and every issue of its validation report. */
export async function getDataset(studyPath: string, datasetId: string): Promise<DatasetDetail> {
  const { dir, folder } = await findDataset(studyPath, datasetId);
  const { summary, report } = await readDataset(dir, folder);
  return { summary, issues: report.ok ? report.value.issues : [] };
}

export function matchesFilter(item: DatasetItem, filter: ItemFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.grade !== undefined && gradeKey(item.grade) !== String(filter.grade)) return false;
  if (filter.split !== undefined && splitKey(item.split) !== filter.split) return false;
  if (filter.lesion !== undefined && item.masks?.[filter.lesion] === undefined) return false;
  return true;
}

export function itemRow(item: DatasetItem): DatasetItemRow {
  return {
    id: item.id,
    patient: item.patient,
    eye: item.eye,
    grade: item.grade,
    split: item.split,
    lesions: itemLesions(item),
    hasImage: item.cache !== undefined,
  };
}

/** A page of the dataset's items (manifest order) that match `filter`. */
export async function listItems(
  studyPath: string,
  datasetId: string,
  offset: number,
  limit: number,
  filter?: ItemFilter,
): Promise<ItemsPage> {
  const dataset = await loadDataset(studyPath, datasetId);
  const matching = filter ? dataset.manifest.items.filter((i) => matchesFilter(i, filter)) : dataset.manifest.items;
  return { total: matching.length, offset, items: matching.slice(offset, offset + limit).map(itemRow) };
}
