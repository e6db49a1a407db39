import { useEffect, useEffectEvent, useRef } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormHelperText from '@mui/material/FormHelperText';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { TARGET_ARCHS } from '../../models/models.viewmodel';
import { useModels } from '../../models/ModelsStore';
import { WeightsPickerCard } from '../../models/WeightsPickerCard';
import {
  PUBLISHED_WEIGHTS,
  STANDIN_LABEL,
  isStandinPath,
  standinJobFor,
  standinPaths,
  standinRequest,
} from '../../models/weights-files.viewmodel';
import { JobProgressBar } from '../../jobs/JobProgressBar';
import { useJobs } from '../../jobs/JobsStore';
import { jobViewModel } from '../../jobs/jobs.viewmodel';
import { useJobLauncher } from '../../jobs/useJobLauncher';
import { useNow } from '../../../shared/useNow';
import type { GridForm } from './grid-form.viewmodel';
import { weightsWarnings, type FieldErrors } from './grid-steps.viewmodel';

interface Props {
  /** The form with the pickers' files in it (the Models page's pickers hold the weight files). */
  form: Pick<GridForm, 'arch' | 'inputSize' | 'strategies' | 'imagenetWeights' | 'mocoWeights'>;
  errors: FieldErrors;
  studyPath: string;
}

/**
 * The wizard's weights step (IFI strategies only): which published files work, the Models page's pickers for the ImageNet weights
 * (IFI-FS) and the MoCo v2 checkpoint (IFI-CL), checked against the grid's architecture, and "Use demo stand-in weights", which
 * derives the demo's stand-ins in the study (a job with progress) and fills both fields with them, labelled as stand-ins.
 */
export function WeightsStep({ form, errors, studyPath }: Props) {
  const { slots, update } = useModels();
  const { jobs } = useJobs();
  const { error: launchError, launch, cancel } = useJobLauncher();
  const request = standinRequest(form);
  // The latest stand-in job of these settings, whoever started it (it survives leaving the step).
  const job = standinJobFor(jobs, studyPath, request);
  const active = job !== null && (job.status === 'queued' || job.status === 'running');
  const now = useNow(1000, active);
  const produced = standinPaths(job);

  // The pickers plan the import for the grid's architecture when they can.
  useEffect(() => {
    const arch = form.arch.trim();
    if (!(TARGET_ARCHS as readonly string[]).includes(arch)) return;
    for (const slot of ['fs', 'cl'] as const) if (slots[slot].target !== arch) update(slot, { target: arch });
  }, [form.arch, slots, update]);

  // A stand-in job that finished fills the fields: both when it was asked for here, else only fields that are empty or hold
  // stand-ins (files the user chose are never replaced behind their back).
  const asked = useRef(false);
  const fill = useEffectEvent((paths: { fs: string; cl: string }) => {
    for (const slot of ['fs', 'cl'] as const) {
      const current = slots[slot].path.trim();
      if (current === paths[slot]) continue;
      if (asked.current || !current || isStandinPath(current)) update(slot, { path: paths[slot] });
    }
    asked.current = false;
  });
  const doneId = produced ? job!.id : null;
  useEffect(() => {
    if (doneId && produced) fill(produced);
    // Only when another job finishes, not whenever the fields change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [doneId]);

  const ifi = form.strategies.includes('IFI-FS') || form.strategies.includes('IFI-CL');

  return (
    <Stack spacing={2}>
      {weightsWarnings(form).map((w) => (
        <Alert key={w} severity="warning" data-testid="grid-weights-warning">
          {w}
        </Alert>
      ))}
      <Alert severity="info" data-testid="weights-published">
        <Typography variant="body2">
          These published files work: for IFI-FS, {PUBLISHED_WEIGHTS.fs}; for IFI-CL, {PUBLISHED_WEIGHTS.cl}. {PUBLISHED_WEIGHTS.download}
        </Typography>
      </Alert>
      {!(TARGET_ARCHS as readonly string[]).includes(form.arch.trim()) ? (
        <Alert severity="info">
          The pickers plan imports for {TARGET_ARCHS.join(', ')}; choose the closest one to check the file against.
        </Alert>
      ) : null}
      {ifi ? (
        <Box component="section" data-testid="weights-standin-section">
          <Typography variant="body2" sx={{ mb: 1, maxWidth: '80ch' }}>
            No ImageNet files at hand? Demo stand-in weights let the IFI runs train: derived in this study from FundusLab&apos;s synthetic
            texture set exactly as the demo study derives them, for{' '}
            {request ? `${request.arch} at ${request.inputSize} px` : 'the grid’s model'}. They are {STANDIN_LABEL.toLowerCase()}: the
            report says so, and the numbers do not show what ImageNet pretraining brings.
          </Typography>
          {active ? (
            <JobProgressBar
              vm={jobViewModel(job, now)}
              testId="weights-standin-progress"
              label="Demo stand-in weights"
              cancelText="Cancel"
              onCancel={() => cancel(job.id)}
            />
          ) : (
            <Button
              variant="outlined"
              disabled={!request}
              onClick={() => {
                if (!request) return;
                asked.current = true;
                void launch({ kind: 'weights.standin', params: request, studyPath });
              }}
              data-testid="weights-standin"
            >
              {produced ? 'Use demo stand-in weights again' : 'Use demo stand-in weights'}
            </Button>
          )}
          {job?.status === 'failed' ? (
            <Alert severity="error" sx={{ mt: 1.5 }} data-testid="weights-standin-error">
              The stand-in weights could not be derived: {job.error?.message ?? 'unknown error'}
            </Alert>
          ) : null}
          {launchError ? (
            <Alert severity="error" sx={{ mt: 1.5 }}>
              {launchError}
            </Alert>
          ) : null}
        </Box>
      ) : null}
      {form.strategies.includes('IFI-FS') ? <WeightsPickerCard slot="fs" /> : null}
      {form.strategies.includes('IFI-CL') ? <WeightsPickerCard slot="cl" /> : null}
      {errors.imagenetWeights || errors.mocoWeights ? (
        <FormHelperText error>{errors.imagenetWeights ?? errors.mocoWeights}</FormHelperText>
      ) : null}
    </Stack>
  );
}
