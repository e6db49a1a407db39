import { AppError } from '../src-shared/errors';
import type { ProgressInfo } from '../src-shared/progress';

/** What a running job's handler gets: progress reporting, a log, and cancellation. */
export interface JobContext {
  /**
   * Reports progress; `done` of `total` units, with a short message for the user. `info`: the elapsed time,
   * time left and run of a whole-study progress model (src-shared/progress.ts); without it the display
   * derives the time left from the rate.
   */
  progress(done: number, total: number, message: string, info?: ProgressInfo): void;
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

/**
 * A context that remembers the last progress it reported, and `status`: the same context for a
 * sub-step with its own counts (e.g. computing the mean/std of the images) that must not move the
 * bar back — its progress keeps the bar where it was and only changes the message.
 */
export function withHeldProgress(ctx: JobContext): JobContext & { status: JobContext } {
  let held = { done: 0, total: 1 };
  const progress = (done: number, total: number, message: string) => {
    held = { done, total };
    ctx.progress(done, total, message);
  };
  return {
    progress,
    log: (line) => ctx.log(line),
    signal: ctx.signal,
    status: {
      progress: (_done, _total, message) => ctx.progress(held.done, held.total, message),
      log: (line) => ctx.log(line),
      signal: ctx.signal,
    },
  };
}
