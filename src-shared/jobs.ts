import { z } from 'zod';
import { DemoDataRequest, DemoDataResult, ImportRequest, ImportResult } from './datasets';
import { QuickBenchParams, QuickBenchResult, SelfTestParams, SelfTestResult } from './engine';
import { EvaluateRequest, EvaluationResult } from './evaluation';
import { ExplainRequest, ExplanationResult } from './explanations';
import { RobustnessRequest, RobustnessResult } from './robustness';
import { SpectraRequest, SpectraResult } from './spectra';
import { StudyPlan, StudyRunResult } from './study-plan';
import { TrainingResult, TrainingSpec } from './training';

/** The study report as a job: where to write it and whether image ids may appear. */
export const ReportRequest = z
  .object({
    out: z.string().min(1).regex(/\.pdf$/i, 'expected a .pdf file').optional().describe('PDF path; default <study>/reports/report-<date>.pdf'),
    revealImageIds: z.boolean().default(false).describe('Print real image identifiers instead of pseudonyms'),
  })
  .strict();
export type ReportRequest = z.output<typeof ReportRequest>;
export const ReportResult = z
  .object({
    pdf: z.string(),
    assetsDir: z.string(),
    pages: z.number().int(),
    figures: z.array(z.string()),
    tables: z.array(z.string()),
    sections: z.array(z.string()),
    bytes: z.number().int(),
  })
  .strict();

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type JobStatus = z.infer<typeof JobStatus>;
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export const JobProgress = z.object({
  done: z.number().nonnegative(),
  total: z.number().positive(),
  message: z.string(),
  /** Seconds left, estimated from the rate so far; null until there is a rate. */
  etaSeconds: z.number().nonnegative().nullable(),
});
export type JobProgress = z.infer<typeof JobProgress>;

/**
 * Every kind of job, with its parameters and its result. One entry per kind; the worker has a
 * handler for each. Later capabilities (import, train, evaluate, …) add entries here.
 */
export const JOB_KINDS = {
  'engine.selftest': { params: SelfTestParams, result: SelfTestResult, title: 'Compute backend self-test' },
  'engine.benchmark': { params: QuickBenchParams, result: QuickBenchResult, title: 'Speed measurement' },
  'dataset.import': { params: ImportRequest, result: ImportResult, title: 'Dataset import' },
  'dataset.demo': { params: DemoDataRequest, result: DemoDataResult, title: 'Demo data' },
  'train.run': { params: TrainingSpec, result: TrainingResult, title: 'Training run' },
  'evaluate.run': { params: EvaluateRequest, result: EvaluationResult, title: 'Evaluation' },
  'spectra.run': { params: SpectraRequest, result: SpectraResult, title: 'Spectra' },
  'robustness.run': { params: RobustnessRequest, result: RobustnessResult, title: 'Robustness' },
  'explain.run': { params: ExplainRequest, result: ExplanationResult, title: 'Explanations' },
  'report.build': { params: ReportRequest, result: ReportResult, title: 'Study report' },
  'study.run': { params: StudyPlan, result: StudyRunResult, title: 'Whole study' },
} as const;
export type JobKind = keyof typeof JOB_KINDS;
export const JobKindName = z.enum(Object.keys(JOB_KINDS) as [JobKind, ...JobKind[]]);

export type JobParams<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]['params']>;
export type JobResult<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]['result']>;

export const JobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('engine.selftest'), params: SelfTestParams.default(SelfTestParams.parse({})), studyPath: z.string().optional() }).strict(),
  /** A short speed measurement of one model configuration on the active backend (the study wizard's duration estimate). */
  z.object({ kind: z.literal('engine.benchmark'), params: QuickBenchParams.default(QuickBenchParams.parse({})), studyPath: z.string().optional() }).strict(),
  /** Imports a dataset into the study at `studyPath` (validation report + preprocessing cache). */
  z.object({ kind: z.literal('dataset.import'), params: ImportRequest, studyPath: z.string().min(1) }).strict(),
  /** Generates the synthetic demo data into the study and imports it (datasets demo, demo-idrid). */
  z.object({ kind: z.literal('dataset.demo'), params: DemoDataRequest.default(DemoDataRequest.parse({})), studyPath: z.string().min(1) }).strict(),
  /** One training run (strategy × fraction × seed) in the study at `studyPath`; resumes from its last checkpoint. */
  z.object({ kind: z.literal('train.run'), params: TrainingSpec, studyPath: z.string().min(1) }).strict(),
  /** Evaluates a trained run on a graded dataset of the study at `studyPath` (writes evaluations/<run>__<dataset>__<split>/). */
  z.object({ kind: z.literal('evaluate.run'), params: EvaluateRequest, studyPath: z.string().min(1) }).strict(),
  /** Spectra of a run on a dataset (writes spectra/<run>__<dataset>/). */
  z.object({ kind: z.literal('spectra.run'), params: SpectraRequest, studyPath: z.string().min(1) }).strict(),
  /** Robustness of runs to the corruptions (writes robustness/<dataset>__<hash>/). */
  z.object({ kind: z.literal('robustness.run'), params: RobustnessRequest, studyPath: z.string().min(1) }).strict(),
  /** LRP explanations of a run on a dataset with lesion masks (writes explanations/<run>__<dataset>/). */
  z.object({ kind: z.literal('explain.run'), params: ExplainRequest, studyPath: z.string().min(1) }).strict(),
  /** The study report (PDF + assets). */
  z.object({ kind: z.literal('report.build'), params: ReportRequest, studyPath: z.string().min(1) }).strict(),
  /** A whole study plan (datasets, grid, evaluations, analyses, report), resuming what is done; studyPath is the plan's study folder. */
  z.object({ kind: z.literal('study.run'), params: StudyPlan, studyPath: z.string().min(1) }).strict(),
]);
export type JobRequest = z.infer<typeof JobRequest>;

export const JobState = z.object({
  id: z.string(),
  kind: JobKindName,
  title: z.string(),
  status: JobStatus,
  params: z.unknown(),
  studyPath: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  progress: JobProgress,
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  result: z.unknown().nullable(),
  /** Last lines the job logged (the full log is in the job's folder). */
  log: z.array(z.string()),
});
export type JobState = z.infer<typeof JobState>;

export const JobId = z.object({ id: z.string().min(1).max(100) }).strict();
