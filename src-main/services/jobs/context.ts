import { AppError } from '../../../src-shared/errors';

/** What a running job's handler gets: progress reporting, a log, and cancellation. */
export interface JobContext {
  /** Reports progress; `done` of `total` units, with a short message for the user. */
  progress(done: number, total: number, message: string): void;
  log(line: string): void;
  readonly signal: AbortSignal;
}

/** Throws CANCELLED if the job was cancelled; call it between units of work. */
export function throwIfCancelled(ctx: Pick<JobContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new AppError('CANCELLED', 'Cancelled by the user');
}

/** A context that reports nowhere (for direct calls from the CLI or tests). */
export function detachedContext(onProgress?: (done: number, total: number, message: string) => void): JobContext {
  return {
    progress: onProgress ?? (() => {}),
    log: () => {},
    signal: new AbortController().signal,
  };
}
