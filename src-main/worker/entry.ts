/**
 * Entry point of a compute worker process (dist/worker.js). Started by `child_process.fork` in
 * plain Node and by Electron's `utilityProcess.fork` in the desktop app; talks to its parent only
 * through the messages in services/jobs/protocol.ts. One worker runs one task, then exits.
 */
import type { BackendPreference } from '../../src-shared/engine';
import { JOB_KINDS, type JobKind } from '../../src-shared/jobs';
import { AppError, describeIssues, fieldIssues, type ErrorPayload } from '../../src-shared/errors';
import { ToWorker, type FromWorker } from '../services/jobs/protocol';
import { TASKS } from './tasks';
import { asAppError } from '../fs/errors';
import { judgeLocksWithSlurm } from '../services/cluster/task';

judgeLocksWithSlurm();

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: FromWorker): void {
  if (parentPort) parentPort.postMessage(message);
  else if (process.send) process.send(message);
}

function onMessage(listener: (message: unknown) => void): void {
  if (parentPort) parentPort.on('message', (event) => listener(event.data));
  else process.on('message', listener);
}

const controller = new AbortController();
let busy = false;

onMessage((raw) => {
  const parsed = ToWorker.safeParse(raw);
  if (!parsed.success) {
    send({ type: 'log', line: `ignored malformed message: ${describeIssues(fieldIssues(parsed.error))}` });
    return;
  }
  const message = parsed.data;
  if (message.type === 'cancel') {
    controller.abort();
    return;
  }
  if (busy) {
    send({ type: 'log', line: 'ignored a second run request: a worker runs one task' });
    return;
  }
  busy = true;
  void run(message.task, message.params, message.preference, message.studyPath).finally(() => {
    // Let the last message flush, then end the process (tfjs keeps handles open otherwise).
    setTimeout(() => process.exit(0), 50);
  });
});

async function run(task: string, params: unknown, preference: BackendPreference, studyPath: string | null) {
  const handler = TASKS[task];
  if (!handler) {
    send({ type: 'error', error: { code: 'UNSUPPORTED', message: `This FundusLab worker has no task named ${task}` } });
    return;
  }
  try {
    const value = await handler(params, {
      preference,
      studyPath,
      signal: controller.signal,
      progress: (done, total, message, info) =>
        send({ type: 'progress', done, total: Math.max(total, Number.MIN_VALUE), message, ...(info ? { info } : {}) }),
      log: (line) => send({ type: 'log', line }),
    });
    const resultSchema = Object.prototype.hasOwnProperty.call(JOB_KINDS, task) ? JOB_KINDS[task as JobKind].result : null;
    if (resultSchema) {
      const checked = resultSchema.safeParse(value);
      if (!checked.success) throw new Error(`result of ${task} does not match its schema: ${describeIssues(fieldIssues(checked.error))}`);
    }
    send({ type: 'result', value });
  } catch (error) {
    const payload: ErrorPayload = asAppError(error).toPayload();
    if (!(error instanceof AppError)) send({ type: 'log', line: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    send({ type: 'error', error: payload });
  }
}

send({ type: 'ready' });
