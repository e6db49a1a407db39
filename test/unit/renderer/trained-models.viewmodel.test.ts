import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-shared/contract';
import {
  defaultExportFolder,
  defaultExportName,
  exportDestination,
  trainedModels,
  trainingJobsKey,
} from '../../../src-renderer/features/models/trained-models.viewmodel';

function run(over: Partial<RunSummary>): RunSummary {
  return {
    runId: 'r',
    strategy: 'IWNE-FS',
    fraction: 1,
    seed: 0,
    arch: 'resnet18-w8',
    inputSize: 64,
    datasetId: 'demo',
    finished: true,
    hasModel: true,
    bestValAuc: 0.91234,
    settings: { epochs: 3, lr: 0.001, batchSize: 16, inputSize: 64 },
    standing: { outdated: false, reasons: [], identityComplete: true, note: null },
    ...over,
  };
}

describe('trained models', () => {
  it('lists finished runs with a model, in strategy order, larger fractions first, then by seed', () => {
    const rows = trainedModels([
      run({ runId: 'ifi-cl', strategy: 'IFI-CL' }),
      run({ runId: 'fs-half-s1', fraction: 0.5, seed: 1 }),
      run({ runId: 'fs-half-s0', fraction: 0.5, seed: 0 }),
      run({ runId: 'fs-all' }),
      run({ runId: 'unfinished', finished: false }),
      run({ runId: 'no-model', hasModel: false }),
      run({ runId: 'iwne-cl', strategy: 'IWNE-CL' }),
    ]);
    expect(rows.map((r) => r.runId)).toEqual(['fs-all', 'fs-half-s0', 'fs-half-s1', 'iwne-cl', 'ifi-cl']);
  });

  it('shows strategy, fraction, seed, epochs and the best validation AUC; an outdated run is marked with what differs', () => {
    const [row] = trainedModels([
      run({ fraction: 0.1, seed: 2, standing: { outdated: true, reasons: ['epochs 1 → 2'], identityComplete: true, note: null } }),
    ]);
    expect(row).toMatchObject({ strategy: 'IWNE-FS', fraction: '10 %', seed: 2, epochs: '3', bestValAuc: '0.912', arch: 'resnet18-w8' });
    expect(row!.outdated?.label).toBe('Outdated');
    expect(row!.outdated?.reasons).toMatch(/epochs 1 → 2/);
    const [plain] = trainedModels([run({ bestValAuc: null, settings: undefined, standing: undefined })]);
    expect(plain).toMatchObject({ bestValAuc: '–', epochs: '–', outdated: null });
  });

  it('reads the list again when a training job of this study changes status, not for other studies or kinds', () => {
    const jobs = [
      { id: '1', kind: 'train.run' as const, status: 'running' as const, studyPath: '/s' },
      { id: '2', kind: 'engine.selftest' as const, status: 'running' as const, studyPath: null },
      { id: '3', kind: 'train.run' as const, status: 'running' as const, studyPath: '/other' },
    ];
    const before = trainingJobsKey(jobs, '/s');
    expect(trainingJobsKey([{ ...jobs[0]!, status: 'succeeded' }, jobs[1]!, jobs[2]!], '/s')).not.toBe(before);
    expect(trainingJobsKey([jobs[0]!, { ...jobs[1]!, status: 'succeeded' }, { ...jobs[2]!, status: 'failed' }], '/s')).toBe(before);
    expect(trainingJobsKey(jobs, null)).toBe('');
  });

  it('suggests a name per format and the folder holding the study', () => {
    expect(defaultExportName('iwne-fs-f1-s0', 'safetensors')).toBe('iwne-fs-f1-s0.safetensors');
    expect(defaultExportName('iwne-fs-f1-s0', 'tfjs')).toBe('iwne-fs-f1-s0-tfjs');
    expect(defaultExportFolder('/home/me/studies/pilot')).toBe('/home/me/studies');
    expect(defaultExportFolder('/home/me/studies/pilot/')).toBe('/home/me/studies');
    expect(defaultExportFolder('/pilot')).toBe('/');
  });

  it('joins folder and name, and refuses what the form can tell is wrong', () => {
    expect(exportDestination('/tmp/out', 'm.safetensors', 'safetensors')).toEqual({ ok: true, out: '/tmp/out/m.safetensors' });
    expect(exportDestination(' /tmp/out/ ', ' m-tfjs ', 'tfjs')).toEqual({ ok: true, out: '/tmp/out/m-tfjs' });
    expect(exportDestination('relative/dir', 'm.safetensors', 'safetensors')).toEqual({
      ok: false,
      problem: 'Give the folder as an absolute path.',
    });
    expect(exportDestination('/tmp', 'a/b.safetensors', 'safetensors')).toMatchObject({
      ok: false,
      problem: 'Give a name without folders.',
    });
    expect(exportDestination('/tmp', '..', 'tfjs')).toMatchObject({ ok: false });
    expect(exportDestination('/tmp', 'model.bin', 'safetensors')).toMatchObject({
      ok: false,
      problem: 'A safetensors file name ends in .safetensors.',
    });
  });
});
