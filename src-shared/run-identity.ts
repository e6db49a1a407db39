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
