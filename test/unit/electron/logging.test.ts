import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileLogger, formatLogLine } from '../../../src-main/electron/logging';
import { tempDirSync } from '../../support/files';

let dir: string;
beforeEach(() => {
  dir = tempDirSync('log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('createFileLogger', () => {
  it('appends time-stamped lines to <logDir>/main.log and echoes them to stderr', async () => {
    const echoed: string[] = [];
    const log = createFileLogger({ logDir: path.join(dir, 'logs'), stderr: { write: (t: string) => echoed.push(t) } });
    log.info('started');
    log.warn('refused IPC call');
    log.error('two\nlines');
    await log.close();
    const text = readFileSync(path.join(dir, 'logs', 'main.log'), 'utf8');
    expect(text.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z info {2}started$/),
      expect.stringMatching(/warn {2}refused IPC call$/),
      expect.stringMatching(/error two$/),
      '    lines',
    ]);
    expect(echoed.join('')).toBe(text);
    log.info('after close goes to stderr only');
    expect(readFileSync(path.join(dir, 'logs', 'main.log'), 'utf8')).toBe(text);
  });

  it('rotates a log larger than maxBytes to main.1.log at start-up', async () => {
    writeFileSync(path.join(dir, 'main.log'), 'x'.repeat(100));
    const log = createFileLogger({ logDir: dir, maxBytes: 10, stderr: null });
    log.info('fresh');
    await log.close();
    expect(readFileSync(path.join(dir, 'main.1.log'), 'utf8')).toBe('x'.repeat(100));
    expect(readFileSync(path.join(dir, 'main.log'), 'utf8')).toMatch(/info {2}fresh\n$/);
  });

  it('falls back to stderr when the log directory cannot be created', () => {
    const blocker = path.join(dir, 'file');
    writeFileSync(blocker, '');
    const echoed: string[] = [];
    const log = createFileLogger({ logDir: path.join(blocker, 'logs'), stderr: { write: (t: string) => echoed.push(t) } });
    log.warn('still logged');
    expect(existsSync(path.join(blocker, 'logs'))).toBe(false);
    expect(echoed.join('')).toMatch(/cannot open log file[\s\S]*still logged/);
  });

  it('formats a line as ISO time, padded level, message', () => {
    expect(formatLogLine('info', 'hi', new Date('2025-01-02T03:04:05.006Z'))).toBe('2025-01-02T03:04:05.006Z info  hi\n');
  });
});
