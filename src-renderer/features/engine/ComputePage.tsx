import Stack from '@mui/material/Stack';
import { PageHeader } from '../../shared/PageHeader';
import { BackendPreferenceCard } from './BackendPreferenceCard';
import { EngineStatusCard } from './EngineStatusCard';
import { SelfTestCard } from './SelfTestCard';

export function ComputePage({ focusHeading }: { focusHeading: boolean }) {
  return (
    <>
      <PageHeader
        title="Compute"
        description="FundusLab runs its models on the best TensorFlow.js backend that works here: native CUDA GPU, any GPU through WebGPU, native CPU, WebAssembly, then plain JavaScript."
        focusOnMount={focusHeading}
      />
      <Stack spacing={3}>
        <EngineStatusCard />
        <SelfTestCard />
        <BackendPreferenceCard />
      </Stack>
    </>
  );
}
