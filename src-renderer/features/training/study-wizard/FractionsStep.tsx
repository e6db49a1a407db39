import type { KeyboardEvent } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Grid from '@mui/material/Grid';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { formatFraction } from '../../../shared/strategies';
import { FIELD_HELP } from './grid-form.viewmodel';
import { addSorted, parseFraction, parseSeed, type FieldErrors } from './grid-steps.viewmodel';

/** The two lists of the step: each has its chips and an Add box. */
export type ListField = 'fractions' | 'seeds';

interface Props {
  fractions: readonly number[];
  seeds: readonly number[];
  /** What is typed in each Add box (the wizard keeps it, so it survives leaving the step). */
  texts: Record<ListField, string>;
  errors: FieldErrors;
  /** Typing in an Add box (clears that list's error). */
  onText(field: ListField, text: string): void;
  onChange(field: ListField, values: number[]): void;
  onError(field: ListField, message: string): void;
}

const LISTS = [
  {
    field: 'fractions',
    title: 'Label fractions',
    chipLabel: (f: number) => formatFraction(f),
    parse: parseFraction,
    placeholder: 'e.g. 0.05 or 5 %',
  },
  { field: 'seeds', title: 'Seeds', chipLabel: (s: number) => `seed ${s}`, parse: parseSeed, placeholder: 'e.g. 1' },
] as const;

/** The wizard's fractions step: the label fractions and the seeds; the grid trains every strategy at each fraction with each seed. */
export function FractionsStep({ fractions, seeds, texts, errors, onText, onChange, onError }: Props) {
  const values: Record<ListField, readonly number[]> = { fractions, seeds };

  function add(field: ListField, parse: (text: string) => { value: number } | { error: string }) {
    const parsed = parse(texts[field]);
    if ('error' in parsed) {
      onError(field, parsed.error);
      return;
    }
    onChange(field, addSorted(values[field], parsed.value));
    onText(field, '');
  }

  const onEnter = (action: () => void) => (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      action();
    }
  };

  return (
    <Grid container spacing={4}>
      {LISTS.map(({ field, title, chipLabel, parse, placeholder }) => (
        <Grid key={field} size={{ xs: 12, md: 6 }}>
          <Typography variant="h3" gutterBottom>
            {title}
          </Typography>
          <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, mb: 1.5, minHeight: 32 }} data-testid={`grid-${field}`}>
            {values[field].map((value) => (
              <Chip
                key={value}
                label={chipLabel(value)}
                onDelete={() =>
                  onChange(
                    field,
                    values[field].filter((v) => v !== value),
                  )
                }
                data-testid={`grid-${field}-chip`}
                data-value={value}
              />
            ))}
            {values[field].length === 0 ? (
              <Typography variant="body2" sx={{ color: 'text.secondary' }}>
                None yet.
              </Typography>
            ) : null}
          </Box>
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}>
            <TextField
              size="small"
              label={`Add ${field === 'fractions' ? 'a fraction' : 'a seed'}`}
              placeholder={placeholder}
              value={texts[field]}
              onChange={(e) => onText(field, e.target.value)}
              onKeyDown={onEnter(() => add(field, parse))}
              error={Boolean(errors[field])}
              helperText={errors[field] ?? FIELD_HELP[field]}
              sx={{ flex: 1 }}
              slotProps={{
                htmlInput: { 'data-testid': `grid-${field}-input`, ...(field === 'fractions' ? { 'data-step-focus': 'true' } : {}) },
              }}
            />
            <Button variant="outlined" onClick={() => add(field, parse)} sx={{ height: 40 }} data-testid={`grid-${field}-add`}>
              Add
            </Button>
          </Box>
        </Grid>
      ))}
    </Grid>
  );
}
