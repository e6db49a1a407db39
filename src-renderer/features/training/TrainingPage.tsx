import { useEffect, useState } from 'react';
import type { StudyPlan } from '../../../src-shared/study-plan';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useClient } from '../../app/ClientContext';
import { useNavigation, useSubpage } from '../../app/navigation';
import { errorMessage } from '../../shared/errors.viewmodel';
import { EditIcon, PlayIcon, RefreshIcon } from '../../shared/icons';
import { PageHeader } from '../../shared/PageHeader';
import { useJobs } from '../jobs/JobsStore';
import { JobProgressBar } from '../jobs/JobProgressBar';
import { jobViewModel } from '../jobs/jobs.viewmodel';
import { activeStudyJobs } from '../../shared/analyses.viewmodel';
import { useNow } from '../../shared/useNow';
import { useStudy } from '../study/StudyStore';
import { RunsDashboard } from './RunsDashboard';
import { gridTable } from './runs-dashboard.viewmodel';
import { StudyWizard, type LaunchResult } from './study-wizard/StudyWizard';
import { useGrid } from './useGrid';
import { RunFoldersCard } from '../trash/RunFoldersCard';

const DESCRIPTION =
  'Train the four strategies of the paper — IWNE-FS, IWNE-CL, IFI-FS, IFI-CL — on fractions of the labelled data. Every run is a job in a worker with a checkpoint every epoch, so the grid can run for days and survive restarts.';

export function TrainingPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const { navigate } = useNavigation();
  const client = useClient();
  const { jobs, refresh: refreshJobs, cancel } = useJobs();
  const studyPath = openStudy?.path ?? null;
  const grid = useGrid(studyPath);
  const [editing, setEditing] = useSubpage('training', 'wizard');
  const [launch, setLaunch] = useState<{ result: LaunchResult | null; error: string | null } | null>(null);
  const [launching, setLaunching] = useState(false);
  const [plan, setPlan] = useState<StudyPlan | null>(null);
  // A whole-study job trains the grid's runs itself: while it runs, the page says so and does not launch them a second time.
  const runningStudy = activeStudyJobs(jobs, studyPath, 'study.run')[0] ?? null;
  const now = useNow(1000, runningStudy !== null);
  // The plan the study last ran (test sets, analyses): the wizard starts from it.
  useEffect(() => {
    if (!studyPath || !editing) return undefined;
    let live = true;
    client.call('studyPlan.get', { studyPath }).then(
      (p) => live && setPlan(p),
      () => live && setPlan(null),
    );
    return () => {
      live = false;
    };
  }, [client, studyPath, editing]);

  if (!openStudy || !studyPath) {
    return (
      <>
        <PageHeader title="Training" description={DESCRIPTION} focusOnMount={focusHeading} />
        <Card data-testid="training-no-study">
          <CardContent>
            <Typography variant="h2" gutterBottom>
              Open or create a study first
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
              Runs are kept in the study folder next to the datasets they train on.
            </Typography>
            <Button variant="contained" onClick={() => navigate('studies')}>
              Go to Studies
            </Button>
          </CardContent>
        </Card>
      </>
    );
  }

  const view = grid.view;
  const table = view?.spec ? gridTable(view, jobs, studyPath) : null;

  async function launchGrid() {
    if (!studyPath) return;
    setLaunching(true);
    try {
      const result = await client.call('grid.launch', { studyPath });
      setLaunch({ result, error: null });
      refreshJobs();
      grid.refresh();
    } catch (err) {
      setLaunch({ result: null, error: errorMessage(err) });
    } finally {
      setLaunching(false);
    }
  }

  return (
    <>
      <PageHeader
        title="Training"
        description={
          <>
            {DESCRIPTION} Study: <strong>{openStudy.study.name}</strong>.
          </>
        }
        focusOnMount={focusHeading}
        actions={
          view?.spec && !editing ? (
            <>
              <Button variant="outlined" startIcon={<RefreshIcon />} onClick={grid.refresh} aria-label="Refresh the runs">
                Refresh
              </Button>
              <Button variant="outlined" startIcon={<EditIcon />} onClick={() => setEditing(true)} data-testid="grid-edit">
                Edit study
              </Button>
              <Button
                variant="contained"
                startIcon={<PlayIcon />}
                onClick={() => void launchGrid()}
                disabled={launching || runningStudy !== null || (table?.launchable ?? 0) === 0}
                data-testid="grid-launch"
              >
                {table && table.launchable > 0 ? `Launch ${table.launchable} run${table.launchable === 1 ? '' : 's'}` : 'Launch'}
              </Button>
            </>
          ) : null
        }
      />
      <Stack spacing={2}>
        {grid.error ? (
          <Alert severity="error" action={<Button onClick={grid.refresh}>Try again</Button>}>
            {grid.error}
          </Alert>
        ) : null}
        {launch && !editing ? <LaunchAlert launch={launch} onClose={() => setLaunch(null)} /> : null}
        {runningStudy && !editing ? (
          <Card data-testid="study-job" data-status={runningStudy.status}>
            <CardContent>
              <Typography variant="h3" gutterBottom>
                {runningStudy.status === 'queued' ? 'The whole study is queued' : 'The whole study is running'}
              </Typography>
              <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5, maxWidth: '80ch' }}>
                {runningStudy.status === 'queued'
                  ? 'It starts when the jobs before it have finished. '
                  : 'The run it trains now shows Running below. '}
                One job trains the runs below one after another, then evaluates them on the test sets, runs the analyses and builds the
                report. The runs fill in as their folders change; Launch is off until the study job ends.
              </Typography>
              <JobProgressBar
                vm={jobViewModel(runningStudy, now)}
                testId="study-job-progress"
                label="Whole study progress"
                cancelText="Cancel the study"
                onCancel={() => void cancel(runningStudy.id)}
              />
            </CardContent>
          </Card>
        ) : null}
        {!view && !grid.error ? <CircularProgress aria-label="Loading the training grid" /> : null}
        {editing && view ? (
          <StudyWizard
            studyPath={studyPath}
            initial={view.spec}
            initialRevision={view.revision ?? 0}
            initialPlan={plan}
            onReloaded={grid.adopt}
            onCancel={() => setEditing(false)}
            onStudyLaunched={(saved) => {
              // The study job is in the jobs list (submit adds it): the study-job card follows it.
              grid.adopt(saved);
              setEditing(false);
              setLaunch(null);
              refreshJobs();
            }}
            onSaved={(saved, launched) => {
              grid.adopt(saved);
              setEditing(false);
              setLaunch(launched ? { result: launched, error: null } : null);
              if (launched) refreshJobs();
            }}
          />
        ) : null}
        {!editing && view && !view.spec ? (
          <Card data-testid="training-empty">
            <CardContent>
              <Typography variant="h2" gutterBottom>
                Set up the study…
              </Typography>
              <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
                Choose the dataset to train on and the test sets, the strategies to compare, the label fractions and seeds, and the
                hyperparameters (the paper's defaults are filled in); measure how long it will take on this computer. Then launch: this page
                follows every run's progress and curves.
              </Typography>
              <Button variant="contained" onClick={() => setEditing(true)} data-testid="grid-setup">
                Set up the study
              </Button>
            </CardContent>
          </Card>
        ) : null}
        {!editing && view?.spec ? <RunsDashboard studyPath={studyPath} view={view} refresh={grid.refresh} /> : null}
        {!editing && view ? <RunFoldersCard studyPath={studyPath} onDeleted={grid.refresh} /> : null}
      </Stack>
    </>
  );
}

function LaunchAlert({ launch, onClose }: { launch: { result: LaunchResult | null; error: string | null }; onClose(): void }) {
  if (launch.error) {
    return (
      <Alert severity="error" onClose={onClose} data-testid="grid-launch-result">
        {launch.error}
      </Alert>
    );
  }
  const { submitted, skipped } = launch.result!;
  return (
    <Alert severity={submitted.length > 0 ? 'success' : 'info'} onClose={onClose} data-testid="grid-launch-result">
      {submitted.length > 0
        ? `Launched ${submitted.length} run${submitted.length === 1 ? '' : 's'}: they run one after another in a worker.`
        : 'Nothing to launch: every runnable run is done, queued or running.'}
      {skipped.length > 0 ? (
        <Box component="ul" sx={{ m: 0, mt: 0.5, pl: 2.5 }}>
          {skipped.map((s) => (
            <li key={s.runId}>
              <code>{s.runId}</code>: {s.reason}
            </li>
          ))}
        </Box>
      ) : null}
    </Alert>
  );
}
