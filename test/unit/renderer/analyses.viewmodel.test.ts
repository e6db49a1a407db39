/**
 * What the analysis pages share (src-renderer/shared/analyses.viewmodel.ts), on hand-made inputs with
 * exact expected outputs: the run groups an analysis starts from (runs with a model, one per strategy
 * at one fraction / seed / architecture / input size, the fullest group first), the datasets each
 * analysis can use (with the reason when not), the study's jobs of one kind, the CLI commands with
 * shell quoting, and the count fields.
 */
import { describe, expect, it } from 'vitest';
import type { DatasetSummary, RunSummary } from '../../../src-shared/contract';
import type { JobState } from '../../../src-shared/jobs';
import {
  activeStudyJobs,
  analysisDatasetChoices,
  cliCommand,
  defaultDataset,
  defaultRunChoice,
  defaultRunGroup,
  finishedJobsSignature,
  jobSubject,
  outdatedRunGroups,
  parseCount,
  runChoices,
  runGroups,
  sameStudy,
  shellQuote,
  studyJobs,
} from '../../../src-renderer/shared/analyses.viewmodel';

function run(runId: string, over: Partial<RunSummary> = {}): RunSummary {
  return {
    runId,
    strategy: 'IWNE-FS',
    fraction: 1,
    seed: 0,
    arch: 'resnet50',
    inputSize: 224,
    datasetId: 'eyepacs',
    finished: true,
    hasModel: true,
    bestValAuc: 0.8,
    ...over,
  };
}

const dataset = (id: string, over: Record<string, unknown> = {}) =>
  ({
    readable: true,
    id,
    preprocessed: true,
    settings: { inputSize: 224 },
    items: 40,
    grades: { '0': 20, '3': 20 },
    splits: { train: 30, test: 10 },
    masks: {},
    ...over,
  }) as unknown as DatasetSummary;

function job(id: string, over: Partial<JobState> = {}): JobState {
  return {
    id,
    kind: 'spectra.run',
    title: 'Spectra',
    status: 'succeeded',
    params: { runId: 'r' },
    studyPath: '/studies/pilot',
    createdAt: `2026-01-01T00:00:0${id.slice(-1)}.000Z`,
    startedAt: null,
    endedAt: null,
    progress: { done: 0, total: 1, message: '', etaSeconds: null },
    error: null,
    result: null,
    log: [],
    ...over,
  };
}

describe('runGroups', () => {
  const runs = [
    run('ifi-fs-f1', { strategy: 'IFI-FS' }),
    run('iwne-cl-f1', { strategy: 'IWNE-CL' }),
    run('b-iwne-fs-f1'),
    run('c-iwne-fs-f1-again'),
    run('iwne-fs-half', { fraction: 0.5 }),
    run('iwne-cl-half-unfinished', { strategy: 'IWNE-CL', fraction: 0.5, finished: false, hasModel: false }),
    run('iwne-fs-s1', { seed: 1 }),
    run('iwne-cl-s1', { seed: 1, strategy: 'IWNE-CL' }),
    run('iwne-fs-small', { inputSize: 48, arch: 'resnet18-w8' }),
  ];

  it('groups runs with a model by fraction, seed, architecture and input size; one run per strategy (first id), paper order; fullest group first', () => {
    const groups = runGroups(runs);
    expect(groups.map((g) => [g.key, g.runs.map((r) => r.runId)])).toEqual([
      ['1|0|resnet50|224', ['b-iwne-fs-f1', 'iwne-cl-f1', 'ifi-fs-f1']],
      ['1|1|resnet50|224', ['iwne-fs-s1', 'iwne-cl-s1']],
      ['1|0|resnet18-w8|48', ['iwne-fs-small']],
      ['0.5|0|resnet50|224', ['iwne-fs-half']],
    ]);
    expect(groups[0]).toMatchObject({
      label: '100 % · seed 0 · resnet50 at 224 px — IWNE-FS, IWNE-CL, IFI-FS',
      where: '100 % · seed 0 · resnet50 at 224 px',
      fraction: 1,
      seed: 0,
      arch: 'resnet50',
      inputSize: 224,
      strategies: ['IWNE-FS', 'IWNE-CL', 'IFI-FS'],
    });
  });

  it('is empty without runs that have a model', () => {
    expect(runGroups([run('x', { hasModel: false })])).toEqual([]);
  });

  it('offers outdated runs only when included, after the current groups, marked, never as the default', () => {
    const outdated = { outdated: true, reasons: ['epochs 1 → 2'], identityComplete: true, note: null };
    const current = { outdated: false, reasons: [], identityComplete: true, note: null };
    const mixed = [
      run('iwne-fs-a', { standing: outdated }),
      run('iwne-cl-a', { strategy: 'IWNE-CL', standing: outdated }),
      run('iwne-fs-a-v2', { standing: current }),
      run('iwne-fs-half-old', { fraction: 0.5, standing: outdated, hasModel: false }),
    ];
    expect(runChoices(mixed, false).map((g) => g.key)).toEqual(['1|0|resnet50|224']);
    const offered = runChoices(mixed, true);
    expect(offered.map((g) => [g.key, g.runs.map((r) => r.runId), g.outdated])).toEqual([
      ['1|0|resnet50|224', ['iwne-fs-a-v2'], undefined],
      [
        'outdated|1|0|resnet50|224',
        ['iwne-fs-a', 'iwne-cl-a'],
        [
          { runId: 'iwne-fs-a', chip: { label: 'Outdated', reasons: 'Trained with other settings than the grid has now: epochs 1 → 2' } },
          { runId: 'iwne-cl-a', chip: { label: 'Outdated', reasons: 'Trained with other settings than the grid has now: epochs 1 → 2' } },
        ],
      ],
    ]);
    expect(offered[1]!.label).toBe('100 % · seed 0 · resnet50 at 224 px — IWNE-FS, IWNE-CL');
    expect(defaultRunGroup(offered)?.key).toBe('1|0|resnet50|224');
    // Only outdated runs: offered when included, but none is picked by default.
    const onlyOld = mixed.filter((r) => r.runId !== 'iwne-fs-a-v2');
    expect(outdatedRunGroups(onlyOld).map((g) => g.key)).toEqual(['outdated|1|0|resnet50|224']);
    expect(defaultRunGroup(runChoices(onlyOld, true))).toBeNull();
    expect(runChoices(onlyOld, false)).toEqual([]);
  });
});

describe('analysisDatasetChoices and defaultDataset', () => {
  const list = [
    dataset('train-only', { splits: { train: 40 } }),
    dataset('with-test'),
    dataset('small', { settings: { inputSize: 48 } }),
    dataset('raw', { preprocessed: false }),
    dataset('seg', { grades: { ungraded: 3 }, items: 3, splits: { none: 3 }, masks: { MA: 3, EX: 2, OD: 3 } }),
    { readable: false, id: 'broken', reason: 'manifest.json is not valid JSON' } as DatasetSummary,
  ];

  it("graded: needs grades and the runs' input size; says why not", () => {
    expect(analysisDatasetChoices(list, 224, 'graded')).toEqual([
      { id: 'train-only', label: 'train-only · 40 images at 224 px', disabledReason: null, hasTest: false },
      { id: 'with-test', label: 'with-test · 40 images at 224 px', disabledReason: null, hasTest: true },
      {
        id: 'small',
        label: 'small · 40 images at 48 px · prepared at 224 px when used',
        disabledReason: null,
        hasTest: true,
        atOtherSize: true,
      },
      { id: 'raw', label: 'raw · 40 images at 224 px', disabledReason: 'validated only: no preprocessed images', hasTest: true },
      { id: 'seg', label: 'seg · 3 images at 224 px', disabledReason: 'no graded images', hasTest: false },
      { id: 'broken', label: 'broken', disabledReason: 'cannot be read: manifest.json is not valid JSON', hasTest: false },
    ]);
    expect(defaultDataset(analysisDatasetChoices(list, 224, 'graded'))).toBe('with-test');
  });

  it('masks: needs MA, HE or EX masks (OD does not count) and names them; images: any preprocessed dataset, at the size or prepared at it', () => {
    const masks = analysisDatasetChoices(list, 224, 'masks');
    expect(masks.filter((c) => c.disabledReason === null).map((c) => c.label)).toEqual(['seg · 3 images at 224 px · masks MA, EX']);
    expect(masks.find((c) => c.id === 'with-test')!.disabledReason).toBe('no MA, HE or EX lesion masks');
    expect(defaultDataset(masks)).toBe('seg');
    expect(
      analysisDatasetChoices(list, 224, 'images')
        .filter((c) => c.disabledReason === null)
        .map((c) => c.id),
    ).toEqual(['train-only', 'with-test', 'small', 'seg']);
    // A dataset at another size is usable but never the default while one at the runs' size is.
    expect(
      defaultDataset(
        analysisDatasetChoices(
          list.filter((d) => d.id !== 'with-test'),
          224,
          'graded',
        ),
      ),
    ).toBe('train-only');
    expect(analysisDatasetChoices(list, null, 'images').find((c) => c.id === 'small')!.disabledReason).toBeNull();
    expect(defaultDataset([])).toBeNull();
    expect(analysisDatasetChoices(null, 224, 'images')).toEqual([]);
  });

  it('defaultRunChoice: the first group and its default dataset, or null', () => {
    expect(defaultRunChoice([run('a'), run('b', { strategy: 'IWNE-CL' })], list, 'graded')).toMatchObject({
      group: { key: '1|0|resnet50|224' },
      datasetId: 'with-test',
    });
    // No dataset at 96 px: the first usable one with a test split, prepared at 96 px when used.
    expect(defaultRunChoice([run('a', { inputSize: 96 })], list, 'graded')).toMatchObject({ datasetId: 'with-test' });
    expect(defaultRunChoice([run('a')], [], 'graded')).toBeNull();
    expect(defaultRunChoice(null, list, 'graded')).toBeNull();
  });
});

describe('jobs of one kind in the study', () => {
  const jobs = [
    job('j3'),
    job('j1', { status: 'running' }),
    job('j2', { kind: 'robustness.run' }),
    job('j4', { studyPath: '/studies/other' }),
    job('j5', { studyPath: '/studies/pilot/', status: 'queued' }),
    job('j6', { status: 'failed' }),
  ];

  it('filters by kind and study (trailing separators ignored), oldest first; active and finished', () => {
    expect(studyJobs(jobs, '/studies/pilot', 'spectra.run').map((j) => j.id)).toEqual(['j1', 'j3', 'j5', 'j6']);
    expect(activeStudyJobs(jobs, '/studies/pilot', 'spectra.run').map((j) => j.id)).toEqual(['j1', 'j5']);
    expect(finishedJobsSignature(jobs, '/studies/pilot', 'spectra.run')).toBe('j3');
    expect(finishedJobsSignature(jobs, '/studies/pilot', 'robustness.run')).toBe('j2');
    expect(finishedJobsSignature(jobs, null, 'spectra.run')).toBe('');
    expect(sameStudy('C:\\s\\a\\', 'C:\\s\\a')).toBe(true);
    expect(sameStudy(null, null)).toBe(false);
  });

  it('jobSubject names the run or runs a job analyses', () => {
    expect(jobSubject({ params: { runId: 'iwne-fs-a' } })).toBe('iwne-fs-a');
    expect(jobSubject({ params: { runIds: ['a', 'b'] } })).toBe('a, b');
    expect(jobSubject({ params: { revealImageIds: false } })).toBe('');
    expect(jobSubject({ params: null })).toBe('');
  });
});

describe('commands and fields', () => {
  it('quotes shell words only when needed, and single quotes inside', () => {
    expect(shellQuote('/studies/pilot_1')).toBe('/studies/pilot_1');
    expect(shellQuote('/studies/my study')).toBe("'/studies/my study'");
    expect(shellQuote("/studies/o'brien")).toBe(`'/studies/o'\\''brien'`);
    expect(shellQuote('a,b')).toBe('a,b');
    expect(cliCommand(['spectra', '--study', '/s/my study', '--images', 64])).toBe(
      "npx funduslab spectra --study '/s/my study' --images 64",
    );
  });

  it('parseCount accepts whole numbers within bounds only', () => {
    expect(parseCount(' 64 ', 3, 4096)).toEqual({ value: 64 });
    for (const bad of ['', '2', '4097', '6.5', 'abc', '1e9'])
      expect(parseCount(bad, 3, 4096)).toEqual({ error: 'A whole number from 3 to 4096' });
  });
});
