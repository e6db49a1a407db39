import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { DatasetSummary } from '../../../../src-shared/contract';
import type { GridSpecInput } from '../../../../src-shared/grid';
import { computesOnGpu } from '../../../../src-shared/engine';
import { useNavigation } from '../../../app/navigation';
import { formatDuration } from '../../../shared/format.viewmodel';
import { KeyValueList } from '../../../shared/KeyValueList';
import { useNow } from '../../../shared/useNow';
import { useEngine } from '../../engine/EngineStore';
import { JobProgressBar } from '../../jobs/JobProgressBar';
import { jobViewModel } from '../../jobs/jobs.viewmodel';
import { useJobs } from '../../jobs/JobsStore';
import { useJobLauncher } from '../../jobs/useJobLauncher';
import {
  batchWarning,
  benchJobFor,
  benchResult,
  defaultSpeedEstimate,
  estimateText,
  studyEstimate,
  type AnalysesForm,
  type BenchConfig,
} from './study-wizard.viewmodel';

interface Props {
  config: BenchConfig;
  grid: GridSpecInput;
  analyses: AnalysesForm;
  datasets: readonly DatasetSummary[] | null;
}

const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ms`;

/** The wizard's compute step: the backend the study will run on, a short measurement of the chosen model, and the estimated duration. */
export function ComputeStep({ config, grid, analyses, datasets }: Props) {
  const { status } = useEngine();
  const { jobs } = useJobs();
  const { error, launch, cancel } = useJobLauncher();
  const { navigate } = useNavigation();
  // The latest measurement of exactly this configuration, whoever started it (it survives leaving the step).
  const job = benchJobFor(jobs, config);
  const active = job !== null && (job.status === 'queued' || job.status === 'running');
  const now = useNow(1000, active);
  const bench = benchResult(job);
  const { estimate, error: estimateError } = studyEstimate(grid, analyses, datasets, bench);
  const warning = batchWarning(config.batchSize, bench, grid.strategies ?? []);
  const usual = bench ? null : defaultSpeedEstimate(grid, analyses, datasets, config);
  const measure = () => launch({ kind: 'engine.benchmark', params: { ...config, steps: 2 } });

  return (
    <Stack spacing={3} data-testid="wizard-compute">
      <Box component="section">
        <Typography variant="h3" gutterBottom>
          Compute backend
        </Typography>
        {status ? (
          <KeyValueList
            labelWidth={160}
            rows={[
              {
                label: 'Backend',
                value: `${status.active}${status.forced ? ' (forced)' : ''} · ${status.threads} thread${status.threads === 1 ? '' : 's'}`,
              },
              {
                label: 'Not used',
                value:
                  status.candidates
                    .filter((c) => c.state !== 'active')
                    .map((c) => `${c.backend}${c.reason ? `: ${c.reason}` : ''}`)
                    .join('; ') || '—',
              },
            ]}
          />
        ) : (
          <Typography variant="body2">Checking the backend…</Typography>
        )}
        {status && !computesOnGpu(status) ? (
          <Alert severity="info" sx={{ mt: 1.5 }} action={<Button onClick={() => navigate('compute')}>Compute page</Button>}>
            Not on the GPU: a full-size study (ResNet50 at 224 px, hundreds of epochs) takes far longer on the CPU. The Compute page says
            why the GPU backend is not used.
          </Alert>
        ) : null}
      </Box>

      <Box component="section">
        <Typography variant="h3" gutterBottom>
          Estimated duration
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5, maxWidth: '80ch' }}>
          A short measurement of {config.arch} at {config.inputSize} px on this backend (a forward pass, a training step, and both
          augmentations, a few seconds to a minute) is scaled by the number of images each phase of the study processes.
        </Typography>
        {active ? (
          <JobProgressBar
            vm={jobViewModel(job, now)}
            testId="wizard-bench-progress"
            label="Speed measurement"
            cancelText="Cancel"
            onCancel={() => cancel(job.id)}
          />
        ) : (
          <Button
            variant={bench ? 'outlined' : 'contained'}
            onClick={() => void measure()}
            data-testid="wizard-measure"
            data-step-focus="true"
          >
            {bench ? 'Measure again' : 'Measure speed'}
          </Button>
        )}
        {usual && !active ? (
          <Typography variant="body2" sx={{ mt: 1.5 }} data-testid="wizard-estimate-usual">
            Before a measurement: {estimateText(usual.totalSeconds)} for the whole study at the usual speed of 2 CPU cores.
          </Typography>
        ) : null}
        {job?.status === 'failed' ? (
          <Alert severity="error" sx={{ mt: 1.5 }}>
            The measurement failed: {job.error?.message ?? 'unknown error'}
          </Alert>
        ) : null}
        {error ? (
          <Alert severity="error" sx={{ mt: 1.5 }}>
            {error}
          </Alert>
        ) : null}
        {bench ? (
          <Typography variant="body2" sx={{ mt: 1.5 }} data-testid="wizard-bench">
            Measured on {bench.backend} ({bench.threads} thread{bench.threads === 1 ? '' : 's'}): forward {ms(bench.forwardMsPerImage)}
            /image, training step {ms(bench.trainMsPerImage)}/image, augmentation {ms(bench.augmentFsMsPerImage)} (FS) and{' '}
            {ms(bench.augmentClMsPerImage)} (MoCo, two views) per image.
          </Typography>
        ) : null}
        {warning ? (
          <Alert severity="warning" sx={{ mt: 1.5 }} data-testid="wizard-batch-warning">
            {warning}
          </Alert>
        ) : null}
        {estimateError ? (
          <Alert severity="warning" sx={{ mt: 1.5 }}>
            No estimate: {estimateError}
          </Alert>
        ) : null}
        {estimate ? (
          <Box sx={{ mt: 2 }} data-testid="wizard-estimate">
            <Typography variant="body1" sx={{ fontWeight: 600, mb: 1 }}>
              The whole study: {estimateText(estimate.totalSeconds)} ({estimate.runs} run{estimate.runs === 1 ? '' : 's'}
              {estimate.pretrainings > 0 ? `, ${estimate.pretrainings} MoCo pretraining${estimate.pretrainings === 1 ? '' : 's'}` : ''})
            </Typography>
            <TableContainer sx={{ maxWidth: 720, border: 1, borderColor: 'divider', borderRadius: 1 }}>
              <Table size="small" aria-label="Estimated duration by phase">
                <TableHead>
                  <TableRow>
                    <TableCell>Phase</TableCell>
                    <TableCell align="right">Images processed</TableCell>
                    <TableCell align="right">Time</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {estimate.lines.map((l) => (
                    <TableRow key={`${l.phase}-${l.label}`}>
                      <TableCell>{l.label}</TableCell>
                      <TableCell align="right">{Math.round(l.images).toLocaleString('en-US')}</TableCell>
                      <TableCell align="right">{formatDuration(l.seconds) ?? '—'}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </TableContainer>
            {estimate.notes.length > 0 ? (
              <Box component="ul" sx={{ m: 0, mt: 1, pl: 2.5, color: 'text.secondary', typography: 'caption' }}>
                {estimate.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </Box>
            ) : null}
          </Box>
        ) : null}
      </Box>
    </Stack>
  );
}
