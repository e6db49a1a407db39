import { z } from 'zod';

/** Every error that crosses a transport (IPC, HTTP bridge) has one of these codes. */
export const ErrorCode = z.enum([
  'BAD_REQUEST', // the payload failed its schema; `issues` names each failing field
  'UNKNOWN_CHANNEL',
  'UNAUTHORIZED', // bridge: missing or wrong token
  'FORBIDDEN', // bridge: foreign origin/host; IPC: untrusted sender frame
  'NOT_FOUND',
  'CONFLICT',
  'BUSY', // another writer holds the study's lock (src-main/services/study-folder/lock.ts)
  'NOT_WRITABLE',
  'STUDY_CORRUPT',
  'UNSUPPORTED',
  'CANCELLED',
  'TIMEOUT', // a file system call on a user path did not answer in time
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const FieldIssue = z.object({
  /** Dotted path of the failing field, e.g. `params.steps`; `(root)` for the payload itself. */
  path: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssue>;

export const ErrorPayload = z.object({
  code: ErrorCode,
  message: z.string(),
  issues: z.array(FieldIssue).optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayload>;

/** An error a service throws on purpose: its code and message reach the user unchanged. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[] | undefined;
  constructor(code: ErrorCode, message: string, issues?: FieldIssue[]) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.issues = issues;
  }
  toPayload(): ErrorPayload {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }
}

/** Turns zod issues into field issues with dotted paths (`(root)` for the whole payload). */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? '(root)' : issue.path.map((p) => String(p)).join('.'),
    message: issue.message,
  }));
}

/** One-line summary such as `steps: Too big: expected number to be <=1000; name: Required`. */
export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/** Parses `value` with `schema`, or throws BAD_REQUEST naming every failing field under `what`. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error);
  throw new AppError('BAD_REQUEST', `Invalid ${what}: ${describeIssues(issues)}`, issues);
}

export const RpcResponse = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorPayload }),
]);
export type RpcResponse = z.infer<typeof RpcResponse>;
