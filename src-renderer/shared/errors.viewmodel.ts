/**
 * How an error from the client is shown: field issues next to their fields, everything else as one
 * message. Pure (no React, no DOM) so it is unit-tested.
 */
import type { FieldIssue } from '../../src-shared/errors';

export interface ShownError {
  /** First message per field the form knows, keyed by the issue's top-level path segment. */
  fields: Record<string, string>;
  /** Message for an alert, or null when every issue is already shown next to its field. */
  general: string | null;
  code: string | null;
}

/** Duck-typed so it also accepts errors that crossed a realm or were rebuilt (RpcError has code + issues). */
function errorParts(error: unknown): { message: string; code: string | null; issues: FieldIssue[] } {
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; issues?: unknown };
    const code = typeof withCode.code === 'string' ? withCode.code : null;
    const issues = Array.isArray(withCode.issues)
      ? withCode.issues.filter(
          (i): i is FieldIssue =>
            typeof i === 'object' &&
            i !== null &&
            typeof (i as FieldIssue).path === 'string' &&
            typeof (i as FieldIssue).message === 'string',
        )
      : [];
    return { message: error.message || 'Something went wrong.', code, issues };
  }
  return { message: typeof error === 'string' && error ? error : 'Something went wrong.', code: null, issues: [] };
}

/** A one-line message for any thrown value. */
export function errorMessage(error: unknown): string {
  return errorParts(error).message;
}

export function errorCode(error: unknown): string | null {
  return errorParts(error).code;
}

/**
 * Splits an error into per-field messages for `knownFields` (matched on the first segment of the
 * issue's dotted path, e.g. `path` or `params.steps` → `params`) and a general message for the rest.
 */
export function splitError(error: unknown, knownFields: readonly string[]): ShownError {
  const { message, code, issues } = errorParts(error);
  const fields: Record<string, string> = {};
  let unplaced = 0;
  for (const issue of issues) {
    const head = issue.path.split('.')[0] ?? '';
    if (knownFields.includes(head)) {
      if (!(head in fields)) fields[head] = issue.message;
    } else {
      unplaced += 1;
    }
  }
  const allPlaced = issues.length > 0 && unplaced === 0;
  return { fields, general: allPlaced ? null : message, code };
}

export const NO_ERROR: ShownError = { fields: {}, general: null, code: null };
