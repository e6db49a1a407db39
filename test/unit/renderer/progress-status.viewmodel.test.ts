/**
 * The app's side of the progress model: a job card's and the study card's progress line (the step named once, elapsed
 * time, time left; queued says so), the run a whole-study job trains shown Running in the runs table, and Queued and
 * Running named alike for jobs and runs.
 */
import { describe, expect, it } from 'vitest';
import { GridSpec, type GridCell, type GridView } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import { jobViewModel, statusLabel } from '../../../src-renderer/features/jobs/jobs.viewmodel';
import { RUN_STATUS, studyTrainingRunId } from '../../../src-renderer/features/training/run-status.viewmodel';
import { gridTable } from '../../../src-renderer/features/training/runs-dashboard.viewmodel';

const STUDY = '/studies/pilot';
const NOW = Date.parse('2025-03-01T10:05:13Z');

function studyJob(over: Partial<JobState> = {}): JobState {
  return {
    id: 'study',
    kind: 'study.run',
    title: 'Whole study',
    status: 'running',
    params: {},
    studyPath: STUDY,
    createdAt: '2025-03-01T10:00:00.000Z',
    startedAt: '2025-03-01T10:00:01.000Z',
    endedAt: null,
    progress: {
      done: 3712,
      total: 10_000,
      message: 'Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20',
      etaSeconds: 570,
      runId: 'iwne-fs-f0.5-s0',
    },
    error: null,
    result: null,
    log: [],
    ...over,
  };
}

function cell(over: Partial<GridCell> = {}): GridCell {
  return {
    runId: 'iwne-fs-f0.5-s0',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    status: 'partial',
    reason: null,
    spec: null,
    epochsDone: 3,
    epochs: 20,
    bestValAuc: null,
    ...over,
  };
}

describe('progress line of a job', () => {
  it('a running job: percent beside the bar, then the step named once, elapsed time and time left', () => {
    const vm = jobViewModel(studyJob(), NOW);
    expect(vm.percentText).toBe('37 %');
    expect(vm.times).toBe('5 min 12 s elapsed · about 9 min 30 s left');
    expect(vm.progressLine).toBe('Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20 · 5 min 12 s elapsed · about 9 min 30 s left');
    // One counter only: no "[3/8 train]", no "run 3/4" besides the step's own name.
    expect(vm.progressLine!.match(/\d+ of \d+/g)).toEqual(['3 of 8']);
  });

  it('a queued job says it waits and shows no running time; a finished one shows 100 % and its message', () => {
    const queued = jobViewModel(
      studyJob({
        status: 'queued',
        startedAt: null,
        progress: { done: 0, total: 1, message: 'Waiting for a free worker', etaSeconds: null },
      }),
      NOW,
    );
    expect(queued.statusLabel).toBe('Queued');
    expect(queued.progressLine).toBe('Queued: waiting for a worker');
    expect(queued.times).toBeNull();
    const done = jobViewModel(
      studyJob({
        status: 'succeeded',
        endedAt: '2025-03-01T10:20:00Z',
        progress: { done: 10_000, total: 10_000, message: 'Done', etaSeconds: 0 },
      }),
      NOW,
    );
    expect(done.percentText).toBe('100 %');
    expect(done.progressLine).toBe('Done');
    // Just before the end the bar says 99 %, never 100 % early.
    expect(
      jobViewModel(studyJob({ progress: { done: 9999, total: 10_000, message: 'Building the report', etaSeconds: 1 } }), NOW).percentText,
    ).toBe('99 %');
  });

  it('Queued and Running are named and coloured alike for jobs and runs', () => {
    expect(statusLabel('queued')).toBe(RUN_STATUS.queued.label);
    expect(statusLabel('running')).toBe(RUN_STATUS.running.label);
    expect(RUN_STATUS.queued.label).toBe('Queued');
    expect(RUN_STATUS.running.label).toBe('Running');
  });
});

describe('the run a whole study trains', () => {
  it('shows Running (not Pending or Partial) while the study job trains it; the others keep their folder status', () => {
    const cells = [
      cell(),
      cell({ runId: 'iwne-fs-f1-s0', fraction: 1, status: 'pending', epochsDone: 0 }),
      cell({ runId: 'iwne-fs-f0.25-s0', fraction: 0.25, status: 'done', epochsDone: 20 }),
    ];
    const view: GridView = { spec: GridSpec.parse({}), cells };
    const t = gridTable(view, [studyJob()], STUDY);
    const byId = new Map(t.rows.flatMap((r) => r.cells.flat()).map((c) => [c.runId, c]));
    expect(byId.get('iwne-fs-f0.5-s0')).toMatchObject({
      status: 'running',
      statusLabel: 'Running',
      percent: 15,
      message: null,
      eta: null,
      canCancel: false,
    });
    expect(byId.get('iwne-fs-f1-s0')).toMatchObject({ status: 'pending', statusLabel: 'Pending' });
    expect(byId.get('iwne-fs-f0.25-s0')).toMatchObject({ status: 'done' });
    expect(t.summary).toBe('1 of 3 runs done · 1 running · 1 pending');
  });

  it('a queued study, a study of another folder, or a study evaluating trains no run', () => {
    expect(studyTrainingRunId([studyJob()], STUDY)).toBe('iwne-fs-f0.5-s0');
    expect(studyTrainingRunId([studyJob()], `${STUDY}/`)).toBe('iwne-fs-f0.5-s0');
    expect(studyTrainingRunId([studyJob({ status: 'queued' })], STUDY)).toBeNull();
    expect(studyTrainingRunId([studyJob()], '/studies/other')).toBeNull();
    expect(
      studyTrainingRunId([studyJob({ progress: { done: 5000, total: 10_000, message: 'Evaluating 1 of 8', etaSeconds: 100 } })], STUDY),
    ).toBeNull();
    const view: GridView = { spec: GridSpec.parse({}), cells: [cell()] };
    expect(gridTable(view, [studyJob({ status: 'queued' })], STUDY).rows[0]!.cells[0]![0]).toMatchObject({ status: 'partial' });
  });
});
