/**
 * Maximum-likelihood fits of the distributions of distributions.ts to a (weighted) sample, as
 * scipy.stats `<dist>.fit(data)` does with loc and scale free (scipy 1.10), and their scores as in
 * distfit: the residual sum of squares between the sample's density histogram and the fitted pdf at
 * the bin centres; best = lowest RSS.
 *
 * - Closed forms where scipy overrides `fit`: norm (mean, population std), expon (loc = min,
 *   scale = mean − min), uniform (loc = min, scale = max − min), pareto (loc = min − scale, with the
 *   scale solving ∂L/∂loc = ∂L/∂scale and b = n / Σ log((x − loc)/scale); bisection instead of
 *   scipy's brentq, to the same root; when no bracket holds a root, the generic path, as scipy
 *   falls back to it when the root finder fails).
 * - Generic path (dweibull, t, genextreme, gamma, lognorm, beta, loggamma): start = `_fitstart`
 *   shapes + method-of-moments loc/scale adjusted so the support covers the data
 *   (`_fit_loc_scale_support`), then Nelder–Mead (nelder-mead.ts, fmin's steps and tolerances) on
 *   scipy's penalised negative log-likelihood: −Σ log f((x − loc)/scale) + n·log(scale), where each
 *   point outside the support or with a non-finite log-density adds 100·log(float64 max) instead.
 *   A fit that meets fmin's tolerances is scipy's fit. One that stopped at fmin's iteration limit
 *   (200 per parameter) is continued by further fmin runs from its best point while they improve
 *   the likelihood (at most 9): this can only raise the likelihood above scipy's, which reports
 *   the unfinished point.
 * - Weights: a weighted sample (values, weights) is treated as the sample in which each value is
 *   repeated `weight` times (sums, means, moments and n = Σ weights), so integer weights reproduce
 *   scipy on `numpy.repeat(values, weights)` exactly.
 */
import { AppError } from '../../../src-shared/errors';
import { DISTRIBUTIONS, DISTRIBUTION_NAMES, densityAt, type Distribution, type DistributionName } from './distributions';
import { weightedHistogram, weightedMean, weightedVariance, type Histogram, type WeightedSample } from './first-layer';
import { nelderMead } from './nelder-mead';

/** log(float64 max) · 100: scipy's per-point penalty (`_nlff_and_penalty`). */
const PENALTY = Math.log(Number.MAX_VALUE) * 100;

export interface DistributionFit {
  distribution: DistributionName;
  /** Parameter names: the shapes, then loc and scale (scipy's order). */
  names: string[];
  /** Fitted values, in `names` order. */
  params: number[];
  /** Σ w·log pdf(x) at the fitted parameters; null when a point lies outside the support. */
  logLikelihood: number | null;
  /** Σ over histogram bins of (density − pdf(centre))². */
  rss: number;
  method: 'closed-form' | 'nelder-mead';
  /** Nelder–Mead iterations (0 for closed forms) and whether it met fmin's tolerances. */
  iterations: number;
  converged: boolean;
}

interface Stats {
  n: number;
  min: number;
  max: number;
}

function sampleStats(s: WeightedSample): Stats {
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  s.values.forEach((x, i) => {
    const w = s.weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w) || !Number.isFinite(x))
      throw new AppError('BAD_REQUEST', `Sample point ${i}: value ${x} with weight ${w}; expected finite values and non-negative weights`);
    if (w === 0) return;
    n += w;
    if (x < min) min = x;
    if (x > max) max = x;
  });
  if (!(n > 0)) throw new AppError('BAD_REQUEST', 'The sample to fit is empty (total weight 0)');
  return { n, min, max };
}

/** scipy's penalised negative log-likelihood of (shapes…, loc, scale) on the weighted sample. */
export function penalisedNll(d: Distribution, s: WeightedSample, theta: readonly number[], n: number): number {
  const k = d.shapes.length;
  const shapes = theta.slice(0, k);
  const loc = theta[k]!;
  const scale = theta[k + 1]!;
  if (!d.argcheck(shapes) || !(scale > 0)) return Infinity;
  const [a, b] = d.support(shapes);
  let sum = 0;
  let bad = 0;
  for (let i = 0; i < s.values.length; i++) {
    const w = s.weights[i]!;
    if (w === 0) continue;
    const y = (s.values[i]! - loc) / scale;
    if (!(y >= a && y <= b)) {
      bad += w;
      continue;
    }
    const lp = d.logpdf(y, shapes);
    if (!Number.isFinite(lp)) bad += w;
    else sum -= w * lp;
  }
  return sum + bad * PENALTY + n * Math.log(scale);
}

/** Σ w·log pdf(x; θ), or null when some point has zero density. */
export function logLikelihood(d: Distribution, s: WeightedSample, theta: readonly number[]): number | null {
  const k = d.shapes.length;
  const shapes = theta.slice(0, k);
  const loc = theta[k]!;
  const scale = theta[k + 1]!;
  if (!d.argcheck(shapes) || !(scale > 0)) return null;
  const [a, b] = d.support(shapes);
  let ll = 0;
  for (let i = 0; i < s.values.length; i++) {
    const w = s.weights[i]!;
    if (w === 0) continue;
    const y = (s.values[i]! - loc) / scale;
    if (!(y >= a && y <= b)) return null;
    const lp = d.logpdf(y, shapes);
    if (!Number.isFinite(lp)) return null;
    ll += w * (lp - Math.log(scale));
  }
  return ll;
}

/** scipy `fit_loc_scale` + `_fit_loc_scale_support`: method-of-moments loc/scale at given shapes, moved to cover the data. */
export function startLocScale(d: Distribution, s: WeightedSample, shapes: readonly number[]): [number, number] {
  const [mu, mu2] = d.meanVar(shapes);
  const muhat = weightedMean(s);
  const mu2hat = weightedVariance(s);
  let shat = Math.sqrt(mu2hat / mu2);
  let lhat = muhat - shat * mu;
  if (!Number.isFinite(lhat)) lhat = 0;
  if (!(Number.isFinite(shat) && shat > 0)) shat = 1;
  const [a, b] = d.support(shapes);
  const width = b - a;
  if (!(width > 0)) return [lhat, shat];
  const { min, max } = sampleStats(s);
  if (lhat + a * shat < min && max < lhat + b * shat) return [lhat, shat];
  const dataWidth = max - min;
  const margin = dataWidth * 0.1;
  if (width < Infinity) return [min - a - margin, (dataWidth + 2 * margin) / width];
  if (a > -Infinity) return [min - a - margin, 1];
  if (b < Infinity) return [max - b + margin, 1];
  throw new AppError('INTERNAL', `startLocScale: unbounded support for ${d.name}`);
}

/** scipy's starting point of the generic fit: (shapes…, loc, scale). */
export function fitStart(d: Distribution, s: WeightedSample): number[] {
  const shapes = d.startShapes(s);
  return [...shapes, ...startLocScale(d, s, shapes)];
}

/** The next float64 towards 0 of a positive finite number (numpy.nextafter(x, 0)). */
function nextDown(x: number): number {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  buf.setBigUint64(0, buf.getBigUint64(0) - 1n);
  return buf.getFloat64(0);
}

/** scipy's pareto.fit with loc and scale free; null when no root is bracketed. */
function paretoClosedForm(s: WeightedSample, st: Stats): number[] | null {
  const shapeAt = (scale: number, loc: number): number => {
    let sum = 0;
    s.values.forEach((x, i) => {
      if (s.weights[i]! > 0) sum += s.weights[i]! * Math.log((x - loc) / scale);
    });
    return st.n / sum;
  };
  const fun = (scale: number): number => {
    const loc = st.min - scale;
    const shape = shapeAt(scale, loc);
    let inv = 0;
    s.values.forEach((x, i) => {
      if (s.weights[i]! > 0) inv += s.weights[i]! / (x - loc);
    });
    return (shape + 1) * inv - (st.n * shape) / scale;
  };
  const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : Number.NaN);
  let lo = 0.5;
  let hi = 2;
  const contains = (l: number, h: number) => sign(fun(l)) !== sign(fun(h));
  while (!contains(lo, hi) && (lo > 0 || hi < Infinity)) {
    lo /= 2;
    hi *= 2;
  }
  let flo = fun(lo);
  const fhi = fun(hi);
  if (!(Number.isFinite(flo) && Number.isFinite(fhi)) || sign(flo) === sign(fhi)) return null;
  // Bisection to the float64 root (brentq's tolerance is 2e-12 absolute + 4 ε relative).
  let a = lo;
  let b = hi;
  for (let it = 0; it < 2000; it++) {
    const m = 0.5 * (a + b);
    if (m === a || m === b) break;
    const fm = fun(m);
    if (fm === 0) {
      a = b = m;
      break;
    }
    if (sign(fm) === sign(flo)) {
      a = m;
      flo = fm;
    } else b = m;
  }
  let scale = 0.5 * (a + b);
  const loc = st.min - scale;
  const shape = shapeAt(scale, loc);
  if (!(scale + loc < st.min)) scale = nextDown(st.min - loc);
  return Number.isFinite(shape) && shape > 0 ? [shape, loc, scale] : null;
}

function closedForm(name: DistributionName, s: WeightedSample, st: Stats): number[] | null {
  switch (name) {
    case 'norm': {
      const loc = weightedMean(s);
      let sq = 0;
      s.values.forEach((x, i) => (sq += s.weights[i]! * (x - loc) ** 2));
      return [loc, Math.sqrt(sq / st.n)];
    }
    case 'expon':
      return [st.min, weightedMean(s) - st.min];
    case 'uniform':
      return [st.min, st.max - st.min];
    case 'pareto':
      return paretoClosedForm(s, st);
    default:
      return null;
  }
}

export interface FitOptions {
  /** Further Nelder–Mead runs when fmin stopped at its iteration limit (default 9). */
  continuations?: number;
}

/** Fits one distribution by maximum likelihood (without the RSS score). */
export function fitDistribution(name: DistributionName, s: WeightedSample, opts: FitOptions = {}): Omit<DistributionFit, 'rss'> {
  const d = DISTRIBUTIONS[name];
  const st = sampleStats(s);
  const names = [...d.shapes, 'loc', 'scale'];
  const closed = closedForm(name, s, st);
  if (closed)
    return {
      distribution: name,
      names,
      params: closed,
      logLikelihood: logLikelihood(d, s, closed),
      method: 'closed-form',
      iterations: 0,
      converged: true,
    };
  const objective = (theta: number[]) => penalisedNll(d, s, theta, st.n);
  let best = nelderMead(objective, fitStart(d, s));
  let iterations = best.iterations;
  for (let r = 0; !best.converged && r < (opts.continuations ?? 9); r++) {
    const again = nelderMead(objective, best.x);
    iterations += again.iterations;
    if (!(again.f < best.f)) break;
    best = again;
  }
  const params = best.x;
  const k = d.shapes.length;
  if (!d.argcheck(params.slice(0, k)) || !(params[k + 1]! > 0)) {
    throw new AppError('INTERNAL', `Fitting ${name} converged to invalid parameters ${params.join(', ')}`);
  }
  return {
    distribution: name,
    names,
    params,
    logLikelihood: logLikelihood(d, s, params),
    method: 'nelder-mead',
    iterations,
    converged: best.converged,
  };
}

/** RSS between the histogram density and the pdf at the bin centres (distfit's score). */
export function histogramRss(name: DistributionName, params: readonly number[], h: Histogram): number {
  const d = DISTRIBUTIONS[name];
  let rss = 0;
  h.centres.forEach((c, i) => {
    const p = densityAt(d, c, params);
    rss += (h.density[i]! - (Number.isFinite(p) ? p : 0)) ** 2;
  });
  return rss;
}

export interface FitTable {
  histogram: Histogram;
  /** Every distribution that could be fitted, ascending by RSS. */
  fits: DistributionFit[];
  /** Distributions whose fit failed, with the reason. */
  failed: { distribution: DistributionName; reason: string }[];
  best: DistributionName | null;
}

/** Fits every distribution and ranks them by RSS against the `bins`-bin density histogram. */
export function fitAll(
  s: WeightedSample,
  bins: number,
  names: readonly DistributionName[] = DISTRIBUTION_NAMES,
  opts: FitOptions = {},
): FitTable {
  const histogram = weightedHistogram(s, bins);
  const fits: DistributionFit[] = [];
  const failed: FitTable['failed'] = [];
  for (const name of names) {
    try {
      const fit = fitDistribution(name, s, opts);
      fits.push({ ...fit, rss: histogramRss(name, fit.params, histogram) });
    } catch (e) {
      failed.push({ distribution: name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  fits.sort((a, b) => a.rss - b.rss);
  return { histogram, fits, failed, best: fits[0]?.distribution ?? null };
}
