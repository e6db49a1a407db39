import { RefreshButton } from '../../shared/RefreshButton';
import { LoadErrorAlert } from '../../shared/LoadErrorAlert';
import { useMemo, useState } from 'react';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { Pooling } from '../../../src-shared/explanations';
import { AnalysisRunCard } from '../../shared/AnalysisRunCard';
import { cliCommand, defaultRunChoice, finishedJobsSignature, parseCount } from '../../shared/analyses.viewmodel';
import { EmptyStateCard } from '../../shared/EmptyStateCard';
import { OutdatedControls, OutdatedResultsList } from '../../shared/OutdatedResults';

import { PageHeader } from '../../shared/PageHeader';
import { StudyRequiredCard } from '../../shared/StudyRequiredCard';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { useAnalysisCount } from '../../shared/useAnalysisCount';
import { explanationUse } from '../../shared/analysis-images.viewmodel';
import { useDatasets } from '../datasets/DatasetsStore';
import { useJobs } from '../jobs/JobsStore';
import { useStudy } from '../study/StudyStore';
import { Fig5 } from './Fig5';
import { Table3 } from './Table3';
import {
  POOLINGS,
  explainCommand,
  explanationGroups,
  explanationSummary,
  explanationsByStanding,
  explanationSettingsLines,
  outdatedExplanations,
  table3Model,
} from './explanations.viewmodel';
import { StudyItemsCard } from '../trash/StudyItemsCard';

const DESCRIPTION =
  'What the models look at (paper Fig 5, Table 3): LRP α1β0 relevance heatmaps over fundus images with pixel-level lesion masks (IDRiD segmentation: microaneurysms, haemorrhages, hard exudates), and how much of the relevance falls on the lesions (RMA) or ranks on them (RRA), against a Gaussian-noise control.';

export function ExplanationsPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const { jobs } = useJobs();
  const { datasets } = useDatasets();
  const studyPath = openStudy?.path ?? null;
  const input = studyPath ? { studyPath } : null;
  const results = useStudyQuery('explanations.list', input, finishedJobsSignature(jobs, studyPath, 'explain.run'));
  const runs = useStudyQuery('runs.list', input, finishedJobsSignature(jobs, studyPath, 'train.run'));
  // The images: what the study used last time (its latest explanations, else its plan; empty = every image), clamped to the dataset.
  const lastUses = useMemo(() => (results.data ?? []).map(explanationUse), [results.data]);
  const count = useAnalysisCount('explain', studyPath, lastUses);
  const [groupKey, setGroupKey] = useState('');
  const [pooling, setPooling] = useState<Pooling>('sum,pos');
  // Results of outdated runs (trained with settings the grid no longer has) are left out unless asked for.
  const [includeOutdated, setIncludeOutdated] = useState(false);

  const standing = useMemo(
    () => explanationsByStanding(results.data ?? [], runs.data, includeOutdated),
    [results.data, runs.data, includeOutdated],
  );
  const groups = useMemo(() => explanationGroups(standing.shown, runs.data ?? []), [standing, runs.data]);
  const group = groups.find((g) => g.key === groupKey) ?? groups[0] ?? null;
  // The first group until the user picks another, and again when the picked one is gone (kept when new results arrive).
  if (groups.length > 0 && !groups.some((g) => g.key === groupKey)) setGroupKey(groups[0]!.key);
  const tables = useMemo(
    () => (group ? (['rma', 'rra'] as const).map((m) => table3Model(group.results, m, pooling)) : []),
    [group, pooling],
  );

  if (!studyPath) {
    return (
      <>
        <PageHeader title="Explanations" description={DESCRIPTION} focusOnMount={focusHeading} />
        <StudyRequiredCard
          testId="explanations-no-study"
          text="Explanations are computed for a study's trained runs on a dataset with lesion masks."
        />
      </>
    );
  }

  const images = (datasetId: string | null) => {
    const text = count.text(datasetId);
    return text.trim() === '' ? null : parseCount(text, 1, 100_000);
  };
  const imagesValue = (datasetId: string | null) => {
    const parsed = images(datasetId);
    return parsed && 'value' in parsed ? parsed.value : null;
  };
  const first = defaultRunChoice(runs.data, datasets, 'masks');
  const empty = results.data !== null && results.data.length === 0;
  const refresh = () => {
    results.refresh();
    runs.refresh();
  };

  return (
    <>
      <PageHeader
        title="Explanations"
        description={DESCRIPTION}
        focusOnMount={focusHeading}
        actions={<RefreshButton what="explanations" onClick={refresh} />}
      />
      <Stack spacing={3}>
        <LoadErrorAlert error={results.error ?? runs.error} onRetry={refresh} />
        {empty ? (
          <EmptyStateCard
            testId="explanations-empty"
            title="No explanations yet"
            commands={
              first
                ? [
                    explainCommand(
                      studyPath,
                      first.group.runs.map((r) => r.runId),
                      first.datasetId,
                      imagesValue(first.datasetId),
                    ),
                  ]
                : [`${cliCommand(['explain', '--study', studyPath])} --runs <run-id,run-id> --dataset <dataset with lesion masks>`]
            }
          >
            {first ? (
              <>
                Click <strong>Run explanations</strong> below: it explains {first.group.strategies.join(', ')} ({first.group.where}) on{' '}
                <strong>{first.datasetId}</strong>. Or run on the command line:
              </>
            ) : (
              <>
                Explanations need finished runs and a dataset with lesion masks at their input size: import IDRiD segmentation on the
                Datasets page (<code>npx funduslab import idrid-seg &lt;folder&gt; --study &lt;dir&gt;</code>), then click{' '}
                <strong>Run explanations</strong> below. On the command line:
              </>
            )}
          </EmptyStateCard>
        ) : null}
        <OutdatedControls
          standing={standing}
          includeOutdated={includeOutdated}
          onIncludeOutdated={setIncludeOutdated}
          prefix="explanations"
        />
        <AnalysisRunCard
          testId="explain-run"
          title="Run the explanations"
          description={
            <>
              One background job per strategy of the chosen runs: an LRP α1β0 heatmap of every image of a dataset with lesion masks (e.g.
              IDRiD segmentation; prepared at the runs' input size when imported at another), and RMA / RRA per lesion and pooling against a
              Gaussian-noise control.
            </>
          }
          kind="explain.run"
          studyPath={studyPath}
          runs={runs.data}
          includeOutdated={includeOutdated}
          datasetNeed="masks"
          buttonText={(g) => `Run explanations (${g.runs.length} job${g.runs.length === 1 ? '' : 's'})`}
          fieldsError={(datasetId) => {
            const parsed = images(datasetId);
            return parsed && 'error' in parsed ? `Images: ${parsed.error}, or empty for all` : null;
          }}
          countField={(datasetId) => (
            <TextField
              label="Images (empty = all)"
              value={count.text(datasetId)}
              onChange={(e) => count.type(datasetId, e.target.value)}
              onBlur={() => count.clamp(datasetId)}
              size="small"
              error={Boolean(images(datasetId) && 'error' in images(datasetId)!)}
              helperText={
                <>
                  {count.available(datasetId) ? (
                    <>
                      <strong data-testid="explain-images-available">{count.available(datasetId)!.text}.</strong>{' '}
                    </>
                  ) : null}
                  The first N images of the dataset in manifest order; empty explains every preprocessed image
                </>
              }
              slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'explain-images' } }}
              sx={{ width: { xs: '100%', sm: 420 } }}
            />
          )}
          requests={(g, datasetId) =>
            g.runs.map((r) => ({
              kind: 'explain.run' as const,
              params: { runId: r.runId, datasetId, ...(imagesValue(datasetId) === null ? {} : { images: imagesValue(datasetId)! }) },
              studyPath,
            }))
          }
          commands={(g, datasetId) => [
            explainCommand(
              studyPath,
              g.runs.map((r) => r.runId),
              datasetId,
              imagesValue(datasetId),
            ),
          ]}
        />
        {group ? (
          <>
            <Card component="section" aria-labelledby="fig5-title">
              <CardContent>
                <Typography variant="h2" id="fig5-title" gutterBottom>
                  Heatmaps and lesions (Fig 5)
                </Typography>
                {groups.length > 1 ? (
                  <TextField
                    select
                    label="Explanations shown"
                    value={group.key}
                    onChange={(e) => setGroupKey(e.target.value)}
                    size="small"
                    sx={{ width: '100%', maxWidth: 640, mb: 1.5 }}
                    slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'explain-group' } as object } }}
                  >
                    {groups.map((g) => (
                      <MenuItem key={g.key} value={g.key}>
                        {g.label}
                      </MenuItem>
                    ))}
                  </TextField>
                ) : null}
                <OutdatedResultsList items={outdatedExplanations(group, standing.marks)} prefix="explanations" />
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '90ch' }} data-testid="explanations-summary">
                  {explanationSummary(group.results[0]!)} Red: evidence for the explained output; blue: against. Under each heatmap: the
                  image's RMA and RRA for the union of its lesions (pooling {pooling}).
                </Typography>
                <Box
                  component="ul"
                  sx={{ color: 'text.secondary', typography: 'body2', mt: 0, mb: 2, pl: 2.5 }}
                  data-testid="explanations-settings"
                >
                  {explanationSettingsLines(group.results).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </Box>
                <Fig5 studyPath={studyPath} group={group} pooling={pooling} />
              </CardContent>
            </Card>
            <Card component="section" aria-labelledby="table3-title">
              <CardContent>
                <Typography variant="h2" id="table3-title" gutterBottom>
                  Relevance on the lesions (Table 3)
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
                  Mean ± std over the images that have the lesion. RMA: the share of the pooled relevance inside the mask; RRA: of the
                  mask-sized set of highest-relevance pixels, the share inside the mask. Bold: the best model per column. The control
                  replaces the heatmap by Gaussian noise.
                </Typography>
                <TextField
                  select
                  label="Pooling over R, G, B"
                  value={pooling}
                  onChange={(e) => setPooling(e.target.value as Pooling)}
                  size="small"
                  sx={{ width: '100%', maxWidth: 520, mb: 2 }}
                  slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'table3-pooling' } as object } }}
                >
                  {POOLINGS.map((p) => (
                    <MenuItem key={p.id} value={p.id} data-testid={`table3-pooling-${p.id}`}>
                      <span>
                        <strong>{p.id}</strong> — {p.text}
                      </span>
                    </MenuItem>
                  ))}
                </TextField>
                <Stack spacing={3}>
                  {tables.map((t) => (
                    <Table3 key={t.metric} model={t} />
                  ))}
                </Stack>
              </CardContent>
            </Card>
          </>
        ) : null}
        {results.data ? (
          <StudyItemsCard
            studyPath={studyPath}
            kind="explanation"
            title="Explanation results"
            names={results.data.map((r) => r.name)}
            onDeleted={results.refresh}
          />
        ) : null}
      </Stack>
    </>
  );
}
