import { z } from 'zod';
import { BackendPreference } from './engine';

export const RecentStudy = z.object({ path: z.string(), name: z.string(), openedAt: z.string() });
export type RecentStudy = z.infer<typeof RecentStudy>;

export const MAX_RECENT_STUDIES = 10;

export const Settings = z.object({
  recentStudies: z.array(RecentStudy).max(MAX_RECENT_STUDIES).default([]),
  /** Backend the compute workers use; `auto` walks the ladder. FUNDUSLAB_BACKEND overrides it. */
  preferredBackend: BackendPreference.default('auto'),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
});
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = z
  .object({
    preferredBackend: BackendPreference.optional(),
    theme: z.enum(['system', 'light', 'dark']).optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const DEFAULT_SETTINGS: Settings = Settings.parse({});
