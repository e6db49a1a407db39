/**
 * Runs a whole study plan (src-shared/study-plan.ts) step by step — import, grid, evaluations,
 * spectra, robustness, explanations, report — each step skipping what is already done, so an
 * interrupted study resumes where it stopped (a training run resumes from its last checkpoint).
 * A failing training run is reported and the rest continues; analyses that need a missing run say
 * so in the log and are skipped. Everything not done (blocked, invalid or failed runs, runs another
 * process trains now, analyses without their runs) becomes a warning with its reason and the action
 * that fixes it: a study with warnings finished with warnings, never plainly. With skipTraining (a
 * cluster's finish job) no run is trained: the runs not done are warnings and the rest of the study
 * uses the finished ones.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseOrThrow } from '../../src-shared/errors';
import type { RobustnessRequestInput } from '../../src-shared/robustness';
import type { SpectraRequestInput } from '../../src-shared/spectra';
import type { ExplainRequestInput } from '../../src-shared/explanations';
import { StudyPlan, type StudyPlanInput, type StudyRunResult, type StudyWarning } from '../../src-shared/study-plan';
import type { GridCell } from '../../src-shared/grid';
import type { TrainingStrategy } from '../../src-shared/training';
import { runRobustness, robustnessName } from '../analysis/robustness/service';
import { runSpectra, spectraName } from '../analysis/spectra/service';
import { explainRun, explanationName } from '../analysis/lrp/service';
import { buildReport, type ReportResult } from '../report/report';
import { importDataset } from '../services/datasets/import/import-service';
import { listDatasets } from '../services/datasets/view';
import { evaluateRun, evaluationName, defaultSplit } from '../services/evaluation/evaluate';
import { readDatasetManifest } from '../services/datasets/manifest-file';
import { throwIfCancelled, type JobContext } from '../job-context';
import { listRunsWithStanding, type RunInfo } from '../services/runs/run-info';
import { studyLayout } from '../services/study-folder/layout';
import { reusableResult } from '../services/runs/identity';
import { StudyService } from '../services/study-folder/study-service';
import { runGrid, type GridRunOutcome } from '../services/training/grid-run';
import { saveGrid } from '../services/training/grid';
import { resolvePlanPaths, writeStudyPlan } from './plan-file';
import { StudyProgress, OVERHEAD, allRuns, defaultBench, named, runLabel, studySteps, totalSeconds } from './study-progress';
import { datasetSize, type DatasetSize, type StudyEstimateInput } from '../../src-shared/estimate';
import { APP_VERSION } from '../version';

export const STUDY_STEPS = ['import', 'grid', 'train', 'evaluate', 'spectra', 'robustness', 'explain', 'report'] as const;
export type StudyStep = (typeof STUDY_STEPS)[number];

export interface StudyOutcome {
  study: string;
  runs: GridRunOutcome[];
  evaluations: string[];
  spectra: string[];
  robustness: string | null;
  explanations: string[];
  report: ReportResult | null;
  skipped: { step: StudyStep; reason: string }[];
  /** Everything this call did not do, with reason and fix (empty: the study finished cleanly). */
  warnings: StudyWarning[];
  seconds: number;
}

export interface RunStudyOptions {
  /** Resolves relative paths of the plan (default the current directory). */
  baseDir?: string;
  /** Stop after this step (tests, or a quick look). */
  until?: StudyStep;
  /** Date printed on the report. */
  reportDate?: Date;
  /**
   * The study's bar when the caller reported steps of its own first (the demo's data and stand-in weights); its pending steps are
   * replaced.
   */
  progress?: StudyProgress;
  /** Sizes of the plan's datasets before they are imported (the demo knows them), for the first estimate. */
  sizeHints?: readonly DatasetSize[];
  /** Measured per-image costs (engine.benchmark); default defaultBench at the grid's input size. */
  bench?: StudyEstimateInput['bench'];
  /**
   * Save the grid but train no run (a cluster's finish job: the cluster's tasks trained the runs).
   * Every run not done becomes a warning; evaluations, analyses and the report use the finished runs.
   */
  skipTraining?: boolean;
}

/** Estimated seconds of a dataset import when its size is not known yet. */
const IMPORT_GUESS_SECONDS = 20;

/** What fixes a run that could not be trained, in the words of the app. */
export function cellFix(cell: Pick<GridCell, 'strategy' | 'status' | 'reason'>): string {
  if (cell.status === 'blocked' && cell.strategy === 'IFI-FS')
    return "Choose ImageNet weights (a torchvision ResNet50 .pth file) in the study wizard's Weights step, or use demo stand-in weights; then run the study again";
  if (cell.status === 'blocked' && cell.strategy === 'IFI-CL')
    return "Choose the MoCo v2 checkpoint (moco_v2_800ep_pretrain.pth.tar) in the study wizard's Weights step, or use demo stand-in weights; then run the study again";
  if (cell.reason?.includes('exists with other settings'))
    return 'Delete the old run, or change the grid back to the settings it was trained with; then run the study again';
  return 'Correct this setting in the study wizard, then run the study again';
}

/** What trains a run a study with skipTraining left untrained (pending or partial). */
function untrainedFix(study: string): string {
  return `Train it (funduslab grid --study ${study}, or the cluster's retry: funduslab grid --study ${study} --executor slurm --retry-failed), then run the study again`;
}

/** The warnings of an analysis that needs one finished run per strategy at a fraction and seed. */
function analysisWarnings(
  item: string,
  chosen: readonly RunInfo[],
  strategies: readonly TrainingStrategy[],
  fraction: number,
  seed: number,
): StudyWarning[] {
  const missing = strategies.filter((s) => !chosen.some((r) => r.spec.strategy === s));
  const fix = `Train the missing run (see the run warnings), or choose another label fraction and seed for ${item} in the study wizard; then run the study again`;
  if (chosen.length === 0) return [{ item, reason: `no finished run at fraction ${fraction}, seed ${seed}`, fix }];
  return missing.map((s) => ({ item: `${item} of ${s}`, reason: `no finished ${s} run at fraction ${fraction}, seed ${seed}`, fix }));
}

/** The finished runs used by an analysis: one per strategy of the grid at the chosen fraction and seed. */
function chooseRuns(runs: readonly RunInfo[], strategies: readonly TrainingStrategy[], fraction: number, seed: number): RunInfo[] {
  return strategies
    .map((s) => runs.find((r) => r.spec.strategy === s && r.spec.fraction === fraction && r.spec.seed === seed && r.best !== null))
    .filter((r): r is RunInfo => r !== undefined);
}

export async function runStudy(planInput: StudyPlanInput | StudyPlan, ctx: JobContext, opts: RunStudyOptions = {}): Promise<StudyOutcome> {
  const started = performance.now();
  const parsed = parseOrThrow(StudyPlan, planInput, 'study plan');
  const base = path.resolve(opts.baseDir ?? '.');
  const study = path.resolve(base, parsed.study);
  const plan = resolvePlanPaths(parsed, base);
  const out: StudyOutcome = {
    study,
    runs: [],
    evaluations: [],
    spectra: [],
    robustness: null,
    explanations: [],
    report: null,
    skipped: [],
    warnings: [],
    seconds: 0,
  };
  const stepIndex = (s: StudyStep) => STUDY_STEPS.indexOf(s);
  const stop = (s: StudyStep) => opts.until !== undefined && stepIndex(s) > stepIndex(opts.until);
  const finish = () => ({ ...out, seconds: (performance.now() - started) / 1000 });
  // One bar for the whole study (src-shared/progress.ts): each step weighted by its estimated seconds, named once.
  const bench = opts.bench ?? defaultBench((plan.grid.base as { inputSize?: number }).inputSize ?? 224);
  const bar = opts.progress ?? new StudyProgress(ctx, []);
  const sub = (key: string, name: (message: string) => string, runId?: string): JobContext => bar.context(key, name, runId);
  /** Item i of n of step `key` (an evaluation, a run's analysis), named `step`: its own progress fills its 1/n of the step. */
  const item = (key: string, i: number, n: number, step: string): JobContext => {
    bar.report(key, i / n, step);
    return {
      progress: (d, t, m) => bar.report(key, (i + (t > 0 ? Math.min(1, d / t) : 0)) / n, named(step, m)),
      log: ctx.log,
      signal: ctx.signal,
    };
  };

  // 1. Study and datasets.
  if (!existsSync(studyLayout(study).studyFile)) await new StudyService({ appVersion: APP_VERSION }).create(study, plan.name);
  await writeStudyPlan(study, plan);
  const summaries = await listDatasets(study);
  const have = new Set(summaries.map((d) => d.id));
  const toImport = plan.datasets.filter((d) => !(d.id && have.has(d.id)));
  {
    // Until the grid is saved, the rest of the study is estimated from every cell of the grid on the known (or hinted) sizes.
    const known = [...(opts.sizeHints ?? []), ...summaries.filter((d) => d.readable).map((d) => datasetSize(d))];
    const hinted = (id: string | undefined) => known.find((k) => k.id === id);
    const importSeconds = (d: (typeof toImport)[number]) => {
      const size = hinted(d.id);
      return size ? Object.values(size.splits).reduce((a, b) => a + b, 0) * OVERHEAD.importPerImage : IMPORT_GUESS_SECONDS;
    };
    const imports = toImport.map((d, i) => ({ key: `import:${i}`, seconds: importSeconds(d) }));
    const rest = totalSeconds(studySteps(plan, known, allRuns(plan.grid), bench));
    bar.replan([...imports, { key: 'grid', seconds: OVERHEAD.grid }, { key: 'rest', seconds: rest }]);
  }
  for (const [i, d] of toImport.entries()) {
    throwIfCancelled(ctx);
    const name = `Importing ${d.id ?? d.type}`;
    bar.report(`import:${i}`, 0, named(name, `from ${d.path}`));
    const result = await importDataset(
      d,
      study,
      sub(`import:${i}`, (m) => named(name, m)),
    );
    bar.finish(`import:${i}`);
    ctx.log(`Imported ${result.datasetId}: ${result.processed} images`);
  }
  if (stop('grid')) return finish();

  // 2–3. The grid, then every runnable run (unfinished ones resume).
  bar.report('grid', 0, 'Saving the training grid');
  const view = await saveGrid(study, plan.grid);
  {
    // The rest of the study, now that the runs to train and the datasets' sizes are known.
    const sizes = (await listDatasets(study)).filter((d) => d.readable).map((d) => datasetSize(d));
    const runs = opts.skipTraining
      ? []
      : view.cells
          .filter((c) => c.status === 'pending' || c.status === 'partial')
          .map((c) => ({ runId: c.runId, strategy: c.strategy, fraction: c.fraction, seed: c.seed }));
    bar.replan(studySteps(plan, sizes, runs, bench));
  }
  for (const c of view.cells.filter((c) => c.status === 'blocked' || c.status === 'invalid')) {
    out.skipped.push({ step: 'train', reason: `${c.runId}: ${c.reason}` });
    out.warnings.push({ item: `run ${c.runId}`, reason: c.reason ?? c.status, fix: cellFix(c) });
  }
  if (stop('train')) return finish();
  if (opts.skipTraining) {
    // The runs were trained elsewhere (a cluster's tasks): what is not done is a warning, the rest of the study goes on.
    for (const c of view.cells.filter((c) => c.status === 'pending' || c.status === 'partial')) {
      out.skipped.push({ step: 'train', reason: `${c.runId}: not trained (${c.status})` });
      out.warnings.push({ item: `run ${c.runId}`, reason: `not trained: ${c.status}`, fix: untrainedFix(study) });
    }
  } else {
    // Each run is a step of the bar, named with the run being trained; its own progress is its epochs × batches.
    let trainCtx = sub('train', (m) => m);
    const runsCtx: JobContext = { progress: (d, t, m) => trainCtx.progress(d, t, m), log: ctx.log, signal: ctx.signal };
    out.runs = await runGrid(study, runsCtx, (i, n, cell) => {
      const name = `Training ${i + 1} of ${n} · ${runLabel(cell)}`;
      trainCtx = sub(`train:${cell.runId}`, (m) => named(name, m), cell.runId);
      bar.report(`train:${cell.runId}`, 0, name, cell.runId);
      ctx.log(`Training run ${i + 1}/${n}: ${cell.runId}`);
    });
  }
  for (const r of out.runs.filter((r) => r.status === 'failed'))
    out.warnings.push({
      item: `run ${r.runId}`,
      reason: `training failed: ${r.error?.message ?? 'unknown error'}`,
      fix: "Open the run's log on the Training page, fix the cause, then run the study again (the run resumes from its last checkpoint)",
    });
  for (const r of out.runs.filter((r) => r.status === 'busy'))
    out.warnings.push({
      item: `run ${r.runId}`,
      reason: `being trained elsewhere: ${r.error?.message ?? 'another process holds the run'}`,
      fix: `Wait for it to finish (${r.heldBy ?? 'the process that holds it'}), then run the study again`,
    });
  if (stop('evaluate')) return finish();

  // 4. Evaluations of every finished run on every test set (runs outdated by a changed plan are left as they are).
  const runs = (await listRunsWithStanding(study)).filter((r) => !r.standing.outdated);
  const finished = runs.filter((r) => r.result !== null && r.best !== null);
  const jobs: { run: RunInfo; datasetId: string; split: 'test' | 'train' | 'all' }[] = [];
  for (const e of plan.evaluate) {
    const split = e.split ?? defaultSplit((await readDatasetManifest(study, e.datasetId, 'evaluate.datasetId')).manifest);
    for (const run of finished) jobs.push({ run, datasetId: e.datasetId, split });
  }
  let evaluated = 0;
  for (const [i, j] of jobs.entries()) {
    throwIfCancelled(ctx);
    const name = evaluationName(j.run.runId, j.datasetId, j.split);
    out.evaluations.push(name);
    if (await reusableResult(study, 'evaluations', name, (line) => ctx.log(line))) continue;
    const step = `Evaluating ${i + 1} of ${jobs.length} · ${runLabel(j.run.spec)} on ${j.datasetId} (${j.split})`;
    evaluated++;
    await evaluateRun({ runId: j.run.runId, datasetId: j.datasetId, split: j.split }, study, item('evaluate', i, jobs.length, step), {
      preprocessOnDemand: true,
    });
  }
  bar.finish('evaluate', { skipped: evaluated === 0 });
  if (stop('spectra')) return finish();

  // 5. Spectra (one result per run).
  if (plan.spectra) {
    const chosen = chooseRuns(runs, plan.grid.strategies, plan.spectra.fraction, plan.spectra.seed);
    if (chosen.length === 0)
      out.skipped.push({ step: 'spectra', reason: `no finished run at fraction ${plan.spectra.fraction}, seed ${plan.spectra.seed}` });
    out.warnings.push(...analysisWarnings('spectra', chosen, plan.grid.strategies, plan.spectra.fraction, plan.spectra.seed));
    let worked = 0;
    for (const [i, r] of chosen.entries()) {
      throwIfCancelled(ctx);
      // The result of this very request (its settings name it): a rerun finds it, other settings' results stay beside it.
      const request: SpectraRequestInput = { runId: r.runId, datasetId: plan.spectra.datasetId, images: plan.spectra.images };
      const { name } = spectraName(request);
      out.spectra.push(name);
      if (await reusableResult(study, 'spectra', name, (line) => ctx.log(line))) continue;
      worked++;
      const step = `Spectra ${i + 1} of ${chosen.length} · ${runLabel(r.spec)} on ${plan.spectra.datasetId}`;
      await runSpectra(request, study, item('spectra', i, chosen.length, step));
    }
    bar.finish('spectra', { skipped: worked === 0 });
  }
  if (stop('robustness')) return finish();

  // 6. Robustness (all chosen runs together: they see the same corrupted images).
  if (plan.robustness) {
    const chosen = chooseRuns(runs, plan.grid.strategies, plan.robustness.fraction, plan.robustness.seed);
    out.warnings.push(...analysisWarnings('robustness', chosen, plan.grid.strategies, plan.robustness.fraction, plan.robustness.seed));
    if (chosen.length === 0)
      out.skipped.push({
        step: 'robustness',
        reason: `no finished run at fraction ${plan.robustness.fraction}, seed ${plan.robustness.seed}`,
      });
    else {
      const request: RobustnessRequestInput = {
        runIds: chosen.map((r) => r.runId),
        datasetId: plan.robustness.datasetId,
        images: plan.robustness.images,
        severities: plan.robustness.severities,
        ...(plan.robustness.corruptions ? { corruptions: plan.robustness.corruptions } : {}),
      };
      const { name } = robustnessName(request);
      if (!(await reusableResult(study, 'robustness', name, (line) => ctx.log(line)))) {
        await runRobustness(
          request,
          study,
          sub('robustness', (m) => named(`Robustness · ${chosen.length} models on ${request.datasetId}`, m)),
          { preprocessOnDemand: true },
        );
        bar.finish('robustness');
      }
      out.robustness = name;
    }
  }
  bar.finish('robustness', { skipped: true });
  if (stop('explain')) return finish();

  // 7. Explanations.
  if (plan.explain) {
    const chosen = chooseRuns(runs, plan.grid.strategies, plan.explain.fraction, plan.explain.seed);
    if (chosen.length === 0)
      out.skipped.push({ step: 'explain', reason: `no finished run at fraction ${plan.explain.fraction}, seed ${plan.explain.seed}` });
    out.warnings.push(...analysisWarnings('explanations', chosen, plan.grid.strategies, plan.explain.fraction, plan.explain.seed));
    let worked = 0;
    for (const [i, r] of chosen.entries()) {
      throwIfCancelled(ctx);
      const request: ExplainRequestInput = {
        runId: r.runId,
        datasetId: plan.explain.datasetId,
        ...(plan.explain.images ? { images: plan.explain.images } : {}),
      };
      const { name } = explanationName(request);
      out.explanations.push(name);
      if (await reusableResult(study, 'explanations', name, (line) => ctx.log(line))) continue;
      worked++;
      const step = `Explanations ${i + 1} of ${chosen.length} · ${runLabel(r.spec)} on ${plan.explain.datasetId}`;
      await explainRun(request, study, item('explain', i, chosen.length, step), { preprocessOnDemand: true });
    }
    bar.finish('explain', { skipped: worked === 0 });
  }
  if (stop('report')) return finish();

  // 8. Report.
  if (plan.report) {
    out.report = await buildReport(
      study,
      {
        out: path.resolve(study, plan.report.out),
        revealImageIds: plan.report.revealImageIds,
        ...(opts.reportDate ? { date: opts.reportDate } : {}),
      },
      sub('report', (m) => named('Building the report', m)),
    );
  }
  const n = out.warnings.length;
  bar.complete(n > 0 ? `Study finished with ${n} warning${n === 1 ? '' : 's'}` : 'Study finished');
  for (const w of out.warnings) ctx.log(`Warning: ${w.item}: ${w.reason}. Fix: ${w.fix}`);
  return finish();
}

/** The outcome as plain JSON (StudyRunResult). */
export function studyRunResult(o: StudyOutcome): StudyRunResult {
  return {
    study: o.study,
    runs: o.runs.map((r) => ({
      runId: r.runId,
      status: r.status,
      bestValAuc: r.result?.bestValAuc ?? null,
      error: r.error?.message ?? null,
    })),
    evaluations: o.evaluations,
    spectra: o.spectra,
    robustness: o.robustness,
    explanations: o.explanations,
    report: o.report ? { pdf: o.report.pdf, pages: o.report.pages } : null,
    skipped: o.skipped,
    warnings: o.warnings,
    seconds: o.seconds,
  };
}
