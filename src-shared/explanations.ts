/**
 * LRP explanations of a trained run on a dataset with lesion masks (docs/design.md "LRP α1β0",
 * "RMA / RRA"; paper Fig 5 and Table 3): the request (`funduslab explain`, the explain service) and
 * its result `explanations/<run-id>__<dataset-id>/result.json`, next to one heatmap file per image.
 * Plain JSON (no typed arrays, no NaN/Infinity): it crosses IPC unchanged and feeds the views.
 *
 * Definitions (implemented and tested in src-main/analysis/lrp):
 * - Relevance starts at output neurons (logits) (`start`): 'true-grade' explains the image's ICDR
 *   grade logit (images without a grade, e.g. IDRiD segmentation, use `ungradedClass`, default 3 =
 *   severe NPDR — the paper backpropagates from the severe-DR output); 'referable' explains the
 *   referable-group sum Σ_{c ∈ referable} z_c of the logits. Each explained output starts with
 *   relevance 1 (`startValue: 'unit'`, default) or with its logit's value (`'logit'`); see
 *   src-main/analysis/lrp/explain.ts for why the default is 'unit'.
 * - Heatmap file: float32 little-endian, row-major [H, W] at the model's input size: the signed
 *   relevance summed over the R, G, B channels (positive = evidence for the explained output).
 * - Poolings, RMA, RRA (with its tie rule), the noise control and the summary statistics: see
 *   src-main/analysis/lrp/rma-rra.ts.
 */
import { z } from 'zod';
import { ResultSettings } from './result-settings';
import { RunId } from './ids';
import { DatasetId, DatasetType, Grade } from './datasets';
import { ResolvedNormalisation, RunModelIdentity } from './run-identity';

export const EXPLANATION_SCHEMA_VERSION = 1;

export const LrpFirstLayer = z
  .enum(['alpha-beta', 'zbox', 'flat'])
  .describe('Rule of the first conv: α1β0; zB with the bounds of the normalised pixel range [0, 1]; flat');
export const LrpMaxPool = z
  .enum(['winner-take-all', 'proportional'])
  .describe('Max pooling: all relevance to the window maximum (its gradient), or in proportion to the window inputs');
export const LrpSum = z
  .enum(['proportional', 'alpha-beta'])
  .describe("Residual sums: in proportion to each input's signed contribution (Zennit Norm), or α1β0 (positive parts only)");

export const LrpSettings = z
  .object({
    firstLayer: LrpFirstLayer.default('alpha-beta'),
    maxPool: LrpMaxPool.default('winner-take-all'),
    sum: LrpSum.default('proportional'),
    stabilizer: z.number().positive().max(0.01).default(1e-6).describe('ε of the stabiliser z + ε·sign(z) (Zennit default 1e-6)'),
  })
  .strict()
  .describe('The LRP composite: α1β0 for every conv and the fc layer, ReLU passes relevance, average pooling proportional; these choices');
export type LrpSettings = z.infer<typeof LrpSettings>;

export const ExplainStart = z.enum(['true-grade', 'referable']);
export type ExplainStart = z.infer<typeof ExplainStart>;

export const Pooling = z.enum(['sum,pos', 'sum,abs', 'max-norm', 'l2-norm,sq']);
export type Pooling = z.infer<typeof Pooling>;
export const ExplainLesion = z.enum(['MA', 'HE', 'EX']);
export type ExplainLesion = z.infer<typeof ExplainLesion>;
export const Region = z.enum(['MA', 'HE', 'EX', 'union']);
export type Region = z.infer<typeof Region>;

export const ExplainRequest = z
  .object({
    runId: RunId.describe('Run whose selected model (runs/<run-id>/best/model.safetensors) is explained'),
    datasetId: DatasetId.describe("Imported dataset, preprocessed at the run's input size (lesion masks from its cache)"),
    images: z
      .union([z.array(z.string().min(1)).min(1), z.number().int().positive()])
      .optional()
      .describe('Image ids of the dataset, or a count N (the first N images in manifest order); default every preprocessed image'),
    start: ExplainStart.default('true-grade').describe("Output explained: the true grade's logit, or the referable-group sum of logits"),
    ungradedClass: Grade.default(3).describe(
      "For 'true-grade' on an image without a grade: the class explained (paper: severe DR, grade 3)",
    ),
    referable: z
      .array(Grade)
      .min(1)
      .max(5)
      .optional()
      .describe("Grades of the referable group for start 'referable'; default the run's own set"),
    startValue: z
      .enum(['unit', 'logit'])
      .default('unit')
      .describe(
        "Starting relevance of each explained output: 1 (default, Zennit's one-hot convention) or its logit (R = f(x); a negative logit flips the heatmap's sign)",
      ),
    lrp: LrpSettings.prefault({}),
    lesions: z.array(ExplainLesion).min(1).default(['MA', 'HE', 'EX']).describe('Lesions scored (the union is their OR)'),
    noiseSeed: z
      .number()
      .int()
      .min(0)
      .max(0xffffffff)
      .default(0)
      .describe('Seed of the Gaussian-noise control (per image: mixSeed(noiseSeed, manifest index))'),
    batchSize: z.number().int().min(1).max(256).default(4).describe('Images per LRP pass (results do not depend on it)'),
  })
  .strict();
export type ExplainRequestInput = z.input<typeof ExplainRequest>;
export type ExplainRequest = z.output<typeof ExplainRequest>;

export const AccuracyPair = z
  .object({ rma: z.number().min(0).max(1).nullable().describe('null when the pooled heatmap sums to 0'), rra: z.number().min(0).max(1) })
  .strict();
export const PoolingAccuracies = z.record(Pooling, AccuracyPair);
export type PoolingAccuracies = z.infer<typeof PoolingAccuracies>;

export const RegionOutcome = z.union([
  z.object({ maskPixels: z.number().int().positive(), lrp: PoolingAccuracies, noise: PoolingAccuracies }).strict(),
  z
    .object({
      skipped: z
        .enum(['no-mask', 'empty-mask'])
        .describe('no-mask: the image has no mask of this lesion; empty-mask: its mask has no pixel at the heatmap size'),
    })
    .strict(),
]);
export type RegionOutcome = z.infer<typeof RegionOutcome>;

export const ExplainedImage = z
  .object({
    id: z.string(),
    index: z.number().int().min(0).describe('Position in the dataset manifest'),
    grade: Grade.nullable(),
    startClasses: z.array(z.number().int().min(0)).min(1).describe('Outputs whose relevance was propagated'),
    startSource: z.enum(['grade', 'ungraded-class', 'referable']),
    logits: z.array(z.number()),
    startRelevance: z.number().describe('Σ of the starting relevance'),
    relevanceSum: z.number().describe('Σ of the input relevance (= start minus what biases absorb)'),
    heatmap: z.string().describe('Heatmap file relative to the explanation folder'),
    outsideFundusShare: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .optional()
      .describe('Σ positive relevance outside the fundus / Σ positive relevance (null: no positive relevance); absent in older results'),
    regions: z.partialRecord(Region, RegionOutcome),
  })
  .strict();
export type ExplainedImage = z.infer<typeof ExplainedImage>;

export const SummaryStats = z
  .object({
    n: z.number().int().min(0),
    mean: z.number().nullable(),
    std: z.number().nullable().describe('Population standard deviation (ddof 0)'),
    median: z.number().nullable(),
    p20: z.number().nullable().describe('20th percentile, linear interpolation (numpy default)'),
    p80: z.number().nullable(),
    min: z.number().nullable(),
    max: z.number().nullable(),
  })
  .strict();
export type SummaryStats = z.infer<typeof SummaryStats>;

export const PoolingSummary = z.record(Pooling, z.object({ rma: SummaryStats, rra: SummaryStats }).strict());
export const RegionSummary = z
  .object({
    scored: z.number().int().min(0),
    skipped: z.object({ noMask: z.number().int().min(0), emptyMask: z.number().int().min(0) }).strict(),
    lrp: PoolingSummary,
    noise: PoolingSummary,
  })
  .strict();
export type RegionSummary = z.infer<typeof RegionSummary>;

export const ExplanationResult = z
  .object({
    schemaVersion: z.literal(EXPLANATION_SCHEMA_VERSION),
    name: z
      .string()
      .describe(
        'Folder under explanations/: <run-id>__<dataset-id>__<settings hash> (<run-id>__<dataset-id> before settings-named results)',
      ),
    settings: ResultSettings.optional().describe('The settings the name hashes (absent in results written before)'),
    run: z
      .object({
        ...RunModelIdentity.omit({ fraction: true, seed: true }).shape,
        strategy: z.string(),
        inputSize: z.number().int().positive(),
        normalisation: ResolvedNormalisation.strict(),
        referable: z.array(Grade),
      })
      .strict(),
    dataset: z.object({ datasetId: DatasetId, type: DatasetType, inputSize: z.number().int().positive() }).strict(),
    request: ExplainRequest,
    composite: z
      .object({
        name: z.string(),
        canonizers: z.array(z.string()),
        rules: z
          .array(z.object({ layer: z.string(), type: z.string(), rule: z.string() }).strict())
          .describe('The rule of every layer of the canonized graph, in forward order'),
      })
      .strict(),
    heatmap: z
      .object({
        format: z.literal('float32le'),
        shape: z.tuple([z.number().int().positive(), z.number().int().positive()]),
        content: z.string(),
      })
      .strict(),
    images: z.array(ExplainedImage),
    summary: z.partialRecord(Region, RegionSummary),
    outsideFundus: z
      .object({
        mean: z.number().nullable().describe("Mean of the images' outsideFundusShare (null when none has one)"),
        images: z.number().int().min(0).describe('Images with a share'),
        definition: z.string(),
      })
      .strict()
      .optional()
      .describe('Share of positive relevance outside the fundus (docs/design.md "Relevance outside the fundus"); absent in older results'),
    backend: z.string(),
    seconds: z.number(),
    createdAt: z.string(),
  })
  .strict();
export type ExplanationResult = z.infer<typeof ExplanationResult>;
