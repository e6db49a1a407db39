/** Checks on the AppErrors the services throw. */
import { expect } from 'vitest';
import { AppError } from '../../src-shared/errors';

/** `fn` throws an AppError whose message matches `pattern` and whose code is `code` (any code when null). */
export function expectAppError(fn: () => unknown, code: string | null, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code ?? 'an AppError'} ${pattern}`).toBeInstanceOf(AppError);
  if (code !== null) expect((caught as AppError).code).toBe(code);
  expect((caught as AppError).message).toMatch(pattern);
}
