import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { MONO_FONT } from '../../app/theme';
import type { Table2RowModel } from './spectra.viewmodel';

const num = { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;
const COMPACT = {
  '& th, & td': { px: 1 },
  '& th:first-of-type, & td:first-of-type': { pl: 2 },
  '& thead th': { whiteSpace: 'nowrap' },
} as const;

/** Table 2: one row per model (best fit, parameters, RSS, kurtosis, Pareto α, next best fits). */
export function Table2({ rows }: { rows: readonly Table2RowModel[] }) {
  return (
    <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
      <Table size="small" aria-label="Table 2: best-fitting distribution per model" data-testid="table2" sx={COMPACT}>
        <TableHead>
          <TableRow>
            <TableCell>Model</TableCell>
            <TableCell>Best fit</TableCell>
            <TableCell>Parameters</TableCell>
            <TableCell align="right">
              <Tooltip title="Residual sum of squares between the density histogram and the fitted pdf at the bin centres">
                <span>RSS</span>
              </Tooltip>
            </TableCell>
            <TableCell align="right">
              <Tooltip title="Fisher (excess) kurtosis of the mirrored spectrum">
                <span>Kurtosis</span>
              </Tooltip>
            </TableCell>
            <TableCell align="right">
              <Tooltip title="Shape α of the Pareto fit (SciPy's b)">
                <span>Pareto α</span>
              </Tooltip>
            </TableCell>
            <TableCell>Next best</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={r.key} data-testid="table2-row" data-run={r.runId}>
              <TableCell sx={{ minWidth: 140 }}>
                {r.strategy}
                <Typography variant="caption" component="div" sx={{ color: 'text.secondary', overflowWrap: 'anywhere' }} title={r.run}>
                  {r.runId}
                </Typography>
              </TableCell>
              <TableCell sx={{ fontWeight: 600 }}>{r.best}</TableCell>
              <TableCell sx={{ fontFamily: MONO_FONT, fontSize: '0.8125rem', overflowWrap: 'anywhere', minWidth: 180 }}>
                {r.parameters}
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.rss}
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.kurtosis}
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.paretoAlpha}
              </TableCell>
              <TableCell sx={{ overflowWrap: 'anywhere' }}>{r.runnerUp}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
