import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import { errorMessage } from '../../shared/errors.viewmodel';
import { formatDateTime } from '../../shared/format.viewmodel';
import { PlayIcon } from '../../shared/icons';
import { useNow } from '../../shared/useNow';
import { useJobs } from '../jobs/JobsStore';
import { JobProgressBar } from '../jobs/JobProgressBar';
import { jobViewModel, latestJobOfKind } from '../jobs/jobs.viewmodel';
import { parseSelfTestResult, selfTestReport } from './engine.viewmodel';
import { SelfTestResultCard } from './SelfTestResultCard';

/**
 * Runs the `engine.selftest` job (a short timed training loop on the active backend, with its
 * gradients compared against the CPU reference) and shows the latest one: progress while it runs,
 * the result once it is done.
 */
export function SelfTestCard() {
  const { jobs, submit, cancel } = useJobs();
  const [submitting, setSubmitting] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const job = latestJobOfKind(jobs, 'engine.selftest');
  const active = job ? job.status === 'queued' || job.status === 'running' : false;
  const now = useNow(1000, active);
  const vm = job ? jobViewModel(job, now) : null;
  const result = job && job.status === 'succeeded' ? parseSelfTestResult(job.result) : null;

  async function run() {
    setSubmitting(true);
    setActionError(null);
    try {
      await submit({ kind: 'engine.selftest', params: {} });
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setSubmitting(false);
    }
  }

  async function stop(id: string) {
    setActionError(null);
    try {
      await cancel(id);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  return (
    <Card component="section" aria-labelledby="selftest-title">
      <CardContent>
        <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 2, mb: 2 }}>
          <Box sx={{ flex: 1 }}>
            <Typography variant="h2" id="selftest-title" gutterBottom>
              Self-test
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', maxWidth: '75ch' }}>
              Trains a small convolutional network for a few steps on the active backend, measures its speed, checks that the loss falls,
              and compares its gradients with the plain JavaScript CPU reference. It runs as a job in a worker and takes a few seconds.
            </Typography>
          </Box>
          <Button
            variant="contained"
            startIcon={<PlayIcon />}
            onClick={() => void run()}
            disabled={submitting || active}
            data-testid="run-selftest"
            sx={{ flexShrink: 0 }}
          >
            {active ? 'Self-test running…' : 'Run self-test'}
          </Button>
        </Box>

        {actionError ? (
          <Alert severity="error" sx={{ mb: 2 }} onClose={() => setActionError(null)}>
            {actionError}
          </Alert>
        ) : null}

        {job && vm && active ? (
          <Box sx={{ mb: 1 }}>
            <JobProgressBar
              vm={vm}
              testId="selftest-progress"
              label="Self-test progress"
              cancelText="Cancel"
              cancelLabel="Cancel self-test"
              onCancel={() => void stop(job.id)}
            />
          </Box>
        ) : null}

        {job && vm && !active ? (
          result ? (
            <SelfTestResultCard report={selfTestReport(result)} finishedAt={job.endedAt ? formatDateTime(job.endedAt) : null} />
          ) : (
            <Alert
              severity={vm.status === 'failed' ? 'error' : vm.status === 'succeeded' ? 'error' : 'warning'}
              data-testid="selftest-error"
              data-status={vm.status}
            >
              {vm.status === 'failed' && `The self-test failed: ${vm.error ?? 'no reason given'}`}
              {vm.status === 'cancelled' && 'The self-test was cancelled before it finished.'}
              {vm.status === 'interrupted' && 'The self-test was interrupted (FundusLab stopped while it ran). Run it again.'}
              {vm.status === 'succeeded' && 'The self-test finished but its result could not be read.'}
            </Alert>
          )
        ) : null}

        {!job ? (
          <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="selftest-none">
            No self-test has run yet.
          </Typography>
        ) : null}
      </CardContent>
    </Card>
  );
}
