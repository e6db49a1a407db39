import { useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { EvaluationResult, type EvaluationSplit } from '../../../src-shared/evaluation';
import type { GridView } from '../../../src-shared/grid';
import { PlayIcon } from '../../shared/icons';
import { useNow } from '../../shared/useNow';
import { useDatasets } from '../datasets/DatasetsStore';
import { JobProgressBar } from '../jobs/JobProgressBar';
import { jobViewModel } from '../jobs/jobs.viewmodel';
import { useJobs } from '../jobs/JobsStore';
import { useJobLauncher } from '../jobs/useJobLauncher';
import { evalDatasetChoices, finishedRuns, formatAuc, formatCi, latestEvaluationJob } from './results.viewmodel';

/** Evaluate a finished run on a graded dataset (an evaluate.run job), with its progress and outcome. */
export function EvaluateCard({ studyPath, grid }: { studyPath: string; grid: GridView | null }) {
  const { jobs } = useJobs();
  const { datasets } = useDatasets();
  const runs = useMemo(() => finishedRuns(grid), [grid]);
  const [runId, setRunId] = useState('');
  const [datasetId, setDatasetId] = useState('');
  const [split, setSplit] = useState<EvaluationSplit | ''>('');
  const { jobId, busy, error, setError, launch, cancel } = useJobLauncher();

  const run = runs.find((r) => r.runId === runId);
  const choices = useMemo(() => evalDatasetChoices(datasets, run?.inputSize ?? null), [datasets, run]);
  const dataset = choices.find((c) => c.id === datasetId);

  // Sensible first choices: the first finished run, the first dataset it can be evaluated on, its default split; the same when
  // the chosen one is no longer offered (put right during the render).
  if (!run && runs[0]) setRunId(runs[0].runId);
  if (!dataset || dataset.disabledReason !== null) {
    const usable = choices.find((c) => c.disabledReason === null)?.id ?? '';
    if (usable !== datasetId) setDatasetId(usable);
  }
  if (dataset && !dataset.splits.some((s) => s.value === split) && dataset.defaultSplit !== split) setSplit(dataset.defaultSplit);

  const latest = latestEvaluationJob(jobs, studyPath);
  const job =
    (jobId ? jobs.find((j) => j.id === jobId) : null) ??
    (latest && (latest.status === 'queued' || latest.status === 'running') ? latest : null);
  const running = job !== null && (job.status === 'queued' || job.status === 'running');
  const now = useNow(1000, running);
  const vm = job ? jobViewModel(job, now) : null;
  const parsedOutcome = job && job.status === 'succeeded' ? EvaluationResult.safeParse(job.result) : null;
  const outcome = parsedOutcome?.success ? parsedOutcome.data : null;

  async function start() {
    if (!runId || !datasetId || !split) return;
    await launch({ kind: 'evaluate.run', params: { runId, datasetId, split }, studyPath });
  }

  return (
    <Card component="section" aria-labelledby="evaluate-title" data-testid="evaluate-card">
      <CardContent>
        <Typography variant="h2" id="evaluate-title" gutterBottom>
          Evaluate a run
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          Runs the run's selected model over the graded images of a dataset with exactly its validation preprocessing, and computes the
          referable-DR AUC with DeLong and bootstrap 95% CIs and the operating points. A dataset imported at another input size is first
          prepared at the run's size (once; it is kept for next time).
        </Typography>
        {runs.length === 0 ? (
          <Alert severity="info" data-testid="evaluate-no-runs">
            No finished run yet: train runs on the Training page first.
          </Alert>
        ) : (
          <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap', alignItems: 'flex-start' }}>
            <TextField
              select
              label="Run"
              value={run ? runId : ''}
              onChange={(e) => setRunId(e.target.value)}
              size="small"
              sx={{ flex: '3 1 320px', minWidth: 0 }}
              slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'evaluate-run' } as object } }}
            >
              {runs.map((r) => (
                <MenuItem key={r.runId} value={r.runId} data-testid={`evaluate-run-option-${r.runId}`}>
                  {r.label}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              select
              label="Dataset"
              value={dataset ? datasetId : ''}
              onChange={(e) => setDatasetId(e.target.value)}
              size="small"
              sx={{ flex: '2 1 180px', minWidth: 0 }}
              helperText={
                choices.length > 0 && choices.every((c) => c.disabledReason !== null)
                  ? 'No dataset fits this run: see the reasons in the list.'
                  : ' '
              }
              slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'evaluate-dataset' } as object } }}
            >
              {choices.map((c) => (
                <MenuItem key={c.id} value={c.id} disabled={c.disabledReason !== null} data-testid={`evaluate-dataset-option-${c.id}`}>
                  <Box>
                    {c.label}
                    {c.disabledReason ? (
                      <Typography variant="caption" component="div" sx={{ color: 'text.secondary' }}>
                        {c.disabledReason}
                      </Typography>
                    ) : null}
                  </Box>
                </MenuItem>
              ))}
            </TextField>
            <TextField
              select
              label="Split"
              value={dataset && split ? split : ''}
              onChange={(e) => setSplit(e.target.value as EvaluationSplit)}
              size="small"
              sx={{ flex: '1 1 200px', minWidth: 0 }}
              slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'evaluate-split' } as object } }}
            >
              {(dataset?.splits ?? []).map((s) => (
                <MenuItem key={s.value} value={s.value}>
                  {s.label}
                </MenuItem>
              ))}
            </TextField>
            <Button
              variant="contained"
              startIcon={<PlayIcon />}
              onClick={() => void start()}
              disabled={busy || running || !run || !dataset || !split}
              sx={{ height: 40 }}
              data-testid="evaluate-start"
            >
              Evaluate
            </Button>
          </Box>
        )}
        {error ? (
          <Alert severity="error" sx={{ mt: 2 }} onClose={() => setError(null)} data-testid="evaluate-error">
            {error}
          </Alert>
        ) : null}
        {job && vm && running ? (
          <Box sx={{ mt: 2 }}>
            <JobProgressBar
              vm={vm}
              testId="evaluate-progress"
              label="Evaluation progress"
              cancelText="Cancel evaluation"
              onCancel={() => cancel(job.id)}
            />
          </Box>
        ) : null}
        {job && vm && !running && job.id === jobId ? (
          outcome ? (
            <>
              <Alert severity="success" sx={{ mt: 2 }} data-testid="evaluate-done">
                {outcome.name}: AUC {formatAuc(outcome.auc)} (DeLong 95% CI {formatCi(outcome.delong)}) on {outcome.n} images. The results
                below include it.
              </Alert>
              {outcome.domainShift?.checked && outcome.domainShift.warning ? (
                <Alert severity="warning" sx={{ mt: 1 }} data-testid="evaluate-shift-warning">
                  Domain shift: {outcome.domainShift.warning}
                </Alert>
              ) : null}
            </>
          ) : (
            <Alert severity={vm.status === 'failed' ? 'error' : 'warning'} sx={{ mt: 2 }} data-testid="evaluate-failed">
              {vm.status === 'failed'
                ? `The evaluation failed: ${vm.error ?? 'no reason given'}`
                : `The evaluation was ${vm.statusLabel.toLowerCase()}.`}
            </Alert>
          )
        ) : null}
      </CardContent>
    </Card>
  );
}
