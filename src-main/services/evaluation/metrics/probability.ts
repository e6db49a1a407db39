/**
 * P(referable) from the model's 5 outputs (ICDR grades 0–4): the softmax probabilities of the
 * referable grades summed (docs/design.md "Referable DR"; default {3, 4} as in the paper, {2, 3, 4} is the
 * usual clinical definition). The AUC is computed on this, never on the argmax.
 */
import { fail } from './validate';

export interface ReferableOptions {
  /** Outputs per image; default 5. */
  classes?: number;
  /** 'logits' (default): softmax first; 'probabilities': rows already sum to 1 (checked to 1e-4). */
  input?: 'logits' | 'probabilities';
}

/**
 * Per-image P(referable) from row-major outputs (flat, `classes` per image, or one array per image).
 * Softmax is the stable form exp(l − max)/Σ exp(l − max), in float64.
 */
export function referableProbability(
  outputs: ArrayLike<number> | readonly ArrayLike<number>[],
  referable: readonly number[] = [3, 4],
  options: ReferableOptions = {},
): Float64Array {
  const fn = 'referableProbability';
  const classes = options.classes ?? 5;
  const input = options.input ?? 'logits';
  if (!Number.isInteger(classes) || classes < 2) fail(fn, `classes must be an integer ≥ 2, got ${classes}`);
  const isRef = new Uint8Array(classes);
  for (const g of referable) {
    if (!Number.isInteger(g) || g < 0 || g >= classes) fail(fn, `referable grade ${g} is not one of 0..${classes - 1}`);
    isRef[g] = 1;
  }
  if (referable.length === 0) fail(fn, 'the referable set is empty');
  const rows = Array.isArray(outputs) && outputs.length > 0 && typeof outputs[0] !== 'number';
  let flat: ArrayLike<number>;
  if (rows) {
    const list = outputs as readonly ArrayLike<number>[];
    const f = new Float64Array(list.length * classes);
    list.forEach((r, i) => {
      if (r.length !== classes) fail(fn, `image ${i} has ${r.length} outputs, expected ${classes}`);
      for (let k = 0; k < classes; k++) f[i * classes + k] = r[k]!;
    });
    flat = f;
  } else {
    flat = outputs as ArrayLike<number>;
    if (flat.length % classes !== 0) fail(fn, `${flat.length} outputs is not a multiple of ${classes} per image`);
  }
  const n = flat.length / classes;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) {
      const v = flat[o + k]!;
      if (Number.isNaN(v) || v === Infinity || (input === 'probabilities' && !(v >= 0 && v <= 1)))
        fail(fn, `image ${i} has an invalid ${input === 'logits' ? 'logit' : 'probability'} ${v}`);
      if (v > max) max = v;
    }
    let total = 0;
    let ref = 0;
    if (input === 'logits') {
      if (max === -Infinity) fail(fn, `image ${i} has all logits −∞`);
      for (let k = 0; k < classes; k++) {
        const e = Math.exp(flat[o + k]! - max);
        total += e;
        if (isRef[k]) ref += e;
      }
    } else {
      for (let k = 0; k < classes; k++) {
        const p = flat[o + k]!;
        total += p;
        if (isRef[k]) ref += p;
      }
      if (Math.abs(total - 1) > 1e-4) fail(fn, `image ${i}: probabilities sum to ${total}, not 1`);
    }
    out[i] = ref / total;
  }
  return out;
}
