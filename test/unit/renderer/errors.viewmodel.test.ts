import { describe, it, expect } from 'vitest';
import { RpcError } from '../../../src-shared/client';
import { errorCode, errorMessage, splitError } from '../../../src-renderer/shared/errors.viewmodel';

describe('splitError', () => {
  it('puts issues next to the fields the form has, and hides the alert when all are placed', () => {
    const error = new RpcError({
      code: 'BAD_REQUEST',
      message: 'Invalid input for study.create: path: Must be an absolute path; name: Give the study a name',
      issues: [
        { path: 'path', message: 'Must be an absolute path' },
        { path: 'name', message: 'Give the study a name' },
      ],
    });
    expect(splitError(error, ['path', 'name'])).toEqual({
      fields: { path: 'Must be an absolute path', name: 'Give the study a name' },
      general: null,
      code: 'BAD_REQUEST',
    });
  });

  it('keeps the general message when an issue has no field on the form', () => {
    const error = new RpcError({
      code: 'BAD_REQUEST',
      message: 'Invalid',
      issues: [
        { path: '(root)', message: 'Expected object' },
        { path: 'path', message: 'Too long' },
      ],
    });
    const shown = splitError(error, ['path']);
    expect(shown.fields).toEqual({ path: 'Too long' });
    expect(shown.general).toBe('Invalid');
  });

  it('matches nested paths on their first segment and keeps the first message per field', () => {
    const error = new RpcError({
      code: 'BAD_REQUEST',
      message: 'Invalid',
      issues: [
        { path: 'params.steps', message: 'Too big' },
        { path: 'params.size', message: 'Too small' },
      ],
    });
    expect(splitError(error, ['params']).fields).toEqual({ params: 'Too big' });
  });

  it('shows errors without issues (e.g. CONFLICT, not reachable) as one message', () => {
    const error = new RpcError({ code: 'CONFLICT', message: 'The folder already holds a study' });
    expect(splitError(error, ['path'])).toEqual({ fields: {}, general: 'The folder already holds a study', code: 'CONFLICT' });
    expect(splitError(new TypeError('Failed to fetch'), ['path']).general).toBe('Failed to fetch');
    expect(splitError('odd', ['path']).general).toBe('odd');
  });

  it('reads message and code from anything thrown', () => {
    expect(errorMessage(new Error(''))).toBe('Something went wrong.');
    expect(errorMessage(42)).toBe('Something went wrong.');
    expect(errorCode(new RpcError({ code: 'UNAUTHORIZED', message: 'no' }))).toBe('UNAUTHORIZED');
    expect(errorCode(new Error('x'))).toBeNull();
  });
});
