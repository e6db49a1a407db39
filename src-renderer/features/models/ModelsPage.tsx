import Stack from '@mui/material/Stack';
import { PageHeader } from '../../shared/PageHeader';
import { WeightsPickerCard } from './WeightsPickerCard';

export function ModelsPage({ focusHeading }: { focusHeading: boolean }) {
  return (
    <>
      <PageHeader
        title="Pretrained weights"
        description="The IFI strategies start from ImageNet weights you bring. Choose a file, inspect it, and check what importing it into the model you will train would load, skip and re-initialise. Nothing is imported yet."
        focusOnMount={focusHeading}
      />
      <Stack spacing={3}>
        <WeightsPickerCard slot="fs" />
        <WeightsPickerCard slot="cl" />
      </Stack>
    </>
  );
}
