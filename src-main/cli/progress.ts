/** A one-line progress display on stderr for CLI commands (only when stderr is a terminal or when asked). */
export function stderrProgress(label: string, enabled: boolean): { update: (done: number, total: number, message: string) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return {
    update(done, total, message) {
      if (!enabled) return;
      const pct = total > 0 ? Math.round((100 * done) / total) : 0;
      const line = `${label}: ${pct}% ${message}`;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (line !== last) process.stderr.write(line + '\n');
      last = line;
    },
    end() {
      if (enabled && tty && last) process.stderr.write('\n');
    },
  };
}
