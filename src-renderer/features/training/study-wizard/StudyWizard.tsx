import { useEffect, useEffectEvent, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Step from '@mui/material/Step';
import StepLabel from '@mui/material/StepLabel';
import Stepper from '@mui/material/Stepper';
import Typography from '@mui/material/Typography';
import type { ChannelOutput } from '../../../../src-shared/contract';
import type { GridSpec, GridView } from '../../../../src-shared/grid';
import { StudyPlan } from '../../../../src-shared/study-plan';
import { useUnsavedChangesGuard } from '../../../app/useUnsavedChangesGuard';
import { useClient } from '../../../app/ClientContext';
import { explanationUse, latestUse, robustnessUse, spectraUse } from '../../../shared/analysis-images.viewmodel';
import { errorMessage } from '../../../shared/errors.viewmodel';
import { useStudyQuery } from '../../../shared/useStudyQuery';
import { PlayIcon } from '../../../shared/icons';
import { useDatasets } from '../../datasets/DatasetsStore';
import { useJobs } from '../../jobs/JobsStore';
import { useModels } from '../../models/ModelsStore';
import { ComputeStep } from './ComputeStep';
import { PresetBar, type PresetNote } from './PresetBar';
import { applyPreset, presetChanges, presetView, type PresetId } from './presets.viewmodel';
import { DatasetStep } from './DatasetStep';
import { FractionsStep, type ListField } from './FractionsStep';
import { HyperparametersStep } from './HyperparametersStep';
import { ReviewStep } from './ReviewStep';
import { StrategiesStep } from './StrategiesStep';
import { TestSetsStep } from './TestSetsStep';
import { WeightsStep } from './WeightsStep';
import type { GridForm } from './grid-form.viewmodel';
import { buildGridSpec, fieldOfGridIssue, formFromGrid } from './grid-spec.viewmodel';
import {
  GRID_STEP_LABELS,
  checkGridForm,
  checkGridStep,
  gridSteps,
  stepOfField,
  type FieldErrors,
  type GridStep,
} from './grid-steps.viewmodel';
import {
  buildStudyPlan,
  checkAnalyses,
  clampAnalyses,
  startAnalyses,
  type AnalysesErrors,
  type AnalysesForm,
  type BenchConfig,
} from './study-wizard.viewmodel';
import { trainingDatasetChoices } from './training-datasets.viewmodel';
import { editBase, planConflict, saveConflict, type SaveConflict } from './save-conflict.viewmodel';

export type LaunchResult = ChannelOutput<'grid.launch'>;

interface Props {
  studyPath: string;
  initial: GridSpec | null;
  /** grid.json's revision when `initial` was read: the save is based on it. */
  initialRevision: number;
  /** The plan the study last ran (its test sets and analyses), or null. */
  initialPlan: StudyPlan | null;
  onCancel(): void;
  onSaved(view: GridView, launched: LaunchResult | null): void;
  /** The whole study was launched as one study.run job (it is in the jobs list). */
  onStudyLaunched(view: GridView): void;
  /** The grid was read again after a save was refused (changed elsewhere). */
  onReloaded?(view: GridView): void;
}

/**
 * The step labels wrap inside their own column (with a gap between neighbours, the long word breakable at its soft hyphen); when
 * the wizard is narrower than 620 px (200 % zoom, a narrow window) only the current step keeps its visible label, the others keep
 * theirs for screen readers.
 */
const stepperSx = {
  mb: 3,
  containerType: 'inline-size',
  '& .MuiStepLabel-label': { px: 0.5, overflowWrap: 'anywhere', hyphens: 'manual', lineHeight: 1.3, fontSize: '0.8125rem' },
  '@container (max-width: 620px)': {
    '& .MuiStepLabel-label:not(.Mui-active)': {
      position: 'absolute',
      width: '1px',
      height: '1px',
      overflow: 'hidden',
      clip: 'rect(0 0 0 0)',
      whiteSpace: 'nowrap',
    },
  },
} as const;
/** Step labels as shown in the stepper: the long word may break at a soft hyphen (screen readers ignore it). */
const stepLabel = (s: GridStep) => GRID_STEP_LABELS[s].replace('Hyperparameters', 'Hyper\u00adparameters');

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
 * evaluations, analyses, report). This component keeps the answers and moves between the steps; each
 * step is its own component beside it.
 */
export function StudyWizard({ studyPath, initial, initialRevision, initialPlan, onCancel, onSaved, onStudyLaunched, onReloaded }: Props) {
  const client = useClient();
  const { datasets } = useDatasets();
  const { submit, jobs } = useJobs();
  const [analyses, setAnalyses] = useState<AnalysesForm | null>(null);
  const [analysesErrors, setAnalysesErrors] = useState<AnalysesErrors>({});
  const { slots, update } = useModels();
  const [form, setForm] = useState<GridForm>(() => formFromGrid(initial));
  const [openedForm] = useState(form);
  useUnsavedChangesGuard(
    JSON.stringify(form) !== JSON.stringify(openedForm),
    'The study wizard has changes that are not saved. Leave and lose them?',
  );
  const [stepIndex, setStepIndex] = useState(0);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [listTexts, setListTexts] = useState<Record<ListField, string>>({ fractions: '', seeds: '' });
  // The revisions this edit is based on: those loaded with the wizard, or read again by Reload / after a save.
  const [reloaded, setReloaded] = useState<{ grid: GridView; plan: StudyPlan | null } | null>(null);
  // The grid's revision is the one the wizard opened with (the page may read the grid again meanwhile: the form keeps its answers).
  const [openedRevision] = useState(initialRevision);
  const base = reloaded ? editBase(reloaded.grid, reloaded.plan) : editBase({ revision: openedRevision }, initialPlan);
  const [conflict, setConflict] = useState<SaveConflict | null>(null);
  // The preset the answers follow: a new study starts with Quick try (fitted once a dataset is chosen), a stored one with its own
  // settings; and what the last preset choice changed, with the answers before it (Undo).
  const [followed, setFollowed] = useState<PresetId | null>(initial ? null : 'quick');
  const [presetNote, setPresetNote] = useState<(PresetNote & { before: { form: GridForm; analyses: AnalysesForm | null } }) | null>(null);

  // The weight files are the Models page's pickers; a stored grid's files are put into them first.
  const [fsPath, clPath] = [slots.fs.path, slots.cl.path];
  // Only when the wizard opens on a grid (compared with the pickers' paths of that moment): later edits in the pickers are the user's.
  const adoptGridWeights = useEffectEvent((grid: GridSpec | null) => {
    if (grid?.imagenetWeights && grid.imagenetWeights !== fsPath) update('fs', { path: grid.imagenetWeights });
    if (grid?.mocoWeights && grid.mocoWeights !== clPath) update('cl', { path: grid.mocoWeights });
  });
  useEffect(() => adoptGridWeights(initial), [initial]);
  const full: GridForm = useMemo(() => ({ ...form, imagenetWeights: fsPath, mocoWeights: clPath }), [form, fsPath, clPath]);

  const steps = gridSteps(form.strategies);
  const step = steps[Math.min(stepIndex, steps.length - 1)]!;
  useStepFocus(step);
  const choices = useMemo(() => trainingDatasetChoices(datasets), [datasets]);
  // Without a stored plan, the analyses start from the image counts of the study's latest results (e.g. run from the Spectra page).
  const resultsInput = initialPlan === null ? { studyPath } : null;
  const spectraResults = useStudyQuery('spectra.list', resultsInput);
  const robustnessResults = useStudyQuery('robustness.list', resultsInput);
  const explanationResults = useStudyQuery('explanations.list', resultsInput);
  const lastUses = useMemo(
    () => ({
      spectra: latestUse((spectraResults.data ?? []).map(spectraUse)),
      robustness: latestUse((robustnessResults.data ?? []).map(robustnessUse)),
      explain: latestUse((explanationResults.data ?? []).map(explanationUse)),
    }),
    [spectraResults.data, robustnessResults.data, explanationResults.data],
  );
  // The test sets and analyses start from the study's last plan, else from defaults for the chosen training dataset: set in the
  // first render of the step with the datasets loaded.
  if (step === 'tests' && analyses === null && datasets) setAnalyses(startAnalyses(initialPlan, datasets, form.datasetId, lastUses));
  // The presets need the analyses before the test-sets step (their image counts): the ones it will start from.
  const presetAnalyses = useMemo(
    () => analyses ?? (datasets && form.datasetId ? startAnalyses(initialPlan, datasets, form.datasetId, lastUses) : null),
    [analyses, datasets, form.datasetId, initialPlan, lastUses],
  );
  const presets = useMemo(
    () => presetView(form, presetAnalyses, datasets, jobs, followed),
    [form, presetAnalyses, datasets, jobs, followed],
  );
  const benchConfig: BenchConfig = useMemo(
    () => ({ arch: form.arch.trim(), inputSize: Number(form.inputSize), batchSize: Number(form.batchSize) }),
    [form.arch, form.inputSize, form.batchSize],
  );

  function edit<K extends keyof GridForm>(field: K, value: GridForm[K]) {
    setForm((f) => ({ ...f, [field]: value }));
    setErrors(({ [field]: _dropped, ...rest }) => rest);
    setGeneral(null);
  }

  /** Applies a preset to the answers (and the analyses' image counts), noting what it changed. */
  function choosePreset(id: PresetId) {
    setFollowed(id);
    const values = id === 'quick' ? presets.quick?.values : presets.paper;
    if (!values || !presetAnalyses) return; // Quick try waits for the dataset
    const applied = applyPreset(form, presetAnalyses, values);
    setPresetNote({ id, changes: presetChanges(form, presetAnalyses, values), before: { form, analyses } });
    setForm(applied.form);
    setAnalyses(applied.analyses);
    setErrors({});
    setGeneral(null);
  }

  /** A new training dataset or new strategies: answers that follow a preset are fitted again (Quick try fits the dataset and the work). */
  function editFitted(next: GridForm) {
    const fitted = followed !== null && presets.shown === followed && datasets && next.datasetId;
    const a = fitted ? (analyses ?? startAnalyses(initialPlan, datasets, next.datasetId, lastUses)) : null;
    const view = a ? presetView(next, a, datasets, jobs, followed) : null;
    const values = view ? (followed === 'quick' ? view.quick?.values : view.paper) : null;
    if (a && values) {
      const applied = applyPreset(next, a, values);
      setForm(applied.form);
      setAnalyses(applied.analyses);
    } else setForm(next);
    setErrors({});
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
    setConflict(null);
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
      if (launch === 'study') {
        const refused = planConflict(base.plan, await client.call('studyPlan.get', { studyPath }));
        if (refused) {
          setConflict(refused);
          return;
        }
      }
      const view = await client.call('grid.save', { studyPath, spec, baseRevision: base.grid });
      setReloaded((r) => ({ grid: view, plan: r ? r.plan : initialPlan }));
      if (launch === 'study') {
        // The plan carries the revision it was edited from: the job refuses it if the stored plan moved on since.
        await submit({
          kind: 'study.run',
          params: StudyPlan.parse({ ...buildStudyPlan(spec, clampAnalyses(analyses!, datasets)), revision: base.plan }),
          studyPath,
        });
        onStudyLaunched(view);
        return;
      }
      const launched = launch ? await client.call('grid.launch', { studyPath }) : null;
      onSaved(view, launched);
    } catch (err) {
      const refused = saveConflict(err);
      if (refused) {
        setConflict(refused);
        return;
      }
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

  /** Loads the grid and the plan saved elsewhere (this wizard's unsaved answers are replaced by them). */
  async function reload() {
    setBusy(true);
    try {
      const [view, plan] = await Promise.all([client.call('grid.get', { studyPath }), client.call('studyPlan.get', { studyPath })]);
      const next = formFromGrid(view.spec);
      setForm(next);
      if (view.spec?.imagenetWeights) update('fs', { path: view.spec.imagenetWeights });
      if (view.spec?.mocoWeights) update('cl', { path: view.spec.mocoWeights });
      setAnalyses(datasets ? startAnalyses(plan, datasets, next.datasetId, lastUses) : null);
      setFollowed(null);
      setPresetNote(null);
      setReloaded({ grid: view, plan });
      setErrors({});
      setAnalysesErrors({});
      setGeneral(null);
      setConflict(null);
      onReloaded?.(view);
    } catch (err) {
      setGeneral(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card component="section" aria-labelledby="grid-wizard-title" data-testid="grid-wizard">
      <CardContent>
        <Typography variant="h2" id="grid-wizard-title" gutterBottom>
          {initial ? 'Edit the study' : 'Set up the study'}
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          The training grid is every combination of strategy, label fraction and seed; each is one training run. It is saved in the study as
          grid.json, and each run keeps its own folder, so finished runs stay finished and unfinished ones resume. Running the whole study
          then evaluates every run on the test sets, runs the analyses and builds the report.
        </Typography>
        <PresetBar
          view={presets}
          strategies={form.strategies}
          hasDataset={form.datasetId !== ''}
          note={presetNote}
          onChoose={choosePreset}
          onUndo={() => {
            if (!presetNote) return;
            setForm(presetNote.before.form);
            setAnalyses(presetNote.before.analyses);
            setPresetNote(null);
          }}
          onDismiss={() => setPresetNote(null)}
        />
        <Stepper activeStep={stepIndex} alternativeLabel sx={stepperSx} aria-label="Grid steps">
          {steps.map((s) => (
            <Step key={s}>
              <StepLabel error={Object.keys(errors).some((f) => stepOfField(f as keyof GridForm) === s)}>{stepLabel(s)}</StepLabel>
            </Step>
          ))}
        </Stepper>

        <Box sx={{ minHeight: 200 }}>
          {step === 'dataset' ? (
            <DatasetStep
              choices={choices}
              loaded={datasets !== null}
              datasetId={form.datasetId}
              error={errors.datasetId}
              onChange={(id) => editFitted({ ...form, datasetId: id })}
            />
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

          {step === 'compute' && analyses ? (
            <ComputeStep config={benchConfig} grid={buildGridSpec(full)} analyses={analyses} datasets={datasets} />
          ) : null}

          {step === 'strategies' ? (
            <StrategiesStep
              strategies={form.strategies}
              error={errors.strategies}
              onChange={(strategies) => editFitted({ ...form, strategies })}
            />
          ) : null}

          {step === 'fractions' ? (
            <FractionsStep
              fractions={form.fractions}
              seeds={form.seeds}
              texts={listTexts}
              errors={errors}
              onText={(field, text) => {
                setListTexts((t) => ({ ...t, [field]: text }));
                setErrors(({ [field]: _d, ...rest }) => rest);
              }}
              onChange={(field, values) => edit(field, values)}
              onError={(field, message) => setErrors((e) => ({ ...e, [field]: message }))}
            />
          ) : null}

          {step === 'hyper' ? (
            <HyperparametersStep
              form={form}
              errors={errors}
              dataset={choices.find((c) => c.id === form.datasetId)}
              onChange={(field, value) => edit(field, value)}
            />
          ) : null}

          {step === 'weights' ? <WeightsStep form={full} errors={errors} studyPath={studyPath} /> : null}

          {step === 'review' ? <ReviewStep form={full} analyses={analyses} datasets={datasets} config={benchConfig} /> : null}
        </Box>

        {conflict ? (
          <Alert
            severity="warning"
            sx={{ mt: 2 }}
            data-testid="grid-conflict"
            action={
              <Button color="inherit" size="small" onClick={() => void reload()} disabled={busy} data-testid="grid-conflict-reload">
                {conflict.action}
              </Button>
            }
          >
            {conflict.message}
          </Alert>
        ) : null}

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
              <Button
                variant="outlined"
                startIcon={<PlayIcon />}
                onClick={() => void save(true)}
                disabled={busy}
                data-testid="grid-save-launch"
              >
                Save and train
              </Button>
              <Button
                variant="contained"
                startIcon={<PlayIcon />}
                onClick={() => void save('study')}
                disabled={busy}
                data-testid="grid-run-study"
              >
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
