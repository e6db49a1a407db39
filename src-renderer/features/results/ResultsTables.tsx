import Button from '@mui/material/Button';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { DownloadIcon } from '../../shared/icons';
import { StatusChip } from '../../shared/StatusChip';
import { SortableHeader } from '../../shared/TableControls';
import type { SortState } from '../../shared/table-sort.viewmodel';
import type { ResultSortKey } from './results-compare.viewmodel';
import type { ComparisonRowModel, ResultRowModel } from './results.viewmodel';

const num = { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;
/** Narrower cell padding and headers on one line, so eight columns fit the page at 1280 px. */
const COMPACT = {
  '& th, & td': { px: 1 },
  '& th:first-of-type, & td:first-of-type': { pl: 2 },
  '& thead th': { whiteSpace: 'nowrap' },
} as const;

/** One row per evaluation: test set, run, n, AUC with DeLong and bootstrap 95% CIs, sensitivity/specificity at the operating point. */
export function ResultsTable({
  rows,
  onPredictions,
  busy,
  sort,
  onSort,
}: {
  rows: readonly (ResultRowModel & { arch?: string })[];
  onPredictions(evaluation: string): void;
  busy: string | null;
  /** The column the rows are sorted by; a header click asks for another. */
  sort: SortState<ResultSortKey> | null;
  onSort(key: ResultSortKey): void;
}) {
  const header = (keys: { key: ResultSortKey; label: string }[], align: 'left' | 'right' = 'left') => (
    <SortableHeader keys={keys} sort={sort} onSort={onSort} align={align} testIdPrefix="results" />
  );
  return (
    <TableContainer
      sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}
      tabIndex={0}
      role="region"
      aria-label="Results table (scrolls sideways on narrow windows)"
    >
      <Table size="small" aria-label="Results: one row per evaluation" data-testid="results-table" sx={COMPACT}>
        <TableHead>
          <TableRow>
            {header([{ key: 'testSet', label: 'Test set' }])}
            {header([
              { key: 'strategy', label: 'Strategy' },
              { key: 'fraction', label: 'Fraction' },
              { key: 'seed', label: 'Seed' },
              { key: 'arch', label: 'Arch' },
            ])}
            {header([
              { key: 'epochs', label: 'Epochs' },
              { key: 'lr', label: 'lr' },
              { key: 'batch', label: 'Batch' },
              { key: 'input', label: 'Input' },
            ])}
            {header([{ key: 'n', label: 'n (ref.)' }], 'right')}
            {header([{ key: 'auc', label: 'AUC' }], 'right')}
            <TableCell>
              DeLong
              <br />
              95% CI
            </TableCell>
            <TableCell>
              Bootstrap
              <br />
              95% CI
            </TableCell>
            <TableCell>
              <Tooltip title="At the highest threshold whose sensitivity reaches the target (the screening operating point)">
                <span>Sens. / spec.</span>
              </Tooltip>
            </TableCell>
            <TableCell align="right">
              <Tooltip title="Per-image predictions (P(referable) and the five grade probabilities) as CSV">
                <span>Predictions</span>
              </Tooltip>
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={r.key} data-testid="results-row" data-evaluation={r.evaluation} data-outdated={r.outdated ? 'true' : 'false'}>
              <TableCell sx={{ overflowWrap: 'anywhere' }}>
                {r.dataset}
                <Typography variant="caption" component="div" sx={{ color: 'text.secondary' }}>
                  {r.split}
                </Typography>
              </TableCell>
              <TableCell sx={{ minWidth: 130 }}>
                {r.run}
                {r.arch ? (
                  <Typography variant="caption" component="div" sx={{ color: 'text.secondary' }}>
                    {r.arch}
                  </Typography>
                ) : null}
                {r.overlapsTraining ? (
                  <Typography variant="caption" component="div" sx={{ color: 'warning.main' }}>
                    overlaps the run's training data
                  </Typography>
                ) : null}
                {r.outdated ? (
                  <Tooltip title={r.outdated.reasons}>
                    <span>
                      <StatusChip
                        label={r.outdated.label}
                        color="warning"
                        testId="results-outdated"
                        aria-description={r.outdated.reasons}
                        sx={{ mt: 0.5 }}
                      />
                    </span>
                  </Tooltip>
                ) : null}
              </TableCell>
              <TableCell sx={num} data-testid="results-settings">
                {r.settings ? (
                  <>
                    <div data-testid="results-epochs">{r.settings.epochs} ep.</div>
                    <div>lr {r.settings.lr}</div>
                    <div>batch {r.settings.batch}</div>
                    <div>{r.settings.inputSize}</div>
                  </>
                ) : (
                  '—'
                )}
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.n}
              </TableCell>
              <TableCell align="right" sx={{ ...num, fontWeight: 600 }} data-testid="results-auc">
                {r.auc}
                {r.shiftWarning ? (
                  <Tooltip title={r.shiftWarning}>
                    <Typography
                      variant="caption"
                      component="div"
                      sx={{ color: 'warning.main', fontWeight: 400 }}
                      data-testid="results-shift-warning"
                      aria-description={r.shiftWarning}
                    >
                      ⚠ domain shift
                    </Typography>
                  </Tooltip>
                ) : null}
              </TableCell>
              <TableCell sx={num}>{r.delong}</TableCell>
              <TableCell sx={num}>{r.bootstrap}</TableCell>
              <TableCell sx={num}>
                <Tooltip title={r.operatingPoint}>
                  <span>{r.sensSpec}</span>
                </Tooltip>
              </TableCell>
              <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                <Button
                  size="small"
                  startIcon={<DownloadIcon />}
                  onClick={() => onPredictions(r.evaluation)}
                  disabled={busy === r.evaluation}
                  aria-label={`Predictions (CSV) of ${r.run} on ${r.dataset} ${r.split}`}
                  data-testid="results-predictions"
                  sx={{ minWidth: 0 }}
                >
                  CSV
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

/** Paired DeLong tests of two runs on the same images (A − B); a failed comparison shows why. */
export function ComparisonsTable({ rows }: { rows: readonly (ComparisonRowModel & { reading?: string })[] }) {
  return (
    <TableContainer
      sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}
      tabIndex={0}
      role="region"
      aria-label="Paired comparisons (scrolls sideways on narrow windows)"
    >
      <Table size="small" aria-label="Paired comparisons" data-testid="comparisons-table" sx={COMPACT}>
        <TableHead>
          <TableRow>
            <TableCell>Test set</TableCell>
            <TableCell>Runs</TableCell>
            <TableCell>A vs B</TableCell>
            <TableCell align="right">ΔAUC (A − B)</TableCell>
            <TableCell>95% CI</TableCell>
            <TableCell align="right">p</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((c) => [
            <TableRow key={c.key} data-testid="comparison-row" sx={c.reading ? { '& > td': { borderBottom: 0 } } : undefined}>
              <TableCell>{c.testSet}</TableCell>
              <TableCell>{c.where}</TableCell>
              <TableCell>
                {c.pair}
                <Typography variant="caption" component="div" sx={{ color: 'text.secondary' }}>
                  {c.kind}
                  {c.overlapsTraining ? ' · overlaps training data' : ''}
                </Typography>
              </TableCell>
              {c.error ? (
                <TableCell colSpan={3} sx={{ color: 'error.main', overflowWrap: 'anywhere' }} data-testid="comparison-error">
                  {c.error}
                </TableCell>
              ) : (
                <>
                  <TableCell align="right" sx={num}>
                    {c.delta}
                  </TableCell>
                  <TableCell sx={num}>{c.ci}</TableCell>
                  <TableCell align="right" sx={{ ...num, fontWeight: c.significant ? 600 : 400 }}>
                    {c.p}
                  </TableCell>
                </>
              )}
            </TableRow>,
            c.reading ? (
              <TableRow key={`${c.key} reading`} data-testid="comparison-reading-row">
                <TableCell colSpan={6} sx={{ pt: 0 }}>
                  <Typography variant="body2" sx={{ fontStyle: 'italic' }} data-testid="comparison-reading">
                    {c.reading}
                  </Typography>
                </TableCell>
              </TableRow>
            ) : null,
          ])}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
