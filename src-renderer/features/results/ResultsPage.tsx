import { LoadErrorAlert } from '../../shared/LoadErrorAlert';
import { useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import FormControlLabel from '@mui/material/FormControlLabel';
import Switch from '@mui/material/Switch';
import Grid from '@mui/material/Grid';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useClient } from '../../app/ClientContext';
import { useNavigation } from '../../app/navigation';
import { downloadText } from '../../shared/download';
import { errorMessage } from '../../shared/errors.viewmodel';
import { DownloadIcon, RefreshIcon } from '../../shared/icons';
import { PageHeader } from '../../shared/PageHeader';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { useJobs } from '../jobs/JobsStore';
import { useStudy } from '../study/StudyStore';
import { useGrid } from '../training/useGrid';
import { EvaluateCard } from './EvaluateCard';
import { Fig2Chart } from './Fig2Chart';
import { comparisonRows, fig2Charts, finishedEvaluationsSignature, resultsNotices } from './results.viewmodel';
import { ComparisonsTable, ResultsTable } from './ResultsTables';
import {
  comparisonReading,
  READING_RULE,
  resultSortValue,
  resultsSummary,
  resultTableRows,
  type ResultSortKey,
} from './results-compare.viewmodel';
import { ResultsSummaryCards } from './ResultsSummary';
import { TableFilters } from '../../shared/TableControls';
import {
  filterOptions,
  filterRows,
  nextSort,
  NO_FILTER,
  shownText,
  sortRows,
  type RowFilter,
  type SortState,
} from '../../shared/table-sort.viewmodel';
import { RocViewer } from './RocViewer';
import { StudyItemsCard } from '../trash/StudyItemsCard';
import { evaluationNames } from '../trash/trash.viewmodel';

const DESCRIPTION =
  'Referable-DR AUC of every evaluated run with DeLong and bootstrap 95% confidence intervals, paired DeLong tests between strategies on the same images, the AUC-against-label-fraction figure (paper Fig 2) and ROC curves.';

export function ResultsPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const { navigate } = useNavigation();
  const client = useClient();
  const studyPath = openStudy?.path ?? null;
  const { jobs } = useJobs();
  // Evaluations of outdated runs (trained with settings the grid no longer has) are left out unless asked for.
  const [includeOutdated, setIncludeOutdated] = useState(false);
  const input = studyPath ? { studyPath, includeOutdated } : null;
  // Re-read when one of the study's evaluations finishes.
  const { data: results, error, refresh } = useStudyQuery('results.get', input, finishedEvaluationsSignature(jobs, studyPath));
  const grid = useGrid(studyPath);
  const [exportError, setExportError] = useState<string | null>(null);
  const [downloading, setDownloading] = useState<string | null>(null);
  const charts = useMemo(() => (results ? fig2Charts(results.fig2) : []), [results]);
  const tableRows = useMemo(() => (results ? resultTableRows(results.rows) : []), [results]);
  const [sort, setSort] = useState<SortState<ResultSortKey> | null>(null);
  const [filter, setFilter] = useState<RowFilter>(NO_FILTER);
  const options = useMemo(() => filterOptions(tableRows), [tableRows]);
  const rows = useMemo(() => sortRows(filterRows(tableRows, filter), sort, resultSortValue), [tableRows, filter, sort]);
  const summary = useMemo(() => (results ? resultsSummary(results) : null), [results]);
  const comparisons = useMemo(
    () =>
      results ? comparisonRows(results.comparisons).map((c, i) => ({ ...c, reading: comparisonReading(results.comparisons[i]!) })) : [],
    [results],
  );
  const notices = useMemo(() => resultsNotices(results), [results]);

  if (!openStudy || !studyPath) {
    return (
      <>
        <PageHeader title="Results" description={DESCRIPTION} focusOnMount={focusHeading} />
        <Card data-testid="results-no-study">
          <CardContent>
            <Typography variant="h2" gutterBottom>
              Open or create a study first
            </Typography>
            <Button variant="contained" onClick={() => navigate('studies')}>
              Go to Studies
            </Button>
          </CardContent>
        </Card>
      </>
    );
  }

  async function download(what: 'table' | string) {
    if (!studyPath) return;
    setExportError(null);
    setDownloading(what);
    try {
      const file =
        what === 'table'
          ? await client.call('results.tableCsv', { studyPath, includeOutdated })
          : await client.call('evaluations.predictionsCsv', { studyPath, name: what });
      downloadText(file.fileName, file.csv);
    } catch (err) {
      setExportError(errorMessage(err));
    } finally {
      setDownloading(null);
    }
  }

  const empty = results !== null && results.rows.length === 0 && (results.excludedOutdated ?? []).length === 0;

  return (
    <>
      <PageHeader
        title="Results"
        description={
          <>
            {DESCRIPTION} Study: <strong>{openStudy.study.name}</strong>.
          </>
        }
        focusOnMount={focusHeading}
        actions={
          <>
            <Button
              variant="outlined"
              startIcon={<RefreshIcon />}
              onClick={() => {
                refresh();
                grid.refresh();
              }}
              aria-label="Refresh the results"
            >
              Refresh
            </Button>
            <Button
              variant="contained"
              startIcon={<DownloadIcon />}
              onClick={() => void download('table')}
              disabled={!results || empty || downloading === 'table'}
              data-testid="results-export"
            >
              Export table (CSV)
            </Button>
          </>
        }
      />
      <Stack spacing={3}>
        <LoadErrorAlert error={error} onRetry={refresh} />
        {exportError ? (
          <Alert severity="error" onClose={() => setExportError(null)} data-testid="results-export-error">
            {exportError}
          </Alert>
        ) : null}
        {summary && !empty ? <ResultsSummaryCards summary={summary} /> : null}
        {empty ? (
          <Card data-testid="results-empty">
            <CardContent>
              <Typography variant="h2" gutterBottom>
                No evaluations yet
              </Typography>
              <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
                Train runs on the Training page, then evaluate them here: pick a finished run and a graded test set below. Each evaluation
                adds a row to the results table, a point to Fig 2 and an ROC curve.
              </Typography>
              <Button variant="outlined" onClick={() => navigate('training')}>
                Go to Training
              </Button>
            </CardContent>
          </Card>
        ) : null}
        <EvaluateCard studyPath={studyPath} grid={grid.view} />
        {!results && !error ? <CircularProgress aria-label="Loading the results" /> : null}
        {results && results.skipped.length > 0 ? (
          <Alert severity="warning" data-testid="results-skipped">
            {results.skipped.length} evaluation folder{results.skipped.length === 1 ? '' : 's'} could not be read:{' '}
            {results.skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}
          </Alert>
        ) : null}
        {results && !empty ? (
          <FormControlLabel
            control={
              <Switch
                checked={includeOutdated}
                onChange={(e) => setIncludeOutdated(e.target.checked)}
                data-testid="results-include-outdated"
              />
            }
            label="Include outdated runs (trained with settings the grid no longer has)"
          />
        ) : null}
        {notices.excluded ? (
          <Alert severity="info" data-testid="results-outdated-excluded">
            {notices.excluded}
          </Alert>
        ) : null}
        {notices.includedOutdated ? (
          <Alert severity="warning" data-testid="results-outdated-included">
            {notices.includedOutdated}
          </Alert>
        ) : null}
        {notices.settingsDiffer ? (
          <Alert severity="warning" data-testid="results-settings-differ">
            {notices.settingsDiffer}: these results were not trained alike.
          </Alert>
        ) : null}
        {results && !empty && results.rows.length > 0 ? (
          <>
            <Card component="section" aria-labelledby="fig2-title" data-testid="fig2">
              <CardContent>
                <Typography variant="h2" id="fig2-title" gutterBottom>
                  AUC against label fraction (Fig 2)
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
                  One panel per test set, one line per strategy (mean AUC over the seeds). Band and error bars: the DeLong 95% CI for one
                  seed; for several seeds, the mean of the seeds' CI bounds.
                </Typography>
                <Grid container spacing={4}>
                  {charts.map((c) => (
                    <Grid key={c.key} size={{ xs: 12, md: charts.length > 1 ? 6 : 12 }}>
                      <Fig2Chart model={c} />
                    </Grid>
                  ))}
                </Grid>
              </CardContent>
            </Card>
            <Card component="section" aria-labelledby="table-title">
              <CardContent>
                <Typography variant="h2" id="table-title" gutterBottom>
                  Results table
                </Typography>
                <TableFilters
                  filter={filter}
                  options={options}
                  onChange={setFilter}
                  datasetLabel="Test set"
                  shown={shownText(rows.length, tableRows.length, ['evaluation', 'evaluations'])}
                  testIdPrefix="results"
                />
                <ResultsTable
                  rows={rows}
                  onPredictions={(name) => void download(name)}
                  busy={downloading}
                  sort={sort}
                  onSort={(key) => setSort((s) => nextSort(s, key))}
                />
                <Typography variant="h3" sx={{ mt: 3, mb: 1 }}>
                  Paired comparisons (DeLong, same images)
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5, maxWidth: '80ch' }} data-testid="comparisons-rule">
                  {READING_RULE}
                </Typography>
                {comparisons.length === 0 ? (
                  <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="comparisons-none">
                    None yet: a comparison needs two strategies (IFI-CL vs IFI-FS, IWNE-CL vs IWNE-FS, IFI vs IWNE) evaluated on the same
                    test set at the same fraction and seed.
                  </Typography>
                ) : (
                  <ComparisonsTable rows={comparisons} />
                )}
              </CardContent>
            </Card>
            <RocViewer studyPath={studyPath} results={results} />
          </>
        ) : null}
        {results ? (
          <StudyItemsCard
            studyPath={studyPath}
            kind="evaluation"
            title="Evaluation folders"
            names={evaluationNames(results)}
            onDeleted={refresh}
          />
        ) : null}
      </Stack>
    </>
  );
}
