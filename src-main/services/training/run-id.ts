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
