import { useEffect, useMemo, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Checkbox from '@mui/material/Checkbox';
import CircularProgress from '@mui/material/CircularProgress';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { EvaluationResult, StudyResults } from '../../../src-shared/evaluation';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { useChanged, useKeyedState } from '../../shared/useKeyedState';
import { RocChart } from './RocChart';
import { evaluationChoices, rocSeries } from './results.viewmodel';

/** At most this many curves at once (a chart with more is unreadable). */
const MAX_CURVES = 8;

/** The chosen evaluations that are still offered, else the first one. */
function keptOrFirst(chosen: readonly string[], choices: readonly { name: string }[]): string[] {
  const kept = chosen.filter((n) => choices.some((c) => c.name === n));
  return kept.length > 0 ? kept : choices.slice(0, 1).map((c) => c.name);
}

/** Choose evaluations, see their ROC curves (evaluations.get, cached per name) with the operating points. */
export function RocViewer({ studyPath, results }: { studyPath: string; results: StudyResults }) {
  const client = useClient();
  const choices = useMemo(() => evaluationChoices(results), [results]);
  // Start with the first evaluation; drop choices that disappeared (in the render that sees the new choices).
  const [chosen, setChosen] = useState<string[]>(() => keptOrFirst([], choices));
  const choicesChanged = useChanged(choices);
  if (choicesChanged) setChosen(keptOrFirst(chosen, choices));
  // A result folder can be rewritten (evaluated again): the cache belongs to one results table.
  const [loaded, setLoaded] = useKeyedState<Record<string, EvaluationResult>>(results, {});
  const [error, setError] = useState<string | null>(null);
  const asked = useRef<{ results: StudyResults; names: Set<string> } | null>(null);

  useEffect(() => {
    if (asked.current?.results !== results) asked.current = { results, names: new Set() };
    const names = asked.current.names;
    for (const name of chosen) {
      if (names.has(name)) continue;
      names.add(name);
      client.call('evaluations.get', { studyPath, name }).then(
        (r) => setLoaded((prev) => ({ ...prev, [name]: r })),
        (err: unknown) => {
          names.delete(name);
          setError(errorMessage(err));
        },
      );
    }
  }, [chosen, client, studyPath, results, setLoaded]);

  const ready = chosen.map((n) => loaded[n]).filter((r): r is EvaluationResult => r !== undefined);
  const series = rocSeries(ready);

  return (
    <Card component="section" aria-labelledby="roc-title" data-testid="roc-viewer">
      <CardContent>
        <Typography variant="h2" id="roc-title" gutterBottom>
          ROC curves
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          Sensitivity against 1 − specificity for P(referable); the ring marks each evaluation's operating point (the highest threshold
          reaching the target sensitivity). Choose up to {MAX_CURVES}.
        </Typography>
        <TextField
          select
          label="Evaluations"
          value={chosen}
          onChange={(e) => {
            const value = e.target.value as unknown as string[] | string;
            const list = typeof value === 'string' ? value.split(',') : value;
            setChosen(list.slice(0, MAX_CURVES));
          }}
          size="small"
          fullWidth
          slotProps={{
            select: {
              multiple: true,
              renderValue: (v) => `${(v as string[]).length} chosen`,
              SelectDisplayProps: { 'data-testid': 'roc-select' } as object,
            },
          }}
          sx={{ mb: 2, maxWidth: 560 }}
        >
          {choices.map((c) => (
            <MenuItem key={c.name} value={c.name} data-testid={`roc-option-${c.name}`}>
              <Checkbox checked={chosen.includes(c.name)} size="small" sx={{ py: 0 }} />
              <ListItemText primary={c.label} slotProps={{ primary: { sx: { overflowWrap: 'anywhere', whiteSpace: 'normal' } } }} />
            </MenuItem>
          ))}
        </TextField>
        {error ? (
          <Alert severity="error" sx={{ mb: 2 }} onClose={() => setError(null)}>
            {error}
          </Alert>
        ) : null}
        {chosen.length > 0 && ready.length < chosen.length && !error ? (
          <CircularProgress size={24} aria-label="Loading ROC curves" />
        ) : null}
        {series.length > 0 ? (
          <RocChart series={series} />
        ) : chosen.length === 0 ? (
          <Box sx={{ color: 'text.secondary' }}>Choose an evaluation.</Box>
        ) : null}
      </CardContent>
    </Card>
  );
}
