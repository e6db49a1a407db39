/**
 * Slurm cluster submissions written into a study folder for tests, as `funduslab grid --executor slurm`
 * and its tasks leave them: `cluster/<id>/submission.json` (parsed with the Submission schema before it
 * is written) and the tasks' own records `cluster/<id>/tasks/<role>-<index>.json` (TaskRecord). The
 * training cells come from the study's grid (run id, strategy, fraction, seed, specHash of the spec).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  Submission,
  TaskRecord,
  type ClusterRole,
  type SubmittedCell,
  type SubmittedJob,
  type SubmittedPretraining,
} from '../../src-shared/cluster';
import { TrainingSpec } from '../../src-shared/training';
import { writeJsonAtomic } from '../../src-main/fs/atomic';
import { studyLayout } from '../../src-main/services/study-folder/layout';
import { gridView } from '../../src-main/services/training/grid';
import { pretrainId, specHash } from '../../src-main/services/training/run-id';

/**
 * The grid's cells as a submission lists them, in grid order, and the distinct MoCo v2 pretrainings of its CL cells (each CL cell
 * points at its pretraining by index).
 */
export async function gridCells(study: string): Promise<{ cells: SubmittedCell[]; pretrainings: SubmittedPretraining[] }> {
  const view = await gridView(study);
  const pretrainings: SubmittedPretraining[] = [];
  const cells = view.cells.map((c, i): SubmittedCell => {
    const spec = TrainingSpec.parse(c.spec);
    let pretraining: number | null = null;
    if (spec.strategy.endsWith('-CL')) {
      const { id } = pretrainId(spec);
      pretraining = pretrainings.findIndex((p) => p.id === id);
      if (pretraining < 0) pretraining = pretrainings.push({ id, cell: i }) - 1;
    }
    return { runId: c.runId, strategy: c.strategy, fraction: c.fraction, seed: c.seed, specHash: specHash(spec), pretraining };
  });
  return { cells, pretrainings };
}

/** A job of a submission: its script is `<role>.sbatch`; an array job (pretrain, train) has `indices`. */
export function job(role: ClusterRole, jobId: string | null, indices?: number[], dependency: string | null = null): SubmittedJob {
  return {
    role,
    jobId,
    script: `${role}.sbatch`,
    tasks: indices ? indices.length : 1,
    ...(indices ? { indices } : {}),
    dependency,
  };
}

/** Writes `cluster/<id>/submission.json` (defaults for what the test does not set) and returns the submission as written. */
export async function writeSubmission(
  study: string,
  over: Pick<Submission, 'id' | 'createdAt' | 'jobs'> & Partial<Omit<Submission, 'options'>>,
): Promise<Submission> {
  const submission = Submission.parse({
    kind: 'grid',
    appVersion: '0.0.0-test',
    cli: { node: process.execPath, script: '/opt/funduslab/bin/funduslab.js' },
    study: path.resolve(study),
    plan: null,
    options: { partition: 'debug' },
    cells: [],
    pretrainings: [],
    retryOf: null,
    dryRun: false,
    ...over,
  });
  const file = studyLayout(study).clusterSubmission(submission.id).submission;
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomic(file, submission);
  return submission;
}

/** Writes a task's own record `cluster/<id>/tasks/<role>-<index>.json`. */
export async function writeTaskRecord(
  study: string,
  submissionId: string,
  record: Pick<TaskRecord, 'role' | 'index' | 'jobId' | 'state' | 'startedAt'> & Partial<TaskRecord>,
): Promise<TaskRecord> {
  const parsed = TaskRecord.parse({
    arrayJobId: null,
    host: 'node-1',
    endedAt: null,
    starts: 1,
    exitCode: null,
    message: null,
    ...record,
  });
  const file = studyLayout(study).clusterSubmission(submissionId).taskRecord(parsed.role, parsed.index);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomic(file, parsed);
  return parsed;
}
