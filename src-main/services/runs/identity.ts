/**
 * A run's identity: everything that changes the trained model. That is the resolved training spec
 * (specHash), the content of the dataset it trained on (a hash over the manifest's items: ids,
 * patients, grades, splits and the recorded sha256 of each source image, plus the preprocessing
 * settings), the SHA-256 of the pretrained weights file of an IFI run, and the MoCo pretraining an
 * IWNE-CL run fine-tunes from (its pretrain id). It is written to runs/<id>/identity.json when the
 * run folder is claimed and read back to tell current runs from outdated ones. Runs trained before
 * identity.json existed are compared by their spec alone and say so.
 *
 * Hashes of manifests and weights files are kept in memory per file (path, size, modification
 * time), so listing runs reads each file once. Pure file reading (no tfjs).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DatasetManifest } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { IDENTITY_INCOMPLETE_NOTE, defaultRunId, versionedRunId, type RunStanding } from '../../../src-shared/grid';
import { canonicalJson, extensionPhrases, TrainingSpec } from '../../../src-shared/training';
import { writeJsonAtomic } from '../../fs/atomic';
import { RESULT_INPUTS_FILE, studyLayout, type ResultFolderKind, type RunLayout } from '../study-folder/layout';
import { resultFolderOf, resultNames } from '../study-folder/result-folder';
import { readStudyJsonFile, TRAINING_SPEC_RULES } from '../study-folder/study-files';
import { matchingSpecHash, pretrainId, specHash } from '../training/run-id';

/** runs/<id>/identity.json */
export const StoredRunIdentity = z
  .object({
    specHash: z.string(),
    datasetId: z.string().nullable(),
    /** datasetContentHash of the dataset when the run started; null when it could not be read. */
    datasetHash: z.string().nullable(),
    /** IFI runs: the weights file and its SHA-256 (null when the run has none). */
    weights: z.object({ file: z.string(), sha256: z.string() }).strict().nullable(),
    /** IWNE-CL runs: the pretraining under pretrain/ the run fine-tunes from. */
    pretrainId: z.string().nullable(),
    recordedAt: z.string(),
  })
  .strict();
export type StoredRunIdentity = z.infer<typeof StoredRunIdentity>;

interface CacheEntry {
  key: string;
  hash: Promise<string | null>;
}
const cache = new Map<string, CacheEntry>();

/** A file's hash, computed once per (path, size, modification time); null when it cannot be read. */
async function cachedHash(file: string, compute: () => Promise<string>): Promise<string | null> {
  const stat = await fsp.stat(file).catch(() => null);
  if (!stat?.isFile()) return null;
  const key = `${stat.size}:${stat.mtimeMs}`;
  const hit = cache.get(file);
  if (hit?.key === key) return hit.hash;
  const hash = compute().catch(() => null);
  cache.set(file, { key, hash });
  return hash;
}

/** SHA-256 of a file, streamed (weights files are hundreds of MB). */
export async function fileSha256(file: string): Promise<string | null> {
  return cachedHash(file, async () => {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
    return h.digest('hex');
  });
}

/**
 * Hash of a dataset's content as training sees it: the preprocessing settings and, per item sorted
 * by id, its id, patient, grade, split and the sha256 of its source image. null when the dataset has
 * no readable manifest.
 */
export async function datasetContentHash(studyPath: string, datasetId: string): Promise<string | null> {
  const file = studyLayout(studyPath).dataset(datasetId).manifest;
  return cachedHash(file, async () => {
    const manifest = DatasetManifest.parse(JSON.parse(await fsp.readFile(file, 'utf8')));
    const h = createHash('sha256');
    h.update(canonicalJson(manifest.settings) + '\n');
    for (const it of [...manifest.items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
      h.update(canonicalJson([it.id, it.patient, it.grade, it.split, it.source.sha256]) + '\n');
    return h.digest('hex');
  });
}

/** The identity a spec has in the study today (what identity.json records when the run starts). */
export async function currentIdentity(studyPath: string, spec: TrainingSpec, now = new Date()): Promise<StoredRunIdentity> {
  const weightsFile = spec.strategy.startsWith('IFI') && spec.pretrainedWeights ? path.resolve(studyPath, spec.pretrainedWeights) : null;
  const weightsHash = weightsFile ? await fileSha256(weightsFile) : null;
  return {
    specHash: specHash(spec),
    datasetId: spec.datasetId ?? null,
    datasetHash: spec.datasetId ? await datasetContentHash(studyPath, spec.datasetId) : null,
    weights: weightsFile && weightsHash ? { file: weightsFile, sha256: weightsHash } : null,
    pretrainId: spec.strategy === 'IWNE-CL' ? pretrainId(spec).id : null,
    recordedAt: now.toISOString(),
  };
}

/** identity.json of a run, or null: trained before identity tracking (or unreadable). */
export async function readRunIdentity(files: RunLayout): Promise<StoredRunIdentity | null> {
  if (!existsSync(files.identity)) return null;
  try {
    return StoredRunIdentity.parse(JSON.parse(await fsp.readFile(files.identity, 'utf8')));
  } catch {
    return null;
  }
}

export async function writeRunIdentity(files: RunLayout, identity: StoredRunIdentity): Promise<void> {
  await writeJsonAtomic(files.identity, identity);
}

const show = (v: unknown): string => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** Every setting (dotted path) whose value differs between two specs: "epochs 1 → 6", "moco.queueSize 64 → 128". */
export function settingDifferences(from: TrainingSpec, to: TrainingSpec): string[] {
  const flat = (v: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) flat(x, prefix ? `${prefix}.${k}` : k, out);
    else out.set(prefix, v);
    return out;
  };
  const a = flat(JSON.parse(canonicalJson(from)), '', new Map());
  const b = flat(JSON.parse(canonicalJson(to)), '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => canonicalJson(a.get(k)) !== canonicalJson(b.get(k))).map((k) => `${k} ${show(a.get(k))} → ${show(b.get(k))}`);
}

/**
 * Whether a stored run is the run `current` describes: same spec, and (when the run recorded them)
 * the same dataset content and weights file. A run without identity.json matches on its spec alone.
 */
export function identityMatches(stored: StoredRunIdentity | null, storedSpecHash: string, current: StoredRunIdentity): boolean {
  if (storedSpecHash !== current.specHash) return false;
  if (!stored) return true;
  if (stored.datasetHash && current.datasetHash && stored.datasetHash !== current.datasetHash) return false;
  if (stored.weights && current.weights && stored.weights.sha256 !== current.weights.sha256) return false;
  return true;
}

/**
 * A run's standing against the spec and identity its grid cell has today. `reference` null: there
 * is no grid (or the cell does not parse), so nothing makes the run outdated.
 */
export function runStanding(
  run: { spec: TrainingSpec; identity: StoredRunIdentity | null },
  reference: { spec: TrainingSpec; identity: StoredRunIdentity } | null,
): RunStanding {
  const identityComplete = run.identity !== null;
  const note = identityComplete ? null : IDENTITY_INCOMPLETE_NOTE;
  if (!reference) return { outdated: false, reasons: [], identityComplete, note };
  // An extended run is compared by its settings; an extension that makes it differ from an uninterrupted run is a reason of its own.
  const reasons = settingDifferences(run.spec, reference.spec).filter((r) => !r.startsWith('extensions'));
  if (run.spec.extensions?.some((e) => !e.equivalent))
    reasons.push(...extensionPhrases(run.spec).filter((p) => p.includes('not equivalent')));
  const stored = run.identity;
  const current = reference.identity;
  if (stored?.datasetHash && current.datasetHash && stored.datasetId === current.datasetId && stored.datasetHash !== current.datasetHash)
    reasons.push('dataset content changed');
  if (stored?.weights && current.weights && stored.weights.sha256 !== current.weights.sha256) reasons.push('weights file changed');
  return { outdated: reasons.length > 0, reasons, identityComplete, note };
}

/** specHash of a spec as stored in spec.json (already parsed, defaults filled in). */
function rawSpecHash(stored: unknown): string {
  return createHash('sha256').update(canonicalJson(stored)).digest('hex').slice(0, 16);
}

/** rawSpecHash of a spec.json's text, or null when it is not JSON. */
function rawSpecHashOrNull(text: string): string | null {
  try {
    return rawSpecHash(JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

/**
 * The folder under runs/ that trains `spec` today: the first of `<defaultRunId>`, `<defaultRunId>-v2`,
 * `-v3`, … whose spec and identity match (so the same settings find their run again, also after the
 * grid went elsewhere and came back), else the first free one. A folder holding other settings is
 * never reused: it stays as it is and is listed as outdated.
 */
export async function runFolderFor(
  studyPath: string,
  spec: TrainingSpec,
  identity?: StoredRunIdentity,
): Promise<{ runId: string; identity: StoredRunIdentity; existing: boolean }> {
  const current = identity ?? (await currentIdentity(studyPath, spec));
  const layout = studyLayout(studyPath);
  const base = defaultRunId(spec);
  let free: string | null = null;
  // Folders are numbered without gaps unless some were deleted: look a few past the first free one.
  for (let n = 1, misses = 0; misses < 8 && n < 1000; n++) {
    const runId = versionedRunId(base, n);
    const files = layout.run(runId);
    if (!existsSync(files.spec)) {
      if (!existsSync(files.dir)) {
        free ??= runId;
        misses++;
      }
      continue;
    }
    // spec.json holds the parsed spec as written, so its canonical hash is usually its specHash without a schema parse (listings
    // stay fast); a spec written before a field got its default is parsed to compare, and a damaged one stops with its file and field.
    let stored = rawSpecHashOrNull(await fsp.readFile(files.spec, 'utf8').catch(() => ''));
    if (stored !== current.specHash) stored = matchingSpecHash(await readStudyJsonFile(files.spec, TRAINING_SPEC_RULES));
    if (identityMatches(await readRunIdentity(files), stored, current)) return { runId, identity: current, existing: true };
  }
  return { runId: free ?? versionedRunId(base, 1000), identity: current, existing: false };
}

// ---- What a run or a pretraining trains on: the dataset content and the ids of the items it uses ----

/** SHA-256 of a set of item ids (sorted, one per line). */
export function idsHash(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of [...ids].sort()) h.update(id + '\n');
  return h.digest('hex');
}

/** runs/<id>/split.json: the dataset content and the training and validation items a run uses (after the label fraction). */
export const StoredRunSplit = z
  .object({
    datasetId: z.string(),
    /** datasetContentHash when the run started (null: the manifest could not be hashed). */
    datasetHash: z.string().nullable(),
    /** Items of the dataset's manifest. */
    images: z.number().int().nonnegative(),
    trainHash: z.string(),
    validationHash: z.string(),
    train: z.array(z.string()),
    validation: z.array(z.string()),
    recordedAt: z.string(),
  })
  .strict();
export type StoredRunSplit = z.infer<typeof StoredRunSplit>;

/** pretrain/<id>/split.json: the dataset content and the images a MoCo pretraining uses. */
export const StoredPretrainSplit = z
  .object({
    datasetId: z.string(),
    datasetHash: z.string().nullable(),
    images: z.number().int().nonnegative(),
    itemsHash: z.string(),
    items: z.array(z.string()),
    recordedAt: z.string(),
  })
  .strict();
export type StoredPretrainSplit = z.infer<typeof StoredPretrainSplit>;

/** The split record of a run's planned data, as it is today. */
export async function currentRunSplit(
  studyPath: string,
  data: { datasetId: string; manifest: { items: readonly unknown[] }; train: { id: string }[]; validation: { id: string }[] },
  now = new Date(),
): Promise<StoredRunSplit> {
  const train = data.train.map((t) => t.id).sort();
  const validation = data.validation.map((t) => t.id).sort();
  return {
    datasetId: data.datasetId,
    datasetHash: await datasetContentHash(studyPath, data.datasetId),
    images: data.manifest.items.length,
    trainHash: idsHash(train),
    validationHash: idsHash(validation),
    train,
    validation,
    recordedAt: now.toISOString(),
  };
}

/** The split record of a pretraining's images, as they are today. */
export async function currentPretrainSplit(
  studyPath: string,
  datasetId: string,
  images: number,
  items: { id: string }[],
  now = new Date(),
): Promise<StoredPretrainSplit> {
  const ids = items.map((t) => t.id).sort();
  return {
    datasetId,
    datasetHash: await datasetContentHash(studyPath, datasetId),
    images,
    itemsHash: idsHash(ids),
    items: ids,
    recordedAt: now.toISOString(),
  };
}

/** A split record, or null when the file does not exist; an unreadable one is an error naming the file. */
async function readRecord<T>(file: string, schema: z.ZodType<T>, what: string): Promise<T | null> {
  if (!existsSync(file)) return null;
  try {
    return schema.parse(JSON.parse(await fsp.readFile(file, 'utf8')));
  } catch (err) {
    throw new AppError(
      'STUDY_CORRUPT',
      `${file} is unreadable (${(err as Error).message.split('\n')[0]}): expected the record of the dataset and items ${what} uses.`,
      [{ path: file, message: 'unreadable' }],
    );
  }
}

export const readRunSplit = (file: string): Promise<StoredRunSplit | null> => readRecord(file, StoredRunSplit, 'the run');
export const readPretrainSplit = (file: string): Promise<StoredPretrainSplit | null> =>
  readRecord(file, StoredPretrainSplit, 'the pretraining');

const short = (hash: string | null): string => (hash ? `${hash.slice(0, 12)}…` : 'unknown');

/** "the training items changed (3 added, 5 removed)", or null when the two id lists are the same set. */
function idChange(what: string, before: readonly string[], after: readonly string[]): string | null {
  const a = new Set(before);
  const b = new Set(after);
  const added = after.filter((id) => !a.has(id)).length;
  const removed = before.filter((id) => !b.has(id)).length;
  return added + removed === 0 ? null : `the ${what} changed (${added} added, ${removed} removed)`;
}

/** The differences between a recorded split and today's: the dataset content, then each id list. */
function splitChanges(
  started: string,
  recorded: { datasetHash: string | null; lists: [string, readonly string[]][] },
  current: { datasetHash: string | null; lists: [string, readonly string[]][] },
): string[] {
  const changes: string[] = [];
  if (recorded.datasetHash && current.datasetHash && recorded.datasetHash !== current.datasetHash)
    changes.push(`its images, grades or splits changed since ${started}`);
  recorded.lists.forEach(([what, ids], i) => {
    const change = idChange(what, ids, current.lists[i]![1]);
    if (change) changes.push(change);
  });
  return changes;
}

/** The refusal of resuming or reusing work whose dataset changed: names the work, the dataset, both contents and what changed. */
function datasetChangedError(
  work: string,
  datasetId: string,
  recorded: { datasetHash: string | null; images: number | null },
  current: { datasetHash: string | null; images: number },
  changes: string[],
  remedy: string,
): AppError {
  const before = `content ${short(recorded.datasetHash)}${recorded.images === null ? '' : ` (${recorded.images} images)`}`;
  return new AppError(
    'CONFLICT',
    `${work} was trained on dataset ${datasetId} with ${before}; the dataset now has content ${short(current.datasetHash)} (${current.images} images): ${changes.join('; ')}. ${remedy}`,
    [{ path: 'datasetId', message: 'dataset changed since the work started' }],
  );
}

/**
 * Before a run resumes from its checkpoint: refuses when the dataset's content (identity.json,
 * split.json) or the training or validation items (split.json) differ from what the run trained on.
 * A run that recorded no split resumes (logged: its split could not be checked).
 */
export async function checkRunResume(
  run: { runId: string; files: RunLayout },
  current: StoredRunSplit,
  newRunId: () => Promise<string>,
  log: (line: string) => void,
): Promise<void> {
  const identity = await readRunIdentity(run.files);
  const split = await readRunSplit(run.files.split);
  const recordedHash = split?.datasetHash ?? identity?.datasetHash ?? null;
  const changes = splitChanges(
    'the run started',
    {
      datasetHash: recordedHash,
      lists: split
        ? [
            ['training items', split.train],
            ['validation items', split.validation],
          ]
        : [],
    },
    {
      datasetHash: current.datasetHash,
      lists: [
        ['training items', current.train],
        ['validation items', current.validation],
      ],
    },
  );
  if (split && split.datasetId !== current.datasetId) changes.unshift(`the run used dataset ${split.datasetId}`);
  if (changes.length > 0)
    throw datasetChangedError(
      `Run ${run.runId}`,
      current.datasetId,
      { datasetHash: recordedHash, images: split?.images ?? null },
      current,
      changes,
      `Start it again under a new id (--run-id ${await newRunId()}) or restore the dataset.`,
    );
  if (!split)
    log(
      `Run ${run.runId} recorded no split (${run.files.split} is missing: trained before splits were recorded), so its training and validation items could not be checked against dataset ${current.datasetId}${recordedHash ? '' : ' (nor its content)'}.`,
    );
}

/**
 * Before a pretraining resumes from its checkpoint or a finished one is reused: refuses when the
 * dataset's content or the pretraining images differ from those it recorded. One that recorded
 * nothing is used as it is (logged).
 */
export async function checkPretrainReuse(
  id: string,
  files: { dir: string; split: string },
  current: StoredPretrainSplit,
  verb: 'resume' | 'reuse',
  log: (line: string) => void,
): Promise<void> {
  const recorded = await readPretrainSplit(files.split);
  if (!recorded) {
    log(
      `MoCo v2 pretraining ${id} recorded no images (${files.split} is missing), so its dataset and images could not be checked against dataset ${current.datasetId}.`,
    );
    return;
  }
  const changes = splitChanges(
    'the pretraining started',
    { datasetHash: recorded.datasetHash, lists: [['pretraining images', recorded.items]] },
    { datasetHash: current.datasetHash, lists: [['pretraining images', current.items]] },
  );
  if (recorded.datasetId !== current.datasetId) changes.unshift(`the pretraining used dataset ${recorded.datasetId}`);
  if (changes.length > 0)
    throw datasetChangedError(
      `MoCo v2 pretraining ${id}`,
      current.datasetId,
      recorded,
      current,
      changes,
      `It cannot ${verb === 'resume' ? 'be resumed' : 'start a fine-tuning'} on the changed dataset: move its folder ${files.dir} to the trash (it is pretrained again) or restore the dataset.`,
    );
}

export async function writeRunSplit(files: RunLayout, split: StoredRunSplit): Promise<void> {
  await writeJsonAtomic(files.split, split);
}

export async function writePretrainSplit(file: string, split: StoredPretrainSplit): Promise<void> {
  await writeJsonAtomic(file, split);
}

// ---- What a result (evaluation, spectra, robustness, explanations) was computed from ----

/** `<result>/inputs.json`: the content hash of each dataset and the model of each run a result was computed from. */
export const ResultInputs = z
  .object({
    /** Dataset id → datasetContentHash (null: no readable manifest). */
    datasets: z.record(z.string(), z.string().nullable()),
    /** Run id → its spec hash and the SHA-256 of its selected model (best/model.safetensors; null: none). */
    runs: z.record(z.string(), z.object({ specHash: z.string().nullable(), model: z.string().nullable() }).strict()),
    recordedAt: z.string(),
  })
  .strict();
export type ResultInputs = z.infer<typeof ResultInputs>;

/** A run's spec hash (from spec.json) and the SHA-256 of its selected model, as they are now. */
async function runModelIdentity(studyPath: string, runId: string): Promise<ResultInputs['runs'][string]> {
  const files = studyLayout(studyPath).run(runId);
  let hash: string | null = null;
  try {
    const parsed = TrainingSpec.safeParse(JSON.parse(await fsp.readFile(files.spec, 'utf8')));
    hash = parsed.success ? specHash(parsed.data) : null;
  } catch {
    hash = null;
  }
  return { specHash: hash, model: await fileSha256(files.bestModel) };
}

/** The inputs of a result about to be computed: the datasets' content and the runs' models, as they are now. */
export async function resultInputs(
  studyPath: string,
  of: { datasets: readonly string[]; runs: readonly string[] },
  now = new Date(),
): Promise<ResultInputs> {
  const datasets: ResultInputs['datasets'] = {};
  for (const id of of.datasets) datasets[id] = await datasetContentHash(studyPath, id);
  const runs: ResultInputs['runs'] = {};
  for (const id of of.runs) runs[id] = await runModelIdentity(studyPath, id);
  return { datasets, runs, recordedAt: now.toISOString() };
}

/** Writes inputs.json into a result's (temporary) folder. */
export async function writeResultInputs(dir: string, inputs: ResultInputs): Promise<void> {
  await fsp.writeFile(path.join(dir, RESULT_INPUTS_FILE), JSON.stringify(inputs, null, 2) + '\n');
}

/**
 * What changed since a stored result was computed: each dataset whose content and each run whose
 * spec or selected model differ now ("dataset demo-eval changed (content 3f2a… → 9b1c…)", "run r1
 * changed (its selected model)"). `recorded` is false for a result without inputs.json (computed
 * before results recorded them): nothing can be compared.
 */
export async function resultInputChanges(studyPath: string, resultDir: string): Promise<{ recorded: boolean; changes: string[] }> {
  const file = path.join(resultDir, RESULT_INPUTS_FILE);
  if (!existsSync(file)) return { recorded: false, changes: [] };
  let stored: ResultInputs;
  try {
    stored = ResultInputs.parse(JSON.parse(await fsp.readFile(file, 'utf8')));
  } catch (err) {
    return { recorded: true, changes: [`${file} is unreadable (${(err as Error).message.split('\n')[0]})`] };
  }
  const now = await resultInputs(studyPath, { datasets: Object.keys(stored.datasets), runs: Object.keys(stored.runs) });
  const changes: string[] = [];
  for (const [id, hash] of Object.entries(stored.datasets)) {
    const current = now.datasets[id] ?? null;
    if (hash !== current)
      changes.push(current === null ? `dataset ${id} is gone` : `dataset ${id} changed (content ${short(hash)} → ${short(current)})`);
  }
  for (const [id, run] of Object.entries(stored.runs)) {
    const current = now.runs[id]!;
    if (current.specHash === null && current.model === null) changes.push(`run ${id} is gone`);
    else if (run.specHash !== current.specHash) changes.push(`run ${id} changed (its spec)`);
    else if (run.model !== current.model) changes.push(`run ${id} changed (its selected model)`);
  }
  return { recorded: true, changes };
}

/**
 * Whether the study's result `name` of `kind` can be reused as it is: it exists and the datasets and
 * runs it was computed from are unchanged. A result whose inputs changed is not reused: `log` hears
 * what changed (and the caller computes it again). A result computed before results recorded their
 * inputs is reused as it is.
 */
export async function reusableResult(
  studyPath: string,
  kind: ResultFolderKind,
  name: string,
  log: (line: string) => void,
): Promise<boolean> {
  const dir = resultFolderOf(studyLayout(studyPath).result(kind, name).parent, name);
  if (!dir) return false;
  const { changes } = await resultInputChanges(studyPath, dir);
  if (changes.length === 0) return true;
  log(`Computing ${kind} ${name} again: ${changes.join('; ')} since it was computed.`);
  return false;
}

/** The results of `kinds` whose datasets or runs changed since they were computed: `<kind>/<name>` → what changed. */
export async function changedResults(studyPath: string, kinds: readonly ResultFolderKind[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const kind of kinds) {
    const parent = studyLayout(studyPath).folder(kind);
    for (const name of await resultNames(parent)) {
      const dir = resultFolderOf(parent, name);
      if (!dir) continue;
      const { changes } = await resultInputChanges(studyPath, dir);
      if (changes.length > 0) out.set(`${kind}/${name}`, changes);
    }
  }
  return out;
}
