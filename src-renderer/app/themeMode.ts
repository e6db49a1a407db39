/** Which palette to show for the user's theme setting. Pure, so it can be unit-tested. */
export type ThemeSetting = 'system' | 'light' | 'dark';
export type PaletteMode = 'light' | 'dark';

export function resolveThemeMode(setting: ThemeSetting, systemPrefersDark: boolean): PaletteMode {
  if (setting === 'system') return systemPrefersDark ? 'dark' : 'light';
  return setting;
}
