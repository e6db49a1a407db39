/**
 * Nelder–Mead simplex minimisation, step for step as scipy.optimize.fmin (scipy 1.10
 * `_minimize_neldermead`, non-adaptive): initial simplex x0 with coordinate k scaled by 1.05 (or set
 * to 0.00025 when 0); reflection ρ = 1, expansion χ = 2, contraction ψ = 0.5, shrink σ = 0.5; stop
 * when max|x_i − x_0| ≤ xtol and max|f_i − f_0| ≤ ftol (both 1e-4 in fmin), or after 200·n
 * iterations or function evaluations. A function value may be Infinity (an invalid point).
 */
export interface NelderMeadOptions {
  xtol?: number;
  ftol?: number;
  maxIterations?: number;
  maxEvaluations?: number;
}

export interface NelderMeadResult {
  x: number[];
  f: number;
  iterations: number;
  evaluations: number;
  /** False when the iteration or evaluation limit stopped it. */
  converged: boolean;
}

class TooManyEvaluations extends Error {}

export function nelderMead(fn: (x: number[]) => number, x0: readonly number[], opts: NelderMeadOptions = {}): NelderMeadResult {
  const n = x0.length;
  const xtol = opts.xtol ?? 1e-4;
  const ftol = opts.ftol ?? 1e-4;
  const maxIter = opts.maxIterations ?? 200 * n;
  const maxFun = opts.maxEvaluations ?? 200 * n;
  const rho = 1;
  const chi = 2;
  const psi = 0.5;
  const sigma = 0.5;
  let calls = 0;
  const f = (x: number[]): number => {
    if (calls >= maxFun) throw new TooManyEvaluations();
    calls++;
    const v = fn(x);
    return Number.isNaN(v) ? Infinity : v;
  };

  let sim: number[][] = [[...x0]];
  for (let k = 0; k < n; k++) {
    const y = [...x0];
    y[k] = y[k] !== 0 ? 1.05 * y[k]! : 0.00025;
    sim.push(y);
  }
  let fsim = new Array<number>(n + 1).fill(Infinity);
  const sort = (): void => {
    const order = fsim.map((v, i) => [v, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    sim = order.map(([, i]) => sim[i]!);
    fsim = order.map(([v]) => v);
  };
  try {
    for (let k = 0; k <= n; k++) fsim[k] = f(sim[k]!);
  } catch (e) {
    if (!(e instanceof TooManyEvaluations)) throw e;
  }
  sort();

  let iterations = 1;
  while (calls < maxFun && iterations < maxIter) {
    try {
      let dx = 0;
      let df = 0;
      for (let i = 1; i <= n; i++) {
        for (let j = 0; j < n; j++) dx = Math.max(dx, Math.abs(sim[i]![j]! - sim[0]![j]!));
        df = Math.max(df, Math.abs(fsim[0]! - fsim[i]!));
      }
      if (dx <= xtol && df <= ftol) break;
      const xbar = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) xbar[j] = xbar[j]! + sim[i]![j]!;
      for (let j = 0; j < n; j++) xbar[j] = xbar[j]! / n;
      const worst = sim[n]!;
      const comb = (a: number, b: number): number[] => xbar.map((xb, j) => a * xb + b * worst[j]!);
      const xr = comb(1 + rho, -rho);
      const fxr = f(xr);
      let shrink = false;
      if (fxr < fsim[0]!) {
        const xe = comb(1 + rho * chi, -rho * chi);
        const fxe = f(xe);
        if (fxe < fxr) {
          sim[n] = xe;
          fsim[n] = fxe;
        } else {
          sim[n] = xr;
          fsim[n] = fxr;
        }
      } else if (fxr < fsim[n - 1]!) {
        sim[n] = xr;
        fsim[n] = fxr;
      } else if (fxr < fsim[n]!) {
        const xc = comb(1 + psi * rho, -psi * rho);
        const fxc = f(xc);
        if (fxc <= fxr) {
          sim[n] = xc;
          fsim[n] = fxc;
        } else shrink = true;
      } else {
        const xcc = comb(1 - psi, psi);
        const fxcc = f(xcc);
        if (fxcc < fsim[n]!) {
          sim[n] = xcc;
          fsim[n] = fxcc;
        } else shrink = true;
      }
      if (shrink) {
        for (let j = 1; j <= n; j++) {
          sim[j] = sim[j]!.map((v, q) => sim[0]![q]! + sigma * (v - sim[0]![q]!));
          fsim[j] = f(sim[j]!);
        }
      }
      iterations++;
    } catch (e) {
      if (!(e instanceof TooManyEvaluations)) throw e;
    } finally {
      sort();
    }
  }
  return { x: sim[0]!, f: Math.min(...fsim), iterations, evaluations: calls, converged: calls < maxFun && iterations < maxIter };
}
