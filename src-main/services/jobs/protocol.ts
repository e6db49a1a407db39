/**
 * Messages between the job service (parent) and a worker process. Both sides parse what they
 * receive: the parent never trusts a worker's message shape either.
 */
import { z } from 'zod';
import { BackendPreference } from '../../../src-shared/engine';
import { ErrorPayload } from '../../../src-shared/errors';

/** Tasks a worker runs: every job kind, plus the engine probes behind `engine.status` / `engine.doctor`. */
export const WorkerTask = z.string().min(1);

export const ToWorker = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run'),
    task: WorkerTask,
    params: z.unknown(),
    preference: BackendPreference,
    studyPath: z.string().nullable(),
  }),
  z.object({ type: z.literal('cancel') }),
]);
export type ToWorker = z.infer<typeof ToWorker>;

export const FromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('progress'),
    done: z.number().nonnegative(),
    total: z.number().positive(),
    message: z.string(),
    /** The whole-study progress model's elapsed time, time left and run being trained (src-shared/progress.ts). */
    info: z
      .object({
        elapsedSeconds: z.number().nonnegative(),
        etaSeconds: z.number().nonnegative().nullable(),
        runId: z.string().optional(),
      })
      .optional(),
  }),
  z.object({ type: z.literal('log'), line: z.string() }),
  z.object({ type: z.literal('result'), value: z.unknown() }),
  z.object({ type: z.literal('error'), error: ErrorPayload }),
]);
export type FromWorker = z.infer<typeof FromWorker>;
