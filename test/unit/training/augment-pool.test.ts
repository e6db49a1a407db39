/**
 * The augmentation worker pool (engine/augment/augment-pool.ts): its views equal pipeline.ts
 * augmentBatch on the cpu backend (≤ 1e-6) and cpu.ts on the calling thread (bit for bit, with one
 * worker or a batch shared among several), buffers are transferred, a worker's error names the
 * batch, terminate() rejects what is in flight, and FUNDUSLAB_AUGMENT_WORKERS is checked. With the
 * native addon built, the workers run its loops (aug.c) and say so; switched off, the JavaScript ones:
 * the same bits either way.
 */
import tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AugmentPool, augmentWorkerCount, type AugmentJob } from '../../../src-main/engine/augment/augment-pool';
import { applyAugParams } from '../../../src-main/engine/augment/cpu';
import { nativeKernels, setNativeEnabled } from '../../../src-main/engine/kernels/native/addon';
import { augmentBatch, PRESETS, sampleAugParams } from '../../../src-main/engine/augment/pipeline';
import { StreamRng } from '../../../src-main/random/streams';

let previousBackend = '';
const pools: AugmentPool[] = [];

beforeAll(async () => {
  previousBackend = tf.getBackend();
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.terminate()));
  if (previousBackend) await tf.setBackend(previousBackend);
});

async function pool(count: number): Promise<AugmentPool> {
  const p = await AugmentPool.create(count);
  pools.push(p);
  return p;
}

function pixels(seed: number, n: number, size: number): Float32Array {
  const rng = new StreamRng(seed);
  return Float32Array.from({ length: n * size * size * 3 }, () => rng.next());
}

const job = (over: Partial<AugmentJob> & { pixels: Float32Array }): AugmentJob => ({
  size: 37,
  outSize: 37,
  settings: PRESETS.mocoAugPlus,
  seed: 5,
  epoch: 3,
  indices: [4, 9, 1, 30, 7, 12, 0],
  views: [0, 1],
  label: 'epoch 3, batch 7',
  ...over,
});

describe('AugmentPool', () => {
  it('gives pipeline.ts augmentBatch’s views (MoCo aug+ and fsTrain), the same with 1 and 3 workers', async () => {
    const [one, three] = [await pool(1), await pool(3)];
    expect([one.size, three.size]).toEqual([1, 3]);
    for (const [settings, views] of [
      [PRESETS.mocoAugPlus, [0, 1]],
      [PRESETS.fsTrain, [0]],
    ] as const) {
      for (const seed of [1, 2, 3]) {
        const x = pixels(seed, 7, 37);
        const base = job({ pixels: x, settings, seed, views });
        const t = tf.tensor4d(x, [7, 37, 37, 3]);
        const expected = views.map((view) => {
          const y = augmentBatch(t, settings, { seed, epoch: 3, indices: base.indices, view, outSize: 37 });
          const data = y.dataSync() as Float32Array;
          y.dispose();
          return data;
        });
        t.dispose();
        const got1 = await one.augment({ ...base, pixels: x.slice() });
        const got3 = await three.augment({ ...base, pixels: x.slice() });
        expect(got1).toHaveLength(views.length);
        views.forEach((_, v) => {
          expect(got1[v]).toHaveLength(7 * 37 * 37 * 3);
          let worst = 0;
          for (let i = 0; i < expected[v]!.length; i++) worst = Math.max(worst, Math.abs(expected[v]![i]! - got1[v]![i]!));
          expect(worst).toBeLessThanOrEqual(1e-6);
          expect(got3[v]).toEqual(got1[v]);
          // and cpu.ts on this thread, on the whole batch
          const params = base.indices.map((i) => sampleAugParams(settings, StreamRng.forImage(seed, 3, i, views[v]!), 37, 37, 37));
          expect(got1[v]).toEqual(applyAugParams({ data: x, n: 7, h: 37, w: 37, c: 3 }, params, 37).data);
        });
      }
    }
    expect(one.inFlight + three.inFlight).toBe(0);
  });

  it('a batch shared among workers keeps its batch-level choices (the clamp of a colour blend)', async () => {
    const [one, three] = [await pool(1), await pool(3)];
    let differs = 0;
    for (let seed = 1; seed <= 6; seed++) {
      // values outside [0, 1], so that clamping or not shows
      const x = pixels(seed, 7, 37).map((v) => v * 1.4 - 0.2);
      const base = job({ pixels: x, seed });
      const [a, b] = [await one.augment({ ...base, pixels: x.slice() }), await three.augment({ ...base, pixels: x.slice() })];
      expect(b).toEqual(a);
      // image by image without the batch (what a worker would compute alone) differs somewhere
      const params = base.indices.map((i) => sampleAugParams(base.settings, StreamRng.forImage(seed, 3, i, 0), 37, 37, 37));
      const per = 37 * 37 * 3;
      params.forEach((p, k) => {
        const alone = applyAugParams({ data: x.subarray(k * per, (k + 1) * per), n: 1, h: 37, w: 37, c: 3 }, [p], 37).data;
        if (alone.some((v, i) => v !== a[0]![k * per + i])) differs++;
      });
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('transfers the pixels to the worker instead of copying them', async () => {
    const p = await pool(1);
    const x = pixels(4, 7, 37);
    const views = await p.augment(job({ pixels: x }));
    expect(x.byteLength).toBe(0);
    expect(views[0]!.byteLength).toBe(7 * 37 * 37 * 3 * 4);
  });

  it('a worker’s error rejects the batch, naming it; the pool goes on', async () => {
    const p = await pool(1);
    // a fractional output size passes the sampling here and fails inside the worker
    await expect(p.augment(job({ pixels: pixels(1, 7, 37), outSize: 1.5 }))).rejects.toThrow(
      /^Augmenting epoch 3, batch 7 failed in a worker thread: Error in \w+: /,
    );
    await expect(p.augment(job({ pixels: pixels(1, 6, 37) }))).rejects.toThrow(/Augmenting epoch 3, batch 7: 24642 values for 7 images/);
    expect((await p.augment(job({ pixels: pixels(1, 7, 37) })))[1]).toHaveLength(7 * 37 * 37 * 3);
  });

  it('terminate() rejects the batches in flight and refuses new ones', async () => {
    const p = await pool(2);
    const inFlight = p.augment(job({ pixels: pixels(2, 7, 37), label: 'epoch 1, batch 2' }));
    const rejected = expect(inFlight).rejects.toThrow(/epoch 1, batch 2: the augmentation workers were stopped/);
    expect(p.inFlight).toBe(2);
    await p.terminate();
    await rejected;
    expect(p.inFlight).toBe(0);
    await expect(p.augment(job({ pixels: pixels(2, 7, 37) }))).rejects.toThrow(/stopped/);
  });

  it('runs the native loops when this process uses the native kernels, else the JavaScript ones: the same bits', async () => {
    const x = pixels(8, 7, 37);
    const withNative = await pool(1);
    expect(withNative.loops).toBeNull();
    const a = await withNative.augment(job({ pixels: x.slice() }));
    expect(withNative.loops).toBe(nativeKernels() ? 'native' : 'javascript');
    const was = setNativeEnabled(false);
    let jsPool: AugmentPool;
    try {
      jsPool = await pool(1);
    } finally {
      setNativeEnabled(was);
    }
    const b = await jsPool.augment(job({ pixels: x.slice() }));
    expect(jsPool.loops).toBe('javascript');
    for (const v of [0, 1]) expect(Buffer.from(a[v]!.buffer).equals(Buffer.from(b[v]!.buffer))).toBe(true);
  });

  it('FUNDUSLAB_AUGMENT_WORKERS chooses the number of workers; by default 1 on CPU backends, cores − 2 (at most 4) on GPU ones', () => {
    expect(augmentWorkerCount({}, 'wasm', 16)).toBe(1);
    // by backend: CPU backends keep the cores for the model; GPU ones leave them to the workers (cores − 2, 1 to 4)
    for (const backend of ['wasm', 'tensorflow', 'cpu', null] as const) expect(augmentWorkerCount({}, backend, 32)).toBe(1);
    for (const backend of ['tensorflow-gpu', 'webgpu'] as const) {
      expect([2, 3, 5, 6, 32].map((cpus) => augmentWorkerCount({}, backend, cpus))).toEqual([1, 1, 3, 4, 4]);
      expect(augmentWorkerCount({ FUNDUSLAB_AUGMENT_WORKERS: '1' }, backend, 32)).toBe(1);
    }
    expect(augmentWorkerCount({ FUNDUSLAB_AUGMENT_WORKERS: '3' }, 'wasm', 16)).toBe(3);
    expect(augmentWorkerCount({ FUNDUSLAB_AUGMENT_WORKERS: '16' }, 'wasm', 6)).toBe(6);
    expect(augmentWorkerCount({ FUNDUSLAB_AUGMENT_WORKERS: '1' })).toBe(1);
    expect(augmentWorkerCount({ FUNDUSLAB_AUGMENT_WORKERS: '2' })).toBeGreaterThanOrEqual(1);
    for (const bad of ['0', '1.5', 'two', '17']) expect(() => augmentWorkerCount({ FUNDUSLAB_AUGMENT_WORKERS: bad })).toThrow(/1 to 16/);
  });
});
