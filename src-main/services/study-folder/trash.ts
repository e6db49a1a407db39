/**
 * The study's trash: deleting a run, an evaluation, an analysis (spectra, robustness, explanation), a
 * dataset or a report moves its folder (or file) into `<study>/.trash/<timestamp>/` at the same path
 * relative to the study, beside a small manifest (what, when, from where). Each move is one rename
 * inside the study folder — atomic, never a copy and delete — so an interrupted deletion leaves the
 * item either where it was or in the trash. Restoring renames it back and is refused while something
 * occupies the original place. Files are only removed when the trash (or one entry) is emptied.
 *
 * Every lister of the study reads its own folder (runs/, datasets/, evaluations/…) and skips names
 * starting with a dot, so nothing in `.trash/` is ever listed as part of the study.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AnalysisName, ReportFileName } from '../../../src-shared/contract';
import { DatasetId } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { RunId } from '../../../src-shared/ids';
import {
  TRASH_KIND_LABELS,
  TrashEntryId,
  TrashManifest,
  datasetConfirmMessage,
  dependentLines,
  type DatasetDependents,
  type TrashDeleteResult,
  type TrashEntry,
  type TrashKind,
} from '../../../src-shared/trash';
import { recoverFolder, syncDir, writeJsonAtomic } from '../../fs/atomic';
import { listRuns } from '../runs/run-info';
import { reportAssetsDir, studyLayout, trashLayout, TRASH_MANIFEST_FILE, type ResultFolderKind } from './layout';
import { listResultFolders, previousResultFolder } from './result-folder';
import { withStudyLock } from './lock';
import { requireStudyFolder } from './study-service';

const RESULT_KINDS: Partial<Record<TrashKind, ResultFolderKind>> = {
  evaluation: 'evaluations',
  spectra: 'spectra',
  robustness: 'robustness',
  explanation: 'explanations',
};

/** The name rule of each kind (checked before any file is touched). */
const NAME_RULES: Record<TrashKind, z.ZodType<string>> = {
  run: RunId,
  dataset: DatasetId,
  evaluation: AnalysisName,
  spectra: AnalysisName,
  robustness: AnalysisName,
  explanation: AnalysisName,
  report: ReportFileName,
};

export interface TrashDeleteOptions {
  /** Delete a dataset even though runs or results depend on it. */
  confirm?: boolean;
  /** The deletion time (tests). */
  now?: Date;
}

function checkName(kind: TrashKind, name: string): void {
  const parsed = NAME_RULES[kind].safeParse(name);
  if (!parsed.success)
    throw new AppError(
      'BAD_REQUEST',
      `"${name}" is not a ${TRASH_KIND_LABELS[kind]} name: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
      [{ path: 'name', message: 'invalid' }],
    );
}

/** Relative path with forward slashes (as manifests store it). */
function relative(study: string, file: string): string {
  return path.relative(study, file).split(path.sep).join('/');
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute paths an item consists of (the first is its main folder or file); NOT_FOUND when the
 * study has no such item. A result folder that a crashed write left as `.<name>.previous` is put back
 * first, so the complete result is what moves.
 */
async function itemPaths(study: string, kind: TrashKind, name: string): Promise<string[]> {
  const layout = studyLayout(study);
  const resultKind = RESULT_KINDS[kind];
  let paths: string[];
  if (resultKind) {
    const dir = layout.result(resultKind, name).dir;
    await recoverFolder(dir, previousResultFolder(path.dirname(dir), name));
    paths = [dir];
  } else if (kind === 'run') paths = [layout.run(name).dir];
  else if (kind === 'dataset') paths = [layout.dataset(name).dir];
  else {
    const pdf = path.join(layout.folder('reports'), name);
    paths = [pdf, reportAssetsDir(pdf)];
    if (!(await exists(pdf))) paths = [pdf];
  }
  if (!(await exists(paths[0]!)))
    throw new AppError('NOT_FOUND', `There is no ${TRASH_KIND_LABELS[kind]} "${name}" in the study (${paths[0]} does not exist).`, [
      { path: 'name', message: `no such ${TRASH_KIND_LABELS[kind]}` },
    ]);
  const out: string[] = [];
  for (const p of paths) if (await exists(p)) out.push(p);
  return out;
}

/** The runs trained on a dataset and the evaluations and analyses computed on it (sorted names). */
export async function datasetDependents(studyPath: string, datasetId: string): Promise<DatasetDependents> {
  const study = path.resolve(studyPath);
  const runs = (await listRuns(study)).filter((r) => r.spec.datasetId === datasetId).map((r) => r.runId);
  const nested = z.object({ name: z.string(), dataset: z.object({ datasetId: z.string() }) });
  const flat = z.object({ name: z.string(), datasetId: z.string() });
  const names = async <S extends z.ZodType<{ name: string }>>(kind: ResultFolderKind, schema: S, of: (r: z.output<S>) => string) =>
    (await listResultFolders(study, kind, schema))
      .filter((r) => of(r) === datasetId)
      .map((r) => r.name)
      .sort();
  return {
    runs: runs.sort(),
    evaluations: await names('evaluations', nested, (r) => r.dataset.datasetId),
    spectra: await names('spectra', nested, (r) => r.dataset.datasetId),
    robustness: await names('robustness', flat, (r) => r.datasetId),
    explanations: await names('explanations', nested, (r) => r.dataset.datasetId),
  };
}

/** Claims a fresh entry folder named by the time (a suffix when another deletion took the same millisecond). */
async function claimEntry(study: string, now: Date): Promise<string> {
  const trash = trashLayout(study);
  await fsp.mkdir(trash.root, { recursive: true });
  const stamp = now.toISOString().replace(/:/g, '-');
  for (let i = 1; i < 10_000; i++) {
    const id = i === 1 ? stamp : `${stamp}-${i}`;
    try {
      await fsp.mkdir(trash.entry(id).dir);
      return id;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new AppError('INTERNAL', `Could not create a trash entry in ${trash.root}.`);
}

/**
 * Moves a run, evaluation, analysis, dataset or report into the study's trash. A dataset that runs
 * were trained on or results were computed on is only moved with `confirm`; without it nothing moves
 * and the answer lists what depends on it. Only the dataset moves: its dependents stay in the study.
 */
export async function trashDelete(
  studyPath: string,
  kind: TrashKind,
  name: string,
  options: TrashDeleteOptions = {},
): Promise<TrashDeleteResult> {
  const study = requireStudyFolder(studyPath);
  checkName(kind, name);
  return withStudyLock(study, `Deleting ${TRASH_KIND_LABELS[kind]} "${name}"`, () => moveToTrash(study, kind, name, options));
}

async function moveToTrash(study: string, kind: TrashKind, name: string, options: TrashDeleteOptions): Promise<TrashDeleteResult> {
  const paths = await itemPaths(study, kind, name);
  if (kind === 'dataset' && !options.confirm) {
    const dependents = await datasetDependents(study, name);
    if (dependentLines(dependents).length > 0)
      return { status: 'needs-confirmation', message: datasetConfirmMessage(name, dependents), dependents };
  }
  const now = options.now ?? new Date();
  const id = await claimEntry(study, now);
  const entry = trashLayout(study).entry(id);
  const manifest: TrashManifest = {
    schemaVersion: 1,
    kind,
    name,
    deletedAt: now.toISOString(),
    paths: paths.map((p) => relative(study, p)),
  };
  await writeJsonAtomic(entry.manifest, manifest);
  const moved: [string, string][] = [];
  try {
    for (const from of paths) {
      const to = path.join(entry.dir, path.relative(study, from));
      await fsp.mkdir(path.dirname(to), { recursive: true });
      await fsp.rename(from, to);
      moved.push([from, to]);
    }
  } catch (error) {
    for (const [from, to] of moved.reverse()) await fsp.rename(to, from).catch(() => {});
    await fsp.rm(entry.dir, { recursive: true, force: true }).catch(() => {});
    throw new AppError('NOT_WRITABLE', `Could not move ${relative(study, paths[0]!)} into the trash: ${(error as Error).message}`);
  }
  for (const from of paths) await syncDir(path.dirname(from));
  return { status: 'deleted', entry: await readEntry(study, id) };
}

async function readEntry(study: string, id: string): Promise<TrashEntry> {
  const entry = trashLayout(study).entry(id);
  let manifest: TrashManifest;
  try {
    manifest = TrashManifest.parse(JSON.parse(await fsp.readFile(entry.manifest, 'utf8')));
  } catch (error) {
    const problem = `${TRASH_MANIFEST_FILE} is missing or unreadable (${(error as Error).message.split('\n')[0]}); this entry can only be emptied.`;
    return { id, kind: null, name: null, deletedAt: null, paths: [], missing: [], problem };
  }
  const missing: string[] = [];
  for (const p of manifest.paths) if (!(await exists(path.join(entry.dir, p)))) missing.push(p);
  return { id, kind: manifest.kind, name: manifest.name, deletedAt: manifest.deletedAt, paths: manifest.paths, missing, problem: null };
}

/** The study's trash entries, newest first. */
export async function trashList(studyPath: string): Promise<TrashEntry[]> {
  const study = requireStudyFolder(studyPath);
  const root = trashLayout(study).root;
  if (!existsSync(root)) return [];
  const out: TrashEntry[] = [];
  for (const d of await fsp.readdir(root, { withFileTypes: true }))
    if (d.isDirectory() && TrashEntryId.safeParse(d.name).success) out.push(await readEntry(study, d.name));
  return out.sort((a, b) => b.id.localeCompare(a.id));
}

function checkEntryId(id: string): void {
  if (!TrashEntryId.safeParse(id).success)
    throw new AppError(
      'BAD_REQUEST',
      `"${id}" is not a trash entry id (e.g. 2026-01-31T12-00-00.000Z; \`funduslab trash list\` shows them).`,
      [{ path: 'entry', message: 'invalid' }],
    );
}

async function requireEntry(study: string, id: string): Promise<TrashEntry> {
  checkEntryId(id);
  if (!existsSync(trashLayout(study).entry(id).dir))
    throw new AppError('NOT_FOUND', `There is no trash entry "${id}" in the study.`, [{ path: 'entry', message: 'no such entry' }]);
  return readEntry(study, id);
}

/** Puts an entry back where it was; refused (nothing moved) while anything occupies one of its original places. */
export async function trashRestore(studyPath: string, id: string): Promise<TrashEntry> {
  const study = requireStudyFolder(studyPath);
  return withStudyLock(study, `Restoring trash entry ${id}`, () => restoreEntry(study, id));
}

async function restoreEntry(study: string, id: string): Promise<TrashEntry> {
  const entry = await requireEntry(study, id);
  if (entry.problem) throw new AppError('STUDY_CORRUPT', `Trash entry ${id} cannot be restored: ${entry.problem}`);
  const dir = trashLayout(study).entry(id).dir;
  const present = entry.paths.filter((p) => !entry.missing.includes(p));
  if (present.length === 0)
    throw new AppError('NOT_FOUND', `Trash entry ${id} holds none of ${entry.paths.join(', ')}; there is nothing to restore.`);
  const occupied: string[] = [];
  for (const p of present) {
    const original = path.join(study, p);
    const previous = previousResultFolder(path.dirname(original), path.basename(original));
    if ((await exists(original)) || (RESULT_KINDS[entry.kind!] && (await exists(previous)))) occupied.push(p);
  }
  if (occupied.length > 0)
    throw new AppError(
      'CONFLICT',
      `Cannot restore ${TRASH_KIND_LABELS[entry.kind!]} "${entry.name}": ${occupied.join(', ')} exists again in the study. Delete or rename it first; the trash entry was left as it is.`,
      [{ path: 'entry', message: 'the original place is taken' }],
    );
  const moved: [string, string][] = [];
  try {
    for (const p of present) {
      const from = path.join(dir, p);
      const to = path.join(study, p);
      await fsp.mkdir(path.dirname(to), { recursive: true });
      await fsp.rename(from, to);
      moved.push([from, to]);
    }
  } catch (error) {
    for (const [from, to] of moved.reverse()) await fsp.rename(to, from).catch(() => {});
    throw new AppError('NOT_WRITABLE', `Could not restore trash entry ${id}: ${(error as Error).message}`);
  }
  await fsp.rm(dir, { recursive: true, force: true });
  return entry;
}

/** Removes one entry's files for good, or (without `id`) the whole trash; answers what was removed. */
export async function trashEmpty(studyPath: string, id?: string): Promise<{ removed: string[] }> {
  const study = requireStudyFolder(studyPath);
  return withStudyLock(study, 'Emptying the trash', () => emptyTrash(study, id));
}

async function emptyTrash(study: string, id?: string): Promise<{ removed: string[] }> {
  const trash = trashLayout(study);
  if (id !== undefined) {
    await requireEntry(study, id);
    await fsp.rm(trash.entry(id).dir, { recursive: true, force: true });
    return { removed: [id] };
  }
  if (!existsSync(trash.root)) return { removed: [] };
  const ids = (await fsp.readdir(trash.root)).sort();
  await fsp.rm(trash.root, { recursive: true, force: true });
  return { removed: ids };
}
