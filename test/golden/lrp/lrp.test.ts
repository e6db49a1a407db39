/**
 * LRP against an independent PyTorch reference of the same rules (make_fixtures.py, float64,
 * torchvision modules, Zennit's way of computing rules with autograd) on the ResNet parity fixtures
 * (test/golden/resnet: resnet18_w4.pt / resnet50_w4.pt with randomised BatchNorm statistics and fc
 * bias, imported by FundusLab's weight importer; input batch 2x3x61x67). Cases: the default composite
 * (first α1β0, max-pool winner-take-all, proportional residual sums) on both, zB first layer with
 * ImageNet bounds + proportional max pooling + the referable-group start {3, 4}, flat first layer +
 * α1β0 sums + unit start. Checks per image: Pearson correlation of the relevance ≥ 0.99 over all
 * elements and over the channel-summed map; Σ relevance equal to 1e-4 relative; Σ R⁰ equal to 1e-5.
 */
import tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startRelevance, type StartValue } from '../../../src-main/analysis/lrp/explain';
import { resnetExplainer } from '../../../src-main/analysis/lrp/index';
import type { FirstLayerRule, MaxPoolRule, SumRule } from '../../../src-main/analysis/lrp/composite';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { importWeights } from '../../../src-main/engine/weights/import';
import { readWeightFile } from '../../../src-main/engine/weights/read';
import { pearson } from '../../support/numeric';

const HERE = import.meta.dirname;

interface Case {
  weights: string;
  arch: string;
  classes: number[][];
  firstLayer: FirstLayerRule;
  maxPool: MaxPoolRule;
  sum: SumRule;
  startValue: StartValue;
  relevance: { file: string; shape: [number, number, number, number] };
  startSums: number[];
  relevanceSums: number[];
}
interface Fixture {
  input: { file: string; shape: [number, number, number, number] };
  stabilizer: number;
  bounds: { low: number[]; high: number[] };
  cases: Record<string, Case>;
}

const fixture = JSON.parse(readFileSync(path.join(HERE, 'lrp.json'), 'utf8')) as Fixture;

function readF32(file: string): Float32Array {
  const buf = readFileSync(path.join(HERE, file));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

describe('LRP vs the PyTorch reference (golden)', () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(`${name}: ${c.arch}, first ${c.firstLayer}, maxpool ${c.maxPool}, sum ${c.sum}, start ${c.startValue} ${JSON.stringify(c.classes)}`, async () => {
      const model = ResNet.create(parseArch(c.arch, 5));
      const report = importWeights(model, await readWeightFile(path.join(HERE, c.weights)));
      expect(report.reinitialised).toEqual([]);
      const x = tf.tidy(() => tf.transpose(tf.tensor4d(readF32(fixture.input.file), fixture.input.shape), [0, 2, 3, 1]) as tf.Tensor4D);
      const before = tf.memory().numTensors;
      const lrp = resnetExplainer(model, {
        firstLayer: c.firstLayer,
        maxPool: c.maxPool,
        sum: c.sum,
        bounds: fixture.bounds,
        stabilizer: fixture.stabilizer,
      });
      const r = lrp.explainer.explain(x, (z) => startRelevance(z, c.classes, c.startValue));
      const ours = r.relevance.dataSync() as Float32Array;
      const start = r.start.dataSync() as Float32Array;
      tf.dispose([r.relevance, r.logits, r.start]);
      lrp.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();

      const expected = readF32(c.relevance.file);
      const [n, h, w, ch] = c.relevance.shape;
      const per = h * w * ch;
      for (let i = 0; i < n; i++) {
        const a = ours.subarray(i * per, (i + 1) * per);
        const b = expected.subarray(i * per, (i + 1) * per);
        const pooled = (v: Float32Array) => Float64Array.from({ length: h * w }, (_, p) => v[p * ch]! + v[p * ch + 1]! + v[p * ch + 2]!);
        const sumA = a.reduce((s, v) => s + v, 0);
        const rElements = pearson(a, b);
        const rPixels = pearson(pooled(a), pooled(b));
        const sumErr = Math.abs(sumA - c.relevanceSums[i]!) / Math.abs(c.relevanceSums[i]!);
        const startOurs = start.subarray(i * 5, (i + 1) * 5).reduce((s, v) => s + v, 0);
        console.info(
          `golden ${name} image ${i}: r(elements) ${rElements.toFixed(6)}, r(pixels) ${rPixels.toFixed(6)}, Σ ours ${sumA.toPrecision(7)} vs ${c.relevanceSums[i]!.toPrecision(7)} (rel. ${sumErr.toExponential(2)})`,
        );
        expect(Math.abs(startOurs - c.startSums[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(c.startSums[i]!)));
        expect(rElements).toBeGreaterThanOrEqual(0.99);
        expect(rPixels).toBeGreaterThanOrEqual(0.99);
        expect(sumErr).toBeLessThanOrEqual(1e-4);
      }
    });
  }
});
