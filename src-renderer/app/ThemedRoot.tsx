import type { ReactNode } from 'react';
import CssBaseline from '@mui/material/CssBaseline';
import useMediaQuery from '@mui/material/useMediaQuery';
import { ThemeProvider } from '@mui/material/styles';
import { themes } from './theme';
import { resolveThemeMode, type ThemeSetting } from './themeMode';

/** Applies the theme for a setting; `system` follows the OS's prefers-color-scheme live. */
export function ThemedRoot({ setting, children }: { setting: ThemeSetting; children: ReactNode }) {
  const prefersDark = useMediaQuery('(prefers-color-scheme: dark)', { noSsr: true });
  const mode = resolveThemeMode(setting, prefersDark);
  return (
    <ThemeProvider theme={themes[mode]}>
      <CssBaseline enableColorScheme />
      {children}
    </ThemeProvider>
  );
}
