/**
 * SettingsStore on electron-store (the only place electron-store is used). The file is
 * <directory>/settings.json. Reads go through settingsFromUnknown, so a bad field falls back to its
 * default without losing the others. A file that is not valid JSON (electron-store throws a
 * SyntaxError, also from its constructor) is renamed aside as settings.corrupt-<timestamp>.json,
 * logged, and the app continues from defaults. If even that fails the store keeps the settings in
 * memory for this session rather than crash the app.
 */
import fs from 'node:fs';
import path from 'node:path';
import Store from 'electron-store';
import { AppError } from '../../src-shared/errors';
import { DEFAULT_SETTINGS, type Settings } from '../../src-shared/settings';
import type { Logger } from '../services/log';
import { settingsFromUnknown, type SettingsStore } from '../services/settings/store';

export const SETTINGS_STORE_NAME = 'settings';

type RawStore = Store<Record<string, unknown>>;

function isCorruptFileError(error: unknown): boolean {
  if (error instanceof SyntaxError) return true;
  const message = error instanceof Error ? error.message : '';
  return message.startsWith('Config schema violation:') || message === 'Failed to decrypt config data.';
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `settings.corrupt-2025-01-31T12-00-00-000Z.json` next to the original. */
export function corruptFileName(file: string, now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}.corrupt-${stamp}${ext}`);
}

export class ElectronSettingsStore implements SettingsStore {
  readonly file: string;
  private store: RawStore | null;
  /** Used when the file cannot be opened at all (e.g. permissions): settings live for this session only. */
  private memory: Settings | null = null;
  private lastGood: Settings = structuredClone(DEFAULT_SETTINGS);

  constructor(
    private readonly options: {
      /** Directory of settings.json (the app's userData directory). */
      directory: string;
      log: Logger;
      now?: () => Date;
    },
  ) {
    this.file = path.join(options.directory, `${SETTINGS_STORE_NAME}.json`);
    this.store = this.open();
  }

  read(): Settings {
    if (this.store === null) return structuredClone(this.memory ?? this.lastGood);
    try {
      this.lastGood = settingsFromUnknown(this.store.store);
    } catch (error) {
      if (isCorruptFileError(error)) {
        this.quarantine(error);
        this.lastGood = structuredClone(DEFAULT_SETTINGS);
      } else {
        this.options.log.error(`cannot read settings ${this.file}: ${describeError(error)}; using the last known settings`);
      }
    }
    return structuredClone(this.lastGood);
  }

  write(next: Settings): void {
    const value = settingsFromUnknown(next);
    if (this.store === null) {
      this.memory = structuredClone(value);
      this.lastGood = structuredClone(value);
      return;
    }
    try {
      this.store.store = { ...value };
      this.lastGood = structuredClone(value);
    } catch (error) {
      this.options.log.error(`cannot write settings ${this.file}: ${describeError(error)}`);
      throw new AppError('NOT_WRITABLE', `Settings could not be saved to ${this.file}: ${describeError(error)}`);
    }
  }

  private create(): RawStore {
    return new Store<Record<string, unknown>>({
      name: SETTINGS_STORE_NAME,
      cwd: this.options.directory,
      clearInvalidConfig: false,
      accessPropertiesByDotNotation: false,
    });
  }

  private open(): RawStore | null {
    try {
      return this.create();
    } catch (error) {
      if (!isCorruptFileError(error)) {
        this.options.log.error(`cannot open settings ${this.file}: ${describeError(error)}; settings will not be saved this session`);
        this.memory = structuredClone(DEFAULT_SETTINGS);
        return null;
      }
      this.quarantine(error);
      try {
        return this.create();
      } catch (retryError) {
        this.options.log.error(
          `cannot reopen settings ${this.file}: ${describeError(retryError)}; settings will not be saved this session`,
        );
        this.memory = structuredClone(DEFAULT_SETTINGS);
        return null;
      }
    }
  }

  /** Moves the unreadable file aside (kept for inspection) so the next read starts from defaults. */
  private quarantine(cause: unknown): void {
    const aside = corruptFileName(this.file, (this.options.now ?? (() => new Date()))());
    try {
      fs.renameSync(this.file, aside);
      this.options.log.error(
        `settings file ${this.file} was corrupt (${describeError(cause)}); moved it to ${aside} and started from defaults`,
      );
    } catch (renameError) {
      this.options.log.error(
        `settings file ${this.file} was corrupt (${describeError(cause)}) and could not be moved aside (${describeError(renameError)})`,
      );
    }
  }
}
