/**
 * The progress of a whole study (the demo's own data and stand-in weights included) as one bar: the
 * progress model of src-shared/progress.ts fed with the steps' estimated costs, reported through the
 * job's context as done of PROGRESS_UNITS with the step's name and the model's elapsed time and time
 * left. The costs come from src-shared/estimate.ts with a default speed (DEFAULT_BENCH) when nothing was
 * measured, plus the work the estimate leaves out (decoding, checkpoints, corrupted copies, the report);
 * the model's time left corrects the speed from the observed rate.
 */
import { estimateStudy, type DatasetSize, type StudyEstimateInput } from '../../src-shared/estimate';
import type { GridSpec } from '../../src-shared/grid';
import { PROGRESS_UNITS, ProgressModel, type ProgressSnapshot, type ProgressStep } from '../../src-shared/progress';
import type { StudyPlan } from '../../src-shared/study-plan';
import type { JobContext } from '../job-context';

/**
 * Per-image costs in ms of resnet18-w8 at 64 px on 2 CPU cores (wasm), used when no speed measurement
 * is given; other input sizes scale them by their pixels.
 */
export const DEFAULT_BENCH: StudyEstimateInput['bench'] = {
  forwardMsPerImage: 2.5,
  trainMsPerImage: 15,
  augmentFsMsPerImage: 1,
  augmentClMsPerImage: 3,
};
/** Work the estimate leaves out, in seconds (per dataset import image, per run, per analysis, the report). */
export const OVERHEAD = {
  importPerImage: 0.02,
  runSetup: 3,
  evaluation: 2,
  analysis: 3,
  corruptedCopyPerImage: 0.004,
  report: 15,
  grid: 1,
};

/** The default speed at an input size (DEFAULT_BENCH scaled by pixels). */
export function defaultBench(inputSize: number): StudyEstimateInput['bench'] {
  const k = (inputSize / 64) ** 2;
  return {
    forwardMsPerImage: DEFAULT_BENCH.forwardMsPerImage * k,
    trainMsPerImage: DEFAULT_BENCH.trainMsPerImage * k,
    augmentFsMsPerImage: DEFAULT_BENCH.augmentFsMsPerImage * k,
    augmentClMsPerImage: DEFAULT_BENCH.augmentClMsPerImage * k,
  };
}

/** A training run to do: its grid cell's strategy, fraction and seed, and its run id. */
export interface PlannedRun {
  runId: string;
  strategy: GridSpec['strategies'][number];
  fraction: number;
  seed: number;
}

/** Estimated seconds of one training run (its MoCo pretraining counted when `pretrain`), from estimate.ts. */
export function runSeconds(
  grid: GridSpec,
  datasets: readonly DatasetSize[],
  run: PlannedRun,
  pretrain: boolean,
  bench: StudyEstimateInput['bench'],
): number {
  const e = estimateStudy({
    grid: { ...grid, strategies: [run.strategy], fractions: [run.fraction], seeds: [run.seed] },
    datasets,
    evaluate: [],
    spectra: null,
    robustness: null,
    explain: null,
    bench,
  });
  return OVERHEAD.runSetup + e.lines.filter((l) => pretrain || l.phase !== 'pretrain').reduce((s, l) => s + l.seconds, 0);
}

/** The study's steps after the grid is saved: one per run to train, then evaluations, analyses and the report. */
export function studySteps(
  plan: StudyPlan,
  datasets: readonly DatasetSize[],
  runs: readonly PlannedRun[],
  bench: StudyEstimateInput['bench'],
): ProgressStep[] {
  const steps: ProgressStep[] = [];
  const pretrained = new Set<string>();
  for (const r of runs) {
    const key = `${r.strategy}/${r.seed}`;
    const first = r.strategy === 'IWNE-CL' && !pretrained.has(key);
    if (first) pretrained.add(key);
    steps.push({ key: `train:${r.runId}`, seconds: orDefault(() => runSeconds(plan.grid, datasets, r, first, bench)) });
  }
  const lines = orDefault(
    () =>
      estimateStudy({
        grid: plan.grid,
        datasets,
        evaluate: plan.evaluate,
        spectra: plan.spectra ? { datasetId: plan.spectra.datasetId, images: plan.spectra.images ?? 256 } : null,
        robustness: plan.robustness
          ? {
              datasetId: plan.robustness.datasetId,
              images: plan.robustness.images ?? 200,
              severities: plan.robustness.severities,
              ...(plan.robustness.corruptions ? { corruptions: plan.robustness.corruptions } : {}),
            }
          : null,
        explain: plan.explain
          ? { datasetId: plan.explain.datasetId, ...(plan.explain.images ? { images: plan.explain.images } : {}) }
          : null,
        bench,
      }).lines,
  );
  const phase = (p: string) => (Array.isArray(lines) ? lines.filter((l) => l.phase === p) : []);
  const seconds = (p: string) => phase(p).reduce((s, l) => s + l.seconds, 0);
  const models = new Set(plan.grid.strategies).size;
  steps.push({ key: 'evaluate', seconds: seconds('evaluate') + OVERHEAD.evaluation * plan.evaluate.length * Math.max(1, runs.length) });
  if (plan.spectra) steps.push({ key: 'spectra', seconds: seconds('spectra') + OVERHEAD.analysis * models });
  if (plan.robustness) {
    const copies = phase('robustness').reduce((s, l) => s + l.images, 0) / Math.max(1, models);
    steps.push({ key: 'robustness', seconds: seconds('robustness') + OVERHEAD.analysis + copies * OVERHEAD.corruptedCopyPerImage });
  }
  if (plan.explain) steps.push({ key: 'explain', seconds: seconds('explain') + OVERHEAD.analysis * models });
  if (plan.report) steps.push({ key: 'report', seconds: OVERHEAD.report });
  return steps;
}

/** The value of `f`, or a small fixed weight when the estimate cannot read the plan (a dataset it does not know): the bar still moves. */
function orDefault<T>(f: () => T): T | number {
  try {
    return f();
  } catch {
    return 10;
  }
}

/** Every cell of the grid as a run to train (a guess of the runs before the grid is saved). */
export function allRuns(grid: GridSpec): PlannedRun[] {
  return grid.strategies.flatMap((strategy) =>
    grid.fractions.flatMap((fraction) =>
      grid.seeds.map((seed) => ({ runId: `${strategy}/${fraction}/${seed}`, strategy, fraction, seed })),
    ),
  );
}

/** Sum of the steps' seconds. */
export const totalSeconds = (steps: readonly ProgressStep[]): number => steps.reduce((s, p) => s + p.seconds, 0);

/**
 * The bar of one study: `report(key, within, step)` moves it and reports through the context; `context(key, name)`
 * is a sub-context whose own done/total fill the step's share, its messages named by `name`.
 */
export class StudyProgress {
  readonly model: ProgressModel;

  constructor(
    private readonly ctx: JobContext,
    steps: readonly ProgressStep[],
    now?: () => number,
  ) {
    this.model = new ProgressModel(steps, now ? { now } : {});
  }

  /** Replaces the steps not started yet. */
  replan(steps: readonly ProgressStep[]): void {
    this.model.replan(steps);
  }

  /** Step `key` at `within` (0–1) of its work, named `step` (with `runId` when it trains that run). */
  report(key: string, within: number, step: string, runId?: string): void {
    this.emit(this.model.update(key, within, step), runId);
  }

  /** Ends step `key`; `skipped`: found already done. */
  finish(key: string, opts: { skipped?: boolean } = {}): void {
    this.model.finish(key, opts);
  }

  /** Ends the study (the bar at 100 %) with its closing message. */
  complete(message: string): void {
    this.emit(this.model.complete(message));
  }

  /** A context for a service working on step `key`: its done/total fill the step's share; `name(message)` names the step. */
  context(key: string, name: (message: string) => string, runId?: string): JobContext {
    return {
      progress: (done, total, message) => this.report(key, total > 0 ? done / total : 0, name(message), runId),
      log: (line) => this.ctx.log(line),
      signal: this.ctx.signal,
    };
  }

  private emit(s: ProgressSnapshot, runId?: string): void {
    this.ctx.progress(Math.round(s.fraction * PROGRESS_UNITS), PROGRESS_UNITS, s.step, {
      elapsedSeconds: s.elapsedSeconds,
      etaSeconds: s.etaSeconds,
      ...(runId ? { runId } : {}),
    });
  }
}

/** `IWNE-FS 50 % seed 0`: a run as the bar names it. */
export function runLabel(run: { strategy: string; fraction: number; seed: number }): string {
  return `${run.strategy} ${Math.round(run.fraction * 100)} % seed ${run.seed}`;
}

/** `step · detail`, or the step alone when there is no detail. */
export function named(step: string, detail: string): string {
  return detail ? `${step} · ${detail}` : step;
}
