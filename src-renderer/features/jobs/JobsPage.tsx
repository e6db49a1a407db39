import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useNavigation } from '../../app/navigation';
import { errorMessage } from '../../shared/errors.viewmodel';
import { formatRelativeTime } from '../../shared/format.viewmodel';
import { RefreshIcon } from '../../shared/icons';
import { PageHeader } from '../../shared/PageHeader';
import { useNow } from '../../shared/useNow';
import { JobCard } from './JobCard';
import { isActive, jobViewModel, sortJobs } from './jobs.viewmodel';
import { useJobs } from './JobsStore';

export function JobsPage({ focusHeading }: { focusHeading: boolean }) {
  const { jobs, loaded, error, refresh, cancel, retry } = useJobs();
  const { navigate } = useNavigation();
  const anyRunning = jobs.some((j) => isActive(j.status));
  const now = useNow(1000, anyRunning);
  const [actionError, setActionError] = useState<string | null>(null);

  async function run(action: (id: string) => Promise<unknown>, id: string) {
    setActionError(null);
    try {
      await action(id);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  return (
    <>
      <PageHeader
        title="Jobs"
        description="Imports, training runs, analyses and reports run as jobs in the background. Their state is saved, so a restart loses at most the current step."
        focusOnMount={focusHeading}
        actions={
          <Button size="small" startIcon={<RefreshIcon />} onClick={refresh}>
            Refresh
          </Button>
        }
      />
      {error ? (
        <Alert severity="error" sx={{ mb: 2 }}>
          Could not load the jobs: {error}
        </Alert>
      ) : null}
      {actionError ? (
        <Alert severity="error" sx={{ mb: 2 }} onClose={() => setActionError(null)} data-testid="job-action-error">
          {actionError}
        </Alert>
      ) : null}
      {!loaded ? (
        <CircularProgress aria-label="Loading jobs" />
      ) : jobs.length === 0 ? (
        <Card data-testid="jobs-empty">
          <CardContent>
            <Typography variant="body1" gutterBottom>
              No jobs yet.
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2 }}>
              Jobs appear here as soon as they are submitted. The quickest one to try is the compute self-test.
            </Typography>
            <Button variant="outlined" onClick={() => navigate('compute')}>
              Go to Compute
            </Button>
          </CardContent>
        </Card>
      ) : (
        <Stack spacing={1.5} component="section" aria-label="All jobs" data-testid="jobs-list">
          {sortJobs(jobs).map((job) => (
            <JobCard
              key={job.id}
              job={jobViewModel(job, now)}
              createdLabel={`submitted ${formatRelativeTime(job.createdAt, now)}`}
              onCancel={(id) => run(cancel, id)}
              onRetry={(id) => run(retry, id)}
            />
          ))}
        </Stack>
      )}
    </>
  );
}
