import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { ClusterSubmissionStatus } from '../../../src-shared/cluster';
import { MONO_FONT } from '../../app/theme';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { RefreshIcon, StopIcon } from '../../shared/icons';
import { StatusChip } from '../../shared/StatusChip';
import { useNow } from '../../shared/useNow';
import { ConfirmDialog } from '../trash/ConfirmDialog';
import {
  CLUSTER_POLL_MS,
  CLUSTER_SUBMIT_COMMAND,
  cancelDialog,
  cancelledText,
  clusterSection,
  type ClusterSubmissionModel,
} from './cluster.viewmodel';
import { useClusterStatus } from './useClusterStatus';

/** Numbers and job ids: aligned digits, never broken. */
const NUMERIC = { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;

/**
 * The open study's Slurm submissions on the Jobs page: newest first, each with its tasks per state and
 * a table of its tasks; Refresh, automatic refresh while a task is active, and Cancel (after a question).
 */
export function ClusterSubmissions({ studyPath }: { studyPath: string }) {
  const client = useClient();
  const now = useNow(30_000);
  const { status, error, refresh } = useClusterStatus(studyPath);
  const [confirming, setConfirming] = useState<ClusterSubmissionStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [cancelError, setCancelError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function cancel(sub: ClusterSubmissionStatus) {
    setBusy(true);
    setCancelError(null);
    try {
      const { cancelled } = await client.call('cluster.cancel', { studyPath, submission: sub.id });
      setConfirming(null);
      setDone(cancelledText(sub.id, cancelled));
      refresh();
    } catch (err) {
      setCancelError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!status) {
    return error ? (
      <Alert severity="error" sx={{ mt: 3 }} data-testid="cluster-error">
        Could not read the cluster submissions: {error}
      </Alert>
    ) : null;
  }
  if (status.submissions.length === 0) {
    return (
      <Typography variant="body2" sx={{ color: 'text.secondary', mt: 3 }} data-testid="cluster-hint">
        No cluster submissions in this study. To run its training grid on a Slurm cluster:{' '}
        <Box component="code" sx={{ fontFamily: MONO_FONT, overflowWrap: 'anywhere' }}>
          {CLUSTER_SUBMIT_COMMAND}
        </Box>
      </Typography>
    );
  }
  const model = clusterSection(status, now);
  return (
    <Box component="section" aria-labelledby="cluster-title" data-testid="cluster-submissions" sx={{ mt: 4 }}>
      <Box sx={{ display: 'flex', alignItems: 'baseline', gap: 2, flexWrap: 'wrap', mb: 1 }}>
        <Typography variant="h2" id="cluster-title">
          Cluster submissions
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', flex: 1, minWidth: 200 }}>
          Slurm jobs of this study, newest first
          {model.active ? ` · refreshed every ${CLUSTER_POLL_MS / 1000} s while tasks are pending or running` : ''}
        </Typography>
        <Button
          size="small"
          startIcon={<RefreshIcon />}
          onClick={refresh}
          aria-label="Refresh the cluster submissions"
          data-testid="cluster-refresh"
        >
          Refresh
        </Button>
      </Box>
      {model.notes.map((note) => (
        <Typography key={note} variant="body2" sx={{ color: 'text.secondary', mb: 1 }} data-testid="cluster-note">
          {note}
        </Typography>
      ))}
      {error ? (
        <Alert severity="error" sx={{ mb: 2 }} data-testid="cluster-error">
          Could not refresh the cluster submissions: {error}
        </Alert>
      ) : null}
      {done ? (
        <Alert severity="success" sx={{ mb: 2 }} onClose={() => setDone(null)} data-testid="cluster-cancelled">
          {done}
        </Alert>
      ) : null}
      <Stack spacing={1.5}>
        {model.submissions.map((sub) => (
          <SubmissionCard
            key={sub.id}
            sub={sub}
            onCancel={() => {
              setCancelError(null);
              setConfirming(status.submissions.find((s) => s.id === sub.id) ?? null);
            }}
          />
        ))}
      </Stack>
      {confirming ? (
        <ConfirmDialog
          text={cancelDialog(confirming, status.study)}
          busy={busy}
          error={cancelError}
          dismissLabel="Keep running"
          onConfirm={() => void cancel(confirming)}
          onClose={() => setConfirming(null)}
        />
      ) : null}
    </Box>
  );
}

function SubmissionCard({ sub, onCancel }: { sub: ClusterSubmissionModel; onCancel(): void }) {
  const titleId = useId();
  return (
    <Card component="article" aria-labelledby={titleId} data-testid="cluster-submission" data-submission={sub.id}>
      <CardContent sx={{ '&:last-child': { pb: 2 } }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, flexWrap: 'wrap', mb: 1.5 }}>
          <Typography variant="h3" id={titleId} sx={{ minWidth: 0, overflowWrap: 'anywhere' }}>
            {sub.id}
          </Typography>
          <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="cluster-submission-meta">
            {sub.kind} · submitted{' '}
            <Tooltip title={sub.createdTitle}>
              <Box component="span">{sub.created}</Box>
            </Tooltip>
          </Typography>
          <Box
            sx={{ display: 'flex', gap: 0.75, flexWrap: 'wrap', flex: 1, minWidth: 160 }}
            data-testid="cluster-counts"
            aria-label={`Tasks per state: ${sub.countsText}`}
            role="group"
          >
            {sub.counts.map((c) => (
              <StatusChip key={c.state} label={`${c.count} ${c.state}`} color={c.color} testId={`cluster-count-${c.state}`} />
            ))}
          </Box>
          {sub.canCancel ? (
            <Button
              size="small"
              variant="outlined"
              color="inherit"
              startIcon={<StopIcon />}
              onClick={onCancel}
              aria-label={`Cancel cluster submission ${sub.id}`}
              data-testid="cluster-cancel"
            >
              Cancel
            </Button>
          ) : null}
        </Box>
        <TableContainer
          sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}
          tabIndex={0}
          role="region"
          aria-label={`Tasks of ${sub.id} (scrolls sideways on narrow windows)`}
        >
          <Table
            size="small"
            aria-label={`Tasks of cluster submission ${sub.id}`}
            data-testid="cluster-tasks"
            sx={{ minWidth: 760, '& td, & th': { px: 1 }, '& td:first-of-type, & th:first-of-type': { pl: 2 } }}
          >
            <TableHead>
              <TableRow>
                <TableCell>Role</TableCell>
                <TableCell>Works on · log</TableCell>
                <TableCell>Job</TableCell>
                <TableCell>State</TableCell>
                <TableCell>Node</TableCell>
                <TableCell align="right">Elapsed</TableCell>
                <TableCell align="right">Exit code</TableCell>
                <TableCell>Reason</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {sub.rows.map((r) => (
                <TableRow key={r.key} data-testid="cluster-task" data-task={r.key} data-state={r.state}>
                  <TableCell>{r.role}</TableCell>
                  <TableCell sx={{ minWidth: 200, overflowWrap: 'anywhere' }}>
                    <Box data-testid="cluster-task-label">{r.label}</Box>
                    <Box
                      sx={{ fontFamily: MONO_FONT, fontSize: '0.75rem', color: 'text.secondary' }}
                      title={r.log}
                      data-testid="cluster-task-log"
                    >
                      {r.logShort}
                    </Box>
                  </TableCell>
                  <TableCell sx={NUMERIC} data-testid="cluster-task-job">
                    {r.job}
                  </TableCell>
                  <TableCell>
                    <StatusChip label={r.state} color={r.stateColor} testId="cluster-task-state" />
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }} data-testid="cluster-task-node">
                    {r.node}
                  </TableCell>
                  <TableCell align="right" sx={NUMERIC} data-testid="cluster-task-elapsed">
                    {r.elapsed}
                  </TableCell>
                  <TableCell align="right" sx={NUMERIC} data-testid="cluster-task-exit">
                    {r.exitCode}
                  </TableCell>
                  <TableCell data-testid="cluster-task-reason">{r.reason}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      </CardContent>
    </Card>
  );
}
