/**
 * The "popular" distributions of distfit (Taskesen 2019, the paper's ref 65) plus loggamma, in
 * scipy.stats' parameterisation: each has shape parameters, then loc and scale, with
 * pdf(x; shapes, loc, scale) = f((x − loc)/scale; shapes)/scale.
 *
 * Densities come from jStat (the `jstat` package: normal, exponential, Pareto, Student t, gamma,
 * log-normal, beta, uniform, Weibull, and its log-gamma function); dweibull is jStat's Weibull
 * folded to both sides, genextreme and loggamma are written from scipy's formulas with jStat's
 * gammaln. The log-densities used by the likelihood are scipy's `_logpdf` formulas written out
 * (log of a density that underflows would lose the tails); tests check exp(logpdf) = pdf.
 *
 * Each distribution also carries what scipy's generic `rv_continuous.fit` needs to start its
 * optimizer: the support at given shapes, mean and variance at given shapes (`fit_loc_scale`), and
 * the shape starting values of its `_fitstart` (scipy 1.10).
 */
import jStat from 'jstat';
import type { WeightedSample } from './first-layer';
import { weightedKurtosis, weightedSkew } from './first-layer';

export const DISTRIBUTION_NAMES = [
  'norm',
  'expon',
  'pareto',
  'dweibull',
  't',
  'genextreme',
  'gamma',
  'lognorm',
  'beta',
  'uniform',
  'loggamma',
] as const;
export type DistributionName = (typeof DISTRIBUTION_NAMES)[number];

export interface Distribution {
  name: DistributionName;
  /** scipy's names of the shape parameters, in order. */
  shapes: readonly string[];
  /** Standard (loc 0, scale 1) log-density, for y inside the support. */
  logpdf(y: number, s: readonly number[]): number;
  /** Standard density (jStat). */
  pdf(y: number, s: readonly number[]): number;
  /** Valid shape parameters (scipy `_argcheck`). */
  argcheck(s: readonly number[]): boolean;
  /** Closed support [a, b] of the standard distribution (scipy `_get_support`, `_support_mask` is a ≤ y ≤ b). */
  support(s: readonly number[]): [number, number];
  /** Mean and variance of the standard distribution (scipy `stats(moments='mv')`; Infinity/NaN where scipy has them). */
  meanVar(s: readonly number[]): [number, number];
  /** Starting shapes (scipy `_fitstart`; default all 1). */
  startShapes(sample: WeightedSample): number[];
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EULER = 0.5772156649015329;
const gammaln = (x: number): number => jStat.gammaln(x);
/** Γ(x) for x > 0 (Infinity at 0, as scipy's gamma(0)). */
const gammaFn = (x: number): number => (x === 0 ? Infinity : x > 0 ? Math.exp(gammaln(x)) : Number.NaN);
const xlogy = (x: number, y: number): number => (x === 0 && !Number.isNaN(y) ? 0 : x * Math.log(y));
const xlog1py = (x: number, y: number): number => (x === 0 && !Number.isNaN(y) ? 0 : x * Math.log1p(y));
const betaln = (a: number, b: number): number => gammaln(a) + gammaln(b) - gammaln(a + b);
const ones = (n: number) => (): number[] => new Array<number>(n).fill(1);

/**
 * Beta shapes whose skewness and excess kurtosis equal g1 and g2 (the method of moments for the
 * four-parameter beta; Johnson, Kotz & Balakrishnan ch. 25): with β1 = g1², β2 = g2 + 3,
 * ν = a + b = 6(β2 − β1 − 1)/(6 + 3β1 − 2β2) and a, b = ν/2·(1 ∓ sign(g1)/√(1 + 16(ν + 1)/((ν + 2)²β1))).
 * scipy solves the same two equations with MINPACK's fsolve from (1, 1); where a root exists this
 * is it (fsolve can also stop short of it), where none exists (ν ≤ 0) the start is fsolve's (1, 1).
 */
export function betaMomentShapes(g1: number, g2: number): [number, number] {
  const b1 = g1 * g1;
  const b2 = g2 + 3;
  const nu = (6 * (b2 - b1 - 1)) / (6 + 3 * b1 - 2 * b2);
  if (!(nu > 0 && Number.isFinite(nu)) || b1 === 0) return [1, 1];
  const q = 1 / Math.sqrt(1 + (16 * (nu + 1)) / ((nu + 2) ** 2 * b1));
  const a = (nu / 2) * (1 - Math.sign(g1) * q);
  const b = (nu / 2) * (1 + Math.sign(g1) * q);
  return a > 0 && b > 0 ? [a, b] : [1, 1];
}

const norm: Distribution = {
  name: 'norm',
  shapes: [],
  logpdf: (y) => -0.5 * y * y - LOG_SQRT_2PI,
  pdf: (y) => jStat.normal.pdf(y, 0, 1),
  argcheck: () => true,
  support: () => [-Infinity, Infinity],
  meanVar: () => [0, 1],
  startShapes: ones(0),
};

const expon: Distribution = {
  name: 'expon',
  shapes: [],
  logpdf: (y) => -y,
  pdf: (y) => jStat.exponential.pdf(y, 1),
  argcheck: () => true,
  support: () => [0, Infinity],
  meanVar: () => [1, 1],
  startShapes: ones(0),
};

const pareto: Distribution = {
  name: 'pareto',
  shapes: ['b'],
  logpdf: (y, [b]) => Math.log(b!) - (b! + 1) * Math.log(y),
  pdf: (y, [b]) => jStat.pareto.pdf(y, 1, b!),
  argcheck: ([b]) => b! > 0,
  support: () => [1, Infinity],
  meanVar: ([b]) => [b! > 1 ? b! / (b! - 1) : Infinity, b! > 2 ? b! / ((b! - 1) ** 2 * (b! - 2)) : Infinity],
  startShapes: ones(1),
};

const dweibull: Distribution = {
  name: 'dweibull',
  shapes: ['c'],
  logpdf: (y, [c]) => {
    const ay = Math.abs(y);
    return Math.log(c!) - Math.LN2 + xlogy(c! - 1, ay) - ay ** c!;
  },
  pdf: (y, [c]) => jStat.weibull.pdf(Math.abs(y), 1, c!) / 2,
  argcheck: ([c]) => c! > 0,
  support: () => [-Infinity, Infinity],
  meanVar: ([c]) => [0, gammaFn(1 + 2 / c!)],
  startShapes: ones(1),
};

const t: Distribution = {
  name: 't',
  shapes: ['df'],
  logpdf: (y, [df]) =>
    gammaln((df! + 1) / 2) - gammaln(df! / 2) - (0.5 * Math.log(df! * Math.PI) + ((df! + 1) / 2) * Math.log1p((y * y) / df!)),
  pdf: (y, [df]) => jStat.studentt.pdf(y, df!),
  argcheck: ([df]) => df! > 0,
  support: () => [-Infinity, Infinity],
  meanVar: ([df]) => [df! > 1 ? 0 : Infinity, df! > 2 ? df! / (df! - 2) : df! > 1 ? Infinity : Number.NaN],
  startShapes: ones(1),
};

/** scipy's genextreme (shape c; c > 0 bounded above at 1/c — the opposite sign of the usual ξ). */
function genextremeLogpdf(y: number, c: number): number {
  const cx = c !== 0 ? c * y : 0;
  if (cx === 1 || cx === -Infinity) return -Infinity;
  const logex2 = Math.log1p(-cx);
  const logpex2 = c !== 0 ? Math.log1p(-c * y) / c : -y;
  return -Math.exp(logpex2) + logpex2 - logex2;
}

const genextreme: Distribution = {
  name: 'genextreme',
  shapes: ['c'],
  logpdf: (y, [c]) => genextremeLogpdf(y, c!),
  pdf: (y, [c]) => Math.exp(genextremeLogpdf(y, c!)),
  argcheck: ([c]) => Number.isFinite(c!),
  support: ([c]) => (c! > 0 ? [-Infinity, 1 / c!] : c! < 0 ? [1 / c!, Infinity] : [-Infinity, Infinity]),
  meanVar: ([c]) => {
    if (c === 0) return [EULER, (Math.PI * Math.PI) / 6];
    const g1 = gammaFn(1 + c!);
    const mean = c! < -1 ? Number.NaN : (1 - g1) / c!;
    const variance = c! < -0.5 ? Number.NaN : (gammaFn(1 + 2 * c!) - g1 * g1) / (c! * c!);
    return [mean, variance];
  },
  startShapes: (s) => [weightedSkew(s) < 0 ? 0.5 : -0.5],
};

const gamma: Distribution = {
  name: 'gamma',
  shapes: ['a'],
  logpdf: (y, [a]) => xlogy(a! - 1, y) - y - gammaln(a!),
  pdf: (y, [a]) => jStat.gamma.pdf(y, a!, 1),
  argcheck: ([a]) => a! > 0,
  support: () => [0, Infinity],
  meanVar: ([a]) => [a!, a!],
  startShapes: (s) => [4 / (1e-8 + weightedSkew(s) ** 2)],
};

const lognorm: Distribution = {
  name: 'lognorm',
  shapes: ['s'],
  logpdf: (y, [s]) => (y === 0 ? -Infinity : -(Math.log(y) ** 2) / (2 * s! * s!) - Math.log(s! * y * Math.sqrt(2 * Math.PI))),
  pdf: (y, [s]) => jStat.lognormal.pdf(y, 0, s!),
  argcheck: ([s]) => s! > 0,
  support: () => [0, Infinity],
  meanVar: ([s]) => {
    const p = Math.exp(s! * s!);
    return [Math.sqrt(p), p * (p - 1)];
  },
  startShapes: ones(1),
};

const beta: Distribution = {
  name: 'beta',
  shapes: ['a', 'b'],
  logpdf: (y, [a, b]) => xlog1py(b! - 1, -y) + xlogy(a! - 1, y) - betaln(a!, b!),
  pdf: (y, [a, b]) => jStat.beta.pdf(y, a!, b!),
  argcheck: ([a, b]) => a! > 0 && b! > 0,
  support: () => [0, 1],
  meanVar: ([a, b]) => [a! / (a! + b!), (a! * b!) / ((a! + b!) ** 2 * (a! + b! + 1))],
  // scipy: the shapes whose skewness and excess kurtosis are the sample's (fsolve from (1, 1)).
  startShapes: (sample) => betaMomentShapes(weightedSkew(sample), weightedKurtosis(sample, true)),
};

const uniform: Distribution = {
  name: 'uniform',
  shapes: [],
  logpdf: () => 0,
  pdf: (y) => jStat.uniform.pdf(y, 0, 1),
  argcheck: () => true,
  support: () => [0, 1],
  meanVar: () => [0.5, 1 / 12],
  startShapes: ones(0),
};

/** Digamma and trigamma (recurrence to x ≥ 6, then the asymptotic series), for loggamma's moments. */
function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}
function trigamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r + 1 / x + f / 2 + (1 / (x * x * x)) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)));
}

const loggamma: Distribution = {
  name: 'loggamma',
  shapes: ['c'],
  logpdf: (y, [c]) => c! * y - Math.exp(y) - gammaln(c!),
  pdf: (y, [c]) => Math.exp(c! * y - Math.exp(y) - gammaln(c!)),
  argcheck: ([c]) => c! > 0,
  support: () => [-Infinity, Infinity],
  meanVar: ([c]) => [digamma(c!), trigamma(c!)],
  startShapes: ones(1),
};

export const DISTRIBUTIONS: Readonly<Record<DistributionName, Distribution>> = {
  norm,
  expon,
  pareto,
  dweibull,
  t,
  genextreme,
  gamma,
  lognorm,
  beta,
  uniform,
  loggamma,
};

/** pdf(x; shapes, loc, scale) with scipy's loc/scale convention (0 outside the support). */
export function densityAt(d: Distribution, x: number, params: readonly number[]): number {
  const k = d.shapes.length;
  const shapes = params.slice(0, k);
  const loc = params[k]!;
  const scale = params[k + 1]!;
  if (!(scale > 0) || !d.argcheck(shapes)) return Number.NaN;
  const y = (x - loc) / scale;
  const [a, b] = d.support(shapes);
  if (!(y >= a && y <= b)) return 0;
  return d.pdf(y, shapes) / scale;
}
