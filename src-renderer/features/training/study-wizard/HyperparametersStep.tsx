import type { ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Grid from '@mui/material/Grid';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { ARCH_CHOICES, FIELD_HELP, HYPER_LABELS, hyperFields, type GridForm, type HyperField } from './grid-form.viewmodel';
import type { FieldErrors } from './grid-steps.viewmodel';
import { inputSizeNote, type TrainingDatasetChoice } from './training-datasets.viewmodel';

interface Props {
  form: Pick<GridForm, HyperField | 'strategies'>;
  errors: FieldErrors;
  /** The chosen training dataset (its preprocessed size is compared with the input size). */
  dataset: TrainingDatasetChoice | undefined;
  onChange(field: HyperField, value: string): void;
}

/**
 * The wizard's hyperparameters step: the model, then the epochs and learning rates of each initialisation the chosen strategies use, and
 * MoCo v2 for IWNE-CL.
 */
export function HyperparametersStep({ form, errors, dataset, onChange }: Props) {
  const fields = hyperFields(form.strategies);
  const sizeNote = inputSizeNote(form, dataset);
  const hyperField = (field: HyperField, focus = false) => (
    <TextField
      key={field}
      id={`grid-${field}`}
      label={HYPER_LABELS[field]}
      value={form[field]}
      onChange={(e) => onChange(field, e.target.value)}
      error={Boolean(errors[field])}
      helperText={errors[field] ?? FIELD_HELP[field]}
      size="small"
      fullWidth
      autoComplete="off"
      slotProps={{
        htmlInput: {
          inputMode: field.endsWith('Lr') ? 'decimal' : 'numeric',
          'data-testid': `grid-${field}`,
          ...(focus ? { 'data-step-focus': 'true' } : {}),
        },
      }}
    />
  );

  return (
    <Stack spacing={3}>
      <Section title="Model">
        <Grid container spacing={2}>
          <Grid size={{ xs: 12, md: 4 }}>
            <TextField
              select
              id="grid-arch"
              label={HYPER_LABELS.arch}
              value={form.arch}
              onChange={(e) => onChange('arch', e.target.value)}
              error={Boolean(errors.arch)}
              helperText={errors.arch ?? FIELD_HELP.arch}
              size="small"
              fullWidth
              slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'grid-arch', 'data-step-focus': 'true' } as object } }}
            >
              {[...new Set<string>([...ARCH_CHOICES, form.arch])].map((a) => (
                <MenuItem key={a} value={a} data-testid={`grid-arch-option-${a}`}>
                  {a}
                </MenuItem>
              ))}
            </TextField>
          </Grid>
          <Grid size={{ xs: 12, md: 4 }}>{hyperField('inputSize')}</Grid>
          <Grid size={{ xs: 12, md: 4 }}>{hyperField('batchSize')}</Grid>
        </Grid>
        {sizeNote ? (
          <Alert severity="info" sx={{ mt: 2 }} data-testid="grid-size-note">
            {sizeNote}
          </Alert>
        ) : null}
      </Section>
      {fields.includes('iwneEpochs') ? (
        <Section title="IWNE runs (random initialisation)" note="Paper: 500 epochs at 1e-4.">
          <Grid container spacing={2}>
            <Grid size={{ xs: 12, md: 6 }}>{hyperField('iwneEpochs')}</Grid>
            <Grid size={{ xs: 12, md: 6 }}>{hyperField('iwneLr')}</Grid>
          </Grid>
        </Section>
      ) : null}
      {fields.includes('ifiEpochs') ? (
        <Section title="IFI runs (ImageNet initialisation)" note="Paper: 50 epochs at 1e-3.">
          <Grid container spacing={2}>
            <Grid size={{ xs: 12, md: 6 }}>{hyperField('ifiEpochs')}</Grid>
            <Grid size={{ xs: 12, md: 6 }}>{hyperField('ifiLr')}</Grid>
          </Grid>
        </Section>
      ) : null}
      {fields.includes('mocoEpochs') ? (
        <Section
          title="MoCo v2 pretraining (IWNE-CL)"
          note="Official MoCo v2: 200 epochs at 0.03 (SGD, cosine), K = 65,536. Shared by every IWNE-CL run with the same settings."
        >
          <Grid container spacing={2}>
            <Grid size={{ xs: 12, md: 4 }}>{hyperField('mocoEpochs')}</Grid>
            <Grid size={{ xs: 12, md: 4 }}>{hyperField('mocoLr')}</Grid>
            <Grid size={{ xs: 12, md: 4 }}>{hyperField('mocoQueue')}</Grid>
          </Grid>
        </Section>
      ) : null}
    </Stack>
  );
}

function Section({ title, note, children }: { title: string; note?: string; children: ReactNode }) {
  return (
    <Box component="section">
      <Typography variant="h3" gutterBottom>
        {title}
      </Typography>
      {note ? (
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5 }}>
          {note}
        </Typography>
      ) : null}
      {children}
    </Box>
  );
}
