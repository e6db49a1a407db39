/**
 * Submits a study's work to Slurm (docs/cluster.md). Everything is checked before the first sbatch:
 * the options (command line over the study's cluster.json), sbatch on PATH, the partition, the time
 * limit against the estimated time of the longest task, cells already queued or running in another
 * submission. Then the submission folder `<study>/cluster/<id>/` gets submission.json and one readable
 * sbatch script per job, and the jobs are submitted in order:
 *
 * 1. prepare (a plan whose datasets are not imported yet): imports them;
 * 2. pretrain: an array with one task per MoCo v2 pretraining not finished yet (after prepare);
 * 3. train: an array with one task per cell, submitted held; each IWNE-CL task then gets its own
 *    dependency on its pretraining's task (`afterok:<pretrain>_<j>`, scontrol update), and the array is
 *    released, so fully supervised cells start at once and CL cells as soon as their pretraining ends;
 * 4. finish: evaluations, analyses and the report, `afterany` of the train array (a failed cell is
 *    reported, not fatal).
 *
 * When an sbatch fails midway, the jobs already submitted are cancelled and the error names the job.
 * Every task runs `funduslab … --submission <id>` with the same node and FundusLab the submission ran.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, realpathSync } from 'node:fs';
import path from 'node:path';
import {
  ClusterDefaults,
  ClusterOptions,
  Submission,
  isActiveSlurmState,
  type ClusterOptionsInput,
  type ClusterRole,
  type SubmittedJob,
} from '../../../src-shared/cluster';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { datasetSize, defaultBench, estimateStudy, type DatasetSize } from '../../../src-shared/estimate';
import { GridSpec, type GridCell } from '../../../src-shared/grid';
import { TrainingSpec } from '../../../src-shared/training';
import { readStudyJson, writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { packageRoot } from '../../paths';
import { APP_VERSION } from '../../version';
import { listDatasets } from '../datasets/view/study-datasets';
import { studyLayout } from '../study-folder/layout';
import { gridView } from '../training/grid';
import { checkOptions, newSubmissionId, planCells, sbatchScript, taskArgs, type JobScript } from './plan';
import { Slurm, formatSlurmTime, parseSlurmTime } from './slurm';
import { clusterStatus, readSubmissions } from './status';

export interface SubmitRequest {
  study: string;
  kind: 'grid' | 'study';
  /** Command-line options; the study's cluster.json fills what they leave out. */
  options: ClusterOptionsInput;
  /** Submit only the cells that are not done and that no submission is working on (failed, cancelled, timed out). */
  retryFailed?: boolean;
  /** Write the submission folder and scripts, submit nothing. */
  dryRun?: boolean;
  /** The study plan the finish job runs (absolute; null: the finish job writes the report only). */
  plan: string | null;
  /** A prepare job imports the plan's datasets first (their cells are planned from the saved grid). */
  prepare?: boolean;
  /** How tasks run FundusLab (default: this node and this FundusLab's bin/funduslab.js). */
  cli?: { node: string; script: string };
  slurm?: Slurm;
  log?: (line: string) => void;
  now?: Date;
}

/** This FundusLab's command: the node running it and bin/funduslab.js of its package, real paths. */
export function thisCli(): { node: string; script: string } {
  return { node: realpathSync(process.execPath), script: realpathSync(path.join(packageRoot(), 'bin', 'funduslab.js')) };
}

/** The options of a submission: the command line's over the study's cluster.json (errors name the file and field). */
export async function submissionOptions(study: string, input: ClusterOptionsInput): Promise<ClusterOptions> {
  const file = studyLayout(study).clusterDefaultsFile;
  const defaults = (await readStudyJson(file, ClusterDefaults)) ?? {};
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  const options = parseOrThrow(ClusterOptions, { ...defaults, ...given }, 'cluster options');
  checkOptions(options);
  return options;
}

/** Per-task estimated seconds (training cells and pretrainings) at the default speed, or null when a dataset is not imported yet. */
async function taskEstimates(
  study: string,
  cells: readonly GridCell[],
): Promise<{ seconds: number; label: string; msPerImage: number }[] | null> {
  const sizes: DatasetSize[] = (await listDatasets(study)).filter((d) => d.readable).map((d) => datasetSize(d as never));
  const out: { seconds: number; label: string; msPerImage: number }[] = [];
  for (const cell of cells) {
    const spec = TrainingSpec.parse(cell.spec);
    if (!sizes.some((s) => s.id === spec.datasetId)) return null;
    const { strategy, fraction, seed, pretrainedWeights, ...base } = spec;
    const grid = GridSpec.parse({
      strategies: [strategy],
      fractions: [fraction],
      seeds: [seed],
      base,
      ...(pretrainedWeights && strategy === 'IFI-FS' ? { imagenetWeights: pretrainedWeights } : {}),
      ...(pretrainedWeights && strategy === 'IFI-CL' ? { mocoWeights: pretrainedWeights } : {}),
    });
    const bench = defaultBench(spec.arch, spec.inputSize);
    const e = estimateStudy({ grid, datasets: sizes, evaluate: [], spectra: null, robustness: null, explain: null, bench });
    const train = e.lines.filter((l) => l.phase !== 'pretrain').reduce((a, l) => a + l.seconds, 0);
    out.push({ seconds: train, label: `training run ${cell.runId}`, msPerImage: bench.trainMsPerImage });
    const pre = e.lines.find((l) => l.phase === 'pretrain');
    if (pre) out.push({ seconds: pre.seconds, label: `the MoCo v2 pretraining of ${cell.runId}`, msPerImage: bench.trainMsPerImage });
  }
  return out;
}

/** Refuses a partition that does not exist and a time limit over its maximum or under the longest task's estimate. */
async function checkCluster(
  slurm: Slurm,
  study: string,
  o: ClusterOptions,
  cells: readonly GridCell[],
  log: (l: string) => void,
): Promise<void> {
  await slurm.requireTool('sbatch');
  const partitions = await slurm.partitions();
  const limit = o.time === undefined ? null : parseSlurmTime(o.time);
  if (o.partition !== undefined) {
    const p = partitions.find((x) => x.name === o.partition);
    if (!p)
      throw new AppError(
        'BAD_REQUEST',
        `The partition "${o.partition}" does not exist on this cluster (partitions: ${partitions.map((x) => x.name).join(', ') || 'none'}).`,
        [{ path: 'partition', message: 'unknown partition' }],
      );
    if (limit !== null && p.maxTimeSeconds !== null && limit > p.maxTimeSeconds)
      throw new AppError(
        'BAD_REQUEST',
        `--time ${o.time} is longer than the partition ${p.name} allows (${formatSlurmTime(p.maxTimeSeconds)}).`,
        [{ path: 'time', message: 'over the partition limit' }],
      );
  }
  if (limit === null || !o.timeCheck || cells.length === 0) return;
  const estimates = await taskEstimates(study, cells);
  if (!estimates) {
    log('Time check skipped: a dataset of the grid is not imported yet.');
    return;
  }
  const longest = estimates.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  if (longest.seconds > limit)
    throw new AppError(
      'BAD_REQUEST',
      `--time ${o.time} is shorter than the estimated ${formatSlurmTime(Math.ceil(longest.seconds))} of ${longest.label} ` +
        `(at the default speed of 2 CPU cores, ${longest.msPerImage.toFixed(1)} ms per training image). Give --time ${formatSlurmTime(Math.ceil(longest.seconds * 1.2))} or more, ` +
        'or --no-time-check when the nodes are faster (GPUs). A task that reaches its limit checkpoints and requeues itself.',
      [{ path: 'time', message: 'shorter than the estimate' }],
    );
}

/** Submits (or, with dryRun, only writes) a submission; see the module comment. Returns its record. */
export async function submitToSlurm(req: SubmitRequest): Promise<Submission> {
  const study = path.resolve(req.study);
  const log = req.log ?? (() => {});
  const slurm = req.slurm ?? new Slurm();
  const options = await submissionOptions(study, req.options);
  const view = await gridView(study);
  if (!view.spec)
    throw new AppError('BAD_REQUEST', `The study ${study} has no training grid yet: give --spec <grid.json> or set one up in the app.`, [
      { path: 'spec', message: 'no grid in the study' },
    ]);
  let cells = view.cells.filter((c) => c.status === 'pending' || c.status === 'partial');
  for (const c of view.cells.filter((c) => c.status === 'blocked' || c.status === 'invalid'))
    log(`Not submitted: ${c.runId} is ${c.status} (${c.reason}).`);

  // Cells another submission is still working on.
  if (!req.dryRun && existsSync(studyLayout(study).folder('cluster'))) {
    const status = await clusterStatus(study, slurm);
    const active = new Map<string, string>();
    for (const s of status.submissions)
      for (const t of s.tasks)
        if (t.role === 'train' && isActiveSlurmState(t.state) && t.source !== 'record') active.set(t.label, `${s.id} (${t.state})`);
    const busy = cells.filter((c) => active.has(c.runId));
    if (busy.length > 0 && !req.retryFailed)
      throw new AppError(
        'BUSY',
        `${busy.length} cell(s) are already queued or running on the cluster: ${busy.map((c) => `${c.runId} in ${active.get(c.runId)}`).join(', ')}. ` +
          'Cancel that submission (funduslab cluster cancel), or give --retry-failed to submit only the cells no submission works on.',
      );
    cells = cells.filter((c) => !active.has(c.runId));
  }
  if (cells.length === 0 && req.kind === 'grid' && !req.prepare)
    throw new AppError(
      'BAD_REQUEST',
      `Nothing to submit: every cell of the grid is done${req.retryFailed ? ', queued, running' : ''} or cannot run (see funduslab grid --dry-run).`,
    );

  if (!req.dryRun) await checkCluster(slurm, study, options, cells, log);
  const planned = planCells(cells);
  // Pretrainings that finished need no task: their CL cells have no dependency then.
  const pretrainTasks = planned.pretrainings
    .map((p, j) => ({ ...p, j }))
    .filter((p) => !existsSync(studyLayout(study).pretrain(p.id).summary));

  const now = req.now ?? new Date();
  const id = newSubmissionId(now, randomBytes(2).toString('hex'));
  const files = studyLayout(study).clusterSubmission(id);
  // The newest submission (read from the study folder; Slurm was asked above already).
  const retryOf = req.retryFailed ? ((await readSubmissions(study))[0]?.id ?? null) : null;
  const sub: Submission = {
    id,
    createdAt: now.toISOString(),
    kind: req.kind,
    appVersion: APP_VERSION,
    cli: req.cli ?? thisCli(),
    study,
    plan: req.plan,
    options,
    cells: planned.cells,
    pretrainings: planned.pretrainings,
    jobs: [],
    retryOf,
    dryRun: req.dryRun ?? false,
  };
  await fsp.mkdir(files.tasksDir, { recursive: true });
  const save = () => writeJsonAtomic(files.submission, parseOrThrow(Submission, sub, files.submission));
  await save();

  const submitted: string[] = [];
  const submitJob = async (job: JobScript): Promise<string | null> => {
    const script = files.script(job.role);
    await writeFileAtomic(script, sbatchScript(sub, job));
    await fsp.chmod(script, 0o755);
    const record: SubmittedJob = {
      role: job.role,
      jobId: null,
      script: path.basename(script),
      tasks: job.indices?.length ?? 1,
      ...(job.indices ? { indices: job.indices } : {}),
      dependency: job.dependency,
    };
    sub.jobs.push(record);
    if (!sub.dryRun) {
      try {
        record.jobId = await slurm.submit(script, { hold: job.hold });
      } catch (err) {
        sub.jobs.pop();
        await save();
        if (submitted.length > 0) await slurm.cancel(submitted).catch(() => {});
        throw new AppError(
          (err as AppError).code ?? 'INTERNAL',
          `Submitting the ${job.role} job failed: ${(err as Error).message}${submitted.length > 0 ? ` (cancelled the jobs already submitted: ${submitted.join(', ')})` : ''}`,
        );
      }
      submitted.push(record.jobId);
      log(
        `Submitted the ${job.role} job ${record.jobId}${job.indices ? ` (${job.indices.length} array task${job.indices.length === 1 ? '' : 's'})` : ''}.`,
      );
    }
    await save();
    return record.jobId ?? (sub.dryRun ? `<${job.role} job>` : null);
  };
  const args = (role: ClusterRole) => taskArgs(role, study, id);

  const prepare = req.prepare
    ? await submitJob({ role: 'prepare', indices: null, args: args('prepare'), dependency: null, hold: false })
    : null;
  const afterPrepare = prepare ? `afterok:${prepare}` : null;
  let pretrainJob: string | null = null;
  if (pretrainTasks.length > 0)
    pretrainJob = await submitJob({
      role: 'pretrain',
      indices: pretrainTasks.map((p) => p.j),
      args: args('pretrain'),
      dependency: afterPrepare,
      hold: false,
    });
  let trainJob: string | null = null;
  if (sub.cells.length > 0) {
    const needsOwnDependency =
      pretrainJob !== null && sub.cells.some((c) => c.pretraining !== null && pretrainTasks.some((p) => p.j === c.pretraining));
    const waits = sub.cells.flatMap((c, i) =>
      c.pretraining !== null && pretrainTasks.some((p) => p.j === c.pretraining)
        ? [
            `Task ${i} (${c.runId}) waits for pretraining task ${c.pretraining} (${sub.pretrainings[c.pretraining]!.id}): set at submission.`,
          ]
        : [],
    );
    trainJob = await submitJob({
      role: 'train',
      indices: sub.cells.map((_, i) => i),
      args: args('train'),
      dependency: afterPrepare,
      hold: needsOwnDependency,
      comments: waits,
    });
    if (needsOwnDependency && trainJob && !sub.dryRun) {
      try {
        for (const [i, c] of sub.cells.entries()) {
          if (c.pretraining === null || !pretrainTasks.some((p) => p.j === c.pretraining)) continue;
          const dep = `afterok:${prepare ? `${prepare}:` : ''}${pretrainJob}_${c.pretraining}`;
          await slurm.setTaskDependency(trainJob, i, dep);
        }
      } finally {
        await slurm.release(trainJob);
      }
      log(`IWNE-CL tasks wait for their pretraining (afterok:${pretrainJob}_<j>).`);
    }
  }
  const before = trainJob ?? pretrainJob ?? prepare;
  await submitJob({ role: 'finish', indices: null, args: args('finish'), dependency: before ? `afterany:${before}` : null, hold: false });
  return sub;
}
