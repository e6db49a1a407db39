import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { visuallyHidden } from '../../shared/visuallyHidden';
import type { Table3Model } from './explanations.viewmodel';

const num = { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;

/** Table 3 for one metric: mean ± std per lesion and the union, the best model per column in bold, the noise control last. */
export function Table3({ model }: { model: Table3Model }) {
  return (
    <Box>
      <Typography variant="h3" sx={{ mb: 1 }}>
        {model.title}
      </Typography>
      <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
        <Table
          size="small"
          aria-label={`Table 3: ${model.title}, pooling ${model.pooling}`}
          data-testid={`table3-${model.metric}`}
          sx={{ '& thead th': { whiteSpace: 'nowrap' } }}
        >
          <TableHead>
            <TableRow>
              <TableCell>Model</TableCell>
              {model.columns.map((c) => (
                <TableCell key={c.region} align="right">
                  {c.label}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {model.rows.map((row) => (
              <TableRow
                key={row.key}
                data-testid={row.control ? 'table3-control' : 'table3-row'}
                sx={row.control ? { '& td': { color: 'text.secondary', fontStyle: 'italic' } } : undefined}
              >
                <TableCell sx={{ minWidth: 120 }}>{row.label}</TableCell>
                {row.cells.map((cell, i) => (
                  <TableCell
                    key={model.columns[i]!.region}
                    align="right"
                    data-best={cell.best ? 'true' : undefined}
                    sx={{ ...num, ...(cell.best ? { fontWeight: 700, bgcolor: 'action.selected' } : {}) }}
                  >
                    {cell.text}
                    {cell.best ? (
                      <Box component="span" sx={visuallyHidden}>
                        {' '}
                        (best)
                      </Box>
                    ) : null}
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </Box>
  );
}
