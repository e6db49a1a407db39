import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { StudySummary } from '../../../src-shared/study';
import { KeyValueList } from '../../shared/KeyValueList';
import { FundusIcon } from '../../shared/icons';
import { studySummaryRows } from './study.viewmodel';

export function StudySummaryCard({ summary, onClose }: { summary: StudySummary; onClose(): void }) {
  return (
    <Card component="section" aria-labelledby="open-study-title" data-testid="study-summary" sx={{ borderColor: 'primary.main' }}>
      <CardContent>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, mb: 2 }}>
          <FundusIcon color="primary" />
          <Box sx={{ flex: 1, minWidth: 0 }}>
            <Typography variant="overline" sx={{ color: 'text.secondary', lineHeight: 1.5 }}>
              Open study
            </Typography>
            <Typography variant="h2" id="open-study-title" sx={{ overflowWrap: 'anywhere' }}>
              {summary.study.name}
            </Typography>
          </Box>
          <Button variant="text" onClick={onClose}>
            Close study
          </Button>
        </Box>
        <KeyValueList rows={studySummaryRows(summary)} columns={2} labelWidth={120} />
      </CardContent>
    </Card>
  );
}
