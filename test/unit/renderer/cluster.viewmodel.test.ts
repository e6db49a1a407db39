/**
 * The Jobs page's cluster submissions and the runs grid's cluster chip, from `cluster.status` answers
 * built with the ClusterStatus schema: rows, counts per state, colours, what can be cancelled, the
 * question before cancelling, and the chip each run of a submission gets (its newest submission's task).
 */
import { describe, expect, it } from 'vitest';
import {
  ClusterStatus,
  clusterStateByRun,
  type ClusterSubmissionStatus,
  type ClusterTaskStatus,
  type SubmittedJob,
} from '../../../src-shared/cluster';
import type { GridCell, GridView } from '../../../src-shared/grid';
import {
  baseState,
  cancelDialog,
  cancelledText,
  clusterSection,
  countsOf,
  insideStudy,
  isClusterActive,
  jobText,
  slurmStateColor,
  stateText,
  submissionModel,
} from '../../../src-renderer/features/jobs/cluster.viewmodel';
import { clusterChip, gridTable } from '../../../src-renderer/features/training/runs-dashboard.viewmodel';

const DIR = '/studies/pilot/cluster';
const NOW = Date.parse('2026-12-02T10:00:00Z');
const RUN_A = 'iwne-fs-resnet18-w8-demo-f0.5-s0';
const RUN_B = 'iwne-fs-resnet18-w8-demo-f1-s0';

function task(over: Partial<ClusterTaskStatus> & Pick<ClusterTaskStatus, 'role' | 'index' | 'label' | 'state'>): ClusterTaskStatus {
  return {
    jobId: '101',
    arrayIndex: over.role === 'finish' || over.role === 'prepare' ? null : over.index,
    node: null,
    elapsed: null,
    exitCode: null,
    reason: null,
    source: 'squeue',
    log: `${DIR}/x/${over.jobId ?? '101'}_${over.index}.log`,
    record: null,
    ...over,
  };
}

function jobOf(role: SubmittedJob['role'], jobId: string | null, tasks = 1): SubmittedJob {
  return { role, jobId, script: `${role}.sbatch`, tasks, dependency: null };
}

function submission(over: Partial<ClusterSubmissionStatus> & Pick<ClusterSubmissionStatus, 'id' | 'tasks'>): ClusterSubmissionStatus {
  const counts: Record<string, number> = {};
  for (const t of over.tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return { createdAt: '2026-12-02T09:55:00Z', kind: 'grid', dryRun: false, jobs: [], active: false, counts, ...over };
}

/** Two submissions, newest first: the newer one has the two runs pending/running, the older one finished them. */
const STATUS = ClusterStatus.parse({
  study: '/studies/pilot',
  slurm: true,
  notes: ['accounting (sacct) is disabled'],
  submissions: [
    submission({
      id: 'b-new',
      createdAt: '2026-12-02T09:55:00Z',
      kind: 'study',
      jobs: [jobOf('pretrain', '300'), jobOf('train', '301', 2), jobOf('finish', '302')],
      active: true,
      tasks: [
        task({ role: 'pretrain', index: 0, label: 'moco-resnet18-w8-demo-64-s0-abc', jobId: '300', state: 'RUNNING', node: 'gpu01' }),
        task({ role: 'train', index: 0, label: RUN_A, jobId: '301', state: 'PENDING', reason: 'Dependency' }),
        task({ role: 'train', index: 1, label: RUN_B, jobId: '301', state: 'RUNNING', node: 'gpu02', elapsed: '00:04:10' }),
        task({ role: 'finish', index: 0, label: 'finish', jobId: '302', state: 'PENDING', reason: 'Dependency' }),
      ],
    }),
    submission({
      id: 'a-old',
      createdAt: '2026-12-01T11:00:00Z',
      jobs: [jobOf('train', '201', 2), jobOf('finish', '202')],
      tasks: [
        task({ role: 'train', index: 0, label: RUN_A, jobId: '201', state: 'COMPLETED', exitCode: '0:0', elapsed: '00:12:30' }),
        task({
          role: 'train',
          index: 1,
          label: RUN_B,
          jobId: '201',
          state: 'FAILED',
          exitCode: '1:0',
          source: 'record',
          record: {
            role: 'train',
            index: 1,
            jobId: '205',
            arrayJobId: '201',
            host: 'gpu03',
            state: 'failed',
            startedAt: '2026-12-01T11:00:05Z',
            endedAt: '2026-12-01T11:03:00Z',
            starts: 1,
            exitCode: 1,
            message: 'out of memory',
          },
        }),
        task({ role: 'finish', index: 0, label: 'finish', jobId: '202', state: 'CANCELLED by 1000', reason: 'None' }),
      ],
    }),
  ],
});

describe('Slurm states', () => {
  it('reads the first word of a state and colours it by what it means', () => {
    expect(baseState('CANCELLED by 1000')).toBe('CANCELLED');
    expect(baseState('CANCELLED+')).toBe('CANCELLED');
    expect(
      ['RUNNING', 'COMPLETING', 'PENDING', 'REQUEUED', 'COMPLETED', 'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'CANCELLED by 0', 'UNKNOWN'].map(
        slurmStateColor,
      ),
    ).toEqual(['primary', 'primary', 'info', 'info', 'success', 'error', 'error', 'error', 'warning', 'default']);
  });

  it('names an array task job_index, a plain job by its id, nothing before submission; a reason in brackets', () => {
    expect(jobText('301', 4)).toBe('301_4');
    expect(jobText('302', null)).toBe('302');
    expect(jobText(null, 0)).toBeNull();
    expect(stateText('PENDING', 'Dependency')).toBe('PENDING (Dependency)');
    expect(stateText('RUNNING', null)).toBe('RUNNING');
    expect(stateText('COMPLETED', 'None')).toBe('COMPLETED');
  });

  it('shortens a log inside the study folder to its path there, and leaves any other path whole', () => {
    expect(insideStudy('/studies/pilot/cluster/s1/12_0.log', '/studies/pilot')).toBe('cluster/s1/12_0.log');
    expect(insideStudy('/studies/pilot/cluster/s1/12_0.log', '/studies/pilot/')).toBe('cluster/s1/12_0.log');
    expect(insideStudy('C:\\Studies\\pilot\\cluster\\s1\\12.log', 'C:\\Studies\\pilot')).toBe('cluster\\s1\\12.log');
    expect(insideStudy('/studies/pilot-2/cluster/s1/12_0.log', '/studies/pilot')).toBe('/studies/pilot-2/cluster/s1/12_0.log');
    expect(insideStudy('/scratch/logs/12_0.log', '/studies/pilot')).toBe('/scratch/logs/12_0.log');
    expect(insideStudy('/scratch/logs/12_0.log', '')).toBe('/scratch/logs/12_0.log');
  });

  it('lists tasks per state active first, failures before successes, unknown states last by name', () => {
    expect(countsOf({ COMPLETED: 3, WEIRD: 1, FAILED: 1, PENDING: 2, RUNNING: 1, ALSO_ODD: 2, TIMEOUT: 0 }).map((c) => c.state)).toEqual([
      'RUNNING',
      'PENDING',
      'FAILED',
      'COMPLETED',
      'ALSO_ODD',
      'WEIRD',
    ]);
  });
});

describe('the Jobs page section', () => {
  it('keeps the newest-first order, with counts, the rows of every task and what can be cancelled', () => {
    const section = clusterSection(STATUS, NOW);
    expect(section.active).toBe(true);
    expect(section.notes).toEqual(['accounting (sacct) is disabled']);
    expect(section.submissions.map((s) => s.id)).toEqual(['b-new', 'a-old']);
    const [fresh, old] = section.submissions;
    expect(fresh).toMatchObject({ kind: 'Whole study', created: '5 min ago', canCancel: true, countsText: '2 running · 2 pending' });
    expect(fresh!.rows.map((r) => [r.role, r.label, r.job, r.state, r.node, r.elapsed, r.reason])).toEqual([
      ['Pretraining', 'moco-resnet18-w8-demo-64-s0-abc', '300_0', 'RUNNING', 'gpu01', '—', '—'],
      ['Training', RUN_A, '301_0', 'PENDING', '—', '—', 'Dependency'],
      ['Training', RUN_B, '301_1', 'RUNNING', 'gpu02', '00:04:10', '—'],
      ['Finish', 'finish', '302', 'PENDING', '—', '—', 'Dependency'],
    ]);
    expect(fresh!.rows[1]!.log).toBe(`${DIR}/x/301_0.log`);
    expect(fresh!.rows[1]!.logShort).toBe('cluster/x/301_0.log');
    expect(old).toMatchObject({ kind: 'Training grid', created: '23 h ago', canCancel: false });
    expect(old!.counts).toEqual([
      { state: 'FAILED', count: 1, color: 'error' },
      { state: 'CANCELLED by 1000', count: 1, color: 'warning' },
      { state: 'COMPLETED', count: 1, color: 'success' },
    ]);
    expect(old!.rows.map((r) => [r.job, r.exitCode, r.reason])).toEqual([
      ['201_0', '0:0', '—'],
      ['201_1', '1:0', 'out of memory'], // no Slurm reason: the task's own message
      ['202', '—', '—'],
    ]);
  });

  it('a dry run has no jobs to cancel and says so in its kind; nothing active stops the refresh', () => {
    const dry = submission({
      id: 'dry',
      dryRun: true,
      jobs: [jobOf('train', null)],
      tasks: [task({ role: 'train', index: 0, label: RUN_A, jobId: null, state: 'UNKNOWN', source: 'none' })],
    });
    const model = submissionModel(dry, NOW);
    expect(model).toMatchObject({ kind: 'Training grid (dry run)', canCancel: false, countsText: '1 unknown' });
    expect(model.rows[0]!.job).toBe('—');
    const idle = ClusterStatus.parse({ ...STATUS, submissions: [STATUS.submissions[1], dry] });
    expect(isClusterActive(idle)).toBe(false);
    expect(isClusterActive(null)).toBe(false);
    expect(isClusterActive(STATUS)).toBe(true);
  });

  it('asks before cancelling, naming the Slurm jobs with active tasks and what is kept', () => {
    const text = cancelDialog(STATUS.submissions[0]!);
    expect(text.title).toBe('Cancel cluster submission b-new?');
    expect(text.body).toContain('Slurm cancels the 4 tasks of this submission still pending or running (scancel).');
    expect(text.body).toContain('keeps its last checkpoint');
    expect(text.body).toContain('(funduslab grid --study <dir> --executor slurm --retry-failed)');
    expect(cancelDialog(STATUS.submissions[0]!, '/studies/pilot').body).toContain('--study /studies/pilot --executor slurm');
    expect(text.items).toEqual([
      'Pretraining: job 300 (1 task active)',
      'Training: job 301 (2 tasks active)',
      'Finish: job 302 (1 task active)',
    ]);
    expect(text.confirmLabel).toBe('Cancel the Slurm jobs');
    expect(cancelledText('b-new', ['300', '301'])).toBe('Cancelled Slurm jobs 300, 301 of b-new.');
    expect(cancelledText('b-new', ['300'])).toBe('Cancelled Slurm job 300 of b-new.');
    expect(cancelledText('a-old', [])).toBe('Nothing to cancel in a-old: none of its jobs is pending or running.');
  });
});

function cell(runId: string, fraction: number): GridCell {
  return {
    runId,
    strategy: 'IWNE-FS',
    fraction,
    seed: 0,
    status: 'pending',
    reason: null,
    spec: null,
    epochsDone: 0,
    epochs: 4,
    bestValAuc: null,
  };
}

describe("the runs grid's cluster chip", () => {
  it("shows each run's task of its newest submission: the job with the state, or the reason a pending task waits", () => {
    const byRun = clusterStateByRun(STATUS);
    expect(clusterChip(byRun[RUN_B])).toEqual({
      state: 'RUNNING',
      label: 'RUNNING · job 301_1',
      color: 'primary',
      title: 'Cluster submission b-new: job 301_1, RUNNING',
    });
    expect(clusterChip(byRun[RUN_A])).toEqual({
      state: 'PENDING',
      label: 'PENDING (Dependency)',
      color: 'info',
      title: 'Cluster submission b-new: job 301_0, PENDING (Dependency)',
    });
    expect(clusterChip({ submission: 'dry', jobId: null, arrayIndex: 0, state: 'UNKNOWN', reason: null })).toMatchObject({
      label: 'UNKNOWN',
      title: 'Cluster submission dry: not submitted (dry run), UNKNOWN',
    });
    expect(clusterChip(undefined)).toBeNull();
  });

  it('puts the chip on the cells of a submission only, and on none without submissions', () => {
    const view: GridView = { spec: null, cells: [cell(RUN_A, 0.5), cell(RUN_B, 1), cell('iwne-fs-resnet18-w8-demo-f0.1-s0', 0.1)] };
    const flat = (t: ReturnType<typeof gridTable>) => t.rows.flatMap((r) => r.cells.flat()).map((c) => [c.runId, c.cluster?.label ?? null]);
    expect(flat(gridTable(view, [], '/studies/pilot', clusterStateByRun(STATUS)))).toEqual([
      ['iwne-fs-resnet18-w8-demo-f0.1-s0', null],
      [RUN_A, 'PENDING (Dependency)'],
      [RUN_B, 'RUNNING · job 301_1'],
    ]);
    // The older submission alone: its states.
    const old = ClusterStatus.parse({ ...STATUS, submissions: [STATUS.submissions[1]] });
    expect(flat(gridTable(view, [], '/studies/pilot', clusterStateByRun(old))).map(([, l]) => l)).toEqual([
      null,
      'COMPLETED · job 201_0',
      'FAILED · job 201_1',
    ]);
    expect(flat(gridTable(view, [], '/studies/pilot')).every(([, l]) => l === null)).toBe(true);
  });
});
