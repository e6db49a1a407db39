import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { RobustnessRowModel } from './robustness.viewmodel';

const num = { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;

/** One row per model: clean vs mean corrupted probability of the true class, and the AUCs. */
export function RobustnessTable({ rows }: { rows: readonly RobustnessRowModel[] }) {
  return (
    <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
      <Table size="small" aria-label="Robustness per model" data-testid="robustness-table" sx={{ '& thead th': { whiteSpace: 'nowrap' } }}>
        <TableHead>
          <TableRow>
            <TableCell>Model</TableCell>
            <TableCell align="right">
              <Tooltip title="Mean probability of the true referable / non-referable class on the clean images">
                <span>Clean P(true)</span>
              </Tooltip>
            </TableCell>
            <TableCell align="right">
              <Tooltip title="The same score averaged over every corruption × severity analysed">
                <span>Mean corrupted</span>
              </Tooltip>
            </TableCell>
            <TableCell align="right">Change</TableCell>
            <TableCell align="right">Clean AUC</TableCell>
            <TableCell align="right">
              <Tooltip title="Mean AUC over the corruption × severity cells (cells whose images have one class have no AUC)">
                <span>Mean corrupted AUC</span>
              </Tooltip>
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={r.key} data-testid="robustness-row" data-run={r.runId}>
              <TableCell sx={{ minWidth: 160 }}>
                {r.strategy}
                <Typography variant="caption" component="div" sx={{ color: 'text.secondary', overflowWrap: 'anywhere' }} title={r.run}>
                  {r.runId}
                </Typography>
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.clean}
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.corrupted}
              </TableCell>
              <TableCell align="right" sx={{ ...num, color: r.worse ? 'warning.main' : undefined }}>
                {r.change}
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.cleanAuc}
              </TableCell>
              <TableCell align="right" sx={num}>
                {r.corruptedAuc}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
