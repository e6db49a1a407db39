/**
 * Axis ranges and ticks for the charts, computed here so charts only render (STYLE: charts derive
 * nothing). Pure; unit-tested with the Training and Results view models.
 */

const round = (x: number) => Number(x.toFixed(10));

export interface Axis {
  domain: [number, number];
  ticks: number[];
  /** Decimals that show every tick exactly (those of the step: 0.025 → 3, 0.1 → 1, 5 → 0). */
  decimals: number;
}

/** Decimals of a tick step: the fewest that write it exactly (up to 10). */
export function stepDecimals(step: number): number {
  for (let d = 0; d <= 10; d++) if (Math.abs(Number(step.toFixed(d)) - step) < 1e-12) return d;
  return 10;
}

function ticksOf(a: number, b: number, step: number): number[] {
  const ticks: number[] = [];
  for (let i = 0; a + i * step <= b + step * 1e-6; i++) ticks.push(round(a + i * step));
  return ticks;
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ raw. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw * (1 - 1e-9)) return round(m * power);
  return round(10 * power);
}

/**
 * A value axis around [lo, hi] with about `intervals` intervals of a nice step, its bounds on
 * multiples of the step; a single value gets one step either side.
 */
export function niceAxis(lo: number, hi: number, intervals = 4): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 0.25, 0.5, 0.75, 1], decimals: 2 };
  if (hi < lo) [lo, hi] = [hi, lo];
  const step = hi > lo ? niceStep((hi - lo) / intervals) : niceStep(Math.abs(lo) * 0.05 || 0.1);
  let a = Math.floor(lo / step + 1e-9) * step;
  let b = Math.ceil(hi / step - 1e-9) * step;
  if (b <= a) {
    a -= step;
    b += step;
  }
  return { domain: [round(a), round(b)], ticks: ticksOf(a, b, step), decimals: stepDecimals(step) };
}

/** An AUC axis: step 0.1 for a range above 0.4, else 0.05; bounds on multiples of the step, within [0, 1], never empty. */
export function aucAxis(lo: number, hi: number): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return aucAxis(0, 1);
  const step = hi - lo > 0.4 ? 0.1 : 0.05;
  let a = Math.max(0, Math.floor(lo / step + 1e-9) * step);
  let b = Math.min(1, Math.ceil(hi / step - 1e-9) * step);
  if (b - a < step - 1e-9) {
    if (a + step <= 1 + 1e-9) b = a + step;
    else a = b - step;
  }
  return { domain: [round(a), round(b)], ticks: ticksOf(a, b, step), decimals: stepDecimals(step) };
}
