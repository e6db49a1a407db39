/**
 * Threads for FundusLab's SIMD kernels on the multi-threaded wasm backend. Its memory is a shared
 * WebAssembly.Memory, so worker threads can instantiate the kernels on that same memory and work
 * on the same tensors: a kernel call is split into one slice per thread (rows, images or filter
 * taps), the calling thread runs the first slice and waits for the others. The hand-off goes
 * through a small SharedArrayBuffer per worker with Atomics (a few microseconds; kernel calls too
 * small to gain are not split, see `worthSplitting`). XNNPACK's own pool threads are idle while
 * these kernels run, so the cores are not oversubscribed.
 *
 * The workers are unref'd (they never keep the process alive) and block in Atomics.wait between
 * calls. A worker that fails reports its error to the caller, which throws it.
 */
import { Worker } from 'node:worker_threads';

/** Control block per worker, Int32: [sequence, state, function index, argc, args…]. */
const SEQ = 0;
const STATE = 1;
const FN = 2;
const ARGC = 3;
const ARGS = 4;
const MAX_ARGS = 28;
const IDLE = 0;
const DONE = 1;
const FAILED = 2;
/** A worker that has not answered after this long is considered lost (the call throws). */
const WAIT_LIMIT_MS = 120_000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, bytes, control, names, errors } = workerData;
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
const fns = names.map((n) => instance.exports[n]);
const ctl = new Int32Array(control);
const err = new Uint8Array(errors);
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  let state = ${DONE};
  try {
    const argc = ctl[${ARGC}];
    const args = [];
    for (let i = 0; i < argc; i++) args.push(ctl[${ARGS} + i]);
    fns[ctl[${FN}]](...args);
  } catch (e) {
    state = ${FAILED};
    const text = new TextEncoder().encode(String(e && e.message ? e.message : e)).subarray(0, err.length - 1);
    err.fill(0);
    err.set(text);
  }
  Atomics.store(ctl, ${STATE}, state);
  Atomics.notify(ctl, ${STATE});
}
`;

interface PoolWorker {
  worker: Worker;
  ctl: Int32Array;
  errors: Uint8Array;
}

export class KernelPool {
  private readonly workers: PoolWorker[] = [];
  /** Calls run on more than one thread so far. */
  splitCalls = 0;
  private readonly index: Map<string, number>;

  /** `threads` in all, the calling thread included (so threads − 1 workers). */
  constructor(
    memory: object,
    bytes: Uint8Array,
    private readonly names: readonly string[],
    threads: number,
  ) {
    this.index = new Map(names.map((n, i) => [n, i]));
    for (let i = 1; i < threads; i++) {
      const control = new SharedArrayBuffer(4 * (ARGS + MAX_ARGS));
      const errors = new SharedArrayBuffer(512);
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, bytes, control, names, errors } });
      worker.unref();
      this.workers.push({ worker, ctl: new Int32Array(control), errors: new Uint8Array(errors) });
    }
  }

  /** Threads a call can use (the calling thread included). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `fn` once per argument list, in parallel: the first on the calling thread, the others on
   * the workers (at most `threads` lists). Returns when all are done; throws a worker's error.
   */
  run(fn: string, argLists: readonly (readonly number[])[], local: (...args: number[]) => void): void {
    if (argLists.length > this.threads) throw new Error(`FundusLab kernel pool: ${argLists.length} slices for ${this.threads} threads`);
    const fnIndex = this.index.get(fn);
    if (fnIndex === undefined) throw new Error(`FundusLab kernel pool: unknown kernel ${fn}`);
    const started: PoolWorker[] = [];
    if (argLists.length > 1) this.splitCalls += 1;
    argLists.slice(1).forEach((args, i) => {
      if (args.length > MAX_ARGS) throw new Error(`FundusLab kernel pool: ${fn} has more than ${MAX_ARGS} arguments`);
      const w = this.workers[i]!;
      w.ctl[FN] = fnIndex;
      w.ctl[ARGC] = args.length;
      args.forEach((a, k) => (w.ctl[ARGS + k] = a));
      Atomics.store(w.ctl, STATE, IDLE);
      Atomics.add(w.ctl, SEQ, 1);
      Atomics.notify(w.ctl, SEQ);
      started.push(w);
    });
    let localError: unknown = null;
    try {
      if (argLists.length > 0) local(...argLists[0]!);
    } catch (err) {
      localError = err;
    }
    let workerError: string | null = null;
    for (const w of started) {
      const deadline = Date.now() + WAIT_LIMIT_MS;
      while (Atomics.load(w.ctl, STATE) === IDLE) {
        if (Date.now() > deadline) throw new Error(`FundusLab kernel pool: a worker did not finish ${fn} within ${WAIT_LIMIT_MS / 1000} s`);
        Atomics.wait(w.ctl, STATE, IDLE, 1000);
      }
      if (Atomics.load(w.ctl, STATE) === FAILED && !workerError) {
        const end = w.errors.indexOf(0);
        workerError = new TextDecoder().decode(w.errors.slice(0, end < 0 ? w.errors.length : end));
      }
    }
    if (localError) throw localError;
    if (workerError !== null) throw new Error(`FundusLab kernel ${fn} failed in a worker thread: ${workerError}`);
  }

  /** Stops the workers (tests; otherwise they live as long as the process). */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}

/** Splits [0, n) into at most `parts` contiguous ranges of nearly equal size, each a multiple of `align` except the last. */
export function splitRange(n: number, parts: number, align = 1): [number, number][] {
  const ranges: [number, number][] = [];
  const step = Math.ceil(n / Math.max(1, parts) / align) * align;
  for (let start = 0; start < n; start += step) ranges.push([start, Math.min(n, start + step)]);
  return ranges.length ? ranges : [[0, 0]];
}

/** Below this many floats touched a call runs on one thread (the hand-off would cost more than it saves). */
export const MIN_PARALLEL_FLOATS = 1 << 16;

export function worthSplitting(floats: number): boolean {
  return floats >= MIN_PARALLEL_FLOATS;
}
