import { useCallback, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Grid from '@mui/material/Grid';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { DatasetDetail as Detail } from '../../../src-shared/contract';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { KeyValueList } from '../../shared/KeyValueList';
import { detailFacts, gradeHistogram, issueText, lesionCounts, splitGradeTable, typeInfo } from './datasets.viewmodel';
import { LesionLegend, SyntheticChip } from './DatasetChips';
import { GradeHistogramChart } from './GradeHistogramChart';
import { IssuesTable } from './IssuesTable';
import { SplitGradeTableView } from './SplitGradeTableView';
import { ThumbnailGrid } from './ThumbnailGrid';

function Section({ id, title, children, testId }: { id: string; title: string; children: React.ReactNode; testId?: string }) {
  return (
    <Card component="section" aria-labelledby={id} data-testid={testId}>
      <CardContent>
        <Typography variant="h2" id={id} sx={{ mb: 1.5 }}>
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  );
}

export function DatasetDetail({ studyPath, datasetId, onBack }: { studyPath: string; datasetId: string; onBack(): void }) {
  const client = useClient();
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);

  const fetchDetail = useCallback(() => {
    client.call('datasets.get', { studyPath, datasetId }).then(setDetail, (err: unknown) => setError(errorMessage(err)));
  }, [client, studyPath, datasetId]);
  useEffect(fetchDetail, [fetchDetail]);
  function retry() {
    setError(null);
    fetchDetail();
  }

  const back = (
    <Button onClick={onBack} data-testid="dataset-back" sx={{ mb: 2 }}>
      ← All datasets
    </Button>
  );
  if (error) {
    return (
      <>
        {back}
        <Alert severity="error" action={<Button onClick={retry}>Try again</Button>}>
          {error}
        </Alert>
      </>
    );
  }
  if (!detail) return <CircularProgress aria-label="Loading the dataset" />;
  const s = detail.summary;
  if (!s.readable) {
    return (
      <>
        {back}
        <Alert severity="error" data-testid="dataset-unreadable">
          Dataset “{s.id}” cannot be read: {s.reason}
        </Alert>
      </>
    );
  }
  const lesions = lesionCounts(s.masks);
  const histogram = gradeHistogram(s.grades);
  // Without grades the chart is one line of text: the table gets the full width.
  const chartColumns = histogram.noGrades ? 12 : 5;
  return (
    <Box data-testid="dataset-detail" data-dataset={s.id}>
      {back}
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap', mb: 2 }}>
        <Typography variant="h2" component="h2" sx={{ fontSize: '1.35rem', overflowWrap: 'anywhere' }} data-testid="dataset-title">
          {s.name}
        </Typography>
        <Chip size="small" variant="outlined" label={typeInfo(s.type).label} />
        {s.synthetic ? <SyntheticChip /> : null}
      </Box>
      <Stack spacing={3}>
        <Section id="dataset-overview" title="Overview">
          <KeyValueList rows={detailFacts(s)} labelWidth={120} />
          {s.reportProblem ? (
            <Alert severity="warning" sx={{ mt: 2 }}>
              {s.reportProblem}
            </Alert>
          ) : null}
          {s.notes.length > 0 ? (
            <Box component="ul" sx={{ mt: 2, mb: 0, pl: 2.5, color: 'text.secondary' }} aria-label="Importer notes">
              {s.notes.map((n) => (
                <Typography component="li" variant="body2" key={n}>
                  {n}
                </Typography>
              ))}
            </Box>
          ) : null}
        </Section>
        <Section id="dataset-grades" title="Grades">
          <Grid container spacing={3}>
            <Grid size={{ xs: 12, md: chartColumns }}>
              <GradeHistogramChart model={histogram} height={200} testId="detail-histogram" />
            </Grid>
            <Grid size={{ xs: 12, md: histogram.noGrades ? 12 : 7 }}>
              <SplitGradeTableView model={splitGradeTable(s.perSplitGrade)} />
              {lesions.length > 0 ? <LesionLegend lesions={lesions} /> : null}
            </Grid>
          </Grid>
        </Section>
        <Section id="dataset-report" title={`Validation report · ${issueText(s.issues)}`} testId="validation-report">
          <IssuesTable issues={detail.issues} />
        </Section>
        <Section id="dataset-images" title="Images">
          {s.preprocessed ? (
            <ThumbnailGrid studyPath={studyPath} datasetId={s.id} masks={s.masks} />
          ) : (
            <Typography variant="body2" sx={{ color: 'text.secondary' }}>
              This dataset was imported with “validate only”, so there are no preprocessed images to show. Import it again without that
              option to see thumbnails.
            </Typography>
          )}
        </Section>
      </Stack>
    </Box>
  );
}
