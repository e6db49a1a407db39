/**
 * What a Slurm submission runs, decided from the study folder alone: the training cells still to do
 * (pending or partial in the grid), the distinct MoCo v2 pretrainings their IWNE-CL cells fine-tune
 * from, and the sbatch scripts (one per job: pretrain array, train array, finish job, and a prepare
 * job when a plan's datasets are not imported yet). Pure planning and text: submit.ts submits.
 */
import { AppError } from '../../../src-shared/errors';
import type { ClusterOptions, ClusterRole, Submission, SubmittedCell, SubmittedPretraining } from '../../../src-shared/cluster';
import type { GridCell } from '../../../src-shared/grid';
import { TrainingSpec } from '../../../src-shared/training';
import { pretrainId, specHash } from '../training/run-id';
import { studyLayout } from '../study-folder/layout';

/** The cells and pretrainings of a submission, from the grid's cells. */
export function planCells(cells: readonly GridCell[]): { cells: SubmittedCell[]; pretrainings: SubmittedPretraining[] } {
  const out: SubmittedCell[] = [];
  const pretrainings: SubmittedPretraining[] = [];
  const byId = new Map<string, number>();
  for (const cell of cells) {
    const spec = TrainingSpec.parse(cell.spec);
    let pretraining: number | null = null;
    if (spec.strategy === 'IWNE-CL') {
      const { id } = pretrainId(spec);
      if (!byId.has(id)) {
        byId.set(id, pretrainings.length);
        pretrainings.push({ id, cell: out.length });
      }
      pretraining = byId.get(id)!;
    }
    out.push({
      runId: cell.runId,
      strategy: cell.strategy,
      fraction: cell.fraction,
      seed: cell.seed,
      specHash: specHash(spec),
      pretraining,
    });
  }
  return { cells: out, pretrainings };
}

/** A new submission id: `<yyyymmdd>-<hhmmss>-<4 hex>` (sorts by time; unique within a study). */
export function newSubmissionId(now: Date, random: string): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${random.slice(0, 4).toLowerCase()}`;
}

/** Quotes a word for bash (single quotes; a quote inside becomes '\''). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What one job of a submission runs: its role, array size and the FundusLab arguments of each task. */
export interface JobScript {
  role: ClusterRole;
  /** Array indices (null: a plain job). */
  indices: number[] | null;
  /** FundusLab's arguments; `$SLURM_ARRAY_TASK_ID` stands for the task's index. */
  args: string[];
  /** The --dependency written into the script (job ids known when it is written), or null. */
  dependency: string | null;
  /** sbatch --hold: the train array is held while its CL tasks get their own dependencies. */
  hold: boolean;
  /** Comment lines written under the header (e.g. which task waits for which pretraining). */
  comments?: string[];
}

/** The compact --array value of indices: "0-11" for a run, "0,2,5-7" otherwise, with `%K` when K limits it. */
export function arraySpec(indices: readonly number[], maxParallel?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (maxParallel ? `%${maxParallel}` : '');
}

const ROLE_TITLES: Record<ClusterRole, string> = {
  prepare: 'imports the study plan’s datasets and saves its grid',
  pretrain: 'MoCo v2 pretrainings, one array task each',
  train: 'training cells, one array task each',
  finish: 'evaluations, analyses and the report, after every training task ended',
};

/**
 * The sbatch script of one job: a header saying what it is, the #SBATCH lines (resources from the
 * options, --requeue, --signal=B:… so the signal reaches FundusLab itself, logs appended per task under
 * the submission folder), the user's setup lines, then `exec` of the same FundusLab the submission ran.
 */
export function sbatchScript(sub: Pick<Submission, 'id' | 'study' | 'appVersion' | 'cli' | 'options'>, job: JobScript): string {
  const o: ClusterOptions = sub.options;
  const files = studyLayout(sub.study).clusterSubmission(sub.id);
  const array = job.indices !== null;
  const lines = [
    '#!/bin/bash',
    `# FundusLab ${sub.appVersion} · submission ${sub.id} · ${job.role}: ${ROLE_TITLES[job.role]}`,
    `# Study: ${sub.study}`,
    ...(job.comments ?? []).map((c) => `# ${c}`),
    `#SBATCH --job-name=funduslab-${job.role}-${sub.id.slice(-4)}`,
  ];
  if (array) lines.push(`#SBATCH --array=${arraySpec(job.indices!, o.maxParallel)}`);
  // sbatch reads a value with spaces in double quotes.
  const output = files.logPattern(array);
  lines.push(`#SBATCH --output=${/\s/.test(output) ? `"${output}"` : output}`, '#SBATCH --open-mode=append');
  if (o.requeue) lines.push('#SBATCH --requeue');
  lines.push(`#SBATCH --signal=${o.signal.startsWith('B:') ? o.signal : `B:${o.signal}`}`);
  if (job.dependency) lines.push(`#SBATCH --dependency=${job.dependency}`, '#SBATCH --kill-on-invalid-dep=yes');
  else if (job.role === 'train') lines.push('#SBATCH --kill-on-invalid-dep=yes');
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.account) lines.push(`#SBATCH --account=${o.account}`);
  if (o.qos) lines.push(`#SBATCH --qos=${o.qos}`);
  if (o.gpusPerTask) lines.push(`#SBATCH --gpus-per-task=${o.gpusPerTask}`);
  if (o.cpusPerTask) lines.push(`#SBATCH --cpus-per-task=${o.cpusPerTask}`);
  if (o.mem) lines.push(`#SBATCH --mem=${o.mem}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  for (const extra of o.sbatchArgs) lines.push(`#SBATCH ${extra}`);
  lines.push('', 'set -eo pipefail');
  if (o.setup.length > 0) lines.push('# Environment (--setup / cluster.json)', ...o.setup);
  const args = job.args.map((a) => (a === '$SLURM_ARRAY_TASK_ID' ? '"$SLURM_ARRAY_TASK_ID"' : shellQuote(a)));
  lines.push('', `exec ${shellQuote(sub.cli.node)} ${shellQuote(sub.cli.script)} ${args.join(' ')}`, '');
  return lines.join('\n');
}

/** The FundusLab arguments of each role's task. */
export function taskArgs(role: ClusterRole, study: string, submissionId: string): string[] {
  const common = ['--study', study, '--submission', submissionId];
  switch (role) {
    case 'train':
      return ['grid', ...common, '--cell', '$SLURM_ARRAY_TASK_ID'];
    case 'pretrain':
      return ['cluster', 'pretrain', ...common, '--task', '$SLURM_ARRAY_TASK_ID'];
    case 'finish':
      return ['cluster', 'finish', ...common];
    case 'prepare':
      return ['cluster', 'prepare', ...common];
  }
}

/** Refuses options that cannot be turned into a script (before anything is written). */
export function checkOptions(o: ClusterOptions): void {
  for (const [i, extra] of o.sbatchArgs.entries()) {
    if (!extra.startsWith('-') || /[\n\r]/.test(extra))
      throw new AppError(
        'BAD_REQUEST',
        `--sbatch-arg "${extra}" is not an sbatch option (expected e.g. --constraint=a100, one per --sbatch-arg).`,
        [{ path: `sbatchArgs.${i}`, message: 'expected an option starting with -' }],
      );
    if (/^--(array|output|error|dependency|job-name|open-mode)\b/.test(extra))
      throw new AppError(
        'BAD_REQUEST',
        `--sbatch-arg "${extra}" sets what FundusLab writes itself (array, logs, dependencies, job name).`,
        [{ path: `sbatchArgs.${i}`, message: 'reserved option' }],
      );
  }
  for (const [i, line] of o.setup.entries())
    if (/[\n\r]/.test(line))
      throw new AppError('BAD_REQUEST', 'Each --setup is one shell line; give several --setup options for several lines.', [
        { path: `setup.${i}`, message: 'contains a line break' },
      ]);
}
