/**
 * Distribution fitting pieces against independent oracles:
 * - every distribution's log-density equals log of jStat's density (the library; 1e-6 relative: jStat's
 *   Lanczos gammaln and its beta function carry ~1e-10–1e-7 relative error) at random parameters inside the support;
 * - weights mean repetition (the naive oracle: numpy.repeat's sample): the same starting point
 *   (1e-10 relative), the same penalised negative log-likelihood at random parameters (1e-10
 *   relative), closed-form fits to 1e-10, and the same first 25 Nelder–Mead iterations (1e-8; later
 *   the paths may part on flat likelihoods through summation-order rounding);
 * - Nelder–Mead reaches the known minima of a quadratic and of Rosenbrock's function (1e-3, fmin's
 *   tolerances) and reports the evaluation limit;
 * - the first-layer view model: the mirrored density is symmetric and sums to 1; the kurtosis of a
 *   mirrored sample equals the naive formula on the expanded sample (1e-12).
 */
import { describe, expect, it } from 'vitest';
import { DISTRIBUTIONS, DISTRIBUTION_NAMES, densityAt } from '../../../src-main/analysis/spectra/distributions';
import { fitAll, fitDistribution, fitStart, penalisedNll } from '../../../src-main/analysis/spectra/fit';
import { mirroredDensity, mirroredSample, weightedKurtosis } from '../../../src-main/analysis/spectra/first-layer';
import { nelderMead } from '../../../src-main/analysis/spectra/nelder-mead';
import { firstLayerSpectrum } from '../../../src-main/analysis/spectra/service';
import { Rng } from '../../../src-main/random/prng';

describe('log-densities agree with jStat densities', () => {
  const rng = new Rng(11);
  for (const name of DISTRIBUTION_NAMES) {
    it(name, () => {
      const d = DISTRIBUTIONS[name];
      for (let trial = 0; trial < 40; trial++) {
        const shapes = d.shapes.map(() => (name === 'genextreme' ? rng.range(-0.8, 0.8) : rng.range(0.3, 6)));
        const [a, b] = d.support(shapes);
        const lo = Number.isFinite(a) ? a : -4;
        const hi = Number.isFinite(b) ? b : lo + 8;
        const y = lo + (hi - lo) * rng.range(0.02, 0.98);
        const p = d.pdf(y, shapes);
        if (p < 1e-280) continue;
        const lp = d.logpdf(y, shapes);
        expect(Math.abs(lp - Math.log(p))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(lp)));
        // loc/scale convention: pdf(x; loc, scale) = f((x − loc)/scale)/scale.
        expect(densityAt(d, 2 + 3 * y, [...shapes, 2, 3])).toBeCloseTo(p / 3, 12);
      }
    });
  }
});

describe('integer weights = the repeated sample', () => {
  const rng = new Rng(5);
  const values = Array.from({ length: 25 }, () => 1 + Math.exp(rng.normal()));
  const weights = values.map(() => rng.int(1, 4));
  const expanded = values.flatMap((v, i) => new Array<number>(weights[i]!).fill(v));
  const weighted = { values, weights };
  const repeated = { values: expanded, weights: expanded.map(() => 1) };
  for (const name of DISTRIBUTION_NAMES) {
    it(name, () => {
      const d = DISTRIBUTIONS[name];
      const close = (a: number, b: number, tol: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
      const s1 = fitStart(d, weighted);
      fitStart(d, repeated).forEach((p, i) => close(s1[i]!, p, 1e-10));
      for (let trial = 0; trial < 10; trial++) {
        const theta = [...d.shapes.map(() => rng.range(0.5, 3)), rng.range(-1, 0.9), rng.range(0.5, 3)];
        const a = penalisedNll(d, weighted, theta, expanded.length);
        const b = penalisedNll(d, repeated, theta, expanded.length);
        if (Number.isFinite(b)) close(a, b, 1e-10);
        else expect(a).toBe(b);
      }
      const a = fitDistribution(name, weighted);
      const b = fitDistribution(name, repeated);
      if (a.method === 'closed-form') a.params.forEach((p, i) => close(p, b.params[i]!, 1e-10));
      else {
        const na = nelderMead((th) => penalisedNll(d, weighted, th, expanded.length), s1, { maxIterations: 25 });
        const nb = nelderMead((th) => penalisedNll(d, repeated, th, expanded.length), s1, { maxIterations: 25 });
        na.x.forEach((p, i) => close(p, nb.x[i]!, 1e-8));
      }
    });
  }
  it('rejects negative weights and empty samples with a message', () => {
    expect(() => fitDistribution('norm', { values: [1, 2], weights: [1, -1] })).toThrow(/non-negative weights/);
    expect(() => fitDistribution('norm', { values: [1, 2], weights: [0, 0] })).toThrow(/empty/);
  });
});

describe('nelderMead', () => {
  it('minimises a quadratic and Rosenbrock', () => {
    const q = nelderMead(([x, y]) => (x! - 3) ** 2 + 10 * (y! + 1) ** 2, [0, 0]);
    expect(q.converged).toBe(true);
    expect(q.x[0]).toBeCloseTo(3, 3);
    expect(q.x[1]).toBeCloseTo(-1, 3);
    const r = nelderMead(([x, y]) => 100 * (y! - x! * x!) ** 2 + (1 - x!) ** 2, [-1.2, 1], { maxIterations: 2000, maxEvaluations: 4000 });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
    expect(r.f).toBeLessThan(1e-6);
  });
  it('stops at the evaluation limit and says so; Infinity is a valid value', () => {
    const r = nelderMead(([x]) => (x! > 5 ? Infinity : (x! - 4) ** 2), [0], { maxEvaluations: 5 });
    expect(r.evaluations).toBe(5);
    expect(r.converged).toBe(false);
  });
});

describe('first-layer spectrum', () => {
  // A power-law spectrum, as first layers show.
  const lambda = Array.from({ length: 50 }, (_, i) => 10 * (i + 1) ** -1.2);
  it('mirrored density is symmetric over ±rank and sums to 1', () => {
    const m = mirroredDensity(lambda);
    expect(m.x).toHaveLength(100);
    expect(m.x[0]).toBe(-50);
    expect(m.x[99]).toBe(50);
    expect(m.x).not.toContain(0);
    m.density.forEach((d, i) => expect(d).toBe(m.density[99 - i]));
    expect(m.density.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(m.density[50]).toBeCloseTo(lambda[0]! / (2 * lambda.reduce((a, b) => a + b, 0)), 14);
  });
  it('kurtosis of the mirrored sample is Σλr⁴/Σλ / (Σλr²/Σλ)² − 3', () => {
    const s = lambda.reduce((a, b) => a + b, 0);
    const m2 = lambda.reduce((a, l, i) => a + l * (i + 1) ** 2, 0) / s;
    const m4 = lambda.reduce((a, l, i) => a + l * (i + 1) ** 4, 0) / s;
    expect(weightedKurtosis(mirroredSample(lambda))).toBeCloseTo(m4 / (m2 * m2) - 3, 12);
  });
  it('fits the rank sample: every distribution present, ranked by RSS, Pareto α reported, pdf at centres', () => {
    const f = firstLayerSpectrum('conv1', lambda);
    expect(f.fits.length + f.failed.length).toBe(11);
    for (let i = 1; i < f.fits.length; i++) expect(f.fits[i]!.rss).toBeGreaterThanOrEqual(f.fits[i - 1]!.rss);
    expect(f.best).toBe(f.fits[0]!.distribution);
    const pareto = f.fits.find((x) => x.distribution === 'pareto')!;
    expect(f.paretoAlpha).toBe(pareto.params[0]);
    expect(f.histogram.centres).toHaveLength(50);
    expect(f.fitSample.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(10_000, 8);
    for (const fit of f.fits) expect(fit.pdfAtCentres).toHaveLength(50);
    // The table's RSS is the sum of squares against the pdf it reports.
    const rss = f.histogram.density.reduce((a, d, i) => a + (d - f.fits[0]!.pdfAtCentres[i]!) ** 2, 0);
    expect(rss).toBeCloseTo(f.fits[0]!.rss, 12);
    // fitAll on the same sample gives the same table.
    expect(fitAll(f.fitSample, 50).best).toBe(f.best);
  });
});
