/**
 * How the four strategies of the paper (IWNE-FS, IWNE-CL, IFI-FS, IFI-CL) look everywhere in the app:
 * one colour per strategy for each theme, and one dash pattern per training method, so every chart
 * (live curves, Fig 2, ROC curves) draws a strategy the same way. IWNE strategies are warm
 * (vermillion, reddish purple), IFI strategies cool (blue, bluish green): the Okabe–Ito colour-blind
 * safe hues, darkened on the light theme and lightened on the dark one to keep ≥ 3:1 contrast against
 * the surface. FS lines are solid, CL lines dashed. Pure data and formatting; no React.
 */
import type { TrainingStrategy } from '../../src-shared/training';
import type { PaletteMode } from '../app/themeMode';
import { STRATEGY_PALETTE } from '../../src-shared/figures';

/** The paper's order (STRATEGY_ORDER) and a strategy's place in it (strategyRank), from src-shared/training.ts. */
export { STRATEGY_ORDER, strategyRank } from '../../src-shared/training';

/** The shared palette (src-shared/figures.ts): the report draws with the light one. */
export const STRATEGY_COLOURS: Readonly<Record<PaletteMode, Readonly<Record<TrainingStrategy, string>>>> = STRATEGY_PALETTE;

/** SVG stroke-dasharray per training method: FS solid, CL dashed. */
export function strategyDash(strategy: TrainingStrategy): string | undefined {
  return strategy.endsWith('-CL') ? '7 4' : undefined;
}

const VARIANT_DASHES = ['2 3', '10 3 2 3', '1 2', '12 4'];

/** Dash of the n-th curve of one strategy in a chart (0: the strategy's own; later ones: distinct patterns). */
export function variantDash(strategy: TrainingStrategy, variant: number): string | undefined {
  return variant === 0 ? strategyDash(strategy) : VARIANT_DASHES[(variant - 1) % VARIANT_DASHES.length];
}

export function strategyColour(strategy: TrainingStrategy, mode: PaletteMode): string {
  return STRATEGY_COLOURS[mode][strategy];
}

/** A label fraction as a percentage: 0.1 → `10 %`, 0.125 → `12.5 %`, 1 → `100 %`. */
export function formatFraction(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))} %`;
}

/** `IWNE-FS · 50 % · seed 0`: one run of the grid in words. */
export function runLabel(run: { strategy: TrainingStrategy; fraction: number; seed: number }): string {
  return `${run.strategy} · ${formatFraction(run.fraction)} · seed ${run.seed}`;
}
