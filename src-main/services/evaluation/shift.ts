/**
 * The domain-shift check (docs/design.md "Domain shift"): the statistics of a run's training images and of a
 * test set's images, both preprocessed at the run's input size and measured inside the fundus
 * (services/datasets/input-stats.ts), compared per channel by the standardised mean difference and the
 * Jensen–Shannon divergence of the histograms, and by an equalisation indicator (the luminance histogram's
 * distance to uniform). A shift beyond the thresholds (src-shared/shift.ts SHIFT_THRESHOLDS) gives a
 * plain-language warning, which evaluate, explain, the app and the report show.
 */
import { AppError } from '../../../src-shared/errors';
import { SHIFT_CHANNELS, SHIFT_THRESHOLDS, type ChannelShift, type DomainShift, type InputSetSummary } from '../../../src-shared/shift';
import type { DatasetItem } from '../../../src-shared/datasets';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { datasetAtInputSize } from '../datasets/at-input-size';
import { datasetInputStats, STATS_BINS, type ImageStats } from '../datasets/input-stats';
import { readDatasetManifest, type LoadedManifest } from '../datasets/manifest-file';
import { readRunSplit } from '../runs/identity';
import { readRunInfo, type RunInfo } from '../runs/run-model';
import { defaultSplit, inSplit } from './files';

/**
 * Flatness distance of a histogram: the Wasserstein-1 distance between its distribution over [0, 1] (bin k holding
 * values up to (k + 1)/B) and the uniform one, (1/B) Σₖ |Fₖ − (k + 1)/B| with Fₖ the cumulative share up to bin k.
 * 0 for a flat histogram (what equalisation aims at); an image concentrated in a narrow band scores up to ~0.5.
 */
export function flatness(hist: readonly number[]): number {
  const B = hist.length;
  const n = hist.reduce((a, b) => a + b, 0);
  if (n === 0) return Number.NaN;
  let F = 0;
  let d = 0;
  for (let k = 0; k < B; k++) {
    F += hist[k]! / n;
    d += Math.abs(F - (k + 1) / B);
  }
  return d / B;
}

/** Jensen–Shannon divergence (base 2, in [0, 1]) of two histograms (counts; normalised here). */
export function jsDivergence(a: readonly number[], b: readonly number[]): number {
  const na = a.reduce((s, v) => s + v, 0);
  const nb = b.reduce((s, v) => s + v, 0);
  let d = 0;
  for (let k = 0; k < a.length; k++) {
    const p = a[k]! / na;
    const q = b[k]! / nb;
    const m = (p + q) / 2;
    if (p > 0) d += 0.5 * p * Math.log2(p / m);
    if (q > 0) d += 0.5 * q * Math.log2(q / m);
  }
  return Math.max(0, Math.min(1, d));
}

function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A set's summary (pixel values scaled to [0, 1]) and its pooled per-channel histograms. */
export function summariseSet(datasetId: string, stats: readonly ImageStats[]): InputSetSummary & { hist: number[][] } {
  if (stats.length === 0) throw new AppError('BAD_REQUEST', `No preprocessed images of dataset "${datasetId}" to compare.`);
  const pixels = stats.reduce((a, s) => a + s.pixels, 0);
  const mean = [0, 1, 2].map((c) => stats.reduce((a, s) => a + s.sum[c]!, 0) / pixels);
  const std = [0, 1, 2].map((c) => Math.sqrt(Math.max(0, stats.reduce((a, s) => a + s.sumSq[c]!, 0) / pixels - mean[c]! ** 2)));
  const hist = [0, 1, 2].map((c) => {
    const h = new Array<number>(STATS_BINS).fill(0);
    for (const s of stats) for (let k = 0; k < STATS_BINS; k++) h[k]! += s.hist[c]![k]!;
    return h;
  });
  const each = stats.map((s) => flatness(s.luma));
  const flat = median(each);
  return {
    datasetId,
    images: stats.length,
    mean: mean.map((m) => m / 255) as [number, number, number],
    std: std.map((v) => v / 255) as [number, number, number],
    flatness: flat,
    equalised: flat < SHIFT_THRESHOLDS.equalised,
    equalisedShare: each.filter((f) => f < SHIFT_THRESHOLDS.equalised).length / stats.length,
    hist,
  };
}

const f2 = (x: number) => x.toFixed(2);

/** The comparison of a run's training images with a test set, and the warning when they differ. */
export function compareInputSets(
  runId: string,
  inputSize: number,
  training: InputSetSummary & { hist: number[][] },
  test: InputSetSummary & { hist: number[][] },
): Extract<DomainShift, { checked: true }> {
  const channels: ChannelShift[] = SHIFT_CHANNELS.map((channel, c) => {
    const pooled = Math.sqrt((training.std[c]! ** 2 + test.std[c]! ** 2) / 2);
    const diff = test.mean[c]! - training.mean[c]!;
    const smd = pooled > 0 ? diff / pooled : diff === 0 ? 0 : Math.sign(diff) * Number.MAX_VALUE;
    const jsd = jsDivergence(training.hist[c]!, test.hist[c]!);
    return { channel, smd, jsd, shifted: Math.abs(smd) >= SHIFT_THRESHOLDS.smd || jsd >= SHIFT_THRESHOLDS.jsd };
  });
  const equalisationDiffers = training.equalised !== test.equalised;
  const shifted = equalisationDiffers || channels.some((c) => c.shifted);
  const strip = ({ hist: _h, ...s }: InputSetSummary & { hist: number[][] }): InputSetSummary => s;
  const result = {
    checked: true as const,
    runId,
    inputSize,
    training: strip(training),
    test: strip(test),
    channels,
    thresholds: { ...SHIFT_THRESHOLDS },
    equalisationDiffers,
    shifted,
    warning: null as string | null,
  };
  result.warning = shifted ? shiftWarning(result) : null;
  return result;
}

/**
 * `Test set idrid differs from run X's training set eyepacs: the training images look histogram-equalised, the
 * test images do not; mean red inside the fundus 0.59 vs 0.67 (SMD 0.41, JS divergence 0.21), … The model's
 * outputs on this set may not be meaningful.`
 */
export function shiftWarning(s: Omit<Extract<DomainShift, { checked: true }>, 'warning'>): string {
  const parts: string[] = [];
  if (s.equalisationDiffers)
    parts.push(
      s.training.equalised
        ? 'the training images look histogram-equalised, the test images do not'
        : 'the test images look histogram-equalised, the training images do not',
    );
  // The shifted channels; when only the equalisation differs, the channel that differs most.
  let shown = s.channels.filter((c) => c.shifted);
  if (shown.length === 0) shown = [[...s.channels].sort((a, b) => b.jsd - a.jsd)[0]!];
  const c = (ch: ChannelShift) => SHIFT_CHANNELS.indexOf(ch.channel);
  parts.push(
    shown
      .map(
        (ch, i) =>
          `${i === 0 ? 'mean ' : ''}${ch.channel}${i === 0 ? ' inside the fundus' : ''} ${f2(s.training.mean[c(ch)]!)} vs ${f2(s.test.mean[c(ch)]!)} ` +
          `(SMD ${f2(ch.smd)}, JS divergence ${f2(ch.jsd)})`,
      )
      .join(', '),
  );
  return (
    `Test set ${s.test.datasetId} differs from run ${s.runId}'s training set ${s.training.datasetId}: ${parts.join('; ')}. ` +
    `The model's outputs on this set may not be meaningful.`
  );
}

/** The run's training images: runs/<id>/split.json `train`, else (a run from before it) its dataset's training pool. */
async function trainingItems(info: RunInfo, manifest: LoadedManifest['manifest']): Promise<DatasetItem[]> {
  const split = await readRunSplit(info.files.split);
  if (split && split.datasetId === manifest.id) {
    const ids = new Set(split.train);
    return manifest.items.filter((it) => ids.has(it.id));
  }
  return manifest.items.filter((it) => it.split !== 'test' && it.grade !== null);
}

/**
 * The check of run `runId` against `testItems` of the test dataset `test` (at the run's input size already, or
 * preprocessed at it here). Never throws for a check that cannot be made (training dataset gone, a source
 * image missing for preprocessing at another size): it says why instead. Cancellation still stops it.
 */
export async function checkDomainShift(
  study: string,
  runId: string,
  test: LoadedManifest,
  testItems: readonly DatasetItem[],
  ctx: JobContext,
): Promise<DomainShift> {
  try {
    const info = await readRunInfo(study, runId, 'runId');
    const size = info.spec.inputSize;
    const trainingId = info.spec.datasetId;
    if (!trainingId) return { checked: false, reason: `run ${runId} names no training dataset` };
    ctx.log(`Checking for a domain shift between run ${runId}'s training set ${trainingId} and ${test.manifest.id}`);
    let train = await readDatasetManifest(study, trainingId, 'runId');
    const trainItems = await trainingItems(info, train.manifest);
    const wanted = new Set(trainItems.map((it) => it.id));
    train = (await datasetAtInputSize(train, size, { select: (it) => wanted.has(it.id) }, ctx)).loaded;
    const trainAt = train.manifest.items.filter((it) => wanted.has(it.id));
    const testIds = new Set(testItems.map((it) => it.id));
    const testAt = (await datasetAtInputSize(test, size, { select: (it) => testIds.has(it.id) }, ctx)).loaded;
    const a = summariseSet(trainingId, await datasetInputStats(study, train, trainAt, ctx));
    throwIfCancelled(ctx);
    const b = summariseSet(
      test.manifest.id,
      await datasetInputStats(
        study,
        testAt,
        testAt.manifest.items.filter((it) => testIds.has(it.id)),
        ctx,
      ),
    );
    throwIfCancelled(ctx);
    const result = compareInputSets(runId, size, a, b);
    ctx.log(result.warning ? `Warning: ${result.warning}` : `No domain shift between ${trainingId} (training) and ${test.manifest.id}.`);
    return result;
  } catch (error) {
    if (error instanceof AppError && error.code !== 'CANCELLED' && error.code !== 'INTERNAL') {
      ctx.log(`Domain-shift check not made: ${error.message}`);
      return { checked: false, reason: error.message };
    }
    throw error;
  }
}

/** The check for run `runId` on dataset `datasetId`'s default evaluation split (what `explain` prints). */
export async function checkDomainShiftOnDataset(study: string, runId: string, datasetId: string, ctx: JobContext): Promise<DomainShift> {
  let loaded: LoadedManifest;
  try {
    loaded = await readDatasetManifest(study, datasetId);
  } catch (error) {
    if (error instanceof AppError) return { checked: false, reason: error.message };
    throw error;
  }
  const split = defaultSplit(loaded.manifest);
  return checkDomainShift(
    study,
    runId,
    loaded,
    loaded.manifest.items.filter((it) => inSplit(it, split) && it.cache),
    ctx,
  );
}
