import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { StopIcon } from '../../shared/icons';
import { jobViewModel, type JobViewModel } from './jobs.viewmodel';
import type { JobState } from '../../../src-shared/jobs';

export interface JobProgressBarProps {
  vm: JobViewModel;
  /** data-testid of the progress bar. */
  testId: string;
  /** Accessible name of the progress bar, e.g. "Import progress". */
  label: string;
  cancelText: string;
  cancelLabel?: string;
  onCancel: () => void;
}

/**
 * A running job's progress bar with its percentage, the step, elapsed time and time left (the job card's progress line), and a cancel
 * button (shared by every job-launching view). A queued job says it waits for a worker, with an indeterminate bar.
 */
export function JobProgressBar({ vm, testId, label, cancelText, cancelLabel, onCancel }: JobProgressBarProps) {
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 2 }}>
        <LinearProgress
          variant={vm.status === 'queued' ? 'indeterminate' : 'determinate'}
          value={vm.percent}
          data-testid={testId}
          aria-label={label}
          sx={{ flex: 1 }}
        />
        <Button
          variant="outlined"
          color="inherit"
          size="small"
          startIcon={<StopIcon />}
          onClick={onCancel}
          aria-label={cancelLabel ?? cancelText}
        >
          {cancelText}
        </Button>
      </Box>
      <Typography variant="body2" sx={{ color: 'text.secondary', mt: 1 }} aria-live="polite">
        {vm.status === 'queued' ? 'Waiting for a worker…' : vm.percentText}
        {vm.status !== 'queued' && vm.progressLine ? ` · ${vm.progressLine}` : ''}
      </Typography>
    </Box>
  );
}

/** One progress bar per job a view launched and that still runs (demo data, report …). */
export function ActiveJobsProgress({
  jobs,
  testId,
  label,
  cancelLabel,
  onCancel,
}: {
  jobs: readonly JobState[];
  testId: string;
  label: string;
  cancelLabel: string;
  onCancel: (id: string) => void;
}) {
  return jobs.map((j) => (
    <Box key={j.id} sx={{ mt: 2 }}>
      <JobProgressBar
        vm={jobViewModel(j, Date.now())}
        testId={testId}
        label={label}
        cancelText="Cancel"
        cancelLabel={cancelLabel}
        onCancel={() => onCancel(j.id)}
      />
    </Box>
  ));
}
