/**
 * Representation analysis (docs/design.md "Condition number" and "First-layer spectrum"; paper Fig 3a,
 * Fig 3b, Table 2): the request of one spectra analysis (`funduslab spectra`; service
 * src-main/analysis/spectra/service.ts) and its result, written to
 * `spectra/<run-id>__<dataset-id>/result.json`. Plain JSON (no typed arrays, no Infinity/NaN), so it
 * crosses IPC unchanged and feeds the renderer's views directly.
 *
 * Definitions (implemented and tested in src-main/analysis/spectra):
 * - For every Conv, BatchNorm and Linear layer: the activations of N images in eval mode (BatchNorm
 *   with running statistics, not folded into the conv), flattened per image, standardised per
 *   feature as scikit-learn's StandardScaler (population std; constant features become 0);
 *   λ = the top-k PCA explained variances (eigenvalues of the covariance, N − 1 normalisation),
 *   k = min(k requested, N − 1, features); κ = |percentile(λ, high)| / |percentile(λ, low)| with
 *   NumPy's linear interpolation (paper: high 99.9, low 90).
 * - First layer (conv1): the spectrum as a distribution over component rank r = 1..k weighted by
 *   λ_r; mirrored (±r, weight λ_r/2 each) for display and kurtosis (Fisher, biased moments:
 *   scipy.stats.kurtosis's default); the 11 distributions fitted by maximum likelihood (scipy.stats
 *   `.fit`, loc and scale free) to the one-sided rank sample, scored by the residual sum of squares
 *   between its density histogram and each pdf at the bin centres; best = lowest RSS.
 */
import { z } from 'zod';
import { ResultSettings } from './result-settings';
import { RunId } from './ids';
import { DatasetId } from './datasets';
import { ResolvedNormalisation, RunModelIdentity } from './run-identity';

export const SPECTRA_SCHEMA_VERSION = 1;

export const SpectraSplit = z
  .enum(['test', 'train', 'all'])
  .describe("Images drawn from: 'test' = manifest split test; 'train' = split train or none; 'all' = every image with a cached input");
export type SpectraSplit = z.infer<typeof SpectraSplit>;

export const Percentiles = z
  .object({
    high: z.number().min(0).max(100).default(99.9).describe('Upper percentile of κ (paper 99.9)'),
    low: z.number().min(0).max(100).default(90).describe('Lower percentile of κ (paper 90)'),
  })
  .strict()
  .refine((p) => p.low < p.high, 'low must be below high');

export const SpectraRequest = z
  .object({
    runId: RunId.describe('Run whose selected model (runs/<run-id>/best/model.safetensors) is analysed'),
    datasetId: DatasetId.describe('Imported, preprocessed dataset the images come from'),
    images: z
      .number()
      .int()
      .min(3)
      .max(4096)
      .default(256)
      .describe('N: images whose activations are analysed (fewer when the split has fewer)'),
    split: SpectraSplit.optional().describe("Default: 'test' when the dataset has test-split images, else 'all'"),
    seed: z.number().int().min(0).max(0xffffffff).default(0).describe('Seed of the random choice of the N images (mulberry32)'),
    k: z
      .number()
      .int()
      .min(2)
      .max(4096)
      .default(100)
      .describe("Top-k eigenvalues per layer (paper 100; at most N − 1 and the layer's features)"),
    percentiles: Percentiles.prefault({}).describe('Percentiles of the condition number'),
    bins: z.number().int().min(2).max(10_000).optional().describe('Histogram bins of the first-layer fit (default k: one bin per rank)'),
    batchSize: z.number().int().min(1).max(1024).default(16).describe('Images per forward pass (results do not depend on it)'),
  })
  .strict()
  .describe('One spectra analysis of a trained run on a dataset');
export type SpectraRequestInput = z.input<typeof SpectraRequest>;
export type SpectraRequest = z.output<typeof SpectraRequest>;

export const LayerSpectrum = z
  .object({
    name: z.string().describe('torchvision module name, e.g. conv1, layer1.0.bn2, layer2.0.downsample.0, fc'),
    kind: z.enum(['conv', 'bn', 'linear']),
    moduleIndex: z.number().int().min(0).describe("Position in torchvision's module order (the x-axis of Fig 3a)"),
    shape: z.array(z.number().int().positive()).describe('Output shape per image: [H, W, C] or [classes]'),
    features: z.number().int().positive(),
    constantFeatures: z.number().int().min(0).describe('Features constant over the N images (standardised to 0)'),
    k: z.number().int().min(0).describe('Eigenvalues reported: min(k, N − 1, features)'),
    eigenvalues: z.array(z.number().min(0)).describe('Top-k PCA explained variances, descending'),
    kappa: z.number().nullable().describe('|P_high(λ)| / |P_low(λ)|; null when P_low is 0'),
    pHigh: z.number(),
    pLow: z.number(),
  })
  .strict();
export type LayerSpectrum = z.infer<typeof LayerSpectrum>;

export const DistributionFitRow = z
  .object({
    distribution: z.enum(['norm', 'expon', 'pareto', 'dweibull', 't', 'genextreme', 'gamma', 'lognorm', 'beta', 'uniform', 'loggamma']),
    names: z.array(z.string()).describe("Parameter names in scipy's order: shapes, loc, scale"),
    params: z.array(z.number()),
    logLikelihood: z.number().nullable().describe('Σ weight·log pdf over the rank sample; null when a rank has zero density'),
    rss: z.number().describe('Σ (histogram density − pdf(bin centre))²'),
    method: z.enum(['closed-form', 'nelder-mead']),
    iterations: z.number().int().min(0),
    converged: z.boolean(),
    pdfAtCentres: z.array(z.number()).describe('The fitted pdf at the histogram bin centres (to draw over the histogram)'),
  })
  .strict();
export type DistributionFitRow = z.infer<typeof DistributionFitRow>;

export const FirstLayerSpectrum = z
  .object({
    layer: z.string().describe('The first conv layer (conv1)'),
    eigenvalues: z.array(z.number()).describe('λ_1..λ_k (descending): rank r has weight λ_r'),
    mirrored: z
      .object({ x: z.array(z.number()).describe('−k..−1, 1..k'), density: z.array(z.number()).describe('λ_|x| / (2Σλ)') })
      .strict()
      .describe('Fig 3b: the mirrored spectrum as a density over rank'),
    kurtosis: z
      .number()
      .describe('Fisher (excess) kurtosis of the mirrored weighted sample, biased moments (scipy.stats.kurtosis default)'),
    fitSample: z
      .object({ values: z.array(z.number()), weights: z.array(z.number()) })
      .strict()
      .describe('The sample the distributions were fitted to: ranks 1..k with weights λ_r scaled to sum to 10,000'),
    histogram: z
      .object({ edges: z.array(z.number()), centres: z.array(z.number()), density: z.array(z.number()) })
      .strict()
      .describe('Density histogram of the rank sample (numpy.histogram density=True)'),
    fits: z.array(DistributionFitRow).describe('Ascending RSS (Table 2)'),
    failed: z.array(z.object({ distribution: z.string(), reason: z.string() }).strict()),
    best: z.string().nullable().describe('Distribution with the lowest RSS'),
    paretoAlpha: z.number().nullable().describe("Pareto shape α (scipy's b) of the Pareto fit"),
  })
  .strict();
export type FirstLayerSpectrum = z.infer<typeof FirstLayerSpectrum>;

export const SpectraTimings = z
  .object({
    dataMs: z.number().describe('Reading, decoding and normalising images'),
    forwardMs: z.number().describe('Forward passes (with copying the captured outputs into feature blocks)'),
    gramMs: z.number().describe('Standardising feature blocks and accumulating the N×N Gram matrices'),
    eigenMs: z.number().describe('Eigenvalues of the Gram matrices'),
    fitMs: z.number().describe('First-layer kurtosis, histogram and the 11 fits'),
    totalMs: z.number(),
    forwardPasses: z.number().int().describe('Forward passes over the images (1 unless the block storage budget split the layers)'),
  })
  .strict();
export type SpectraTimings = z.infer<typeof SpectraTimings>;

/** What the analysis computes for any model (also for a bare ResNet without a study). */
export const SpectraCore = z
  .object({
    n: z.number().int().min(2).describe('Images analysed'),
    inputSize: z.number().int(),
    k: z.number().int().describe('k requested'),
    percentiles: z.object({ high: z.number(), low: z.number() }).strict(),
    bins: z.number().int(),
    gramPrecision: z.enum(['backend', 'float64']),
    backend: z.string().describe('Active TensorFlow.js backend'),
    layers: z.array(LayerSpectrum).describe('Every Conv, BatchNorm and Linear layer, in torchvision module order'),
    firstLayer: FirstLayerSpectrum,
    timings: SpectraTimings,
  })
  .strict();
export type SpectraCore = z.infer<typeof SpectraCore>;

export const SpectraResult = SpectraCore.extend({
  schemaVersion: z.literal(SPECTRA_SCHEMA_VERSION),
  name: z
    .string()
    .describe('Folder under spectra/: <run-id>__<dataset-id>__<settings hash> (<run-id>__<dataset-id> before settings-named results)'),
  settings: ResultSettings.optional().describe('The settings the name hashes (absent in results written before)'),
  run: z
    .object({
      ...RunModelIdentity.omit({ inputSize: true }).shape,
      runId: RunId,
      normalisation: ResolvedNormalisation.strict(),
    })
    .strict(),
  dataset: z
    .object({
      datasetId: DatasetId,
      split: SpectraSplit,
      available: z.number().int(),
      seed: z.number().int(),
      imageIds: z.array(z.string()),
    })
    .strict(),
  created: z.string().describe('ISO time the analysis finished'),
}).strict();
export type SpectraResult = z.infer<typeof SpectraResult>;
