/**
 * The training grid of a study: strategies × label fractions × seeds, each cell one training run
 * (docs/design.md "Jobs"; the paper's Fig 2 design). Stored as grid.json in the study folder. Node-free.
 */
import { z } from 'zod';
import { CacheUse } from './datasets';
import { studyRelativePath } from './user-path';
import {
  STRATEGY_ORDER,
  TrainingEpochLog,
  PretrainEpochLog,
  PretrainLearningCheck,
  TrainingResult,
  TrainingSpec,
  TrainingStrategy,
  type TrainingSpecInput,
} from './training';
import { IDENTITY_INCOMPLETE_NOTE, RunIdentity, RunSettings, RunStanding } from './run-identity';

export { IDENTITY_INCOMPLETE_NOTE, RunSettings, RunStanding };

/** Everything of a training spec except what the grid varies (strategy, fraction, seed). */
const BASE_KEYS = ['strategy', 'fraction', 'seed', 'pretrainedWeights'] as const;
export const GridBase = z
  .record(z.string(), z.unknown())
  .refine((o) => BASE_KEYS.every((k) => !(k in o)), {
    message: `the base spec must not set ${BASE_KEYS.join(', ')} (the grid sets them per cell)`,
  })
  .describe(
    'Training settings shared by every cell (any TrainingSpec field except strategy, fraction, seed, pretrainedWeights); each cell must parse as a TrainingSpec',
  );

export const StrategyOverrides = z
  .partialRecord(TrainingStrategy, z.record(z.string(), z.unknown()))
  .describe('Per-strategy overrides of the base (e.g. {"IWNE-CL": {"moco": {...}}})');

export const GridSpec = z
  .object({
    strategies: z
      .array(TrainingStrategy)
      .min(1)
      .max(4)
      .default([...STRATEGY_ORDER])
      .describe('Strategies to train'),
    fractions: z.array(z.number().gt(0).max(1)).min(1).max(20).default([0.1, 0.2, 0.5, 1]).describe('Label fractions (paper: 0.1 … 1.0)'),
    seeds: z.array(z.number().int().nonnegative()).min(1).max(20).default([0]).describe('Seeds per cell'),
    base: GridBase.default({}).describe('Settings shared by every run (datasetId, arch, inputSize, epochs, …)'),
    overrides: StrategyOverrides.default({}),
    imagenetWeights: studyRelativePath('the ImageNet weights file')
      .optional()
      .describe('Supervised ImageNet weights file for IFI-FS (e.g. torchvision resnet50-0676ba61.pth)'),
    mocoWeights: studyRelativePath('the MoCo v2 checkpoint')
      .optional()
      .describe('MoCo v2 ImageNet checkpoint for IFI-CL (e.g. moco_v2_800ep_pretrain.pth.tar)'),
  })
  .strict()
  .describe('The training grid: strategies × fractions × seeds');
export type GridSpec = z.output<typeof GridSpec>;
export type GridSpecInput = z.input<typeof GridSpec>;

export const CellStatus = z
  .enum(['pending', 'partial', 'done', 'blocked', 'invalid'])
  .describe(
    'pending: not started; partial: started (a checkpoint exists) but not finished; done: metrics.json written; blocked: cannot start (e.g. an IFI strategy without its weights file); invalid: the cell does not parse as a training spec. A run folder trained with other settings never makes a cell invalid: the cell trains in a fresh folder (<id>-v2, …) and the old run is listed as outdated',
  );
export type CellStatus = z.infer<typeof CellStatus>;

/** A run folder the grid has no cell for any more (another setting trained it): listed beside the cells. */
export const GridOtherRun = z
  .object({
    ...RunIdentity.shape,
    finished: z.boolean(),
    bestValAuc: z.number().nullable(),
    settings: RunSettings,
    standing: RunStanding,
  })
  .strict();
export type GridOtherRun = z.infer<typeof GridOtherRun>;

export const GridCell = z
  .object({
    ...RunIdentity.shape,
    status: CellStatus,
    reason: z.string().nullable().describe("Why blocked or invalid; for a done run stopped at the user's request, how it ended"),
    spec: z.unknown().nullable().describe('The parsed TrainingSpec of the cell (null when invalid)'),
    epochsDone: z.number().int().nonnegative(),
    epochs: z.number().int().nonnegative(),
    bestValAuc: z.number().nullable(),
    settings: RunSettings.optional().describe('epochs, lr, batch size and input size of the cell (absent when invalid)'),
    note: z.string().nullable().optional().describe('e.g. the run folder reused from before identity tracking'),
  })
  .strict();
export type GridCell = z.infer<typeof GridCell>;

/** A revisioned file's revision (grid.json, study-plan.json): one more on every save; a file without one is revision 0. */
export const Revision = z.number().int().nonnegative();

export const GridView = z
  .object({
    spec: GridSpec.nullable(),
    cells: z.array(GridCell),
    revision: Revision.optional().describe("grid.json's revision (0 when there is no grid): a save sends it back as baseRevision"),
    others: z
      .array(GridOtherRun)
      .optional()
      .describe('Run folders of the study that no cell of the grid trains now (outdated or outside the grid)'),
  })
  .strict();
export type GridView = z.infer<typeof GridView>;

/** A run as the dashboard shows it: spec, result when finished, and its logs so far (live curves). */
export const RunDetail = z
  .object({
    runId: z.string(),
    spec: TrainingSpec,
    result: TrainingResult.nullable(),
    log: z.array(TrainingEpochLog),
    pretrainLog: z
      .array(PretrainEpochLog)
      .describe('IWNE-CL: the MoCo pretraining epochs so far (shared with the other CL runs of the same settings)'),
    pretrainCheck: PretrainLearningCheck.nullable()
      .default(null)
      .describe("IWNE-CL: the finished pretraining's learning check (loss against chance, k-NN gain over a random encoder)"),
    preprocessing: z
      .array(CacheUse)
      .nullable()
      .default(null)
      .describe('The preprocessing cache the run reads its images from (runs/<id>/preprocessing.json; null: not recorded yet)'),
    trainer: z
      .string()
      .nullable()
      .default(null)
      .describe('What trains the run now and where, e.g. "funduslab grid (pid 4711 on host n1)"; null when nothing does'),
    stopRequest: z
      .object({ requestedAt: z.string(), requestedBy: z.string() })
      .strict()
      .nullable()
      .default(null)
      .describe('A pending "finish after this epoch" request (runs/<id>/stop-request.json), or null'),
  })
  .strict();
export type RunDetail = z.infer<typeof RunDetail>;

/** What `runs.stopAfterEpoch` did: asked the process that trains the run to finish it after its current epoch. */
export const RunStopAnswer = z
  .object({
    runId: z.string(),
    trainer: z.string().describe('What trains the run and where'),
    epochsDone: z.number().int().nonnegative(),
    epochs: z.number().int().positive(),
    request: z.object({ requestedAt: z.string(), requestedBy: z.string() }).strict(),
  })
  .strict();
export type RunStopAnswer = z.infer<typeof RunStopAnswer>;

/** The cell's training spec input: base, then the strategy's overrides, then the cell's own fields. */
export function cellSpecInput(grid: GridSpec, strategy: TrainingStrategy, fraction: number, seed: number): TrainingSpecInput {
  const weights = strategy === 'IFI-FS' ? grid.imagenetWeights : strategy === 'IFI-CL' ? grid.mocoWeights : undefined;
  return {
    ...(grid.base as Partial<TrainingSpecInput>),
    ...((grid.overrides[strategy] ?? {}) as Partial<TrainingSpecInput>),
    strategy,
    fraction,
    seed,
    ...(weights ? { pretrainedWeights: weights } : {}),
  };
}

/** `iwne-fs-resnet50-f0.1-s0-<dataset>`: deterministic, so the same spec finds its own run again. */
export function defaultRunId(spec: Pick<TrainingSpec, 'strategy' | 'arch' | 'datasetId' | 'fraction' | 'seed'>): string {
  return `${spec.strategy}-${spec.arch}-${spec.datasetId ?? 'data'}-f${spec.fraction}-s${spec.seed}`
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .slice(0, 80);
}

/** The settings listings show for a run. */
export function runSettings(spec: Pick<TrainingSpec, 'epochs' | 'lr' | 'batchSize' | 'inputSize'>): RunSettings {
  return { epochs: spec.epochs, lr: spec.lr, batchSize: spec.batchSize, inputSize: spec.inputSize };
}

/** `<base>-v<n>` (n ≥ 2), cut so it stays a valid run id: where a cell trains when its default folder holds other settings. */
export function versionedRunId(base: string, n: number): string {
  if (n <= 1) return base;
  const suffix = `-v${n}`;
  return base.slice(0, 80 - suffix.length) + suffix;
}
