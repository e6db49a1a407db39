import { useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import Step from '@mui/material/Step';
import StepLabel from '@mui/material/StepLabel';
import Stepper from '@mui/material/Stepper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { ChannelOutput } from '../../../src-shared/contract';
import type { DatasetType } from '../../../src-shared/datasets';
import { useClient } from '../../app/ClientContext';
import { MONO_FONT } from '../../app/theme';
import { errorMessage, splitError } from '../../shared/errors.viewmodel';
import { KeyValueList } from '../../shared/KeyValueList';
import { PlayIcon } from '../../shared/icons';
import { useJobs } from '../jobs/JobsStore';
import { JobProgressBar } from '../jobs/JobProgressBar';
import { jobViewModel } from '../jobs/jobs.viewmodel';
import { FolderField } from '../study/FolderField';
import {
  buildImportRequest,
  checkCsvPath,
  checkImportForm,
  checkWizardStep,
  DATASET_TYPES,
  fieldOfIssuePath,
  guessColumns,
  IMAGE_USES,
  importedDatasetId,
  INITIAL_WIZARD,
  replaceQuestion,
  reviewRows,
  STEP_LABELS,
  wizardSteps,
  type FieldErrors,
  type ImageUse,
  type WizardForm,
} from './datasets.viewmodel';
import { useDatasets } from './DatasetsStore';

type CsvPreview = ChannelOutput<'datasets.csvPreview'>;

/** Moves focus to the step's first field when the step changes (keyboard users stay in the flow). */
function useStepFocus(step: number) {
  useEffect(() => {
    const el = document.querySelector<HTMLElement>('[data-step-focus="true"]');
    el?.focus();
  }, [step]);
}

export function ImportWizard({ onCancel }: { onCancel(): void }) {
  const client = useClient();
  const { jobs, submit, cancel } = useJobs();
  const { studyPath, show, refresh } = useDatasets();
  const [form, setForm] = useState<WizardForm>(INITIAL_WIZARD);
  const [stepIndex, setStepIndex] = useState(0);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [previewFor, setPreviewFor] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const steps = wizardSteps(form.type);
  const step = steps[Math.min(stepIndex, steps.length - 1)]!;
  useStepFocus(stepIndex);

  const job = jobId ? jobs.find((j) => j.id === jobId) : undefined;
  const vm = job ? jobViewModel(job, Date.now()) : null;
  const running = vm ? vm.status === 'queued' || vm.status === 'running' : false;
  const doneId = importedDatasetId(job);

  useEffect(() => {
    if (doneId) {
      refresh();
      show({ kind: 'detail', id: doneId });
    }
  }, [doneId, refresh, show]);

  function edit<K extends keyof WizardForm>(field: K, value: WizardForm[K]) {
    setForm((f) => ({ ...f, [field]: value }));
    setErrors(({ [field]: _dropped, ...rest }) => rest);
    setGeneral(null);
  }

  async function loadPreview(): Promise<boolean> {
    const csv = form.csv.trim();
    if (preview && previewFor === csv) return true;
    const bad = checkCsvPath(csv);
    if (bad) {
      setErrors((e) => ({ ...e, csv: bad }));
      return false;
    }
    setBusy(true);
    try {
      const p = await client.call('datasets.csvPreview', { path: csv });
      setPreview(p);
      setPreviewFor(csv);
      const guess = guessColumns(p.columns);
      setForm((f) => ({
        ...f,
        imageColumn: p.columns.includes(f.imageColumn) ? f.imageColumn : guess.imageColumn,
        gradeColumn: p.columns.includes(f.gradeColumn) ? f.gradeColumn : guess.gradeColumn,
        patientColumn: p.columns.includes(f.patientColumn) ? f.patientColumn : guess.patientColumn,
      }));
      return true;
    } catch (err) {
      const shown = splitError(err, ['path']);
      setErrors((e) => ({ ...e, csv: shown.fields.path ?? shown.general ?? errorMessage(err) }));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function next() {
    const found = checkWizardStep(form, step);
    setErrors(found);
    setGeneral(null);
    if (Object.keys(found).length > 0) return;
    if (step === 'folder' && form.type === 'folder' && !(await loadPreview())) return;
    setStepIndex((i) => Math.min(i + 1, steps.length - 1));
  }

  function back() {
    setErrors({});
    setGeneral(null);
    setStepIndex((i) => Math.max(0, i - 1));
  }

  async function startImport(replace = false) {
    if (!studyPath) return;
    const found = checkImportForm(form);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setGeneral('Some answers need fixing: go back to the step named in the message next to its field.');
      return;
    }
    setBusy(true);
    setGeneral(null);
    try {
      const state = await submit({ kind: 'dataset.import', params: buildImportRequest(form, replace), studyPath });
      setJobId(state.id);
    } catch (err) {
      const shown = splitError(err, ['params']);
      const fields: FieldErrors = {};
      for (const issue of (err as { issues?: { path: string; message: string }[] }).issues ?? []) {
        const field = fieldOfIssuePath(issue.path.replace(/^params\./, ''));
        fields[field] ??= issue.message;
      }
      setErrors(fields);
      setGeneral(shown.general ?? errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const question = replaceQuestion(job);
  const failed = job && vm && !running && !doneId && !question;

  return (
    <Card component="section" aria-labelledby="import-title" data-testid="import-wizard">
      <CardContent>
        <Typography variant="h2" id="import-title" gutterBottom>
          Import a dataset
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '75ch' }}>
          FundusLab reads the dataset folder (it never writes there), checks every image, and keeps a preprocessed copy in the study folder.
        </Typography>
        <Stepper activeStep={stepIndex} alternativeLabel sx={{ mb: 3 }} aria-label="Import steps">
          {steps.map((s) => (
            <Step key={s}>
              <StepLabel>{STEP_LABELS[s]}</StepLabel>
            </Step>
          ))}
        </Stepper>

        <Box sx={{ minHeight: 180 }}>
          {step === 'type' ? (
            <RadioGroup
              aria-label="Dataset type"
              value={form.type}
              onChange={(e) => {
                edit('type', e.target.value as DatasetType);
                setPreview(null);
              }}
            >
              {DATASET_TYPES.map((t, i) => (
                <FormControlLabel
                  key={t.type}
                  value={t.type}
                  sx={{ alignItems: 'flex-start', mb: 1, mr: 0 }}
                  control={
                    <Radio
                      size="small"
                      sx={{ mt: -0.5 }}
                      slotProps={{
                        input: { 'data-testid': `import-type-${t.type}`, ...(i === 0 ? { 'data-step-focus': 'true' } : {}) } as object,
                      }}
                    />
                  }
                  label={
                    <Box>
                      <Typography variant="body1" sx={{ fontWeight: 600 }}>
                        {t.label}
                      </Typography>
                      <Typography variant="body2" sx={{ color: 'text.secondary' }}>
                        {t.layout}
                      </Typography>
                    </Box>
                  }
                />
              ))}
            </RadioGroup>
          ) : null}

          {step === 'folder' ? (
            <Stack spacing={2}>
              <Alert severity="info" variant="outlined">
                {DATASET_TYPES.find((t) => t.type === form.type)?.layout}
              </Alert>
              <FolderField
                id="import-path"
                label="Dataset folder"
                value={form.path}
                onChange={(v) => edit('path', v)}
                error={errors.path}
                helperText="The absolute path of the dataset's root folder, as described above."
                testId="import-path"
                dialogTitle="Choose the dataset folder"
                onDialogError={setGeneral}
              />
              {form.type === 'folder' ? (
                <TextField
                  id="import-csv"
                  label="Label CSV file"
                  value={form.csv}
                  onChange={(e) => {
                    edit('csv', e.target.value);
                    setPreview(null);
                  }}
                  error={Boolean(errors.csv)}
                  helperText={errors.csv ?? 'The absolute path of the CSV that names each image and its grade.'}
                  size="small"
                  fullWidth
                  autoComplete="off"
                  spellCheck={false}
                  slotProps={{ htmlInput: { 'data-testid': 'import-csv', style: { fontFamily: MONO_FONT } } }}
                />
              ) : null}
            </Stack>
          ) : null}

          {step === 'columns' && preview ? (
            <Stack spacing={2}>
              <Typography variant="body2">
                {preview.rowCount.toLocaleString('en')} rows in <code>{previewFor}</code>. Pick the columns that hold each value.
              </Typography>
              <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
                {(
                  [
                    ['imageColumn', 'Image file or id', true],
                    ['gradeColumn', 'DR grade (0-4)', true],
                    ['patientColumn', 'Patient (optional)', false],
                  ] as const
                ).map(([field, label, required], i) => (
                  <TextField
                    key={field}
                    select
                    id={`import-${field}`}
                    label={label}
                    value={form[field]}
                    onChange={(e) => edit(field, e.target.value)}
                    error={Boolean(errors[field])}
                    helperText={errors[field] ?? (required ? ' ' : 'None: each image is its own patient')}
                    size="small"
                    sx={{ minWidth: 220, flex: 1 }}
                    slotProps={{
                      select: {
                        SelectDisplayProps: {
                          'data-testid': `import-${field}`,
                          ...(i === 0 ? { 'data-step-focus': 'true' } : {}),
                        } as object,
                      },
                    }}
                  >
                    {!required ? <MenuItem value="">None</MenuItem> : null}
                    {preview.columns.map((c) => (
                      <MenuItem key={c} value={c}>
                        {c}
                      </MenuItem>
                    ))}
                  </TextField>
                ))}
              </Stack>
              <TableContainer sx={{ maxHeight: 260, border: 1, borderColor: 'divider', borderRadius: 1 }}>
                <Table size="small" stickyHeader aria-label="First rows of the CSV" data-testid="csv-preview">
                  <TableHead>
                    <TableRow>
                      {preview.columns.map((c) => (
                        <TableCell key={c} sx={{ fontWeight: 600, whiteSpace: 'nowrap' }}>
                          {c}
                          {c === form.imageColumn
                            ? ' (image)'
                            : c === form.gradeColumn
                              ? ' (grade)'
                              : c === form.patientColumn
                                ? ' (patient)'
                                : ''}
                        </TableCell>
                      ))}
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {preview.rows.map((r, i) => (
                      <TableRow key={i}>
                        {r.map((cell, j) => (
                          <TableCell key={j} sx={{ fontFamily: MONO_FONT, fontSize: '0.8125rem', maxWidth: 240, overflowWrap: 'anywhere' }}>
                            {cell}
                          </TableCell>
                        ))}
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </TableContainer>
            </Stack>
          ) : null}

          {step === 'options' ? (
            <Stack spacing={2} sx={{ maxWidth: 560 }}>
              <Stack direction="row" spacing={2}>
                <TextField
                  id="import-input-size"
                  label="Input size (px)"
                  value={form.inputSize}
                  onChange={(e) => edit('inputSize', e.target.value)}
                  error={Boolean(errors.inputSize)}
                  helperText={errors.inputSize ?? 'Training input side; the paper uses 224.'}
                  size="small"
                  disabled={form.validateOnly}
                  slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'import-input-size', 'data-step-focus': 'true' } }}
                />
                <TextField
                  id="import-overlay-size"
                  label="Overlay size (px)"
                  value={form.overlaySize}
                  onChange={(e) => edit('overlaySize', e.target.value)}
                  error={Boolean(errors.overlaySize)}
                  helperText={errors.overlaySize ?? 'Larger copy for viewing and overlays (never larger than the source).'}
                  size="small"
                  disabled={form.validateOnly}
                  slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'import-overlay-size' } }}
                />
              </Stack>
              <Typography variant="subtitle2" id="import-use-label">
                What the images are for
              </Typography>
              <RadioGroup aria-labelledby="import-use-label" value={form.use} onChange={(e) => edit('use', e.target.value as ImageUse)}>
                {IMAGE_USES.map((u) => (
                  <FormControlLabel
                    key={u.use}
                    value={u.use}
                    sx={{ alignItems: 'flex-start', mb: 0.5, mr: 0 }}
                    control={
                      <Radio size="small" sx={{ mt: -0.5 }} slotProps={{ input: { 'data-testid': `import-use-${u.use}` } as object }} />
                    }
                    label={
                      <Box>
                        <Typography variant="body2" sx={{ fontWeight: 600 }}>
                          {u.label}
                        </Typography>
                        <Typography variant="body2" sx={{ color: 'text.secondary' }}>
                          {u.help}
                        </Typography>
                      </Box>
                    }
                  />
                ))}
              </RadioGroup>
              <FormControlLabel
                control={
                  <Checkbox
                    checked={form.validateOnly}
                    onChange={(e) => edit('validateOnly', e.target.checked)}
                    slotProps={{ input: { 'data-testid': 'import-validate-only' } as object }}
                  />
                }
                label="Validate only: check every image and write the report, but keep no preprocessed copies (no thumbnails)"
              />
            </Stack>
          ) : null}

          {step === 'review' ? (
            <Box data-testid="import-review">
              <KeyValueList rows={reviewRows(form)} labelWidth={130} />
            </Box>
          ) : null}
        </Box>

        {general ? (
          <Alert severity="error" sx={{ mt: 2 }} data-testid="import-error">
            {general}
          </Alert>
        ) : null}

        {job && vm && running ? (
          <Box sx={{ mt: 2 }}>
            <JobProgressBar
              vm={vm}
              testId="import-progress"
              label="Import progress"
              cancelText="Cancel import"
              onCancel={() => void cancel(job.id).catch((e: unknown) => setGeneral(errorMessage(e)))}
            />
          </Box>
        ) : null}

        {failed ? (
          <Alert severity={vm.status === 'failed' ? 'error' : 'warning'} sx={{ mt: 2 }} data-testid="import-failed" data-status={vm.status}>
            {vm.status === 'failed'
              ? `The import failed: ${vm.error ?? 'no reason given'}`
              : vm.status === 'cancelled'
                ? 'The import was cancelled.'
                : `The import ended: ${vm.status}.`}{' '}
            Fix the answers and import again.
          </Alert>
        ) : null}

        {question ? (
          <Alert
            severity="warning"
            sx={{ mt: 2 }}
            data-testid="import-replace-question"
            action={
              <Button color="inherit" size="small" onClick={() => void startImport(true)} disabled={busy} data-testid="import-replace">
                Replace
              </Button>
            }
          >
            {question}
          </Alert>
        ) : null}

        <Box sx={{ display: 'flex', gap: 1, mt: 3 }}>
          <Button onClick={onCancel} color="inherit" disabled={running}>
            Cancel
          </Button>
          <Box sx={{ flex: 1 }} />
          <Button onClick={back} disabled={stepIndex === 0 || busy || running} data-testid="import-back">
            Back
          </Button>
          {step === 'review' ? (
            <Button
              variant="contained"
              startIcon={<PlayIcon />}
              onClick={() => void startImport()}
              disabled={busy || running}
              data-testid="import-start"
            >
              {running ? 'Importing…' : 'Import'}
            </Button>
          ) : (
            <Button variant="contained" onClick={() => void next()} disabled={busy} data-testid="import-next">
              {busy ? 'Reading…' : 'Next'}
            </Button>
          )}
        </Box>
      </CardContent>
    </Card>
  );
}
