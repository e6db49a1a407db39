import { RefreshButton } from '../../shared/RefreshButton';
import { LoadErrorAlert } from '../../shared/LoadErrorAlert';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Grid from '@mui/material/Grid';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useNavigation } from '../../app/navigation';
import { activeStudyJobs } from '../../shared/analyses.viewmodel';
import { PageHeader } from '../../shared/PageHeader';
import { PlayIcon } from '../../shared/icons';
import { useStudy } from '../study/StudyStore';
import { datasetCard } from './datasets.viewmodel';
import { DatasetCard } from './DatasetCard';
import { DatasetDetail } from './DatasetDetail';
import { useDatasets } from './DatasetsStore';
import { DemoDataCard } from './DemoDataCard';
import { useJobs } from '../jobs/JobsStore';
import { ImportWizard } from './ImportWizard';
import { StudyItemsCard } from '../trash/StudyItemsCard';

/** The datasets the `dataset.demo` job imports (src-main/services/demo/study-demo.ts). */
const DEMO_DATASET_IDS = ['eyepacs-demo', 'idrid-demo'] as const;

const DESCRIPTION =
  'Import fundus datasets into the open study, check what the importer found, and look at the images and their lesion masks.';

export function DatasetsPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const { navigate } = useNavigation();
  const { studyPath, datasets, error, view, show, refresh } = useDatasets();
  const { jobs } = useJobs();

  if (!openStudy || !studyPath) {
    return (
      <>
        <PageHeader title="Datasets" description={DESCRIPTION} focusOnMount={focusHeading} />
        <Card data-testid="datasets-no-study">
          <CardContent>
            <Typography variant="h2" gutterBottom>
              Open or create a study first
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
              Datasets are imported into a study folder: the preprocessed images and the validation report are kept there, next to the runs
              that use them.
            </Typography>
            <Button variant="contained" onClick={() => navigate('studies')}>
              Go to Studies
            </Button>
          </CardContent>
        </Card>
      </>
    );
  }

  // The demo card stays while its job runs; otherwise only until both demo datasets are in the study.
  const demoRunning = activeStudyJobs(jobs, studyPath, 'dataset.demo').length > 0;
  const hasDemo = (id: string) => datasets?.some((d) => d.id === id) ?? false;
  const showCompactDemo =
    datasets !== null && datasets.length > 0 && (demoRunning || !hasDemo(DEMO_DATASET_IDS[0]) || !hasDemo(DEMO_DATASET_IDS[1]));

  const importButton =
    view.kind === 'list' ? (
      <Button variant="contained" startIcon={<PlayIcon />} onClick={() => show({ kind: 'wizard' })} data-testid="import-dataset">
        Import dataset
      </Button>
    ) : null;

  return (
    <>
      <PageHeader
        title="Datasets"
        description={
          <>
            {DESCRIPTION} Study: <strong>{openStudy.study.name}</strong>.
          </>
        }
        focusOnMount={focusHeading}
        actions={
          view.kind === 'list' ? (
            <>
              <RefreshButton what="dataset list" onClick={refresh} />
              {importButton}
            </>
          ) : null
        }
      />
      {view.kind === 'wizard' ? <ImportWizard onCancel={() => show({ kind: 'list' })} /> : null}
      {view.kind === 'detail' ? <DatasetDetail studyPath={studyPath} datasetId={view.id} onBack={() => show({ kind: 'list' })} /> : null}
      {view.kind === 'list' ? (
        <Stack spacing={2}>
          <LoadErrorAlert error={error} onRetry={refresh} />
          {!datasets && !error ? <CircularProgress aria-label="Loading datasets" /> : null}
          {datasets && datasets.length === 0 ? (
            <Card data-testid="datasets-empty">
              <CardContent>
                <Typography variant="h2" gutterBottom>
                  No datasets yet
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
                  Import EyePACS, Messidor-2, IDRiD or any folder of graded images. FundusLab checks every image and writes a validation
                  report; the source folder is never changed.
                </Typography>
                {importButton}
              </CardContent>
            </Card>
          ) : null}
          {datasets && datasets.length === 0 ? <DemoDataCard studyPath={studyPath} variant="prominent" /> : null}
          {datasets && datasets.length > 0 ? (
            <Grid container spacing={3} data-testid="dataset-list">
              {datasets.map((d) => (
                <Grid key={d.id} size={{ xs: 12, md: 6 }}>
                  {d.readable ? (
                    <DatasetCard model={datasetCard(d)} onOpen={() => show({ kind: 'detail', id: d.id })} />
                  ) : (
                    <Alert severity="error" data-testid={`dataset-unreadable-${d.id}`} sx={{ height: '100%' }}>
                      <Typography variant="body2" sx={{ fontWeight: 600 }}>
                        {d.id}: cannot be read
                      </Typography>
                      <Box component="span">{d.reason}</Box>
                    </Alert>
                  )}
                </Grid>
              ))}
            </Grid>
          ) : null}
          {showCompactDemo ? <DemoDataCard studyPath={studyPath} variant="compact" /> : null}
          {datasets ? (
            <StudyItemsCard
              studyPath={studyPath}
              kind="dataset"
              title="Dataset folders"
              names={datasets.map((d) => d.id)}
              onDeleted={refresh}
            />
          ) : null}
        </Stack>
      ) : null}
    </>
  );
}
