/**
 * Fig 4's severity shading (robustness.viewmodel.ts severityFill) against its caption, "darker = more
 * severe": in both themes, for every strategy colour, each severity's bar is darker (lower WCAG
 * luminance) than the one before; in the light theme the fill is exactly the report's translucent
 * bar over the white card; in the dark theme every bar stays apart from the card (ΔE ≥ 10) and its
 * outline in the strategy colour stays visible on the card.
 */
import { describe, expect, it } from 'vitest';
import { contrastRatio, deltaE, mixHex, relativeLuminance } from '../../../src-shared/colour';
import { STRATEGY_PALETTE, severityOpacity } from '../../../src-shared/figures';
import { severityFill } from '../../../src-renderer/features/robustness/robustness.viewmodel';

const PAPER = { light: '#ffffff', dark: '#151d21' } as const;
const SEVERITIES = [1, 2, 3, 4, 5];

describe('Fig 4 severity shading', () => {
  for (const mode of ['light', 'dark'] as const)
    it(`${mode} theme: darker = more severe, for every strategy colour`, () => {
      for (const [strategy, colour] of Object.entries(STRATEGY_PALETTE[mode])) {
        const fills = SEVERITIES.map((s) => severityFill(colour, severityOpacity(s), mode, PAPER[mode]));
        const luminance = fills.map(relativeLuminance);
        for (let i = 1; i < luminance.length; i++)
          expect(luminance[i]!, `${strategy} severity ${i + 1} (${fills[i]}) vs ${i} (${fills[i - 1]})`).toBeLessThan(luminance[i - 1]!);
      }
    });

  it('light theme: the bar as the report draws it (the colour at the severity opacity over the white card)', () => {
    const colour = STRATEGY_PALETTE.light['IWNE-CL'];
    expect(severityFill(colour, 1, 'light', PAPER.light)).toBe(colour);
    expect(severityFill(colour, severityOpacity(1), 'light', PAPER.light)).toBe(mixHex(colour, '#ffffff', 0.8));
    expect(severityFill('#000000', 0.2, 'light', '#ffffff')).toBe('#cccccc');
  });

  it('dark theme: a light tint at severity 1 to a deep shade at 5, every bar apart from the card, its outline visible', () => {
    for (const colour of Object.values(STRATEGY_PALETTE.dark)) {
      const [first, last] = [
        severityFill(colour, severityOpacity(1), 'dark', PAPER.dark),
        severityFill(colour, severityOpacity(5), 'dark', PAPER.dark),
      ];
      expect(relativeLuminance(first)).toBeGreaterThan(relativeLuminance(colour));
      expect(relativeLuminance(last)).toBeLessThan(relativeLuminance(colour));
      for (const s of SEVERITIES)
        expect(deltaE(severityFill(colour, severityOpacity(s), 'dark', PAPER.dark), PAPER.dark)).toBeGreaterThanOrEqual(10);
      expect(contrastRatio(colour, PAPER.dark)).toBeGreaterThanOrEqual(3);
    }
  });
});
