/**
 * Which analysis result the report and the app's pages use when several exist for one run and
 * dataset (spectra, explanations) or one dataset and set of runs (robustness): the most recent one
 * with the default settings, else the most recent one (`pickResults`, result-settings.ts). And how a
 * result's settings read, from what the result itself records (so results written before results were
 * named by their settings read the same way). Node-free.
 */
import type { ExplanationResult } from './explanations';
import type { RobustnessResult } from './robustness';
import { describeSettings, pickResults, settingsLabel } from './result-settings';
import type { SpectraResult } from './spectra';

export function pickSpectra(results: readonly SpectraResult[]): SpectraResult[] {
  return pickResults(
    results,
    (r) => `${r.run.runId}\n${r.dataset.datasetId}`,
    (r) => r.created,
  );
}

export function pickExplanations(results: readonly ExplanationResult[]): ExplanationResult[] {
  return pickResults(
    results,
    (r) => `${r.run.runId}\n${r.dataset.datasetId}`,
    (r) => r.createdAt,
  );
}

export function pickRobustness(results: readonly RobustnessResult[]): RobustnessResult[] {
  return pickResults(
    results,
    (r) =>
      `${r.datasetId}\n${r.models
        .map((m) => m.runId)
        .sort()
        .join('\n')}`,
    (r) => r.createdAt,
  );
}

/** The settings a spectra result records (N images analysed, split, seed, k, percentiles, bins). */
export function spectraSettings(r: SpectraResult): string {
  return settingsLabel(
    r,
    describeSettings({
      n: r.n,
      split: r.dataset.split,
      seed: r.dataset.seed,
      k: r.k,
      percentiles: `P${r.percentiles.high}/P${r.percentiles.low}`,
      bins: r.bins,
      gramPrecision: r.gramPrecision,
    }),
  );
}

/** The settings an explanation result records (its whole request but the run, dataset and batch size). */
export function explanationSettings(r: ExplanationResult): string {
  const { runId: _r, datasetId: _d, batchSize: _b, images, ...rest } = r.request;
  return settingsLabel(r, describeSettings({ images: Array.isArray(images) ? `${images.length} by id` : (images ?? 'all'), ...rest }));
}

/** The settings a robustness result records (not the gallery image: reports pseudonymise it). */
export function robustnessSettings(r: RobustnessResult): string {
  return settingsLabel(
    r,
    describeSettings({
      split: r.split,
      images: r.images,
      seed: r.seed,
      corruptions: r.corruptions.length === 19 ? 'all 19' : r.corruptions,
      severities: r.severities,
    }),
  );
}
