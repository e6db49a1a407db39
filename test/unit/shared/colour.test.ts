/**
 * Colour arithmetic (src-shared/colour.ts) against hand values — sRGB luminance and contrast, CIELAB
 * ΔE, mixing, the colour-vision simulation keeping greys grey and pulling red and green together for
 * red- and green-blind viewers — and the lesion mask palette (LESION_COLOURS): every mask colour far
 * from the relevance heatmap's two extremes (taken from heatmapRgba itself) and from every other mask
 * colour, for normal and for red-, green- and blue-blind colour vision, and lighter than the fundus.
 */
import { describe, expect, it } from 'vitest';
import {
  COLOUR_VISIONS,
  contrastRatio,
  deltaE,
  minDeltaEAcrossVision,
  mixHex,
  parseHex,
  relativeLuminance,
  simulateVision,
  toHex,
  toLab,
} from '../../../src-shared/colour';
import { LESION_COLOURS, UNION_COLOUR } from '../../../src-shared/contract';
import { heatmapRgba } from '../../../src-shared/figures';

/** A mid fundus tone and its darker and brighter parts (sampled from the synthetic and IDRiD demo images' retina). */
const FUNDUS = ['#b4501e', '#8c3214', '#d2823c'];
/** Heatmap extremes: full evidence for (red) and against (blue) the explained output, as heatmapRgba draws them. */
function heatmapExtremes(): { for: string; against: string } {
  const rgba = heatmapRgba([1, -1], { opacity: 1, clip: 1 });
  return { for: toHex([rgba[0]!, rgba[1]!, rgba[2]!]), against: toHex([rgba[4]!, rgba[5]!, rgba[6]!]) };
}

describe('colour arithmetic', () => {
  it('reads and writes #rrggbb, and mixes two colours', () => {
    expect(parseHex('#1D5f7a')).toEqual([29, 95, 122]);
    expect(toHex([29, 95, 122])).toBe('#1d5f7a');
    expect(toHex([-3, 300, 127.6])).toBe('#00ff80');
    expect(() => parseHex('red')).toThrow(/not a #rrggbb colour/);
    expect(mixHex('#ff0000', '#0000ff', 0)).toBe('#ff0000');
    expect(mixHex('#ff0000', '#0000ff', 1)).toBe('#0000ff');
    expect(mixHex('#ffffff', '#000000', 0.5)).toBe('#808080');
  });

  it('WCAG luminance and contrast', () => {
    expect(relativeLuminance('#ffffff')).toBeCloseTo(1, 10);
    expect(relativeLuminance('#000000')).toBe(0);
    expect(relativeLuminance('#808080')).toBeCloseTo(0.2158605, 6);
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 10);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.478, 3);
  });

  it('CIELAB and ΔE (CIE 1976)', () => {
    const white = toLab('#ffffff');
    expect(white[0]).toBeCloseTo(100, 3);
    expect(Math.abs(white[1]) + Math.abs(white[2])).toBeLessThan(0.01);
    const red = toLab('#ff0000');
    expect(red[0]).toBeCloseTo(53.24, 1);
    expect(red[1]).toBeCloseTo(80.09, 1);
    expect(red[2]).toBeCloseTo(67.2, 1);
    expect(deltaE('#000000', '#ffffff')).toBeCloseTo(100, 3);
    expect(deltaE('#1d5f7a', '#1d5f7a')).toBe(0);
  });

  it('colour-vision simulation: greys stay grey; red and green come together for red- and green-blind viewers only', () => {
    for (const v of COLOUR_VISIONS)
      for (const grey of ['#000000', '#808080', '#ffffff']) expect(deltaE(simulateVision(grey, v), grey)).toBeLessThan(1.5);
    const normal = deltaE('#ff0000', '#00ff00');
    for (const v of ['protan', 'deutan'] as const)
      expect(deltaE(simulateVision('#ff0000', v), simulateVision('#00ff00', v))).toBeLessThan(normal / 2);
    expect(deltaE(simulateVision('#ff0000', 'tritan'), simulateVision('#00ff00', 'tritan'))).toBeGreaterThan(normal / 2);
    expect(minDeltaEAcrossVision('#ff0000', '#00ff00')).toBeLessThan(normal / 2);
  });
});

describe('the lesion mask palette', () => {
  const lesions = Object.entries(LESION_COLOURS);

  it('the heatmap extremes are pure red and pure blue', () => {
    expect(heatmapExtremes()).toEqual({ for: '#ff0000', against: '#0000ff' });
  });

  it('every mask colour is far from both heatmap extremes, for every colour vision (ΔE ≥ 30)', () => {
    const heat = heatmapExtremes();
    for (const [lesion, colour] of lesions)
      for (const [side, extreme] of Object.entries(heat))
        expect(minDeltaEAcrossVision(colour, extreme), `${lesion} ${colour} vs the heatmap's ${side} ${extreme}`).toBeGreaterThanOrEqual(
          30,
        );
  });

  it('mask colours differ from each other, for every colour vision (ΔE ≥ 25; ≥ 35 for normal vision)', () => {
    for (let i = 0; i < lesions.length; i++)
      for (let j = i + 1; j < lesions.length; j++) {
        const [[a, ca], [b, cb]] = [lesions[i]!, lesions[j]!];
        expect(minDeltaEAcrossVision(ca, cb), `${a} ${ca} vs ${b} ${cb}`).toBeGreaterThanOrEqual(25);
        expect(deltaE(ca, cb), `${a} ${ca} vs ${b} ${cb}`).toBeGreaterThanOrEqual(35);
      }
  });

  it('the union colour is as far from the heatmap and the fundus, and apart from the three lesions it unites (MA, HE, EX)', () => {
    for (const extreme of Object.values(heatmapExtremes())) expect(minDeltaEAcrossVision(UNION_COLOUR, extreme)).toBeGreaterThanOrEqual(30);
    for (const lesion of ['MA', 'HE', 'EX'] as const) {
      expect(minDeltaEAcrossVision(UNION_COLOUR, LESION_COLOURS[lesion]), lesion).toBeGreaterThanOrEqual(25);
      expect(deltaE(UNION_COLOUR, LESION_COLOURS[lesion]), lesion).toBeGreaterThanOrEqual(35);
    }
    expect(contrastRatio(UNION_COLOUR, FUNDUS[0]!)).toBeGreaterThanOrEqual(2);
    for (const tone of FUNDUS) expect(deltaE(UNION_COLOUR, tone), tone).toBeGreaterThanOrEqual(40);
  });

  it('every mask colour is lighter than the fundus and stands out on it (contrast ≥ 2 on the mid tone, ΔE ≥ 40 on every tone)', () => {
    for (const [lesion, colour] of lesions) {
      expect(relativeLuminance(colour), lesion).toBeGreaterThan(relativeLuminance(FUNDUS[0]!));
      expect(contrastRatio(colour, FUNDUS[0]!), lesion).toBeGreaterThanOrEqual(2);
      for (const tone of FUNDUS) expect(deltaE(colour, tone), `${lesion} on ${tone}`).toBeGreaterThanOrEqual(40);
    }
  });
});
