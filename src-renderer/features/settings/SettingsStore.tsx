/**
 * The app settings as the main side keeps them: loaded once, kept current by `settings.changed`
 * events (another window, the CLI), and updated through `settings.update`. Updates show at once
 * and are rolled back if the main side refuses them.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Settings, SettingsPatch } from '../../../src-shared/settings';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';

interface SettingsValue {
  /** Null until loaded. */
  settings: Settings | null;
  error: string | null;
  update(patch: SettingsPatch): Promise<Settings>;
}

const SettingsContext = createContext<SettingsValue | null>(null);

export function SettingsProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const off = client.on('settings.changed', (next) => {
      if (live) setSettings(next);
    });
    client.call('settings.get', {}).then(
      (value) => {
        if (live) setSettings((current) => current ?? value);
      },
      (err: unknown) => {
        if (live) setError(errorMessage(err));
      },
    );
    return () => {
      live = false;
      off();
    };
  }, [client]);

  const update = useCallback(
    async (patch: SettingsPatch) => {
      const before = settings;
      if (before) setSettings({ ...before, ...patch });
      try {
        const saved = await client.call('settings.update', patch);
        setSettings(saved);
        setError(null);
        return saved;
      } catch (err) {
        if (before) setSettings(before);
        setError(errorMessage(err));
        throw err;
      }
    },
    [client, settings],
  );

  const value = useMemo(() => ({ settings, error, update }), [settings, error, update]);
  return <SettingsContext.Provider value={value}>{children}</SettingsContext.Provider>;
}

export function useSettings(): SettingsValue {
  const value = useContext(SettingsContext);
  if (!value) throw new Error('useSettings() needs a <SettingsProvider> above it');
  return value;
}
