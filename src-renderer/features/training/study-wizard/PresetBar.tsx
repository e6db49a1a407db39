import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import type { TrainingStrategy } from '../../../../src-shared/training';
import { PRESET_LABELS, presetSummary, type PresetChange, type PresetId, type PresetView } from './presets.viewmodel';

/** The changes the last preset choice made, and the answers before it (Undo). */
export interface PresetNote {
  id: PresetId;
  changes: PresetChange[];
}

interface Props {
  view: PresetView;
  strategies: readonly TrainingStrategy[];
  /** A training dataset is chosen (Quick try fits it). */
  hasDataset: boolean;
  note: PresetNote | null;
  onChoose(id: PresetId): void;
  onUndo(): void;
  onDismiss(): void;
}

const PRESET_TEXT: Record<PresetId, string> = {
  quick: 'a small model at the dataset’s own size, epochs chosen so the whole study takes at most about 10 minutes here',
  paper: 'the paper’s set-up as published',
};

/**
 * The wizard's presets: Quick try (fits the chosen dataset, about 10 minutes) and Paper (the paper's set-up); "Custom" when the answers
 * match neither. Shows the chosen preset in one line, the whole study's estimate, and what the last choice changed (with Undo).
 */
export function PresetBar({ view, strategies, hasDataset, note, onChoose, onUndo, onDismiss }: Props) {
  const values = view.shown === 'quick' ? view.quick?.values : view.shown === 'paper' ? view.paper : null;
  return (
    <Box component="section" aria-labelledby="wizard-preset-title" sx={{ mb: 3 }} data-testid="wizard-presets">
      <Box sx={{ display: 'flex', gap: 2, alignItems: 'center', flexWrap: 'wrap' }}>
        <Typography variant="h3" id="wizard-preset-title" component="h3">
          Preset
        </Typography>
        <ToggleButtonGroup exclusive size="small" value={view.shown} aria-labelledby="wizard-preset-title">
          {/* Choosing the shown preset again applies it again (e.g. Quick try after a speed measurement). */}
          {(['quick', 'paper'] as const).map((id) => (
            <ToggleButton
              key={id}
              value={id}
              onClick={() => onChoose(id)}
              data-testid={`wizard-preset-${id}`}
              sx={{ textTransform: 'none', px: 2 }}
            >
              {PRESET_LABELS[id]}
            </ToggleButton>
          ))}
          <ToggleButton value="custom" disabled data-testid="wizard-preset-custom" sx={{ textTransform: 'none', px: 2 }}>
            {PRESET_LABELS.custom}
          </ToggleButton>
        </ToggleButtonGroup>
      </Box>
      <Typography variant="body2" sx={{ mt: 1, maxWidth: '90ch' }} data-testid="wizard-preset-summary">
        {view.shown === 'custom'
          ? 'Custom: your own settings (they match neither preset).'
          : `${PRESET_LABELS[view.shown]}: ${PRESET_TEXT[view.shown]}${values ? ` — ${presetSummary(values, strategies)}` : ''}.`}
        {view.shown === 'quick' && !hasDataset ? ' Choose the dataset to train on: Quick try fits it.' : null}
      </Typography>
      {view.estimate ? (
        <Typography
          variant="body2"
          sx={{ mt: 0.5, color: view.shown === 'quick' && view.quick && !view.quick.fits ? 'warning.main' : 'text.secondary' }}
          data-testid="wizard-preset-estimate"
        >
          {view.estimate}
        </Typography>
      ) : null}
      {note ? (
        <Alert
          severity="info"
          sx={{ mt: 1.5 }}
          onClose={onDismiss}
          data-testid="wizard-preset-changes"
          action={
            note.changes.length > 0 ? (
              <Button color="inherit" size="small" onClick={onUndo} data-testid="wizard-preset-undo">
                Undo
              </Button>
            ) : undefined
          }
        >
          {note.changes.length === 0 ? (
            `${PRESET_LABELS[note.id]}: the answers already match it.`
          ) : (
            <>
              {PRESET_LABELS[note.id]} changed {note.changes.length} setting{note.changes.length === 1 ? '' : 's'}:
              <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
                {note.changes.map((c) => (
                  <li key={c.label}>
                    {c.label}: {c.from} → {c.to}
                  </li>
                ))}
              </Box>
            </>
          )}
        </Alert>
      ) : null}
    </Box>
  );
}
