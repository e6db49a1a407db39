import { useEffect, useMemo, useState, type KeyboardEvent, type ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import Grid from '@mui/material/Grid';
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
import type { GridSpec, GridView } from '../../../src-shared/grid';
import { StudyPlan } from '../../../src-shared/study-plan';
import { useClient } from '../../app/ClientContext';
import { useNavigation } from '../../app/navigation';
import { MONO_FONT } from '../../app/theme';
import { errorMessage } from '../../shared/errors.viewmodel';
import { ChoiceLabel } from '../../shared/ChoiceLabel';
import { KeyValueList } from '../../shared/KeyValueList';
import { PlayIcon } from '../../shared/icons';
import { formatFraction } from '../../shared/strategies';
import { useDatasets } from '../datasets/DatasetsStore';
import { useJobs } from '../jobs/JobsStore';
import { TARGET_ARCHS } from '../models/models.viewmodel';
import { useModels } from '../models/ModelsStore';
import { WeightsPickerCard } from '../models/WeightsPickerCard';
import {
  ARCH_CHOICES,
  FIELD_HELP,
  GRID_STEP_LABELS,
  HYPER_LABELS,
  INITIALISATIONS,
  METHODS,
  addSorted,
  buildGridSpec,
  checkGridForm,
  checkGridStep,
  fieldOfGridIssue,
  formFromGrid,
  gridSteps,
  hyperFields,
  inputSizeNote,
  parseFraction,
  parseSeed,
  reviewRuns,
  reviewSummary,
  stepOfField,
  strategyOf,
  trainingDatasetChoices,
  weightsWarnings,
  type FieldErrors,
  type GridForm,
  type GridStep,
  type HyperField,
} from './training.viewmodel';
import { ComputeStep } from './ComputeStep';
import { TestSetsStep } from './TestSetsStep';
import { analysesFromPlan, analysesSummary, benchJobFor, benchResult, buildStudyPlan, checkAnalyses, estimateText, studyEstimate, type AnalysesErrors, type AnalysesForm } from './study-wizard.viewmodel';

export type LaunchResult = ChannelOutput<'grid.launch'>;

interface Props {
  studyPath: string;
  initial: GridSpec | null;
  /** The plan the study last ran (its test sets and analyses), or null. */
  initialPlan: StudyPlan | null;
  onCancel(): void;
  onSaved(view: GridView, launched: LaunchResult | null): void;
  /** The whole study was launched as one study.run job (it is in the jobs list). */
  onStudyLaunched(view: GridView): void;
}

/** Moves focus to the step's first field when the step changes (keyboard users stay in the flow). */
function useStepFocus(step: GridStep) {
  useEffect(() => {
    document.querySelector<HTMLElement>('[data-step-focus="true"]')?.focus();
  }, [step]);
}

/**
 * The study, step by step: training dataset, test sets and analyses, strategies, fractions and seeds,
 * hyperparameters, weights, compute backend with a measured duration estimate, review; then Save (the
 * grid), Save and train (the grid's runs), or Run the whole study (one study.run job: training,
 * evaluations, analyses, report).
 */
export function GridWizard({ studyPath, initial, initialPlan, onCancel, onSaved, onStudyLaunched }: Props) {
  const client = useClient();
  const { navigate } = useNavigation();
  const { datasets } = useDatasets();
  const { jobs, submit } = useJobs();
  const [analyses, setAnalyses] = useState<AnalysesForm | null>(null);
  const [analysesErrors, setAnalysesErrors] = useState<AnalysesErrors>({});
  const { slots, update } = useModels();
  const [form, setForm] = useState<GridForm>(() => formFromGrid(initial));
  const [stepIndex, setStepIndex] = useState(0);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [fractionText, setFractionText] = useState('');
  const [seedText, setSeedText] = useState('');

  // The weight files are the Models page's pickers; a stored grid's files are put into them first.
  const [fsPath, clPath] = [slots.fs.path, slots.cl.path];
  useEffect(() => {
    if (initial?.imagenetWeights && initial.imagenetWeights !== fsPath) update('fs', { path: initial.imagenetWeights });
    if (initial?.mocoWeights && initial.mocoWeights !== clPath) update('cl', { path: initial.mocoWeights });
    // Only when the wizard opens on a grid: later edits in the pickers are the user's.
  }, [initial, update]);
  const full: GridForm = useMemo(() => ({ ...form, imagenetWeights: fsPath, mocoWeights: clPath }), [form, fsPath, clPath]);

  const steps = gridSteps(form.strategies);
  const step = steps[Math.min(stepIndex, steps.length - 1)]!;
  useStepFocus(step);
  const choices = useMemo(() => trainingDatasetChoices(datasets), [datasets]);
  const review = useMemo(() => (step === 'review' ? reviewRuns(full) : null), [step, full]);
  // The test sets and analyses start from the study's last plan, else from defaults for the chosen training dataset.
  useEffect(() => {
    if (step === 'tests' && analyses === null && datasets) setAnalyses(analysesFromPlan(initialPlan, datasets, form.datasetId));
  }, [step, analyses, datasets, initialPlan, form.datasetId]);
  const benchConfig = { arch: form.arch.trim(), inputSize: Number(form.inputSize), batchSize: Number(form.batchSize) };
  const reviewEstimate = useMemo(() => {
    if (step !== 'review' || !analyses) return null;
    return studyEstimate(buildGridSpec(full), analyses, datasets, benchResult(benchJobFor(jobs, benchConfig))).estimate;
    // benchConfig is derived from form
  }, [step, analyses, full, datasets, jobs]);

  // The pickers plan the import for the grid's architecture when they can.
  useEffect(() => {
    if (step !== 'weights') return;
    const arch = form.arch.trim();
    if (!(TARGET_ARCHS as readonly string[]).includes(arch)) return;
    for (const slot of ['fs', 'cl'] as const) if (slots[slot].target !== arch) update(slot, { target: arch });
  }, [step, form.arch, slots, update]);

  function edit<K extends keyof GridForm>(field: K, value: GridForm[K]) {
    setForm((f) => ({ ...f, [field]: value }));
    setErrors(({ [field]: _dropped, ...rest }) => rest);
    setGeneral(null);
  }

  function next() {
    const found = checkGridStep(full, step);
    setErrors(found);
    setGeneral(null);
    if (step === 'tests') {
      const bad = analyses ? checkAnalyses(analyses, datasets) : { testSets: 'Loading the datasets…' };
      setAnalysesErrors(bad);
      if (Object.keys(bad).length > 0) return;
    }
    if (Object.keys(found).length === 0) setStepIndex((i) => Math.min(i + 1, steps.length - 1));
  }

  function back() {
    setErrors({});
    setGeneral(null);
    setStepIndex((i) => Math.max(0, i - 1));
  }

  function goToField(field: keyof GridForm) {
    const target = steps.indexOf(stepOfField(field));
    if (target >= 0) setStepIndex(target);
  }

  function addFraction() {
    const parsed = parseFraction(fractionText);
    if ('error' in parsed) {
      setErrors((e) => ({ ...e, fractions: parsed.error }));
      return;
    }
    edit('fractions', addSorted(form.fractions, parsed.value));
    setFractionText('');
  }

  function addSeed() {
    const parsed = parseSeed(seedText);
    if ('error' in parsed) {
      setErrors((e) => ({ ...e, seeds: parsed.error }));
      return;
    }
    edit('seeds', addSorted(form.seeds, parsed.value));
    setSeedText('');
  }

  const onEnter = (action: () => void) => (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      action();
    }
  };

  async function save(launch: boolean | 'study') {
    const found = checkGridForm(full);
    setErrors(found);
    const firstField = Object.keys(found)[0] as keyof GridForm | undefined;
    if (firstField) {
      setGeneral('Some answers need fixing: they are marked next to their fields.');
      goToField(firstField);
      return;
    }
    setBusy(true);
    setGeneral(null);
    try {
      const spec = buildGridSpec(full);
      if (launch === 'study') {
        const problems = analyses ? checkAnalyses(analyses, datasets) : { testSets: 'Choose the test sets.' };
        if (!analyses || Object.keys(problems).length > 0) {
          setAnalysesErrors(problems);
          setGeneral('Some answers need fixing: they are marked next to their fields.');
          setStepIndex(steps.indexOf('tests'));
          return;
        }
      }
      const view = await client.call('grid.save', { studyPath, spec });
      if (launch === 'study') {
        await submit({ kind: 'study.run', params: StudyPlan.parse(buildStudyPlan(spec, analyses!)), studyPath });
        onStudyLaunched(view);
        return;
      }
      const launched = launch ? await client.call('grid.launch', { studyPath }) : null;
      onSaved(view, launched);
    } catch (err) {
      const fields: FieldErrors = {};
      const issues = (err as { issues?: { path: string; message: string }[] }).issues ?? [];
      for (const issue of issues) {
        const field = fieldOfGridIssue(issue.path);
        if (field) fields[field] ??= issue.message;
      }
      setErrors(fields);
      setGeneral(errorMessage(err));
      const firstBad = Object.keys(fields)[0] as keyof GridForm | undefined;
      if (firstBad) goToField(firstBad);
    } finally {
      setBusy(false);
    }
  }

  const hyperField = (field: HyperField, focus = false) => (
    <TextField
      key={field}
      id={`grid-${field}`}
      label={HYPER_LABELS[field]}
      value={form[field]}
      onChange={(e) => edit(field, e.target.value)}
      error={Boolean(errors[field])}
      helperText={errors[field] ?? FIELD_HELP[field]}
      size="small"
      fullWidth
      autoComplete="off"
      slotProps={{ htmlInput: { inputMode: field.endsWith('Lr') ? 'decimal' : 'numeric', 'data-testid': `grid-${field}`, ...(focus ? { 'data-step-focus': 'true' } : {}) } }}
    />
  );
  const fields = hyperFields(form.strategies);
  const dataset = choices.find((c) => c.id === form.datasetId);
  const sizeNote = inputSizeNote(form, dataset);

  return (
    <Card component="section" aria-labelledby="grid-wizard-title" data-testid="grid-wizard">
      <CardContent>
        <Typography variant="h2" id="grid-wizard-title" gutterBottom>
          {initial ? 'Edit the study' : 'Set up the study'}
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          The training grid is every combination of strategy, label fraction and seed; each is one training run. It is saved in the study as grid.json, and each
          run keeps its own folder, so finished runs stay finished and unfinished ones resume. Running the whole study then evaluates every run on the test sets,
          runs the analyses and builds the report.
        </Typography>
        <Stepper activeStep={stepIndex} alternativeLabel sx={{ mb: 3 }} aria-label="Grid steps">
          {steps.map((s) => (
            <Step key={s}>
              <StepLabel error={Object.keys(errors).some((f) => stepOfField(f as keyof GridForm) === s)}>{GRID_STEP_LABELS[s]}</StepLabel>
            </Step>
          ))}
        </Stepper>

        <Box sx={{ minHeight: 200 }}>
          {step === 'dataset' ? (
            <Box>
              <Typography variant="body2" sx={{ mb: 1.5, maxWidth: '80ch' }}>
                {FIELD_HELP.datasetId}.
              </Typography>
              {datasets && choices.length === 0 ? (
                <Alert severity="info" action={<Button onClick={() => navigate('datasets')}>Go to Datasets</Button>}>
                  The study has no datasets yet: import one first.
                </Alert>
              ) : null}
              <RadioGroup aria-label="Dataset to train on" value={form.datasetId} onChange={(e) => edit('datasetId', e.target.value)}>
                {choices.map((c, i) => (
                  <FormControlLabel
                    key={c.id}
                    value={c.id}
                    disabled={c.disabledReason !== null}
                    sx={{ mb: 0.5, mr: 0 }}
                    control={<Radio size="small" slotProps={{ input: { 'data-testid': `grid-dataset-${c.id}`, ...(i === 0 ? { 'data-step-focus': 'true' } : {}) } as object }} />}
                    label={<ChoiceLabel label={c.label} note={c.disabledReason} />}
                  />
                ))}
              </RadioGroup>
              {errors.datasetId ? <FormHelperText error>{errors.datasetId}</FormHelperText> : null}
            </Box>
          ) : null}

          {step === 'tests' ? (
            analyses ? (
              <TestSetsStep
                form={analyses}
                errors={analysesErrors}
                datasets={datasets}
                trainingId={form.datasetId}
                onChange={(a) => {
                  setAnalyses(a);
                  setAnalysesErrors({});
                  setGeneral(null);
                }}
              />
            ) : (
              <Typography variant="body2">Loading the datasets…</Typography>
            )
          ) : null}

          {step === 'compute' && analyses ? <ComputeStep config={benchConfig} grid={buildGridSpec(full)} analyses={analyses} datasets={datasets} /> : null}

          {step === 'strategies' ? (
            <Box>
              <Typography variant="body2" sx={{ mb: 1.5, maxWidth: '80ch' }}>
                {FIELD_HELP.strategies}
              </Typography>
              <TableContainer sx={{ maxWidth: 760 }}>
                <Table size="small" aria-label="Strategies: initialisation by training method" data-testid="grid-strategies" sx={{ tableLayout: 'fixed' }}>
                  <TableHead>
                    <TableRow>
                      <TableCell sx={{ width: '36%', verticalAlign: 'bottom' }}>Initialisation</TableCell>
                      {METHODS.map((m) => (
                        <TableCell key={m.id} sx={{ width: m.id === 'FS' ? '28%' : '36%', verticalAlign: 'bottom' }}>
                          {m.label}
                          <Typography variant="caption" component="div" sx={{ color: 'text.secondary', fontWeight: 400 }}>
                            {m.text}
                          </Typography>
                        </TableCell>
                      ))}
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {INITIALISATIONS.map((init, r) => (
                      <TableRow key={init.id}>
                        <TableCell component="th" scope="row">
                          <Typography variant="body2" sx={{ fontWeight: 600 }}>
                            {init.label}
                          </Typography>
                          <Typography variant="caption" sx={{ color: 'text.secondary' }}>
                            {init.text}
                          </Typography>
                        </TableCell>
                        {METHODS.map((m, c) => {
                          const s = strategyOf(init.id, m.id);
                          const checked = form.strategies.includes(s);
                          return (
                            <TableCell key={m.id}>
                              <FormControlLabel
                                label={s}
                                control={
                                  <Checkbox
                                    checked={checked}
                                    onChange={(e) => edit('strategies', e.target.checked ? [...form.strategies, s] : form.strategies.filter((x) => x !== s))}
                                    slotProps={{ input: { 'data-testid': `grid-strategy-${s}`, ...(r === 0 && c === 0 ? { 'data-step-focus': 'true' } : {}) } as object }}
                                  />
                                }
                              />
                            </TableCell>
                          );
                        })}
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </TableContainer>
              {errors.strategies ? <FormHelperText error>{errors.strategies}</FormHelperText> : null}
            </Box>
          ) : null}

          {step === 'fractions' ? (
            <Grid container spacing={4}>
              {(
                [
                  ['fractions', 'Label fractions', form.fractions.map((f) => ({ value: f, label: formatFraction(f) })), fractionText, setFractionText, addFraction, 'e.g. 0.05 or 5 %'],
                  ['seeds', 'Seeds', form.seeds.map((s) => ({ value: s, label: `seed ${s}` })), seedText, setSeedText, addSeed, 'e.g. 1'],
                ] as const
              ).map(([field, title, chips, text, setText, add, placeholder]) => (
                <Grid key={field} size={{ xs: 12, md: 6 }}>
                  <Typography variant="h3" gutterBottom>
                    {title}
                  </Typography>
                  <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, mb: 1.5, minHeight: 32 }} data-testid={`grid-${field}`}>
                    {chips.map((c) => (
                      <Chip
                        key={c.value}
                        label={c.label}
                        onDelete={() => edit(field, (form[field] as number[]).filter((v) => v !== c.value))}
                        data-testid={`grid-${field}-chip`}
                        data-value={c.value}
                      />
                    ))}
                    {chips.length === 0 ? (
                      <Typography variant="body2" sx={{ color: 'text.secondary' }}>
                        None yet.
                      </Typography>
                    ) : null}
                  </Box>
                  <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}>
                    <TextField
                      size="small"
                      label={`Add ${field === 'fractions' ? 'a fraction' : 'a seed'}`}
                      placeholder={placeholder}
                      value={text}
                      onChange={(e) => {
                        setText(e.target.value);
                        setErrors(({ [field]: _d, ...rest }) => rest);
                      }}
                      onKeyDown={onEnter(add)}
                      error={Boolean(errors[field])}
                      helperText={errors[field] ?? FIELD_HELP[field]}
                      sx={{ flex: 1 }}
                      slotProps={{ htmlInput: { 'data-testid': `grid-${field}-input`, ...(field === 'fractions' ? { 'data-step-focus': 'true' } : {}) } }}
                    />
                    <Button variant="outlined" onClick={add} sx={{ height: 40 }} data-testid={`grid-${field}-add`}>
                      Add
                    </Button>
                  </Box>
                </Grid>
              ))}
            </Grid>
          ) : null}

          {step === 'hyper' ? (
            <Stack spacing={3}>
              <Section title="Model">
                <Grid container spacing={2}>
                  <Grid size={{ xs: 12, md: 4 }}>
                    <TextField
                      select
                      id="grid-arch"
                      label={HYPER_LABELS.arch}
                      value={form.arch}
                      onChange={(e) => edit('arch', e.target.value)}
                      error={Boolean(errors.arch)}
                      helperText={errors.arch ?? FIELD_HELP.arch}
                      size="small"
                      fullWidth
                      slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'grid-arch', 'data-step-focus': 'true' } as object } }}
                    >
                      {[...new Set<string>([...ARCH_CHOICES, form.arch])].map((a) => (
                        <MenuItem key={a} value={a} data-testid={`grid-arch-option-${a}`}>
                          {a}
                        </MenuItem>
                      ))}
                    </TextField>
                  </Grid>
                  <Grid size={{ xs: 12, md: 4 }}>{hyperField('inputSize')}</Grid>
                  <Grid size={{ xs: 12, md: 4 }}>{hyperField('batchSize')}</Grid>
                </Grid>
                {sizeNote ? (
                  <Alert severity="info" sx={{ mt: 2 }} data-testid="grid-size-note">
                    {sizeNote}
                  </Alert>
                ) : null}
              </Section>
              {fields.includes('iwneEpochs') ? (
                <Section title="IWNE runs (random initialisation)" note="Paper: 500 epochs at 1e-4.">
                  <Grid container spacing={2}>
                    <Grid size={{ xs: 12, md: 6 }}>{hyperField('iwneEpochs')}</Grid>
                    <Grid size={{ xs: 12, md: 6 }}>{hyperField('iwneLr')}</Grid>
                  </Grid>
                </Section>
              ) : null}
              {fields.includes('ifiEpochs') ? (
                <Section title="IFI runs (ImageNet initialisation)" note="Paper: 50 epochs at 1e-3.">
                  <Grid container spacing={2}>
                    <Grid size={{ xs: 12, md: 6 }}>{hyperField('ifiEpochs')}</Grid>
                    <Grid size={{ xs: 12, md: 6 }}>{hyperField('ifiLr')}</Grid>
                  </Grid>
                </Section>
              ) : null}
              {fields.includes('mocoEpochs') ? (
                <Section title="MoCo v2 pretraining (IWNE-CL)" note="Official MoCo v2: 200 epochs at 0.03 (SGD, cosine), K = 65,536. Shared by every IWNE-CL run with the same settings.">
                  <Grid container spacing={2}>
                    <Grid size={{ xs: 12, md: 4 }}>{hyperField('mocoEpochs')}</Grid>
                    <Grid size={{ xs: 12, md: 4 }}>{hyperField('mocoLr')}</Grid>
                    <Grid size={{ xs: 12, md: 4 }}>{hyperField('mocoQueue')}</Grid>
                  </Grid>
                </Section>
              ) : null}
            </Stack>
          ) : null}

          {step === 'weights' ? (
            <Stack spacing={2}>
              {weightsWarnings(full).map((w) => (
                <Alert key={w} severity="warning" data-testid="grid-weights-warning">
                  {w}
                </Alert>
              ))}
              {!(TARGET_ARCHS as readonly string[]).includes(form.arch.trim()) ? (
                <Alert severity="info">The pickers plan imports for {TARGET_ARCHS.join(', ')}; choose the closest one to check the file against.</Alert>
              ) : null}
              {form.strategies.includes('IFI-FS') ? <WeightsPickerCard slot="fs" /> : null}
              {form.strategies.includes('IFI-CL') ? <WeightsPickerCard slot="cl" /> : null}
              {errors.imagenetWeights || errors.mocoWeights ? <FormHelperText error>{errors.imagenetWeights ?? errors.mocoWeights}</FormHelperText> : null}
            </Stack>
          ) : null}

          {step === 'review' ? (
            <Box data-testid="grid-review">
              <KeyValueList
                rows={[
                  ...reviewSummary(full),
                  ...(analyses ? analysesSummary(analyses) : []),
                  { label: 'Estimated duration', value: reviewEstimate ? `${estimateText(reviewEstimate.totalSeconds)} for the whole study` : 'not measured (Compute step)' },
                ]}
                labelWidth={160}
              />
              {review?.error ? (
                <Alert severity="error" sx={{ mt: 2 }}>
                  {review.error}
                </Alert>
              ) : null}
              {review && review.runs.length > 0 ? (
                <>
                  <Typography variant="h3" sx={{ mt: 3, mb: 1 }}>
                    {review.runs.length} run{review.runs.length === 1 ? '' : 's'}
                  </Typography>
                  <TableContainer sx={{ maxHeight: 320, border: 1, borderColor: 'divider', borderRadius: 1 }}>
                    <Table size="small" stickyHeader aria-label="Runs the grid will create" data-testid="grid-review-runs">
                      <TableHead>
                        <TableRow>
                          <TableCell>Strategy</TableCell>
                          <TableCell>Fraction</TableCell>
                          <TableCell>Seed</TableCell>
                          <TableCell>Training</TableCell>
                          <TableCell>Run folder</TableCell>
                        </TableRow>
                      </TableHead>
                      <TableBody>
                        {review.runs.map((r) => (
                          <TableRow key={r.runId}>
                            <TableCell>{r.strategy}</TableCell>
                            <TableCell>{r.fraction}</TableCell>
                            <TableCell>{r.seed}</TableCell>
                            <TableCell>
                              {r.training}
                              {r.note ? (
                                <Typography variant="caption" component="div" sx={{ color: 'warning.main' }}>
                                  {r.note}
                                </Typography>
                              ) : null}
                            </TableCell>
                            <TableCell sx={{ fontFamily: MONO_FONT, fontSize: '0.8125rem', overflowWrap: 'anywhere' }}>runs/{r.runId}</TableCell>
                          </TableRow>
                        ))}
                      </TableBody>
                    </Table>
                  </TableContainer>
                </>
              ) : null}
            </Box>
          ) : null}
        </Box>

        {general ? (
          <Alert severity="error" sx={{ mt: 2 }} data-testid="grid-error">
            {general}
          </Alert>
        ) : null}

        <Box sx={{ display: 'flex', gap: 1, mt: 3, flexWrap: 'wrap' }}>
          <Button onClick={onCancel} color="inherit" disabled={busy}>
            Cancel
          </Button>
          <Box sx={{ flex: 1 }} />
          <Button onClick={back} disabled={stepIndex === 0 || busy} data-testid="grid-back">
            Back
          </Button>
          {step === 'review' ? (
            <>
              <Button variant="outlined" onClick={() => void save(false)} disabled={busy} data-testid="grid-save">
                Save
              </Button>
              <Button variant="outlined" startIcon={<PlayIcon />} onClick={() => void save(true)} disabled={busy} data-testid="grid-save-launch">
                Save and train
              </Button>
              <Button variant="contained" startIcon={<PlayIcon />} onClick={() => void save('study')} disabled={busy} data-testid="grid-run-study">
                Run the whole study
              </Button>
            </>
          ) : (
            <Button variant="contained" onClick={next} disabled={busy} data-testid="grid-next">
              Next
            </Button>
          )}
        </Box>
      </CardContent>
    </Card>
  );
}

function Section({ title, note, children }: { title: string; note?: string; children: ReactNode }) {
  return (
    <Box component="section">
      <Typography variant="h3" gutterBottom>
        {title}
      </Typography>
      {note ? (
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5 }}>
          {note}
        </Typography>
      ) : null}
      {children}
    </Box>
  );
}
