import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { BackendPreference } from '../../../src-shared/engine';
import { errorMessage } from '../../shared/errors.viewmodel';
import { useSettings } from '../settings/SettingsStore';
import { PREFERENCE_OPTIONS } from './engine.viewmodel';
import { useEngine } from './EngineStore';

/** The `preferredBackend` setting: which backend new compute jobs use. */
export function BackendPreferenceCard() {
  const { settings, update } = useSettings();
  const { status, refresh } = useEngine();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const envForced = status?.forcedBy === 'env' ? status.forced : null;

  async function choose(raw: string) {
    const parsed = BackendPreference.safeParse(raw);
    if (!parsed.success) return;
    setSaving(true);
    setError(null);
    try {
      await update({ preferredBackend: parsed.data });
      refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card component="section" aria-labelledby="backend-preference-title">
      <CardContent>
        <Typography variant="h2" id="backend-preference-title" gutterBottom>
          Backend preference
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
          Applies to compute jobs started after the change; running jobs keep their backend. The FUNDUSLAB_BACKEND environment variable,
          when set, overrides this preference.
        </Typography>
        {envForced ? (
          <Alert severity="info" sx={{ mb: 2 }} data-testid="backend-env-override">
            FUNDUSLAB_BACKEND={envForced} is set for this FundusLab process, so this preference has no effect until it is unset.
          </Alert>
        ) : null}
        <TextField
          select
          id="backend-preference"
          label="Preferred backend"
          value={settings?.preferredBackend ?? 'auto'}
          onChange={(e) => void choose(e.target.value)}
          disabled={!settings || saving}
          size="small"
          sx={{ minWidth: 340 }}
          helperText={saving ? 'Saving…' : 'Automatic walks the ladder: CUDA GPU, native CPU, WebAssembly, JavaScript CPU.'}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'backend-preference' } }}
        >
          {PREFERENCE_OPTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </TextField>
        {error ? (
          <Alert severity="error" sx={{ mt: 2 }}>
            Could not save the preference: {error}
          </Alert>
        ) : null}
      </CardContent>
    </Card>
  );
}
