/**
 * Run settings and outdated runs in the renderer's view models: the settings columns (epochs, lr,
 * batch, input size), the "Outdated" chip with its reasons, the "settings differ" marker, the results
 * notices (left out / included), the runs grid's other runs and job matching for `<id>-v2` cells, and
 * the analyses' run groups leaving outdated runs out.
 */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-shared/contract';
import type { ResultsRow } from '../../../src-shared/evaluation';
import type { GridCell, GridOtherRun, GridView } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import type { RunSettings, RunStanding } from '../../../src-shared/run-identity';
import { resultRows, resultsNotices } from '../../../src-renderer/features/results/results.viewmodel';
import {
  formatLr,
  outdatedChip,
  settingsDiffer,
  settingsLine,
  settingsText,
} from '../../../src-renderer/features/training/run-settings.viewmodel';
import { gridTable, otherRuns } from '../../../src-renderer/features/training/runs-dashboard.viewmodel';
import { runGroups } from '../../../src-renderer/shared/analyses.viewmodel';

const STUDY = '/studies/pilot';
const settings = (over: Partial<RunSettings> = {}): RunSettings => ({ epochs: 6, lr: 1e-3, batchSize: 16, inputSize: 64, ...over });
const current: RunStanding = { outdated: false, reasons: [], identityComplete: true, note: null };
const outdated: RunStanding = { outdated: true, reasons: ['epochs 1 → 6', 'dataset content changed'], identityComplete: true, note: null };

function row(over: Partial<ResultsRow> = {}): ResultsRow {
  return {
    evaluation: 'iwne-fs-r__demo__test',
    datasetId: 'demo',
    split: 'test',
    referable: [3, 4],
    runId: 'iwne-fs-r',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    arch: 'resnet18-w8',
    n: 120,
    positives: 40,
    auc: 0.81234,
    delong: { lower: 0.7601, upper: 0.86449 },
    bootstrap: { lower: 0.755, upper: 0.8665, samples: 2000 },
    operatingPoint: { targetSensitivity: 0.9, threshold: 0.31234, sensitivity: 0.9, specificity: 0.52333 },
    overlapsTraining: false,
    createdAt: '2025-03-01T10:00:00.000Z',
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
    epochs: 6,
    bestValAuc: null,
    settings: settings(),
    note: null,
    ...over,
  };
}

function other(over: Partial<GridOtherRun> = {}): GridOtherRun {
  return {
    runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
    strategy: 'IWNE-FS',
    fraction: 0.5,
    seed: 0,
    finished: true,
    bestValAuc: 0.71234,
    settings: settings({ epochs: 1 }),
    standing: outdated,
    ...over,
  };
}

function job(over: Partial<JobState> & { id: string }): JobState {
  return {
    kind: 'train.run',
    title: 'Training run',
    status: 'running',
    params: { strategy: 'IWNE-FS', arch: 'resnet18-w8', datasetId: 'demo', fraction: 0.5, seed: 0, epochs: 6 },
    studyPath: STUDY,
    createdAt: '2025-03-01T10:00:00.000Z',
    startedAt: '2025-03-01T10:00:01.000Z',
    endedAt: null,
    progress: { done: 30, total: 120, message: 'epoch 1/6', etaSeconds: 130 },
    error: null,
    result: null,
    log: [],
    ...over,
  };
}

function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 'iwne-fs-a',
    strategy: 'IWNE-FS',
    fraction: 1,
    seed: 0,
    arch: 'resnet18-w8',
    inputSize: 64,
    datasetId: 'demo',
    finished: true,
    hasModel: true,
    bestValAuc: 0.7,
    ...over,
  };
}

describe('settings columns and the outdated chip', () => {
  it('formats epochs, lr, batch and input size; — when unknown', () => {
    expect(settingsText(settings({ lr: 1e-4 }))).toEqual({ epochs: '6', lr: '1e-4', batch: '16', inputSize: '64 px' });
    expect(settingsText(undefined)).toEqual({ epochs: '—', lr: '—', batch: '—', inputSize: '—' });
    expect([formatLr(0.001), formatLr(0.03), formatLr(3e-5), formatLr(2.5e-4)]).toEqual(['0.001', '0.03', '3e-5', '2.5e-4']);
    expect(settingsLine(settings({ epochs: 1 }))).toBe('1 epoch · lr 0.001 · batch 16 · 64 px');
    expect(settingsLine(undefined)).toBe('');
  });

  it('shows the chip only for outdated runs, with every reason', () => {
    expect(outdatedChip(current)).toBeNull();
    expect(outdatedChip(undefined)).toBeNull();
    expect(outdatedChip(outdated)).toEqual({
      label: 'Outdated',
      reasons: 'Trained with other settings than the grid has now: epochs 1 → 6; dataset content changed',
    });
  });

  it('marks settings that differ within a strategy, not between strategies', () => {
    const iwne = { strategy: 'IWNE-FS' as const, settings: settings({ epochs: 500, lr: 1e-4 }) };
    const ifi = { strategy: 'IFI-FS' as const, settings: settings({ epochs: 50, lr: 1e-3 }) };
    expect(settingsDiffer([iwne, ifi])).toBeNull();
    expect(settingsDiffer([iwne, ifi, { strategy: 'IWNE-FS', settings: settings({ epochs: 1, lr: 1e-4, inputSize: 32 }) }])).toBe(
      'Settings differ: IWNE-FS epochs 1, 500; IWNE-FS input size 32 px, 64 px',
    );
    expect(settingsDiffer([iwne, { strategy: 'IWNE-FS' }])).toBeNull(); // unknown settings are not a difference
  });
});

describe('results', () => {
  it('rows carry the settings and the chip', () => {
    const [a, b] = resultRows([
      row({ settings: settings(), standing: current }),
      row({ evaluation: 'old', settings: settings({ epochs: 1 }), standing: outdated }),
    ]);
    expect(a).toMatchObject({ settings: { epochs: '6', lr: '0.001', batch: '16', inputSize: '64 px' } });
    expect(a!.outdated).toBeUndefined();
    expect(resultRows([row()])[0]!.settings).toBeUndefined();
    expect(b!.outdated?.label).toBe('Outdated');
    expect(b!.settings?.epochs).toBe('1');
  });

  it('notices: outdated evaluations left out, included, and settings that differ', () => {
    expect(resultsNotices(null)).toEqual({ settingsDiffer: null, excluded: null, includedOutdated: null });
    const left = resultsNotices({
      rows: [row({ settings: settings(), standing: current })],
      excludedOutdated: [
        { evaluation: 'a__demo__test', runId: 'iwne-fs-old', reasons: ['epochs 1 → 6'] },
        { evaluation: 'a__ext__test', runId: 'iwne-fs-old', reasons: ['epochs 1 → 6'] },
      ],
    });
    expect(left).toEqual({
      settingsDiffer: null,
      excluded: '2 evaluations of outdated runs are left out of the table, the paired tests and Fig 2: iwne-fs-old (epochs 1 → 6).',
      includedOutdated: null,
    });
    const included = resultsNotices({
      rows: [
        row({ settings: settings(), standing: current }),
        row({ evaluation: 'old', settings: settings({ epochs: 1 }), standing: outdated }),
      ],
      excludedOutdated: [],
    });
    expect(included.settingsDiffer).toBe('Settings differ: IWNE-FS epochs 1, 6');
    expect(included.includedOutdated).toBe(
      '1 evaluation of outdated runs is included and marked "Outdated": they were trained with settings the grid no longer has.',
    );
    expect(included.excluded).toBeNull();
  });
});

describe('runs grid', () => {
  it('lists the other runs with settings and chip, and each cell with its settings line', () => {
    const view: GridView = { spec: null, cells: [cell({ runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0-v2' })], others: [other()] };
    const model = gridTable(view, [], STUDY);
    expect(model.rows[0]!.cells[0]![0]!.settings).toBe('6 epochs · lr 0.001 · batch 16 · 64 px');
    expect(model.others).toEqual([
      {
        runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0',
        strategy: 'IWNE-FS',
        fraction: '50 %',
        seed: 0,
        settings: { epochs: '1', lr: '0.001', batch: '16', inputSize: '64 px' },
        outdated: {
          label: 'Outdated',
          reasons: 'Trained with other settings than the grid has now: epochs 1 → 6; dataset content changed',
        },
        state: 'finished · AUC 0.712',
        identityNote: null,
      },
    ]);
    expect(model.settingsDiffer).toBeNull();
    expect(otherRuns({})).toEqual([]);
  });

  it('marks cells of one strategy that train with different settings', () => {
    const view: GridView = {
      spec: null,
      cells: [cell(), cell({ runId: 'x-f1', fraction: 1, settings: settings({ batchSize: 32 }) })],
    };
    expect(gridTable(view, [], STUDY).settingsDiffer).toBe('Settings differ: IWNE-FS batch 16, 32');
  });

  it("matches a job to the <id>-v2 cell whose spec it trains, not to the old run's folder", () => {
    const spec = { strategy: 'IWNE-FS', arch: 'resnet18-w8', datasetId: 'demo', fraction: 0.5, seed: 0, epochs: 6 };
    const view: GridView = { spec: null, cells: [cell({ runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0-v2', spec })], others: [other()] };
    const model = gridTable(view, [job({ id: 'j1', params: { ...spec } })], STUDY);
    expect(model.rows[0]!.cells[0]![0]).toMatchObject({ runId: 'iwne-fs-resnet18-w8-demo-f0.5-s0-v2', status: 'running', jobId: 'j1' });
  });
});

describe('analyses', () => {
  it('run groups leave outdated runs out, so the default choice is the current run', () => {
    const groups = runGroups([
      summary({ runId: 'iwne-fs-a', standing: outdated }),
      summary({ runId: 'iwne-fs-a-v2', standing: current }),
      summary({ runId: 'ifi-fs-a', strategy: 'IFI-FS' }),
    ]);
    expect(groups.map((g) => g.runs.map((r) => r.runId))).toEqual([['iwne-fs-a-v2', 'ifi-fs-a']]);
  });
});
