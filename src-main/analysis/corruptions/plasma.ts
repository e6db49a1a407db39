/**
 * The reference's `plasma_fractal` (a diamond-square height map, itself a modification of
 * FLHerne/mapgen's diamondsquare.py), used by fog and by the procedural frost's haze. On an N × N
 * grid (N a power of two, periodic): at each step size s (N, N/2, …, 2) the centres of the s-squares
 * get the mean of their 4 corners plus noise, then the edge midpoints the mean of their 2 corner and
 * 2 centre neighbours plus noise; noise is wibble·U(−wibble, wibble), wibble starting at 100 and
 * divided by `wibbleDecay` after each step. Sums are taken in the reference's order; uniforms are
 * drawn row-major per filled sub-grid (squares, then the row-midpoint grid, then the column-midpoint
 * grid). The result is shifted and scaled to [0, 1].
 */
import type { Rng } from '../../random/prng';

export function nextPowerOfTwo(x: number): number {
  return x <= 1 ? 1 : 2 ** Math.ceil(Math.log2(x));
}

/** An N × N plasma fractal in [0, 1] (row-major float64). */
export function plasmaFractal(rng: Rng, mapSize: number, wibbleDecay: number): Float64Array {
  const N = mapSize;
  if (N < 1 || (N & (N - 1)) !== 0) throw new RangeError(`plasma map size must be a power of two, got ${N}`);
  const map = new Float64Array(N * N);
  let step = N;
  let wibble = 100;
  const noise = (mean: number): number => mean + wibble * (-wibble + (wibble - -wibble) * rng.next());
  while (step >= 2) {
    const half = step >> 1;
    const n = N / step;
    // Squares: centre (i·s + s/2, j·s + s/2) from corners (i, j), (i+1, j), (i, j+1), (i+1, j+1) (periodic).
    const centres = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const i1 = (i + 1) % n;
      for (let j = 0; j < n; j++) {
        const j1 = (j + 1) % n;
        const a = map[i * step * N + j * step]! + map[i1 * step * N + j * step]!;
        const b = map[i * step * N + j1 * step]! + map[i1 * step * N + j1 * step]!;
        centres[i * n + j] = a + b;
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) map[(i * step + half) * N + j * step + half] = noise(centres[i * n + j]! / 4);
    // Diamonds. dr = centres grid, ul = corner grid.
    const dr = (i: number, j: number) => map[(((i % n) + n) % n) * step * N + half * N + (((j % n) + n) % n) * step + half]!;
    const ul = (i: number, j: number) => map[(((i % n) + n) % n) * step * N + (((j % n) + n) % n) * step]!;
    const lt = new Float64Array(n * n);
    const tt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        lt[i * n + j] = dr(i, j) + dr(i - 1, j) + (ul(i, j) + ul(i, j + 1));
        tt[i * n + j] = dr(i, j) + dr(i, j - 1) + (ul(i, j) + ul(i + 1, j));
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) map[i * step * N + j * step + half] = noise(lt[i * n + j]! / 4);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) map[(i * step + half) * N + j * step] = noise(tt[i * n + j]! / 4);
    step = half;
    wibble /= wibbleDecay;
  }
  let min = Infinity;
  for (let i = 0; i < map.length; i++) if (map[i]! < min) min = map[i]!;
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    map[i] = map[i]! - min;
    if (map[i]! > max) max = map[i]!;
  }
  for (let i = 0; i < map.length; i++) map[i] = map[i]! / max;
  return map;
}
