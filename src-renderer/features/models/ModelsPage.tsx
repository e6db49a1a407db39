import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { PageHeader } from '../../shared/PageHeader';
import { TrainedModelsCard } from './TrainedModelsCard';
import { WeightsPickerCard } from './WeightsPickerCard';

/** Models: the open study's trained models first, then the pretrained weights the IFI strategies start from. */
export function ModelsPage({ focusHeading }: { focusHeading: boolean }) {
  return (
    <>
      <PageHeader
        title="Models"
        description="The models this study trained, ready to export, and the pretrained weights the IFI strategies start from."
        focusOnMount={focusHeading}
      />
      <Stack spacing={3}>
        <TrainedModelsCard />
        <Stack spacing={3} component="section" aria-labelledby="pretrained-weights-title" data-testid="pretrained-weights">
          <div>
            <Typography variant="h2" id="pretrained-weights-title" gutterBottom>
              Pretrained weights
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', maxWidth: '80ch' }}>
              The IFI strategies start from ImageNet weights you bring. Choose a file, inspect it, and check what importing it into the
              model you will train would load, skip and re-initialise. Nothing is imported yet.
            </Typography>
          </div>
          <WeightsPickerCard slot="fs" />
          <WeightsPickerCard slot="cl" />
        </Stack>
      </Stack>
    </>
  );
}
