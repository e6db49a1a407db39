import { useEffect, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Checkbox from '@mui/material/Checkbox';
import Grid from '@mui/material/Grid';
import Slider from '@mui/material/Slider';
import { useTheme } from '@mui/material/styles';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { RunSummary } from '../../../src-shared/contract';
import type { GridView, RunDetail } from '../../../src-shared/grid';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { StatusChip } from '../../shared/StatusChip';
import { SortableHeader, TableFilters } from '../../shared/TableControls';
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
import { OverlayChart } from './OverlayChart';
import { compareRunRows, overlayCharts, runSortValue, type ComparedRun, type RunSortKey } from './runs-compare.viewmodel';
import type { GridTableModel } from './runs-dashboard.viewmodel';

const num = { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;
const COMPACT = { '& th, & td': { px: 0.75 }, '& thead th': { whiteSpace: 'nowrap', verticalAlign: 'bottom' } } as const;

const COLUMNS: { key: RunSortKey; label: string; numeric?: boolean }[] = [
  { key: 'strategy', label: 'Strategy' },
  { key: 'fraction', label: 'Fraction', numeric: true },
  { key: 'seed', label: 'Seed', numeric: true },
  { key: 'dataset', label: 'Dataset' },
  { key: 'arch', label: 'Arch' },
  { key: 'epochs', label: 'Epochs', numeric: true },
  { key: 'lr', label: 'lr', numeric: true },
  { key: 'batch', label: 'Batch', numeric: true },
  { key: 'input', label: 'Input', numeric: true },
  { key: 'valAuc', label: 'Val. AUC', numeric: true },
  { key: 'state', label: 'State' },
];

/**
 * Every run of the study in one sortable, filterable table with its hyperparameters; tick runs to
 * overlay their curves (training loss, validation AUC, MoCo loss), one colour per run.
 */
export function RunsCompare({ studyPath, view, grid }: { studyPath: string; view: GridView; grid: GridTableModel['rows'] }) {
  const client = useClient();
  const theme = useTheme();
  const [summaries, setSummaries] = useState<RunSummary[] | null>(null);
  const [sort, setSort] = useState<SortState<RunSortKey> | null>(null);
  const [filter, setFilter] = useState<RowFilter>(NO_FILTER);
  const [selected, setSelected] = useState<string[]>([]);
  const [smoothing, setSmoothing] = useState(0);
  const [details, setDetails] = useState<Record<string, { version: string; detail: RunDetail | null; error: string | null }>>({});

  // The run folders (arch, dataset, outdated) are read again when a cell's status changes (a folder appears or finishes), not
  // at every epoch: reading them checks each run against the grid, which is not free while a run trains.
  const foldersKey = view.cells.map((c) => `${c.runId}:${c.status}`).join('|') + `#${(view.others ?? []).length}`;
  useEffect(() => {
    let live = true;
    client.call('runs.list', { studyPath }).then(
      (s) => live && setSummaries(s),
      () => live && setSummaries(null),
    );
    return () => {
      live = false;
    };
  }, [client, studyPath, foldersKey]);

  const cells = useMemo(() => grid.flatMap((r) => r.cells.flat()), [grid]);
  const rows = useMemo(() => compareRunRows(view, summaries, cells), [view, summaries, cells]);
  const options = useMemo(() => filterOptions(rows), [rows]);
  const shown = useMemo(() => sortRows(filterRows(rows, filter), sort, runSortValue), [rows, filter, sort]);
  const byId = useMemo(() => new Map(rows.map((r) => [r.runId, r])), [rows]);
  const compared = selected.filter((id) => byId.has(id));

  // The curves of each ticked run, read again when the run writes an epoch.
  const wanted = compared.map((id) => `${id}\u0000${byId.get(id)!.version}`).join('\u0001');
  useEffect(() => {
    let live = true;
    for (const entry of wanted ? wanted.split('\u0001') : []) {
      const [runId, version] = entry.split('\u0000') as [string, string];
      client.call('runs.get', { studyPath, runId }).then(
        (detail) => live && setDetails((d) => ({ ...d, [runId]: { version, detail, error: null } })),
        (err: unknown) =>
          live && setDetails((d) => ({ ...d, [runId]: { version, detail: d[runId]?.detail ?? null, error: errorMessage(err) } })),
      );
    }
    return () => {
      live = false;
    };
  }, [client, studyPath, wanted]);

  const ready: ComparedRun[] = compared
    .filter((id) => details[id]?.detail)
    .map((id) => ({ runId: id, label: byId.get(id)!.label, outdated: byId.get(id)!.isOutdated, detail: details[id]!.detail! }));
  const charts = overlayCharts(ready, theme.palette.mode, smoothing);
  const failed = compared.filter((id) => details[id]?.error && !details[id]?.detail);

  const toggle = (runId: string) => setSelected((s) => (s.includes(runId) ? s.filter((x) => x !== runId) : [...s, runId]));
  const selectable = shown.filter((r) => r.hasCurves);
  const allShown = selectable.length > 0 && selectable.every((r) => compared.includes(r.runId));
  const someShown = selectable.some((r) => compared.includes(r.runId));

  return (
    <Card component="section" aria-labelledby="compare-title" data-testid="runs-compare">
      <CardContent>
        <Typography variant="h2" id="compare-title" gutterBottom>
          Compare runs
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          Every run of the study with its settings. Click a column header to sort; tick runs to overlay their curves below.
        </Typography>
        <TableFilters
          filter={filter}
          options={options}
          onChange={setFilter}
          datasetLabel="Dataset"
          shown={shownText(shown.length, rows.length, ['run', 'runs'])}
          testIdPrefix="runs"
        />
        <TableContainer
          sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}
          tabIndex={0}
          role="region"
          aria-label="Runs table (scrolls sideways on narrow windows)"
          data-testid="runs-table-box"
        >
          <Table size="small" aria-label="Runs with their settings" data-testid="runs-table" sx={COMPACT}>
            <TableHead>
              <TableRow>
                <TableCell padding="checkbox">
                  <Checkbox
                    size="small"
                    checked={allShown}
                    indeterminate={someShown && !allShown}
                    disabled={selectable.length === 0}
                    onChange={() =>
                      setSelected((s) =>
                        allShown
                          ? s.filter((id) => !selectable.some((r) => r.runId === id))
                          : [...s, ...selectable.map((r) => r.runId).filter((id) => !s.includes(id))],
                      )
                    }
                    slotProps={{ input: { 'aria-label': 'Compare every run shown' } }}
                    data-testid="runs-select-all"
                  />
                </TableCell>
                {COLUMNS.map((c) => (
                  <SortableHeader
                    key={c.key}
                    keys={[{ key: c.key, label: c.label }]}
                    sort={sort}
                    onSort={(k) => setSort((s) => nextSort(s, k))}
                    align={c.numeric ? 'right' : 'left'}
                    testIdPrefix="runs"
                  />
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {shown.map((r) => (
                <TableRow
                  key={r.runId}
                  hover
                  selected={compared.includes(r.runId)}
                  data-testid="runs-row"
                  data-run={r.runId}
                  data-outdated={r.isOutdated ? 'true' : 'false'}
                >
                  <TableCell padding="checkbox">
                    <Tooltip title={r.hasCurves ? '' : 'No curves yet: the run has not started'}>
                      <span>
                        <Checkbox
                          size="small"
                          checked={compared.includes(r.runId)}
                          disabled={!r.hasCurves}
                          onChange={() => toggle(r.runId)}
                          slotProps={{ input: { 'aria-label': `Compare ${r.label}${r.isOutdated ? ' (outdated)' : ''}` } }}
                          data-testid={`runs-compare-${r.runId}`}
                        />
                      </span>
                    </Tooltip>
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }} title={r.runId}>
                    {r.strategy}
                  </TableCell>
                  <TableCell align="right" sx={num}>
                    {r.text.fraction}
                  </TableCell>
                  <TableCell align="right" sx={num}>
                    {r.seed}
                  </TableCell>
                  <TableCell sx={{ overflowWrap: 'anywhere' }}>{r.dataset ?? '—'}</TableCell>
                  <TableCell>{r.arch ?? '—'}</TableCell>
                  <TableCell align="right" sx={num}>
                    {r.text.epochs}
                  </TableCell>
                  <TableCell align="right" sx={num}>
                    {r.text.lr}
                  </TableCell>
                  <TableCell align="right" sx={num}>
                    {r.text.batch}
                  </TableCell>
                  <TableCell align="right" sx={num}>
                    {r.text.input}
                  </TableCell>
                  <TableCell align="right" sx={{ ...num, fontWeight: 600 }} data-testid="runs-val-auc">
                    {r.text.bestValAuc}
                  </TableCell>
                  <TableCell>
                    <Box sx={{ display: 'flex', gap: 0.5, flexWrap: 'wrap' }}>
                      <StatusChip label={r.state} color={r.stateColor} />
                      {r.isOutdated ? (
                        <Tooltip title={r.outdatedReasons ?? ''}>
                          <span>
                            <StatusChip
                              label="Outdated"
                              color="warning"
                              testId="runs-outdated"
                              aria-description={r.outdatedReasons ?? undefined}
                            />
                          </span>
                        </Tooltip>
                      ) : null}
                    </Box>
                  </TableCell>
                </TableRow>
              ))}
              {shown.length === 0 ? (
                <TableRow>
                  <TableCell colSpan={COLUMNS.length + 1} sx={{ color: 'text.secondary' }}>
                    No run matches the filters.
                  </TableCell>
                </TableRow>
              ) : null}
            </TableBody>
          </Table>
        </TableContainer>
        <Box sx={{ mt: 3 }} data-testid="compare-curves" data-runs={ready.length}>
          {compared.length === 0 ? (
            <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="compare-none">
              Tick two or more runs to overlay their training loss and validation AUC (and MoCo pretraining loss where a run has one).
            </Typography>
          ) : (
            <>
              <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap', mb: 1 }}>
                <Typography variant="body2" id="compare-smoothing-label">
                  Smoothing
                </Typography>
                <Slider
                  value={smoothing}
                  min={0}
                  max={0.95}
                  step={0.05}
                  onChange={(_, v) => setSmoothing(v as number)}
                  valueLabelDisplay="auto"
                  aria-labelledby="compare-smoothing-label"
                  sx={{ width: 200 }}
                  data-testid="compare-smoothing"
                />
                <Typography variant="body2" sx={{ color: 'text.secondary', fontVariantNumeric: 'tabular-nums' }}>
                  {smoothing === 0 ? 'off' : smoothing.toFixed(2)}
                </Typography>
                <Button size="small" onClick={() => setSelected([])} sx={{ ml: 'auto' }} data-testid="compare-clear">
                  Clear the selection
                </Button>
              </Box>
              {failed.map((id) => (
                <Alert key={id} severity="info" sx={{ mb: 1 }}>
                  {byId.get(id)!.label}: {details[id]!.error}
                </Alert>
              ))}
              <Grid container spacing={3}>
                {charts.map((c) => (
                  <Grid key={c.metric} size={{ xs: 12, md: 6 }}>
                    <OverlayChart model={c} />
                  </Grid>
                ))}
              </Grid>
            </>
          )}
        </Box>
      </CardContent>
    </Card>
  );
}
