import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { memoryLogger } from '../../../src-main/services/log';
import {
  UtilityProcessLauncher,
  WORKER_SERVICE_NAME,
  pipeLines,
  type ForkUtilityProcess,
  type UtilityProcessLike,
} from '../../../src-main/electron/utility-launcher';

type ForkOptions = Parameters<ForkUtilityProcess>[2];

/** Behaves like Electron's UtilityProcess: an EventEmitter with postMessage/kill and piped stdio. */
class FakeUtilityProcess extends EventEmitter implements UtilityProcessLike {
  readonly posted: unknown[] = [];
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  pid: number | undefined = 4242;
  killCalls = 0;
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  kill(): boolean {
    this.killCalls++;
    return true;
  }
}

function setup() {
  const forks: Array<{ modulePath: string; args: string[]; options: ForkOptions; child: FakeUtilityProcess }> = [];
  const log = memoryLogger();
  const launcher = new UtilityProcessLauncher({
    fork: (modulePath, args, options) => {
      const child = new FakeUtilityProcess();
      forks.push({ modulePath, args, options, child });
      return child;
    },
    workerPath: '/app/dist/worker.js',
    log,
    baseEnv: { PATH: '/usr/bin', HOME: '/home/u', UNSET: undefined },
  });
  return { launcher, forks, log };
}

describe('UtilityProcessLauncher', () => {
  it('forks dist/worker.js as "FundusLab compute" with piped stdio and the base env plus the job env', () => {
    const { launcher, forks } = setup();
    launcher.start({ FUNDUSLAB_BACKEND: 'cpu' });
    expect(forks).toHaveLength(1);
    const { modulePath, args, options } = forks[0]!;
    expect(modulePath).toBe('/app/dist/worker.js');
    expect(args).toEqual([]);
    expect(options).toEqual({
      serviceName: WORKER_SERVICE_NAME,
      stdio: 'pipe',
      env: { PATH: '/usr/bin', HOME: '/home/u', FUNDUSLAB_BACKEND: 'cpu' },
    });
    expect(WORKER_SERVICE_NAME).toBe('FundusLab compute');
  });

  it('maps postMessage / message / exit to the WorkerHandle, buffering messages sent before the first listener', () => {
    const { launcher, forks } = setup();
    const handle = launcher.start({});
    const child = forks[0]!.child;
    child.emit('message', { type: 'ready' }); // the worker announces itself before anyone listens
    const received: unknown[] = [];
    handle.onMessage((m) => received.push(m));
    child.emit('message', { type: 'progress', done: 1, total: 2, message: 'x' });
    expect(received).toEqual([{ type: 'ready' }, { type: 'progress', done: 1, total: 2, message: 'x' }]);

    handle.postMessage({ type: 'cancel' });
    expect(child.posted).toEqual([{ type: 'cancel' }]);

    const exits: Array<number | null> = [];
    handle.onExit((code) => exits.push(code));
    child.emit('exit', 3);
    child.emit('exit', 3); // reported once
    expect(exits).toEqual([3]);
    handle.postMessage({ type: 'cancel' }); // dropped after exit
    expect(child.posted).toHaveLength(1);
  });

  it('reports a worker it killed as killed (null), kills only once, and answers late onExit listeners', async () => {
    const { launcher, forks } = setup();
    const handle = launcher.start({});
    const child = forks[0]!.child;
    const exits: Array<number | null> = [];
    handle.onExit((code) => exits.push(code));
    handle.kill();
    handle.kill();
    expect(child.killCalls).toBe(1);
    child.emit('exit', 15);
    expect(exits).toEqual([null]);
    const late = vi.fn();
    handle.onExit(late);
    await Promise.resolve();
    expect(late).toHaveBeenCalledExactlyOnceWith(null);
  });

  it('writes the worker stdout/stderr to the log line by line', async () => {
    const { launcher, forks, log } = setup();
    launcher.start({});
    const child = forks[0]!.child;
    child.stdout.write('backend: wasm\npartial');
    child.stdout.write(' line\n');
    child.stderr.write('warning: slow\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.lines).toEqual(
      expect.arrayContaining([
        { level: 'info', message: '[worker 4242] backend: wasm' },
        { level: 'info', message: '[worker 4242] partial line' },
        { level: 'warn', message: '[worker 4242] warning: slow' },
      ]),
    );
  });
});

describe('pipeLines', () => {
  it('splits chunks into lines, handles CRLF and flushes the last partial line at end', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    pipeLines(stream, (l) => lines.push(l));
    stream.write('a\r\nb');
    stream.write('c\n\n');
    stream.end('tail');
    await new Promise((resolve) => stream.on('end', resolve));
    expect(lines).toEqual(['a', 'bc', 'tail']);
    expect(() => pipeLines(null, () => {})).not.toThrow();
  });
});
