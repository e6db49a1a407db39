/**
 * WorkerLauncher on Electron's utilityProcess: each job worker is a Chromium-managed Node process
 * (dist/worker.js) named "FundusLab compute" in the task manager / app metrics. The fork function is
 * injected (main.ts passes `utilityProcess.fork`) so the mapping to WorkerHandle is unit-tested.
 *
 * Inside the worker, messages arrive on `process.parentPort` ('message' events carry `{ data }`)
 * and are sent with `process.parentPort.postMessage(value)`; stdout/stderr go to the app log.
 */
import type { ForkOptions } from 'electron';
import type { WorkerHandle, WorkerLauncher } from '../services/jobs/launcher';
import type { Logger } from '../services/log';

/** The parts of Electron's UtilityProcess the launcher uses. */
export interface UtilityProcessLike {
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'spawn', listener: () => void): unknown;
  on(event: 'error', listener: (type: 'FatalError', location: string, report: string) => void): unknown;
  kill(): boolean;
  postMessage(message: unknown): void;
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
}

export type ForkUtilityProcess = (modulePath: string, args: string[], options: ForkOptions) => UtilityProcessLike;

export const WORKER_SERVICE_NAME = 'FundusLab compute';

/** Splits a byte/text stream into lines and hands each complete line to `onLine`. */
export function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let pending = '';
  stream.on('data', (chunk: unknown) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      if (line !== '') onLine(line);
      newline = pending.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
    pending = '';
  });
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (typeof value === 'string') out[key] = value;
  return out;
}

export class UtilityProcessLauncher implements WorkerLauncher {
  constructor(
    private readonly options: {
      fork: ForkUtilityProcess;
      /** Absolute path of dist/worker.js. */
      workerPath: string;
      log: Logger;
      /** Environment the worker inherits (utilityProcess replaces, not extends, the environment). */
      baseEnv?: NodeJS.ProcessEnv;
      serviceName?: string;
    },
  ) {}

  start(env: Record<string, string>): WorkerHandle {
    const { log } = this.options;
    const child = this.options.fork(this.options.workerPath, [], {
      serviceName: this.options.serviceName ?? WORKER_SERVICE_NAME,
      stdio: 'pipe',
      env: { ...stringEnv(this.options.baseEnv ?? process.env), ...env },
    });
    const tag = () => `worker${child.pid === undefined ? '' : ` ${child.pid}`}`;
    pipeLines(child.stdout, (line) => log.info(`[${tag()}] ${line}`));
    pipeLines(child.stderr, (line) => log.warn(`[${tag()}] ${line}`));

    const messageListeners: Array<(message: unknown) => void> = [];
    const exitListeners: Array<(code: number | null) => void> = [];
    const early: unknown[] = [];
    let exited = false;
    let exitCode: number | null = null;
    let killed = false;

    child.on('spawn', () => log.info(`[${tag()}] started`));
    child.on('error', (type, location) => log.error(`[${tag()}] ${type} at ${location}`));
    child.on('message', (message) => {
      if (messageListeners.length === 0) {
        early.push(message); // delivered to the first listener, in order
        return;
      }
      for (const listener of messageListeners) listener(message);
    });
    child.on('exit', (code) => {
      if (exited) return;
      exited = true;
      // utilityProcess always reports a number; a worker we killed is reported as killed (null).
      exitCode = killed ? null : code;
      log.info(`[${tag()}] exited with ${killed ? 'kill' : `code ${code}`}`);
      for (const listener of exitListeners.splice(0)) listener(exitCode);
    });

    return {
      postMessage(message: unknown): void {
        if (exited) {
          log.warn('dropped a message to a worker that has already exited');
          return;
        }
        child.postMessage(message);
      },
      onMessage(listener: (message: unknown) => void): void {
        messageListeners.push(listener);
        if (messageListeners.length === 1) for (const message of early.splice(0)) listener(message);
      },
      onExit(listener: (code: number | null) => void): void {
        if (exited) {
          queueMicrotask(() => listener(exitCode));
          return;
        }
        exitListeners.push(listener);
      },
      kill(): void {
        if (exited || killed) return;
        killed = true;
        child.kill();
      },
    };
  }
}
