/**
 * Worker threads that augment training batches off the compute thread: while the model trains on
 * batch i, batch i + 1 (both views for MoCo) is augmented by cpu.ts in a worker. The parameters are
 * sampled here, on the calling thread, from the same per-image streams as pipeline.ts
 * (StreamRng.forImage(seed, epoch, index, view)); the pixels go to the workers and the augmented
 * views come back as transferred buffers (no copies with one worker; with several, each gets a
 * contiguous share of the batch's images and the shares are joined).
 *
 * The workers' code is embedded (a string, so it runs from an asar archive too): the build bundles
 * worker-entry.ts and defines it as __FUNDUSLAB_AUGMENT_WORKER__; unbundled (tests run the
 * TypeScript sources) it is bundled on first use with esbuild. Workers are unref'd while idle (they
 * never keep the process alive), a worker's error rejects the batch it was augmenting (its message
 * names the batch), and `terminate()` ends them (a run terminates its pool when it ends, cancelled
 * or not).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../../../src-shared/engine';
import type { AugmentSettings } from '../../../src-shared/training';
import { engineStatus } from '../backend';
import { AppError } from '../../../src-shared/errors';
import { StreamRng } from '../../random/streams';
import { sampleAugParams, type ImageAugParams } from './pipeline';
import type { AugmentReply, AugmentRequest, AugmentWorkerData } from './worker-entry';
import { nativeAddonPath, nativeKernels, nativeUnavailableReason } from '../kernels/native/addon';

declare const __FUNDUSLAB_AUGMENT_WORKER__: string | undefined;

let devSource: Promise<string> | null = null;
let nativeLoops = true;

/**
 * Whether pools created from now on give their workers the native loops (when the addon is in use);
 * returns the previous setting. `bench train --augment-baseline` compares both in one process.
 */
export function setNativeAugmentLoops(on: boolean): boolean {
  const previous = nativeLoops;
  nativeLoops = on;
  return previous;
}

/** The worker's code: embedded by the build, or bundled now from the sources (tests, development). */
async function workerSource(): Promise<string> {
  if (typeof __FUNDUSLAB_AUGMENT_WORKER__ === 'string') return __FUNDUSLAB_AUGMENT_WORKER__;
  devSource ??= (async () => {
    const { fileURLToPath } = await import('node:url');
    const { existsSync } = await import('node:fs');
    const entry = fileURLToPath(new URL('./worker-entry.ts', import.meta.url));
    if (!existsSync(entry))
      throw new AppError(
        'INTERNAL',
        'The augmentation workers’ code is missing: a bundle of FundusLab must define __FUNDUSLAB_AUGMENT_WORKER__ (see scripts/build.mjs).',
      );
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  })();
  return devSource;
}

/**
 * Workers to use: FUNDUSLAB_AUGMENT_WORKERS if set (1–16, at most the CPU's threads). Otherwise, on
 * a CPU backend (wasm, tensorflow, cpu) 1 — the model's threads keep the cores busy, and with the
 * native loops one worker augments a batch faster than the model trains on one (see `funduslab bench
 * train`); on a GPU backend (tensorflow-gpu, webgpu) the cores are free for it, and a fast GPU trains
 * faster than one worker augments MoCo's two views at 224 px (~7 ms per image): one per core beyond
 * two (the training thread, the decoders), at most 4.
 */
export function augmentWorkerCount(
  env: NodeJS.ProcessEnv = process.env,
  backend: BackendName | null = engineStatus()?.active ?? null,
  cpus: number = os.availableParallelism(),
): number {
  const v = env.FUNDUSLAB_AUGMENT_WORKERS;
  if (v === undefined || v === '') return backend === 'tensorflow-gpu' || backend === 'webgpu' ? Math.min(4, Math.max(1, cpus - 2)) : 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new AppError('BAD_REQUEST', `FUNDUSLAB_AUGMENT_WORKERS must be an integer from 1 to 16 (got "${v}")`);
  return Math.min(n, Math.max(1, cpus));
}

/** Pools' worker count and loops, as `doctor` and `bench train` report them: native when this process uses the addon. */
export function describeAugmentation(): { workers: number; native: boolean; detail: string } {
  const workers = augmentWorkerCount();
  const native = nativeLoops && nativeKernels() !== null;
  const threads = `${workers} worker thread${workers === 1 ? '' : 's'} (FUNDUSLAB_AUGMENT_WORKERS)`;
  return {
    workers,
    native,
    detail: native
      ? `native loops, ${threads}`
      : `JavaScript loops, ${threads}; native loops not in use: ${nativeLoops ? nativeUnavailableReason() : 'switched off for this process'}`,
  };
}

interface Pending {
  resolve: (views: Float32Array[]) => void;
  reject: (err: Error) => void;
  label: string;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  failed: Error | null;
}

/** What to augment: a decoded batch and how (the settings and the seeds of its per-image streams). */
export interface AugmentJob {
  /** [n, size, size, 3] in [0, 1]; transferred to the worker (detached afterwards). */
  pixels: Float32Array;
  size: number;
  outSize: number;
  settings: AugmentSettings;
  seed: number;
  epoch: number;
  /** Dataset index of each image (seeds its augmentation). */
  indices: readonly number[];
  /** View numbers to produce (MoCo: [0, 1]). */
  views: readonly number[];
  /** Names the batch in error messages, e.g. "epoch 2, batch 7". */
  label: string;
}

export class AugmentPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;
  private lastLoops: 'native' | 'javascript' | null = null;

  private constructor(source: string, count: number, data: AugmentWorkerData) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(source, { eval: true, name: 'funduslab-augment', workerData: data });
      worker.unref();
      const w: PoolWorker = { worker, pending: new Map(), failed: null };
      worker.on('message', (reply: AugmentReply) => this.settle(w, reply));
      worker.on('error', (err) => this.fail(w, err instanceof Error ? err : new Error(String(err))));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(w, new Error(`the worker thread exited (code ${code})`));
      });
      this.workers.push(w);
    }
  }

  /**
   * Starts `count` workers (default: augmentWorkerCount()). They run the native loops (aug.c) when
   * this process uses the native kernels (FUNDUSLAB_NATIVE, setNativeEnabled), else the JavaScript ones.
   */
  static async create(count = augmentWorkerCount()): Promise<AugmentPool> {
    const nativeAddon = describeAugmentation().native ? nativeAddonPath() : null;
    return new AugmentPool(await workerSource(), Math.max(1, Math.floor(count)), { nativeAddon });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Which loops augmented the last batch: 'native' (aug.c), 'javascript', or null before the first. */
  get loops(): 'native' | 'javascript' | null {
    return this.lastLoops;
  }

  /** Batches in flight (tests: nothing is left running after a loop). */
  get inFlight(): number {
    return this.workers.reduce((s, w) => s + w.pending.size, 0);
  }

  /**
   * Augments a batch: one [n, outSize, outSize, 3] float32 array per view, in [0, 1] (not
   * normalised), equal to pipeline.ts augmentBatch of the same pixels and streams.
   */
  async augment(job: AugmentJob): Promise<Float32Array[]> {
    if (this.closed) throw new AppError('INTERNAL', `Augmenting ${job.label}: the augmentation workers were stopped`);
    const n = job.indices.length;
    const per = job.size * job.size * 3;
    if (job.pixels.length !== n * per)
      throw new AppError('INTERNAL', `Augmenting ${job.label}: ${job.pixels.length} values for ${n} images of ${job.size} px`);
    const batchParams: ImageAugParams[][] = job.views.map((view) =>
      job.indices.map((i) =>
        sampleAugParams(job.settings, StreamRng.forImage(job.seed, job.epoch, i, view), job.size, job.size, job.outSize),
      ),
    );
    const shares = Math.min(this.workers.length, n);
    if (shares <= 1) return this.send(this.pick(), job.label, job.pixels, n, 0, job, batchParams);
    const step = Math.ceil(n / shares);
    const parts: Promise<Float32Array[]>[] = [];
    const starts: number[] = [];
    for (let start = 0, k = 0; start < n; start += step, k++) {
      const end = Math.min(n, start + step);
      starts.push(start);
      parts.push(this.send(this.workers[k]!, job.label, job.pixels.slice(start * per, end * per), end - start, start, job, batchParams));
    }
    const results = await Promise.all(parts);
    const outPer = job.outSize * job.outSize * 3;
    return job.views.map((_, v) => {
      const out = new Float32Array(n * outPer);
      results.forEach((r, k) => out.set(r[v]!, starts[k]! * outPer));
      return out;
    });
  }

  /** The worker with the fewest batches in flight. */
  private pick(): PoolWorker {
    return this.workers.reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
  }

  private send(
    w: PoolWorker,
    label: string,
    pixels: Float32Array,
    n: number,
    start: number,
    job: AugmentJob,
    batchParams: ImageAugParams[][],
  ): Promise<Float32Array[]> {
    if (w.failed) return Promise.reject(this.error(label, w.failed));
    const id = this.nextId++;
    const req: AugmentRequest = {
      id,
      pixels,
      n,
      size: job.size,
      outSize: job.outSize,
      views: batchParams.map((all) => ({ params: all.slice(start, start + n), batch: all })),
    };
    return new Promise<Float32Array[]>((resolve, reject) => {
      w.pending.set(id, { resolve, reject, label });
      // A worker with work keeps the process alive (the caller awaits it); idle, it does not.
      w.worker.ref();
      w.worker.postMessage(req, [pixels.buffer as ArrayBuffer]);
    });
  }

  private settle(w: PoolWorker, reply: AugmentReply): void {
    const p = w.pending.get(reply.id);
    if (!p) return;
    w.pending.delete(reply.id);
    if (w.pending.size === 0) w.worker.unref();
    if ('error' in reply) p.reject(this.error(p.label, new Error(reply.error)));
    else {
      this.lastLoops = reply.native ? 'native' : 'javascript';
      p.resolve(reply.views);
    }
  }

  private fail(w: PoolWorker, err: Error): void {
    w.failed ??= err;
    for (const p of w.pending.values()) p.reject(this.error(p.label, err));
    w.pending.clear();
    w.worker.unref();
  }

  private error(label: string, err: Error): AppError {
    return new AppError('INTERNAL', `Augmenting ${label} failed in a worker thread: ${err.message}`);
  }

  /** Stops the workers; batches still in flight are rejected. */
  async terminate(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) {
      for (const p of w.pending.values())
        p.reject(new AppError('CANCELLED', `Augmenting ${p.label}: the augmentation workers were stopped`));
      w.pending.clear();
    }
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
