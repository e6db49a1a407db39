/**
 * Running a study's work on a Slurm cluster (docs/cluster.md): what a submission records in
 * `<study>/cluster/<submission-id>/submission.json`, what each task records while it runs, and the
 * status view that combines them with Slurm's own accounting (squeue, sacct, scontrol). The study
 * folder stays the single source of truth: a task reads its work from the submission and the study,
 * and a cell's status is still read from its run folder. Node-free.
 */
import { z } from 'zod';
import { TrainingStrategy } from './training';

/** The roles of a submission's Slurm jobs, in the order they run. */
export const CLUSTER_ROLES = ['prepare', 'pretrain', 'train', 'finish'] as const;
export const ClusterRole = z
  .enum(CLUSTER_ROLES)
  .describe(
    "prepare: imports a plan's datasets and saves its grid; pretrain: one array task per distinct MoCo v2 pretraining; train: one array task per training cell; finish: evaluations, analyses and the report",
  );
export type ClusterRole = z.infer<typeof ClusterRole>;

/** The sbatch settings of a submission (command-line options, over the study's cluster.json defaults). */
export const ClusterOptions = z
  .object({
    partition: z.string().min(1).optional().describe('Slurm partition (sbatch --partition)'),
    account: z.string().min(1).optional().describe('Account charged (sbatch --account)'),
    qos: z.string().min(1).optional().describe('Quality of service (sbatch --qos)'),
    gpusPerTask: z.number().int().nonnegative().optional().describe('GPUs per task (sbatch --gpus-per-task); 0 or absent: none'),
    cpusPerTask: z.number().int().positive().optional().describe('CPU cores per task (sbatch --cpus-per-task)'),
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/i, 'expected a size such as 32G or 16000M')
      .optional()
      .describe('Memory per task (sbatch --mem), e.g. 32G'),
    time: z
      .string()
      .regex(/^(\d+-)?\d+(:\d{1,2}){0,2}$/, 'expected a Slurm time such as 24:00:00, 90, or 1-12:00:00')
      .optional()
      .describe('Time limit per task (sbatch --time), e.g. 24:00:00'),
    maxParallel: z.number().int().positive().optional().describe('Array tasks running at once (the %K of --array=0-N%K)'),
    sbatchArgs: z
      .array(z.string())
      .default([])
      .describe('Further sbatch options, each written as an #SBATCH line (e.g. "--constraint=a100")'),
    setup: z.array(z.string()).default([]).describe('Shell lines run before each task (e.g. "module load cuda/11.2")'),
    signal: z
      .string()
      .regex(/^(B:)?[A-Z0-9]+@\d+$/, 'expected SIG@seconds such as USR1@120')
      .default('USR1@120')
      .describe('Signal Slurm sends before the time limit (sbatch --signal=B:<this>): the task checkpoints and requeues itself'),
    requeue: z.boolean().default(true).describe('sbatch --requeue: a preempted or failed node requeues the task'),
    timeCheck: z.boolean().default(true).describe('Refuse a --time shorter than the estimated time of the longest task'),
  })
  .strict();
export type ClusterOptions = z.output<typeof ClusterOptions>;
export type ClusterOptionsInput = z.input<typeof ClusterOptions>;

/** `<study>/cluster.json`: the study's cluster defaults (any ClusterOptions field); options given on the command line win. */
export const ClusterDefaults = ClusterOptions.partial().strict().describe("The study's cluster defaults (cluster.json)");
export type ClusterDefaults = z.infer<typeof ClusterDefaults>;

/** A training cell of a submission: its array index is its position in `cells`. */
export const SubmittedCell = z
  .object({
    runId: z.string(),
    strategy: TrainingStrategy,
    fraction: z.number(),
    seed: z.number().int(),
    /** specHash of the cell's parsed TrainingSpec at submission: a task refuses a cell whose grid settings changed since. */
    specHash: z.string(),
    /** Index into `pretrainings` of the MoCo v2 pretraining the cell fine-tunes from (IWNE-CL), else null. */
    pretraining: z.number().int().nonnegative().nullable(),
  })
  .strict();
export type SubmittedCell = z.infer<typeof SubmittedCell>;

export const SubmittedPretraining = z
  .object({
    /** The pretraining's folder name under pretrain/. */
    id: z.string(),
    /** A cell (index into `cells`) whose spec defines the pretraining. */
    cell: z.number().int().nonnegative(),
  })
  .strict();
export type SubmittedPretraining = z.infer<typeof SubmittedPretraining>;

/** One Slurm job of a submission (an array job for pretrain and train). */
export const SubmittedJob = z
  .object({
    role: ClusterRole,
    /** Slurm's job id (the array job id for arrays); null in a dry run or when submission stopped before it. */
    jobId: z.string().nullable(),
    /** The sbatch script, relative to the submission folder. */
    script: z.string(),
    /** Array tasks (1 for a plain job). */
    tasks: z.number().int().positive(),
    /** The array indices submitted (a retry submits only some); absent for a plain job. */
    indices: z.array(z.number().int().nonnegative()).optional(),
    /** The --dependency it was submitted with, as written in the script or set per task. */
    dependency: z.string().nullable(),
  })
  .strict();
export type SubmittedJob = z.infer<typeof SubmittedJob>;

/** `<study>/cluster/<id>/submission.json`. */
export const Submission = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    createdAt: z.string(),
    kind: z.enum(['grid', 'study']).describe('grid: `funduslab grid --executor slurm`; study: `funduslab study <plan> --executor slurm`'),
    /** The FundusLab version that submitted: every task checks it runs the same. */
    appVersion: z.string(),
    /** How tasks run FundusLab: the node executable and the CLI script, absolute. */
    cli: z.object({ node: z.string(), script: z.string() }).strict(),
    study: z.string(),
    /** The plan file the finish job runs (kind study, or a grid submission of a study with a stored plan), absolute. */
    plan: z.string().nullable(),
    options: ClusterOptions,
    cells: z.array(SubmittedCell),
    pretrainings: z.array(SubmittedPretraining),
    jobs: z.array(SubmittedJob),
    /** The submission this one retries (--retry-failed), or null. */
    retryOf: z.string().nullable(),
    dryRun: z.boolean(),
  })
  .strict();
export type Submission = z.infer<typeof Submission>;

/** What a task writes about itself in `<study>/cluster/<id>/tasks/<role>-<index>.json` (the study's own record, beside Slurm's). */
export const TaskRecord = z
  .object({
    role: ClusterRole,
    index: z.number().int().nonnegative(),
    jobId: z.string().describe('SLURM_JOB_ID of the task'),
    arrayJobId: z.string().nullable(),
    host: z.string(),
    state: z
      .enum(['running', 'done', 'failed', 'requeued', 'cancelled'])
      .describe('done: its work is finished (also when it was already done); requeued: checkpointed on a signal, Slurm runs it again'),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    /** Times this task started (1 + requeues). */
    starts: z.number().int().positive(),
    exitCode: z.number().int().nullable(),
    message: z.string().nullable(),
  })
  .strict();
export type TaskRecord = z.infer<typeof TaskRecord>;

/** One task as `cluster status` shows it: Slurm's view when it has one, else the task's record. */
export const ClusterTaskStatus = z
  .object({
    role: ClusterRole,
    index: z.number().int().nonnegative(),
    /** What the task works on: a run id, a pretraining id, "finish" or "prepare". */
    label: z.string(),
    jobId: z.string().nullable().describe('Slurm job id of the array job (or plain job)'),
    arrayIndex: z.number().int().nullable(),
    state: z.string().describe('Slurm state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, …) or UNKNOWN'),
    node: z.string().nullable(),
    elapsed: z.string().nullable().describe('Slurm elapsed time, e.g. 01:02:03'),
    exitCode: z.string().nullable().describe('Slurm exit code "code:signal"'),
    reason: z.string().nullable().describe('Why a pending task waits (Dependency, Resources, Priority, …)'),
    source: z.enum(['squeue', 'sacct', 'scontrol', 'record', 'none']).describe('Where the state comes from'),
    log: z.string().describe('The task log, absolute'),
    record: TaskRecord.nullable(),
  })
  .strict();
export type ClusterTaskStatus = z.infer<typeof ClusterTaskStatus>;

export const ClusterSubmissionStatus = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    kind: z.enum(['grid', 'study']),
    dryRun: z.boolean(),
    jobs: z.array(SubmittedJob),
    tasks: z.array(ClusterTaskStatus),
    /** Whether any task is pending or running (the submission can be cancelled). */
    active: z.boolean(),
    /** Tasks per state, e.g. {COMPLETED: 3, RUNNING: 1}. */
    counts: z.record(z.string(), z.number().int()),
  })
  .strict();
export type ClusterSubmissionStatus = z.infer<typeof ClusterSubmissionStatus>;

export const ClusterStatus = z
  .object({
    study: z.string(),
    /** Newest first. */
    submissions: z.array(ClusterSubmissionStatus),
    /** Whether squeue answered; false: the states come from the tasks' own records. */
    slurm: z.boolean(),
    /** Why Slurm's view is missing or partial (e.g. "squeue is not on PATH", "accounting (sacct) is disabled"). */
    notes: z.array(z.string()),
  })
  .strict();
export type ClusterStatus = z.infer<typeof ClusterStatus>;

/** The cluster state of a training run, for the Training page's runs grid: its latest submission's train task. */
export interface RunClusterState {
  submission: string;
  jobId: string | null;
  arrayIndex: number | null;
  state: string;
  reason: string | null;
}

/** run id → its latest cluster state (the newest submission that has the run as a cell). */
export function clusterStateByRun(status: ClusterStatus): Record<string, RunClusterState> {
  const out: Record<string, RunClusterState> = {};
  for (const sub of [...status.submissions].reverse()) {
    for (const t of sub.tasks) {
      if (t.role !== 'train') continue;
      out[t.label] = { submission: sub.id, jobId: t.jobId, arrayIndex: t.arrayIndex, state: t.state, reason: t.reason };
    }
  }
  return out;
}

/** Slurm states in which a task still waits or works (squeue lists it). */
export const ACTIVE_SLURM_STATES: readonly string[] = [
  'PENDING',
  'RUNNING',
  'CONFIGURING',
  'COMPLETING',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'SUSPENDED',
  'STOPPED',
  'SIGNALING',
  'STAGE_OUT',
];

/** Whether a Slurm state (as squeue/sacct print it, e.g. "CANCELLED by 0") is still active. */
export function isActiveSlurmState(state: string): boolean {
  return ACTIVE_SLURM_STATES.includes(state.split(/\s/)[0]!.replace(/\+$/, ''));
}
