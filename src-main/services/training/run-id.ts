/**
 * Names of training runs and pretrainings, derived from their settings (pure: no tfjs, so the main
 * process can list and match runs without loading the engine).
 */
import { createHash } from 'node:crypto';
import { canonicalJson, pretrainSettings, type TrainingSpec } from '../../../src-shared/training';

export { pretrainSettings };

export { defaultRunId } from '../../../src-shared/grid';

/** Hash of the parsed spec (canonical JSON: keys sorted), identifying a run's settings. */
export function specHash(spec: TrainingSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

/** `moco-resnet50-eyepacs-224-s0-<hash>`: the folder under pretrain/. */
export function pretrainId(spec: TrainingSpec): { id: string; hash: string } {
  const hash = createHash('sha256')
    .update(canonicalJson(pretrainSettings(spec)))
    .digest('hex')
    .slice(0, 10);
  const id = `moco-${spec.arch}-${spec.datasetId ?? 'data'}-${spec.inputSize}-s${spec.seed}-${hash}`
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .slice(0, 80);
  return { id, hash };
}

/**
 * specHash of the spec and of each version it had before its extensions (epochs = the previous total,
 * the extensions before that one): a run's checkpoint written before an extension carries one of these.
 */
export function specHistoryHashes(spec: TrainingSpec): string[] {
  const hashes = [specHash(spec)];
  const extensions = spec.extensions ?? [];
  for (let k = extensions.length - 1; k >= 0; k--) {
    const { extensions: _all, ...rest } = spec;
    const earlier = extensions.slice(0, k);
    hashes.push(specHash({ ...rest, epochs: extensions[k]!.previousEpochs, ...(earlier.length > 0 ? { extensions: earlier } : {}) }));
  }
  return hashes;
}

/**
 * The hash a run's settings are matched by (grid cells, `train` without a run id): specHash, except for a run
 * whose every extension is equivalent to an uninterrupted run — it is that run, so it matches the spec without
 * its extensions. A run with a non-equivalent extension matches no spec but its own.
 */
export function matchingSpecHash(spec: TrainingSpec): string {
  if (!spec.extensions || !spec.extensions.every((e) => e.equivalent)) return specHash(spec);
  const { extensions: _history, ...plain } = spec;
  return specHash(plain);
}
