/**
 * What a worker process can run: every job kind (declared in JOB_KINDS, src-shared/jobs.ts) plus the
 * internal engine probes. A job kind's common steps run once here, as its entry declares them: the
 * study folder check, the parameters parsed again (the kind's label names them in the refusal), the
 * study's lock taken (one writer per study), the engine started; then the kind's own handler runs.
 * The worker validates each job result against the kind's result schema before sending it.
 */
import type { z } from 'zod';
import type { BackendPreference } from '../../src-shared/engine';
import { evaluateRun } from '../services/evaluation/evaluate';
import { explainRun } from '../analysis/lrp/service';
import { runRobustness } from '../analysis/robustness/service';
import { runSpectra } from '../analysis/spectra/service';
import { buildReport } from '../report/report';
import { assertReportOutFree } from '../report/out-file';
import { runStudy, studyRunResult } from '../study-run/run-study';
import { deriveStudyStandins } from '../study-run/demo-study';
import path from 'node:path';
import { runTraining } from '../services/training';
import { SelfTestParams } from '../../src-shared/engine';
import { addDemoData } from '../services/demo/study-demo';
import { runQuickBench } from '../engine/quick-bench';
import { importDataset } from '../services/datasets/import/import-service';
import { AppError, parseOrThrow } from '../../src-shared/errors';
import {
  JOB_KINDS,
  JobKindName,
  type JobKind,
  type JobKindSpec,
  type JobNeedsStudy,
  type JobParams,
  type JobResult,
} from '../../src-shared/jobs';
import { initEngine } from '../engine/backend';
import { collectDoctorReport } from '../engine/doctor';
import { runSelfTest } from '../engine/selftest';
import { inspectWeights, type InspectReport } from '../engine/weights/inspect';
import { WeightsInspection, WeightsInspectRequest } from '../../src-shared/weights';
import type { JobContext } from '../job-context';
import { APP_VERSION, ELECTRON_VERSION } from '../version';
import { studyLayout } from '../services/study-folder/layout';
import { withStudyLock } from '../services/study-folder/lock';
import { ModelExportRequest } from '../../src-shared/contract';
import { exportRunModel } from '../services/runs/export-model';

export interface TaskContext extends JobContext {
  preference: BackendPreference;
  /** The study the job belongs to, if any. */
  studyPath: string | null;
}

export type Task = (params: unknown, ctx: TaskContext) => Promise<unknown>;

/** A kind's own work, after the common steps: its parameters parsed, and its study folder when the kind needs one. */
type JobHandler<K extends JobKind> = (
  params: JobParams<K>,
  ctx: JobNeedsStudy<K> extends true ? TaskContext & { studyPath: string } : TaskContext,
) => Promise<JobResult<K>>;

/** One handler per job kind (a kind without one does not compile). */
const handlers: { [K in JobKind]: JobHandler<K> } = {
  'engine.selftest': (params, ctx) => runSelfTest(params, ctx),
  'engine.benchmark': (params, ctx) => runQuickBench(params, ctx),
  'dataset.demo': (params, ctx) => addDemoData(params, ctx.studyPath, ctx),
  'dataset.import': (params, ctx) => importDataset(params, ctx.studyPath, ctx),
  'train.run': (params, ctx) => runTraining(params, ctx.studyPath, ctx),
  // A dataset cached at another input size than the run's is preprocessed at the run's size on demand (logged), as on the CLI.
  'evaluate.run': (params, ctx) => evaluateRun(params, ctx.studyPath, ctx, { preprocessOnDemand: true }),
  'spectra.run': (params, ctx) => runSpectra(params, ctx.studyPath, ctx),
  'robustness.run': (params, ctx) => runRobustness(params, ctx.studyPath, ctx, { preprocessOnDemand: true }),
  'explain.run': (params, ctx) => explainRun(params, ctx.studyPath, ctx, { preprocessOnDemand: true }),
  'report.build': async (params, ctx) => {
    const out = params.out ?? studyLayout(ctx.studyPath).defaultReportFile();
    await assertReportOutFree(out, params.overwrite);
    return buildReport(ctx.studyPath, { out, revealImageIds: params.revealImageIds, includeOutdated: params.includeOutdated }, ctx);
  },
  'study.run': async (plan, ctx) => {
    // The plan's study is usually the job's own (held already); another folder is locked for the plan too.
    const study = path.resolve(ctx.studyPath, plan.study);
    return studyRunResult(
      await withStudyLock(study, 'Whole study (app job)', () => runStudy({ ...plan, study }, ctx, { baseDir: ctx.studyPath }), {
        log: ctx.log,
      }),
    );
  },
  'weights.standin': (params, ctx) => deriveStudyStandins(ctx.studyPath, params, ctx),
};

/**
 * A job kind as a worker task: refuses a job without its study folder when the kind needs one, parses
 * the parameters, takes the study's lock when the kind needs the study (it writes into it), starts the
 * engine with the job's preference when the kind runs on it, then runs the kind's handler.
 */
function jobTask<K extends JobKind>(kind: K): Task {
  const spec: JobKindSpec = JOB_KINDS[kind];
  const handler = handlers[kind] as (params: JobParams<K>, ctx: TaskContext) => Promise<JobResult<K>>;
  return async (params, ctx) => {
    if (spec.study !== 'optional' && !ctx.studyPath)
      throw new AppError('BAD_REQUEST', `${spec.study.required} needs the study folder`, [{ path: 'studyPath', message: 'required' }]);
    const parsed = parseOrThrow(spec.params as z.ZodType<JobParams<K>>, params, spec.paramsLabel);
    const work = async () => {
      if (spec.engine) {
        const status = await initEngine({ preference: ctx.preference });
        ctx.log(`engine: ${status.active}`);
      }
      return handler(parsed, ctx);
    };
    // A kind that needs its study writes into it: one writer per study (a second is refused with BUSY at once).
    return spec.study === 'optional' || !ctx.studyPath
      ? work()
      : withStudyLock(ctx.studyPath, `${spec.title} (app job)`, work, { log: ctx.log });
  };
}

const jobTasks = Object.fromEntries(JobKindName.options.map((kind) => [kind, jobTask(kind)])) as Record<JobKind, Task>;

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
  /** Writes a run's selected model as .safetensors or tfjs where the user chose (`models.export`); the model loads on the engine. */
  'models.export': async (params, ctx) => {
    const request = parseOrThrow(ModelExportRequest, params, 'model export request');
    await initEngine({ preference: ctx.preference });
    return exportRunModel(request);
  },
  /** Reads a weights file (pure JS, no tfjs backend needed) and plans its import into each architecture. */
  'weights.inspect': async (params) => {
    const request = parseOrThrow(WeightsInspectRequest, params, 'weights inspect request');
    return toWeightsInspection(
      await inspectWeights(request.path, { classes: request.classes, ...(request.archs ? { archs: request.archs } : {}) }),
    );
  },
};
