/**
 * RGB ↔ HSV on [0, 1] floats with the exact arithmetic of scikit-image 0.19
 * (`skimage.color.rgb2hsv` / `hsv2rgb`), which the reference's brightness and saturate use:
 *
 * - V = max, Δ = max − min, S = Δ / V (0 where Δ = 0);
 * - H: the branch of the *last* channel equal to the max wins (blue over green over red):
 *   (G − B)/Δ, 2 + (B − R)/Δ, 4 + (R − G)/Δ; then H = (H/6) mod 1, and 0 where Δ = 0;
 * - back: i = ⌊6H⌋ mod 6, f = 6H − ⌊6H⌋, p = V(1 − S), q = V(1 − fS), t = V(1 − (1 − f)S).
 */

/** Converts interleaved RGB to interleaved HSV in place. */
export function rgbToHsvInPlace(a: Float64Array): void {
  for (let i = 0; i < a.length; i += 3) {
    const r = a[i]!;
    const g = a[i + 1]!;
    const b = a[i + 2]!;
    const v = Math.max(r, g, b);
    const delta = v - Math.min(r, g, b);
    let h = 0;
    let s = 0;
    if (delta !== 0) {
      s = delta / v;
      if (b === v) h = 4 + (r - g) / delta;
      else if (g === v) h = 2 + (b - r) / delta;
      else h = (g - b) / delta;
      h = h / 6;
      // numpy's float remainder (sign of the divisor): h + 1 for h in (−1, 0), which may round to 1.
      h = h - Math.floor(h);
    }
    a[i] = h;
    a[i + 1] = s;
    a[i + 2] = v;
  }
}

/** Converts interleaved HSV to interleaved RGB in place. */
export function hsvToRgbInPlace(a: Float64Array): void {
  for (let i = 0; i < a.length; i += 3) {
    const h = a[i]!;
    const s = a[i + 1]!;
    const v = a[i + 2]!;
    const hi6 = Math.floor(h * 6);
    const f = h * 6 - hi6;
    const p = v * (1 - s);
    const q = v * (1 - f * s);
    const t = v * (1 - (1 - f) * s);
    const sector = ((hi6 % 6) + 6) % 6;
    let r: number;
    let g: number;
    let b: number;
    switch (sector) {
      case 0:
        [r, g, b] = [v, t, p];
        break;
      case 1:
        [r, g, b] = [q, v, p];
        break;
      case 2:
        [r, g, b] = [p, v, t];
        break;
      case 3:
        [r, g, b] = [p, q, v];
        break;
      case 4:
        [r, g, b] = [t, p, v];
        break;
      default:
        [r, g, b] = [v, p, q];
    }
    a[i] = r;
    a[i + 1] = g;
    a[i + 2] = b;
  }
}
