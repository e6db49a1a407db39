/**
 * Keyboard focus rings for MUI's switch-like controls. The theme's global `.Mui-focusVisible`
 * outline loses to ButtonBase's own `outline: 0` on Switch and Checkbox, which then show only their
 * faint focus halo (hard to see in the dark theme); these sx fragments draw the primary-colour ring.
 */
import type { Theme } from '@mui/material/styles';

const ring = (theme: Theme) => `2px solid ${theme.palette.primary.main}`;

/** On a <Switch sx={…}>: a ring around the thumb. */
export const switchFocusRing = {
  '& .MuiSwitch-switchBase.Mui-focusVisible .MuiSwitch-thumb': { outline: ring, outlineOffset: '2px' },
} as const;

/** On a <Checkbox sx={…}>: a ring around the box. */
export const checkboxFocusRing = {
  '&.Mui-focusVisible': { outline: ring, outlineOffset: '-4px', borderRadius: '6px' },
} as const;
