import { RefreshButton } from '../../shared/RefreshButton';
import { LoadErrorAlert } from '../../shared/LoadErrorAlert';
import { useMemo, useState } from 'react';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Grid from '@mui/material/Grid';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { AnalysisRunCard } from '../../shared/AnalysisRunCard';
import { defaultRunChoice, finishedJobsSignature, parseCount } from '../../shared/analyses.viewmodel';
import { EmptyStateCard } from '../../shared/EmptyStateCard';
import { OutdatedControls, OutdatedResultsList } from '../../shared/OutdatedResults';
import { PageHeader } from '../../shared/PageHeader';
import { StudyRequiredCard } from '../../shared/StudyRequiredCard';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { useAnalysisCount } from '../../shared/useAnalysisCount';
import { spectraUse } from '../../shared/analysis-images.viewmodel';
import { useDatasets } from '../datasets/DatasetsStore';
import { useJobs } from '../jobs/JobsStore';
import { useStudy } from '../study/StudyStore';
import { SpectraChart } from './SpectraChart';
import { Table2 } from './Table2';
import {
  DEFAULT_SPECTRA_IMAGES,
  fig3aCharts,
  fig3bCharts,
  outdatedSpectra,
  spectraByStanding,
  spectraSettingsLines,
  spectraCommands,
  spectraGroups,
  spectraPlaceholderCommand,
  spectraSummary,
  table2Model,
} from './spectra.viewmodel';
import { StudyItemsCard } from '../trash/StudyItemsCard';

const DESCRIPTION =
  "Representation analysis (paper Fig 3, Table 2): the condition number κ of every Conv, BatchNorm and Linear layer from the top-k PCA eigenvalues of the activations of N images, the first conv layer's eigen-spectrum as a distribution over rank with its kurtosis, and the distributions fitted to it.";

export function SpectraPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const { jobs } = useJobs();
  const { datasets } = useDatasets();
  const studyPath = openStudy?.path ?? null;
  const input = studyPath ? { studyPath } : null;
  const spectra = useStudyQuery('spectra.list', input, finishedJobsSignature(jobs, studyPath, 'spectra.run'));
  const runs = useStudyQuery('runs.list', input, finishedJobsSignature(jobs, studyPath, 'train.run'));
  // The images: what the study used last time (its latest spectra, else its plan), clamped to the chosen dataset.
  const lastUses = useMemo(() => (spectra.data ?? []).map(spectraUse), [spectra.data]);
  const count = useAnalysisCount('spectra', studyPath, lastUses);
  const [groupKey, setGroupKey] = useState('');
  // Results of outdated runs (trained with settings the grid no longer has) are left out unless asked for.
  const [includeOutdated, setIncludeOutdated] = useState(false);

  const standing = useMemo(
    () => spectraByStanding(spectra.data ?? [], runs.data, includeOutdated),
    [spectra.data, runs.data, includeOutdated],
  );
  const groups = useMemo(() => spectraGroups(standing.shown), [standing]);
  const group = groups.find((g) => g.key === groupKey) ?? groups[0] ?? null;
  // The first group until the user picks another, and again when the picked one is gone (kept when new results arrive).
  if (groups.length > 0 && !groups.some((g) => g.key === groupKey)) setGroupKey(groups[0]!.key);
  const fig3a = useMemo(() => (group ? fig3aCharts(group.results) : []), [group]);
  const fig3b = useMemo(() => (group ? fig3bCharts(group.results) : []), [group]);
  const table2 = useMemo(() => (group ? table2Model(group.results) : []), [group]);

  if (!studyPath) {
    return (
      <>
        <PageHeader title="Spectra" description={DESCRIPTION} focusOnMount={focusHeading} />
        <StudyRequiredCard testId="spectra-no-study" text="The spectra are computed from a study's trained runs." />
      </>
    );
  }

  const images = (datasetId: string | null) => parseCount(count.text(datasetId), 3, 4096);
  const imagesValue = (datasetId: string | null) => {
    const parsed = images(datasetId);
    return 'value' in parsed ? parsed.value : DEFAULT_SPECTRA_IMAGES;
  };
  const first = defaultRunChoice(runs.data, datasets, 'images');
  const empty = spectra.data !== null && spectra.data.length === 0;
  const refresh = () => {
    spectra.refresh();
    runs.refresh();
  };

  return (
    <>
      <PageHeader
        title="Spectra"
        description={DESCRIPTION}
        focusOnMount={focusHeading}
        actions={<RefreshButton what="spectra" onClick={refresh} />}
      />
      <Stack spacing={3}>
        <LoadErrorAlert error={spectra.error ?? runs.error} onRetry={refresh} />
        {empty ? (
          <EmptyStateCard
            testId="spectra-empty"
            title="No spectra yet"
            commands={
              first
                ? spectraCommands(
                    studyPath,
                    first.group.runs.map((r) => r.runId),
                    first.datasetId,
                    imagesValue(first.datasetId),
                  )
                : [spectraPlaceholderCommand(studyPath)]
            }
          >
            {first ? (
              <>
                Click <strong>Run spectra</strong> below: it analyses one finished run per strategy ({first.group.strategies.join(', ')} at{' '}
                {first.group.where}) on <strong>{first.datasetId}</strong>. Or run on the command line:
              </>
            ) : (
              <>
                Train runs on the Training page and import a dataset at their input size, then click <strong>Run spectra</strong> below. On
                the command line, for each run:
              </>
            )}
          </EmptyStateCard>
        ) : null}
        <OutdatedControls standing={standing} includeOutdated={includeOutdated} onIncludeOutdated={setIncludeOutdated} prefix="spectra" />
        <AnalysisRunCard
          testId="spectra-run"
          title="Run the spectra"
          description={
            <>
              One background job per strategy of the chosen runs (one at a time; follow them on the Jobs page): every Conv, BatchNorm and
              Linear layer's activations of N images of the dataset, their top-100 eigenvalues and κ = |P99.9(λ)| / |P90(λ)|, and the fits
              of conv1's spectrum.
            </>
          }
          kind="spectra.run"
          studyPath={studyPath}
          runs={runs.data}
          includeOutdated={includeOutdated}
          datasetNeed="images"
          buttonText={(g) => `Run spectra (${g.runs.length} job${g.runs.length === 1 ? '' : 's'})`}
          fieldsError={(datasetId) => {
            const parsed = images(datasetId);
            return 'error' in parsed ? `Images: ${parsed.error}` : null;
          }}
          countField={(datasetId) => (
            <TextField
              label="Images (N)"
              value={count.text(datasetId)}
              onChange={(e) => count.type(datasetId, e.target.value)}
              onBlur={() => count.clamp(datasetId)}
              size="small"
              error={'error' in images(datasetId)}
              helperText={
                <>
                  {count.available(datasetId) ? (
                    <>
                      <strong data-testid="spectra-images-available">{count.available(datasetId)!.text}.</strong>{' '}
                    </>
                  ) : null}
                  Activations of N images per layer (test split when the dataset has one); fewer when the split has fewer. At most N − 1
                  eigenvalues per layer.
                </>
              }
              slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'spectra-images' } }}
              sx={{ width: { xs: '100%', sm: 420 } }}
            />
          )}
          requests={(g, datasetId) =>
            g.runs.map((r) => ({
              kind: 'spectra.run' as const,
              params: { runId: r.runId, datasetId, images: imagesValue(datasetId) },
              studyPath,
            }))
          }
          commands={(g, datasetId) =>
            spectraCommands(
              studyPath,
              g.runs.map((r) => r.runId),
              datasetId,
              imagesValue(datasetId),
            )
          }
        />
        {group ? (
          <>
            <Card component="section" aria-labelledby="spectra-shown-title">
              <CardContent>
                <Typography variant="h2" id="spectra-shown-title" gutterBottom>
                  Models compared
                </Typography>
                {groups.length > 1 ? (
                  <TextField
                    select
                    label="Spectra shown"
                    value={group.key}
                    onChange={(e) => setGroupKey(e.target.value)}
                    size="small"
                    sx={{ width: '100%', maxWidth: 640, mb: 1.5 }}
                    slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'spectra-group' } as object } }}
                  >
                    {groups.map((g) => (
                      <MenuItem key={g.key} value={g.key}>
                        {g.label}
                      </MenuItem>
                    ))}
                  </TextField>
                ) : (
                  <Typography variant="body2" sx={{ mb: 0.5 }}>
                    {group.label}
                  </Typography>
                )}
                <OutdatedResultsList items={outdatedSpectra(group, standing.marks)} prefix="spectra" />
                <Typography variant="body2" sx={{ color: 'text.secondary', maxWidth: '90ch' }} data-testid="spectra-summary">
                  {spectraSummary(group.results)}
                </Typography>
                <Box component="ul" sx={{ color: 'text.secondary', typography: 'body2', m: 0, pl: 2.5 }} data-testid="spectra-settings">
                  {spectraSettingsLines(group.results).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </Box>
              </CardContent>
            </Card>
            <Card component="section" aria-labelledby="fig3a-title" data-testid="fig3a">
              <CardContent>
                <Typography variant="h2" id="fig3a-title" gutterBottom>
                  Condition number per layer (Fig 3a)
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
                  κ of every Conv, BatchNorm and Linear layer in module order, on a log scale; IWNE models in one panel, IFI models in the
                  other; FS solid, CL dashed. A high κ means a few directions dominate the layer's representation.
                </Typography>
                <Grid container spacing={4}>
                  {fig3a.map((c) => (
                    <Grid key={c.key} size={{ xs: 12, md: fig3a.length > 1 ? 6 : 12 }}>
                      <SpectraChart model={c} testId="fig3a-panel" />
                    </Grid>
                  ))}
                </Grid>
              </CardContent>
            </Card>
            <Card component="section" aria-labelledby="fig3b-title" data-testid="fig3b">
              <CardContent>
                <Typography variant="h2" id="fig3b-title" gutterBottom>
                  First-layer spectrum (Fig 3b)
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
                  conv1's eigenvalues as a density over component rank (rank r weighs λ_r), mirrored around 0; right: a zoom on the tails.
                  The legend gives each model's kurtosis (Fisher): heavier tails, higher kurtosis.
                </Typography>
                <Grid container spacing={4}>
                  {fig3b.map((c) => (
                    <Grid key={c.key} size={{ xs: 12, md: 6 }}>
                      <SpectraChart model={c} testId="fig3b-panel" />
                    </Grid>
                  ))}
                </Grid>
              </CardContent>
            </Card>
            <Card component="section" aria-labelledby="table2-title">
              <CardContent>
                <Typography variant="h2" id="table2-title" gutterBottom>
                  Best-fitting distribution of the first-layer spectrum (Table 2)
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
                  Eleven distributions fitted by maximum likelihood to conv1's rank sample, ranked by the residual sum of squares between
                  the density histogram and the pdf; parameters in SciPy's order (shapes, loc, scale).
                </Typography>
                <Table2 rows={table2} />
              </CardContent>
            </Card>
          </>
        ) : null}
        {spectra.data === null && !spectra.error ? <Box aria-busy="true" /> : null}
        {spectra.data ? (
          <StudyItemsCard
            studyPath={studyPath}
            kind="spectra"
            title="Spectra results"
            names={spectra.data.map((r) => r.name)}
            onDeleted={spectra.refresh}
          />
        ) : null}
      </Stack>
    </>
  );
}
