import { describe, expect, it } from 'vitest';
import { JOB_KINDS, JobRequest } from '../../../src-shared/jobs';
import { TrainingSpec } from '../../../src-shared/training';
import { EXAMPLE_SPEC } from '../../../src-main/cli/commands/train';

describe('train.run job kind', () => {
  it('a parsed spec parses again to itself (job params are stored parsed and re-parsed by the worker and on retry)', () => {
    const once = TrainingSpec.parse(EXAMPLE_SPEC);
    expect(TrainingSpec.parse(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it('jobs.submit accepts a training run with its study, and refuses one without', () => {
    expect(JobRequest.safeParse({ kind: 'train.run', params: EXAMPLE_SPEC, studyPath: '/tmp/study' }).success).toBe(true);
    const missing = JobRequest.safeParse({ kind: 'train.run', params: EXAMPLE_SPEC });
    expect(missing.success).toBe(false);
    expect(JOB_KINDS['train.run'].title).toBe('Training run');
  });
});
