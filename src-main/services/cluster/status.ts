/**
 * The status of a study's cluster submissions: every `<study>/cluster/<id>/submission.json` with each
 * of its tasks, the state taken from Slurm when Slurm knows the task — squeue for queued and running
 * tasks (with the reason a pending one waits: Dependency, Resources, Priority, …), then sacct
 * (accounting: ended tasks, exit codes), then `scontrol show job` (ended tasks the controller still
 * remembers, where accounting is disabled) — else from the task's own record in the study folder.
 * Cancelling runs scancel on a submission's jobs.
 */
import { existsSync, promises as fsp } from 'node:fs';
import {
  ClusterStatus,
  Submission,
  TaskRecord,
  isActiveSlurmState,
  type ClusterRole,
  type ClusterSubmissionStatus,
  type ClusterTaskStatus,
  type SubmittedJob,
} from '../../../src-shared/cluster';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { readStudyJson } from '../../fs/atomic';
import { studyLayout } from '../study-folder/layout';
import { Slurm, formatSlurmTime, type SlurmRow } from './slurm';

/**
 * The study's submissions, newest first. A submission.json that does not parse is left out and named
 * in `notes` (when given), so one damaged file does not hide the others.
 */
export async function readSubmissions(study: string, notes?: string[]): Promise<Submission[]> {
  const root = studyLayout(study).folder('cluster');
  if (!existsSync(root)) return [];
  const out: Submission[] = [];
  for (const name of (await fsp.readdir(root)).sort().reverse()) {
    if (name.startsWith('.')) continue;
    try {
      const sub = await readStudyJson(studyLayout(study).clusterSubmission(name).submission, Submission);
      if (sub) out.push(sub);
    } catch (err) {
      notes?.push(`Left out: ${(err as Error).message}`);
    }
  }
  return out;
}

/** One submission by id (NOT_FOUND naming the ids there are). */
export async function readSubmission(study: string, id: string): Promise<Submission> {
  const file = studyLayout(study).clusterSubmission(id).submission;
  const sub = /^[a-z0-9][a-z0-9-]*$/.test(id) ? await readStudyJson(file, Submission) : null;
  if (!sub) {
    const ids = (await readSubmissions(study)).map((s) => s.id);
    throw new AppError(
      'NOT_FOUND',
      `The study has no cluster submission ${id} (${ids.length > 0 ? `submissions: ${ids.join(', ')}` : 'none'}).`,
      [{ path: 'submission', message: 'unknown submission' }],
    );
  }
  return sub;
}

/** A task's own record, or null (not started, or unreadable while it is being replaced). */
export async function readTaskRecord(study: string, id: string, role: ClusterRole, index: number): Promise<TaskRecord | null> {
  try {
    return await readStudyJson(studyLayout(study).clusterSubmission(id).taskRecord(role, index), TaskRecord);
  } catch {
    return null;
  }
}

const RECORD_STATES: Record<TaskRecord['state'], string> = {
  running: 'RUNNING',
  done: 'COMPLETED',
  failed: 'FAILED',
  requeued: 'REQUEUED',
  cancelled: 'CANCELLED',
};

/** What each task of a job works on. */
function taskLabel(sub: Submission, role: ClusterRole, index: number): string {
  if (role === 'train') return sub.cells[index]?.runId ?? `cell ${index}`;
  if (role === 'pretrain') return sub.pretrainings[index]?.id ?? `pretraining ${index}`;
  return role;
}

/** The tasks of a job: its array indices, or the one task of a plain job (index 0). */
function jobTasks(job: SubmittedJob): { index: number; arrayIndex: number | null }[] {
  return job.indices ? job.indices.map((i) => ({ index: i, arrayIndex: i })) : [{ index: 0, arrayIndex: null }];
}

/** A task's time from its own record: start to end, or to now while it runs. */
function recordElapsed(record: TaskRecord | null): string | null {
  if (!record) return null;
  const started = Date.parse(record.startedAt);
  const ended = record.endedAt ? Date.parse(record.endedAt) : Date.now();
  return Number.isFinite(started) && Number.isFinite(ended) ? formatSlurmTime(Math.max(0, Math.floor((ended - started) / 1000))) : null;
}

const key = (jobId: string, arrayIndex: number | null) => `${jobId}_${arrayIndex ?? ''}`;

/** Slurm's rows by job id and array index (a plain job's row also under its own id). */
function indexRows(rows: readonly SlurmRow[]): Map<string, SlurmRow> {
  const m = new Map<string, SlurmRow>();
  for (const r of rows) m.set(key(r.jobId, r.arrayIndex), r);
  return m;
}

/** The status of every submission of the study; see the module comment. */
export async function clusterStatus(studyPath: string, slurm: Slurm = new Slurm()): Promise<ClusterStatus> {
  const study = studyLayout(studyPath).root;
  const notes: string[] = [];
  const subs = await readSubmissions(study, notes);
  const ids = [...new Set(subs.flatMap((s) => s.jobs.map((j) => j.jobId).filter((j): j is string => j !== null)))];
  let queue = new Map<string, SlurmRow>();
  let acct: Map<string, SlurmRow> | null = null;
  let shown = new Map<string, SlurmRow>();
  let slurmUp = false;
  if (ids.length > 0) {
    try {
      queue = indexRows(await slurm.queue(ids));
      slurmUp = true;
      const rows = await slurm.accounting(ids);
      if (rows) acct = indexRows(rows);
      else {
        notes.push(
          'Slurm accounting (sacct) is not available: ended tasks come from scontrol while Slurm remembers them, then from the tasks’ own records.',
        );
        shown = indexRows(await slurm.showJobs(ids));
      }
    } catch (err) {
      notes.push(`Slurm could not be asked (${(err as Error).message}): states come from the tasks’ own records.`);
    }
  }
  const submissions: ClusterSubmissionStatus[] = [];
  for (const sub of subs) {
    const files = studyLayout(study).clusterSubmission(sub.id);
    const tasks: ClusterTaskStatus[] = [];
    for (const job of sub.jobs) {
      for (const { index, arrayIndex } of jobTasks(job)) {
        const record = await readTaskRecord(study, sub.id, job.role, index);
        const k = job.jobId ? key(job.jobId, arrayIndex) : '';
        const found: [ClusterTaskStatus['source'], SlurmRow | undefined][] = [
          ['squeue', queue.get(k)],
          ['sacct', acct?.get(k)],
          ['scontrol', shown.get(k)],
        ];
        const [source, row] = found.find(([, r]) => r !== undefined) ?? [record ? 'record' : 'none', undefined];
        tasks.push({
          role: job.role,
          index,
          label: taskLabel(sub, job.role, index),
          jobId: job.jobId,
          arrayIndex,
          state: row?.state ?? (record ? RECORD_STATES[record.state] : sub.dryRun ? 'NOT_SUBMITTED' : 'UNKNOWN'),
          node: row?.node ?? record?.host ?? null,
          elapsed: row?.elapsed ?? recordElapsed(record),
          exitCode: row?.exitCode ?? (record?.exitCode !== null && record?.exitCode !== undefined ? `${record.exitCode}:0` : null),
          // A task cancelled or completed keeps the reason it last waited for in scontrol: not shown.
          reason: row ? (['CANCELLED', 'COMPLETED'].includes(row.state) ? null : row.reason) : (record?.message ?? null),
          source,
          log: job.jobId ? files.log(job.jobId, arrayIndex) : files.dir,
          record,
        });
      }
    }
    const counts: Record<string, number> = {};
    for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
    submissions.push({
      id: sub.id,
      createdAt: sub.createdAt,
      kind: sub.kind,
      dryRun: sub.dryRun,
      jobs: sub.jobs,
      tasks,
      active: tasks.some((t) => t.source !== 'record' && t.source !== 'none' && isActiveSlurmState(t.state)),
      counts,
    });
  }
  if (ids.length > 0 && !slurmUp && notes.length === 0) notes.push('Slurm could not be asked: states come from the tasks’ own records.');
  return parseOrThrow(ClusterStatus, { study, submissions, slurm: slurmUp, notes }, 'cluster status');
}

/** Cancels the jobs of one submission (or of every submission with active tasks) with scancel; returns the job ids cancelled. */
export async function cancelSubmissions(
  studyPath: string,
  submissionId?: string,
  slurm: Slurm = new Slurm(),
): Promise<{ cancelled: string[] }> {
  const study = studyLayout(studyPath).root;
  await slurm.requireTool('scancel');
  let subs: Submission[];
  if (submissionId !== undefined) subs = [await readSubmission(study, submissionId)];
  else {
    const status = await clusterStatus(study, slurm);
    const active = new Set(status.submissions.filter((s) => s.active).map((s) => s.id));
    subs = (await readSubmissions(study)).filter((s) => active.has(s.id));
  }
  const ids = [...new Set(subs.flatMap((s) => s.jobs.map((j) => j.jobId).filter((j): j is string => j !== null)))];
  await slurm.cancel(ids);
  return { cancelled: ids };
}
