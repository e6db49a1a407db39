/**
 * Names of training runs and pretrainings, derived from their settings (pure: no tfjs, so the main
 * process can list and match runs without loading the engine).
 */
import { createHash } from 'node:crypto';
import type { TrainingSpec } from '../../../src-shared/training';

export { defaultRunId } from '../../../src-shared/grid';

/** Hash of the parsed spec (canonical JSON: keys sorted), identifying a run's settings. */
export function specHash(spec: TrainingSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}


/** The settings that determine a pretraining: everything else of the spec (fraction, fine-tuning lr …) does not. */
export function pretrainSettings(spec: TrainingSpec) {
  return {
    datasetId: spec.datasetId ?? null,
    validationFraction: spec.validationFraction,
    validationSeed: spec.validationSeed,
    arch: spec.arch,
    inputSize: spec.inputSize,
    seed: spec.seed,
    normalisation: spec.normalisation,
    moco: spec.moco,
  };
}

function canonicalJson(v: unknown): string {
  const canon = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(canon) : x !== null && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, canon((x as Record<string, unknown>)[k])])) : x;
  return JSON.stringify(canon(v));
}

/** `moco-resnet50-eyepacs-224-s0-<hash>`: the folder under pretrain/. */
export function pretrainId(spec: TrainingSpec): { id: string; hash: string } {
  const hash = createHash('sha256').update(canonicalJson(pretrainSettings(spec))).digest('hex').slice(0, 10);
  const id = `moco-${spec.arch}-${spec.datasetId ?? 'data'}-${spec.inputSize}-s${spec.seed}-${hash}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-').slice(0, 80);
  return { id, hash };
}
