/**
 * Slurm on the command line (docs/cluster.md):
 * - `funduslab grid --study <dir> --executor slurm [options]` and `funduslab study <plan.json> --executor slurm [options]`
 *   submit (submitGrid, submitPlan below; the options are SLURM_OPTIONS);
 * - `funduslab cluster status --study <dir> [--json]`, `funduslab cluster cancel --study <dir> [--submission ID]`;
 * - the tasks' own commands, written into the sbatch scripts: `funduslab grid --study <dir> --submission <id> --cell <i>`
 *   (runGridCell), `funduslab cluster pretrain|finish|prepare --study <dir> --submission <id> [--task <j>]`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ClusterOptions, type ClusterOptionsInput, type ClusterStatus, type Submission } from '../../../src-shared/cluster';
import { AppError } from '../../../src-shared/errors';
import { canonicalJson, TrainingSpec } from '../../../src-shared/training';
import { StudyPlan } from '../../../src-shared/study-plan';
import { initEngine } from '../../engine/backend';
import type { JobContext } from '../../job-context';
import { cancelSubmissions, clusterStatus } from '../../services/cluster/status';
import { submitToSlurm } from '../../services/cluster/submit';
import { currentCell, runClusterTask } from '../../services/cluster/task';
import { listDatasets } from '../../services/datasets/view/study-datasets';
import { studyLayout } from '../../services/study-folder/layout';
import { withStudyLock } from '../../services/study-folder/lock';
import { StudyService } from '../../services/study-folder/study-service';
import { readGrid, saveGrid } from '../../services/training/grid';
import { runPretraining } from '../../services/training/pretrain';
import { runTraining } from '../../services/training/run';
import { buildReport } from '../../report/report';
import { readStudyPlan, resolvePlanPaths, writeStudyPlan } from '../../study-run/plan-file';
import { runStudy } from '../../study-run/run-study';
import { APP_VERSION } from '../../version';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';

/** The sbatch options `grid` and `study` accept with `--executor slurm`. */
export const SLURM_OPTIONS = {
  executor: { type: 'string' },
  partition: { type: 'string' },
  account: { type: 'string' },
  qos: { type: 'string' },
  'gpus-per-task': { type: 'string' },
  'cpus-per-task': { type: 'string' },
  mem: { type: 'string' },
  time: { type: 'string' },
  'max-parallel': { type: 'string' },
  'sbatch-arg': { type: 'string', multiple: true },
  setup: { type: 'string', multiple: true },
  signal: { type: 'string' },
  'no-requeue': { type: 'boolean', default: false },
  'no-time-check': { type: 'boolean', default: false },
  'retry-failed': { type: 'boolean', default: false },
} as const;

export const SLURM_USAGE =
  '--executor slurm [--partition P] [--account A] [--qos Q] [--gpus-per-task N] [--cpus-per-task N] [--mem 32G] [--time 24:00:00] ' +
  '[--max-parallel K] [--sbatch-arg "--constraint=a100"]… [--setup "module load cuda/11.2"]… [--signal USR1@120] [--no-requeue] ' +
  '[--no-time-check] [--retry-failed] [--dry-run]';

type SlurmValues = {
  [K in keyof typeof SLURM_OPTIONS]?: (typeof SLURM_OPTIONS)[K] extends { multiple: true } ? string[] : string | boolean;
};

/** True for `--executor slurm`; refuses another executor than local/slurm, and a Slurm option without `--executor slurm`. */
export function wantsSlurm(values: SlurmValues): boolean {
  const executor = values.executor;
  if (executor !== undefined && executor !== 'local' && executor !== 'slurm')
    throw new AppError('BAD_REQUEST', `--executor must be local or slurm (got "${String(executor)}").`, [
      { path: 'executor', message: 'local | slurm' },
    ]);
  if (executor === 'slurm') return true;
  const given = (Object.keys(SLURM_OPTIONS) as (keyof typeof SLURM_OPTIONS)[]).find((k) => {
    const v = values[k];
    return k !== 'executor' && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
  });
  if (given)
    throw new AppError('BAD_REQUEST', `--${given} is an option of --executor slurm; add --executor slurm to submit to a Slurm cluster.`, [
      { path: given, message: 'only with --executor slurm' },
    ]);
  return false;
}

function positiveInt(value: unknown, option: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new AppError('BAD_REQUEST', `--${option} must be a whole number ≥ ${min} (got "${String(value)}").`, [
      { path: option, message: 'not a count' },
    ]);
  return n;
}

/** The ClusterOptions input from the command line (absent options are left to cluster.json and the defaults). */
export function clusterOptionsFromArgs(v: SlurmValues): ClusterOptionsInput {
  const s = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const input: ClusterOptionsInput = {
    partition: s(v.partition),
    account: s(v.account),
    qos: s(v.qos),
    gpusPerTask: positiveInt(v['gpus-per-task'], 'gpus-per-task', 0),
    cpusPerTask: positiveInt(v['cpus-per-task'], 'cpus-per-task'),
    mem: s(v.mem),
    time: s(v.time),
    maxParallel: positiveInt(v['max-parallel'], 'max-parallel'),
    sbatchArgs: (v['sbatch-arg'] as string[] | undefined) ?? [],
    setup: (v.setup as string[] | undefined) ?? [],
    ...(s(v.signal) ? { signal: s(v.signal) } : {}),
    ...(v['no-requeue'] ? { requeue: false } : {}),
    ...(v['no-time-check'] ? { timeCheck: false } : {}),
  };
  // Names the option (not the schema field) when a value is malformed.
  const parsed = ClusterOptions.partial().safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    const option = field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace('sbatch-args', 'sbatch-arg');
    throw new AppError('BAD_REQUEST', `--${option}: ${issue.message}`, [{ path: option, message: issue.message }]);
  }
  return input;
}

/** The plan the finish job runs for a grid submission: the stored plan when its grid is the study's grid, else none (report only). */
async function planForGrid(study: string): Promise<string | null> {
  const [plan, grid] = await Promise.all([readStudyPlan(study), readGrid(study)]);
  if (!plan || !grid) return null;
  return canonicalJson(plan.grid) === canonicalJson(grid) ? studyLayout(study).planFile : null;
}

function printSubmission(sub: Submission, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(JSON.stringify({ ok: true, value: sub }, null, 2) + '\n');
    return;
  }
  const dir = studyLayout(sub.study).clusterSubmission(sub.id).dir;
  const lines = [
    `${sub.dryRun ? 'Dry run (nothing submitted)' : 'Submitted'}: submission ${sub.id} · ${sub.cells.length} training cell(s), ${sub.pretrainings.length} pretraining(s)`,
    ...sub.jobs.map(
      (j) =>
        `  ${j.role.padEnd(8)} ${j.jobId ?? '(not submitted)'}  ${j.tasks} task(s)${j.dependency ? `  after ${j.dependency}` : ''}  ${path.join(dir, j.script)}`,
    ),
    `Logs: ${dir}/<job>_<task>.log · status: funduslab cluster status --study ${sub.study}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** `funduslab grid --study <dir> --executor slurm …`. */
export async function submitGrid(study: string, values: SlurmValues & { 'dry-run'?: boolean; json?: boolean }): Promise<number> {
  const ctx = cliContext('grid', values.json);
  const sub = await withStudyLock(study, 'funduslab grid --executor slurm (submitting)', async () =>
    submitToSlurm({
      study,
      kind: 'grid',
      options: clusterOptionsFromArgs(values),
      retryFailed: values['retry-failed'] === true,
      dryRun: values['dry-run'] === true,
      plan: await planForGrid(study),
      log: ctx.log,
    }),
  ).finally(ctx.end);
  printSubmission(sub, values.json);
  return 0;
}

/** `funduslab study <plan.json> --executor slurm …`: the study, its plan and grid are written here; imports run as the prepare job. */
export async function submitPlan(
  raw: unknown,
  baseDir: string,
  values: SlurmValues & { 'dry-run'?: boolean; json?: boolean },
): Promise<number> {
  const parsed = StudyPlan.safeParse(raw);
  if (!parsed.success)
    throw new AppError(
      'BAD_REQUEST',
      `The study plan is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const plan = resolvePlanPaths(parsed.data, baseDir);
  const study = path.resolve(baseDir, parsed.data.study);
  const ctx = cliContext('study', values.json);
  const sub = await withStudyLock(study, 'funduslab study --executor slurm (submitting)', async () => {
    if (!existsSync(studyLayout(study).studyFile)) await new StudyService({ appVersion: APP_VERSION }).create(study, plan.name);
    await writeStudyPlan(study, plan);
    await saveGrid(study, plan.grid);
    const have = new Set((await listDatasets(study)).map((d) => d.id));
    const prepare = plan.datasets.some((d) => !(d.id && have.has(d.id)));
    return submitToSlurm({
      study,
      kind: 'study',
      options: clusterOptionsFromArgs(values),
      retryFailed: values['retry-failed'] === true,
      dryRun: values['dry-run'] === true,
      plan: studyLayout(study).planFile,
      prepare,
      log: ctx.log,
    });
  }).finally(ctx.end);
  printSubmission(sub, values.json);
  return 0;
}

/** A JobContext whose cancellation also follows the task's Slurm signals. */
function taskContext(label: string, signal: AbortSignal): JobContext & { end: () => void } {
  const ctx = cliContext(label, false);
  return { ...ctx, signal: AbortSignal.any([ctx.signal, signal]) };
}

function taskIndex(value: unknown, option: string): number {
  const n = positiveInt(value, option, 0);
  if (n === undefined) throw new AppError('BAD_REQUEST', `give --${option} <index>`, [{ path: option, message: 'required' }]);
  return n;
}

/** `funduslab grid --study <dir> --submission <id> --cell <i>`: one training cell of a submission (the train array's task). */
export async function runGridCell(study: string, submission: string, cellArg: unknown): Promise<number> {
  const index = taskIndex(cellArg, 'cell');
  await initEngine({ preference: 'auto' });
  return runClusterTask(study, submission, 'train', index, async (sub, signal) => {
    const cell = await currentCell(study, sub, index);
    if (cell.status === 'done') return `run ${cell.runId} had already finished`;
    const ctx = taskContext(`cell ${index}`, signal);
    try {
      const result = await runTraining(cell.parsed, study, ctx, { runId: cell.runId });
      return `run ${cell.runId} finished: best validation AUC ${result.bestValAuc?.toFixed(4) ?? 'n/a'}`;
    } finally {
      ctx.end();
    }
  });
}

const CLUSTER_USAGE =
  'funduslab cluster status --study <dir> [--json]  |  funduslab cluster cancel --study <dir> [--submission ID]  |  ' +
  'funduslab cluster pretrain|finish|prepare --study <dir> --submission <id> [--task <j>] (what the sbatch scripts run)';
export { CLUSTER_USAGE };

/** `funduslab cluster …`. */
export async function runClusterCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseCommandArgs(rest, { study: { type: 'string' }, submission: { type: 'string' }, task: { type: 'string' } });
  if (!values.study) throw new AppError('BAD_REQUEST', `Usage: ${CLUSTER_USAGE}`, [{ path: 'study', message: 'give --study <dir>' }]);
  const study = path.resolve(values.study);
  switch (sub) {
    case 'status': {
      const status = await clusterStatus(study);
      if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: status }, null, 2) + '\n');
      else process.stdout.write(formatClusterStatus(status) + '\n');
      return 0;
    }
    case 'cancel': {
      const { cancelled } = await cancelSubmissions(study, values.submission);
      if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: { cancelled } }, null, 2) + '\n');
      else
        process.stdout.write(
          cancelled.length > 0 ? `Cancelled Slurm job(s) ${cancelled.join(', ')}.\n` : 'No active submission to cancel.\n',
        );
      return 0;
    }
    case 'pretrain':
    case 'finish':
    case 'prepare': {
      if (!values.submission)
        throw new AppError('BAD_REQUEST', `Usage: ${CLUSTER_USAGE}`, [{ path: 'submission', message: 'give --submission <id>' }]);
      const index = sub === 'pretrain' ? taskIndex(values.task, 'task') : 0;
      await initEngine({ preference: 'auto' });
      return runClusterTask(study, values.submission, sub, index, async (s, signal) => {
        const ctx = taskContext(sub, signal);
        try {
          if (sub === 'pretrain') return await pretrainTask(study, s, index, ctx);
          return await withStudyLock(study, `funduslab cluster ${sub} (submission ${s.id})`, () =>
            sub === 'finish' ? finishTask(study, s, ctx) : prepareTask(study, s, ctx),
          );
        } finally {
          ctx.end();
        }
      });
    }
    default:
      throw new AppError('BAD_REQUEST', `Usage: ${CLUSTER_USAGE}`, [
        { path: 'command', message: 'status | cancel | pretrain | finish | prepare' },
      ]);
  }
}

async function pretrainTask(study: string, sub: Submission, index: number, ctx: JobContext): Promise<string> {
  const p = sub.pretrainings[index];
  if (!p)
    throw new AppError('BAD_REQUEST', `Submission ${sub.id} has ${sub.pretrainings.length} pretrainings; there is no task ${index}.`, [
      { path: 'task', message: 'out of range' },
    ]);
  const cell = await currentCell(study, sub, p.cell);
  const outcome = await runPretraining(TrainingSpec.parse(cell.parsed), study, ctx);
  return `pretraining ${p.id} ${outcome.summary.reused ? 'had already finished' : 'finished'}`;
}

async function storedPlan(sub: Submission): Promise<StudyPlan | null> {
  if (!sub.plan) return null;
  const plan = await readStudyPlan(sub.study);
  if (!plan)
    throw new AppError('NOT_FOUND', `The study plan ${sub.plan} of submission ${sub.id} is missing.`, [
      { path: 'plan', message: 'missing' },
    ]);
  return plan;
}

/** The finish job: the stored plan without training (unfinished cells become warnings), else only the report. */
async function finishTask(study: string, sub: Submission, ctx: JobContext): Promise<string> {
  const plan = await storedPlan(sub);
  if (!plan) {
    const report = await buildReport(study, { out: studyLayout(study).defaultReportFile() }, ctx);
    return `report ${report.pdf}`;
  }
  const outcome = await runStudy(plan, ctx, { baseDir: study, skipTraining: true });
  return `${outcome.evaluations.length} evaluation(s), report ${outcome.report?.pdf ?? 'not written'}${outcome.warnings.length > 0 ? `, ${outcome.warnings.length} warning(s)` : ''}`;
}

/** The prepare job: the plan's imports and grid (the study's steps up to the grid). */
async function prepareTask(study: string, sub: Submission, ctx: JobContext): Promise<string> {
  const plan = await storedPlan(sub);
  if (!plan) throw new AppError('BAD_REQUEST', `Submission ${sub.id} has no study plan to prepare.`);
  await runStudy(plan, ctx, { baseDir: study, until: 'grid' });
  return 'datasets imported';
}

/** `cluster status` as text: one block per submission, one line per task. */
export function formatClusterStatus(status: ClusterStatus): string {
  if (status.submissions.length === 0) return `No cluster submissions in ${status.study}.`;
  const lines: string[] = [];
  for (const s of status.submissions) {
    const counts = Object.entries(s.counts)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    lines.push(`Submission ${s.id} (${s.kind}${s.dryRun ? ', dry run' : ''}, ${s.createdAt}): ${counts}`);
    lines.push(
      `  ${'role'.padEnd(8)} ${'job'.padEnd(12)} ${'state'.padEnd(12)} ${'node'.padEnd(10)} ${'elapsed'.padEnd(11)} ${'exit'.padEnd(5)} what / reason`,
    );
    for (const t of s.tasks) {
      const job = t.jobId ? (t.arrayIndex === null ? t.jobId : `${t.jobId}_${t.arrayIndex}`) : '-';
      lines.push(
        `  ${t.role.padEnd(8)} ${job.padEnd(12)} ${t.state.padEnd(12)} ${(t.node ?? '-').padEnd(10)} ${(t.elapsed ?? '-').padEnd(11)} ${(t.exitCode ?? '-').padEnd(5)} ${t.label}${t.reason ? ` (${t.reason})` : ''}`,
      );
    }
  }
  lines.push(...status.notes.map((n) => `Note: ${n}`));
  return lines.join('\n');
}
