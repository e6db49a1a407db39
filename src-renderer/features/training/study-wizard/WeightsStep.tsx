import { useEffect } from 'react';
import Alert from '@mui/material/Alert';
import FormHelperText from '@mui/material/FormHelperText';
import Stack from '@mui/material/Stack';
import { TARGET_ARCHS } from '../../models/models.viewmodel';
import { useModels } from '../../models/ModelsStore';
import { WeightsPickerCard } from '../../models/WeightsPickerCard';
import type { GridForm } from './grid-form.viewmodel';
import { weightsWarnings, type FieldErrors } from './grid-steps.viewmodel';

interface Props {
  /** The form with the pickers' files in it (the Models page's pickers hold the weight files). */
  form: Pick<GridForm, 'arch' | 'strategies' | 'imagenetWeights' | 'mocoWeights'>;
  errors: FieldErrors;
}

/**
 * The wizard's weights step (IFI strategies only): the Models page's pickers for the ImageNet weights
 * (IFI-FS) and the MoCo v2 checkpoint (IFI-CL), checked against the grid's architecture.
 */
export function WeightsStep({ form, errors }: Props) {
  const { slots, update } = useModels();

  // The pickers plan the import for the grid's architecture when they can.
  useEffect(() => {
    const arch = form.arch.trim();
    if (!(TARGET_ARCHS as readonly string[]).includes(arch)) return;
    for (const slot of ['fs', 'cl'] as const) if (slots[slot].target !== arch) update(slot, { target: arch });
  }, [form.arch, slots, update]);

  return (
    <Stack spacing={2}>
      {weightsWarnings(form).map((w) => (
        <Alert key={w} severity="warning" data-testid="grid-weights-warning">
          {w}
        </Alert>
      ))}
      {!(TARGET_ARCHS as readonly string[]).includes(form.arch.trim()) ? (
        <Alert severity="info">
          The pickers plan imports for {TARGET_ARCHS.join(', ')}; choose the closest one to check the file against.
        </Alert>
      ) : null}
      {form.strategies.includes('IFI-FS') ? <WeightsPickerCard slot="fs" /> : null}
      {form.strategies.includes('IFI-CL') ? <WeightsPickerCard slot="cl" /> : null}
      {errors.imagenetWeights || errors.mocoWeights ? (
        <FormHelperText error>{errors.imagenetWeights ?? errors.mocoWeights}</FormHelperText>
      ) : null}
    </Stack>
  );
}
