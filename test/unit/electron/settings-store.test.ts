import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { DEFAULT_SETTINGS, type Settings } from '../../../src-shared/settings';
import { memoryLogger } from '../../../src-main/services/log';
import { tempDirSync } from '../../support/files';

// electron-store is `class extends Conf` that takes its default directory and version from
// Electron's `app`; everything we rely on (JSON parsing, SyntaxError on a corrupt file, atomic
// writes) is Conf's. So the test runs the real Conf under electron-store's option names.
vi.mock('electron-store', async () => {
  const { default: Conf } = await import('conf');
  class ElectronStoreOnConf extends Conf<Record<string, unknown>> {
    constructor(options: Record<string, unknown> & { name?: string; cwd: string }) {
      const { name, ...rest } = options;
      super({ ...rest, configName: name ?? 'config', projectVersion: '0.1.0' });
    }
  }
  return { default: ElectronStoreOnConf };
});

const { ElectronSettingsStore, corruptFileName } = await import('../../../src-main/electron/settings-store');

let dir: string;
beforeEach(() => {
  dir = tempDirSync('settings');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const file = () => path.join(dir, 'settings.json');
const fixedNow = () => new Date('2025-03-04T05:06:07.089Z');
const custom: Settings = {
  ...DEFAULT_SETTINGS,
  theme: 'dark',
  preferredBackend: 'wasm',
  recentStudies: [{ path: '/data/s1', name: 'Study 1', openedAt: '2025-01-01T00:00:00.000Z' }],
};

describe('ElectronSettingsStore', () => {
  it('starts from defaults, persists writes to <dir>/settings.json and reads them back in a new instance', () => {
    const log = memoryLogger();
    const store = new ElectronSettingsStore({ directory: dir, log });
    expect(store.file).toBe(file());
    expect(store.read()).toEqual(DEFAULT_SETTINGS);
    store.write(custom);
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toMatchObject(custom);
    expect(new ElectronSettingsStore({ directory: dir, log }).read()).toEqual(custom);
    expect(log.lines).toEqual([]);
  });

  it('returns copies: mutating a read value does not change the store', () => {
    const store = new ElectronSettingsStore({ directory: dir, log: memoryLogger() });
    store.write(custom);
    const read = store.read();
    read.recentStudies.length = 0;
    expect(store.read().recentStudies).toHaveLength(1);
  });

  it('falls back field by field when one stored value is invalid', () => {
    writeFileSync(file(), JSON.stringify({ ...custom, theme: 'neon', preferredBackend: 42 }));
    const store = new ElectronSettingsStore({ directory: dir, log: memoryLogger() });
    expect(store.read()).toEqual({ ...custom, theme: DEFAULT_SETTINGS.theme, preferredBackend: DEFAULT_SETTINGS.preferredBackend });
  });

  it.each([['{ "theme": "dark", '], ['\u0000\u0001garbage'], ['']])(
    'does not crash on a corrupt file (%j): moves it aside with a timestamp, logs, and starts from defaults',
    (content) => {
      writeFileSync(file(), content);
      const log = memoryLogger();
      const store = new ElectronSettingsStore({ directory: dir, log, now: fixedNow });
      expect(store.read()).toEqual(DEFAULT_SETTINGS);
      const aside = path.join(dir, 'settings.corrupt-2025-03-04T05-06-07-089Z.json');
      expect(readFileSync(aside, 'utf8')).toBe(content);
      expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
      expect(log.lines[0]!.message).toContain(aside);
      store.write(custom);
      expect(new ElectronSettingsStore({ directory: dir, log }).read()).toEqual(custom);
    },
  );

  it('recovers when the file is corrupted while the app runs', () => {
    const log = memoryLogger();
    const store = new ElectronSettingsStore({ directory: dir, log, now: fixedNow });
    store.write(custom);
    writeFileSync(file(), '{ broken');
    expect(store.read()).toEqual(DEFAULT_SETTINGS);
    expect(readdirSync(dir).filter((f) => f.startsWith('settings.corrupt-'))).toHaveLength(1);
    expect(store.read()).toEqual(DEFAULT_SETTINGS); // and keeps working
  });

  it('treats valid JSON of the wrong shape as defaults without moving the file', () => {
    writeFileSync(file(), '[1, 2, 3]');
    const store = new ElectronSettingsStore({ directory: dir, log: memoryLogger() });
    expect(store.read()).toEqual(DEFAULT_SETTINGS);
    expect(existsSync(file())).toBe(true);
  });

  it('turns a failed write into NOT_WRITABLE and keeps serving the last good settings', () => {
    const log = memoryLogger();
    const store = new ElectronSettingsStore({ directory: dir, log });
    store.write(custom);
    // settings.json becomes a directory: neither readable nor replaceable (works even as root)
    rmSync(file());
    mkdirSync(file());
    let thrown: unknown;
    try {
      store.write({ ...custom, theme: 'light' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('NOT_WRITABLE');
    expect(store.read()).toEqual(custom);
    expect(log.lines.filter((l) => l.level === 'error').length).toBeGreaterThanOrEqual(2);
  });

  it('opens in memory-only mode (no crash) when the file cannot be opened at all', () => {
    mkdirSync(file());
    const log = memoryLogger();
    const store = new ElectronSettingsStore({ directory: dir, log });
    expect(store.read()).toEqual(DEFAULT_SETTINGS);
    store.write(custom);
    expect(store.read()).toEqual(custom);
    expect(log.lines[0]).toMatchObject({ level: 'error', message: expect.stringContaining('will not be saved') });
  });

  it('names the quarantined file after the original with a filesystem-safe timestamp', () => {
    expect(corruptFileName('/u/settings.json', fixedNow())).toBe(path.join('/u', 'settings.corrupt-2025-03-04T05-06-07-089Z.json'));
  });
});
