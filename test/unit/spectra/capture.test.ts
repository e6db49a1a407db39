/**
 * The streaming Gram path (capture.ts: feature-block storage in memory and on disk, several forward
 * passes under a small budget, early exit) against the naive in-memory computation: every layer's
 * full N×F activation matrix from one forward pass of all images (hook), standardised and
 * multiplied in float64 (gram.ts naiveStandardisedGram). Tolerances: Gram entries 1e-9 relative to
 * the largest entry for the float64 path, 1e-5 for the backend (float32 block product) path;
 * eigenvalues and κ from the service to 1e-9 / 1e-4. Also: layer list and shapes match what the
 * hook sees, constant features are counted, no tensor leaks, cancellation.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureGrams, planGroups, spectrumLayers, type ImageFeed, type LayerGram } from '../../../src-main/analysis/spectra/capture';
import { naiveStandardisedGram } from '../../../src-main/analysis/spectra/gram';
import { computeSpectra } from '../../../src-main/analysis/spectra/service';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { detachedContext } from '../../../src-main/services/jobs/context';
import { Rng } from '../../../src-main/random/prng';

const N = 9;
const SIZE = 32;
let model: ResNet;
let pixels: Float32Array;
const feed = (): ImageFeed => ({ count: N, size: SIZE, batch: async (start, n) => pixels.slice(start * SIZE * SIZE * 3, (start + n) * SIZE * SIZE * 3) });

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = ResNet.create(parseArch('resnet18-w4', 5), { seed: 3 });
  // Give BatchNorm non-trivial running statistics and one channel with γ = 0 (a constant BN output).
  tf.tidy(() => {
    const rng = new Rng(2);
    for (const spec of model.specs) {
      if (spec.role === 'bn.running_mean') model.variable(spec.name).assign(tf.tensor1d(Array.from({ length: spec.tfjsShape[0]! }, () => rng.normal() * 0.1)));
      if (spec.role === 'bn.running_var') model.variable(spec.name).assign(tf.tensor1d(Array.from({ length: spec.tfjsShape[0]! }, () => 0.5 + rng.next())));
    }
    const g = model.variable('layer1.0.bn1.weight');
    g.assign(tf.tensor1d(Array.from({ length: g.shape[0]! }, (_, i) => (i === 0 ? 0 : 1))));
  });
  const rng = new Rng(1);
  pixels = Float32Array.from({ length: N * SIZE * SIZE * 3 }, () => rng.normal());
});
afterAll(() => model.dispose());

function naiveGrams(): Map<string, { gram: Float64Array; constant: number; shape: number[] }> {
  const out = new Map<string, { gram: Float64Array; constant: number; shape: number[] }>();
  const x = tf.tensor4d(pixels, [N, SIZE, SIZE, 3]) as Tensor4D;
  model
    .forward(x, {
      hook: (name: string, kind: string, t: Tensor) => {
        if (kind !== 'conv' && kind !== 'bn' && kind !== 'linear') return;
        const rows = t.dataSync();
        const f = t.size / N;
        const { gram, constant } = naiveStandardisedGram(rows, N, f);
        out.set(name, { gram, constant, shape: t.shape.slice(1) });
      },
    })
    .dispose();
  x.dispose();
  return out;
}

async function streamed(opts: Parameters<typeof captureGrams>[3]): Promise<{ grams: Map<string, LayerGram>; passes: number }> {
  const grams = new Map<string, LayerGram>();
  const layers = spectrumLayers(model, SIZE);
  const t = await captureGrams(model, layers, feed(), opts, detachedContext(), (g) => grams.set(g.layer.name, g));
  return { grams, passes: t.forwardPasses };
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

describe('captureGrams (streaming) vs the naive in-memory Gram', () => {
  it('lists every Conv, BatchNorm and Linear layer with the shapes the hook sees', () => {
    const naive = naiveGrams();
    const layers = spectrumLayers(model, SIZE);
    expect(layers.map((l) => l.name)).toEqual([...naive.keys()]);
    for (const l of layers) expect(l.shape).toEqual(naive.get(l.name)!.shape);
    expect(layers).toHaveLength(2 * 20 + 1); // resnet18: 20 convs (incl. 3 downsample), 20 BNs, fc
    expect([...layers].sort((a, b) => a.moduleIndex - b.moduleIndex)[5]!.name).toBe('layer1.0.bn2');
  });

  const cases = [
    { name: 'float64, memory, 1 pass, batches of 4, blocks of 37', opts: { batchSize: 4, blockFeatures: 37, gramPrecision: 'float64' as const }, tol: 1e-9 },
    { name: 'float64, disk, budget → several passes, batches of 2', opts: { batchSize: 2, blockFeatures: 50, budgetBytes: 40_000, gramPrecision: 'float64' as const, scratch: true }, tol: 1e-9 },
    { name: 'backend (float32 blocks), memory', opts: { batchSize: 5, gramPrecision: 'backend' as const }, tol: 1e-5 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const naive = naiveGrams();
      const scratch = c.opts.scratch ? mkdtempSync(path.join(os.tmpdir(), 'funduslab-spectra-')) : null;
      const before = tf.memory().numTensors;
      try {
        const { grams, passes } = await streamed({ ...c.opts, scratchDir: scratch });
        if (c.opts.budgetBytes) expect(passes).toBeGreaterThan(3);
        else expect(passes).toBe(1);
        expect(grams.size).toBe(naive.size);
        for (const [name, ref] of naive) {
          const g = grams.get(name)!;
          expect(g.constantFeatures, name).toBe(ref.constant);
          expect(maxRelDiff(g.gram, ref.gram), name).toBeLessThanOrEqual(c.tol);
        }
        // γ = 0 makes channel 0 of layer1.0.bn1 constant at every position.
        expect(grams.get('layer1.0.bn1')!.constantFeatures).toBeGreaterThanOrEqual(8 * 8);
        expect(tf.memory().numTensors).toBe(before);
        if (scratch) expect(readdirSync(scratch)).toEqual([]);
      } finally {
        if (scratch) rmSync(scratch, { recursive: true, force: true });
      }
    });
  }

  it('planGroups packs layers in order under the budget (a large layer alone)', () => {
    const layers = spectrumLayers(model, SIZE);
    const groups = planGroups(layers, N, 40_000);
    expect(groups.flat().map((l) => l.name)).toEqual(layers.map((l) => l.name));
    for (const g of groups) if (g.length > 1) expect(g.reduce((a, l) => a + l.features * N * 4, 0)).toBeLessThanOrEqual(40_000);
  });

  it('computeSpectra: eigenvalues equal the naive ones; results do not depend on batch size; cancel stops it', async () => {
    const naive = naiveGrams();
    const a = await computeSpectra(model, feed(), { k: 100, batchSize: 4, gramPrecision: 'float64' }, detachedContext());
    const b = await computeSpectra(model, feed(), { k: 100, batchSize: 9, gramPrecision: 'backend' }, detachedContext());
    expect(a.layers.map((l) => l.moduleIndex)).toEqual([...a.layers.keys()]);
    for (const l of a.layers) {
      const { gram } = naive.get(l.name)!;
      const ref = (await import('../../../src-main/analysis/spectra/eigen')).explainedVariance(Float64Array.from(gram), N, l.k);
      l.eigenvalues.forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThanOrEqual(1e-9 * ref[0]!));
      const other = b.layers.find((x) => x.name === l.name)!;
      other.eigenvalues.forEach((v, i) => expect(Math.abs(v - l.eigenvalues[i]!)).toBeLessThanOrEqual(1e-4 * l.eigenvalues[0]!));
      expect(l.k).toBe(Math.min(N - 1, l.features));
    }
    expect(a.firstLayer.layer).toBe('conv1');
    expect(a.firstLayer.eigenvalues).toEqual(a.layers[0]!.eigenvalues);
    const controller = new AbortController();
    controller.abort();
    await expect(computeSpectra(model, feed(), {}, { progress: () => {}, log: () => {}, signal: controller.signal })).rejects.toThrow(/Cancelled/);
  });
});
