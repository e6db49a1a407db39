import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { JOB_KINDS, JobRequest, type JobKind } from '../../../src-shared/jobs';
import { TASKS, type TaskContext } from '../../../src-main/worker/tasks';
import { EXAMPLE_SPEC } from '../../../src-main/cli/commands/train';

/** Valid parameters of every kind (a new kind needs one here). */
const VALID: { [K in JobKind]: z.input<(typeof JOB_KINDS)[K]['params']> } = {
  'engine.selftest': { size: 16, batch: 2, steps: 3 },
  'engine.benchmark': { arch: 'resnet18', inputSize: 64 },
  'dataset.import': { type: 'eyepacs', path: '/data/eyepacs' },
  'dataset.demo': { patients: 8 },
  'train.run': EXAMPLE_SPEC,
  'evaluate.run': { runId: 'iwne-fs-f1-s0', datasetId: 'demo' },
  'spectra.run': { runId: 'iwne-fs-f1-s0', datasetId: 'demo' },
  'robustness.run': { runIds: ['iwne-fs-f1-s0'], datasetId: 'demo' },
  'explain.run': { runId: 'iwne-fs-f1-s0', datasetId: 'demo' },
  'report.build': { revealImageIds: true },
  'study.run': { study: 'study', grid: { strategies: ['IWNE-FS'], fractions: [1], seeds: [0] } },
  'weights.standin': { arch: 'resnet18-w8', inputSize: 32, scale: 'tiny' },
};

// The wire shape as it was written out by hand before it was generated from JOB_KINDS.
const STUDY_OPTIONAL: JobKind[] = ['engine.selftest', 'engine.benchmark'];
const STUDY_REQUIRED: JobKind[] = [
  'dataset.import',
  'dataset.demo',
  'train.run',
  'evaluate.run',
  'spectra.run',
  'robustness.run',
  'explain.run',
  'report.build',
  'study.run',
  'weights.standin',
];
const DEFAULT_PARAMS: Partial<Record<JobKind, unknown>> = {
  'engine.selftest': { size: 32, batch: 8, steps: 12 },
  'engine.benchmark': { arch: 'resnet50', inputSize: 224, batchSize: 16, steps: 2 },
  'dataset.demo': { patients: 60, testPatients: 20, idridImages: 6, inputSize: 64, seed: 1 },
  'weights.standin': { arch: 'resnet18-w8', inputSize: 64, scale: 'demo' },
};
// What the worker says when a job has no study folder, and how it names refused parameters.
const STUDY_REFUSAL: Partial<Record<JobKind, string>> = {
  'dataset.import': 'A dataset import needs the study folder',
  'dataset.demo': 'Demo data needs the study folder',
  'train.run': 'A training run needs the study folder',
  'evaluate.run': 'An evaluation needs the study folder',
  'spectra.run': 'A spectra analysis needs the study folder',
  'robustness.run': 'A robustness analysis needs the study folder',
  'explain.run': 'An explanation needs the study folder',
  'report.build': 'A report needs the study folder',
  'study.run': 'A study needs the study folder',
  'weights.standin': 'Deriving demo stand-in weights needs the study folder',
};
const PARAMS_LABEL: Record<JobKind, string> = {
  'engine.selftest': 'self-test parameters',
  'engine.benchmark': 'speed measurement parameters',
  'dataset.import': 'import request',
  'dataset.demo': 'demo data request',
  'train.run': 'training spec',
  'evaluate.run': 'evaluation request',
  'spectra.run': 'spectra request',
  'robustness.run': 'robustness request',
  'explain.run': 'explain request',
  'report.build': 'report request',
  'study.run': 'study plan',
  'weights.standin': 'stand-in request',
};
const KINDS = Object.keys(VALID) as JobKind[];

describe('JobRequest, generated from JOB_KINDS', () => {
  it('covers exactly the declared kinds', () => {
    expect(Object.keys(JOB_KINDS).sort()).toEqual([...KINDS].sort());
    expect([...STUDY_OPTIONAL, ...STUDY_REQUIRED].sort()).toEqual([...KINDS].sort());
  });

  it.each(KINDS)("%s: a valid request parses, its params parsed by the kind's schema", (kind) => {
    const parsed = JobRequest.parse({ kind, params: VALID[kind], studyPath: '/tmp/study' });
    expect(parsed).toEqual({ kind, params: JOB_KINDS[kind].params.parse(VALID[kind]), studyPath: '/tmp/study' });
  });

  it.each(STUDY_REQUIRED)('%s: refused without its study folder (missing or empty)', (kind) => {
    for (const request of [
      { kind, params: VALID[kind] },
      { kind, params: VALID[kind], studyPath: '' },
    ]) {
      const result = JobRequest.safeParse(request);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['studyPath']);
    }
  });

  it.each(STUDY_OPTIONAL)('%s: accepted without a study folder', (kind) => {
    expect(JobRequest.parse({ kind, params: VALID[kind] })).toEqual({ kind, params: JOB_KINDS[kind].params.parse(VALID[kind]) });
    expect(JobRequest.parse({ kind, params: VALID[kind], studyPath: '' }).studyPath).toBe('');
  });

  it.each(KINDS)('%s: params left out are filled with the defaults exactly for the kinds that have them', (kind) => {
    const result = JobRequest.safeParse({ kind, studyPath: '/tmp/study' });
    if (kind in DEFAULT_PARAMS) expect(result.data?.params).toEqual(DEFAULT_PARAMS[kind]);
    else expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['params']);
  });

  it.each(KINDS)('%s: an unknown key is refused', (kind) => {
    const result = JobRequest.safeParse({ kind, params: VALID[kind], studyPath: '/tmp/study', priority: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['priority'] });
  });

  it('an unknown or missing kind is refused', () => {
    expect(JobRequest.safeParse({ kind: 'engine.unknown', params: {}, studyPath: '/tmp/study' }).success).toBe(false);
    expect(JobRequest.safeParse({ params: {}, studyPath: '/tmp/study' }).success).toBe(false);
  });

  it('the request types stay per kind (input with optional defaulted params, output with parsed params)', () => {
    type In<K extends JobKind> = Extract<z.input<typeof JobRequest>, { kind: K }>;
    type Out<K extends JobKind> = Extract<z.output<typeof JobRequest>, { kind: K }>;
    expectTypeOf<In<'engine.selftest'>>().toEqualTypeOf<{
      kind: 'engine.selftest';
      params?: z.input<(typeof JOB_KINDS)['engine.selftest']['params']> | undefined;
      studyPath?: string | undefined;
    }>();
    expectTypeOf<Out<'engine.selftest'>>().toEqualTypeOf<{
      kind: 'engine.selftest';
      params: z.output<(typeof JOB_KINDS)['engine.selftest']['params']>;
      studyPath?: string | undefined;
    }>();
    expectTypeOf<In<'train.run'>>().toEqualTypeOf<{
      kind: 'train.run';
      params: z.input<(typeof JOB_KINDS)['train.run']['params']>;
      studyPath: string;
    }>();
    expectTypeOf<Out<'report.build'>>().toEqualTypeOf<{
      kind: 'report.build';
      params: z.output<(typeof JOB_KINDS)['report.build']['params']>;
      studyPath: string;
    }>();
  });
});

describe('the worker runs every kind through the same steps', () => {
  const ctx = (studyPath: string | null): TaskContext => ({
    preference: 'cpu',
    studyPath,
    signal: new AbortController().signal,
    progress: () => {},
    log: () => {},
  });

  it.each(STUDY_REQUIRED)('%s: without its study folder, refused with the field', async (kind) => {
    await expect(TASKS[kind]!(VALID[kind], ctx(null))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: STUDY_REFUSAL[kind],
      issues: [{ path: 'studyPath', message: 'required' }],
    });
  });

  it.each(KINDS)("%s: parameters are parsed again and refused under the kind's name", async (kind) => {
    const error = await TASKS[kind]!({ bogus: 1 }, ctx('/tmp/study')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(new RegExp(`^Invalid ${PARAMS_LABEL[kind]}: `)) });
  });
});
