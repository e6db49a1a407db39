/**
 * Spectra against scikit-learn 1.2 / SciPy 1.10 / NumPy 1.24 (fixtures.json, made by
 * make_fixtures.py — run `/usr/bin/python3 test/golden/spectra/make_fixtures.py`).
 *
 * Tolerances:
 * - PCA explained variance (StandardScaler + PCA(svd_solver='full')) from the blocked Gram path
 *   (gram.ts accumulateBlock): 1e-4 relative per eigenvalue (the bound) for the backend
 *   path (float32 standardisation and block products, on the cpu and wasm backends, blocks of 17
 *   features and one block of all), 1e-9 relative for the float64 path; percentiles and κ the same
 *   (κ 2×); constant-feature counts exact. Measured worst case of the backend path: see
 *   src-main/analysis/spectra/gram.ts.
 * - Kurtosis (scipy.stats.kurtosis, Fisher and Pearson), skew: 1e-10 relative; histogram density
 *   and edges (numpy.histogram density=True): 1e-12 relative.
 * - Fits (scipy `<dist>.fit`, loc and scale free): closed forms (norm, expon, uniform) 1e-9
 *   relative; Pareto shape within 1 % (the bound) where scipy's b < 1000; generic starting points
 *   (`_fitstart`) 1e-6 relative (beta's fsolve start 1e-4); log-likelihood at our fit ≥ scipy's − 1e-3·|scipy's| − 1e-3
 *   (MLE can differ where the likelihood is flat, so likelihoods are compared, not parameters);
 *   the top three by RSS in scipy's order, where scipy's third and fourth differ by more than 2 %.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionNumber, componentCount, explainedVariance } from '../../../src-main/analysis/spectra/eigen';
import { accumulateBlock, type GramPrecision } from '../../../src-main/analysis/spectra/gram';
import { initEngine, setCpuBackend } from '../../../src-main/engine/backend';
import {
  mirroredSample,
  rankSample,
  weightedHistogram,
  weightedKurtosis,
  weightedSkew,
} from '../../../src-main/analysis/spectra/first-layer';
import { DISTRIBUTIONS, DISTRIBUTION_NAMES, type DistributionName } from '../../../src-main/analysis/spectra/distributions';
import { fitAll, fitStart } from '../../../src-main/analysis/spectra/fit';

interface PcaCase {
  name: string;
  n: number;
  features: number;
  k: number;
  data: string;
  constantFeatures: number;
  explainedVariance: number[];
  percentiles: [number, number];
  pHigh: number;
  pLow: number;
  kappa: number;
}
interface MomentCase {
  weights: number[];
  bins: number;
  kurtosisMirrored: number;
  kurtosisMirroredPearson: number;
  kurtosisOneSided: number;
  skewOneSided: number;
  histogramEdges: number[];
  histogramDensity: number[];
}
interface FitEntry {
  fitstart?: number[];
  fitstartResidual?: number;
  params?: number[];
  logLikelihood?: number | null;
  rss?: number;
  error?: string;
}
interface FitCase {
  name: string;
  values: number[];
  weights: number[] | null;
  bins: number;
  histogramDensity: number[];
  fits: Record<DistributionName, FitEntry>;
  ranking: DistributionName[];
}
const fixtures = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures.json'), 'utf8')) as {
  pca: PcaCase[];
  moments: MomentCase[];
  fits: FitCase[];
};

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
function expectRel(actual: number, expected: number, tol: number, what: string): void {
  if (!(rel(actual, expected) <= tol))
    throw new Error(`${what}: ${actual} vs ${expected} (relative ${rel(actual, expected).toExponential(2)} > ${tol})`);
}

function decode(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/**
 * The production path on the whole matrix: split into feature blocks of `block` columns, each standardised and multiplied by
 * accumulateBlock.
 */
async function blockedGram(
  x: Float32Array,
  n: number,
  f: number,
  block: number,
  precision: GramPrecision,
): Promise<{ gram: Float64Array; constant: number }> {
  const gram = new Float64Array(n * n);
  let constant = 0;
  for (let c0 = 0; c0 < f; c0 += block) {
    const w = Math.min(block, f - c0);
    const sub = new Float32Array(n * w);
    for (let r = 0; r < n; r++) sub.set(x.subarray(r * f + c0, r * f + c0 + w), r * w);
    const r = await accumulateBlock(sub, n, w, precision, { kept: gram });
    expect(r.nonFinite).toBe(0);
    constant += r.constant;
  }
  return { gram, constant };
}

describe('PCA explained variance and κ vs scikit-learn StandardScaler + PCA', () => {
  beforeAll(async () => {
    await initEngine({ preference: 'wasm', env: {} });
  });
  afterAll(async () => {
    await setCpuBackend();
  });
  const variants = [
    { precision: 'float64', backend: 'cpu', block: 17 },
    { precision: 'backend', backend: 'cpu', block: 17 },
    { precision: 'backend', backend: 'wasm', block: 17 },
    { precision: 'backend', backend: 'wasm', block: 4096 },
  ] as const;
  for (const { precision, backend, block } of variants) {
    const tol = precision === 'float64' ? 1e-9 : 1e-4;
    for (const c of fixtures.pca) {
      it(`${c.name} (${c.n}×${c.features}, ${precision} block products on ${backend}, blocks of ${block} features)`, async () => {
        if (backend === 'cpu') await setCpuBackend();
        else await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const x = decode(c.data);
        const { gram, constant } = await blockedGram(x, c.n, c.features, block, precision);
        expect(constant).toBe(c.constantFeatures);
        const k = componentCount(100, c.n, c.features);
        expect(k).toBe(c.k);
        const lambda = explainedVariance(gram, c.n, k);
        expect(lambda).toHaveLength(c.k);
        // Eigenvalues that scikit-learn reports as ~0 (below 1e-6 of the largest: the null space of
        // constant features) are compared absolutely, to the tolerance times the largest.
        const top = c.explainedVariance[0]!;
        lambda.forEach((l, i) => {
          const e = c.explainedVariance[i]!;
          if (e < 1e-6 * top) expect(Math.abs(l - e)).toBeLessThan(tol * top);
          else expectRel(l, e, tol, `${c.name} λ${i + 1}`);
        });
        const kappa = conditionNumber(lambda, { high: c.percentiles[0], low: c.percentiles[1] });
        expectRel(kappa.pHigh, c.pHigh, tol, 'percentile high');
        expectRel(kappa.pLow, c.pLow, tol, 'percentile low');
        expectRel(kappa.kappa!, c.kappa, 2 * tol, 'kappa');
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});

describe('first-layer spectrum moments vs scipy.stats on numpy.repeat samples', () => {
  for (const [i, c] of fixtures.moments.entries()) {
    it(`case ${i}: ${c.weights.length} ranks, ${c.bins} bins`, () => {
      // Mirrored weights are λ/2 per side; kurtosis does not depend on the weights' scale.
      const mirrored = mirroredSample(c.weights);
      expectRel(weightedKurtosis(mirrored), c.kurtosisMirrored, 1e-10, 'Fisher kurtosis (mirrored)');
      expectRel(weightedKurtosis(mirrored, false), c.kurtosisMirroredPearson, 1e-10, 'Pearson kurtosis (mirrored)');
      const oneSided = rankSample(c.weights);
      expectRel(weightedKurtosis(oneSided), c.kurtosisOneSided, 1e-10, 'kurtosis (one-sided)');
      expectRel(weightedSkew(oneSided), c.skewOneSided, 1e-10, 'skew (one-sided)');
      const h = weightedHistogram(oneSided, c.bins);
      h.edges.forEach((e, j) => expectRel(e, c.histogramEdges[j]!, 1e-12, `edge ${j}`));
      h.density.forEach((d, j) => {
        if (c.histogramDensity[j] === 0) expect(d).toBe(0);
        else expectRel(d, c.histogramDensity[j]!, 1e-12, `density ${j}`);
      });
    });
  }
});

describe('distribution fits vs scipy.stats <dist>.fit', () => {
  for (const c of fixtures.fits) {
    describe(c.name, () => {
      const sample = { values: c.values, weights: c.weights ?? c.values.map(() => 1) };
      const table = fitAll(sample, c.bins);
      it('histogram density matches numpy.histogram', () => {
        table.histogram.density.forEach((d, j) => {
          if (c.histogramDensity[j] === 0) expect(d).toBe(0);
          else expectRel(d, c.histogramDensity[j]!, 1e-12, `density ${j}`);
        });
        expect(table.failed).toEqual([]);
      });
      for (const name of DISTRIBUTION_NAMES) {
        const ref = c.fits[name];
        const refParams = ref.params;
        if (!refParams) continue;
        it(`${name}`, () => {
          const fit = table.fits.find((f) => f.distribution === name)!;
          expect(fit).toBeDefined();
          if (name === 'norm' || name === 'expon' || name === 'uniform') {
            fit.params.forEach((p, j) => expectRel(p, ref.params![j]!, 1e-9, `${name} param ${j}`));
          }
          // Pareto shape within 1 % where scipy's fit is a proper Pareto; on data without a Pareto
          // tail the MLE runs off to b → ∞ (the exponential limit, scale ~1e8) where b is arbitrary
          // and only the likelihood (checked below) is meaningful.
          if (name === 'pareto' && refParams[0]! < 1e3) expectRel(fit.params[0]!, refParams[0]!, 0.01, 'Pareto shape b');
          if (name === 'pareto' && refParams[0]! >= 1e3) expect(fit.params[0]!).toBeGreaterThan(1e3);
          // beta: scipy's fsolve start is compared where it solved its equations (it can stop short).
          const startSolved = name !== 'beta' || (ref.fitstartResidual ?? 1) < 1e-8;
          if (ref.fitstart && fit.method === 'nelder-mead' && startSolved) {
            const start = fitStart(DISTRIBUTIONS[name], sample);
            start.forEach((p, j) => {
              if (Math.abs(ref.fitstart![j]!) < 1e-9) expect(Math.abs(p)).toBeLessThan(1e-9);
              else expectRel(p, ref.fitstart![j]!, name === 'beta' ? 1e-4 : 1e-6, `${name} start ${j}`);
            });
          }
          if (ref.logLikelihood !== null && ref.logLikelihood !== undefined) {
            expect(fit.logLikelihood).not.toBeNull();
            const slack = 1e-3 * Math.abs(ref.logLikelihood) + 1e-3;
            if (!(fit.logLikelihood! >= ref.logLikelihood - slack)) {
              throw new Error(
                `${name}: log-likelihood ${fit.logLikelihood} below scipy's ${ref.logLikelihood} (params ${fit.params.join(', ')} vs ${ref.params!.join(', ')})`,
              );
            }
          }
        });
      }
      it('ranks the top three by RSS as scipy', () => {
        const rss = (d: DistributionName) => c.fits[d].rss!;
        // Compare as many leading places (up to 3) as scipy separates by > 2 % RSS (near-ties, e.g. expon
        // and the exponential limit of pareto, may swap).
        let places = 3;
        for (let p = 0; p < 3; p++) {
          if (rel(rss(c.ranking[p + 1]!), rss(c.ranking[p]!)) < 0.02) {
            places = p;
            break;
          }
        }
        expect(places).toBeGreaterThanOrEqual(1);
        expect(table.fits.slice(0, places).map((f) => f.distribution)).toEqual(c.ranking.slice(0, places));
      });
    });
  }
});
