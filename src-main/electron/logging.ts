/**
 * The desktop app's log: `time level message` lines appended to <userData>/logs/main.log and echoed
 * to stderr. A log over `maxBytes` at start-up is moved to main.1.log (one generation kept).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger, type LogLevel, type Logger } from '../services/log';

export interface FileLogger extends Logger {
  readonly file: string;
  /** Flushes and closes the file (stderr keeps working). */
  close(): Promise<void>;
}

export function formatLogLine(level: LogLevel, message: string, now: Date = new Date()): string {
  return `${now.toISOString()} ${level.padEnd(5)} ${message.replace(/\r?\n/g, '\n    ')}\n`;
}

export function createFileLogger(options: {
  logDir: string;
  fileName?: string;
  maxBytes?: number;
  stderr?: { write(text: string): unknown } | null;
}): FileLogger {
  const file = path.join(options.logDir, options.fileName ?? 'main.log');
  const stderr = options.stderr === undefined ? process.stderr : options.stderr;
  let stream: fs.WriteStream | null = null;
  try {
    fs.mkdirSync(options.logDir, { recursive: true });
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size > (options.maxBytes ?? 5 * 1024 * 1024)) fs.renameSync(file, file.replace(/\.log$/, '') + '.1.log');
    stream = fs.createWriteStream(file, { flags: 'a' });
    stream.on('error', (error) => {
      stderr?.write(formatLogLine('error', `log file ${file} failed: ${error.message}; logging to stderr only`));
      stream = null;
    });
  } catch (error) {
    stderr?.write(formatLogLine('error', `cannot open log file ${file}: ${error instanceof Error ? error.message : String(error)}`));
    stream = null;
  }
  const logger = createLogger((level, message) => {
    const line = formatLogLine(level, message);
    stream?.write(line);
    stderr?.write(line);
  });
  return {
    ...logger,
    file,
    close: () =>
      new Promise<void>((resolve) => {
        const current = stream;
        stream = null;
        if (current === null) resolve();
        else current.end(() => resolve());
      }),
  };
}
