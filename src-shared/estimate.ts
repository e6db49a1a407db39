/**
 * How long a study takes: the training grid, the evaluations and the analyses of a study plan
 * (src-shared/study-plan.ts), turned into seconds from a short benchmark of the chosen model
 * configuration (job kind engine.benchmark, `QuickBenchResult` in src-shared/engine.ts). The study
 * wizard shows the total and a breakdown by phase. Pure, node-free.
 *
 * Which images each phase processes follows the services:
 * - Training (src-main/services/training/data.ts): the dataset's graded images outside the test
 *   split; a share `validationFraction` of their patients is held out for validation, and the label
 *   fraction is taken of the remaining patients. Every epoch trains on the fraction (forward,
 *   backward, update, plus the fsTrain augmentation) and validates on the held-out images (one
 *   eval-mode forward each).
 * - MoCo v2 pretraining (IWNE-CL only; src-main/services/training/pretrain.ts): every image outside
 *   the test split whose patient is not a validation patient, ungraded ones included. One
 *   pretraining per distinct pretraining settings (`pretrainSettings` in src-shared/training.ts,
 *   which also names the pretraining folders: the seed is one of them, the label fraction is not), so
 *   the fractions of one seed share it. Per image and epoch: a query step (forward, backward,
 *   update), a key-encoder forward and the aug+ augmentation of both views. IFI-CL starts from a
 *   given MoCo checkpoint and does not pretrain.
 * - Evaluation (src-main/services/evaluation): every run on every test set, one forward per graded
 *   image of the split (default 'test' when the dataset has a test split, else 'all').
 * - Analyses use one run per strategy: spectra two forward passes per image (the layer groups of
 *   the block storage; src-main/analysis/spectra), robustness one forward per model of every clean
 *   image and every corruption × severity of it, explanations one LRP (≈ one training step's
 *   forward and backward) per image.
 */
import type { ReadableDatasetSummary } from './contract';
import type { QuickBenchResult } from './engine';
import { AppError, parseOrThrow } from './errors';
import { cellSpecInput, type GridSpec } from './grid';
import { CORRUPTION_NAMES } from './robustness';
import { TrainingSpec, canonicalJson, pretrainSettings } from './training';

/** Image counts of one dataset, as the estimate needs them (`datasetSize` derives them from a DatasetSummary). */
export interface DatasetSize {
  id: string;
  /** Images per split (`train`, `test`, `none`). */
  splits: Record<string, number>;
  /** Graded images per split, e.g. from perSplitGrade. */
  graded: Record<string, number>;
  /** Images with any lesion mask. */
  masked: number;
}

/** Everything the estimate depends on: the study plan's steps, the dataset sizes and the benchmark. */
export interface StudyEstimateInput {
  grid: GridSpec;
  datasets: readonly DatasetSize[];
  /** Test sets every run is evaluated on (split default: 'test' when the dataset has one, else 'all'). */
  evaluate: readonly { datasetId: string; split?: 'test' | 'train' | 'all' }[];
  /** Representation spectra: at most `images` images of the dataset's default split per model. */
  spectra: { datasetId: string; images: number } | null;
  /** Robustness: at most `images` graded images of the default split; corruptions default to all 19. */
  robustness: { datasetId: string; images: number; corruptions?: readonly string[]; severities: readonly number[] } | null;
  /** LRP explanations: the first `images` images of the dataset (default all). */
  explain: { datasetId: string; images?: number } | null;
  bench: Pick<QuickBenchResult, 'forwardMsPerImage' | 'trainMsPerImage' | 'augmentFsMsPerImage' | 'augmentClMsPerImage'>;
}

/** One line of the breakdown. */
export interface EstimateLine {
  phase: 'train' | 'pretrain' | 'validate' | 'evaluate' | 'spectra' | 'robustness' | 'explain';
  label: string;
  /** Images processed by the line, each epoch, pass, model and corrupted copy counted (so seconds = images × the per-image cost). */
  images: number;
  seconds: number;
}

/** The estimated duration of a study. */
export interface StudyEstimate {
  lines: EstimateLine[];
  /** Sum of the lines' seconds. */
  totalSeconds: number;
  /** Training runs of the grid (strategies × fractions × seeds). */
  runs: number;
  /** Distinct MoCo v2 pretrainings (IWNE-CL: one per seed for the same settings). */
  pretrainings: number;
  /** Approximations and what the estimate leaves out. */
  notes: string[];
}

export type Split = 'test' | 'train' | 'all';

const sum = (values: Iterable<number>): number => {
  let s = 0;
  for (const v of values) s += v;
  return s;
};
/** Images of a per-split count in an evaluation split ('train' = everything outside the test split, as the services choose them). */
export const imagesInSplit = (perSplit: Record<string, number>, split: Split): number =>
  split === 'all'
    ? sum(Object.values(perSplit))
    : split === 'test'
      ? (perSplit.test ?? 0)
      : sum(
          Object.entries(perSplit)
            .filter(([s]) => s !== 'test')
            .map(([, n]) => n),
        );
/** The services' default split: 'test' when the dataset has test-split images, else 'all'. */
export const defaultSplit = (d: Pick<DatasetSize, 'splits'>): Split => ((d.splits.test ?? 0) > 0 ? 'test' : 'all');
const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** The settings that identify a pretraining (one pretraining per distinct value). */
function pretrainKey(spec: TrainingSpec): string {
  return canonicalJson(pretrainSettings(spec));
}

/**
 * Image counts of a readable dataset summary: graded = every numeric grade of perSplitGrade; masked = the most masked lesion (a lower bound
 * of the union).
 */
export function datasetSize(summary: ReadableDatasetSummary): DatasetSize {
  const graded: Record<string, number> = {};
  for (const split of Object.keys(summary.splits)) graded[split] = 0;
  for (const [split, row] of Object.entries(summary.perSplitGrade)) {
    graded[split] = sum(
      Object.entries(row)
        .filter(([grade]) => /^\d+$/.test(grade))
        .map(([, n]) => n),
    );
  }
  return { id: summary.id, splits: { ...summary.splits }, graded, masked: Math.max(0, ...Object.values(summary.masks).map((n) => n ?? 0)) };
}

/** The estimated duration of a study, line by line; throws BAD_REQUEST naming the field of an unknown dataset or an invalid benchmark. */
export function estimateStudy(input: StudyEstimateInput): StudyEstimate {
  const { grid, bench } = input;
  for (const key of ['forwardMsPerImage', 'trainMsPerImage', 'augmentFsMsPerImage', 'augmentClMsPerImage'] as const) {
    const v = bench[key];
    if (!Number.isFinite(v) || v < 0)
      throw new AppError('BAD_REQUEST', `The benchmark's ${key} is ${v}; it must be a finite number ≥ 0.`, [
        { path: `bench.${key}`, message: 'not a duration' },
      ]);
  }
  const byId = new Map(input.datasets.map((d) => [d.id, d]));
  const dataset = (id: string | undefined, field: string): DatasetSize => {
    if (id === undefined)
      throw new AppError('BAD_REQUEST', `${field} is not set: name the dataset the runs train on.`, [{ path: field, message: 'required' }]);
    const d = byId.get(id);
    if (!d) {
      const known = [...byId.keys()];
      throw new AppError(
        'BAD_REQUEST',
        `${field} names dataset "${id}", which the study does not have (${known.length > 0 ? `known: ${known.join(', ')}` : 'no datasets'}).`,
        [{ path: field, message: 'unknown dataset' }],
      );
    }
    return d;
  };
  const seconds = (images: number, msPerImage: number) => (images * msPerImage) / 1000;
  const lines: EstimateLine[] = [];
  const notes: string[] = [];
  const strategies = [...new Set(grid.strategies)];

  // Training grid: per strategy, its pretrainings (IWNE-CL), training and validation.
  let runs = 0;
  let pretrainings = 0;
  let earlyStopping = false;
  for (const strategy of strategies) {
    const field =
      grid.overrides[strategy] && 'datasetId' in grid.overrides[strategy] ? `grid.overrides.${strategy}.datasetId` : 'grid.base.datasetId';
    const pretrainSeen = new Set<string>();
    let strategyRuns = 0;
    let trainImages = 0;
    let validationImages = 0;
    let pretrainImages = 0;
    for (const fraction of grid.fractions) {
      for (const seed of grid.seeds) {
        const spec = parseOrThrow(
          TrainingSpec,
          cellSpecInput(grid, strategy, fraction, seed),
          `training spec of the grid cell ${strategy}, fraction ${fraction}, seed ${seed}`,
        );
        const d = dataset(spec.datasetId, field);
        const pool = imagesInSplit(d.graded, 'train');
        const nVal = Math.round(pool * spec.validationFraction);
        const nTrain = Math.round((pool - nVal) * spec.fraction);
        trainImages += spec.epochs * nTrain;
        validationImages += spec.epochs * nVal;
        if (spec.earlyStoppingPatience !== null) earlyStopping = true;
        strategyRuns++;
        if (strategy === 'IWNE-CL') {
          const key = pretrainKey(spec);
          if (!pretrainSeen.has(key)) {
            pretrainSeen.add(key);
            pretrainImages += spec.moco.epochs * Math.max(0, imagesInSplit(d.splits, 'train') - nVal);
          }
        }
      }
    }
    runs += strategyRuns;
    if (pretrainSeen.size > 0) {
      pretrainings += pretrainSeen.size;
      lines.push({
        phase: 'pretrain',
        label: `${strategy} MoCo v2 pretraining: ${plural(pretrainSeen.size, 'pretraining')} (shared by the label fractions)`,
        images: pretrainImages,
        seconds: seconds(pretrainImages, bench.trainMsPerImage + bench.forwardMsPerImage + bench.augmentClMsPerImage),
      });
    }
    lines.push({
      phase: 'train',
      label: `${strategy} training: ${plural(strategyRuns, 'run')}`,
      images: trainImages,
      seconds: seconds(trainImages, bench.trainMsPerImage + bench.augmentFsMsPerImage),
    });
    lines.push({
      phase: 'validate',
      label: `${strategy} validation: ${plural(strategyRuns, 'run')}, every epoch`,
      images: validationImages,
      seconds: seconds(validationImages, bench.forwardMsPerImage),
    });
    if (strategy.startsWith('IFI') && !(strategy === 'IFI-FS' ? grid.imagenetWeights : grid.mocoWeights)) {
      notes.push(
        `${strategy} has no ${strategy === 'IFI-FS' ? 'ImageNet weights' : 'MoCo v2 checkpoint'} set (${strategy === 'IFI-FS' ? 'imagenetWeights' : 'mocoWeights'}): its runs are blocked until it is; they are counted here.`,
      );
    }
  }

  // Evaluations: every run on every test set.
  input.evaluate.forEach((e, i) => {
    const d = dataset(e.datasetId, `evaluate.${i}.datasetId`);
    const split = e.split ?? defaultSplit(d);
    const n = imagesInSplit(d.graded, split);
    lines.push({
      phase: 'evaluate',
      label: `Evaluation on ${d.id} (${split}): ${plural(runs, 'run')} × ${plural(n, 'graded image')}`,
      images: runs * n,
      seconds: seconds(runs * n, bench.forwardMsPerImage),
    });
  });

  // Analyses: one run per strategy.
  const models = strategies.length;
  if (input.spectra) {
    const d = dataset(input.spectra.datasetId, 'spectra.datasetId');
    const n = Math.min(input.spectra.images, imagesInSplit(d.splits, defaultSplit(d)));
    const images = models * n * 2;
    lines.push({
      phase: 'spectra',
      label: `Spectra on ${d.id}: ${plural(models, 'model')} × ${plural(n, 'image')} × 2 passes`,
      images,
      seconds: seconds(images, bench.forwardMsPerImage),
    });
    notes.push(
      'Spectra: two forward passes per image assumed (activation storage over its budget); the eigen-decompositions and distribution fits are not included.',
    );
  }
  if (input.robustness) {
    const r = input.robustness;
    const d = dataset(r.datasetId, 'robustness.datasetId');
    const n = Math.min(r.images, imagesInSplit(d.graded, defaultSplit(d)));
    const corruptions = r.corruptions?.length ?? CORRUPTION_NAMES.length;
    const variants = 1 + corruptions * r.severities.length;
    const images = models * n * variants;
    lines.push({
      phase: 'robustness',
      label: `Robustness on ${d.id}: ${plural(models, 'model')} × ${plural(n, 'image')} × (clean + ${corruptions} corruptions × ${plural(r.severities.length, 'severity', 'severities')})`,
      images,
      seconds: seconds(images, bench.forwardMsPerImage),
    });
    notes.push(
      `Robustness: computing the corrupted images themselves (${n * corruptions * r.severities.length} corrupted copies, CPU work shared by the models) is not included.`,
    );
  }
  if (input.explain) {
    const d = dataset(input.explain.datasetId, 'explain.datasetId');
    const all = imagesInSplit(d.splits, 'all');
    const n = Math.min(input.explain.images ?? all, all);
    const images = models * n;
    lines.push({
      phase: 'explain',
      label: `Explanations on ${d.id}: ${plural(models, 'model')} × ${plural(n, 'image')}`,
      images,
      seconds: seconds(images, bench.trainMsPerImage),
    });
    if (d.masked < n)
      notes.push(
        `Explanations: ${d.id} has lesion masks for about ${d.masked} of its ${all} images; every chosen image is explained, only those with masks are scored.`,
      );
  }

  notes.unshift(
    'Validation patients and label fractions are drawn per patient; the estimate approximates them by images (validation = round(images × validationFraction), training = round(rest × fraction)).',
    'Times scale the short benchmark; image decoding, mean/std computation and checkpoint writing are not included.',
  );
  if (earlyStopping) notes.push('Early stopping can end runs sooner; every run is counted with all its epochs.');
  return { lines, totalSeconds: sum(lines.map((l) => l.seconds)), runs, pretrainings, notes };
}

// ---- The speed assumed before a measurement ---------------------------------------------------------

/** Multiply-adds of one forward pass at 224 px in GFLOPs (torchvision), by ResNet depth. */
const RESNET_GFLOPS_224: Record<string, number> = { '18': 1.82, '34': 3.67, '50': 4.11, '101': 7.83, '152': 11.56 };
/** Activations per pixel and base width relative to ResNet18 (bottleneck blocks widen their outputs 4×). */
const RESNET_ACTIVATIONS: Record<string, number> = { '18': 1, '34': 1.8, '50': 3, '101': 5.5, '152': 8 };

/**
 * The speed the estimate assumes before the chosen model is measured on this computer: 2 CPU cores with
 * the WebAssembly backend, calibrated on the demo study (resnet18-w8 at 64 px, about 100 training
 * images/s with the augmentation; its whole study then comes out at about 6 of the 7 to 8 minutes
 * `npm run demo` takes with data generation and the report). Other models scale with their
 * activations (base width × pixels, which dominate small models) and their multiply-adds (which
 * dominate large ones). A measurement (job kind engine.benchmark) replaces it.
 */
export function defaultBench(
  arch: string,
  inputSize: number,
): Pick<QuickBenchResult, 'forwardMsPerImage' | 'trainMsPerImage' | 'augmentFsMsPerImage' | 'augmentClMsPerImage'> {
  const m = /^resnet(18|34|50|101|152)(?:-w(\d+))?$/.exec(arch);
  const depth = m?.[1] ?? '50';
  const width = m?.[2] ? Number(m[2]) : 64;
  const pixels = (inputSize / 64) ** 2;
  const activations = pixels * (width / 8) * (RESNET_ACTIVATIONS[depth] ?? 3);
  const gflops = (RESNET_GFLOPS_224[depth] ?? 4.11) * (width / 64) ** 2 * (inputSize / 224) ** 2;
  const forward = 0.7 + 0.42 * activations + 70 * gflops;
  return {
    forwardMsPerImage: forward,
    trainMsPerImage: 2.8 + 3 * forward,
    augmentFsMsPerImage: 2.1 * pixels,
    augmentClMsPerImage: 5.6 * pixels,
  };
}
