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
import { IDENTITY_INCOMPLETE_NOTE, defaultRunId, versionedRunId, type RunStanding } from '../../../src-shared/grid';
import { canonicalJson, TrainingSpec } from '../../../src-shared/training';
import { writeJsonAtomic } from '../../fs/atomic';
import { studyLayout, type RunLayout } from '../study-folder/layout';
import { readStudyJsonFile, TRAINING_SPEC_RULES } from '../study-folder/study-files';
import { pretrainId, specHash } from '../training/run-id';

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
  const reasons = settingDifferences(run.spec, reference.spec);
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
    if (stored !== current.specHash) stored = specHash(await readStudyJsonFile(files.spec, TRAINING_SPEC_RULES));
    if (identityMatches(await readRunIdentity(files), stored, current)) return { runId, identity: current, existing: true };
  }
  return { runId: free ?? versionedRunId(base, 1000), identity: current, existing: false };
}
