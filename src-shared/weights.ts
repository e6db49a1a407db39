import { z } from 'zod';
import { AbsolutePath } from './study';

/** What importing a weights file into one architecture would do (see src-main/engine/weights/import.ts). */
export const ImportPlanSummary = z.object({
  arch: z.string(),
  classes: z.number().int(),
  ok: z.boolean(),
  moco: z.boolean(),
  loaded: z.array(z.object({ name: z.string(), source: z.string(), shape: z.array(z.number().int()) })),
  skipped: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), reason: z.string() })),
  reinitialised: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), reason: z.string() })),
  missing: z.array(z.object({ name: z.string(), expectedShape: z.array(z.number().int()) })),
  mismatched: z.array(
    z.object({ name: z.string(), source: z.string(), expectedShape: z.array(z.number().int()), foundShape: z.array(z.number().int()) }),
  ),
  unexpected: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) })),
});
export type ImportPlanSummary = z.infer<typeof ImportPlanSummary>;

/** `weights inspect`: what a weights file holds and what an import into each architecture would load, skip and re-initialise. */
export const WeightsInspection = z.object({
  file: z.string(),
  format: z.enum(['torch-zip', 'torch-legacy', 'safetensors', 'tfjs']),
  layout: z.enum(['torch', 'tfjs']),
  stateDictKey: z.string().nullable(),
  otherFields: z.array(z.object({ key: z.string(), description: z.string() })),
  metadata: z.record(z.string(), z.string()),
  tensors: z.object({
    count: z.number().int(),
    elements: z.number().int(),
    parameters: z.number().int(),
    dtypes: z.record(z.string(), z.number().int()),
  }),
  detected: z
    .object({
      arch: z.string(),
      depth: z.number().int(),
      width: z.number().int(),
      block: z.enum(['basic', 'bottleneck']),
      classes: z.number().int().nullable(),
      moco: z.boolean(),
    })
    .nullable(),
  imports: z.array(ImportPlanSummary),
});
export type WeightsInspection = z.infer<typeof WeightsInspection>;

export const WeightsInspectRequest = z
  .object({
    /** Absolute path of a .pth/.pt/.tar (torch.save), .safetensors or tfjs model.json file. */
    path: AbsolutePath,
    classes: z.number().int().min(1).max(1000).default(5),
    archs: z
      .array(z.string().regex(/^resnet(18|34|50|101|152)(-w\d{1,3})?$/))
      .max(8)
      .optional(),
  })
  .strict();

/**
 * The demo stand-ins for the IFI weights, derived in the study as `funduslab study --demo` derives them (job kind
 * `weights.standin`): from FundusLab's synthetic texture set, NOT ImageNet, and labelled so in the files and the report.
 */
export const StandinRequest = z
  .object({
    arch: z
      .string()
      .min(1)
      .max(100)
      .default('resnet18-w8')
      .describe("Architecture of the stand-ins (the grid's, so they load into its runs)"),
    inputSize: z.number().int().min(16).max(1024).default(64).describe('Input size the stand-ins are trained at'),
    scale: z.enum(['demo', 'tiny']).default('demo').describe("demo: the demo study's sizes; tiny: the smallest (tests)"),
  })
  .strict();
export type StandinRequest = z.output<typeof StandinRequest>;
export const StandinResult = z
  .object({
    imagenetWeights: z.string().describe('The "ImageNet" stand-in for IFI-FS (supervised on the textures)'),
    mocoWeights: z.string().describe('The "MoCo v2 ImageNet" stand-in for IFI-CL (MoCo v2 on the textures)'),
    images: z.number().int(),
    classes: z.number().int(),
    supervisedAccuracy: z.number(),
    mocoFinalLoss: z.number().nullable(),
  })
  .strict();
export type StandinResult = z.infer<typeof StandinResult>;
