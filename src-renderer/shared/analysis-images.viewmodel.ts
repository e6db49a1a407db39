/**
 * How many images an analysis (spectra, robustness, explanations) can use on a dataset, and the image
 * counts the study wizard and the Spectra, Robustness and Explanations pages offer (pure, unit-tested
 * in test/unit/renderer/analysis-images.viewmodel.test.ts):
 *
 * - what the chosen dataset holds for the analysis, counted as the analyses choose their images —
 *   spectra: every image of the default split (the test split when the dataset has one, else all);
 *   robustness: the graded images of that split; explanations: every image of the dataset — with the
 *   count as the form shows it ("40 images in test");
 * - a typed count clamped to that number (a larger count would analyse the same images anyway);
 * - the count a form starts from: what the study used last time (its saved plan or the latest result
 *   of that analysis), else the usual default, clamped to what the dataset holds.
 */
import type { DatasetSummary } from '../../src-shared/contract';
import { datasetSize, defaultSplit, imagesInSplit } from '../../src-shared/estimate';

export type ImagesAnalysis = 'spectra' | 'robustness' | 'explain';

/** The usual counts when the study has none (the study plan's defaults; explanations: every image). */
export const USUAL_IMAGES: Record<ImagesAnalysis, number | null> = { spectra: 256, robustness: 200, explain: null };
/** The smallest counts the analyses accept (spectra need 3 images for 2 eigenvalues, robustness 2 for an AUC). */
export const MIN_IMAGES: Record<ImagesAnalysis, number> = { spectra: 3, robustness: 2, explain: 1 };

export interface ImagesAvailable {
  /** Images the analysis can use on the dataset. */
  images: number;
  /** `40 images in test`, `30 graded images in all splits`, `6 images in idrid-demo`. */
  text: string;
}

/** What `analysis` can use on `dataset`; null when the dataset is unknown or cannot be read. */
export function imagesAvailable(
  datasets: readonly DatasetSummary[] | null,
  datasetId: string,
  analysis: ImagesAnalysis,
): ImagesAvailable | null {
  const d = (datasets ?? []).find((x) => x.id === datasetId);
  if (!d || !d.readable) return null;
  const size = datasetSize(d);
  const n = (count: number, what: string) => `${count.toLocaleString('en-US')} ${what}${count === 1 ? '' : 's'}`;
  if (analysis === 'explain') {
    const images = imagesInSplit(size.splits, 'all');
    return { images, text: `${n(images, 'image')} in ${d.id}` };
  }
  const split = defaultSplit(size);
  const where = split === 'test' ? 'test' : 'all splits';
  const images = imagesInSplit(analysis === 'spectra' ? size.splits : size.graded, split);
  return { images, text: `${n(images, analysis === 'spectra' ? 'image' : 'graded image')} in ${where}` };
}

/**
 * A typed count clamped to what the dataset holds: a whole number above `available` becomes `available`;
 * anything else (empty, not a number, below the minimum) is left as typed for the form's own check.
 */
export function clampImagesText(text: string, available: number | null): string {
  const t = text.trim();
  const n = t === '' ? Number.NaN : Number(t);
  if (available === null || !Number.isInteger(n) || n <= available) return text;
  return String(available);
}

/** A count clamped to what the dataset holds (null = every image stays null). */
export function clampImages(count: number | null, available: number | null): number | null {
  if (count === null || available === null) return count;
  return Math.min(count, available);
}

/** One earlier use of an analysis: its dataset, its image count, and when. */
export interface PreviousUse {
  datasetId: string;
  /** null: every image (explanations). */
  images: number | null;
  /** ISO time (results) or '' (the saved plan). */
  at: string;
}

/** The latest of the earlier uses (a result over the plan when both are there), or null. */
export function latestUse(uses: readonly (PreviousUse | null | undefined)[]): PreviousUse | null {
  let best: PreviousUse | null = null;
  for (const u of uses) if (u && (!best || u.at > best.at)) best = u;
  return best;
}

/**
 * The count a form starts from: the study's last use of the analysis, else the usual default (null =
 * every image), clamped to what the chosen dataset holds.
 */
export function defaultImages(analysis: ImagesAnalysis, previous: PreviousUse | null, available: number | null): number | null {
  return clampImages(previous ? previous.images : USUAL_IMAGES[analysis], available);
}

/** The form's text for a count (null = empty: every image). */
export function imagesText(count: number | null): string {
  return count === null ? '' : String(count);
}

/**
 * The count after the analysis's dataset changes from one holding `before` images to one holding `after`: a count that was all the old
 * dataset held (it had been clamped, or the user took everything) starts again from the default on the new one; any other count is kept,
 * clamped to the new dataset.
 */
export function imagesForDataset(
  text: string,
  analysis: ImagesAnalysis,
  before: number | null,
  after: number | null,
  previous: PreviousUse | null,
): string {
  const t = text.trim();
  if (t !== '' && before !== null && Number(t) === before) return imagesText(defaultImages(analysis, previous, after));
  return clampImagesText(text, after);
}

// ---- The run forms of the analysis pages ---------------------------------------------------------------

/** The count the user typed on a page, and the dataset chosen while typing it (null: not typed, the default shows). */
export interface TypedCount {
  datasetId: string | null;
  text: string;
}

/**
 * The count a page's run form shows for the chosen dataset: the default (the study's last use, else the usual count, clamped) until the
 * user types; what they typed for this dataset; refitted when they choose another dataset afterwards.
 */
export function countFieldText(
  typed: TypedCount | null,
  datasetId: string | null,
  analysis: ImagesAnalysis,
  datasets: readonly DatasetSummary[] | null,
  previous: PreviousUse | null,
): string {
  const available = (id: string | null) => (id === null ? null : (imagesAvailable(datasets, id, analysis)?.images ?? null));
  if (!typed) return imagesText(defaultImages(analysis, previous, available(datasetId)));
  if (typed.datasetId === datasetId) return typed.text;
  return imagesForDataset(typed.text, analysis, available(typed.datasetId), available(datasetId), previous);
}

/** The study's saved plan's use of an analysis (what `funduslab study` or Run the whole study ran), or null. */
export function planUse(
  plan: Partial<Record<ImagesAnalysis, { datasetId: string; images?: number } | null>> | null,
  analysis: ImagesAnalysis,
): PreviousUse | null {
  const a = plan?.[analysis];
  return a && a.images !== undefined ? { datasetId: a.datasetId, images: a.images, at: '' } : null;
}

/** The use a spectra result records: its dataset, its N images, when it finished. */
export function spectraUse(r: { dataset: { datasetId: string; imageIds: readonly string[] }; created: string }): PreviousUse {
  return { datasetId: r.dataset.datasetId, images: r.dataset.imageIds.length, at: r.created };
}

/** The use a robustness result records. */
export function robustnessUse(r: { datasetId: string; images: number; createdAt: string }): PreviousUse {
  return { datasetId: r.datasetId, images: r.images, at: r.createdAt };
}

/** The use an explanation result records: its count, or every image (null) when it was asked for none. */
export function explanationUse(r: {
  dataset: { datasetId: string };
  request: { images?: unknown };
  images: readonly unknown[];
  createdAt: string;
}): PreviousUse {
  return { datasetId: r.dataset.datasetId, images: r.request.images === undefined ? null : r.images.length, at: r.createdAt };
}
