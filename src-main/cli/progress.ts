import type { JobContext } from '../job-context';
import { progressLine, singleStepProgress, stepOf, type ProgressInfo, type ProgressSnapshot } from '../../src-shared/progress';

/**
 * A one-line progress display on stderr for CLI commands, from the progress model of src-shared/progress.ts:
 * bar and percent, the step named once, elapsed time and time left. A whole study reports its model's numbers
 * (`info`); a single command's counts go through the one-step model. On a terminal the line is redrawn in
 * place; in a log (not a terminal) a line is written when the step changes (a study's) or the bar moved by
 * 5 %, so logs stay short.
 */
export function stderrProgress(
  label: string,
  enabled: boolean,
  out: { isTTY?: boolean; columns?: number; write(text: string): unknown } = process.stderr,
): {
  update: (done: number, total: number, message: string, info?: ProgressInfo) => void;
  /** Writes a log line; on a terminal above the progress line, which is drawn again below it. */
  log: (line: string) => void;
  end: () => void;
} {
  const tty = out.isTTY === true;
  const single = singleStepProgress();
  let last: ProgressSnapshot | null = null;
  let printed: { fraction: number; step: string } | null = null;
  let drawn = false;
  const line = (s: ProgressSnapshot) => {
    const text = `${label}: ${progressLine(s)}`;
    const width = (out.columns ?? 0) - 1;
    return tty && width > 20 && text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  const show = (s: ProgressSnapshot, stepChanged: boolean) => {
    if (tty) {
      out.write(`\r\x1b[2K${line(s)}`);
      drawn = true;
      return;
    }
    const finished = s.fraction >= 1;
    if (printed && !stepChanged && !(finished && printed.fraction < 1) && s.fraction - printed.fraction < 0.05) return;
    out.write(line(s) + '\n');
    printed = { fraction: s.fraction, step: stepOf(s.step) };
  };
  return {
    update(done, total, message, info) {
      if (!enabled) return;
      const s: ProgressSnapshot = info
        ? {
            fraction: total > 0 ? Math.min(1, done / total) : 0,
            elapsedSeconds: info.elapsedSeconds,
            etaSeconds: info.etaSeconds,
            step: message,
          }
        : single.update(done, total, message);
      last = s;
      show(s, info !== undefined && printed !== null && stepOf(message) !== printed.step);
    },
    log(text) {
      if (tty && drawn && last) out.write(`\r\x1b[2K${text}\n${line(last)}`);
      else out.write(`${text}\n`);
    },
    end() {
      if (!enabled || !last) return;
      // The command is done: the bar at 100 % (a single command's model holds just before it until now).
      if (last.fraction < 1) show({ ...last, fraction: 1, etaSeconds: 0 }, false);
      if (tty) out.write('\n');
    },
  };
}

/**
 * The JobContext of a CLI command: progress on stderr (unless --json), log lines on stderr (unless
 * --json), and Ctrl-C cancels the work cleanly (the service stops at its next check, keeping what is
 * done — a training run its last checkpoint); a second Ctrl-C exits at once. Call `end()` when done.
 */
export function cliContext(label: string, json: boolean | undefined): JobContext & { end: () => void } {
  const progress = stderrProgress(label, !json);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${label}: cancelling at the next safe point (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return {
    progress: progress.update,
    log: (line) => {
      if (!json) progress.log(line);
    },
    signal: controller.signal,
    end: () => {
      progress.end();
      process.off('SIGINT', onSigint);
    },
  };
}
