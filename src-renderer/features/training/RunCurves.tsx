import { useCallback, useEffect, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Grid from '@mui/material/Grid';
import TextField from '@mui/material/TextField';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import type { RunDetail } from '../../../src-shared/grid';
import type { JobState } from '../../../src-shared/jobs';
import { useClient } from '../../app/ClientContext';
import { errorCode, errorMessage } from '../../shared/errors.viewmodel';
import { CrossIcon } from '../../shared/icons';
import { KeyValueList } from '../../shared/KeyValueList';
import { strategyColour } from '../../shared/strategies';
import { useKeyedState } from '../../shared/useKeyedState';
import { CurveChart } from './CurveChart';
import { runCurves, runSteering, throttleDelay } from './run-curves.viewmodel';

/** At most one runs.get per this interval while job updates stream in. */
const THROTTLE_MS = 2000;
/** Re-read at least this often while the run's job is active (epochs end between progress events). */
const POLL_MS = 5000;

/**
 * The live curves of one run: re-reads runs.get when its job reports progress (throttled) and every
 * few seconds while the job is queued or running.
 */
export function RunCurves({ studyPath, runId, job, onClose }: { studyPath: string; runId: string; job: JobState | null; onClose(): void }) {
  const client = useClient();
  const theme = useTheme();
  // What was read belongs to one run: another starts empty, and a late answer for the previous one is dropped.
  const [read, setRead] = useKeyedState<{ detail: RunDetail | null; error: { code: string | null; message: string } | null }>(
    JSON.stringify([studyPath, runId]),
    { detail: null, error: null },
  );
  const { detail, error } = read;
  const lastFetch = useRef<number | null>(null);
  const timer = useRef<number | null>(null);

  const fetchNow = useCallback(() => {
    lastFetch.current = Date.now();
    client.call('runs.get', { studyPath, runId }).then(
      (d) => setRead({ detail: d, error: null }),
      (err: unknown) => setRead((r) => ({ ...r, error: { code: errorCode(err), message: errorMessage(err) } })),
    );
  }, [client, studyPath, runId, setRead]);

  const requestFetch = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(
      () => {
        timer.current = null;
        fetchNow();
      },
      throttleDelay(lastFetch.current, Date.now(), THROTTLE_MS),
    );
  }, [fetchNow]);

  useEffect(() => {
    lastFetch.current = null;
    fetchNow();
    return () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = null;
    };
  }, [fetchNow]);

  const active = job?.status === 'queued' || job?.status === 'running';
  const progressKey = job ? `${job.id}:${job.status}:${job.progress.done}` : '';
  useEffect(() => {
    if (progressKey) requestFetch();
  }, [progressKey, requestFetch]);
  useEffect(() => {
    if (!active) return undefined;
    const t = window.setInterval(requestFetch, POLL_MS);
    return () => window.clearInterval(t);
  }, [active, requestFetch]);

  const model = detail ? runCurves(detail) : null;
  // Steering: "Finish after this epoch" while the run trains, "Extend to N epochs" once it has ended.
  const [steer, setSteer] = useState<{ busy: boolean; message: string | null; error: string | null; epochs: string }>({
    busy: false,
    message: null,
    error: null,
    epochs: '',
  });
  const steering = detail ? runSteering(detail, steer.busy) : null;
  const epochsValue = steer.epochs || String(steering?.extend.initial ?? '');
  const act = (call: () => Promise<string>) => {
    setSteer((s) => ({ ...s, busy: true, message: null, error: null }));
    call().then(
      (message) => {
        setSteer((s) => ({ ...s, busy: false, message, epochs: '' }));
        fetchNow();
      },
      (err: unknown) => setSteer((s) => ({ ...s, busy: false, error: errorMessage(err) })),
    );
  };
  const stopRun = () =>
    act(async () => {
      const a = await client.call('runs.stopAfterEpoch', { studyPath, runId });
      return `Asked ${a.trainer} to finish the run after its current epoch.`;
    });
  const extendRun = () =>
    act(async () => {
      const a = await client.call('runs.extend', { studyPath, runId, epochs: Number(epochsValue) });
      const e = a.extension;
      return `Extended from ${e.from} to ${e.to} epochs (${e.equivalent ? 'equivalent to an uninterrupted run' : 'not equivalent to an uninterrupted run'}). ${
        a.job ? 'Its training is queued.' : (a.note ?? '')
      }`;
    });
  const colour = model ? strategyColour(model.strategy, theme.palette.mode) : theme.palette.primary.main;
  const second = theme.palette.text.primary;

  return (
    <Card
      component="section"
      aria-labelledby="run-curves-title"
      data-testid="run-curves"
      data-run={runId}
      data-epochs={model?.loss.length ?? 0}
    >
      <CardContent>
        <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 2, mb: 1 }}>
          <Box sx={{ flex: 1, minWidth: 0 }}>
            <Typography variant="h2" id="run-curves-title">
              {model ? model.title : runId}
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="run-curves-progress">
              {model ? model.progress : 'Loading…'}
              {active ? ' · live' : ''}
            </Typography>
          </Box>
          <Button size="small" color="inherit" startIcon={<CrossIcon />} onClick={onClose} aria-label="Close the curves">
            Close
          </Button>
        </Box>
        {error ? (
          error.code === 'NOT_FOUND' ? (
            <Alert severity="info" data-testid="run-curves-none">
              No curves yet: the run has not written its first epoch.
            </Alert>
          ) : (
            <Alert severity="error">{error.message}</Alert>
          )
        ) : null}
        {!model && !error ? <CircularProgress size={24} aria-label="Loading the run" /> : null}
        {steering && (steering.stop.shown || steering.extend.shown) ? (
          <Box sx={{ mb: 2 }} data-testid="run-steering">
            {steering.stop.shown ? (
              <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
                <Button
                  variant="outlined"
                  size="small"
                  disabled={!steering.stop.enabled}
                  onClick={stopRun}
                  data-testid="run-stop-after-epoch"
                >
                  {steering.stop.label}
                </Button>
                <Typography variant="body2" sx={{ color: 'text.secondary', flex: 1, minWidth: 200 }}>
                  {steering.stop.hint}
                </Typography>
              </Box>
            ) : null}
            {steering.extend.shown ? (
              <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
                <TextField
                  size="small"
                  type="number"
                  label="Epochs"
                  value={epochsValue}
                  onChange={(e) => setSteer((s) => ({ ...s, epochs: e.target.value }))}
                  slotProps={{ htmlInput: { min: steering.extend.min, step: 1, 'data-testid': 'run-extend-epochs' } }}
                  sx={{ width: 110 }}
                  disabled={!steering.extend.enabled}
                />
                <Button
                  variant="outlined"
                  size="small"
                  disabled={!steering.extend.enabled || !(Number(epochsValue) >= steering.extend.min)}
                  onClick={extendRun}
                  data-testid="run-extend"
                >
                  Extend to {epochsValue || '…'} epochs
                </Button>
                <Typography variant="body2" sx={{ color: 'text.secondary', flex: 1, minWidth: 200 }}>
                  {steering.extend.hint}
                </Typography>
              </Box>
            ) : null}
            {steer.message ? (
              <Alert severity="success" sx={{ mt: 1 }} data-testid="run-steering-message">
                {steer.message}
              </Alert>
            ) : null}
            {steer.error ? (
              <Alert severity="error" sx={{ mt: 1 }} data-testid="run-steering-error">
                {steer.error}
              </Alert>
            ) : null}
          </Box>
        ) : null}
        {model ? (
          <>
            {model.learning && model.learning.warnings.length > 0 ? (
              <Alert severity="warning" sx={{ mb: 2 }} data-testid="run-curves-learning-warning">
                <strong>The contrastive pretraining may not have learned.</strong> {model.learning.warnings.join(' ')} Treat this run's
                results, and every CL result built on the same pretraining, with caution.
              </Alert>
            ) : null}
            {model.loss.length === 0 ? (
              <Alert severity="info" sx={{ mb: 2 }}>
                No finished epoch yet{model.pretrain ? ' (MoCo pretraining runs first)' : ''}.
              </Alert>
            ) : null}
            <Grid container spacing={3}>
              <Grid size={{ xs: 12, md: 6 }}>
                <Typography variant="h3" component="h3" gutterBottom>
                  Loss
                </Typography>
                <CurveChart
                  testId="chart-loss"
                  data={model.loss}
                  lines={[
                    { key: 'train', name: 'training loss', colour },
                    { key: 'val', name: 'validation loss', colour: second, dash: '4 3' },
                  ]}
                  yLabel="cross-entropy"
                  axis={model.lossAxis}
                  description={model.lossDescription}
                />
              </Grid>
              <Grid size={{ xs: 12, md: 6 }}>
                <Typography variant="h3" component="h3" gutterBottom>
                  Validation AUC (referable DR)
                </Typography>
                <CurveChart
                  testId="chart-auc"
                  data={model.auc}
                  lines={[{ key: 'auc', name: 'validation AUC', colour }]}
                  yLabel="AUC"
                  axis={model.aucAxis}
                  marker={model.best && model.best.auc !== null ? { x: model.best.epoch, y: model.best.auc, label: 'selected' } : null}
                  description={model.aucDescription}
                />
              </Grid>
              {model.pretrain ? (
                <Grid size={{ xs: 12, md: 6 }}>
                  <Typography variant="h3" component="h3" gutterBottom>
                    MoCo v2 pretraining loss
                  </Typography>
                  <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1 }}>
                    {model.pretrainProgress}
                  </Typography>
                  <CurveChart
                    testId="chart-pretrain"
                    data={model.pretrain}
                    lines={[
                      { key: 'loss', name: 'InfoNCE loss', colour },
                      ...(model.learning ? [{ key: 'chance', name: 'chance (ln(1 + K))', colour: second, dash: '4 3' }] : []),
                    ]}
                    yLabel="InfoNCE"
                    axis={model.pretrainAxis ?? model.lossAxis}
                    description={model.pretrainDescription ?? ''}
                  />
                </Grid>
              ) : null}
              <Grid size={{ xs: 12, md: model.pretrain ? 6 : 12 }}>
                <KeyValueList rows={model.summary} labelWidth={130} columns={model.pretrain ? 1 : 2} testId="run-curves-summary" />
                {model.learning ? (
                  <>
                    <Typography variant="h3" component="h3" sx={{ mt: 2 }} gutterBottom>
                      Did the pretraining learn?
                    </Typography>
                    <KeyValueList rows={model.learning.rows} labelWidth={130} columns={1} testId="run-curves-learning" />
                  </>
                ) : null}
              </Grid>
            </Grid>
          </>
        ) : null}
      </CardContent>
    </Card>
  );
}
