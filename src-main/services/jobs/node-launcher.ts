import { fork } from 'node:child_process';
import type { Logger } from '../log';
import type { WorkerHandle, WorkerLauncher } from './launcher';

/** Worker processes for plain Node hosts (CLI, browser mode, tests): `child_process.fork` of dist/worker.js. */
export class NodeForkLauncher implements WorkerLauncher {
  constructor(
    private readonly entry: string,
    private readonly log: Logger,
    private readonly baseEnv: Record<string, string | undefined> = process.env,
  ) {}

  start(env: Record<string, string>): WorkerHandle {
    const child = fork(this.entry, [], {
      env: { ...this.baseEnv, ...env },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const forward = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') =>
      stream?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.log[level](`[worker ${child.pid}] ${line}`);
      });
    forward(child.stdout, 'info');
    forward(child.stderr, 'warn');
    return {
      postMessage: (message) => {
        if (child.connected) child.send(message as never);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.once('exit', (code) => listener(code)),
      kill: () => {
        child.kill('SIGKILL');
      },
    };
  }
}
