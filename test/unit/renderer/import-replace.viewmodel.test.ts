/**
 * The import wizard's replace question: an import refused because it would replace a dataset that others
 * depend on is asked about (with the refusal, which names them); confirming sends `replace`.
 */
import { describe, expect, it } from 'vitest';
import { ImportRequest, replaceRefusalMessage } from '../../../src-shared/datasets';
import type { JobState } from '../../../src-shared/jobs';
import { buildImportRequest, INITIAL_WIZARD, replaceQuestion } from '../../../src-renderer/features/datasets/datasets.viewmodel';

const refusal = replaceRefusalMessage('demo', 'source folder /a → /b', ['run r1', 'pretraining moco-x', 'evaluation r1__demo__test']);
const failed = (code: string, message: string) =>
  ({ kind: 'dataset.import', status: 'failed', error: { code, message } }) as unknown as JobState;

describe('import wizard: replacing a dataset with dependents', () => {
  it('asks with the refusal (naming each dependent) only for that refusal', () => {
    expect(replaceQuestion(failed('CONFLICT', refusal))).toBe(refusal);
    expect(refusal).toContain('3 items of the study depend on it: run r1, pretraining moco-x, evaluation r1__demo__test.');
    expect(replaceQuestion(failed('CONFLICT', 'The study folder /s is inside the dataset folder /s/..'))).toBeNull();
    expect(replaceQuestion(failed('BUSY', refusal))).toBeNull();
    expect(replaceQuestion({ ...failed('CONFLICT', refusal), status: 'succeeded' } as JobState)).toBeNull();
    expect(replaceQuestion(null)).toBeNull();
  });

  it('sends replace only once confirmed', () => {
    const form = { ...INITIAL_WIZARD, type: 'eyepacs' as const, path: '/data/eyepacs' };
    expect(buildImportRequest(form)).not.toHaveProperty('replace');
    expect(ImportRequest.parse(buildImportRequest(form, true))).toMatchObject({ type: 'eyepacs', path: '/data/eyepacs', replace: true });
  });
});
