/**
 * A whole study as one file (`funduslab study <study.json>`; the demo study builds one): datasets to
 * import, the training grid, the evaluations, the analyses and the report. Running it again resumes:
 * every step skips what is already done (imported datasets, finished runs, existing results).
 */
import { z } from 'zod';
import { studyRelativePath } from './user-path';
import { ImportRequest } from './datasets';
import { GridSpec } from './grid';
import { CorruptionName } from './robustness';

/** Which runs an analysis uses: one per strategy of the grid, at this fraction and seed. */
const RunChoice = {
  fraction: z.number().gt(0).max(1).default(1).describe('Label fraction of the runs analysed (one run per strategy)'),
  seed: z.number().int().nonnegative().default(0).describe('Seed of the runs analysed'),
};

export const StudyPlan = z
  .object({
    study: studyRelativePath('the study folder').describe(
      'Study folder (created when missing; relative paths are resolved against the plan file)',
    ),
    name: z.string().min(1).max(200).default('FundusLab study').describe('Study name (new studies only)'),
    datasets: z
      .array(
        z.custom<z.input<typeof ImportRequest>>((v) => ImportRequest.safeParse(v).success, {
          message: 'not a valid dataset import (see the import command; fields: docs/reference/study-plan.md "Dataset entries")',
        }),
      )
      .default([])
      .describe('Datasets to import (skipped when a dataset with that id is already in the study)'),
    grid: GridSpec.describe('The training grid (docs/reference/grid.md)'),
    evaluate: z
      .array(
        z
          .object({
            datasetId: z.string().min(1).describe('Dataset of the study to evaluate on'),
            split: z
              .enum(['test', 'train', 'all'])
              .optional()
              .describe("Images evaluated; default: the dataset's test split when it has one, else all its images"),
          })
          .strict(),
      )
      .default([])
      .describe('Test sets every finished run is evaluated on'),
    spectra: z
      .object({
        datasetId: z
          .string()
          .min(1)
          .describe('Imported, preprocessed dataset the images come from (its test split when it has one, else all images)'),
        images: z
          .number()
          .int()
          .min(3)
          .max(4096)
          .default(256)
          .describe('N: images whose activations are analysed (fewer when the split has fewer)'),
        ...RunChoice,
      })
      .strict()
      .nullable()
      .default(null)
      .describe('Representation spectra (Fig 3, Table 2)'),
    robustness: z
      .object({
        datasetId: z
          .string()
          .min(1)
          .describe("Graded dataset imported at the runs' input size (its test split when it has one, else all images)"),
        images: z.number().int().min(2).default(200).describe('At most this many graded images (the first ones in manifest order)'),
        corruptions: z.array(CorruptionName).min(1).optional().describe('Corruptions applied; default all 19'),
        severities: z
          .array(z.number().int().min(1).max(5))
          .min(1)
          .max(5)
          .default([1, 2, 3, 4, 5])
          .describe('Severities applied, 1 (mildest) to 5'),
        ...RunChoice,
      })
      .strict()
      .nullable()
      .default(null)
      .describe('Robustness to the corruptions (Fig 4)'),
    explain: z
      .object({
        datasetId: z
          .string()
          .min(1)
          .describe("Imported dataset with lesion masks (IDRiD segmentation), preprocessed at the runs' input size"),
        images: z.number().int().positive().optional().describe('The first N images in manifest order; default every preprocessed image'),
        ...RunChoice,
      })
      .strict()
      .nullable()
      .default(null)
      .describe('LRP explanations against lesion masks (Fig 5, Table 3)'),
    report: z
      .object({
        out: studyRelativePath('the PDF file').default('report.pdf').describe('PDF path (relative to the study folder)'),
        revealImageIds: z.boolean().default(false).describe('Print the real image identifiers instead of pseudonyms'),
      })
      .strict()
      .nullable()
      .default({ out: 'report.pdf', revealImageIds: false })
      .describe('The PDF report with its figures and tables (null: no report)'),
    revision: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        "Stored plan: its revision. A plan to run: the revision it was edited from; the run refuses it when the study's plan changed since (omit to replace the stored plan)",
      ),
  })
  .strict()
  .describe('A study from datasets to report');
export type StudyPlanInput = z.input<typeof StudyPlan>;
export type StudyPlan = z.output<typeof StudyPlan>;

/**
 * Something a whole study did not do (a blocked, invalid or failed run, an analysis without its runs):
 * what, why, and the action that fixes it, in the words of the app. A study with warnings finished
 * with warnings, never plainly.
 */
export const StudyWarning = z
  .object({
    item: z.string().describe('What was not done, e.g. "run ifi-fs-f1-s0" or "spectra"'),
    reason: z.string().describe('Why it was not done'),
    fix: z.string().describe('The action that fixes it'),
  })
  .strict();
export type StudyWarning = z.infer<typeof StudyWarning>;

/** What running a study plan did (job kind study.run, `funduslab study --json`). */
export const StudyRunResult = z
  .object({
    study: z.string(),
    runs: z
      .array(
        z
          .object({
            runId: z.string(),
            status: z
              .enum(['succeeded', 'stopped', 'failed', 'busy'])
              .describe(
                "stopped: finished after an epoch at the user's request (funduslab runs stop --after-epoch), not a failure; busy: another process trains the run now; left alone",
              ),
            bestValAuc: z.number().nullable(),
            error: z.string().nullable(),
          })
          .strict(),
      )
      .describe('Runs trained by this call'),
    evaluations: z.array(z.string()),
    spectra: z.array(z.string()),
    robustness: z.string().nullable(),
    explanations: z.array(z.string()),
    report: z.object({ pdf: z.string(), pages: z.number().int() }).strict().nullable(),
    skipped: z.array(z.object({ step: z.string(), reason: z.string() }).strict()),
    warnings: z.array(StudyWarning).describe('Everything the study did not do, with its reason and fix; empty when it finished cleanly'),
    seconds: z.number(),
  })
  .strict();
export type StudyRunResult = z.infer<typeof StudyRunResult>;
