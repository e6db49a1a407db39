/**
 * How a job's worker process is started is the host's business: `child_process.fork` in plain
 * Node (CLI, browser mode, tests), Electron's `utilityProcess` in the desktop app. The job service
 * only sees this interface. Messages are structured-cloneable values; the protocol is in
 * ./protocol.ts and both sides parse what they receive.
 */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process ends, with its exit code (null if killed by a signal). */
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export interface WorkerLauncher {
  /** Starts a fresh worker process; `env` is added to the worker's environment. */
  start(env: Record<string, string>): WorkerHandle;
}
