import { useEffect, useMemo, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import { useTheme } from '@mui/material/styles';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { clusterStateByRun } from '../../../src-shared/cluster';
import type { GridView } from '../../../src-shared/grid';
import { errorMessage } from '../../shared/errors.viewmodel';
import { RetryIcon, StopIcon } from '../../shared/icons';
import { StatusChip } from '../../shared/StatusChip';
import { formatFraction, strategyColour, strategyDash } from '../../shared/strategies';
import { isClusterActive } from '../jobs/cluster.viewmodel';
import { useJobs } from '../jobs/JobsStore';
import { useClusterStatus } from '../jobs/useClusterStatus';
import { activeStudyJobs } from '../../shared/analyses.viewmodel';
import { RunCurves } from './RunCurves';
import { RunsCompare } from './RunsCompare';
import { trainJobsByRun, trainJobsSignature } from './run-status.viewmodel';
import { gridTable, jobRunIds, type OtherRunModel, type RunCellModel } from './runs-dashboard.viewmodel';

/** While runs are active, grid.get is re-read this often (epochs done and best AUC come from the run folders). */
const GRID_POLL_MS = 5000;

interface Props {
  studyPath: string;
  view: GridView;
  refresh(): void;
}

/** The grid as a table (strategies × fractions, one entry per seed), and the curves of the selected run. */
export function RunsDashboard({ studyPath, view, refresh }: Props) {
  const theme = useTheme();
  const { jobs, cancel, retry } = useJobs();
  const [selected, setSelected] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  // The study's Slurm cluster submissions: each run's state in its latest one (none without submissions).
  const { status: cluster } = useClusterStatus(studyPath);
  const clusterByRun = useMemo(() => (cluster ? clusterStateByRun(cluster) : {}), [cluster]);
  const model = useMemo(() => gridTable(view, jobs, studyPath, clusterByRun), [view, jobs, studyPath, clusterByRun]);
  const byRun = useMemo(() => trainJobsByRun(jobs, studyPath, jobRunIds(view)), [jobs, studyPath, view]);

  // A run's job changed status (started, finished, failed …): the run folder changed too.
  const signature = trainJobsSignature(jobs, studyPath);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    refresh();
  }, [signature, refresh]);
  // A whole-study job trains the runs itself (no train.run job per run): follow the run folders while it is active.
  const studyActive = activeStudyJobs(jobs, studyPath, 'study.run').length > 0;
  // Cluster tasks train in the run folders too: follow them while a task is pending or running.
  const clusterActive = isClusterActive(cluster);
  useEffect(() => {
    if (!model.active && !studyActive && !clusterActive) return undefined;
    const t = window.setInterval(refresh, GRID_POLL_MS);
    return () => window.clearInterval(t);
  }, [model.active, studyActive, clusterActive, refresh]);

  async function act(action: (id: string) => Promise<unknown>, id: string) {
    setActionError(null);
    try {
      await action(id);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  const selectedCell = selected ? view.cells.find((c) => c.runId === selected) : undefined;

  return (
    <Stack spacing={3}>
      <Card component="section" aria-labelledby="runs-title">
        <CardContent>
          <Box sx={{ display: 'flex', alignItems: 'baseline', gap: 2, flexWrap: 'wrap', mb: 1.5 }}>
            <Typography variant="h2" id="runs-title">
              Runs
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="grid-summary">
              {model.summary}
            </Typography>
            {model.settingsDiffer ? (
              <StatusChip
                label="Settings differ"
                color="warning"
                testId="grid-settings-differ"
                title={model.settingsDiffer}
                aria-description={model.settingsDiffer}
              />
            ) : null}
          </Box>
          {actionError ? (
            <Alert severity="error" sx={{ mb: 2 }} onClose={() => setActionError(null)}>
              {actionError}
            </Alert>
          ) : null}
          <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
            <Table
              size="small"
              aria-label="Training runs: strategies by label fraction"
              data-testid="grid-table"
              sx={{ tableLayout: 'fixed', minWidth: 160 + model.fractions.length * 190 }}
            >
              <TableHead>
                <TableRow>
                  <TableCell sx={{ width: 130 }}>Strategy</TableCell>
                  {model.fractions.map((f) => (
                    <TableCell key={f.value} data-testid={`grid-col-${f.value}`}>
                      {f.label} of the labels
                    </TableCell>
                  ))}
                </TableRow>
              </TableHead>
              <TableBody>
                {model.rows.map((row) => (
                  <TableRow key={row.strategy} data-testid={`grid-row-${row.strategy}`}>
                    <TableCell component="th" scope="row" sx={{ verticalAlign: 'top', pt: 1.5 }}>
                      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
                        <svg width="22" height="10" aria-hidden focusable="false">
                          <line
                            x1="1"
                            y1="5"
                            x2="21"
                            y2="5"
                            stroke={strategyColour(row.strategy, theme.palette.mode)}
                            strokeWidth={3}
                            strokeDasharray={strategyDash(row.strategy)}
                          />
                        </svg>
                        <Typography variant="body2" sx={{ fontWeight: 600 }}>
                          {row.strategy}
                        </Typography>
                      </Box>
                    </TableCell>
                    {row.cells.map((seeds, i) => (
                      <TableCell key={model.fractions[i]!.value} sx={{ verticalAlign: 'top', py: 1 }}>
                        <Stack spacing={1}>
                          {seeds.map((cell) => (
                            <RunCell
                              key={cell.runId}
                              cell={cell}
                              selected={cell.runId === selected}
                              onSelect={() => setSelected(cell.runId === selected ? null : cell.runId)}
                              onCancel={cell.jobId ? () => void act(cancel, cell.jobId!) : undefined}
                              onRetry={cell.jobId ? () => void act(retry, cell.jobId!) : undefined}
                            />
                          ))}
                        </Stack>
                      </TableCell>
                    ))}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <Typography variant="body2" sx={{ color: 'text.secondary', mt: 1 }}>
            Select a run to see its loss and validation-AUC curves.
          </Typography>
          {model.others.length > 0 ? <OtherRuns runs={model.others} /> : null}
        </CardContent>
      </Card>
      {selected && selectedCell ? (
        <RunCurves studyPath={studyPath} runId={selected} job={byRun.get(selected) ?? null} onClose={() => setSelected(null)} />
      ) : null}
      <RunsCompare studyPath={studyPath} view={view} grid={model.rows} />
    </Stack>
  );
}

function RunCell({
  cell,
  selected,
  onSelect,
  onCancel,
  onRetry,
}: {
  cell: RunCellModel;
  selected: boolean;
  onSelect(): void;
  onCancel?: () => void;
  onRetry?: () => void;
}) {
  const progressColor =
    cell.status === 'failed'
      ? 'error'
      : cell.status === 'done'
        ? 'success'
        : cell.status === 'partial' || cell.status === 'blocked'
          ? 'warning'
          : 'primary';
  const label = `${cell.strategy}, ${formatFraction(cell.fraction)} of the labels, seed ${cell.seed}`;
  return (
    <Box
      data-testid={`run-cell-${cell.runId}`}
      data-status={cell.status}
      onClick={onSelect}
      sx={{
        p: 1,
        borderRadius: 1,
        border: 1,
        borderColor: selected ? 'primary.main' : 'divider',
        boxShadow: selected ? (t) => `inset 0 0 0 1px ${t.palette.primary.main}` : 'none',
        cursor: 'pointer',
        '&:hover': { bgcolor: 'action.hover' },
        minWidth: 0,
      }}
    >
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
        <Button
          size="small"
          variant="text"
          aria-pressed={selected}
          aria-label={`Curves of ${label}`}
          onClick={(e) => {
            e.stopPropagation();
            onSelect();
          }}
          sx={{ minWidth: 0, px: 0.5, py: 0, mr: 'auto' }}
          data-testid={`run-select-${cell.runId}`}
        >
          seed {cell.seed}
        </Button>
        <StatusChip label={cell.statusLabel} color={cell.statusColor} testId="run-status" />
      </Box>
      {cell.cluster ? (
        <Box
          sx={{ display: 'flex', alignItems: 'center', gap: 0.75, mt: 0.5, minWidth: 0 }}
          data-testid="run-cluster"
          data-state={cell.cluster.state}
        >
          <Typography variant="caption" sx={{ color: 'text.secondary' }}>
            Cluster
          </Typography>
          <Tooltip title={cell.cluster.title} describeChild>
            <StatusChip
              label={cell.cluster.label}
              color={cell.cluster.color}
              testId="run-cluster-state"
              sx={{ maxWidth: '100%', height: 'auto', '& .MuiChip-label': { whiteSpace: 'normal', overflowWrap: 'anywhere' } }}
            />
          </Tooltip>
        </Box>
      ) : null}
      {cell.status === 'blocked' || cell.status === 'invalid' || cell.status === 'failed' ? (
        <Tooltip title={cell.reason ?? ''}>
          <Typography
            variant="caption"
            component="p"
            sx={{
              mt: 0.5,
              color: cell.status === 'blocked' ? 'warning.main' : 'error.main',
              overflowWrap: 'anywhere',
              display: '-webkit-box',
              WebkitLineClamp: 3,
              WebkitBoxOrient: 'vertical',
              overflow: 'hidden',
            }}
            data-testid="run-reason"
          >
            {cell.reason}
          </Typography>
        </Tooltip>
      ) : null}
      {cell.status !== 'blocked' && cell.status !== 'invalid' ? (
        <>
          <LinearProgress
            variant={cell.indeterminate ? 'indeterminate' : 'determinate'}
            value={cell.percent}
            color={progressColor}
            aria-label={`Progress of ${label}`}
            data-testid="run-progress"
            sx={{ mt: 0.75, height: 6 }}
          />
          <Typography variant="caption" component="p" sx={{ mt: 0.5, fontVariantNumeric: 'tabular-nums' }} data-testid="run-epochs">
            {cell.epochs}
            {cell.bestAuc ? ` · ${cell.bestAuc}` : ''}
          </Typography>
          {cell.settings ? (
            <Typography
              variant="caption"
              component="p"
              sx={{ color: 'text.secondary', overflowWrap: 'anywhere' }}
              data-testid="run-settings"
            >
              {cell.settings}
            </Typography>
          ) : null}
          {cell.identityNote ? (
            <Typography variant="caption" component="p" sx={{ color: 'text.secondary' }} data-testid="run-identity-note">
              {cell.identityNote}
            </Typography>
          ) : null}
          {cell.eta || cell.note ? (
            <Typography variant="caption" component="p" sx={{ color: 'text.secondary' }} data-testid="run-eta">
              {cell.eta ?? cell.note}
            </Typography>
          ) : null}
        </>
      ) : null}
      {cell.canCancel || cell.canRetry ? (
        <Box sx={{ display: 'flex', justifyContent: 'flex-end', mt: 0.25 }}>
          {cell.canCancel && onCancel ? (
            <Tooltip title="Cancel this run (its last checkpoint is kept)">
              <Button
                size="small"
                color="inherit"
                startIcon={<StopIcon />}
                aria-label={`Cancel ${label}`}
                data-testid={`run-cancel-${cell.runId}`}
                sx={{ py: 0 }}
                onClick={(e) => {
                  e.stopPropagation();
                  onCancel();
                }}
              >
                Cancel
              </Button>
            </Tooltip>
          ) : null}
          {cell.canRetry && onRetry ? (
            <Tooltip title="Retry: resumes from the last checkpoint">
              <Button
                size="small"
                startIcon={<RetryIcon />}
                aria-label={`Retry ${label}`}
                data-testid={`run-retry-${cell.runId}`}
                sx={{ py: 0 }}
                onClick={(e) => {
                  e.stopPropagation();
                  onRetry();
                }}
              >
                Retry
              </Button>
            </Tooltip>
          ) : null}
        </Box>
      ) : null}
    </Box>
  );
}

/** Run folders no cell of the grid trains now: kept as they were, outdated ones marked with the settings that differ. */
function OtherRuns({ runs }: { runs: readonly OtherRunModel[] }) {
  return (
    <Box sx={{ mt: 2 }}>
      <Typography variant="h3" sx={{ fontSize: '1rem', fontWeight: 600, mb: 0.5 }}>
        Other runs in this study
      </Typography>
      <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1 }}>
        Trained with settings the grid no longer has (or outside its cells). They are kept, and left out of Results and the report unless
        you include outdated runs there.
      </Typography>
      <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
        <Table size="small" aria-label="Other runs in this study" data-testid="grid-other-runs">
          <TableHead>
            <TableRow>
              <TableCell>Run</TableCell>
              <TableCell>Strategy</TableCell>
              <TableCell>Fraction</TableCell>
              <TableCell align="right">Seed</TableCell>
              <TableCell align="right">Epochs</TableCell>
              <TableCell align="right">lr</TableCell>
              <TableCell align="right">Batch</TableCell>
              <TableCell align="right">Input</TableCell>
              <TableCell>State</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {runs.map((r) => (
              <TableRow key={r.runId} data-testid="grid-other-run" data-run={r.runId} data-outdated={r.outdated ? 'true' : 'false'}>
                <TableCell sx={{ overflowWrap: 'anywhere' }}>{r.runId}</TableCell>
                <TableCell>{r.strategy}</TableCell>
                <TableCell>{r.fraction}</TableCell>
                <TableCell align="right">{r.seed}</TableCell>
                <TableCell align="right">{r.settings.epochs}</TableCell>
                <TableCell align="right">{r.settings.lr}</TableCell>
                <TableCell align="right">{r.settings.batch}</TableCell>
                <TableCell align="right">{r.settings.inputSize}</TableCell>
                <TableCell>
                  <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
                    {r.outdated ? (
                      <Tooltip title={r.outdated.reasons}>
                        <StatusChip label={r.outdated.label} color="warning" testId="run-outdated" aria-description={r.outdated.reasons} />
                      </Tooltip>
                    ) : null}
                    <Typography variant="caption">{r.state}</Typography>
                  </Stack>
                  {r.outdated ? (
                    <Typography variant="caption" component="p" sx={{ color: 'text.secondary' }} data-testid="run-outdated-reasons">
                      {r.outdated.reasons}
                    </Typography>
                  ) : null}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </Box>
  );
}
