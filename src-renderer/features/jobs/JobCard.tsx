import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Collapse from '@mui/material/Collapse';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { MONO_FONT } from '../../app/theme';
import { ChevronDownIcon, RetryIcon, StopIcon } from '../../shared/icons';
import { StatusChip } from '../../shared/StatusChip';
import type { JobViewModel } from './jobs.viewmodel';

interface Props {
  job: JobViewModel;
  createdLabel: string;
  onCancel(id: string): Promise<void>;
  onRetry(id: string): Promise<void>;
}

/** One job: renders a ready view model and forwards the two actions. */
export function JobCard({ job, createdLabel, onCancel, onRetry }: Props) {
  const [logOpen, setLogOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const logId = useId();
  const titleId = useId();

  async function act(action: (id: string) => Promise<void>) {
    setBusy(true);
    try {
      await action(job.id);
    } finally {
      setBusy(false);
    }
  }

  const warned = job.warnings.length > 0;
  const progressColor =
    job.status === 'failed'
      ? 'error'
      : warned || job.status === 'interrupted'
        ? 'warning'
        : job.status === 'succeeded'
          ? 'success'
          : 'primary';

  return (
    <Card
      component="article"
      aria-labelledby={titleId}
      data-testid="job-card"
      data-job-id={job.id}
      data-status={job.status}
      data-warnings={job.warnings.length}
    >
      <CardContent sx={{ '&:last-child': { pb: 2 } }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, flexWrap: 'wrap' }}>
          <Typography variant="h3" component="h2" id={titleId} sx={{ minWidth: 0, overflowWrap: 'anywhere' }}>
            {job.title}
          </Typography>
          <StatusChip label={job.statusLabel} color={job.statusColor} testId="job-status" />
          <Typography variant="body2" sx={{ color: 'text.secondary', flex: 1, minWidth: 160 }}>
            {createdLabel}
            {/* A running job's elapsed time is on its progress line, with the time left. */}
            {job.elapsed && job.status !== 'running' ? ` · ${job.elapsed}` : ''}
          </Typography>
          {job.canCancel ? (
            <Button
              size="small"
              variant="outlined"
              color="inherit"
              startIcon={<StopIcon />}
              disabled={busy}
              onClick={() => void act(onCancel)}
              aria-label={`Cancel ${job.title}`}
            >
              Cancel
            </Button>
          ) : null}
          {job.canRetry ? (
            <Button
              size="small"
              variant="outlined"
              startIcon={<RetryIcon />}
              disabled={busy}
              onClick={() => void act(onRetry)}
              aria-label={`${job.retryLabel} ${job.title}`}
            >
              {job.retryLabel}
            </Button>
          ) : null}
        </Box>

        {job.showProgress ? (
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, mt: 1.5 }}>
            <LinearProgress
              variant="determinate"
              value={job.percent}
              color={progressColor}
              aria-label={`${job.title} progress`}
              data-testid="job-progress"
              sx={{ flex: 1 }}
            />
            <Typography
              variant="body2"
              sx={{ color: 'text.secondary', minWidth: 56, textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}
            >
              {job.percentText}
            </Typography>
          </Box>
        ) : null}

        {job.message || job.times ? (
          <Typography variant="body2" sx={{ mt: 1, overflowWrap: 'anywhere' }} data-testid="job-message">
            {job.message}
            {job.times ? (
              <Box component="span" sx={{ color: 'text.secondary' }} data-testid="job-eta">
                {job.message ? ' · ' : ''}
                {job.times}
              </Box>
            ) : null}
          </Typography>
        ) : null}

        {job.error ? (
          <Alert severity={job.status === 'failed' ? 'error' : 'warning'} sx={{ mt: 1.5 }}>
            {job.error}
          </Alert>
        ) : null}

        {warned ? (
          <Alert severity="warning" sx={{ mt: 1.5 }} data-testid="job-warnings">
            <Typography variant="body2" sx={{ fontWeight: 600 }}>
              Finished with {job.warnings.length === 1 ? '1 warning' : `${job.warnings.length} warnings`}: not everything was done
            </Typography>
            <Box component="ul" sx={{ m: 0, mt: 0.5, pl: 2.5 }}>
              {job.warnings.map((w) => (
                <li key={`${w.item}: ${w.reason}`} data-testid="job-warning">
                  <Box component="span" sx={{ fontWeight: 600 }}>
                    {w.item}
                  </Box>
                  : {w.reason}.{' '}
                  <Box component="span" sx={{ fontStyle: 'italic' }}>
                    Fix: {w.fix}.
                  </Box>
                </li>
              ))}
            </Box>
          </Alert>
        ) : null}

        {job.log.length > 0 ? (
          <Box sx={{ mt: 1 }}>
            <Button
              size="small"
              onClick={() => setLogOpen((open) => !open)}
              aria-expanded={logOpen}
              aria-controls={logId}
              endIcon={<ChevronDownIcon sx={{ transform: logOpen ? 'rotate(180deg)' : 'none', transition: 'transform 150ms' }} />}
              sx={{ ml: -0.5 }}
            >
              {logOpen ? 'Hide log' : `Show log (last ${job.log.length} line${job.log.length === 1 ? '' : 's'})`}
            </Button>
            <Collapse in={logOpen} id={logId}>
              <Box
                component="pre"
                data-testid="job-log"
                tabIndex={0}
                aria-label={`Log of ${job.title}`}
                sx={{
                  m: 0,
                  mt: 0.5,
                  p: 1.5,
                  maxHeight: 240,
                  overflow: 'auto',
                  bgcolor: 'action.hover',
                  borderRadius: 1,
                  fontFamily: MONO_FONT,
                  fontSize: '0.75rem',
                  lineHeight: 1.5,
                  whiteSpace: 'pre-wrap',
                  overflowWrap: 'anywhere',
                }}
              >
                {job.log.join('\n')}
              </Box>
            </Collapse>
          </Box>
        ) : null}
      </CardContent>
    </Card>
  );
}
