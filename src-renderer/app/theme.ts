/**
 * The two themes, built once at start-up. A calm clinical palette: deep teal-blue for actions,
 * cool greys for surfaces, and status colours kept for meaning (success, warning, error). Offline:
 * the system font stack only, no web fonts.
 */
import { createTheme, type Theme, type ThemeOptions } from '@mui/material/styles';
import type { PaletteMode } from './themeMode';

export const SYSTEM_FONT =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", "Helvetica Neue", Arial, sans-serif';
export const MONO_FONT =
  'ui-monospace, "SFMono-Regular", "Cascadia Mono", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace';

const palettes: Record<PaletteMode, ThemeOptions['palette']> = {
  light: {
    mode: 'light',
    primary: { main: '#1d5f7a', contrastText: '#ffffff' },
    secondary: { main: '#4a6572' },
    success: { main: '#2e7d4f' },
    warning: { main: '#a15c00' },
    error: { main: '#b3261e' },
    info: { main: '#2a65a8' },
    background: { default: '#f3f6f8', paper: '#ffffff' },
    text: { primary: '#1b2730', secondary: '#4f5f6a' },
    divider: 'rgba(27, 39, 48, 0.12)',
  },
  dark: {
    mode: 'dark',
    primary: { main: '#7cc3db', contrastText: '#0b1a20' },
    secondary: { main: '#a7bcc6' },
    success: { main: '#74c69d' },
    warning: { main: '#f0b35a' },
    error: { main: '#f2827a' },
    info: { main: '#8db8e8' },
    background: { default: '#0e1417', paper: '#151d21' },
    text: { primary: '#e3eaee', secondary: '#a9b7bf' },
    divider: 'rgba(227, 234, 238, 0.12)',
  },
};

function buildTheme(mode: PaletteMode): Theme {
  const base = createTheme({
    palette: palettes[mode],
    shape: { borderRadius: 8 },
    typography: {
      fontFamily: SYSTEM_FONT,
      h1: { fontSize: '1.6rem', fontWeight: 600, letterSpacing: 0 },
      h2: { fontSize: '1.15rem', fontWeight: 600, letterSpacing: 0 },
      h3: { fontSize: '1rem', fontWeight: 600, letterSpacing: 0 },
      button: { textTransform: 'none', fontWeight: 600 },
    },
  });
  const focusRing = `2px solid ${base.palette.primary.main}`;
  return createTheme(base, {
    components: {
      MuiCssBaseline: {
        styleOverrides: {
          'html, body, #root': { height: '100%' },
          body: { overflow: 'hidden' },
          code: { fontFamily: MONO_FONT, fontSize: '0.875em' },
          // A visible focus ring for everything reached by keyboard (inputs show their own).
          'a:focus-visible, button:focus-visible, [role="button"]:focus-visible, [tabindex]:focus-visible, .Mui-focusVisible': {
            outline: focusRing,
            outlineOffset: 2,
          },
          'h1[tabindex="-1"]:focus': { outline: 'none' },
        },
      },
      MuiButton: { defaultProps: { disableElevation: true } },
      MuiCard: { defaultProps: { variant: 'outlined' } },
      MuiPaper: { styleOverrides: { outlined: { borderColor: base.palette.divider } } },
      MuiTooltip: { defaultProps: { arrow: true } },
      MuiTableCell: { styleOverrides: { head: { fontWeight: 600 } } },
      // A table that scrolls sideways inside its box must keep its visually hidden texts (position:
      // absolute) inside that box too; otherwise they widen the page at high zoom.
      // It is also a keyboard stop, so that a table wider than its box (narrow windows, high zoom) can be scrolled with the arrow keys.
      MuiTableContainer: { defaultProps: { tabIndex: 0 }, styleOverrides: { root: { position: 'relative' } } },
      MuiLinearProgress: { styleOverrides: { root: { height: 8, borderRadius: 4 } } },
    },
  });
}

/** Built once; switching theme only picks the other object. */
export const themes: Record<PaletteMode, Theme> = { light: buildTheme('light'), dark: buildTheme('dark') };
