import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import type { SplitGradeTable } from './datasets.viewmodel';

export function SplitGradeTableView({ model }: { model: SplitGradeTable }) {
  return (
    <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1, overflowX: 'auto', '& th, & td': { px: 1.25 } }}>
      <Table size="small" aria-label="Images per split and grade" data-testid="split-grade-table">
        <TableHead>
          <TableRow>
            <TableCell component="th" scope="col">
              Split
            </TableCell>
            {model.columns.map((c) => (
              <TableCell
                key={c.key}
                align="right"
                component="th"
                scope="col"
                title={c.title}
                sx={{ whiteSpace: 'nowrap', lineHeight: 1.3 }}
              >
                {c.label}
                <Box component="span" sx={{ display: 'block', fontWeight: 400, fontSize: '0.75rem', color: 'text.secondary' }}>
                  {c.short}
                </Box>
              </TableCell>
            ))}
            <TableCell align="right" component="th" scope="col" sx={{ fontWeight: 600 }}>
              Total
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {model.rows.map((r) => (
            <TableRow key={r.split}>
              <TableCell component="th" scope="row">
                {r.label}
              </TableCell>
              {r.cells.map((n, i) => (
                <TableCell key={model.columns[i]!.key} align="right" sx={{ fontVariantNumeric: 'tabular-nums' }}>
                  {n.toLocaleString('en')}
                </TableCell>
              ))}
              <TableCell align="right" sx={{ fontWeight: 600, fontVariantNumeric: 'tabular-nums' }}>
                {r.total.toLocaleString('en')}
              </TableCell>
            </TableRow>
          ))}
          {model.rows.length > 1 ? (
            <TableRow>
              <TableCell component="th" scope="row" sx={{ fontWeight: 600 }}>
                All
              </TableCell>
              {model.totals.map((n, i) => (
                <TableCell key={model.columns[i]!.key} align="right" sx={{ fontWeight: 600, fontVariantNumeric: 'tabular-nums' }}>
                  {n.toLocaleString('en')}
                </TableCell>
              ))}
              <TableCell align="right" sx={{ fontWeight: 600, fontVariantNumeric: 'tabular-nums' }}>
                {model.total.toLocaleString('en')}
              </TableCell>
            </TableRow>
          ) : null}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
