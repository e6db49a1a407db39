import type { BackendPreference } from '../../../src-shared/engine';
import { AppError } from '../../../src-shared/errors';
import type { WorkerLauncher } from './launcher';
import { FromWorker, type ToWorker } from './protocol';

/**
 * Runs one task in a fresh worker process and resolves with its result (used for short internal
 * tasks such as the engine probe, which are not shown as jobs).
 */
export function runWorkerTask(
  launcher: WorkerLauncher,
  task: string,
  params: unknown,
  preference: BackendPreference,
  onProgress?: (done: number, total: number, message: string) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = launcher.start({});
    let settled = false;
    worker.onMessage((raw) => {
      const parsed = FromWorker.safeParse(raw);
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'ready') worker.postMessage({ type: 'run', task, params, preference, studyPath: null } satisfies ToWorker);
      else if (message.type === 'progress') onProgress?.(message.done, message.total, message.message);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.value);
      } else if (message.type === 'error') {
        settled = true;
        reject(new AppError(message.error.code, message.error.message, message.error.issues));
      }
    });
    worker.onExit((code) => {
      if (!settled)
        reject(new AppError('INTERNAL', `The compute worker ended unexpectedly (exit code ${code ?? 'signal'}) while running ${task}.`));
    });
  });
}
