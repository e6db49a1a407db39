/**
 * The "Run" card of an analysis page (Spectra, Robustness, Explanations): choose the finished runs
 * (one per strategy at one fraction and seed; the group with the most strategies by default) and the
 * dataset, plus the page's own fields; submit the page's jobs; follow every active job of that kind
 * in the study with its progress bar; say when one of the jobs submitted here failed. It also shows
 * the equivalent command line. Outdated runs are offered only when the page includes them, after the
 * current ones and never by default, each marked with its "Outdated" chip and reasons.
 */
import { useMemo, useState, type ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { ChannelInput, RunSummary } from '../../src-shared/contract';
import type { JobKind } from '../../src-shared/jobs';
import { useNavigation } from '../app/navigation';
import { JobProgressBar } from '../features/jobs/JobProgressBar';
import { jobViewModel } from '../features/jobs/jobs.viewmodel';
import { useJobs } from '../features/jobs/JobsStore';
import { useDatasets } from '../features/datasets/DatasetsStore';
import {
  activeStudyJobs,
  analysisDatasetChoices,
  defaultDataset,
  defaultRunGroup,
  jobSubject,
  outdatedRunGroups,
  runChoices,
  type DatasetNeed,
  type RunGroup,
} from './analyses.viewmodel';
import { CommandBlock } from './CommandBlock';
import { errorMessage } from './errors.viewmodel';
import { PlayIcon } from './icons';
import { OutdatedChipView } from './OutdatedResults';
import { useNow } from './useNow';

export interface AnalysisRunCardProps {
  /**
   * Prefix of the data-testids: `<id>` (card), `<id>-runs`, `<id>-dataset`, `<id>-start`, `<id>-progress`, `<id>-error`, `<id>-command`.
   */
  testId: string;
  title: string;
  description: ReactNode;
  kind: Extract<JobKind, 'spectra.run' | 'robustness.run' | 'explain.run'>;
  studyPath: string;
  runs: RunSummary[] | null;
  /** The page's "Include outdated runs" toggle: the chooser then offers the outdated runs too, marked. */
  includeOutdated?: boolean;
  datasetNeed: DatasetNeed;
  buttonText: (group: RunGroup) => string;
  /** The page's image-count field for the chosen dataset (it says how many images the dataset holds), before the other fields. */
  countField?: (datasetId: string | null) => ReactNode;
  /** The page's own fields (controlled by the page). */
  fields?: ReactNode;
  /** Why the page's fields cannot be submitted, or null; a function gets the chosen dataset. */
  fieldsError?: string | null | ((datasetId: string | null) => string | null);
  /** The jobs to submit for the chosen runs and dataset. */
  requests(group: RunGroup, datasetId: string): ChannelInput<'jobs.submit'>[];
  /** Their command-line equivalent. */
  commands(group: RunGroup, datasetId: string): string[];
}

export function AnalysisRunCard(props: AnalysisRunCardProps) {
  const { testId, kind, studyPath } = props;
  const { jobs, submit, cancel } = useJobs();
  const { datasets } = useDatasets();
  const { navigate } = useNavigation();
  const includeOutdated = props.includeOutdated ?? false;
  const groups = useMemo(() => runChoices(props.runs ?? [], includeOutdated), [props.runs, includeOutdated]);
  const hiddenOutdated = useMemo(() => (includeOutdated ? 0 : outdatedRunGroups(props.runs ?? []).length), [props.runs, includeOutdated]);
  const [groupKey, setGroupKey] = useState('');
  const [datasetId, setDatasetId] = useState('');
  const [submitted, setSubmitted] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const group = groups.find((g) => g.key === groupKey) ?? null;
  const choices = useMemo(
    () => analysisDatasetChoices(datasets, group?.inputSize ?? null, props.datasetNeed),
    [datasets, group, props.datasetNeed],
  );
  const dataset = choices.find((c) => c.id === datasetId && c.disabledReason === null) ?? null;

  // Until the user picks, and when the picked one is no longer offered: the first group and the default dataset (put right
  // during the render, before anything shows the empty choice).
  const firstGroup = defaultRunGroup(groups);
  if (!group && firstGroup) setGroupKey(firstGroup.key);
  if (!dataset) {
    const fallback = defaultDataset(choices) ?? '';
    if (fallback !== datasetId) setDatasetId(fallback);
  }

  const active = activeStudyJobs(jobs, studyPath, kind);
  const now = useNow(1000, active.length > 0);
  const failed = jobs.filter((j) => submitted.includes(j.id) && (j.status === 'failed' || j.status === 'interrupted'));

  async function start() {
    if (!group || !dataset) return;
    setBusy(true);
    setError(null);
    try {
      const ids: string[] = [];
      for (const request of props.requests(group, dataset.id)) ids.push((await submit(request)).id);
      setSubmitted(ids);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const noDataset = group !== null && choices.every((c) => c.disabledReason !== null);
  const fieldsError = typeof props.fieldsError === 'function' ? props.fieldsError(dataset?.id ?? null) : (props.fieldsError ?? null);

  return (
    <Card component="section" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <CardContent>
        <Typography variant="h2" id={`${testId}-title`} gutterBottom>
          {props.title}
        </Typography>
        <Typography variant="body2" component="div" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          {props.description}
        </Typography>
        {props.runs !== null && groups.length === 0 ? (
          <Alert
            severity="info"
            data-testid={`${testId}-no-runs`}
            action={
              <Button color="inherit" onClick={() => navigate('training')}>
                Go to Training
              </Button>
            }
          >
            No finished run with a selected model yet: train runs on the Training page first.
            {hiddenOutdated > 0 ? ' Outdated runs are offered when "Include outdated runs" is on.' : null}
          </Alert>
        ) : (
          <Stack spacing={2}>
            <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap', alignItems: 'flex-start' }}>
              <TextField
                select
                label="Runs (one per strategy)"
                value={group ? group.key : ''}
                onChange={(e) => setGroupKey(e.target.value)}
                size="small"
                sx={{ flex: '3 1 340px', minWidth: 0 }}
                slotProps={{
                  select: {
                    // The chosen runs as plain text (an outdated group's chips are in the list and below the chooser).
                    renderValue: (value) => {
                      const chosen = groups.find((g) => g.key === value);
                      return chosen ? `${chosen.label}${chosen.outdated ? ' · Outdated' : ''}` : '';
                    },
                    SelectDisplayProps: { 'data-testid': `${testId}-runs` } as object,
                  },
                }}
              >
                {groups.map((g) => (
                  <MenuItem key={g.key} value={g.key} data-testid={`${testId}-runs-option`}>
                    {g.outdated ? (
                      <Box sx={{ minWidth: 0 }}>
                        {g.label}
                        {g.outdated.map((o) => (
                          <Box key={o.runId} sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap', mt: 0.5 }}>
                            <OutdatedChipView chip={o.chip} testId={`${testId}-runs-option-outdated`} />
                            <Typography variant="caption" sx={{ color: 'text.secondary', whiteSpace: 'normal' }}>
                              {o.runId}: {o.chip.reasons}
                            </Typography>
                          </Box>
                        ))}
                      </Box>
                    ) : (
                      g.label
                    )}
                  </MenuItem>
                ))}
              </TextField>
              <TextField
                select
                label="Dataset"
                value={dataset ? dataset.id : ''}
                onChange={(e) => setDatasetId(e.target.value)}
                size="small"
                sx={{ flex: '2 1 240px', minWidth: 0 }}
                helperText={noDataset ? 'No dataset fits these runs: see the reasons in the list.' : undefined}
                slotProps={{
                  select: {
                    // The chosen dataset as plain text, so a long label ends in an ellipsis instead of running under the arrow.
                    renderValue: (value) => choices.find((c) => c.id === value)?.label ?? String(value),
                    SelectDisplayProps: { 'data-testid': `${testId}-dataset` } as object,
                  },
                }}
              >
                {choices.map((c) => (
                  <MenuItem key={c.id} value={c.id} disabled={c.disabledReason !== null} data-testid={`${testId}-dataset-option-${c.id}`}>
                    <Box sx={{ minWidth: 0 }}>
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
            </Box>
            {group?.outdated ? (
              <Alert severity="warning" data-testid={`${testId}-runs-outdated`}>
                {group.outdated.map((o) => (
                  <Box key={o.runId} sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap', mb: 0.5 }}>
                    <OutdatedChipView chip={o.chip} testId={`${testId}-run-outdated`} />
                    <span style={{ overflowWrap: 'anywhere' }}>
                      {o.runId}: {o.chip.reasons}
                    </span>
                  </Box>
                ))}
                Results computed from these runs are shown only while outdated runs are included.
              </Alert>
            ) : null}
            {props.countField ? <Box>{props.countField(dataset?.id ?? null)}</Box> : null}
            {props.fields ? <Box>{props.fields}</Box> : null}
            <Box sx={{ display: 'flex', gap: 2, alignItems: 'center', flexWrap: 'wrap' }}>
              <Button
                variant="contained"
                startIcon={<PlayIcon />}
                onClick={() => void start()}
                disabled={busy || active.length > 0 || !group || !dataset || Boolean(fieldsError)}
                data-testid={`${testId}-start`}
              >
                {group ? props.buttonText(group) : 'Run'}
              </Button>
              {fieldsError ? (
                <Typography variant="body2" sx={{ color: 'error.main' }} role="alert">
                  {fieldsError}
                </Typography>
              ) : null}
            </Box>
            {error ? (
              <Alert severity="error" onClose={() => setError(null)} data-testid={`${testId}-error`}>
                {error}
              </Alert>
            ) : null}
            {failed.map((j) => (
              <Alert key={j.id} severity={j.status === 'failed' ? 'error' : 'warning'} data-testid={`${testId}-failed`}>
                {j.title} of {jobSubject(j)}{' '}
                {j.status === 'failed' ? `failed: ${j.error?.message ?? 'no reason given'}` : 'was interrupted; retry it on the Jobs page.'}
              </Alert>
            ))}
            {active.length > 0 ? (
              <Stack spacing={2} data-testid={`${testId}-active`}>
                {active.map((j) => (
                  <Box key={j.id}>
                    <Typography variant="body2" sx={{ mb: 0.5, overflowWrap: 'anywhere' }}>
                      {j.title}: {jobSubject(j)}
                    </Typography>
                    <JobProgressBar
                      vm={jobViewModel(j, now)}
                      testId={`${testId}-progress`}
                      label={`${j.title} progress: ${jobSubject(j)}`}
                      cancelText="Cancel"
                      cancelLabel={`Cancel ${j.title.toLowerCase()} of ${jobSubject(j)}`}
                      onCancel={() => void cancel(j.id).catch((e: unknown) => setError(errorMessage(e)))}
                    />
                  </Box>
                ))}
              </Stack>
            ) : null}
            {group && dataset ? (
              <Box>
                <Typography variant="caption" component="p" sx={{ color: 'text.secondary', mb: 0.5 }}>
                  The same on the command line:
                </Typography>
                <CommandBlock lines={props.commands(group, dataset.id)} testId={`${testId}-command`} />
              </Box>
            ) : null}
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
