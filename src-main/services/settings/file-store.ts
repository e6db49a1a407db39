import { readFileSync, renameSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SETTINGS, type Settings } from '../../../src-shared/settings';
import { writeFileAtomicSync } from '../../fs/atomic';
import type { Logger } from '../log';
import { settingsFromUnknown, type SettingsStore } from './store';

/**
 * Settings as a JSON file (browser mode and the CLI; the desktop app uses electron-store). A
 * corrupt file is moved aside with a timestamp and reported, never silently overwritten.
 */
export class FileSettingsStore implements SettingsStore {
  private cache: Settings | null = null;
  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  read(): Settings {
    if (this.cache) return structuredClone(this.cache);
    let text: string | null = null;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn(`cannot read settings ${this.file}: ${(error as Error).message}; using defaults`);
    }
    let value: Settings = DEFAULT_SETTINGS;
    if (text !== null) {
      try {
        value = settingsFromUnknown(JSON.parse(text));
      } catch (error) {
        const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        try {
          renameSync(this.file, aside);
          this.log.warn(
            `settings file ${this.file} was not valid JSON (${(error as Error).message}); kept it as ${aside} and started from defaults`,
          );
        } catch {
          this.log.warn(`settings file ${this.file} was not valid JSON; using defaults`);
        }
      }
    }
    this.cache = value;
    return structuredClone(value);
  }

  write(next: Settings): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify(next, null, 2) + '\n');
    this.cache = structuredClone(next);
  }
}
