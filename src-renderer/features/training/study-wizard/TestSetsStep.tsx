import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import Grid from '@mui/material/Grid';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { DatasetSummary, ReadableDatasetSummary } from '../../../../src-shared/contract';
import { clampImagesText, imagesAvailable, imagesForDataset, type ImagesAnalysis } from '../../../shared/analysis-images.viewmodel';
import { ChoiceLabel } from '../../../shared/ChoiceLabel';
import { gradedDatasets, maskedDatasets, testSetChoices, type AnalysesErrors, type AnalysesForm } from './study-wizard.viewmodel';

interface Props {
  form: AnalysesForm;
  errors: AnalysesErrors;
  datasets: readonly DatasetSummary[] | null;
  trainingId: string;
  onChange(form: AnalysesForm): void;
}

/** The wizard's test-sets step: where every run is evaluated, and which analyses run on which dataset. */
export function TestSetsStep({ form, errors, datasets, trainingId, onChange }: Props) {
  const choices = testSetChoices(datasets, trainingId);
  const graded = gradedDatasets(datasets);
  const masked = maskedDatasets(datasets);
  const chosen = (id: string) => form.testSets.some((t) => t.datasetId === id);
  // What each analysis row takes from the form: its answer, its error, and how a change updates the form.
  // A new dataset re-fits the count to what it holds; a typed count is clamped to it when the field is left.
  const row = <K extends AnalysisKey>(id: K) => ({
    id,
    value: { ...form[id], images: form[id].images ?? '' },
    error: errors[id],
    available: imagesAvailable(datasets, form[id].datasetId, id)?.text ?? null,
    onChange: (value: AnalysesForm[K]) => {
      const before = imagesAvailable(datasets, form[id].datasetId, id)?.images ?? null;
      const after = imagesAvailable(datasets, value.datasetId, id)?.images ?? null;
      const images = value.datasetId === form[id].datasetId ? value.images : imagesForDataset(value.images ?? '', id, before, after, null);
      onChange({ ...form, [id]: { ...value, images } });
    },
    onBlur: () => {
      const images = clampImagesText(form[id].images ?? '', imagesAvailable(datasets, form[id].datasetId, id)?.images ?? null);
      if (images !== (form[id].images ?? '')) onChange({ ...form, [id]: { ...form[id], images } });
    },
  });

  return (
    <Stack spacing={3}>
      <Box component="section">
        <Typography variant="h3" gutterBottom>
          Test sets
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1, maxWidth: '80ch' }}>
          Every finished run is evaluated on each test set (referable-DR AUC with 95 % confidence intervals, Fig 2). The paper used the
          EyePACS test split and external sets such as Messidor-2 and IDRiD.
        </Typography>
        {choices.length === 0 ? (
          <Alert severity="info">The study has no graded dataset to test on: import one on the Datasets page.</Alert>
        ) : null}
        <Box role="group" aria-label="Test sets" sx={{ display: 'flex', flexDirection: 'column' }}>
          {choices.map((c, i) => (
            <FormControlLabel
              key={c.id}
              disabled={c.disabledReason !== null}
              sx={{ mr: 0 }}
              control={
                <Checkbox
                  size="small"
                  checked={chosen(c.id)}
                  onChange={(e) =>
                    onChange({
                      ...form,
                      testSets: e.target.checked
                        ? [...form.testSets, { datasetId: c.id, split: c.split }]
                        : form.testSets.filter((t) => t.datasetId !== c.id),
                    })
                  }
                  slotProps={{
                    input: { 'data-testid': `wizard-testset-${c.id}`, ...(i === 0 ? { 'data-step-focus': 'true' } : {}) } as object,
                  }}
                />
              }
              label={
                <ChoiceLabel
                  label={c.label}
                  note={c.disabledReason ?? (c.overlapsTraining ? 'overlaps the training images: results are flagged' : null)}
                  warning={c.disabledReason === null}
                />
              }
            />
          ))}
        </Box>
        {errors.testSets ? <FormHelperText error>{errors.testSets}</FormHelperText> : null}
      </Box>

      <Box component="section">
        <Typography variant="h3" gutterBottom>
          Analyses
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          Each analysis compares one run per strategy: the runs at the largest label fraction and the first seed.
        </Typography>
        <Stack spacing={2}>
          <AnalysisRow
            {...row('spectra')}
            title="Spectra (Fig 3, Table 2)"
            text="Eigen-spectra of every layer's activations and their heavy-tailedness."
            datasets={graded}
            imagesHelp="Images whose activations are collected (paper: 256)"
          />
          <AnalysisRow
            {...row('robustness')}
            title="Robustness (Fig 4)"
            text="Every image under 19 corruptions at 5 severities."
            datasets={graded}
            imagesHelp="Images corrupted and scored"
          />
          <AnalysisRow
            {...row('explain')}
            title="Explanations (Fig 5, Table 3)"
            text="LRP heatmaps of every image of the dataset, scored against its pixel-level lesion masks."
            datasets={masked}
            imagesHelp="The first N images; empty: every image"
            imagesLabel="Images (empty = all)"
            emptyText="No dataset with lesion masks (e.g. IDRiD segmentation) in the study."
          />
          <FormControlLabel
            control={
              <Switch
                checked={form.report}
                onChange={(e) => onChange({ ...form, report: e.target.checked })}
                slotProps={{ input: { 'data-testid': 'wizard-report' } as object }}
              />
            }
            label="Build the PDF report at the end (reports/report.pdf in the study folder)"
          />
        </Stack>
      </Box>
    </Stack>
  );
}

/** The analyses with a row of their own: each has a switch, a dataset and an image count. */
type AnalysisKey = ImagesAnalysis;

interface RowValue {
  enabled: boolean;
  datasetId: string;
  images?: string;
}

function AnalysisRow<T extends RowValue>(props: {
  id: string;
  title: string;
  text: string;
  value: T;
  datasets: readonly ReadableDatasetSummary[];
  error?: string;
  imagesHelp?: string;
  imagesLabel?: string;
  /** What the chosen dataset holds for the analysis (`40 images in test`), or null. */
  available: string | null;
  emptyText?: string;
  onChange(value: T): void;
  onBlur(): void;
}) {
  const { id, title, text, value, datasets, error, imagesHelp, emptyText, onChange, available } = props;
  const none = datasets.length === 0;
  return (
    <Grid container spacing={2} sx={{ alignItems: 'flex-start' }}>
      <Grid size={{ xs: 12, md: 5 }}>
        <FormControlLabel
          sx={{ alignItems: 'flex-start', mr: 0 }}
          control={
            <Switch
              checked={value.enabled && !none}
              disabled={none}
              onChange={(e) => onChange({ ...value, enabled: e.target.checked })}
              slotProps={{ input: { 'data-testid': `wizard-${id}-enabled` } as object }}
            />
          }
          label={
            <Box sx={{ pt: 0.75 }}>
              <Typography variant="body2" sx={{ fontWeight: 600 }}>
                {title}
              </Typography>
              <Typography variant="caption" sx={{ color: 'text.secondary' }}>
                {none && emptyText ? emptyText : text}
              </Typography>
            </Box>
          }
        />
      </Grid>
      <Grid size={{ xs: 12, sm: value.images !== undefined ? 7 : 12, md: value.images !== undefined ? 4 : 7 }}>
        <TextField
          select
          size="small"
          fullWidth
          label="Dataset"
          value={datasets.some((d) => d.id === value.datasetId) ? value.datasetId : ''}
          disabled={!value.enabled || none}
          onChange={(e) => onChange({ ...value, datasetId: e.target.value })}
          error={Boolean(error) && value.enabled}
          helperText={value.enabled && error && value.images === undefined ? error : ' '}
          slotProps={{ select: { SelectDisplayProps: { 'data-testid': `wizard-${id}-dataset` } as object } }}
        >
          {datasets.map((d) => (
            <MenuItem key={d.id} value={d.id} data-testid={`wizard-${id}-dataset-${d.id}`}>
              {d.id}
            </MenuItem>
          ))}
        </TextField>
      </Grid>
      {value.images !== undefined ? (
        <Grid size={{ xs: 12, sm: 5, md: 3 }}>
          <TextField
            size="small"
            fullWidth
            label={props.imagesLabel ?? 'Images'}
            value={value.images}
            disabled={!value.enabled || none}
            onChange={(e) => onChange({ ...value, images: e.target.value })}
            onBlur={props.onBlur}
            error={Boolean(error) && value.enabled}
            helperText={
              value.enabled && error ? (
                error
              ) : (
                <>
                  {available ? (
                    <Box component="span" sx={{ display: 'block', fontWeight: 600 }} data-testid={`wizard-${id}-available`}>
                      {available}
                    </Box>
                  ) : null}
                  {imagesHelp}
                </>
              )
            }
            slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': `wizard-${id}-images` } }}
          />
        </Grid>
      ) : null}
    </Grid>
  );
}
