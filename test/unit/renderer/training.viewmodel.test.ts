/**
 * The Training page's view models on hand-made inputs with exact expected outputs: the wizard's
 * defaults (the paper's numbers, written out here as the oracle), the GridSpec it builds and the runs
 * that grid creates (run ids as the main side names them), where grid.save's field issues go, each
 * run's status merged from its grid cell and its job, the dashboard table, and the curves of a run.
 */
import { describe, expect, it } from 'vitest';
import { readableDataset } from './dataset-fixture';
import type { DatasetSummary } from '../../../src-shared/contract';
import { GridSpec, cellSpecInput, type GridCell, type GridView, type RunDetail } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import { TrainingSpec, type TrainingEpochLog } from '../../../src-shared/training';
import {
  DEFAULT_HYPER,
  FIELD_HELP,
  INITIAL_GRID_FORM,
  hyperFields,
  type GridForm,
} from '../../../src-renderer/features/training/study-wizard/grid-form.viewmodel';
import {
  addSorted,
  checkGridForm,
  checkGridStep,
  gridSteps,
  parseFraction,
  parseSeed,
  stepOfField,
  weightsWarnings,
} from '../../../src-renderer/features/training/study-wizard/grid-steps.viewmodel';
import { buildGridSpec, fieldOfGridIssue, formFromGrid } from '../../../src-renderer/features/training/study-wizard/grid-spec.viewmodel';
import { reviewRuns } from '../../../src-renderer/features/training/study-wizard/grid-review.viewmodel';
import { inputSizeNote, trainingDatasetChoices } from '../../../src-renderer/features/training/study-wizard/training-datasets.viewmodel';
import {
  mergeRunStatus,
  runIdOfJob,
  trainJobsByRun,
  trainJobsSignature,
} from '../../../src-renderer/features/training/run-status.viewmodel';
import { gridTable, runCellModel } from '../../../src-renderer/features/training/runs-dashboard.viewmodel';
import { runCurves, throttleDelay } from '../../../src-renderer/features/training/run-curves.viewmodel';
import { niceAxis, niceStep, stepDecimals } from '../../../src-renderer/shared/axis.viewmodel';
import { formatFraction, runLabel, strategyDash, variantDash } from '../../../src-renderer/shared/strategies';

const STUDY = '/studies/pilot';

function form(over: Partial<GridForm> = {}): GridForm {
  return { ...INITIAL_GRID_FORM, datasetId: 'demo', ...over };
}

function job(over: Partial<JobState> & { id: string }): JobState {
  return {
    kind: 'train.run',
    title: 'Training run',
    status: 'running',
    params: { strategy: 'IWNE-FS', arch: 'resnet18-w8', datasetId: 'demo', fraction: 0.5, seed: 0 },
    studyPath: STUDY,
    createdAt: '2025-03-01T10:00:00.000Z',
    startedAt: '2025-03-01T10:00:01.000Z',
    endedAt: null,
    progress: { done: 30, total: 120, message: 'epoch 1/4 · batch 30/30 · loss 1.234', etaSeconds: 130 },
    error: null,
    result: null,
    log: [],
    ...over,
  };
}

function cell(over: Partial<GridCell> = {}): GridCell {
  return {
    runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    status: 'pending',
    reason: null,
    spec: null,
    epochsDone: 0,
    epochs: 4,
    bestValAuc: null,
    ...over,
  };
}

describe('wizard defaults and explanations', () => {
  it("fills in the paper's defaults: ResNet50 at 224 px, IWNE 500 epochs at 1e-4, IFI 50 at 1e-3, MoCo v2 200 epochs at 0.03 with K = 65,536", () => {
    expect(DEFAULT_HYPER).toEqual({
      arch: 'resnet50',
      inputSize: '224',
      batchSize: '32',
      iwneEpochs: '500',
      iwneLr: '0.0001',
      ifiEpochs: '50',
      ifiLr: '0.001',
      mocoEpochs: '200',
      mocoLr: '0.03',
      mocoQueue: '65536',
    });
    expect(INITIAL_GRID_FORM.fractions).toEqual([0.1, 0.2, 0.5, 1]);
    expect(INITIAL_GRID_FORM.seeds).toEqual([0]);
  });

  it("explains each field with the schema's own description", () => {
    expect(FIELD_HELP.iwneLr).toBe('Base learning rate; default by initialisation: IWNE 1e-4, IFI 1e-3 (paper)');
    expect(FIELD_HELP.ifiEpochs).toBe('Supervised epochs; default by initialisation: IWNE 500, IFI 50 (paper)');
    expect(FIELD_HELP.mocoQueue).toMatch(/^K, negatives in the queue \(MoCo v2: 65536\)/);
    expect(FIELD_HELP.inputSize).toBe('Square input side in pixels after preprocessing (paper: 224)');
    for (const [field, text] of Object.entries(FIELD_HELP)) expect(text.length, field).toBeGreaterThan(10);
  });

  it('shows only the settings the chosen strategies use; the weights step only for IFI', () => {
    expect(hyperFields(['IWNE-FS'])).toEqual(['arch', 'inputSize', 'batchSize', 'iwneEpochs', 'iwneLr']);
    expect(hyperFields(['IFI-CL', 'IWNE-CL'])).toEqual([
      'arch',
      'inputSize',
      'batchSize',
      'iwneEpochs',
      'iwneLr',
      'ifiEpochs',
      'ifiLr',
      'mocoEpochs',
      'mocoLr',
      'mocoQueue',
    ]);
    expect(gridSteps(['IWNE-FS', 'IWNE-CL'])).toEqual(['dataset', 'tests', 'strategies', 'fractions', 'hyper', 'compute', 'review']);
    expect(gridSteps(['IFI-FS'])).toEqual(['dataset', 'tests', 'strategies', 'fractions', 'hyper', 'weights', 'compute', 'review']);
  });
});

describe('wizard checks', () => {
  it('each step names what is missing or out of range', () => {
    expect(checkGridStep(form({ datasetId: '' }), 'dataset')).toEqual({ datasetId: 'Choose the dataset to train on.' });
    expect(checkGridStep(form({ strategies: [] }), 'strategies')).toEqual({ strategies: 'Choose at least one strategy.' });
    expect(checkGridStep(form({ fractions: [], seeds: [] }), 'fractions')).toEqual({
      fractions: 'Add at least one label fraction.',
      seeds: 'Add at least one seed.',
    });
    expect(checkGridStep(form({ arch: 'vgg16', inputSize: '16', batchSize: '2.5', iwneEpochs: '0', iwneLr: '-1' }), 'hyper')).toEqual({
      arch: 'resnet18/34/50/101/152, optionally with "-wN" (e.g. resnet50, resnet18-w8)',
      inputSize: 'Input size: a whole number from 32 to 1024',
      batchSize: 'Batch size: a whole number ≥ 1',
      iwneEpochs: 'Epochs: a whole number ≥ 1',
      iwneLr: 'Learning rate: a number > 0 (e.g. 1e-4)',
    });
    // IFI fields are not checked when no IFI strategy is chosen
    expect(checkGridStep(form({ ifiLr: 'x' }), 'hyper')).toEqual({});
    expect(checkGridForm(form({ strategies: ['IFI-FS'], ifiLr: 'x' }))).toEqual({ ifiLr: 'Learning rate: a number > 0 (e.g. 1e-4)' });
    expect(checkGridForm(form({ arch: 'resnet18-w8', inputSize: '48', iwneEpochs: '1' }))).toEqual({});
  });

  it('warns about IFI strategies without their weights file', () => {
    expect(weightsWarnings({ strategies: ['IFI-FS', 'IFI-CL'], imagenetWeights: ' ', mocoWeights: '/w/moco.pth.tar' })).toEqual([
      'No ImageNet weights file: the IFI-FS runs will be blocked until you set one.',
    ]);
    expect(weightsWarnings({ strategies: ['IWNE-FS'], imagenetWeights: '', mocoWeights: '' })).toEqual([]);
  });

  it('parses fractions as numbers or percentages in (0, 1], and seeds as whole numbers', () => {
    expect(parseFraction('0.25')).toEqual({ value: 0.25 });
    expect(parseFraction('25 %')).toEqual({ value: 0.25 });
    expect(parseFraction('12.5%')).toEqual({ value: 0.125 });
    expect(parseFraction('1')).toEqual({ value: 1 });
    expect(parseFraction('7%')).toEqual({ value: 0.07 }); // not 0.07000000000000001
    for (const bad of ['0', '1.5', '-0.1', '', 'abc', '150%']) expect(parseFraction(bad)).toHaveProperty('error');
    expect(parseSeed(' 3 ')).toEqual({ value: 3 });
    for (const bad of ['-1', '1.5', '', 'x']) expect(parseSeed(bad)).toHaveProperty('error');
    expect(addSorted([0.1, 0.5], 0.2)).toEqual([0.1, 0.2, 0.5]);
    expect(addSorted([0.1, 0.5], 0.5)).toEqual([0.1, 0.5]);
    expect(addSorted([1, 2], 3, 2)).toEqual([1, 2]);
  });
});

describe('the grid the wizard builds', () => {
  const tiny = form({
    strategies: ['IWNE-FS'],
    fractions: [1, 0.5],
    seeds: [0],
    arch: 'resnet18-w8',
    inputSize: '48',
    batchSize: '16',
    iwneEpochs: '1',
    iwneLr: '0.002',
  });

  it('puts shared settings in base and epochs/lr per strategy in overrides', () => {
    expect(buildGridSpec(tiny)).toEqual({
      strategies: ['IWNE-FS'],
      fractions: [0.5, 1],
      seeds: [0],
      base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 48, batchSize: 16 },
      overrides: { 'IWNE-FS': { epochs: 1, lr: 0.002 } },
    });
  });

  it('gives IFI its own epochs and lr, MoCo settings only to IWNE-CL, and a weights file only to the strategy that uses it', () => {
    const spec = buildGridSpec(
      form({
        strategies: ['IFI-CL', 'IWNE-CL', 'IFI-FS'],
        imagenetWeights: ' /w/r50.pth ',
        mocoWeights: '',
        mocoEpochs: '20',
        mocoQueue: '4096',
      }),
    );
    expect(spec.strategies).toEqual(['IWNE-CL', 'IFI-FS', 'IFI-CL']);
    expect(spec.overrides).toEqual({
      'IWNE-CL': { epochs: 500, lr: 0.0001, moco: { epochs: 20, lr: 0.03, queueSize: 4096 } },
      'IFI-FS': { epochs: 50, lr: 0.001 },
      'IFI-CL': { epochs: 50, lr: 0.001 },
    });
    expect(spec.imagenetWeights).toBe('/w/r50.pth');
    expect('mocoWeights' in spec).toBe(false);
    expect('imagenetWeights' in buildGridSpec(form({ strategies: ['IWNE-FS'], imagenetWeights: '/w/r50.pth' }))).toBe(false);
  });

  it('lists every run the grid will create, with the run ids the main side derives', () => {
    expect(reviewRuns(tiny)).toEqual({
      error: null,
      runs: [
        {
          runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
          strategy: 'IWNE-FS',
          fraction: '50 %',
          seed: 0,
          training: '1 epoch · lr 0.002',
          note: null,
        },
        {
          runId: 'iwne-fs-resnet18-w8-demo-f1-s0',
          strategy: 'IWNE-FS',
          fraction: '100 %',
          seed: 0,
          training: '1 epoch · lr 0.002',
          note: null,
        },
      ],
    });
    const two = reviewRuns(form({ strategies: ['IWNE-CL', 'IFI-FS'], fractions: [0.1], seeds: [0, 1], mocoEpochs: '3' }));
    expect(two.runs.map((r) => [r.runId, r.training, r.note])).toEqual([
      ['iwne-cl-resnet50-demo-f0.1-s0', '500 epochs · lr 0.0001 · after 3 MoCo epochs', null],
      ['iwne-cl-resnet50-demo-f0.1-s1', '500 epochs · lr 0.0001 · after 3 MoCo epochs', null],
      ['ifi-fs-resnet50-demo-f0.1-s0', '50 epochs · lr 0.001', 'blocked: no ImageNet weights'],
      ['ifi-fs-resnet50-demo-f0.1-s1', '50 epochs · lr 0.001', 'blocked: no ImageNet weights'],
    ]);
    expect(reviewRuns(form({ fractions: [] })).error).toMatch(/^fractions: /);
  });

  it('reads a stored grid back into the same form, and keeps settings it does not edit', () => {
    const built = form({
      strategies: ['IWNE-CL', 'IFI-FS'],
      fractions: [0.2, 1],
      seeds: [1, 4],
      imagenetWeights: '/w/r50.pth',
      mocoLr: '0.001',
      ifiEpochs: '7',
    });
    expect(formFromGrid(GridSpec.parse(buildGridSpec(built)))).toEqual(built);
    // A hand-written grid (CLI): epochs in base, extra settings in base and in an override
    const cli = GridSpec.parse({
      strategies: ['IWNE-FS', 'IWNE-CL'],
      base: { datasetId: 'eyepacs', epochs: 3, referable: [2, 3, 4], moco: { temperature: 0.1 } },
      overrides: { 'IWNE-CL': { classWeights: true, moco: { epochs: 9, batchSize: 64 } } },
    });
    const f = formFromGrid(cli);
    // base.epochs applies to every strategy (IFI too); lr falls back to the per-initialisation default
    expect([f.datasetId, f.iwneEpochs, f.iwneLr, f.ifiEpochs, f.ifiLr, f.mocoEpochs, f.mocoLr]).toEqual([
      'eyepacs',
      '3',
      '0.0001',
      '3',
      '0.001',
      '9',
      '0.03',
    ]);
    expect(f.keepBase).toEqual({ referable: [2, 3, 4], moco: { temperature: 0.1 } });
    expect(f.keepOverrides).toEqual({ 'IWNE-CL': { classWeights: true, moco: { batchSize: 64 } } });
    const again = buildGridSpec(f);
    expect(again.base).toEqual({
      referable: [2, 3, 4],
      moco: { temperature: 0.1 },
      datasetId: 'eyepacs',
      arch: 'resnet50',
      inputSize: 224,
      batchSize: 32,
    });
    expect(again.overrides).toEqual({
      'IWNE-FS': { epochs: 3, lr: 0.0001 },
      'IWNE-CL': { classWeights: true, epochs: 3, lr: 0.0001, moco: { batchSize: 64, epochs: 9, lr: 0.03, queueSize: 65536 } },
    });
    // Every cell parses as the same training spec after the round trip.
    const parsedAgain = GridSpec.parse(again);
    for (const strategy of cli.strategies) {
      expect(TrainingSpec.parse(cellSpecInput(parsedAgain, strategy, 0.5, 1)), strategy).toEqual(
        TrainingSpec.parse(cellSpecInput(cli, strategy, 0.5, 1)),
      );
    }
    expect(formFromGrid(null)).toEqual(INITIAL_GRID_FORM);
  });

  it('sends grid.save field issues to their fields and steps', () => {
    const cases: [string, string | null][] = [
      ['base.lr', 'iwneLr'],
      ['base.datasetId', 'datasetId'],
      ['base.inputSize', 'inputSize'],
      ['overrides.IFI-FS.epochs', 'ifiEpochs'],
      ['overrides.IWNE-CL.lr', 'iwneLr'],
      ['overrides.IWNE-CL.moco.queueSize', 'mocoQueue'],
      ['base.moco.lr', 'mocoLr'],
      ['spec.fractions.0', 'fractions'],
      ['spec.seeds', 'seeds'],
      ['spec.imagenetWeights', 'imagenetWeights'],
      ['spec.base', null],
      ['base.augmentation.horizontalFlip', null],
    ];
    for (const [path, field] of cases) expect(fieldOfGridIssue(path), path).toBe(field);
    expect(stepOfField('ifiEpochs')).toBe('hyper');
    expect(stepOfField('seeds')).toBe('fractions');
    expect(stepOfField('mocoWeights')).toBe('weights');
  });
});

describe('datasets to train on', () => {
  // The training-dataset choices count the train split and `none`; grades as given.
  const readable = (id: string, over: Partial<Extract<DatasetSummary, { readable: true }>> = {}): DatasetSummary =>
    readableDataset(id, {
      items: 40,
      patients: 20,
      grades: { '0': 10, '1': 10, '2': 10, '3': 5, '4': 5 },
      splits: { train: 30, test: 10 },
      perSplitGrade: {},
      candidates: 40,
      ...over,
    });

  it('offers graded, preprocessed datasets and says why the others are not', () => {
    expect(
      trainingDatasetChoices([
        readable('demo'),
        readable('seg', { grades: { ungraded: 4 } }),
        readable('raw', { preprocessed: false }),
        { readable: false, id: 'bad', reason: 'manifest.json missing' },
        readable('held', { splits: { test: 40 } }),
      ]),
    ).toEqual([
      { id: 'demo', label: 'demo — 30 training images, 48 px', disabledReason: null, inputSize: 48 },
      { id: 'seg', label: 'seg — 30 training images, 48 px', disabledReason: 'no graded images', inputSize: 48 },
      { id: 'raw', label: 'raw — 30 training images, 48 px', disabledReason: 'validated only: no preprocessed images', inputSize: 48 },
      { id: 'bad', label: 'bad', disabledReason: 'cannot be read: manifest.json missing', inputSize: null },
      {
        id: 'held',
        label: 'held — 0 training images, 48 px',
        disabledReason: 'a held-out test set: every image is in the test split',
        inputSize: 48,
      },
    ]);
    const [demo] = trainingDatasetChoices([readable('demo')]);
    expect(inputSizeNote({ inputSize: '48' }, demo)).toBeNull();
    expect(inputSizeNote({ inputSize: '224' }, demo)).toBe(
      'Dataset demo was preprocessed at 48 px: training resizes its images to 224 px, and test sets at another size are prepared at 224 px when the runs are evaluated.',
    );
  });
});

describe('run status: grid cell merged with its job', () => {
  const failed = { status: 'failed' as const, error: { code: 'INTERNAL', message: 'out of memory' } };
  it('follows the live job, then the run folder', () => {
    const c = (status: GridCell['status'], reason: string | null = null) => ({ status, reason });
    expect(mergeRunStatus(c('pending'), null)).toEqual({ status: 'pending', reason: null, note: null });
    expect(mergeRunStatus(c('pending'), { status: 'queued', error: null })).toEqual({ status: 'queued', reason: null, note: null });
    expect(mergeRunStatus(c('partial'), { status: 'running', error: null })).toEqual({ status: 'running', reason: null, note: null });
    expect(mergeRunStatus(c('partial'), { status: 'succeeded', error: null })).toEqual({ status: 'done', reason: null, note: null }); // grid not re-read yet
    expect(mergeRunStatus(c('done'), failed)).toEqual({ status: 'done', reason: null, note: null }); // an old failure of a run finished since
    expect(mergeRunStatus(c('partial'), failed)).toEqual({ status: 'failed', reason: 'out of memory', note: null });
    expect(mergeRunStatus(c('partial'), { status: 'cancelled', error: null })).toEqual({
      status: 'partial',
      reason: null,
      note: 'cancelled',
    });
    expect(mergeRunStatus(c('pending'), { status: 'interrupted', error: null })).toEqual({
      status: 'pending',
      reason: null,
      note: 'interrupted (FundusLab stopped)',
    });
    expect(mergeRunStatus(c('blocked', 'IFI-FS needs ImageNet weights'), null)).toEqual({
      status: 'blocked',
      reason: 'IFI-FS needs ImageNet weights',
      note: null,
    });
    expect(mergeRunStatus(c('invalid', 'runs/x exists with other settings'), { status: 'running', error: null })).toEqual({
      status: 'invalid',
      reason: 'runs/x exists with other settings',
      note: null,
    });
  });

  it('matches train.run jobs to runs by defaultRunId of their parameters; the newest job of a run wins; other studies and kinds are ignored', () => {
    expect(runIdOfJob(job({ id: 'a' }))).toBe('iwne-fs-resnet18-w8-demo-f0.5-s0');
    expect(runIdOfJob(job({ id: 'b', kind: 'evaluate.run' }))).toBeNull();
    expect(runIdOfJob(job({ id: 'c', params: { strategy: 'IWNE-FS' } }))).toBeNull();
    const jobs = [
      job({ id: 'old', status: 'failed', createdAt: '2025-03-01T09:00:00.000Z' }),
      job({ id: 'new', status: 'queued', createdAt: '2025-03-01T11:00:00.000Z' }),
      job({ id: 'other-study', createdAt: '2025-03-01T12:00:00.000Z', studyPath: '/studies/other' }),
      job({ id: 'f1', params: { strategy: 'IWNE-FS', arch: 'resnet18-w8', datasetId: 'demo', fraction: 1, seed: 0 } }),
      job({ id: 'eval', kind: 'evaluate.run', params: { runId: 'x', datasetId: 'demo' } }),
    ];
    const byRun = trainJobsByRun(jobs, `${STUDY}/`);
    expect([...byRun.entries()].map(([run, j]) => [run, j.id])).toEqual([
      ['iwne-fs-resnet18-w8-demo-f0.5-s0', 'new'],
      ['iwne-fs-resnet18-w8-demo-f1-s0', 'f1'],
    ]);
    expect(trainJobsSignature(jobs, STUDY)).toBe('iwne-fs-resnet18-w8-demo-f0.5-s0:new:queued|iwne-fs-resnet18-w8-demo-f1-s0:f1:running');
  });

  it("a running cell: the job's progress and ETA, the folder's epochs and best AUC, cancel but no retry", () => {
    expect(runCellModel(cell({ status: 'partial', epochsDone: 1, bestValAuc: 0.81234 }), job({ id: 'j1' }))).toEqual({
      runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
      strategy: 'IWNE-FS',
      fraction: 0.5,
      seed: 0,
      status: 'running',
      statusLabel: 'Running',
      statusColor: 'primary',
      reason: null,
      note: null,
      percent: 25,
      indeterminate: false,
      epochs: '1 / 4 epochs',
      bestAuc: 'AUC 0.812',
      eta: '2 min 10 s left',
      message: 'epoch 1/4 · batch 30/30 · loss 1.234',
      jobId: 'j1',
      canCancel: true,
      canRetry: false,
    });
  });

  it('finished, failed, partial and blocked cells', () => {
    const done = runCellModel(
      cell({ status: 'done', epochsDone: 4, bestValAuc: 0.9 }),
      job({ id: 'j', status: 'succeeded', progress: { done: 120, total: 120, message: 'finished', etaSeconds: 0 } }),
    );
    expect([done.status, done.percent, done.epochs, done.eta, done.message, done.canCancel, done.canRetry]).toEqual([
      'done',
      100,
      '4 / 4 epochs',
      null,
      null,
      false,
      false,
    ]);
    const fail = runCellModel(
      cell({ status: 'partial', epochsDone: 2 }),
      job({ id: 'j', status: 'failed', error: { code: 'INTERNAL', message: 'disk full' } }),
    );
    expect([fail.status, fail.statusColor, fail.reason, fail.percent, fail.canRetry]).toEqual(['failed', 'error', 'disk full', 50, true]);
    const partial = runCellModel(cell({ status: 'partial', epochsDone: 3 }), null);
    expect([partial.status, partial.percent, partial.epochs, partial.canRetry, partial.jobId]).toEqual([
      'partial',
      75,
      '3 / 4 epochs',
      false,
      null,
    ]);
    const queued = runCellModel(
      cell(),
      job({ id: 'q', status: 'queued', progress: { done: 0, total: 1, message: 'Waiting for a free worker', etaSeconds: null } }),
    );
    expect([queued.status, queued.indeterminate, queued.eta, queued.canCancel]).toEqual(['queued', true, null, true]);
    const blocked = runCellModel(cell({ strategy: 'IFI-FS', status: 'blocked', reason: 'needs ImageNet weights' }), null);
    expect([blocked.status, blocked.statusColor, blocked.reason]).toEqual(['blocked', 'warning', 'needs ImageNet weights']);
  });
});

describe('the runs table', () => {
  it("rows = strategies in the paper's order, columns = fractions, one entry per seed; counts and summary", () => {
    const cells: GridCell[] = [
      cell({ runId: 'ifi-f0.5-s0', strategy: 'IFI-FS', status: 'blocked', reason: 'no weights' }),
      cell({ runId: 'iwne-f1-s1', fraction: 1, seed: 1, status: 'done', epochsDone: 4 }),
      cell({ runId: 'iwne-f1-s0', fraction: 1, seed: 0 }),
      cell({ runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0' }),
      cell({ runId: 'ifi-f1-s0', strategy: 'IFI-FS', fraction: 1, status: 'blocked', reason: 'no weights' }),
    ];
    const view: GridView = { spec: GridSpec.parse({}), cells };
    const t = gridTable(view, [job({ id: 'run' })], STUDY);
    expect(t.fractions).toEqual([
      { value: 0.5, label: '50 %' },
      { value: 1, label: '100 %' },
    ]);
    expect(t.rows.map((r) => [r.strategy, r.cells.map((seeds) => seeds.map((c) => `${c.runId}:${c.status}`))])).toEqual([
      ['IWNE-FS', [['iwne-fs-resnet18-w8-demo-f0.5-s0:running'], ['iwne-f1-s0:pending', 'iwne-f1-s1:done']]],
      ['IFI-FS', [['ifi-f0.5-s0:blocked'], ['ifi-f1-s0:blocked']]],
    ]);
    expect(t.counts).toEqual({ pending: 1, queued: 0, running: 1, partial: 0, done: 1, blocked: 2, invalid: 0, failed: 0, total: 5 });
    expect(t.summary).toBe('1 of 5 runs done · 1 running · 1 pending · 2 blocked');
    expect(t.active).toBe(true);
    expect(t.launchable).toBe(1);
  });
});

describe('live curves of a run', () => {
  const epoch = (n: number, trainLoss: number, valLoss: number, valAuc: number | null, best: boolean): TrainingEpochLog => ({
    epoch: n,
    trainLoss,
    valLoss,
    valAuc,
    lr: 0.002,
    seconds: 3,
    imagesPerSecond: 40,
    stallMs: 0,
    best,
    at: '2025-03-01T10:00:00.000Z',
  });

  it('loss and AUC per epoch, the selected epoch, an AUC axis from just below the lowest AUC to 1', () => {
    const detail: RunDetail = {
      runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
      trainer: null,
      stopRequest: null,
      spec: TrainingSpec.parse({
        strategy: 'IWNE-FS',
        fraction: 0.5,
        seed: 0,
        arch: 'resnet18-w8',
        inputSize: 48,
        epochs: 4,
        lr: 0.002,
        batchSize: 16,
        datasetId: 'demo',
      }),
      result: null,
      log: [epoch(1, 1.6, 1.5, 0.62, true), epoch(2, 1.2, 1.3, null, false), epoch(3, 0.9, 1.1, 0.81, true)],
      pretrainLog: [],
      pretrainCheck: null,
      preprocessing: null,
    };
    const m = runCurves(detail);
    expect(m.title).toBe('IWNE-FS · 50 % · seed 0');
    expect(m.progress).toBe('3 of 4 epochs');
    expect(m.loss).toEqual([
      { epoch: 1, train: 1.6, val: 1.5 },
      { epoch: 2, train: 1.2, val: 1.3 },
      { epoch: 3, train: 0.9, val: 1.1 },
    ]);
    expect(m.auc).toEqual([
      { epoch: 1, auc: 0.62 },
      { epoch: 2, auc: null },
      { epoch: 3, auc: 0.81 },
    ]);
    expect(m.best).toEqual({ epoch: 3, auc: 0.81 });
    expect(m.aucAxis).toEqual({ domain: [0.6, 1], ticks: [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1], decimals: 2 });
    // losses 0.9 … 1.6: range 0.7 / 4 intervals → step 0.2
    expect(m.lossAxis).toEqual({ domain: [0.8, 1.6], ticks: [0.8, 1, 1.2, 1.4, 1.6], decimals: 1 });
    expect(m.pretrainAxis).toBeNull();
    expect(m.pretrain).toBeNull();
    expect(m.lossDescription).toBe('Training loss from 1.6 to 0.9 over 3 epochs. Validation loss from 1.5 to 1.1 over 3 epochs.');
    expect(m.aucDescription).toBe('Validation AUC from 0.62 to 0.81 over 2 epochs. Best 0.810 at epoch 3.');
    // No preprocessing.json yet: no row; one at another size than the import's says so.
    expect(m.summary.map((r) => r.label)).not.toContain('Preprocessing');
    const use = {
      datasetId: 'demo',
      inputSize: 48,
      importSize: 64,
      settingsKey: 'abc123def456',
      resampling: 'from source' as const,
      images: 40,
    };
    expect(runCurves({ ...detail, preprocessing: [use] }).summary.at(-1)).toEqual({
      label: 'Preprocessing',
      value: 'at 48 px from the source images (dataset imported at 64 px; cache abc123def456)',
    });
    expect(runCurves({ ...detail, preprocessing: [{ ...use, importSize: 48 }] }).summary.at(-1)!.value).toBe(
      "the import's 48-px cache (abc123def456)",
    );
  });

  it("a finished IWNE-CL run: the result's best epoch, and the MoCo pretraining loss", () => {
    const spec = TrainingSpec.parse({
      strategy: 'IWNE-CL',
      fraction: 1,
      seed: 2,
      arch: 'resnet18-w8',
      epochs: 1,
      datasetId: 'demo',
      moco: { epochs: 3 },
    });
    const detail: RunDetail = {
      runId: 'r',
      trainer: null,
      stopRequest: null,
      spec,
      result: {
        bestEpoch: 1,
        bestValAuc: 0.7,
        finalEpoch: 1,
        stoppedEarly: false,
        trainImages: 30,
        validationImages: 6,
      } as RunDetail['result'],
      log: [epoch(1, 1.4, 1.45, 0.7, true)],
      pretrainLog: [1, 2].map((e) => ({
        epoch: e,
        loss: 8 - e,
        accuracy: 0.1,
        lr: 0.03,
        seconds: 1,
        imagesPerSecond: 10,
        stallMs: 0,
        at: '',
      })),
      pretrainCheck: null,
      preprocessing: null,
    };
    const m = runCurves(detail);
    expect(m.learning).toBeNull();
    expect(m.progress).toBe('finished: 1 of 1 epoch');
    expect(m.best).toEqual({ epoch: 1, auc: 0.7 });
    expect(m.pretrain).toEqual([
      { epoch: 1, loss: 7 },
      { epoch: 2, loss: 6 },
    ]);
    expect(m.pretrainProgress).toBe('MoCo pretraining: 2 of 3 epochs');
    expect(m.aucAxis).toEqual({ domain: [0.7, 1], ticks: [0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1], decimals: 2 });
    // losses 6 … 7: 1 / 4 intervals → step 0.25
    expect(m.pretrainAxis).toEqual({ domain: [6, 7], ticks: [6, 6.25, 6.5, 6.75, 7], decimals: 2 });
    expect(m.summary.find((r) => r.label === 'Selected model')?.value).toBe('epoch 1, validation AUC 0.700');
  });

  it('IWNE-CL: the learning check as rows, chance drawn beside the MoCo loss, its warnings for the banner', () => {
    const spec = TrainingSpec.parse({ strategy: 'IWNE-CL', fraction: 1, seed: 0, arch: 'resnet18-w8', epochs: 1, datasetId: 'demo' });
    const check = {
      k: 20,
      labels: 'referable' as const,
      referable: [3, 4],
      images: 272,
      sampled: false,
      metric: 'auc' as const,
      pretrained: { auc: 0.622, balancedAccuracy: 0.55, accuracy: 0.57 },
      random: { auc: 0.64, balancedAccuracy: 0.5, accuracy: 0.55 },
      gain: -0.018,
      chanceLoss: Math.log(65),
      finalLoss: 4.1,
      lossVsChance: 4.1 / Math.log(65),
      warnings: ['The MoCo loss ended at 4.100, within 5 % of chance.', 'The k-NN gain is not positive.'],
      seconds: 1,
    };
    const detail: RunDetail = {
      runId: 'cl',
      trainer: null,
      stopRequest: null,
      spec,
      result: null,
      log: [],
      pretrainLog: [{ epoch: 1, loss: 4.1, accuracy: 0.02, lr: 0.003, seconds: 1, imagesPerSecond: 10, stallMs: 0, at: '' }],
      pretrainCheck: check,
      preprocessing: null,
    };
    const m = runCurves(detail);
    expect(m.pretrain).toEqual([{ epoch: 1, loss: 4.1, chance: Math.log(65) }]);
    // The axis reaches up to chance so the dashed line is inside the chart.
    expect(m.pretrainAxis!.domain[1]).toBeGreaterThanOrEqual(Math.log(65));
    expect(m.pretrainDescription).toContain('Chance (ln(1 + K)) is 4.17');
    expect(m.learning!.warnings).toEqual(check.warnings);
    expect(m.learning!.rows).toEqual([
      { label: 'MoCo final loss', value: '4.100 (chance 4.174, 98 % of it)' },
      { label: 'MoCo Acc@1', value: '2.0 % (last epoch)' },
      { label: 'k-NN AUC', value: '0.622 pretrained vs 0.640 random (gain −0.018; k = 20, 272 images)' },
    ]);
    // Another strategy has no check even if one were attached.
    expect(runCurves({ ...detail, spec: TrainingSpec.parse({ ...spec, strategy: 'IWNE-FS' }) }).learning).toBeNull();
  });

  it('nice value axes: steps of 1, 2, 2.5 or 5 × 10^k, bounds on multiples of the step; a lone value gets a step either side', () => {
    expect([0.03, 0.045, 0.175, 0.2, 0.7, 3, 12].map(niceStep)).toEqual([0.05, 0.05, 0.2, 0.2, 1, 5, 20]);
    // range 0.13 / 4 = 0.0325 → step 0.05
    expect(niceAxis(1.627, 1.757)).toEqual({ domain: [1.6, 1.8], ticks: [1.6, 1.65, 1.7, 1.75, 1.8], decimals: 2 });
    // range 0.1 / 4 = 0.025 → step 0.025, labelled with 3 decimals
    expect(niceAxis(1.63, 1.73)).toEqual({ domain: [1.625, 1.75], ticks: [1.625, 1.65, 1.675, 1.7, 1.725, 1.75], decimals: 3 });
    expect(niceAxis(2, 2)).toEqual({ domain: [1.9, 2.1], ticks: [1.9, 2, 2.1], decimals: 1 });
    expect(niceAxis(0, 0)).toEqual({ domain: [-0.1, 0.1], ticks: [-0.1, 0, 0.1], decimals: 1 });
    expect(niceAxis(Number.NaN, 1)).toEqual({ domain: [0, 1], ticks: [0, 0.25, 0.5, 0.75, 1], decimals: 2 });
    expect([0.025, 0.1, 2.5, 5, 20].map(stepDecimals)).toEqual([3, 1, 1, 0, 0]);
  });

  it('throttles re-reads to one per interval', () => {
    expect(throttleDelay(null, 10_000, 2000)).toBe(0);
    expect(throttleDelay(9_500, 10_000, 2000)).toBe(1500);
    expect(throttleDelay(7_000, 10_000, 2000)).toBe(0);
  });
});

describe('strategy look and labels (shared)', () => {
  it('FS solid, CL dashed; later curves of a strategy get their own dash', () => {
    expect(strategyDash('IWNE-FS')).toBeUndefined();
    expect(strategyDash('IFI-CL')).toBe('7 4');
    expect(variantDash('IFI-FS', 0)).toBeUndefined();
    expect(variantDash('IFI-FS', 1)).toBe('2 3');
    expect(variantDash('IFI-FS', 5)).toBe('2 3');
  });
  it('formats fractions and runs', () => {
    expect([0.1, 0.125, 0.07, 1].map(formatFraction)).toEqual(['10 %', '12.5 %', '7 %', '100 %']);
    expect(runLabel({ strategy: 'IFI-CL', fraction: 0.2, seed: 3 })).toBe('IFI-CL · 20 % · seed 3');
  });
});
