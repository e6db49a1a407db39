/**
 * Robustness to image distortions (docs/design.md "Robustness"; paper Fig 4): the request
 * (`funduslab robustness`, the robustness.run job) and its result
 * robustness/<dataset-id>__<hash of the runs>__<settings hash>/result.json (+ gallery/*.png of one chosen image).
 *
 * Score of a model on one corruption × severity: the mean over the images of its probability for
 * the image's true class, P(referable) for referable images and 1 − P(referable) for the others
 * (referable set: each run's own). Every model sees the same corrupted images (the corruption's
 * seed derives from (seed, image index, corruption, severity)), so differences are paired. Fig 4:
 * for each initialisation, CL − FS of that score per corruption × severity (runs paired by fraction
 * and seed); positive = the contrastive model is more robust.
 */
import { z } from 'zod';
import { ResultSettings } from './result-settings';
import { RunId } from './ids';
import { DatasetId } from './datasets';
import { RunModelIdentity } from './run-identity';

export const CORRUPTION_NAMES = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'glass_blur',
  'motion_blur',
  'zoom_blur',
  'snow',
  'frost',
  'fog',
  'brightness',
  'contrast',
  'elastic_transform',
  'pixelate',
  'jpeg_compression',
  'speckle_noise',
  'gaussian_blur',
  'spatter',
  'saturate',
] as const;
/** How each corruption is named for readers (figures, tables, the report), beside its code name. */
export const CORRUPTION_DISPLAY_NAMES: Readonly<Record<(typeof CORRUPTION_NAMES)[number], string>> = {
  gaussian_noise: 'Gaussian noise',
  shot_noise: 'Shot noise',
  impulse_noise: 'Impulse noise',
  defocus_blur: 'Defocus blur',
  glass_blur: 'Glass blur',
  motion_blur: 'Motion blur',
  zoom_blur: 'Zoom blur',
  snow: 'Snow',
  frost: 'Frost',
  fog: 'Fog',
  brightness: 'Brightness',
  contrast: 'Contrast',
  elastic_transform: 'Elastic transform',
  pixelate: 'Pixelate',
  jpeg_compression: 'JPEG compression',
  speckle_noise: 'Speckle noise',
  gaussian_blur: 'Gaussian blur',
  spatter: 'Spatter',
  saturate: 'Saturate',
};

/** The reader's name of a corruption: "Gaussian noise"; "Clean" for the uncorrupted images; an unknown code with spaces for underscores. */
export function corruptionDisplayName(name: string): string {
  if (name === 'clean') return 'Clean';
  return (CORRUPTION_DISPLAY_NAMES as Record<string, string>)[name] ?? name.replace(/_/g, ' ');
}
export const CorruptionName = z.enum(CORRUPTION_NAMES);
export type CorruptionName = z.infer<typeof CorruptionName>;

export const RobustnessRequest = z
  .object({
    runIds: z
      .array(RunId)
      .min(1)
      .max(64)
      .describe('Runs to compare (their selected models); typically the four strategies at one fraction and seed'),
    datasetId: DatasetId.describe("Graded dataset imported at the runs' input size"),
    split: z
      .enum(['test', 'train', 'all'])
      .optional()
      .describe("Images used: default 'test' when the dataset has a test split, else 'all'"),
    images: z
      .number()
      .int()
      .min(2)
      .max(100_000)
      .default(200)
      .describe('At most this many graded images (the first ones in manifest order)'),
    corruptions: z.array(CorruptionName).min(1).optional().describe('Default all 19'),
    severities: z.array(z.number().int().min(1).max(5)).min(1).max(5).default([1, 2, 3, 4, 5]),
    seed: z.number().int().nonnegative().default(0).describe('Seed of the stochastic corruptions'),
    galleryImage: z
      .string()
      .min(1)
      .optional()
      .describe('Image id shown under every corruption in the gallery; default the first referable image'),
    batchSize: z.number().int().positive().max(512).default(32),
  })
  .strict();
export type RobustnessRequestInput = z.input<typeof RobustnessRequest>;
export type RobustnessRequest = z.output<typeof RobustnessRequest>;

export const RobustnessCell = z
  .object({
    corruption: z.union([CorruptionName, z.literal('clean')]),
    severity: z.number().int().min(0).max(5).describe('0 for the clean images'),
    meanTrueClassProbability: z.number().min(0).max(1),
    auc: z.number().min(0).max(1).nullable(),
  })
  .strict();
export type RobustnessCell = z.infer<typeof RobustnessCell>;

export const RobustnessModel = z
  .object({
    ...RunModelIdentity.shape,
    referable: z.array(z.number().int()),
    cells: z.array(RobustnessCell).describe('clean first, then corruption-major, severity ascending'),
  })
  .strict();
export type RobustnessModel = z.infer<typeof RobustnessModel>;

export const RobustnessDifference = z
  .object({
    initialisation: z.enum(['IWNE', 'IFI']),
    fraction: z.number(),
    seed: z.number().int(),
    cl: z.string().describe('CL run id'),
    fs: z.string().describe('FS run id'),
    cells: z.array(
      z
        .object({
          corruption: CorruptionName,
          severity: z.number().int(),
          difference: z.number().describe('CL − FS mean true-class probability'),
        })
        .strict(),
    ),
  })
  .strict();
export type RobustnessDifference = z.infer<typeof RobustnessDifference>;

export const RobustnessResult = z
  .object({
    schemaVersion: z.literal(1),
    name: z
      .string()
      .describe(
        'Folder under robustness/: <dataset-id>__<hash of the runs>__<settings hash> (no settings hash before settings-named results)',
      ),
    settings: ResultSettings.optional().describe('The settings the name hashes (absent in results written before)'),
    datasetId: z.string(),
    split: z.enum(['test', 'train', 'all']),
    images: z.number().int(),
    positives: z.number().int(),
    seed: z.number().int(),
    corruptions: z.array(CorruptionName),
    severities: z.array(z.number().int()),
    models: z.array(RobustnessModel),
    fig4: z.array(RobustnessDifference).describe('CL − FS per initialisation, for every (fraction, seed) with both runs'),
    gallery: z
      .object({
        image: z.string().describe('Pseudonymised in reports; the id as in the dataset here'),
        files: z.array(
          z
            .object({
              corruption: z.union([CorruptionName, z.literal('clean')]),
              severity: z.number().int(),
              file: z.string().describe('Relative to the result folder'),
            })
            .strict(),
        ),
      })
      .strict()
      .nullable(),
    timing: z
      .object({
        corruptSeconds: z.record(z.string(), z.number()).describe('Seconds spent corrupting, per corruption'),
        modelSeconds: z.number().describe('Seconds of model forward passes'),
        totalSeconds: z.number(),
      })
      .strict(),
    backend: z.string(),
    createdAt: z.string(),
  })
  .strict();
export type RobustnessResult = z.infer<typeof RobustnessResult>;
