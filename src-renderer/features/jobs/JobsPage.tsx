import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useNavigation } from '../../app/navigation';
import { errorMessage } from '../../shared/errors.viewmodel';
import { formatRelativeTime } from '../../shared/format.viewmodel';
import { RefreshIcon } from '../../shared/icons';
import { PageHeader } from '../../shared/PageHeader';
import { useNow } from '../../shared/useNow';
import { useStudy } from '../study/StudyStore';
import { ClusterSubmissions } from './ClusterSubmissions';
import { JobCard } from './JobCard';
import { jobOriginLabel, scopeJobs, type JobScope } from './job-scope.viewmodel';
import { isActive, jobViewModel, sortJobs } from './jobs.viewmodel';
import { useJobs } from './JobsStore';

export function JobsPage({ focusHeading }: { focusHeading: boolean }) {
  const { jobs: allJobs, loaded, error, refresh, cancel, retry, scope, setScope } = useJobs();
  const { openStudy, recent } = useStudy();
  const openPath = openStudy?.path ?? null;
  const { shown: jobs, hidden } = scopeJobs(allJobs, scope, openPath);
  const known = [...(openStudy ? [{ path: openStudy.path, name: openStudy.study.name }] : []), ...(recent ?? [])];
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
          <>
            {openStudy ? (
              <ToggleButtonGroup
                size="small"
                exclusive
                value={scope}
                onChange={(_, next: JobScope | null) => next && setScope(next)}
                aria-label="Which jobs to show"
              >
                <ToggleButton value="study" data-testid="jobs-scope-study">
                  This study
                </ToggleButton>
                <ToggleButton value="all" data-testid="jobs-scope-all">
                  All studies
                </ToggleButton>
              </ToggleButtonGroup>
            ) : null}
            <Button size="small" startIcon={<RefreshIcon />} onClick={refresh}>
              Refresh
            </Button>
          </>
        }
      />
      {hidden > 0 ? (
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2 }} data-testid="jobs-hidden">
          {hidden === 1 ? '1 job of another study is' : `${hidden} jobs of other studies are`} not shown here or in the notices; choose “All
          studies” to see them.
        </Typography>
      ) : null}
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
              {hidden > 0 ? 'No jobs in this study yet.' : 'No jobs yet.'}
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
        <Stack
          spacing={1.5}
          component="section"
          aria-label={scope === 'all' || !openStudy ? 'All jobs' : 'Jobs of this study'}
          data-testid="jobs-list"
        >
          {sortJobs(jobs).map((job) => (
            <JobCard
              key={job.id}
              job={jobViewModel(job, now)}
              createdLabel={jobOriginLabel(job.studyPath, known, `submitted ${formatRelativeTime(job.createdAt, now)}`)}
              onCancel={(id) => run(cancel, id)}
              onRetry={(id) => run(retry, id)}
            />
          ))}
        </Stack>
      )}
      {openStudy ? <ClusterSubmissions studyPath={openStudy.path} /> : null}
    </>
  );
}
