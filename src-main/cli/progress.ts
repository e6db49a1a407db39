import type { JobContext } from '../job-context';
/**
 * A one-line progress display on stderr for CLI commands. On a terminal the line is redrawn in
 * place; in a log (not a terminal) a line is written only every 5 % or every 5 s, so logs stay short.
 */
export function stderrProgress(
  label: string,
  enabled: boolean,
): { update: (done: number, total: number, message: string) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = '';
  let lastPct = -100;
  let lastAt = 0;
  return {
    update(done, total, message) {
      if (!enabled) return;
      const pct = total > 0 ? Math.round((100 * done) / total) : 0;
      const line = `${label}: ${pct}% ${message}`;
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line}`);
      } else {
        const now = Date.now();
        const finished = done >= total;
        if (line === last || (!finished && pct - lastPct < 5 && now - lastAt < 5000)) return;
        process.stderr.write(line + '\n');
        lastPct = pct;
        lastAt = now;
      }
      last = line;
    },
    end() {
      if (enabled && tty && last) process.stderr.write('\n');
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
      if (!json) process.stderr.write(`${line}\n`);
    },
    signal: controller.signal,
    end: () => {
      progress.end();
      process.off('SIGINT', onSigint);
    },
  };
}
