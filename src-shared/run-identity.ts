/**
 * Which training run a result belongs to: the fields every result and view copies from the run's
 * spec, declared once. Each result schema spreads the `.shape` of the part it holds (keeping its own
 * field order and strictness) and narrows or widens a field only where its files always did:
 *
 * - `runId` is any string here (stored results and lists keep whatever folder name they met);
 *   results whose writers check the id against RUN_ID_PATTERN (evaluations, spectra) narrow it to
 *   RunId.
 * - `strategy` is a TrainingStrategy; explanation results keep a plain string.
 *
 * test/unit/shared/run-identity.test.ts checks that every schema built from these still accepts
 * today's objects and refuses one without an identity field.
 */
import { z } from 'zod';
import { ResolvedNormalisation, TrainingStrategy } from './training';

export { ResolvedNormalisation };

/** The cell of the training grid a run is: its folder, strategy, label fraction and seed. */
export const RunIdentity = z.object({
  runId: z.string(),
  strategy: TrainingStrategy,
  fraction: z.number(),
  seed: z.number().int(),
});
export type RunIdentity = z.infer<typeof RunIdentity>;

/** RunIdentity and the model's architecture and input size. */
export const RunModelIdentity = RunIdentity.extend({
  arch: z.string(),
  inputSize: z.number().int(),
});
export type RunModelIdentity = z.infer<typeof RunModelIdentity>;

/** The settings every run listing shows beside a run (from its resolved spec). */
export const RunSettings = z
  .object({
    epochs: z.number().int().nonnegative(),
    lr: z.number(),
    batchSize: z.number().int().nonnegative(),
    inputSize: z.number().int().nonnegative(),
  })
  .strict();
export type RunSettings = z.infer<typeof RunSettings>;

/**
 * Whether a run still matches the current grid. A run is outdated when what trained it (its resolved
 * spec, its dataset's content, its weights file) differs from what the grid gives its cell today;
 * `reasons` names each difference ("epochs 1 → 6", "dataset content changed", "weights file changed").
 * `identityComplete` is false for runs trained before FundusLab recorded identity.json: only their
 * spec can be compared.
 */
export const RunStanding = z
  .object({
    outdated: z.boolean(),
    reasons: z.array(z.string()),
    identityComplete: z.boolean(),
    note: z.string().nullable().describe('e.g. "identity incomplete (trained before identity tracking)"'),
  })
  .strict();
export type RunStanding = z.infer<typeof RunStanding>;

/** The note of a run without identity.json. */
export const IDENTITY_INCOMPLETE_NOTE = 'identity incomplete (trained before identity tracking)';
