/** A job context for calling services directly in tests: it records what the job reports and can be cancelled. */
import type { JobContext } from '../../src-main/job-context';

/**
 * A JobContext that keeps the log lines (`messages`) and the progress reports (`progress_`, as `done/total message`); `controller` cancels
 * it.
 */
export function recordingContext(): JobContext & { messages: string[]; progress_: string[]; controller: AbortController } {
  const controller = new AbortController();
  const messages: string[] = [];
  const progress_: string[] = [];
  return {
    progress: (d, t, m) => progress_.push(`${d}/${t} ${m}`),
    log: (l) => messages.push(l),
    signal: controller.signal,
    controller,
    messages,
    progress_,
  };
}
