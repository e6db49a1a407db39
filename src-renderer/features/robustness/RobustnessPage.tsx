import { RefreshButton } from '../../shared/RefreshButton';
import { LoadErrorAlert } from '../../shared/LoadErrorAlert';
import { useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormLabel from '@mui/material/FormLabel';
import Grid from '@mui/material/Grid';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { CORRUPTION_NAMES, type CorruptionName } from '../../../src-shared/robustness';
import { AnalysisRunCard } from '../../shared/AnalysisRunCard';
import { cliCommand, defaultRunChoice, finishedJobsSignature, parseCount } from '../../shared/analyses.viewmodel';
import { EmptyStateCard } from '../../shared/EmptyStateCard';
import { OutdatedControls, OutdatedResultsList } from '../../shared/OutdatedResults';
import { checkboxFocusRing } from '../../shared/focusRing';

import { PageHeader } from '../../shared/PageHeader';
import { StudyRequiredCard } from '../../shared/StudyRequiredCard';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { useAnalysisCount } from '../../shared/useAnalysisCount';
import { robustnessUse } from '../../shared/analysis-images.viewmodel';
import { useDatasets } from '../datasets/DatasetsStore';
import { useJobs } from '../jobs/JobsStore';
import { useStudy } from '../study/StudyStore';
import { Fig4Chart } from './Fig4Chart';
import { Gallery } from './Gallery';
import { RobustnessTable } from './RobustnessTable';
import {
  ALL_SEVERITIES,
  DEFAULT_ROBUSTNESS_IMAGES,
  corruptionLabel,
  fig4Charts,
  galleryModel,
  robustnessByStanding,
  robustnessChoices,
  robustnessCommand,
  robustnessSummary,
  robustnessTable,
  type RobustnessForm,
} from './robustness.viewmodel';
import { StudyItemsCard } from '../trash/StudyItemsCard';

const DESCRIPTION =
  "Robustness to image distortions (paper Fig 4): each model's mean probability of the true referable / non-referable class and its AUC under the 19 corruptions of Hendrycks & Dietterich at severities 1-5, every model on the same corrupted images; Fig 4 shows CL minus FS for each initialisation.";

export function RobustnessPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const { jobs } = useJobs();
  const { datasets } = useDatasets();
  const studyPath = openStudy?.path ?? null;
  const input = studyPath ? { studyPath } : null;
  const results = useStudyQuery('robustness.list', input, finishedJobsSignature(jobs, studyPath, 'robustness.run'));
  const runs = useStudyQuery('runs.list', input, finishedJobsSignature(jobs, studyPath, 'train.run'));
  // The images: what the study used last time (its latest robustness result, else its plan), clamped to the chosen dataset.
  const lastUses = useMemo(() => (results.data ?? []).map(robustnessUse), [results.data]);
  const count = useAnalysisCount('robustness', studyPath, lastUses);
  const [corruptions, setCorruptions] = useState<CorruptionName[]>([...CORRUPTION_NAMES]);
  const [severities, setSeverities] = useState<number[]>([...ALL_SEVERITIES]);
  const [name, setName] = useState('');
  // Analyses of outdated runs (trained with settings the grid no longer has) are left out unless asked for.
  const [includeOutdated, setIncludeOutdated] = useState(false);

  const standing = useMemo(
    () => robustnessByStanding(results.data ?? [], runs.data, includeOutdated),
    [results.data, runs.data, includeOutdated],
  );
  const choices = useMemo(() => robustnessChoices(standing.shown), [standing]);
  const result = standing.shown.find((r) => r.name === name) ?? standing.shown.find((r) => r.name === choices[0]?.name) ?? null;
  const resultOutdated = result ? standing.marks.get(result.name) : undefined;
  // The first result until the user picks another, and again when the picked one is gone (kept when new results arrive).
  if (choices.length > 0 && !choices.some((c) => c.name === name)) setName(choices[0]!.name);
  const fig4 = useMemo(() => (result ? fig4Charts(result) : []), [result]);
  const table = useMemo(() => (result ? robustnessTable(result) : []), [result]);
  const gallery = useMemo(() => (result ? galleryModel(result) : null), [result]);

  if (!studyPath) {
    return (
      <>
        <PageHeader title="Robustness" description={DESCRIPTION} focusOnMount={focusHeading} />
        <StudyRequiredCard testId="robustness-no-study" text="The robustness analysis compares a study's trained runs." />
      </>
    );
  }

  const images = (datasetId: string | null) => parseCount(count.text(datasetId), 2, 100_000);
  const form = (datasetId: string | null): RobustnessForm => {
    const parsed = images(datasetId);
    return { images: 'value' in parsed ? parsed.value : DEFAULT_ROBUSTNESS_IMAGES, corruptions, severities };
  };
  const fieldsError = (datasetId: string | null) => {
    const parsed = images(datasetId);
    return 'error' in parsed
      ? `Images: ${parsed.error}`
      : corruptions.length === 0
        ? 'Choose at least one corruption'
        : severities.length === 0
          ? 'Choose at least one severity'
          : null;
  };
  const first = defaultRunChoice(runs.data, datasets, 'graded');
  const empty = results.data !== null && results.data.length === 0;
  const refresh = () => {
    results.refresh();
    runs.refresh();
  };
  const request = (runIds: string[], datasetId: string) => ({
    kind: 'robustness.run' as const,
    params: {
      runIds,
      datasetId,
      images: form(datasetId).images,
      severities: [...severities].sort((a, b) => a - b),
      ...(corruptions.length < CORRUPTION_NAMES.length ? { corruptions: CORRUPTION_NAMES.filter((c) => corruptions.includes(c)) } : {}),
    },
    studyPath,
  });

  return (
    <>
      <PageHeader
        title="Robustness"
        description={DESCRIPTION}
        focusOnMount={focusHeading}
        actions={<RefreshButton what="robustness results" onClick={refresh} />}
      />
      <Stack spacing={3}>
        <LoadErrorAlert error={results.error ?? runs.error} onRetry={refresh} />
        {empty ? (
          <EmptyStateCard
            testId="robustness-empty"
            title="No robustness analysis yet"
            commands={
              first
                ? [
                    robustnessCommand(
                      studyPath,
                      first.group.runs.map((r) => r.runId),
                      first.datasetId,
                      form(first.datasetId),
                    ),
                  ]
                : [`${cliCommand(['robustness', '--study', studyPath])} --runs <run-id,run-id> --dataset <dataset-id>`]
            }
          >
            {first ? (
              <>
                Click <strong>Run robustness</strong> below: it compares {first.group.strategies.join(', ')} ({first.group.where}) on the
                graded images of <strong>{first.datasetId}</strong>. Fig 4 needs a CL and an FS run of the same initialisation. Or run on
                the command line:
              </>
            ) : (
              <>
                Train runs on the Training page and import a graded dataset at their input size, then click <strong>Run robustness</strong>{' '}
                below. On the command line:
              </>
            )}
          </EmptyStateCard>
        ) : null}
        <OutdatedControls
          standing={standing}
          includeOutdated={includeOutdated}
          onIncludeOutdated={setIncludeOutdated}
          prefix="robustness"
        />
        <AnalysisRunCard
          testId="robustness-run"
          title="Run the robustness analysis"
          description={
            <>
              One background job for all the chosen runs, so that every model sees the same corrupted images: the graded images of the
              dataset (test split when it has one) under each corruption and severity, scored by the probability of the true class; it also
              saves a gallery of one referable image.
            </>
          }
          kind="robustness.run"
          studyPath={studyPath}
          runs={runs.data}
          includeOutdated={includeOutdated}
          datasetNeed="graded"
          buttonText={(g) => `Run robustness (${g.runs.length} model${g.runs.length === 1 ? '' : 's'})`}
          fieldsError={fieldsError}
          countField={(datasetId) => (
            <TextField
              label="Images"
              value={count.text(datasetId)}
              onChange={(e) => count.type(datasetId, e.target.value)}
              onBlur={() => count.clamp(datasetId)}
              size="small"
              error={'error' in images(datasetId)}
              helperText={
                <>
                  {count.available(datasetId) ? (
                    <>
                      <strong data-testid="robustness-images-available">{count.available(datasetId)!.text}.</strong>{' '}
                    </>
                  ) : null}
                  At most this many graded images (the first in manifest order)
                </>
              }
              slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'robustness-images' } }}
              sx={{ width: { xs: '100%', sm: 420 } }}
            />
          )}
          fields={
            <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 2, alignItems: 'flex-start' }}>
              <TextField
                select
                label="Corruptions"
                value={corruptions}
                onChange={(e) => {
                  const v = e.target.value as unknown as string[] | string;
                  setCorruptions((typeof v === 'string' ? v.split(',') : v) as CorruptionName[]);
                }}
                size="small"
                helperText="Default: all 19 of Hendrycks & Dietterich"
                sx={{ flex: '2 1 260px', minWidth: 0, maxWidth: 420 }}
                slotProps={{
                  select: {
                    multiple: true,
                    renderValue: (v) => {
                      const list = v as string[];
                      return list.length === CORRUPTION_NAMES.length
                        ? 'All 19 corruptions'
                        : list.length === 0
                          ? 'None'
                          : list.map(corruptionLabel).join(', ');
                    },
                    SelectDisplayProps: { 'data-testid': 'robustness-corruptions' } as object,
                  },
                }}
              >
                {CORRUPTION_NAMES.map((c) => (
                  <MenuItem key={c} value={c} dense>
                    <Checkbox size="small" checked={corruptions.includes(c)} tabIndex={-1} sx={{ p: 0.5, mr: 1 }} />
                    <ListItemText primary={corruptionLabel(c)} />
                  </MenuItem>
                ))}
              </TextField>
              <Box component="fieldset" sx={{ border: 0, m: 0, p: 0, minWidth: 0 }}>
                <FormLabel component="legend" sx={{ fontSize: '0.75rem' }}>
                  Severities
                </FormLabel>
                <FormGroup row>
                  {ALL_SEVERITIES.map((s) => (
                    <FormControlLabel
                      key={s}
                      label={String(s)}
                      sx={{ mr: 1 }}
                      control={
                        <Checkbox
                          size="small"
                          sx={checkboxFocusRing}
                          checked={severities.includes(s)}
                          onChange={(e) =>
                            setSeverities((current) =>
                              e.target.checked ? [...current, s].sort((a, b) => a - b) : current.filter((x) => x !== s),
                            )
                          }
                          slotProps={{ input: { 'data-testid': `robustness-severity-${s}` } as object }}
                        />
                      }
                    />
                  ))}
                </FormGroup>
              </Box>
            </Box>
          }
          requests={(g, datasetId) => [
            request(
              g.runs.map((r) => r.runId),
              datasetId,
            ),
          ]}
          commands={(g, datasetId) => [
            robustnessCommand(
              studyPath,
              g.runs.map((r) => r.runId),
              datasetId,
              form(datasetId),
            ),
          ]}
        />
        {result ? (
          <>
            <Card component="section" aria-labelledby="robustness-shown-title">
              <CardContent>
                <Typography variant="h2" id="robustness-shown-title" gutterBottom>
                  Models compared
                </Typography>
                {choices.length > 1 ? (
                  <TextField
                    select
                    label="Analysis shown"
                    value={result.name}
                    onChange={(e) => setName(e.target.value)}
                    size="small"
                    sx={{ width: '100%', maxWidth: 720, mb: 1.5 }}
                    slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'robustness-choice' } as object } }}
                  >
                    {choices.map((c) => (
                      <MenuItem key={c.name} value={c.name}>
                        {c.label}
                      </MenuItem>
                    ))}
                  </TextField>
                ) : null}
                <OutdatedResultsList
                  items={resultOutdated ? [{ key: result.name, label: 'This analysis', outdated: resultOutdated }] : []}
                  prefix="robustness"
                />
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '90ch' }} data-testid="robustness-summary">
                  {robustnessSummary(result)}
                </Typography>
                <RobustnessTable rows={table} />
              </CardContent>
            </Card>
            <Card component="section" aria-labelledby="fig4-title" data-testid="fig4">
              <CardContent>
                <Typography variant="h2" id="fig4-title" gutterBottom>
                  Contrastive minus supervised pretraining (Fig 4)
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
                  For each initialisation, the CL model's mean probability of the true class minus the FS model's, per corruption (rows) and
                  severity (bars; darker = more severe). Right of zero: the contrastively pretrained model is more robust.
                </Typography>
                {fig4.length === 0 ? (
                  <Alert severity="info" data-testid="fig4-none">
                    Fig 4 needs a CL and an FS run of the same initialisation, fraction and seed among the analysed runs.
                  </Alert>
                ) : (
                  <Grid container spacing={4}>
                    {fig4.map((c) => (
                      <Grid key={c.key} size={{ xs: 12, md: fig4.length > 1 ? 6 : 12 }}>
                        <Fig4Chart model={c} />
                      </Grid>
                    ))}
                  </Grid>
                )}
              </CardContent>
            </Card>
            {gallery ? (
              <Card component="section" aria-labelledby="gallery-title">
                <CardContent>
                  <Typography variant="h2" id="gallery-title" gutterBottom>
                    Gallery
                  </Typography>
                  <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
                    Image <strong>{gallery.image}</strong> of {result.datasetId} as the models saw it under every corruption and severity
                    (the report replaces the id with a pseudonym).
                  </Typography>
                  <Gallery studyPath={studyPath} name={result.name} model={gallery} />
                </CardContent>
              </Card>
            ) : null}
          </>
        ) : null}
        {results.data ? (
          <StudyItemsCard
            studyPath={studyPath}
            kind="robustness"
            title="Robustness results"
            names={results.data.map((r) => r.name)}
            onDeleted={results.refresh}
          />
        ) : null}
      </Stack>
    </>
  );
}
