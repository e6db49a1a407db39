/**
 * The domain-shift check between a run's training images and a test set (docs/design.md "Domain shift"):
 * statistics of the preprocessed inputs inside the fundus, compared per channel, with an equalisation
 * indicator and a plain-language warning. Computed by src-main/services/evaluation/shift.ts.
 */
import { z } from 'zod';

export const SHIFT_CHANNELS = ['red', 'green', 'blue'] as const;

/**
 * Thresholds of the check. A channel is shifted when |SMD| ≥ smd or its JS divergence ≥ jsd; the sets differ in
 * equalisation when one's median flatness distance is below `equalised` and the other's is not.
 */
export const SHIFT_THRESHOLDS = { smd: 0.5, jsd: 0.1, equalised: 0.14 } as const;

const Triple = z.tuple([z.number(), z.number(), z.number()]);

/** One side of the comparison: a set of images of one dataset, inside the fundus, pixel values scaled to [0, 1]. */
export const InputSetSummary = z
  .object({
    datasetId: z.string(),
    images: z.number().int().describe('Images whose statistics were pooled'),
    mean: Triple.describe('Mean of R, G, B inside the fundus over all pixels of the set'),
    std: Triple.describe('Standard deviation of R, G, B inside the fundus over all pixels of the set'),
    flatness: z
      .number()
      .describe("Median over the images of the luminance histogram's distance to uniform (W1 between its CDF and the uniform CDF)"),
    equalised: z.boolean().describe('flatness < the equalised threshold: the images look histogram-equalised'),
    equalisedShare: z.number().describe('Share of the images whose own flatness is below the threshold'),
  })
  .strict();
export type InputSetSummary = z.infer<typeof InputSetSummary>;

export const ChannelShift = z
  .object({
    channel: z.enum(SHIFT_CHANNELS),
    smd: z.number().describe('Standardised mean difference (test − training) / √((σ²train + σ²test)/2)'),
    jsd: z.number().describe('Jensen–Shannon divergence (base 2, 0–1) of the two 32-bin histograms'),
    shifted: z.boolean(),
  })
  .strict();
export type ChannelShift = z.infer<typeof ChannelShift>;

export const DomainShift = z.discriminatedUnion('checked', [
  z
    .object({
      checked: z.literal(true),
      runId: z.string(),
      inputSize: z.number().int(),
      training: InputSetSummary,
      test: InputSetSummary,
      channels: z.array(ChannelShift).length(3),
      thresholds: z.object({ smd: z.number(), jsd: z.number(), equalised: z.number() }).strict(),
      equalisationDiffers: z.boolean(),
      shifted: z.boolean().describe('Equalisation differs or some channel is shifted: the warning is given'),
      warning: z.string().nullable().describe('The plain-language warning (null: no shift found)'),
    })
    .strict(),
  z
    .object({
      checked: z.literal(false),
      reason: z.string().describe('Why the check could not be made (e.g. the training dataset is no longer in the study)'),
    })
    .strict(),
]);
export type DomainShift = z.infer<typeof DomainShift>;
