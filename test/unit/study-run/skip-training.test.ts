/**
 * A whole study whose runs are trained elsewhere: with skipTraining (a cluster's finish job) the grid
 * is saved, no run is trained, every run not done is a warning naming its status and how to train it,
 * and the evaluations use the runs that are finished. Without it, a run another process trains now is
 * left alone and becomes a warning naming where it is trained.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeClusterLock } from '../../support/locks';
import { initEngine } from '../../../src-main/engine/backend';
import { gridView } from '../../../src-main/services/training/grid';
import { runTraining } from '../../../src-main/services/training/run';
import { openRunFolder } from '../../../src-main/services/training/run-setup';
import { runStudy, studyRunResult } from '../../../src-main/study-run/run-study';
import { StudyRunResult, type StudyPlanInput } from '../../../src-shared/study-plan';
import { TrainingSpec } from '../../../src-shared/training';
import { recordingContext } from '../../support/job-context';
import { demoStudy } from '../../support/studies';

let study: string;
let plan: StudyPlanInput;
const HALF = 'iwne-fs-resnet18-w8-demo-f0.5-s0';
const FULL = 'iwne-fs-resnet18-w8-demo-f1-s0';

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy({ patients: 16, size: 64 });
  plan = {
    study,
    grid: {
      strategies: ['IWNE-FS'],
      fractions: [0.5, 1],
      seeds: [0],
      base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, epochs: 1, batchSize: 16, referable: [2, 3, 4] },
    },
    evaluate: [{ datasetId: 'demo' }],
    report: null,
  };
}, 120_000);

const fix = () =>
  `Train it (funduslab grid --study ${study}, or the cluster's retry: funduslab grid --study ${study} --executor slurm --retry-failed), then run the study again`;

describe('runStudy with skipTraining', () => {
  it('trains nothing: every run not done is a warning, and the evaluations use the finished runs', async () => {
    const first = await runStudy(plan, recordingContext(), { skipTraining: true });
    expect(first.runs).toEqual([]);
    expect(first.warnings).toEqual([
      { item: `run ${HALF}`, reason: 'not trained: pending', fix: fix() },
      { item: `run ${FULL}`, reason: 'not trained: pending', fix: fix() },
    ]);
    expect(first.evaluations).toEqual([]);
    for (const id of [HALF, FULL]) expect(existsSync(path.join(study, 'runs', id)), id).toBe(false);
    expect((await gridView(study)).cells.map((c) => c.status)).toEqual(['pending', 'pending']);

    // The full-fraction run finished elsewhere (a cluster task): the next finish evaluates it and warns about the other.
    const cell = (await gridView(study)).cells.find((c) => c.runId === FULL)!;
    await runTraining(TrainingSpec.parse(cell.spec), study, recordingContext());
    const second = await runStudy(plan, recordingContext(), { skipTraining: true });
    expect(second.runs).toEqual([]);
    expect(second.warnings).toEqual([{ item: `run ${HALF}`, reason: 'not trained: pending', fix: fix() }]);
    expect(second.evaluations).toHaveLength(1);
    expect(second.evaluations[0]).toContain(FULL);
    expect(existsSync(path.join(study, 'runs', HALF))).toBe(false);
  }, 180_000);

  it('without skipTraining a run another process trains is left alone and is a warning naming where it is trained', async () => {
    const cell = (await gridView(study)).cells.find((c) => c.runId === HALF)!;
    const { files } = await openRunFolder(TrainingSpec.parse(cell.spec), study, undefined);
    const now = (await writeClusterLock(files.dir, '42_1')).startedAt;
    const outcome = await runStudy(plan, recordingContext());
    const message = `The run ${HALF} is being trained by funduslab grid (Slurm job 42_1 on host node07, since ${new Date(now).toLocaleString()}).`;
    expect(outcome.runs.map((r) => [r.runId, r.status])).toEqual([[HALF, 'busy']]);
    expect(outcome.warnings).toEqual([
      {
        item: `run ${HALF}`,
        reason: `being trained elsewhere: ${message}`,
        fix: 'Wait for it to finish (Slurm job 42_1 on host node07), then run the study again',
      },
    ]);
    expect(existsSync(files.log)).toBe(false);
    const json = StudyRunResult.parse(studyRunResult(outcome));
    expect(json.runs).toEqual([{ runId: HALF, status: 'busy', bestValAuc: null, error: message }]);
  }, 180_000);
});
