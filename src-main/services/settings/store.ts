import { DEFAULT_SETTINGS, MAX_RECENT_STUDIES, Settings, type RecentStudy, type SettingsPatch } from '../../../src-shared/settings';

/**
 * Where settings live is the host's business (electron-store in the desktop app, a JSON file in
 * browser mode and the CLI). Services only see this interface.
 */
export interface SettingsStore {
  read(): Settings;
  write(next: Settings): void;
}

/** Settings operations on top of any store. */
export class SettingsService {
  constructor(
    private readonly store: SettingsStore,
    private readonly onChange: (settings: Settings) => void = () => {},
  ) {}

  get(): Settings {
    return this.store.read();
  }

  update(patch: SettingsPatch): Settings {
    const next = Settings.parse({ ...this.store.read(), ...patch });
    this.store.write(next);
    this.onChange(next);
    return next;
  }

  /** Moves `study` to the front of the recent list (deduplicated by path, at most MAX_RECENT_STUDIES). */
  rememberStudy(study: RecentStudy): Settings {
    const current = this.store.read();
    const recentStudies = [study, ...current.recentStudies.filter((s) => s.path !== study.path)].slice(0, MAX_RECENT_STUDIES);
    const next = { ...current, recentStudies };
    this.store.write(next);
    this.onChange(next);
    return next;
  }
}

/** Parses stored settings, falling back field by field to defaults so one bad value does not lose the rest. */
export function settingsFromUnknown(raw: unknown): Settings {
  const whole = Settings.safeParse(raw);
  if (whole.success) return whole.data;
  const result: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  if (raw && typeof raw === 'object') {
    for (const key of Object.keys(DEFAULT_SETTINGS) as Array<keyof Settings>) {
      const candidate = Settings.safeParse({ ...DEFAULT_SETTINGS, [key]: (raw as Record<string, unknown>)[key] });
      if (candidate.success) result[key] = candidate.data[key];
    }
  }
  return Settings.parse(result);
}

export class MemorySettingsStore implements SettingsStore {
  private value: Settings;
  constructor(initial: Partial<Settings> = {}) {
    this.value = Settings.parse({ ...DEFAULT_SETTINGS, ...initial });
  }
  read(): Settings {
    return structuredClone(this.value);
  }
  write(next: Settings): void {
    this.value = structuredClone(next);
  }
}
