import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Tooltip from '@mui/material/Tooltip';
import type { Settings } from '../../../src-shared/settings';
import { MonitorIcon, MoonIcon, SunIcon } from '../../shared/icons';
import { useSettings } from './SettingsStore';

type ThemeSetting = Settings['theme'];

const OPTIONS: { value: ThemeSetting; label: string; icon: typeof SunIcon }[] = [
  { value: 'system', label: 'System theme', icon: MonitorIcon },
  { value: 'light', label: 'Light theme', icon: SunIcon },
  { value: 'dark', label: 'Dark theme', icon: MoonIcon },
];

/** System / light / dark, saved in the settings (so the CLI and other windows follow). */
export function ThemeToggle() {
  const { settings, update } = useSettings();
  const current = settings?.theme ?? 'system';
  return (
    <ToggleButtonGroup
      size="small"
      exclusive
      value={current}
      disabled={!settings}
      aria-label="Colour theme"
      data-testid="theme-toggle"
      onChange={(_event, value: ThemeSetting | null) => {
        // Clicking the selected button gives null: keep the current choice.
        if (value && value !== current) update({ theme: value }).catch(() => undefined);
      }}
    >
      {OPTIONS.map(({ value, label, icon: Icon }) => {
        const button = (
          <ToggleButton key={value} value={value} aria-label={label} sx={{ px: 1 }}>
            <Icon fontSize="small" />
          </ToggleButton>
        );
        // A tooltip on a disabled button cannot open (and MUI warns), so only once loaded.
        return settings ? (
          <Tooltip key={value} title={label}>
            {button}
          </Tooltip>
        ) : (
          button
        );
      })}
    </ToggleButtonGroup>
  );
}
