/**
 * Colour arithmetic for the figures and overlays: mixing two colours, WCAG relative luminance and
 * contrast, CIELAB colour difference (ΔE, CIE 1976), and how a colour looks to viewers with a
 * red-, green- or blue-blind colour vision (Machado, Oliveira and Fernandes 2009, full severity).
 * The app uses them to shade Fig 4's severities the same way in both themes; the tests use them to
 * check that the lesion masks stay distinguishable from the relevance heatmap's colours. Pure, node-free.
 */

export type Rgb = readonly [number, number, number];

/** `#rrggbb` → [r, g, b] in 0…255. */
export function parseHex(colour: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (!m) throw new Error(`not a #rrggbb colour: ${colour}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** [r, g, b] in 0…255 (rounded, clamped) → `#rrggbb`. */
export function toHex(rgb: Rgb): string {
  return `#${rgb
    .map((v) =>
      Math.round(Math.min(255, Math.max(0, v)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** `a` mixed with `b`: weight 0 is `a`, 1 is `b` (plain sRGB mixing, as a translucent fill of `a` over `b` with opacity 1 − weight). */
export function mixHex(a: string, b: string, weight: number): string {
  const [x, y] = [parseHex(a), parseHex(b)];
  return toHex([0, 1, 2].map((i) => x[i]! * (1 - weight) + y[i]! * weight) as unknown as Rgb);
}

const toLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const fromLinear = (c: number) => 255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.max(0, c) ** (1 / 2.4) - 0.055);

/** WCAG 2 relative luminance, 0 (black) … 1 (white). */
export function relativeLuminance(colour: string): number {
  const [r, g, b] = parseHex(colour).map(toLinear) as unknown as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours, 1 … 21. */
export function contrastRatio(a: string, b: string): number {
  const [la, lb] = [relativeLuminance(a), relativeLuminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** sRGB → CIELAB (D65). */
export function toLab(colour: string): Rgb {
  const [r, g, b] = parseHex(colour).map(toLinear) as unknown as Rgb;
  const xyz = [
    (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047,
    0.2126729 * r + 0.7151522 * g + 0.072175 * b,
    (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883,
  ];
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 / 116) * t + 16 / 116);
  const [fx, fy, fz] = xyz.map(f) as unknown as Rgb;
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Colour difference ΔE (CIE 1976: Euclidean distance in CIELAB); about 2.3 is just noticeable, above 20 clearly different hues. */
export function deltaE(a: string, b: string): number {
  const [x, y] = [toLab(a), toLab(b)];
  return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
}

export type ColourVision = 'normal' | 'protan' | 'deutan' | 'tritan';
export const COLOUR_VISIONS: readonly ColourVision[] = ['normal', 'protan', 'deutan', 'tritan'];

/** Machado et al. 2009 simulation matrices (severity 1.0), applied to linear RGB. */
const CVD: Record<Exclude<ColourVision, 'normal'>, readonly (readonly number[])[]> = {
  protan: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deutan: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritan: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

/** How `colour` looks with the given colour vision (normal: unchanged). */
export function simulateVision(colour: string, vision: ColourVision): string {
  if (vision === 'normal') return colour.toLowerCase();
  const lin = parseHex(colour).map(toLinear);
  const m = CVD[vision];
  return toHex(
    m.map((row) => fromLinear(Math.min(1, Math.max(0, row[0]! * lin[0]! + row[1]! * lin[1]! + row[2]! * lin[2]!)))) as unknown as Rgb,
  );
}

/** The smallest ΔE between `a` and `b` over the normal and the three dichromatic colour visions. */
export function minDeltaEAcrossVision(a: string, b: string): number {
  return Math.min(...COLOUR_VISIONS.map((v) => deltaE(simulateVision(a, v), simulateVision(b, v))));
}
