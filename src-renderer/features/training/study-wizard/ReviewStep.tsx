import { useMemo } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { DatasetSummary } from '../../../../src-shared/contract';
import { MONO_FONT } from '../../../app/theme';
import { KeyValueList } from '../../../shared/KeyValueList';
import { useJobs } from '../../jobs/JobsStore';
import type { GridForm } from './grid-form.viewmodel';
import { reviewRuns, reviewSummary } from './grid-review.viewmodel';
import { buildGridSpec } from './grid-spec.viewmodel';
import {
  analysesSummary,
  benchJobFor,
  benchResult,
  defaultSpeedEstimate,
  estimateText,
  studyEstimate,
  type AnalysesForm,
  type BenchConfig,
} from './study-wizard.viewmodel';

interface Props {
  /** The whole form, with the pickers' weight files. */
  form: GridForm;
  /** The test sets and analyses (null until the test-sets step has read the datasets). */
  analyses: AnalysesForm | null;
  datasets: readonly DatasetSummary[] | null;
  /** The model the compute step measures (its latest measurement gives the estimate). */
  config: BenchConfig;
}

/** The wizard's review step: the answers, the estimated duration of the whole study, and every run the grid will create. */
export function ReviewStep({ form, analyses, datasets, config }: Props) {
  const { jobs } = useJobs();
  const review = useMemo(() => reviewRuns(form), [form]);
  const estimate = useMemo(
    () => (analyses ? studyEstimate(buildGridSpec(form), analyses, datasets, benchResult(benchJobFor(jobs, config))).estimate : null),
    [analyses, form, datasets, jobs, config],
  );
  // Before a measurement: the estimate at the usual speed, said as such.
  const usual = useMemo(
    () => (analyses && !estimate ? defaultSpeedEstimate(buildGridSpec(form), analyses, datasets, config) : null),
    [analyses, estimate, form, datasets, config],
  );

  return (
    <Box data-testid="grid-review">
      <KeyValueList
        rows={[
          ...reviewSummary(form),
          ...(analyses ? analysesSummary(analyses) : []),
          {
            label: 'Estimated duration',
            value: estimate
              ? `${estimateText(estimate.totalSeconds)} for the whole study`
              : `not measured (Compute step)${usual ? `; ${estimateText(usual.totalSeconds)} at the usual speed of 2 CPU cores` : ''}`,
          },
        ]}
        labelWidth={160}
      />
      {review.error ? (
        <Alert severity="error" sx={{ mt: 2 }}>
          {review.error}
        </Alert>
      ) : null}
      {review.runs.length > 0 ? (
        <>
          <Typography variant="h3" sx={{ mt: 3, mb: 1 }}>
            {review.runs.length} run{review.runs.length === 1 ? '' : 's'}
          </Typography>
          {/* A large grid scrolls in this box: it takes keyboard focus (arrow keys scroll it; the theme draws the ring), with a name. */}
          <TableContainer
            tabIndex={0}
            role="region"
            aria-label={`Runs the grid will create: ${review.runs.length} (scrollable)`}
            data-testid="grid-review-runs-box"
            sx={{ maxHeight: 320, border: 1, borderColor: 'divider', borderRadius: 1 }}
          >
            <Table size="small" stickyHeader aria-label="Runs the grid will create" data-testid="grid-review-runs">
              <TableHead>
                <TableRow>
                  <TableCell>Strategy</TableCell>
                  <TableCell>Fraction</TableCell>
                  <TableCell>Seed</TableCell>
                  <TableCell>Training</TableCell>
                  <TableCell>Run folder</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {review.runs.map((r) => (
                  <TableRow key={r.runId}>
                    <TableCell>{r.strategy}</TableCell>
                    <TableCell>{r.fraction}</TableCell>
                    <TableCell>{r.seed}</TableCell>
                    <TableCell>
                      {r.training}
                      {r.note ? (
                        <Typography variant="caption" component="div" sx={{ color: 'warning.main' }}>
                          {r.note}
                        </Typography>
                      ) : null}
                    </TableCell>
                    <TableCell sx={{ fontFamily: MONO_FONT, fontSize: '0.8125rem', overflowWrap: 'anywhere' }}>runs/{r.runId}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        </>
      ) : null}
    </Box>
  );
}
