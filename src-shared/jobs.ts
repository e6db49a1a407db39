import { z } from 'zod';
import { DemoDataRequest, DemoDataResult, ImportRequest, ImportResult } from './datasets';
import { QuickBenchParams, QuickBenchResult, SelfTestParams, SelfTestResult } from './engine';
import { EvaluateRequest, EvaluationResult } from './evaluation';
import { ExplainRequest, ExplanationResult } from './explanations';
import { RobustnessRequest, RobustnessResult } from './robustness';
import { SpectraRequest, SpectraResult } from './spectra';
import { StudyPlan, StudyRunResult, StudyWarning } from './study-plan';
import { TrainingResult, TrainingSpec } from './training';
import { StudyFolderPath, userPath } from './user-path';
import { StandinRequest, StandinResult } from './weights';

/** The study report as a job: where to write it and whether image ids may appear. */
export const ReportRequest = z
  .object({
    out: userPath('the PDF file')
      .pipe(z.string().regex(/\.pdf$/i, 'expected a .pdf file'))
      .optional()
      .describe('Absolute PDF path; default <study>/reports/report-<date>.pdf'),
    /** An existing file at `out` is replaced only when this is true; otherwise the report is refused before it is built. */
    overwrite: z.boolean().default(false).describe('Replace an existing file at out'),
    revealImageIds: z.boolean().default(false).describe('Print real image identifiers instead of pseudonyms'),
    includeOutdated: z
      .boolean()
      .optional()
      .describe('Show runs trained with settings the grid no longer has (marked outdated); default: leave them and their results out'),
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
  /** The training run the job trains now (a whole study trains its runs one after another); absent otherwise. */
  runId: z.string().optional(),
});
export type JobProgress = z.infer<typeof JobProgress>;

/**
 * How one job kind is declared: everything about it except the worker's handler. The request that
 * `jobs.submit` accepts (JobRequest) is generated from these entries, and the worker's common steps
 * (parse the parameters, check the study folder, start the engine) follow them.
 */
export interface JobKindSpec {
  /** The job's parameters (the request's `params`), parsed again by the worker before it runs the job. */
  params: z.ZodType;
  /** What the job returns; the worker checks each result against it before sending it. */
  result: z.ZodType;
  /** The job's title in the job list. */
  title: string;
  /** Names the parameters when the worker refuses them ("Invalid <label>: …"). */
  paramsLabel: string;
  /**
   * `optional`: the job may belong to a study (studyPath may be left out). Otherwise the request must
   * name the study folder, and `required` is the job as named in the refusal when it does not
   * ("<required> needs the study folder").
   */
  study: 'optional' | { required: string };
  /** The parameters may be left out; they then default to the schema's own defaults (`params.parse({})`). */
  defaultParams?: true;
  /** The worker starts the compute engine with the job's backend preference (and logs which backend is active) before the job runs. */
  engine: boolean;
}

/**
 * Every kind of job, declared once: its parameters and result, title, whether it needs the study
 * folder, default parameters, whether it runs on the compute engine. The worker has a handler for
 * each (src-main/worker/tasks.ts).
 */
export const JOB_KINDS = {
  /** The compute backend's self-test (a few timed training steps, checked against the CPU backend). */
  'engine.selftest': {
    params: SelfTestParams,
    result: SelfTestResult,
    title: 'Compute backend self-test',
    paramsLabel: 'self-test parameters',
    study: 'optional',
    defaultParams: true,
    engine: true,
  },
  /** A short speed measurement of one model configuration on the active backend (the study wizard's duration estimate). */
  'engine.benchmark': {
    params: QuickBenchParams,
    result: QuickBenchResult,
    title: 'Speed measurement',
    paramsLabel: 'speed measurement parameters',
    study: 'optional',
    defaultParams: true,
    engine: true,
  },
  /** Imports a dataset into the study at `studyPath` (validation report + preprocessing cache). */
  'dataset.import': {
    params: ImportRequest,
    result: ImportResult,
    title: 'Dataset import',
    paramsLabel: 'import request',
    study: { required: 'A dataset import' },
    engine: false,
  },
  /** Generates the synthetic demo data into the study and imports it (datasets demo, demo-idrid). */
  'dataset.demo': {
    params: DemoDataRequest,
    result: DemoDataResult,
    title: 'Demo data',
    paramsLabel: 'demo data request',
    study: { required: 'Demo data' },
    defaultParams: true,
    engine: false,
  },
  /** One training run (strategy × fraction × seed) in the study at `studyPath`; resumes from its last checkpoint. */
  'train.run': {
    params: TrainingSpec,
    result: TrainingResult,
    title: 'Training run',
    paramsLabel: 'training spec',
    study: { required: 'A training run' },
    engine: true,
  },
  /** Evaluates a trained run on a graded dataset of the study at `studyPath` (writes evaluations/<run>__<dataset>__<split>/). */
  'evaluate.run': {
    params: EvaluateRequest,
    result: EvaluationResult,
    title: 'Evaluation',
    paramsLabel: 'evaluation request',
    study: { required: 'An evaluation' },
    engine: true,
  },
  /** Spectra of a run on a dataset (writes spectra/<run>__<dataset>/). */
  'spectra.run': {
    params: SpectraRequest,
    result: SpectraResult,
    title: 'Spectra',
    paramsLabel: 'spectra request',
    study: { required: 'A spectra analysis' },
    engine: true,
  },
  /** Robustness of runs to the corruptions (writes robustness/<dataset>__<hash>/). */
  'robustness.run': {
    params: RobustnessRequest,
    result: RobustnessResult,
    title: 'Robustness',
    paramsLabel: 'robustness request',
    study: { required: 'A robustness analysis' },
    engine: true,
  },
  /** LRP explanations of a run on a dataset with lesion masks (writes explanations/<run>__<dataset>/). */
  'explain.run': {
    params: ExplainRequest,
    result: ExplanationResult,
    title: 'Explanations',
    paramsLabel: 'explain request',
    study: { required: 'An explanation' },
    engine: true,
  },
  /** The study report (PDF + assets). */
  'report.build': {
    params: ReportRequest,
    result: ReportResult,
    title: 'Study report',
    paramsLabel: 'report request',
    study: { required: 'A report' },
    engine: false,
  },
  /** A whole study plan (datasets, grid, evaluations, analyses, report), resuming what is done; studyPath is the plan's study folder. */
  'study.run': {
    params: StudyPlan,
    result: StudyRunResult,
    title: 'Whole study',
    paramsLabel: 'study plan',
    study: { required: 'A study' },
    engine: true,
  },
  /** Demo stand-ins for the IFI weights, derived in the study from the synthetic texture set as `study --demo` does (not ImageNet). */
  'weights.standin': {
    params: StandinRequest,
    result: StandinResult,
    title: 'Demo stand-in weights',
    paramsLabel: 'stand-in request',
    study: { required: 'Deriving demo stand-in weights' },
    defaultParams: true,
    engine: true,
  },
} as const satisfies Record<string, JobKindSpec>;
export type JobKind = keyof typeof JOB_KINDS;
export const JobKindName = z.enum(Object.keys(JOB_KINDS) as [JobKind, ...JobKind[]]);

export type JobParams<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]['params']>;
export type JobResult<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]['result']>;
/** Whether a job of this kind must name its study folder (its handler then always has one). */
export type JobNeedsStudy<K extends JobKind> = (typeof JOB_KINDS)[K]['study'] extends 'optional' ? false : true;

/** The request schema of one kind, typed as precisely as if written out by hand. */
type KindRequest<K extends JobKind> = z.ZodObject<
  {
    kind: z.ZodLiteral<K>;
    params: (typeof JOB_KINDS)[K] extends { defaultParams: true }
      ? z.ZodDefault<(typeof JOB_KINDS)[K]['params']>
      : (typeof JOB_KINDS)[K]['params'];
    studyPath: JobNeedsStudy<K> extends true ? typeof RequiredStudyPath : typeof OptionalStudyPath;
  },
  z.core.$strict
>;
type AnyKindRequest = { [K in JobKind]: KindRequest<K> }[JobKind];

/** The study folder of a job that needs one: the user path rule (absolute, normalised, outside the system folders). */
const RequiredStudyPath = StudyFolderPath;
/** The study folder of a job that may belong to a study: left out, empty (none), or a user path. */
const OptionalStudyPath = userPath('the study folder', { allowEmpty: true }).optional();

/**
 * `{ kind, params, studyPath }` of one kind, nothing else: params defaulted when the kind has default parameters, studyPath required
 * (non-empty) when the kind needs the study folder.
 */
function kindRequest<K extends JobKind>(kind: K): KindRequest<K> {
  const spec: JobKindSpec = JOB_KINDS[kind];
  return z
    .object({
      kind: z.literal(kind),
      params: spec.defaultParams ? spec.params.default(spec.params.parse({})) : spec.params,
      studyPath: spec.study === 'optional' ? OptionalStudyPath : RequiredStudyPath,
    })
    .strict() as unknown as KindRequest<K>;
}

/** What `jobs.submit` accepts: one request shape per kind of JOB_KINDS, told apart by `kind`. */
export const JobRequest = z.discriminatedUnion('kind', JobKindName.options.map(kindRequest) as [AnyKindRequest, ...AnyKindRequest[]]);
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
  /**
   * What a succeeded job did not do (a whole study's blocked, failed or skipped items), from its result: a job with warnings
   * finished with warnings, not cleanly. Absent or empty: none.
   */
  warnings: z.array(StudyWarning).optional(),
});
export type JobState = z.infer<typeof JobState>;

export const JobWarning = StudyWarning;
export type JobWarning = StudyWarning;

/** The warnings a job result carries (a `warnings` list of {item, reason, fix}); none for other results. */
export function resultWarnings(result: unknown): JobWarning[] {
  if (result === null || typeof result !== 'object' || !('warnings' in result)) return [];
  const parsed = z.array(StudyWarning).safeParse((result as { warnings: unknown }).warnings);
  return parsed.success ? parsed.data : [];
}

export const JobId = z.object({ id: z.string().min(1).max(100) }).strict();
