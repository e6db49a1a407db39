import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import { KeyValueList } from '../../shared/KeyValueList';
import { CheckIcon, CrossIcon } from '../../shared/icons';
import { StatusChip } from '../../shared/StatusChip';
import { visuallyHidden } from '../../shared/visuallyHidden';
import type { SelfTestReport } from './engine.viewmodel';

/** Renders a ready self-test report; derives nothing. */
export function SelfTestResultCard({ report, finishedAt }: { report: SelfTestReport; finishedAt: string | null }) {
  return (
    <Card data-testid="selftest-result" sx={{ borderColor: report.passed ? 'success.main' : 'error.main' }}>
      <CardContent>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, mb: 2, flexWrap: 'wrap' }}>
          <Typography variant="h3" component="h3">
            Self-test result
          </Typography>
          <StatusChip label={report.passed ? 'Passed' : 'Failed'} color={report.passed ? 'success' : 'error'} testId="selftest-verdict" />
          <Typography variant="body2" sx={{ color: 'text.secondary' }}>
            {report.verdict}
            {finishedAt ? ` · ${finishedAt}` : ''}
          </Typography>
        </Box>
        <KeyValueList rows={report.rows} labelWidth={140} />
        <Typography variant="h3" component="h4" sx={{ mt: 2.5, mb: 1, fontSize: '0.9rem' }}>
          Checks
        </Typography>
        <Box component="ul" sx={{ listStyle: 'none', p: 0, m: 0, display: 'grid', gap: 0.75 }} aria-label="Self-test checks">
          {report.checks.map((check) => (
            <Box
              component="li"
              key={check.name}
              data-testid="selftest-check"
              data-passed={check.passed}
              sx={{ display: 'grid', gridTemplateColumns: '24px minmax(0, 220px) minmax(0, 1fr)', gap: 1, alignItems: 'start' }}
            >
              {check.passed ? (
                <CheckIcon fontSize="small" sx={{ color: 'success.main' }} />
              ) : (
                <CrossIcon fontSize="small" sx={{ color: 'error.main' }} />
              )}
              <Typography variant="body2" sx={{ fontWeight: 600 }}>
                {check.name}
                <Box component="span" sx={visuallyHidden}>
                  {check.passed ? ' passed' : ' failed'}
                </Box>
              </Typography>
              <Typography variant="body2" sx={{ color: 'text.secondary', overflowWrap: 'anywhere' }}>
                {check.detail}
              </Typography>
            </Box>
          ))}
        </Box>
      </CardContent>
    </Card>
  );
}
