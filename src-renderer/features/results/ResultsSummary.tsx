import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import { StatusChip } from '../../shared/StatusChip';
import type { ResultsSummary } from './results-compare.viewmodel';

/** The cards at the top of Results: the best AUC on each test set, and how many evaluations are shown or left out. */
export function ResultsSummaryCards({ summary }: { summary: ResultsSummary }) {
  return (
    <Box
      component="section"
      aria-label="Summary"
      data-testid="results-summary"
      sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(240px, 1fr))' }}
    >
      {summary.cards.map((c) => (
        <Card key={c.key} data-testid="results-best-card" data-run={c.runId}>
          <CardContent>
            <Typography variant="subtitle2" component="h2" sx={{ color: 'text.secondary' }}>
              Best AUC on {c.testSet}
            </Typography>
            <Typography variant="h2" component="p" sx={{ fontVariantNumeric: 'tabular-nums' }} data-testid="results-best-auc">
              {c.auc}
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', fontVariantNumeric: 'tabular-nums' }}>
              {c.ci}
            </Typography>
            <Typography variant="body2" sx={{ mt: 1, overflowWrap: 'anywhere' }} data-testid="results-best-run">
              {c.run}
              {c.tie ? ` · ${c.tie}` : ''}
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary' }}>
              {c.images} · {c.referable}
            </Typography>
            {c.outdated ? <StatusChip label="Outdated" color="warning" sx={{ mt: 1 }} /> : null}
          </CardContent>
        </Card>
      ))}
      <Card data-testid="results-count-card">
        <CardContent>
          <Typography variant="subtitle2" component="h2" sx={{ color: 'text.secondary' }}>
            Evaluations
          </Typography>
          <Typography variant="h2" component="p" sx={{ fontVariantNumeric: 'tabular-nums' }}>
            {summary.shown}
          </Typography>
          <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="results-counts">
            {summary.counts}
          </Typography>
        </CardContent>
      </Card>
    </Box>
  );
}
