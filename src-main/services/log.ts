/** Minimal structured logger used by services; hosts decide where lines go (stderr, a file, both). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = 'info' | 'warn' | 'error';
export type LogSink = (level: LogLevel, message: string) => void;

export function createLogger(sink: LogSink): Logger {
  return {
    info: (m) => sink('info', m),
    warn: (m) => sink('warn', m),
    error: (m) => sink('error', m),
  };
}

/** Writes `time level message` lines to stderr. */
export const stderrLogger: Logger = createLogger((level, message) => {
  process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
});

/** Keeps lines in memory (tests assert on what was logged). */
export function memoryLogger(): Logger & { lines: Array<{ level: LogLevel; message: string }> } {
  const lines: Array<{ level: LogLevel; message: string }> = [];
  return { ...createLogger((level, message) => lines.push({ level, message })), lines };
}
