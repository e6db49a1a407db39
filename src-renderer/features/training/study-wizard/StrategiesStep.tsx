import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { TrainingStrategy } from '../../../../src-shared/training';
import { FIELD_HELP, INITIALISATIONS, METHODS, strategyOf } from './grid-form.viewmodel';

interface Props {
  strategies: readonly TrainingStrategy[];
  error: string | undefined;
  onChange(strategies: TrainingStrategy[]): void;
}

/** The wizard's strategies step: the paper's four strategies as initialisation (rows) × training method (columns). */
export function StrategiesStep({ strategies, error, onChange }: Props) {
  return (
    <Box>
      <Typography variant="body2" sx={{ mb: 1.5, maxWidth: '80ch' }}>
        {FIELD_HELP.strategies}
      </Typography>
      <TableContainer sx={{ maxWidth: 760 }}>
        <Table
          size="small"
          aria-label="Strategies: initialisation by training method"
          data-testid="grid-strategies"
          sx={{ tableLayout: 'fixed' }}
        >
          <TableHead>
            <TableRow>
              <TableCell sx={{ width: '36%', verticalAlign: 'bottom' }}>Initialisation</TableCell>
              {METHODS.map((m) => (
                <TableCell key={m.id} sx={{ width: m.id === 'FS' ? '28%' : '36%', verticalAlign: 'bottom' }}>
                  {m.label}
                  <Typography variant="caption" component="div" sx={{ color: 'text.secondary', fontWeight: 400 }}>
                    {m.text}
                  </Typography>
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {INITIALISATIONS.map((init, r) => (
              <TableRow key={init.id}>
                <TableCell component="th" scope="row">
                  <Typography variant="body2" sx={{ fontWeight: 600 }}>
                    {init.label}
                  </Typography>
                  <Typography variant="caption" sx={{ color: 'text.secondary' }}>
                    {init.text}
                  </Typography>
                </TableCell>
                {METHODS.map((m, c) => {
                  const s = strategyOf(init.id, m.id);
                  const checked = strategies.includes(s);
                  return (
                    <TableCell key={m.id}>
                      <FormControlLabel
                        label={s}
                        control={
                          <Checkbox
                            checked={checked}
                            onChange={(e) => onChange(e.target.checked ? [...strategies, s] : strategies.filter((x) => x !== s))}
                            slotProps={{
                              input: {
                                'data-testid': `grid-strategy-${s}`,
                                ...(r === 0 && c === 0 ? { 'data-step-focus': 'true' } : {}),
                              } as object,
                            }}
                          />
                        }
                      />
                    </TableCell>
                  );
                })}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      {error ? <FormHelperText error>{error}</FormHelperText> : null}
    </Box>
  );
}
