/**
 * What a worker process can run: every job kind (see JOB_KINDS in src-shared/jobs.ts) plus the
 * internal engine probes. Each task parses its own parameters; the worker validates each job
 * result against the kind's result schema before sending it.
 */
import type { BackendPreference } from '../../src-shared/engine';
import { ImportRequest } from '../../src-shared/datasets';
import { TrainingSpec } from '../../src-shared/training';
import { EvaluateRequest } from '../../src-shared/evaluation';
import { evaluateRun } from '../services/evaluation/evaluate';
import { ExplainRequest } from '../../src-shared/explanations';
import { RobustnessRequest } from '../../src-shared/robustness';
import { SpectraRequest } from '../../src-shared/spectra';
import { ReportRequest } from '../../src-shared/jobs';
import { explainRun } from '../analysis/lrp/service';
import { runRobustness } from '../analysis/robustness/service';
import { runSpectra } from '../analysis/spectra/service';
import { buildReport } from '../report/report';
import { StudyPlan } from '../../src-shared/study-plan';
import { runStudy, studyRunResult } from '../study-run/run-study';
import path from 'node:path';
import { runTraining } from '../services/training';
import { QuickBenchParams, SelfTestParams } from '../../src-shared/engine';
import { DemoDataRequest } from '../../src-shared/datasets';
import { addDemoData } from '../services/demo/study-demo';
import { runQuickBench } from '../engine/quick-bench';
import { importDataset } from '../services/datasets/import/import-service';
import { AppError, parseOrThrow } from '../../src-shared/errors';
import type { JobKind } from '../../src-shared/jobs';
import { initEngine } from '../engine/backend';
import { collectDoctorReport } from '../engine/doctor';
import { runSelfTest } from '../engine/selftest';
import { inspectWeights, type InspectReport } from '../engine/weights/inspect';
import { WeightsInspection, WeightsInspectRequest } from '../../src-shared/weights';
import type { JobContext } from '../job-context';
import { APP_VERSION, ELECTRON_VERSION } from '../version';
import { studyLayout } from '../services/study-folder/layout';

export interface TaskContext extends JobContext {
  preference: BackendPreference;
  /** The study the job belongs to, if any. */
  studyPath: string | null;
}

export type Task = (params: unknown, ctx: TaskContext) => Promise<unknown>;

const jobTasks: Record<JobKind, Task> = {
  'engine.selftest': async (params, ctx) => {
    const parsed = parseOrThrow(SelfTestParams, params, 'self-test parameters');
    const status = await initEngine({ preference: ctx.preference });
    ctx.log(`engine: ${status.active}`);
    return runSelfTest(parsed, ctx);
  },
  'engine.benchmark': async (params, ctx) => {
    const parsed = parseOrThrow(QuickBenchParams, params, 'speed measurement parameters');
    const status = await initEngine({ preference: ctx.preference });
    ctx.log(`engine: ${status.active}`);
    return runQuickBench(parsed, ctx);
  },
  'dataset.demo': async (params, ctx) => {
    if (!ctx.studyPath) throw new AppError('BAD_REQUEST', 'Demo data needs the study folder', [{ path: 'studyPath', message: 'required' }]);
    return addDemoData(parseOrThrow(DemoDataRequest, params, 'demo data request'), ctx.studyPath, ctx);
  },
  'dataset.import': async (params, ctx) => {
    if (!ctx.studyPath) throw new AppError('BAD_REQUEST', 'A dataset import needs the study folder', [{ path: 'studyPath', message: 'required' }]);
    return importDataset(parseOrThrow(ImportRequest, params, 'import request'), ctx.studyPath, ctx);
  },
  'train.run': async (params, ctx) => {
    if (!ctx.studyPath) throw new AppError('BAD_REQUEST', 'A training run needs the study folder', [{ path: 'studyPath', message: 'required' }]);
    const spec = parseOrThrow(TrainingSpec, params, 'training spec');
    const status = await initEngine({ preference: ctx.preference });
    ctx.log(`engine: ${status.active}`);
    return runTraining(spec, ctx.studyPath, ctx);
  },
  'evaluate.run': async (params, ctx) => {
    if (!ctx.studyPath) throw new AppError('BAD_REQUEST', 'An evaluation needs the study folder', [{ path: 'studyPath', message: 'required' }]);
    const request = parseOrThrow(EvaluateRequest, params, 'evaluation request');
    const status = await initEngine({ preference: ctx.preference });
    ctx.log(`engine: ${status.active}`);
    return evaluateRun(request, ctx.studyPath, ctx);
  },
  'spectra.run': async (params, ctx) => runAnalysis(ctx, 'A spectra analysis', () => runSpectra(parseOrThrow(SpectraRequest, params, 'spectra request'), ctx.studyPath!, ctx)),
  'robustness.run': async (params, ctx) => runAnalysis(ctx, 'A robustness analysis', () => runRobustness(parseOrThrow(RobustnessRequest, params, 'robustness request'), ctx.studyPath!, ctx)),
  'explain.run': async (params, ctx) => runAnalysis(ctx, 'An explanation', () => explainRun(parseOrThrow(ExplainRequest, params, 'explain request'), ctx.studyPath!, ctx)),
  'report.build': async (params, ctx) => {
    if (!ctx.studyPath) throw new AppError('BAD_REQUEST', 'A report needs the study folder', [{ path: 'studyPath', message: 'required' }]);
    const request = parseOrThrow(ReportRequest, params, 'report request');
    const out = request.out ?? studyLayout(ctx.studyPath).defaultReportFile();
    return buildReport(ctx.studyPath, { out, revealImageIds: request.revealImageIds }, ctx);
  },
  'study.run': async (params, ctx) =>
    runAnalysis(ctx, 'A study', async () => {
      const plan = parseOrThrow(StudyPlan, params, 'study plan');
      return studyRunResult(await runStudy({ ...plan, study: path.resolve(ctx.studyPath!, plan.study) }, ctx, { baseDir: ctx.studyPath! }));
    }),
};

/** Checks the study, starts the engine with the job's preference, runs the analysis. */
async function runAnalysis<T>(ctx: TaskContext, what: string, run: () => Promise<T>): Promise<T> {
  if (!ctx.studyPath) throw new AppError('BAD_REQUEST', `${what} needs the study folder`, [{ path: 'studyPath', message: 'required' }]);
  const status = await initEngine({ preference: ctx.preference });
  ctx.log(`engine: ${status.active}`);
  return run();
}

/**
 * The engine's InspectReport as the contract's WeightsInspection. The mapping is explicit (not a
 * cast) and the result is parsed, so a field added to either side fails here, loudly, not in the UI.
 */
export function toWeightsInspection(report: InspectReport): WeightsInspection {
  return WeightsInspection.parse({
    file: report.file,
    format: report.format,
    layout: report.layout,
    stateDictKey: report.stateDictKey,
    otherFields: report.otherFields.map((f) => ({ key: f.key, description: f.description })),
    metadata: report.metadata,
    tensors: {
      count: report.tensors.count,
      elements: report.tensors.elements,
      parameters: report.tensors.parameters,
      dtypes: Object.fromEntries(Object.entries(report.tensors.dtypes).filter((e): e is [string, number] => e[1] !== undefined)),
    },
    detected: report.detected
      ? {
          arch: report.detected.arch,
          depth: report.detected.depth,
          width: report.detected.width,
          block: report.detected.block,
          classes: report.detected.classes,
          moco: report.detected.moco,
        }
      : null,
    imports: report.imports.map((p) => ({
      arch: p.arch,
      classes: p.classes,
      ok: p.ok,
      moco: p.moco,
      loaded: p.loaded,
      skipped: p.skipped,
      reinitialised: p.reinitialised,
      missing: p.missing,
      mismatched: p.mismatched,
      unexpected: p.unexpected,
    })),
  });
}

export const TASKS: Record<string, Task> = {
  ...jobTasks,
  'engine.status': async (_params, ctx) => initEngine({ preference: ctx.preference }),
  'engine.doctor': async (params, ctx) => {
    const selfTest = parseOrThrow(SelfTestParams, params ?? {}, 'self-test parameters');
    await initEngine({ preference: ctx.preference });
    return collectDoctorReport({ appVersion: APP_VERSION, electronVersion: ELECTRON_VERSION, selfTest, ctx });
  },
  /** Reads a weights file (pure JS, no tfjs backend needed) and plans its import into each architecture. */
  'weights.inspect': async (params) => {
    const request = parseOrThrow(WeightsInspectRequest, params, 'weights inspect request');
    return toWeightsInspection(await inspectWeights(request.path, { classes: request.classes, ...(request.archs ? { archs: request.archs } : {}) }));
  },
};
