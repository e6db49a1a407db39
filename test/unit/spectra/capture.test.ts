/**
 * The streaming Gram path (capture.ts: feature-block storage in memory and on disk, several forward
 * passes under a small budget, early exit, BatchNorm Gram matrices from their conv's) against naive
 * in-memory computations from one forward pass of all images (hook), standardised and multiplied in
 * float64 (gram.ts naiveStandardisedGram):
 * - "direct": every layer's float32 output as the hook sees it;
 * - "exact BN": a BatchNorm's output computed in float64 from its conv's captured output by the
 *   eval-mode map y = (x − m_c)·γ_c/√(σ²_c + ε) + β_c — the oracle for the derived BatchNorm Gram.
 * Tolerances (max |difference| over the largest |entry| of the reference Gram):
 * - conv and Linear layers, and BatchNorms captured directly (bnFromConv: false), vs direct: 1e-9
 *   for the float64 path, 1e-5 for the backend (float32 block product) path;
 * - derived BatchNorms vs exact BN: 1e-9 / 1e-5 (the identity z_BN = sign(s_c)·z_conv holds exactly);
 * - derived BatchNorms vs direct (float64 path): 2⁻²⁴·R with R = max over the layer's non-constant
 *   features of max|y|/std(y) — the direct path standardises the float32-rounded y (≤ 2⁻²⁴·|y| per
 *   value, so ~2⁻²⁴·|y|/std(y) per standardised value). On this fixture (β ≠ 0, running means,
 *   γ of both signs) R is 17–63 and the differences are ≤ 0.06 of the bound, up to 1.1e-7;
 * - constant-feature counts exact in every case.
 * Eigenvalues and κ from the service: 1e-9 / 1e-4 of the largest eigenvalue. Also: the layer list
 * and shapes match what the hook sees, which BatchNorms are derived, non-finite activations are
 * rejected naming the layer, no tensor leaks, cancellation.
 */
import { readdirSync, rmSync } from 'node:fs';
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchNormDerivations,
  captureGrams,
  defaultBlockFeatures,
  planGroups,
  spectrumLayers,
  type ImageFeed,
  type LayerGram,
} from '../../../src-main/analysis/spectra/capture';
import { explainedVariance } from '../../../src-main/analysis/spectra/eigen';
import { naiveStandardisedGram } from '../../../src-main/analysis/spectra/gram';
import { computeSpectra } from '../../../src-main/analysis/spectra/service';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { BN_EPS, parseArch } from '../../../src-main/engine/models/resnet-spec';
import { detachedContext } from '../../../src-main/job-context';
import { Rng } from '../../../src-main/random/prng';
import { tempDirSync } from '../../support/files';
import { relInfDiff } from '../../support/numeric';

const N = 9;
const SIZE = 32;
let model: ResNet;
let pixels: Float32Array;
const feed = (): ImageFeed => ({
  count: N,
  size: SIZE,
  batch: async (start, n) => pixels.slice(start * SIZE * SIZE * 3, (start + n) * SIZE * SIZE * 3),
});

/** A BatchNorm whose every γ is 0 (its output is constant: an all-zero Gram). */
const ZERO_BN = 'layer3.0.bn2';

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = ResNet.create(parseArch('resnet18-w4', 5), { seed: 3 });
  // Non-trivial BatchNorms: running statistics, γ of both signs, β ≠ 0; channel 0 of layer1.0.bn1
  // with γ = 0 (a constant BN output from a varying conv output) and every γ of ZERO_BN = 0.
  tf.tidy(() => {
    const rng = new Rng(2);
    const vec = (len: number, f: () => number) => tf.tensor1d(Array.from({ length: len }, f));
    for (const spec of model.specs) {
      const len = spec.tfjsShape[0]!;
      if (spec.role === 'bn.running_mean') model.variable(spec.name).assign(vec(len, () => rng.normal() * 0.1));
      if (spec.role === 'bn.running_var') model.variable(spec.name).assign(vec(len, () => 0.5 + rng.next()));
      if (spec.role === 'bn.weight') model.variable(spec.name).assign(vec(len, () => (rng.next() < 0.25 ? -1 : 1) * (0.5 + rng.next())));
      if (spec.role === 'bn.bias') model.variable(spec.name).assign(vec(len, () => rng.normal() * 0.5));
    }
    const g = model.variable('layer1.0.bn1.weight');
    g.assign(tf.mul(g, tf.tensor1d(Array.from({ length: g.shape[0]! }, (_, i) => (i === 0 ? 0 : 1)))));
    const z = model.variable(`${ZERO_BN}.weight`);
    z.assign(tf.zeros(z.shape));
  });
  const rng = new Rng(1);
  pixels = Float32Array.from({ length: N * SIZE * SIZE * 3 }, () => rng.normal());
});
afterAll(() => model.dispose());

interface Naive {
  gram: Float64Array;
  constant: number;
  shape: number[];
  /** BatchNorms only: the Gram of the float64 BN map applied to the conv's output. */
  exact?: { gram: Float64Array; constant: number };
  /** BatchNorms only: max over non-constant features of max|y|/std(y) (the rounding amplification). */
  ratio?: number;
}

/** The conv feeding each BatchNorm (torchvision names). */
function bnInputs(): Map<string, string> {
  const { stem, stages } = model.layout;
  const pairs = [stem, ...stages.flatMap((s) => s.blocks.flatMap((b) => [...(b.downsample ? [b.downsample] : []), ...b.convs]))];
  return new Map(pairs.map((p) => [p.bn.name, p.conv.name]));
}

/** max over features with std > 0 of max_i |y_if| / std_f (population std) of the n × f matrix y. */
function roundingRatio(y: Float64Array, n: number, f: number): number {
  let ratio = 0;
  for (let j = 0; j < f; j++) {
    let m = 0;
    let peak = 0;
    for (let i = 0; i < n; i++) m += y[i * f + j]! / n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      v += (y[i * f + j]! - m) ** 2 / n;
      peak = Math.max(peak, Math.abs(y[i * f + j]!));
    }
    let constant = true;
    for (let i = 1; i < n; i++) if (y[i * f + j] !== y[j]) constant = false;
    if (!constant) ratio = Math.max(ratio, peak / Math.sqrt(v));
  }
  return ratio;
}

function naiveGrams(): Map<string, Naive> {
  const out = new Map<string, Naive>();
  const convRows = new Map<string, Float32Array>();
  const bnOf = bnInputs();
  const x = tf.tensor4d(pixels, [N, SIZE, SIZE, 3]) as Tensor4D;
  model
    .forward(x, {
      hook: (name: string, kind: string, t: Tensor) => {
        if (kind !== 'conv' && kind !== 'bn' && kind !== 'linear') return;
        const rows = t.dataSync() as Float32Array;
        const f = t.size / N;
        const entry: Naive = { ...naiveStandardisedGram(rows, N, f), shape: t.shape.slice(1) };
        if (kind === 'conv') convRows.set(name, Float32Array.from(rows));
        if (kind === 'bn') {
          const conv = convRows.get(bnOf.get(name)!)!;
          const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((v) =>
            model.variable(`${name}.${v}`).dataSync(),
          );
          const c = gamma!.length;
          const y = Float64Array.from(
            conv,
            (v, i) => ((v - mean![i % c]!) * gamma![i % c]!) / Math.sqrt(variance![i % c]! + BN_EPS) + beta![i % c]!,
          );
          entry.exact = naiveStandardisedGram(y, N, f);
          entry.ratio = roundingRatio(y, N, f);
        }
        out.set(name, entry);
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

describe('captureGrams (streaming) vs the naive in-memory Gram', () => {
  let naive: Map<string, Naive>;
  beforeAll(() => {
    naive = naiveGrams();
  });

  it('lists every Conv, BatchNorm and Linear layer with the shapes the hook sees', () => {
    const layers = spectrumLayers(model, SIZE);
    expect(layers.map((l) => l.name)).toEqual([...naive.keys()]);
    for (const l of layers) expect(l.shape).toEqual(naive.get(l.name)!.shape);
    expect(layers).toHaveLength(2 * 20 + 1); // resnet18: 20 convs (incl. 3 downsample), 20 BNs, fc
    expect([...layers].sort((a, b) => a.moduleIndex - b.moduleIndex)[5]!.name).toBe('layer1.0.bn2');
  });

  it('the fixture exercises the BatchNorm derivation: a γ = 0 channel, an all-zero BN, direct ≠ exact', () => {
    expect(naive.get('layer1.0.bn1')!.exact!.constant).toBe(8 * 8); // channel 0 at every position
    expect(naive.get('layer1.0.conv1')!.constant).toBe(0);
    const zero = naive.get(ZERO_BN)!;
    expect(zero.exact!.constant).toBe(zero.shape.reduce((a, b) => a * b, 1));
    // Rounding of the float32 BN output is visible, and within the bound the tests use.
    const bns = [...naive.values()].filter((v) => v.exact);
    expect(Math.max(...bns.map((v) => relInfDiff(v.exact!.gram, v.gram)))).toBeGreaterThan(1e-9);
    for (const v of bns) expect(relInfDiff(v.exact!.gram, v.gram)).toBeLessThanOrEqual(2 ** -24 * v.ratio!);
    expect(Math.max(...bns.map((v) => v.ratio!))).toBeLessThan(100);
  });

  it('batchNormDerivations pairs every BatchNorm with its conv; odd scales fall back to direct capture', async () => {
    const layers = spectrumLayers(model, SIZE);
    const d = await batchNormDerivations(model, layers);
    expect(d.size).toBe(20);
    const bn1 = d.get('layer1.0.conv1')!;
    expect(bn1.bn.name).toBe('layer1.0.bn1');
    expect([...bn1.zeroScale]).toEqual([1, 0, 0, 0]);
    expect(d.get('layer2.0.downsample.0')!.bn.name).toBe('layer2.0.downsample.1');
    expect(d.get('layer3.0.conv2')!.zeroScale.every((v) => v === 1)).toBe(true);
    // Without the conv among the layers, the BN is captured directly.
    expect(
      (
        await batchNormDerivations(
          model,
          layers.filter((l) => l.name !== 'conv1'),
        )
      ).has('conv1'),
    ).toBe(false);
    // A scale that is nonzero but tiny (s·x may underflow in float32) or not finite: direct capture.
    const g = model.variable('bn1.weight');
    const saved = g.clone();
    try {
      for (const bad of [1e-33, Number.NaN]) {
        tf.tidy(() => g.assign(tf.tensor1d(Array.from({ length: g.shape[0]! }, (_, i) => (i === 1 ? bad : 1)))));
        expect((await batchNormDerivations(model, layers)).has('conv1')).toBe(false);
      }
    } finally {
      g.assign(saved);
      saved.dispose();
    }
    expect((await batchNormDerivations(model, layers)).has('conv1')).toBe(true);
  });

  const cases = [
    {
      name: 'float64, memory, 1 pass, batches of 4, blocks of 37',
      opts: { batchSize: 4, blockFeatures: 37, gramPrecision: 'float64' as const },
      tol: 1e-9,
    },
    {
      name: 'float64, disk, budget → several passes, batches of 2',
      opts: { batchSize: 2, blockFeatures: 50, budgetBytes: 40_000, gramPrecision: 'float64' as const, scratch: true },
      tol: 1e-9,
    },
    {
      name: 'float64, BatchNorms captured directly',
      opts: { batchSize: 3, blockFeatures: 64, gramPrecision: 'float64' as const, bnFromConv: false },
      tol: 1e-9,
    },
    { name: 'backend (float32 blocks), memory', opts: { batchSize: 5, gramPrecision: 'backend' as const }, tol: 1e-5 },
    {
      name: 'backend, blocks of 40 (γ = 0 columns split per block), disk, several passes',
      opts: { batchSize: 4, blockFeatures: 40, budgetBytes: 40_000, gramPrecision: 'backend' as const, scratch: true },
      tol: 1e-5,
    },
    {
      name: 'backend, BatchNorms captured directly',
      opts: { batchSize: 9, gramPrecision: 'backend' as const, bnFromConv: false },
      tol: 1e-5,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const scratch = c.opts.scratch ? tempDirSync('spectra') : null;
      const before = tf.memory().numTensors;
      const derived = c.opts.bnFromConv !== false;
      try {
        const { grams, passes } = await streamed({ ...c.opts, scratchDir: scratch });
        if (c.opts.budgetBytes) expect(passes).toBeGreaterThan(3);
        else expect(passes).toBe(1);
        expect(grams.size).toBe(naive.size);
        for (const [name, ref] of naive) {
          const g = grams.get(name)!;
          const oracle = derived && ref.exact ? ref.exact : ref;
          expect(g.constantFeatures, name).toBe(oracle.constant);
          expect(relInfDiff(g.gram, oracle.gram), name).toBeLessThanOrEqual(c.tol);
          if (derived && ref.exact) {
            expect(g.constantFeatures, name).toBe(ref.constant);
            if (c.opts.gramPrecision === 'float64')
              expect(relInfDiff(g.gram, ref.gram), `${name} vs direct`).toBeLessThanOrEqual(2 ** -24 * ref.ratio!);
          }
        }
        // γ = 0 makes channel 0 of layer1.0.bn1 constant at every position; ZERO_BN is all constant.
        expect(grams.get('layer1.0.bn1')!.constantFeatures).toBe(8 * 8);
        expect(grams.get(ZERO_BN)!.constantFeatures).toBe(grams.get(ZERO_BN)!.layer.features);
        if (derived) expect(grams.get(ZERO_BN)!.gram.every((v) => v === 0)).toBe(true);
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

  it('defaultBlockFeatures: 2048 features, at most 8 MiB per block', () => {
    expect(defaultBlockFeatures(64)).toBe(2048);
    expect(defaultBlockFeatures(1024)).toBe(2048);
    expect(defaultBlockFeatures(4096)).toBe(512);
    expect(defaultBlockFeatures(1e6)).toBe(256);
  });

  it('rejects non-finite activations, naming the layer', async () => {
    const before = tf.memory().numTensors;
    const w = model.variable('layer2.0.conv1.weight');
    const saved = w.clone();
    try {
      tf.tidy(() => w.assign(tf.fill(w.shape, Number.NaN)));
      await expect(streamed({ batchSize: 9 })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/^Layer layer2\.0\.conv1 has non-finite activations/),
      });
    } finally {
      w.assign(saved);
      saved.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('computeSpectra: eigenvalues equal the naive ones; results do not depend on batch size; cancel stops it', async () => {
    const a = await computeSpectra(model, feed(), { k: 100, batchSize: 4, gramPrecision: 'float64' }, detachedContext());
    const b = await computeSpectra(model, feed(), { k: 100, batchSize: 9, gramPrecision: 'backend' }, detachedContext());
    expect(a.layers.map((l) => l.moduleIndex)).toEqual([...a.layers.keys()]);
    for (const l of a.layers) {
      const ref0 = naive.get(l.name)!;
      const { gram } = ref0.exact ?? ref0;
      const ref = explainedVariance(Float64Array.from(gram), N, l.k);
      const scale = Math.max(ref[0]!, 1e-300);
      l.eigenvalues.forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThanOrEqual(1e-9 * scale));
      const other = b.layers.find((x) => x.name === l.name)!;
      other.eigenvalues.forEach((v, i) => expect(Math.abs(v - l.eigenvalues[i]!)).toBeLessThanOrEqual(1e-4 * scale));
      expect(l.k).toBe(Math.min(N - 1, l.features));
    }
    const zero = a.layers.find((l) => l.name === ZERO_BN)!;
    expect(zero.eigenvalues.every((v) => v === 0)).toBe(true);
    expect(zero.kappa).toBeNull();
    expect(a.firstLayer.layer).toBe('conv1');
    expect(a.firstLayer.eigenvalues).toEqual(a.layers[0]!.eigenvalues);
    const controller = new AbortController();
    controller.abort();
    await expect(computeSpectra(model, feed(), {}, { progress: () => {}, log: () => {}, signal: controller.signal })).rejects.toThrow(
      /Cancelled/,
    );
  });
});
