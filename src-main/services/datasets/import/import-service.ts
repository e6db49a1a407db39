/**
 * Dataset import: scan a source layout (read-only), decode and check every image, preprocess the
 * good ones into the study's cache, and write `datasets/<id>/manifest.json` and `validation.json`.
 *
 * Consistency: cache files are content-addressed and written via temp + rename; the manifest and
 * the report are written only when the import completes. A cancelled or failed import leaves the
 * previous manifest (or none) untouched; the cache entries it finished are reused next time.
 *
 * One import per dataset at a time (its lock, `datasets/<id>/.lock`). A re-import that would change a
 * dataset that runs, pretrainings, evaluations or analyses depend on is refused unless `replace` is
 * given; the dependents then stay and count as outdated (their recorded dataset content differs).
 */
import { constants as fsConstants, existsSync, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DATASET_SCHEMA_VERSION,
  DatasetManifest,
  ImportRequest,
  ImportResult,
  LESIONS,
  replaceRefusalMessage,
  ValidationReport,
  type CacheFiles,
  type CacheSize,
  type DatasetItem,
  type Lesion,
  type MaskEntry,
  type ParsedImportRequest,
  type Split,
  type ValidationIssue,
} from '../../../../src-shared/datasets';
import { AppError, parseOrThrow } from '../../../../src-shared/errors';
import type { z } from 'zod';
import { canonicalJson } from '../../../../src-shared/training';
import { syncDir, writeJsonAtomic } from '../../../fs/atomic';
import { throwIfCancelled, type JobContext } from '../../../job-context';
import { CACHE_FOLDER, studyLayout, workLockFile, type DatasetLayout } from '../../study-folder/layout';
import { heldLockWhat, RunBusyError, withWorkLock } from '../../study-folder/lock';
import { readStudyFile } from '../../study-folder/study-service';
import { Cache, ImageEntry, MaskCacheEntry, settingsKey, sha256, writerAlive, type CacheFileHashes } from '../cache';
import { cacheSizes, keysBySize } from '../cache-sizes';
import { datasetDependentLines } from './dependents';
import {
  checkSize,
  conversionCounts,
  conversionNote,
  conversions,
  decodeImage,
  decodeMask,
  fundusGeometry,
  ImageProblem,
  OVERLAY_FORMAT,
  overlaySide,
  renderImage,
  renderMask,
} from '../image';
import type { Candidate, ScanResult } from './layouts/common';
import { rel } from './layouts/common';
import { scanFolder, scanMessidor2 } from './layouts/csv-mapped';
import { MAX_LABEL_FILE_BYTES } from './csv-reader';
import { scanEyepacs } from './layouts/eyepacs';
import { scanIdridGrading, scanIdridSeg } from './layouts/idrid';
import { mapPool } from '../pool';

/** The rule that names a dataset imported without an id, in the words the import command's help and --json output use. */
export const DATASET_ID_RULE =
  'The dataset id is --id when given; otherwise the source folder\'s name in lower case, every run of characters other than a-z, 0-9, ".", "_" and "-" replaced by "-", leading and trailing ".", "_" and "-" removed, at most 80 characters (the type\'s name when nothing is left): …/eyepacs gives "eyepacs", …/IDRiD Seg gives "idrid-seg".';

/**
 * The id of a dataset imported without one (DATASET_ID_RULE): the source folder's name, sanitised, so the same folder always
 * gets the same id (and a re-import reuses its cache) and the id is what the user sees in the folder's path.
 */
export function defaultDatasetId(type: string, source: string): string {
  const base = path
    .basename(path.resolve(source))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, 80)
    .replace(/[-._]+$/, '');
  return base || type;
}

export function defaultConcurrency(): number {
  return Math.max(2, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** Scans the source layout named by the request (no decoding, no writes); a declared split (`--split`) applies to every image. */
export async function scanSource(req: ParsedImportRequest): Promise<ScanResult> {
  const scan = await scanLayout(req);
  return req.split === null || req.type === 'folder' ? scan : declareSplit(scan, req.split);
}

/** Every candidate recorded in `split`, with a note saying how many the layout had put elsewhere. */
function declareSplit(scan: ScanResult, split: Split): ScanResult {
  const moved = new Map<string, number>();
  for (const c of scan.candidates) if (c.split !== split) moved.set(c.split ?? 'none', (moved.get(c.split ?? 'none') ?? 0) + 1);
  const from = [...moved].map(([s, n]) => `${n} from ${s === 'none' ? 'no split' : `its ${s} split`}`).join(', ');
  const note =
    `Every image is recorded in the ${split} split, as the import asked (--split ${split})` +
    (from ? `; the layout had put ${from}.` : '; the layout already had them there.');
  return { ...scan, candidates: scan.candidates.map((c) => ({ ...c, split })), notes: [...scan.notes, note] };
}

async function scanLayout(req: ParsedImportRequest): Promise<ScanResult> {
  const root = path.resolve(req.path);
  switch (req.type) {
    case 'eyepacs':
      return scanEyepacs(root);
    case 'idrid-seg':
      return scanIdridSeg(root);
    case 'idrid-grading':
      return scanIdridGrading(root);
    case 'messidor2':
      return scanMessidor2(root, req.csv);
    case 'folder':
      return scanFolder(root, {
        csv: req.csv,
        imageColumn: req.imageColumn,
        gradeColumn: req.gradeColumn,
        patientColumn: req.patientColumn,
        split: req.split,
      });
  }
}

interface ItemOutcome {
  item?: DatasetItem;
  issues: ValidationIssue[];
  processed: boolean;
  cached: boolean;
  masksProcessed: number;
  /** Cache files (relative to the dataset folder) this item uses, entries included. */
  keep: string[];
  /** Cache files that were there but failed their hash or decode check, and were written again. */
  regenerated: string[];
  hash?: string;
}

export async function importDataset(request: ImportRequest, studyPath: string, ctx: JobContext): Promise<ImportResult> {
  const started = Date.now();
  const req = parseOrThrow(ImportRequest, request, 'import request');
  const source = path.resolve(req.path);
  const study = path.resolve(studyPath);
  await readStudyFile(studyLayout(study).studyFile);
  const sourceStat = await fsp.stat(source).catch(() => null);
  if (!sourceStat?.isDirectory())
    throw new AppError('NOT_FOUND', `The dataset folder ${source} does not exist or is not a folder.`, [
      { path: 'path', message: 'no such folder' },
    ]);
  const [realSource, realStudy] = [await fsp.realpath(source), await fsp.realpath(study)];
  const inside = path.relative(realSource, realStudy);
  if (!inside.startsWith('..') && !path.isAbsolute(inside)) {
    throw new AppError(
      'CONFLICT',
      `The study folder ${study} is inside the dataset folder ${source}. FundusLab never writes into a dataset folder: keep the study elsewhere.`,
      [{ path: 'path', message: 'contains the study folder' }],
    );
  }
  const id = req.id ?? defaultDatasetId(req.type, source);
  const files = studyLayout(study).dataset(id);
  // A dataset folder this import creates is removed again when the import fails: no half-written dataset is left behind.
  const isNew = !(await fsp.stat(files.dir).catch(() => null));
  return withDatasetLock(files.dir, id, async () => {
    try {
      return await importLocked({ req, source, realSource, study, id, files, started }, ctx);
    } catch (error) {
      if (isNew && !(error instanceof AppError && error.code === 'CANCELLED')) await fsp.rm(files.dir, { recursive: true, force: true });
      throw error;
    }
  });
}

/**
 * Runs `fn` holding the dataset's import lock (`datasets/<id>/.lock`, study-folder/lock.ts withWorkLock):
 * a second import into the same dataset, from this process or another, is refused at once naming the
 * dataset and the import that holds it.
 */
async function withDatasetLock<T>(dir: string, id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withWorkLock(dir, heldLockWhat() ?? `an import of dataset "${id}"`, fn, { noun: 'dataset' });
  } catch (error) {
    if (!(error instanceof RunBusyError) || error.dir !== path.resolve(dir)) throw error;
    const h = error.holder;
    const by = h
      ? `${h.what} (${h.jobId ? `Slurm job ${h.jobId}, ` : ''}pid ${h.pid} on host ${h.host}, since ${new Date(h.startedAt).toLocaleString()})`
      : `another process (${workLockFile(dir)} is held)`;
    throw new AppError('BUSY', `Dataset "${id}" is being imported by ${by}: wait until that import ends, then import again.`, [
      { path: 'id', message: 'another import writes this dataset now' },
    ]);
  }
}

interface ImportJob {
  req: ParsedImportRequest;
  source: string;
  realSource: string;
  study: string;
  id: string;
  files: DatasetLayout;
  started: number;
}

/**
 * The import itself, under the dataset's lock. A re-import writes its new cache files beside the old
 * ones (cache files are named by content, so none the old manifest refers to is touched, except one
 * that failed its hash check, which is written again), then commits: the new validation report goes to
 * validation.next.json, the new manifest replaces the old one with one rename (the switch from the old
 * dataset to the new), and the report is renamed into place. Files no longer referred to are removed
 * last. A crash at any point leaves the old dataset or the new one complete; the next import finishes
 * or removes what a killed one left (the pending report, temporary files, unreferenced cache files).
 */
async function importLocked(job: ImportJob, ctx: JobContext): Promise<ImportResult> {
  const { req, source, realSource, study, id, files } = job;
  const key = settingsKey(req.settings);
  const cache = new Cache(files.dir, key, req.settings.format);
  const concurrency = req.concurrency ?? defaultConcurrency();
  await finishInterrupted(files, ctx);
  const previous = await readManifestOrNull(files.manifest);
  const replacing = previous !== null || existsSync(files.manifest);
  const dependents = replacing ? await datasetDependentLines(study, id) : [];
  // A change of type, source folder or settings changes the dataset for sure: refused at once when others depend on it.
  const change = previous ? importChange(previous, req, source) : replacing ? 'its manifest cannot be read' : null;
  if (change && dependents.length > 0 && !req.replace) throw replaceRefused(id, change, dependents);

  ctx.progress(0, 1, 'Scanning the dataset folder');
  const scan = await scanSource(req);
  throwIfCancelled(ctx);
  if (scan.candidates.length === 0) throw nothingImported(source, scan.issues, 0);
  ctx.log(`${scan.candidates.length} images to check in ${source} (${concurrency} at a time)`);
  await fsp.mkdir(files.dir, { recursive: true });
  const known = recordedCacheHashes(previous);
  const total = scan.candidates.length;
  let done = 0;
  let lastReport = 0;
  const outcomes = await mapPool(
    scan.candidates,
    concurrency,
    async (c) => {
      const out = await processCandidate(c, source, realSource, req, cache, known);
      done++;
      const now = Date.now();
      if (now - lastReport > 200 || done === total) {
        lastReport = now;
        ctx.progress(done, total, `${done} of ${total} images checked`);
      }
      return out;
    },
    ctx.signal,
  );
  throwIfCancelled(ctx);

  // Same content under two ids (e.g. one image in train and test) is worth knowing.
  const issues: ValidationIssue[] = [...scan.issues];
  const byHash = new Map<string, string>();
  const items: DatasetItem[] = [];
  let processed = 0;
  let cached = 0;
  let masksProcessed = 0;
  const keep = new Set<string>();
  const regenerated: string[] = [];
  for (const o of outcomes) {
    if (!o) continue;
    issues.push(...o.issues);
    if (o.processed) processed++;
    if (o.cached) cached++;
    masksProcessed += o.masksProcessed;
    for (const k of o.keep) keep.add(k);
    regenerated.push(...o.regenerated);
    if (!o.item) continue;
    const prev = byHash.get(o.item.source.sha256);
    if (prev)
      issues.push({
        kind: 'duplicate-id',
        severity: 'warning',
        file: o.item.source.file,
        id: o.item.id,
        reason: `same content as ${prev} (both imported; keep them on the same side of any split)`,
      });
    else byHash.set(o.item.source.sha256, o.item.id);
    items.push(o.item);
  }
  if (items.length === 0) throw nothingImported(source, issues, scan.candidates.length);

  const now = new Date().toISOString();
  const notes = [...scan.notes];
  const converted = conversionNote(conversionCounts(items));
  if (converted) notes.push(converted);
  if (req.preprocess) {
    notes.push(
      `Preprocessing: black border cropped (luminance > ${req.settings.cropThreshold} on a ≤${256}-px thumbnail, ${req.settings.cropMargin * 100}% margin), padded to a square, resized to ${req.settings.inputSize} px for training (${req.settings.format === 'jpeg' ? 'JPEG quality 95' : 'PNG'}) and to ${req.settings.overlaySize} px, or the cropped square's side in the source when smaller, for the overlay copy (JPEG quality 95; never enlarged) (lanczos3; masks by any coverage, PNG and lossless WebP); metadata stripped.`,
    );
  }
  const cacheSize = req.preprocess ? await measureCache(cache, keep, concurrency) : undefined;
  const manifest: DatasetManifest = {
    schemaVersion: DATASET_SCHEMA_VERSION,
    id,
    type: req.type,
    source,
    created: previous?.created ?? now,
    updated: now,
    settings: req.settings,
    settingsKey: key,
    preprocessed: req.preprocess,
    notes,
    items,
    ...(cacheSize ? { cacheSize } : {}),
  };
  const changed = replacing && (!previous || !sameContent(previous, manifest));
  if (changed && dependents.length > 0 && !req.replace)
    throw replaceRefused(
      id,
      'its images, grades or splits changed; the images processed now stay in the cache for the next import',
      dependents,
    );
  if (regenerated.length > 0)
    ctx.log(
      `Regenerated ${regenerated.length} cache file(s) that no longer had their recorded SHA-256 or did not decode: ${regenerated.slice(0, 5).join(', ')}${regenerated.length > 5 ? ', …' : ''}`,
    );
  const reportNotes = [...notes, readLimitsNote(req)];
  if (regenerated.length > 0)
    reportNotes.push(
      `Regenerated ${regenerated.length} cache file(s) that no longer had their recorded SHA-256 or did not decode (first: ${regenerated[0]}).`,
    );
  const report = {
    ...buildReport(id, req.type, source, now, scan, items, issues, reportNotes),
    limits: {
      maxImageBytes: req.limits.maxImageBytes,
      maxMaskBytes: req.limits.maxMaskBytes,
      maxCsvBytes: MAX_LABEL_FILE_BYTES,
      maxSide: req.limits.maxSide,
    },
  };
  // The commit: report beside, manifest swapped in (one rename), report renamed into place.
  await writeJsonAtomic(files.pendingValidation, ValidationReport.parse(report));
  await writeJsonAtomic(files.manifest, DatasetManifest.parse(manifest));
  await fsp.rename(files.pendingValidation, files.validation);
  await syncDir(files.dir);
  if (changed && dependents.length > 0)
    ctx.log(`Replaced dataset "${id}": ${dependents.join(', ')} now count as outdated (their dataset changed).`);
  let cacheSizesNow: CacheSize[] | undefined;
  if (req.preprocess) {
    // The dataset's caches at other input sizes (made on demand for runs at those sizes) stay, less the images no longer imported.
    const otherSizes = { keys: keysBySize(req.settings), sources: new Set(items.map((it) => it.source.sha256)) };
    const removed = await cache.prune(keep, otherSizes);
    if (removed > 0) ctx.log(`Removed ${removed} stale cache file(s)`);
    cacheSizesNow = await cacheSizes(files.dir, req.settings);
    const others = cacheSizesNow.filter((c) => !c.imported);
    if (others.length > 0)
      ctx.log(
        `Kept the preprocessing cache at ${others.map((c) => `${c.inputSize} px (${c.images} images)`).join(', ')} besides the import's ${req.settings.inputSize} px.`,
      );
  }
  ctx.progress(total, total, `Imported ${items.length} of ${total} images`);
  return ImportResult.parse({
    datasetId: id,
    manifestPath: files.manifest,
    validationPath: files.validation,
    imported: items.length,
    excluded: report.counts.excluded,
    processed,
    cached,
    masksProcessed,
    seconds: (Date.now() - job.started) / 1000,
    cache: cacheSize
      ? { ...cacheSize, bytesPerImage: Math.round(cacheSize.bytes / items.length), folder: path.join(files.dir, CACHE_FOLDER, key) }
      : null,
    report,
    ...(cacheSizesNow ? { cacheSizes: cacheSizesNow } : {}),
  });
}

/**
 * The bytes and number of the cache files an import keeps (`keep`: every file its items use, entries
 * included, each counted once however many items share it), measured on disk: after the prune that
 * follows, exactly the content of the settings' cache folder.
 */
async function measureCache(cache: Cache, keep: ReadonlySet<string>, concurrency: number): Promise<{ bytes: number; files: number }> {
  // An image refused for its size keeps no entry (the limits, not the content, decided): such a name is no file.
  const sizes = await mapPool([...keep], concurrency, async (rel) => {
    try {
      return (await fsp.stat(cache.abs(rel))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  });
  const found = sizes.filter((n): n is number => typeof n === 'number');
  return { bytes: found.reduce((a, b) => a + b, 0), files: found.length };
}

/**
 * Finishes what an import killed during its commit left: a pending report of the manifest now in
 * place is renamed into place, any other pending report removed; temporary files of writers that are
 * gone are removed (those of the cache go with the prune at the end of the import).
 */
async function finishInterrupted(files: DatasetLayout, ctx: JobContext): Promise<void> {
  const pending = await readJsonOrNull(files.pendingValidation, ValidationReport);
  if (pending) {
    const manifest = await readManifestOrNull(files.manifest);
    if (manifest && manifest.updated === pending.created) {
      await fsp.rename(files.pendingValidation, files.validation);
      ctx.log(`Finished the interrupted import of dataset "${manifest.id}" (${files.validation} put in place).`);
    } else await fsp.rm(files.pendingValidation, { force: true });
  } else await fsp.rm(files.pendingValidation, { force: true });
  for (const name of await fsp.readdir(files.dir).catch(() => [] as string[]))
    if (name.endsWith('.tmp') && !writerAlive(name)) await fsp.rm(path.join(files.dir, name), { force: true });
}

/** What a re-import changes that surely changes the dataset (type, source folder, settings, preprocessing), or null. */
function importChange(previous: DatasetManifest, req: ParsedImportRequest, source: string): string | null {
  if (previous.type !== req.type) return `type ${previous.type} → ${req.type}`;
  if (previous.source !== source) return `source folder ${previous.source} → ${source}`;
  if (canonicalJson(previous.settings) !== canonicalJson(req.settings)) return 'other preprocessing settings';
  if (previous.preprocessed !== req.preprocess) return req.preprocess ? 'preprocessing turned on' : 'validation only: no image cache';
  return null;
}

/**
 * Whether two manifests hold the same dataset as training sees it: the same settings and, per item,
 * the same id, patient, grade, split and source image (what a run records as the dataset's content hash).
 */
function sameContent(a: DatasetManifest, b: DatasetManifest): boolean {
  const content = (m: DatasetManifest) =>
    canonicalJson(m.settings) +
    String(m.preprocessed) +
    [...m.items]
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
      .map((it) => canonicalJson([it.id, it.patient, it.grade, it.split, it.source.sha256]))
      .join('\n');
  return content(a) === content(b);
}

function replaceRefused(id: string, change: string, dependents: string[]): AppError {
  return new AppError('CONFLICT', replaceRefusalMessage(id, change, dependents), [
    { path: 'replace', message: `dataset "${id}" has ${dependents.length} dependent(s); replacing it needs replace` },
  ]);
}

/** The cache hashes a manifest records, by cache file (relative to the dataset folder). */
function recordedCacheHashes(manifest: DatasetManifest | null): Map<string, string> {
  const out = new Map<string, string>();
  const add = (files: CacheFiles | undefined) => {
    if (files?.inputSha256) out.set(files.input, files.inputSha256);
    if (files?.overlaySha256) out.set(files.overlay, files.overlaySha256);
  };
  for (const item of manifest?.items ?? []) {
    add(item.cache);
    for (const mask of Object.values(item.masks ?? {})) add(mask?.cache);
  }
  return out;
}

/** The report's statement of what the import reads, with the limits it applied. */
function readLimitsNote(req: ParsedImportRequest): string {
  return (
    `Files read: regular files inside the dataset folder only (links are followed only when they stay inside it; devices, FIFOs and sockets are never read), ` +
    `at most ${megabytes(req.limits.maxImageBytes)} per image, ${megabytes(req.limits.maxMaskBytes)} per mask and ${megabytes(MAX_LABEL_FILE_BYTES)} per label CSV; ` +
    `images and masks at most ${req.limits.maxSide} px per side, checked from the header before decoding.`
  );
}

/** An import that ends with no good image fails (nothing is written): BAD_REQUEST with the first reasons. */
function nothingImported(source: string, issues: ValidationIssue[], candidates: number): AppError {
  const reasons = issues.filter((i) => i.severity === 'error').slice(0, 3);
  const why = reasons.length > 0 ? ` First problems: ${reasons.map((i) => `${i.file}: ${i.reason}`).join('; ')}.` : '';
  return new AppError(
    'BAD_REQUEST',
    candidates === 0
      ? `No image to import in ${source}: the layout names no image file. Nothing was written.${why}`
      : `None of the ${candidates} image(s) in ${source} could be imported. Nothing was written.${why}`,
    [{ path: 'path', message: 'no importable image' }],
  );
}

async function readManifestOrNull(file: string): Promise<DatasetManifest | null> {
  return readJsonOrNull(file, DatasetManifest);
}

async function readJsonOrNull<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  try {
    const parsed = schema.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Where an import may read and how much: the real path of the source folder and the size limit per file. */
interface ReadScope {
  realRoot: string;
  maxBytes: number;
  /** "image" or "mask", as the size limit is named. */
  what: string;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What a file that is not a regular file is, for the reason that names it. */
function fileKind(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}) {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads an image or mask of the source: only a regular file whose real path (links resolved) lies
 * inside the source folder, and at most `scope.maxBytes`, checked before any byte is read. The file
 * is opened non-blocking (a FIFO swapped in after the check cannot stall the import) and checked again
 * on the open handle; the read stops at the limit even if the file grows meanwhile.
 */
async function readSource(file: string, scope: ReadScope): Promise<Buffer | ImageProblem> {
  const unreadable = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new ImageProblem('missing-file', 'the file (or the file its link leads to) does not exist');
    return new ImageProblem('unreadable', `cannot read the file (${code ?? (error as Error).message})`);
  };
  let real: string;
  let stat: Stats;
  try {
    real = await fsp.realpath(file);
    stat = await fsp.stat(real);
  } catch (error) {
    return unreadable(error);
  }
  if (!isInside(scope.realRoot, real))
    return new ImageProblem('outside-folder', `a link to ${real}, outside the dataset folder: only files inside the folder are read`);
  if (!stat.isFile()) return new ImageProblem('not-a-regular-file', `${fileKind(stat)}, not a regular file: it is not read`);
  const tooLarge = (size: number) =>
    new ImageProblem(
      'too-large',
      `${megabytes(size)} (${size} bytes): above the limit of ${megabytes(scope.maxBytes)} (${scope.maxBytes} bytes) per ${scope.what}; it is not read`,
    );
  if (stat.size > scope.maxBytes) return tooLarge(stat.size);
  let handle: FileHandle;
  try {
    handle = await fsp.open(real, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
  } catch (error) {
    return unreadable(error);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return new ImageProblem('not-a-regular-file', `${fileKind(opened)}, not a regular file: it is not read`);
    if (opened.size > scope.maxBytes) return tooLarge(opened.size);
    const buf = Buffer.alloc(opened.size + 1);
    let length = 0;
    while (length < buf.length) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > opened.size) return new ImageProblem('unreadable', `the file grew while it was read (from ${opened.size} bytes)`);
    return buf.subarray(0, length);
  } catch (error) {
    return unreadable(error);
  } finally {
    await handle.close();
  }
}

/** Whether the real path `real` is the folder `realRoot` or inside it. */
function isInside(realRoot: string, real: string): boolean {
  const r = path.relative(realRoot, real);
  return r !== '' && !r.startsWith('..') && !path.isAbsolute(r);
}

async function processCandidate(
  c: Candidate,
  root: string,
  realRoot: string,
  req: ParsedImportRequest,
  cache: Cache,
  known: ReadonlyMap<string, string>,
): Promise<ItemOutcome> {
  const fileRel = rel(root, c.file);
  const out: ItemOutcome = { issues: [], processed: false, cached: false, masksProcessed: 0, keep: [], regenerated: [] };
  const fail = (kind: ValidationIssue['kind'], reason: string, file = fileRel): ItemOutcome => {
    out.issues.push({ kind, severity: 'error', file, id: c.id, reason });
    delete out.item;
    return out;
  };
  const buf = await readSource(c.file, { realRoot, maxBytes: req.limits.maxImageBytes, what: 'image' });
  if (buf instanceof ImageProblem) return fail(buf.kind, buf.message);
  const hash = sha256(buf);
  const files = cache.imageFiles(hash);

  let entry: ImageEntry | null = null;
  if (req.preprocess) {
    entry = await reusable(cache, await cache.readEntry(ImageEntry, files.entry, [files.input, files.overlay]), files, known, out);
    if (entry) out.cached = true;
  }
  if (!entry) {
    out.processed = true;
    try {
      const img = await decodeImage(buf, req.limits);
      const crop = await fundusGeometry(img, req.settings);
      entry = { ok: true, width: img.width, height: img.height, crop, ...conversions(img) };
      if (req.preprocess) {
        const [a, b] = await Promise.all([
          renderImage(img, crop, req.settings.inputSize, req.settings.format),
          renderImage(img, crop, overlaySide(req.settings.overlaySize, crop), OVERLAY_FORMAT),
        ]);
        entry.files = { input: await cache.write(files.input, a), overlay: await cache.write(files.overlay, b) };
      }
    } catch (error) {
      if (!(error instanceof ImageProblem)) throw error;
      entry = { ok: false, kind: error.kind, reason: error.message };
    }
    // Implausible sizes depend on the limits, not only on the content: never cache them.
    if (req.preprocess && !(entry.ok === false && entry.kind === 'implausible-size')) await cache.writeEntry(files.entry, entry);
  }
  if (req.preprocess) out.keep.push(files.entry);
  if (!entry.ok) return fail(entry.kind, entry.reason);
  const sizeProblem = checkSize(entry.width, entry.height, req.limits);
  if (sizeProblem) return fail('implausible-size', sizeProblem);
  if (req.preprocess) out.keep.push(files.input, files.overlay);

  const masks: Partial<Record<Lesion, MaskEntry>> = {};
  for (const lesion of LESIONS) {
    const maskFile = c.masks?.[lesion];
    if (!maskFile) continue;
    const maskRel = rel(root, maskFile);
    const mbuf = await readSource(maskFile, { realRoot, maxBytes: req.limits.maxMaskBytes, what: 'mask' });
    if (mbuf instanceof ImageProblem) {
      const kind = mbuf.kind === 'missing-file' || mbuf.kind === 'unreadable' ? 'mask-unreadable' : mbuf.kind;
      return fail(kind, `${lesion} mask: ${mbuf.message}`, maskRel);
    }
    const mhash = sha256(mbuf);
    const mf = cache.maskFiles(hash, mhash, lesion);
    let mentry: MaskCacheEntry | null = req.preprocess
      ? await reusable(cache, await cache.readEntry(MaskCacheEntry, mf.entry, [mf.input, mf.overlay]), mf, known, out)
      : null;
    if (!mentry) {
      out.masksProcessed++;
      try {
        const m = await decodeMask(mbuf, req.limits, { width: entry.width, height: entry.height }, entry.orientation);
        mentry = { ok: true, width: m.width, height: m.height, positive: m.positive };
        if (req.preprocess) {
          const [a, b] = await Promise.all([
            renderMask(m, entry.crop, req.settings.inputSize),
            renderMask(m, entry.crop, overlaySide(req.settings.overlaySize, entry.crop), 'webp'),
          ]);
          mentry.files = { input: await cache.write(mf.input, a), overlay: await cache.write(mf.overlay, b) };
        }
      } catch (error) {
        if (!(error instanceof ImageProblem)) throw error;
        if (error.kind === 'mask-size-mismatch') mentry = { ok: false, kind: error.kind, reason: `${lesion} mask is ${error.message}` };
        else if (error.kind === 'implausible-size') mentry = { ok: false, kind: error.kind, reason: `${lesion} mask: ${error.message}` };
        else mentry = { ok: false, kind: 'mask-unreadable', reason: `${lesion} mask: ${error.message}` };
      }
      // Implausible sizes depend on the limits, not only on the content: never cache them.
      if (req.preprocess && !(mentry.ok === false && mentry.kind === 'implausible-size')) await cache.writeEntry(mf.entry, mentry);
    }
    if (req.preprocess) out.keep.push(mf.entry);
    if (!mentry.ok) return fail(mentry.kind, `${mentry.reason}; the image is left out`, maskRel);
    if (req.preprocess) out.keep.push(mf.input, mf.overlay);
    masks[lesion] = {
      source: { file: maskRel, sha256: mhash, bytes: mbuf.length },
      ...(req.preprocess ? { cache: cacheFiles(mf, mentry.files) } : {}),
      positivePixels: mentry.positive,
    };
  }

  out.item = {
    id: c.id,
    patient: c.patient,
    eye: c.eye,
    grade: c.grade,
    ...(c.dme !== undefined ? { dme: c.dme } : {}),
    split: c.split,
    source: { file: fileRel, sha256: hash, bytes: buf.length },
    width: entry.width,
    height: entry.height,
    crop: entry.crop,
    ...conversions(entry),
    ...(req.preprocess ? { cache: cacheFiles(files, entry.files) } : {}),
    ...(c.masks ? { masks } : {}),
  };
  return out;
}

/** The manifest's record of an item's (or mask's) cache files, with their hashes. */
function cacheFiles(files: { input: string; overlay: string }, hashes: CacheFileHashes | undefined): CacheFiles {
  return {
    input: files.input,
    overlay: files.overlay,
    ...(hashes ? { inputSha256: hashes.input } : {}),
    ...(hashes?.overlay ? { overlaySha256: hashes.overlay } : {}),
  };
}

/**
 * A cache entry found for an image or mask, when its files may be reused: each must still have the
 * SHA-256 the entry (or, for an entry written before hashes were recorded, the previous manifest)
 * records, or, with no hash recorded anywhere, decode. Null when a file fails (it is written again and
 * listed in `out.regenerated`). An entry of a failed image has no files and is reused as it is.
 */
async function reusable<T extends ImageEntry | MaskCacheEntry>(
  cache: Cache,
  entry: T | null,
  files: { input: string; overlay: string; entry: string },
  known: ReadonlyMap<string, string>,
  out: ItemOutcome,
): Promise<T | null> {
  if (!entry?.ok) return entry;
  const input = await cache.verify(files.input, entry.files?.input ?? known.get(files.input));
  const overlay = await cache.verify(files.overlay, entry.files?.overlay ?? known.get(files.overlay));
  if (!input || !overlay) {
    out.regenerated.push(...(input ? [] : [files.input]), ...(overlay ? [] : [files.overlay]));
    return null;
  }
  if (entry.files?.input === input && entry.files.overlay === overlay) return entry;
  const recorded = { ...entry, files: { input, overlay } };
  await cache.writeEntry(files.entry, recorded);
  return recorded;
}

function buildReport(
  datasetId: string,
  type: ParsedImportRequest['type'],
  source: string,
  created: string,
  scan: ScanResult,
  items: DatasetItem[],
  issues: ValidationIssue[],
  notes: string[],
): ValidationReport {
  const perSplitGrade: Record<string, Record<string, number>> = {};
  const masks: Partial<Record<Lesion, number>> = {};
  for (const it of items) {
    const s = it.split ?? 'none';
    const g = it.grade === null ? 'ungraded' : String(it.grade);
    const row = (perSplitGrade[s] ??= {});
    row[g] = (row[g] ?? 0) + 1;
    for (const l of Object.keys(it.masks ?? {}) as Lesion[]) masks[l] = (masks[l] ?? 0) + 1;
  }
  const byKind: Record<string, number> = {};
  for (const i of issues) byKind[i.kind] = (byKind[i.kind] ?? 0) + 1;
  const excludedIds = new Set(issues.filter((i) => i.severity === 'error' && i.id !== undefined).map((i) => i.id!));
  for (const it of items) excludedIds.delete(it.id);
  const candidates = Math.max(scan.seen, items.length + excludedIds.size);
  return {
    schemaVersion: DATASET_SCHEMA_VERSION,
    datasetId,
    type,
    source,
    created,
    counts: {
      candidates,
      imported: items.length,
      excluded: candidates - items.length,
      patients: new Set(items.map((i) => i.patient)).size,
      byKind,
      ...conversionCounts(items),
    },
    perSplitGrade,
    ...(scan.candidates.some((c) => c.masks) ? { masks } : {}),
    issues,
    notes,
  };
}
