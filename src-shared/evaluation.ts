/**
 * Evaluation of trained runs on graded datasets (docs/design.md "Referable DR"; paper Fig 2 and Table 2):
 * the request of one evaluation (job kind `evaluate.run`, `funduslab evaluate`), its result
 * (`evaluations/<run-id>__<dataset-id>__<split>/result.json`, next to `predictions.csv`), and the
 * study-wide results (`funduslab results`): the results table, the paired DeLong comparisons between
 * strategies on the same images, and the AUC-vs-label-fraction series of Fig 2. Everything is plain
 * JSON (no typed arrays, no Infinity/NaN) so it crosses IPC unchanged and feeds the renderer's views.
 *
 * Definitions (implemented and tested in src-main/services/evaluation):
 * - P(referable) = Σ softmax(logits)[g] over the referable grades g (default: the run's own set,
 *   paper {3, 4}); the label is 1 when the image's ICDR grade is in the set. AUC on P(referable),
 *   never on the argmax.
 * - An image is called referable when P(referable) ≥ threshold (scikit-learn's convention).
 */
import { z } from 'zod';
import { RunId } from './ids';

export { RunId };
import { DatasetId, DatasetType, Grade } from './datasets';
import { TrainingStrategy } from './training';
import { DomainShift } from './shift';
import { ResolvedNormalisation, RunModelIdentity, RunSettings, RunStanding } from './run-identity';

export const EvaluationSplit = z
  .enum(['test', 'train', 'all'])
  .describe(
    "Images evaluated: 'test' = manifest split test; 'train' = split train or none (the pool training runs draw from); 'all' = every image",
  );
export type EvaluationSplit = z.infer<typeof EvaluationSplit>;

/** The level of every confidence interval FundusLab reports. */
export const CI_LEVEL = 0.95;

export const ReferableGrades = z
  .array(Grade)
  .min(1)
  .max(4)
  .refine((g) => new Set(g).size === g.length, 'Each grade at most once')
  .describe('Grades counted as referable DR (paper {3, 4}; clinical {2, 3, 4})');

export const EvaluateRequest = z
  .object({
    runId: RunId.describe('Run to evaluate (folder under runs/); its selected model runs/<run-id>/best/model.safetensors is used'),
    datasetId: DatasetId.describe("Imported dataset (folder under datasets/), preprocessed at the run's input size"),
    split: EvaluationSplit.optional().describe("Default: 'test' when the dataset has test-split images, else 'all'"),
    referable: ReferableGrades.optional().describe("Default: the run's own referable set (spec.referable)"),
    operatingPoint: z
      .object({
        targetSensitivity: z
          .number()
          .gt(0)
          .max(1)
          .default(0.9)
          .describe('Operating point: the highest threshold whose sensitivity reaches this (high-sensitivity screening point)'),
        threshold: z
          .number()
          .min(0)
          .max(1)
          .default(0.5)
          .describe('A fixed P(referable) threshold also reported (sensitivity/specificity at P ≥ threshold)'),
      })
      .strict()
      .prefault({})
      .describe('Operating points reported besides the AUC'),
    bootstrap: z
      .object({
        samples: z.number().int().min(1).max(100_000).default(2000).describe('Stratified bootstrap replicates'),
        seed: z.number().int().min(0).max(0xffffffff).default(0).describe('Seed of the bootstrap (mulberry32)'),
      })
      .strict()
      .prefault({})
      .describe('Stratified bootstrap percentile CI of the AUC'),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe("Images per forward pass; default the run's batch size (eval-mode results do not depend on it)"),
  })
  .strict()
  .describe('One evaluation of a trained run on a graded dataset (job kind evaluate.run)');
export type EvaluateRequestInput = z.input<typeof EvaluateRequest>;
export type EvaluateRequest = z.output<typeof EvaluateRequest>;

const Interval = z.object({ lower: z.number(), upper: z.number() }).strict();

export const OperatingPointResult = z
  .object({
    threshold: z.number().describe('Images with P(referable) ≥ threshold are called referable'),
    sensitivity: z.number().min(0).max(1).describe('TP / referable images'),
    specificity: z.number().min(0).max(1).describe('TN / non-referable images'),
  })
  .strict();
export type OperatingPointResult = z.infer<typeof OperatingPointResult>;

/** What the run was, copied from its spec when it was evaluated (the table still reads if the run is deleted). */
export const EvaluatedRun = z
  .object({
    ...RunModelIdentity.shape,
    runId: RunId,
    trainingDatasetId: z.string().nullable().describe('Dataset the run trained on (spec.datasetId)'),
    bestEpoch: z.number().int().positive().describe('Epoch of the selected model (best/metrics.json)'),
    bestValAuc: z.number().nullable().describe('Validation AUC of the selected model'),
    selection: z.enum(['val-auc', 'last-epoch']),
    normalisation: ResolvedNormalisation.strict(),
  })
  .strict();
export type EvaluatedRun = z.infer<typeof EvaluatedRun>;

export const RocPoints = z
  .object({
    fpr: z.array(z.number()),
    tpr: z.array(z.number()),
    thresholds: z.array(z.number()).describe("Decreasing; the first is max score + 1 (scikit-learn ≤ 1.2's finite first threshold)"),
  })
  .strict()
  .describe('ROC curve as sklearn.metrics.roc_curve(drop_intermediate=True), (0, 0) prepended');
export type RocPoints = z.infer<typeof RocPoints>;

export const EVALUATION_SCHEMA_VERSION = 1;

export const EvaluationResult = z
  .object({
    schemaVersion: z.literal(EVALUATION_SCHEMA_VERSION),
    name: z.string().describe('Folder name under evaluations/: <run-id>__<dataset-id>__<split>'),
    run: EvaluatedRun,
    dataset: z.object({ datasetId: DatasetId, type: DatasetType, inputSize: z.number().int(), settingsKey: z.string() }).strict(),
    split: EvaluationSplit,
    referable: z.array(Grade).describe('Referable grades used for the labels and P(referable), ascending'),
    n: z.number().int().positive().describe('Images evaluated (graded images of the split with a cached input)'),
    positives: z.number().int().describe('Referable images'),
    negatives: z.number().int().describe('Non-referable images'),
    skipped: z
      .object({
        ungraded: z.number().int().describe('Images of the split without a grade'),
        uncached: z.number().int().describe('Graded images without a preprocessed input'),
      })
      .strict()
      .describe('Images of the split that were not evaluated, and why'),
    overlapsTraining: z
      .boolean()
      .describe(
        "Some evaluated images are in the run's training pool (train split of its training dataset, matched by image content hash): the AUC is not an independent test",
      ),
    trainingOverlap: z.number().int().describe('Number of evaluated images in the training pool'),
    domainShift: DomainShift.optional().describe(
      "The domain-shift check between the run's training images and the evaluated images (absent in evaluations made before it)",
    ),
    auc: z.number().min(0).max(1).describe('ROC AUC of P(referable) (Mann–Whitney, ties ½; = sklearn roc_auc_score)'),
    delong: Interval.extend({
      level: z.number(),
      se: z.number().describe('DeLong standard error'),
      variance: z.number(),
      method: z.literal('normal'),
    })
      .strict()
      .describe('DeLong CI: AUC ± z·SE clipped to [0, 1]'),
    bootstrap: Interval.extend({
      level: z.number(),
      samples: z.number().int().describe('Replicates B'),
      seed: z.number().int(),
      mean: z.number(),
      sd: z.number(),
    })
      .strict()
      .describe('Stratified bootstrap percentile CI (classes resampled separately)'),
    roc: RocPoints,
    operatingPoint: OperatingPointResult.extend({ targetSensitivity: z.number() })
      .strict()
      .describe('The highest threshold with sensitivity ≥ targetSensitivity, with its specificity'),
    atThreshold: OperatingPointResult.describe('Sensitivity and specificity at the fixed threshold of the request'),
    youden: OperatingPointResult.extend({ j: z.number() })
      .strict()
      .describe("Threshold maximising Youden's J = sensitivity + specificity − 1"),
    files: z
      .object({ dir: z.string(), predictions: z.string(), result: z.string() })
      .strict()
      .describe('Absolute paths at the time of writing'),
    backend: z.string().describe('TensorFlow.js backend of the forward passes'),
    seconds: z.number().describe('Wall time of loading, forward passes and metrics'),
    createdAt: z.string(),
  })
  .strict()
  .describe('Result of one evaluation (job kind evaluate.run)');
export type EvaluationResult = z.infer<typeof EvaluationResult>;

/** Columns of predictions.csv, in order. */
export const PREDICTIONS_COLUMNS = [
  'image_id',
  'patient',
  'eye',
  'grade',
  'referable',
  'p_grade0',
  'p_grade1',
  'p_grade2',
  'p_grade3',
  'p_grade4',
  'p_referable',
] as const;

/** One row of the results table: one evaluation (run × dataset × split). */
export const ResultsRow = z
  .object({
    evaluation: z.string().describe('Folder name under evaluations/'),
    datasetId: z.string(),
    split: EvaluationSplit,
    referable: z.array(Grade),
    ...RunModelIdentity.omit({ inputSize: true }).shape,
    n: z.number().int(),
    positives: z.number().int(),
    auc: z.number(),
    delong: Interval,
    bootstrap: Interval.extend({ samples: z.number().int() }).strict(),
    operatingPoint: OperatingPointResult.extend({ targetSensitivity: z.number() }).strict(),
    overlapsTraining: z.boolean(),
    /** The evaluation's domain-shift warning (null: no shift found or not checked; absent: evaluated before the check). */
    shiftWarning: z.string().nullable().optional(),
    createdAt: z.string(),
    /** Epochs, lr, batch size and input size of the run (absent when the run folder is gone). */
    settings: RunSettings.optional(),
    /** Whether the run still matches the current grid (absent when the run folder is gone). */
    standing: RunStanding.optional(),
  })
  .strict();
export type ResultsRow = z.infer<typeof ResultsRow>;

export const ComparisonKind = z
  .enum(['CL vs FS', 'IFI vs IWNE'])
  .describe('CL vs FS within one initialisation, or IFI vs IWNE within one training method');
export type ComparisonKind = z.infer<typeof ComparisonKind>;

/** Paired DeLong test of two runs evaluated on the same images (A − B). */
export const PairedComparison = z
  .object({
    datasetId: z.string(),
    split: EvaluationSplit,
    referable: z.array(Grade),
    arch: z.string(),
    fraction: z.number(),
    seed: z.number().int(),
    kind: ComparisonKind,
    within: z.enum(['IFI', 'IWNE', 'FS', 'CL']).describe('The initialisation (CL vs FS) or method (IFI vs IWNE) both runs share'),
    a: z.object({ runId: z.string(), strategy: TrainingStrategy, evaluation: z.string() }).strict(),
    b: z.object({ runId: z.string(), strategy: TrainingStrategy, evaluation: z.string() }).strict(),
    overlapsTraining: z.boolean().describe("Either evaluation overlaps its run's training data"),
    test: z
      .object({
        n: z.number().int(),
        positives: z.number().int(),
        aucA: z.number(),
        aucB: z.number(),
        difference: z.number().describe('aucA − aucB'),
        se: z.number().describe('√Var(aucA − aucB) (DeLong)'),
        z: z.number().nullable().describe('difference / se; null when se = 0 and the AUCs differ (|z| = ∞)'),
        p: z.number().min(0).max(1).describe('Two-sided p-value'),
        lower: z.number(),
        upper: z.number(),
        level: z.number(),
      })
      .strict()
      .nullable()
      .describe('null when the comparison failed (see error)'),
    error: z.string().nullable().describe('Why the test could not be computed (e.g. the two predictions.csv hold different images)'),
  })
  .strict();
export type PairedComparison = z.infer<typeof PairedComparison>;

/**
 * One point of a Fig 2 line: the runs of one strategy at one label fraction (one per seed).
 * Band: one seed → its DeLong 95% CI; several seeds → the mean of the seeds' DeLong CI bounds
 * (lower = mean of the lowers, upper = mean of the uppers). min/max of the seeds' AUCs are reported
 * beside it so the seed spread can be drawn too.
 */
export const Fig2Point = z
  .object({
    fraction: z.number(),
    seeds: z.array(z.number().int()),
    runs: z.array(z.string()),
    meanAuc: z.number().describe('Mean AUC over the seeds'),
    lower: z.number().describe('Band lower bound (see band)'),
    upper: z.number().describe('Band upper bound'),
    band: z
      .enum(['delong-ci', 'mean-delong-ci'])
      .describe("delong-ci: one seed, its DeLong 95% CI; mean-delong-ci: mean of the seeds' DeLong CI bounds"),
    minAuc: z.number().describe('Lowest seed AUC'),
    maxAuc: z.number().describe('Highest seed AUC'),
  })
  .strict();
export type Fig2Point = z.infer<typeof Fig2Point>;

export const Fig2Series = z.object({ strategy: TrainingStrategy, points: z.array(Fig2Point).describe('Ascending fraction') }).strict();
export type Fig2Series = z.infer<typeof Fig2Series>;

/** One panel of Fig 2: one test set (dataset × split) with one referable set and one architecture. */
export const Fig2Panel = z
  .object({
    datasetId: z.string(),
    split: EvaluationSplit,
    referable: z.array(Grade),
    arch: z.string(),
    series: z.array(Fig2Series).describe('One line per strategy (IWNE-FS, IWNE-CL, IFI-FS, IFI-CL order)'),
  })
  .strict();
export type Fig2Panel = z.infer<typeof Fig2Panel>;

export const StudyResults = z
  .object({
    studyPath: z.string(),
    rows: z.array(ResultsRow),
    comparisons: z.array(PairedComparison),
    fig2: z.array(Fig2Panel),
    skipped: z.array(z.object({ path: z.string(), reason: z.string() }).strict()).describe('evaluations/* folders that could not be read'),
    includeOutdated: z
      .boolean()
      .optional()
      .describe('Evaluations of outdated runs are in rows, comparisons and Fig 2 (marked by their standing)'),
    excludedOutdated: z
      .array(z.object({ evaluation: z.string(), runId: z.string(), reasons: z.array(z.string()) }).strict())
      .optional()
      .describe('Evaluations of outdated runs left out of rows, comparisons and Fig 2 (includeOutdated false)'),
  })
  .strict()
  .describe('Every evaluation of a study: table, paired comparisons, Fig 2 series');
export type StudyResults = z.infer<typeof StudyResults>;
