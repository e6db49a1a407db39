/**
 * The study's trash: what can be deleted (runs, evaluations, analyses, datasets, reports), a trash
 * entry as the app and the CLI list it, and the answers of a deletion. Deleting moves the item into
 * `<study>/.trash/<timestamp>/` (restorable); only emptying the trash removes files.
 */
import { z } from 'zod';

/** What can be deleted: a run folder, a result folder of each analysis, a dataset or a PDF report. */
export const TRASH_KINDS = ['run', 'evaluation', 'spectra', 'robustness', 'explanation', 'dataset', 'report'] as const;
export const TrashKind = z.enum(TRASH_KINDS);
export type TrashKind = z.infer<typeof TrashKind>;

/** How each kind is named to the user (singular). */
export const TRASH_KIND_LABELS: Record<TrashKind, string> = {
  run: 'run',
  evaluation: 'evaluation',
  spectra: 'spectra analysis',
  robustness: 'robustness analysis',
  explanation: 'explanation',
  dataset: 'dataset',
  report: 'report',
};

/**
 * The item's name as the study names it: a folder name under runs/, evaluations/, spectra/,
 * robustness/, explanations/, datasets/ or a .pdf file name under reports/ — never a path (each kind
 * checks its own stricter rule before any file is touched).
 */
export const TrashItemName = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._ -]*$/, 'A folder or file name of the study, without folders');

/** A trash entry's id: the time of the deletion (`2026-01-31T12-00-00.000Z`, `-2`… when two fall in the same millisecond). */
export const TrashEntryId = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z(-\d{1,4})?$/, 'A trash entry id such as 2026-01-31T12-00-00.000Z');

/** The manifest written into each trash entry before anything is moved. */
export const TrashManifest = z
  .object({
    schemaVersion: z.literal(1),
    kind: TrashKind,
    name: z.string(),
    /** ISO time of the deletion. */
    deletedAt: z.string(),
    /** The moved files and folders, relative to the study (forward slashes); the entry holds each at the same relative path. */
    paths: z.array(z.string()).min(1),
  })
  .strict();
export type TrashManifest = z.infer<typeof TrashManifest>;

/** One entry of the trash as the app and `funduslab trash list` show it. */
export const TrashEntry = z
  .object({
    id: z.string(),
    kind: TrashKind.nullable(),
    name: z.string().nullable(),
    deletedAt: z.string().nullable(),
    /** Where the item was, relative to the study. */
    paths: z.array(z.string()),
    /** Paths of the manifest the entry does not hold (a deletion interrupted before it moved them). */
    missing: z.array(z.string()),
    /** Why the entry cannot be restored (no readable manifest), or null. */
    problem: z.string().nullable(),
  })
  .strict();
export type TrashEntry = z.infer<typeof TrashEntry>;

/** What depends on a dataset: the runs trained on it and the results computed on it. */
export const DatasetDependents = z
  .object({
    runs: z.array(z.string()),
    evaluations: z.array(z.string()),
    spectra: z.array(z.string()),
    robustness: z.array(z.string()),
    explanations: z.array(z.string()),
  })
  .strict();
export type DatasetDependents = z.infer<typeof DatasetDependents>;

/** The answer of a deletion: moved into the trash, or (a dataset with dependents, no `confirm`) nothing moved and what depends on it. */
export const TrashDeleteResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('deleted'), entry: TrashEntry }).strict(),
  z.object({ status: z.literal('needs-confirmation'), message: z.string(), dependents: DatasetDependents }).strict(),
]);
export type TrashDeleteResult = z.infer<typeof TrashDeleteResult>;

/** Every dependent of a dataset, as one list of `<kind> <name>` lines. */
export function dependentLines(d: DatasetDependents): string[] {
  return [
    ...d.runs.map((n) => `run ${n}`),
    ...d.evaluations.map((n) => `evaluation ${n}`),
    ...d.spectra.map((n) => `spectra ${n}`),
    ...d.robustness.map((n) => `robustness ${n}`),
    ...d.explanations.map((n) => `explanation ${n}`),
  ];
}

/** The question asked before a dataset with dependents is deleted: what depends on it and that only the dataset moves. */
export function datasetConfirmMessage(datasetId: string, d: DatasetDependents): string {
  const lines = dependentLines(d);
  return (
    `Dataset "${datasetId}" is used by ${lines.length} item${lines.length === 1 ? '' : 's'}: ${lines.join(', ')}. ` +
    'Only the dataset moves to the trash; these stay in the study, but cannot be retrained, evaluated or analysed again until the dataset is restored.'
  );
}
