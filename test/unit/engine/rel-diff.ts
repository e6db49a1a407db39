/** The difference measure of the wasm-vs-cpu kernel tests and the optimizer goldens. */
import { expect } from 'vitest';

/** ‖a − b‖∞ / ‖b‖∞: the largest absolute element difference over the largest absolute reference element (b). */
export function relInfDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}
