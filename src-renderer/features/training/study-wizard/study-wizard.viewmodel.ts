/**
 * The parts of the study wizard beyond the training grid, as pure functions (unit-tested in
 * test/unit/renderer/study-wizard.viewmodel.test.ts):
 *
 * - the test sets every finished run is evaluated on, and the analyses (spectra, robustness,
 *   explanations) with their datasets and image counts — their form, the choices the study's
 *   datasets offer, the checks, and the form read back from the study's stored plan;
 * - the study plan (src-shared/study-plan.ts) the wizard launches as one study.run job;
 * - the compute step: which speed measurement fits the chosen model, and the duration estimate
 *   (src-shared/estimate.ts) with the study's dataset sizes.
 */
import type { DatasetSummary, ReadableDatasetSummary } from '../../../../src-shared/contract';
import type { QuickBenchResult } from '../../../../src-shared/engine';
import {
  datasetSize,
  defaultBench,
  defaultSplit,
  estimateStudy,
  imagesInSplit,
  type StudyEstimate,
  type StudyEstimateInput,
} from '../../../../src-shared/estimate';
import { GridSpec, type GridSpecInput } from '../../../../src-shared/grid';
import type { JobState } from '../../../../src-shared/jobs';
import { CORRUPTION_NAMES } from '../../../../src-shared/robustness';
import type { StudyPlan, StudyPlanInput } from '../../../../src-shared/study-plan';
import {
  MIN_IMAGES,
  clampImagesText,
  imagesAvailable,
  imagesText,
  type ImagesAnalysis,
  type PreviousUse,
} from '../../../shared/analysis-images.viewmodel';
import { formatDuration } from '../../../shared/format.viewmodel';

export type EvalSplit = 'test' | 'train' | 'all';

export interface AnalysisForm {
  enabled: boolean;
  datasetId: string;
  /** Images analysed, as typed (spectra and robustness). */
  images: string;
}

export interface AnalysesForm {
  testSets: { datasetId: string; split: EvalSplit }[];
  spectra: AnalysisForm;
  robustness: AnalysisForm;
  /** Explanations: the first `images` images of the dataset (empty or absent: every image), scored where they have lesion masks. */
  explain: Omit<AnalysisForm, 'images'> & { images?: string };
  report: boolean;
}

export type AnalysesErrors = Partial<Record<'testSets' | 'spectra' | 'robustness' | 'explain', string>>;

const readable = (datasets: readonly DatasetSummary[] | null): ReadableDatasetSummary[] =>
  (datasets ?? []).filter((d): d is ReadableDatasetSummary => d.readable && d.preprocessed);

/** Graded images of a dataset in an evaluation split, counted as the estimate counts them. */
export function gradedIn(d: ReadableDatasetSummary, split: EvalSplit): number {
  return imagesInSplit(datasetSize(d).graded, split);
}

/** The split an evaluation uses by default: the test split when the dataset has one (as `funduslab evaluate`). */
export function defaultEvalSplit(d: ReadableDatasetSummary): EvalSplit {
  return defaultSplit(datasetSize(d));
}

export interface TestSetChoice {
  id: string;
  split: EvalSplit;
  /** Graded images in that split. */
  images: number;
  label: string;
  /** The training dataset's own test split is held out; its other splits are what the runs train on. */
  overlapsTraining: boolean;
  disabledReason: string | null;
}

/** Every graded dataset as a test set, on its default split. */
export function testSetChoices(datasets: readonly DatasetSummary[] | null, trainingId: string): TestSetChoice[] {
  return readable(datasets).map((d) => {
    const split = defaultEvalSplit(d);
    const images = gradedIn(d, split);
    const overlapsTraining = d.id === trainingId && split !== 'test';
    const what = split === 'test' ? 'test split' : 'all images';
    return {
      id: d.id,
      split,
      images,
      label: `${d.id} — ${what}, ${images.toLocaleString('en-US')} graded images`,
      overlapsTraining,
      disabledReason: images === 0 ? 'no graded images' : null,
    };
  });
}

/** Datasets with lesion masks (what explanations are scored against). */
export function maskedDatasets(datasets: readonly DatasetSummary[] | null): ReadableDatasetSummary[] {
  return readable(datasets).filter((d) => Object.values(d.masks).some((n) => (n ?? 0) > 0));
}

/** Datasets an analysis of graded images can use (spectra, robustness). */
export function gradedDatasets(datasets: readonly DatasetSummary[] | null): ReadableDatasetSummary[] {
  return readable(datasets).filter((d) => gradedIn(d, 'all') > 0);
}

/** A dataset all of whose images are in the test split (e.g. imported with `--split test`): a held-out test set. */
export function isTestSet(d: ReadableDatasetSummary): boolean {
  return (d.splits.test ?? 0) > 0 && (d.splits.train ?? 0) === 0 && (d.splits.none ?? 0) === 0;
}

/**
 * Paper-like defaults on the study's datasets: evaluate on the training dataset's test split and on every held-out test set
 * (else on every other graded set), analyses on the first test set and the first masked set.
 */
export function defaultAnalyses(datasets: readonly DatasetSummary[] | null, trainingId: string): AnalysesForm {
  const choices = testSetChoices(datasets, trainingId).filter((c) => c.disabledReason === null);
  const own = choices.find((c) => c.id === trainingId && c.split === 'test');
  const heldOut = new Set(
    readable(datasets)
      .filter(isTestSet)
      .map((d) => d.id),
  );
  const picked = own
    ? [own, ...choices.filter((c) => c.id !== trainingId && heldOut.has(c.id))]
    : choices.filter((c) => !c.overlapsTraining);
  const graded = gradedDatasets(datasets);
  const analysisSet = picked[0]?.id ?? graded[0]?.id ?? '';
  const masked = maskedDatasets(datasets)[0]?.id ?? '';
  return {
    testSets: picked.map((c) => ({ datasetId: c.id, split: c.split })),
    spectra: { enabled: analysisSet !== '', datasetId: analysisSet, images: '256' },
    robustness: { enabled: analysisSet !== '', datasetId: analysisSet, images: '200' },
    explain: { enabled: masked !== '', datasetId: masked },
    report: true,
  };
}

/** The form for a stored plan (what the study last ran), completed with defaults for what it lacks. */
export function analysesFromPlan(plan: StudyPlan | null, datasets: readonly DatasetSummary[] | null, trainingId: string): AnalysesForm {
  const defaults = defaultAnalyses(datasets, trainingId);
  if (!plan) return defaults;
  const byId = new Map(readable(datasets).map((d) => [d.id, d]));
  return {
    testSets: plan.evaluate.map((e) => ({
      datasetId: e.datasetId,
      split: e.split ?? (byId.get(e.datasetId) ? defaultEvalSplit(byId.get(e.datasetId)!) : 'test'),
    })),
    spectra: plan.spectra
      ? { enabled: true, datasetId: plan.spectra.datasetId, images: String(plan.spectra.images) }
      : { ...defaults.spectra, enabled: false },
    robustness: plan.robustness
      ? { enabled: true, datasetId: plan.robustness.datasetId, images: String(plan.robustness.images) }
      : { ...defaults.robustness, enabled: false },
    explain: plan.explain
      ? {
          enabled: true,
          datasetId: plan.explain.datasetId,
          ...(plan.explain.images === undefined ? {} : { images: String(plan.explain.images) }),
        }
      : { ...defaults.explain, enabled: false },
    report: plan.report !== null,
  };
}

/**
 * The analyses the wizard starts from: the stored plan's, else the defaults with the image counts the study used last (`lastUses`: the
 * latest result of each analysis); their counts clamped to what the datasets hold.
 */
export function startAnalyses(
  plan: StudyPlan | null,
  datasets: readonly DatasetSummary[] | null,
  trainingId: string,
  lastUses: Partial<Record<ImagesAnalysis, PreviousUse | null>> = {},
): AnalysesForm {
  const form = analysesFromPlan(plan, datasets, trainingId);
  if (plan) return clampAnalyses(form, datasets);
  const used = <T extends { images?: string }>(key: ImagesAnalysis, a: T): T => {
    const use = lastUses[key];
    return use ? { ...a, images: imagesText(use.images) } : a;
  };
  return clampAnalyses(
    {
      ...form,
      spectra: used('spectra', form.spectra),
      robustness: used('robustness', form.robustness),
      explain: used('explain', form.explain),
    },
    datasets,
  );
}

function imagesError(text: string, min: number, max: number): string | null {
  const t = text.trim();
  const n = t === '' ? Number.NaN : Number(t);
  return Number.isInteger(n) && n >= min && n <= max ? null : `Images: a whole number from ${min} to ${max.toLocaleString('en-US')}`;
}

/** The checks of the test-sets step. */
export function checkAnalyses(form: AnalysesForm, datasets: readonly DatasetSummary[] | null): AnalysesErrors {
  const errors: AnalysesErrors = {};
  const known = new Set(readable(datasets).map((d) => d.id));
  if (form.testSets.length === 0) errors.testSets = 'Choose at least one test set: the runs are compared by their AUC on it.';
  else {
    const unknown = form.testSets.find((t) => !known.has(t.datasetId));
    if (unknown) errors.testSets = `Dataset ${unknown.datasetId} is not in the study (any more).`;
  }
  for (const [key, min, max] of [
    ['spectra', 3, 4096],
    ['robustness', 2, 100_000],
  ] as const) {
    const a = form[key];
    if (!a.enabled) continue;
    if (!known.has(a.datasetId)) errors[key] = 'Choose the dataset to analyse.';
    else {
      const e = imagesError(a.images, min, max);
      if (e) errors[key] = e;
      const available = imagesAvailable(datasets, a.datasetId, key);
      if (!e && available && available.images < MIN_IMAGES[key])
        errors[key] = `${a.datasetId} has ${available.text}: ${key === 'spectra' ? 'spectra need' : 'robustness needs'} at least ${min}.`;
    }
  }
  if (form.explain.enabled && !maskedDatasets(datasets).some((d) => d.id === form.explain.datasetId))
    errors.explain = 'Choose a dataset with lesion masks.';
  else if (form.explain.enabled && (form.explain.images ?? '').trim() !== '') {
    const e = imagesError(form.explain.images ?? '', 1, 100_000);
    if (e) errors.explain = `${e}, or empty for every image`;
  }
  return errors;
}

/**
 * The plan launched as one study.run job: the grid, the evaluations, the analyses on one run per
 * strategy (the largest label fraction, the first seed — the runs that saw the most labels), the
 * report. `study: "."` is the job's study folder.
 */
export function buildStudyPlan(grid: GridSpecInput, form: AnalysesForm): StudyPlanInput {
  const g = GridSpec.parse(grid);
  const choice = { fraction: Math.max(...g.fractions), seed: Math.min(...g.seeds) };
  return {
    study: '.',
    grid,
    evaluate: form.testSets.map((t) => ({ datasetId: t.datasetId, split: t.split })),
    spectra: form.spectra.enabled ? { datasetId: form.spectra.datasetId, images: Number(form.spectra.images), ...choice } : null,
    robustness: form.robustness.enabled
      ? { datasetId: form.robustness.datasetId, images: Number(form.robustness.images), ...choice }
      : null,
    explain: form.explain.enabled ? { datasetId: form.explain.datasetId, ...explainImages(form.explain), ...choice } : null,
    report: form.report ? { out: 'reports/report.pdf', revealImageIds: false } : null,
  };
}

/** The explanations' image count for the plan: absent (every image) when the field is empty. */
function explainImages(explain: AnalysesForm['explain']): { images?: number } {
  const t = (explain.images ?? '').trim();
  return t === '' ? {} : { images: Number(t) };
}

/**
 * The analyses' image counts clamped to what their datasets hold (a count above it would analyse the same images): what the form shows
 * once a count is typed or a dataset chosen, and what the plan is built from.
 */
export function clampAnalyses(form: AnalysesForm, datasets: readonly DatasetSummary[] | null): AnalysesForm {
  const cap = (key: 'spectra' | 'robustness' | 'explain', text: string) =>
    clampImagesText(text, imagesAvailable(datasets, form[key].datasetId, key)?.images ?? null);
  return {
    ...form,
    spectra: { ...form.spectra, images: cap('spectra', form.spectra.images) },
    robustness: { ...form.robustness, images: cap('robustness', form.robustness.images) },
    explain: form.explain.images === undefined ? form.explain : { ...form.explain, images: cap('explain', form.explain.images) },
  };
}

/** The review rows of the test sets and analyses. */
export function analysesSummary(form: AnalysesForm): { label: string; value: string; mono?: boolean }[] {
  return [
    {
      label: 'Test sets',
      value: form.testSets.map((t) => `${t.datasetId} (${t.split === 'all' ? 'all images' : `${t.split} split`})`).join(', ') || '—',
    },
    { label: 'Spectra', value: form.spectra.enabled ? `${form.spectra.datasetId}, ${form.spectra.images} images` : 'not run' },
    {
      label: 'Robustness',
      value: form.robustness.enabled
        ? `${form.robustness.datasetId}, ${form.robustness.images} images × ${CORRUPTION_NAMES.length} corruptions × 5 severities`
        : 'not run',
    },
    {
      label: 'Explanations',
      value: form.explain.enabled
        ? (form.explain.images ?? '').trim() === ''
          ? `${form.explain.datasetId} (every image, scored against its lesion masks)`
          : `${form.explain.datasetId}, the first ${form.explain.images} images (scored against their lesion masks)`
        : 'not run',
    },
    { label: 'Report', value: form.report ? 'reports/report.pdf in the study folder (Report page)' : 'not built' },
  ];
}

// ---- Compute: the measurement and the estimate ------------------------------------------------------

export interface BenchConfig {
  arch: string;
  inputSize: number;
  batchSize: number;
}

function paramsOf(job: Pick<JobState, 'params'>): Partial<BenchConfig> {
  const p = job.params;
  return p && typeof p === 'object' ? (p as Partial<BenchConfig>) : {};
}

/** The latest speed measurement of this model configuration (finished or still running), or null. */
export function benchJobFor(jobs: readonly JobState[], config: BenchConfig): JobState | null {
  let best: JobState | null = null;
  for (const job of jobs) {
    if (job.kind !== 'engine.benchmark') continue;
    const p = paramsOf(job);
    if (p.arch !== config.arch || p.inputSize !== config.inputSize || p.batchSize !== config.batchSize) continue;
    if (job.status === 'failed' || job.status === 'cancelled' || job.status === 'interrupted') {
      if (!best) best = job;
      continue;
    }
    if (!best || best.status !== 'succeeded' || job.createdAt > best.createdAt) best = job;
  }
  return best;
}

/** The measurement's result, when the job succeeded. */
export function benchResult(job: JobState | null): QuickBenchResult | null {
  return job?.status === 'succeeded' && job.result ? (job.result as QuickBenchResult) : null;
}

/** The estimate of the whole study, or an explanation of why there is none yet. */
export function studyEstimate(
  grid: GridSpecInput,
  form: AnalysesForm,
  datasets: readonly DatasetSummary[] | null,
  bench: StudyEstimateInput['bench'] | null,
): { estimate: StudyEstimate | null; error: string | null } {
  if (!bench) return { estimate: null, error: null };
  try {
    const plan = buildStudyPlan(grid, form);
    const g = GridSpec.parse(grid);
    const sizes = readable(datasets).map((d) => datasetSize(d));
    const estimate = estimateStudy({
      grid: g,
      datasets: sizes,
      evaluate: form.testSets,
      spectra: plan.spectra ? { datasetId: plan.spectra.datasetId, images: plan.spectra.images ?? 256 } : null,
      robustness: plan.robustness
        ? { datasetId: plan.robustness.datasetId, images: plan.robustness.images ?? 200, severities: [1, 2, 3, 4, 5] }
        : null,
      explain: plan.explain ? { datasetId: plan.explain.datasetId, images: plan.explain.images } : null,
      bench,
    });
    return { estimate, error: null };
  } catch (err) {
    return { estimate: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The estimate with the default speed of the chosen model (src-shared/estimate.ts defaultBench), before it is measured; null when none. */
export function defaultSpeedEstimate(
  grid: GridSpecInput,
  form: AnalysesForm,
  datasets: readonly DatasetSummary[] | null,
  config: BenchConfig,
): StudyEstimate | null {
  if (!Number.isInteger(config.inputSize)) return null;
  return studyEstimate(grid, form, datasets, defaultBench(config.arch, config.inputSize)).estimate;
}

/** A warning when the training batch does not fit in the measured backend's memory (wasm: 4 GB; webgpu: the GPU's), else null. */
export function batchWarning(batchSize: number, bench: QuickBenchResult | null, strategies: readonly string[]): string | null {
  if (!bench || bench.maxTrainBatch === null || batchSize <= bench.maxTrainBatch) return null;
  const moco = strategies.includes('IWNE-CL') ? ' MoCo pretraining batches (moco.batchSize) must fit as well.' : '';
  return `Batch size ${batchSize} does not fit in the ${bench.backend} backend's ${bench.backend === 'webgpu' ? 'GPU' : '4 GB'} at ${bench.arch}, ${bench.inputSize} px: at most ${bench.maxTrainBatch} (the runs would refuse to start). Lower the batch size on the Hyperparameters step, or use the GPU backend.${moco}`;
}

/** `under a minute`, `about 12 min`, `about 3 h 20 min`, `about 2 d 04 h` (an estimate is not precise to the second). */
export function estimateText(seconds: number): string {
  if (seconds < 60) return 'under a minute';
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${formatDuration(seconds)}`;
}
