import { useState } from 'react';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { ValidationIssue } from '../../../src-shared/datasets';
import { MONO_FONT } from '../../app/theme';
import { issuesTable } from './datasets.viewmodel';

/** The validation report's issues: severity, kind, file, reason; filterable by kind. */
export function IssuesTable({ issues }: { issues: readonly ValidationIssue[] }) {
  const [kind, setKind] = useState('');
  const model = issuesTable(issues, kind);
  if (model.total === 0) {
    return (
      <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="issues-none">
        The importer found no problems: every image was read and labelled.
      </Typography>
    );
  }
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, mb: 1.5 }}>
        <TextField
          select
          size="small"
          label="Kind"
          value={kind}
          onChange={(e) => setKind(e.target.value)}
          sx={{ minWidth: 220 }}
          slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'issues-kind-filter' } as object } }}
        >
          <MenuItem value="">All kinds ({model.total})</MenuItem>
          {model.kinds.map((k) => (
            <MenuItem key={k.kind} value={k.kind}>
              {k.kind} ({k.count})
            </MenuItem>
          ))}
        </TextField>
        <Typography variant="body2" sx={{ color: 'text.secondary' }} aria-live="polite">
          {model.shown === model.total ? `${model.total} issues` : `${model.shown} of ${model.total} issues`}
        </Typography>
      </Box>
      <TableContainer sx={{ maxHeight: 360, border: 1, borderColor: 'divider', borderRadius: 1 }}>
        <Table size="small" stickyHeader aria-label="Validation issues" data-testid="issues-table">
          <TableHead>
            <TableRow>
              <TableCell sx={{ width: 100 }}>Severity</TableCell>
              <TableCell sx={{ width: 170 }}>Kind</TableCell>
              <TableCell sx={{ width: '30%' }}>File</TableCell>
              <TableCell>Reason</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {model.rows.map((i) => (
              <TableRow key={i.key}>
                <TableCell>
                  <Chip size="small" variant="outlined" color={i.severity === 'error' ? 'error' : 'warning'} label={i.severity} />
                </TableCell>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>{i.kind}</TableCell>
                <TableCell sx={{ fontFamily: MONO_FONT, fontSize: '0.8125rem', overflowWrap: 'anywhere' }}>{i.file}</TableCell>
                <TableCell sx={{ overflowWrap: 'anywhere' }}>{i.reason}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </Box>
  );
}
