/**
 * What a worker process can run: every job kind (see JOB_KINDS in src-shared/jobs.ts) plus the
 * internal engine probes. Each task parses its own parameters; the worker validates each job
 * result against the kind's result schema before sending it.
 */
import type { BackendPreference } from '../../src-shared/engine';
import { ImportRequest } from '../../src-shared/datasets';
import { SelfTestParams } from '../../src-shared/engine';
import { importDataset } from '../services/datasets/import-service';
import { AppError, parseOrThrow } from '../../src-shared/errors';
import type { JobKind } from '../../src-shared/jobs';
import { initEngine } from '../engine/backend';
import { collectDoctorReport } from '../engine/doctor';
import { runSelfTest } from '../engine/selftest';
import type { JobContext } from '../services/jobs/context';
import { APP_VERSION, ELECTRON_VERSION } from '../version';

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
  'dataset.import': async (params, ctx) => {
    if (!ctx.studyPath) throw new AppError('BAD_REQUEST', 'A dataset import needs the study folder', [{ path: 'studyPath', message: 'required' }]);
    return importDataset(parseOrThrow(ImportRequest, params, 'import request'), ctx.studyPath, ctx);
  },
};

export const TASKS: Record<string, Task> = {
  ...jobTasks,
  'engine.status': async (_params, ctx) => initEngine({ preference: ctx.preference }),
  'engine.doctor': async (params, ctx) => {
    const selfTest = parseOrThrow(SelfTestParams, params ?? {}, 'self-test parameters');
    await initEngine({ preference: ctx.preference });
    return collectDoctorReport({ appVersion: APP_VERSION, electronVersion: ELECTRON_VERSION, selfTest, ctx });
  },
};
