/**
 * Did a MoCo v2 pretraining learn anything? Two answers, stored with the pretraining and shown in
 * the app and the report:
 *
 * - its final InfoNCE loss against chance, ln(1 + K): an encoder whose queries cannot tell the
 *   positive key from the K queued ones sits at exactly that loss;
 * - a k-NN classifier (k = 20, cosine distance, services/evaluation/metrics/knn.ts) on the frozen
 *   encoder's pooled features (the fc input, eval mode), against the same classifier on the encoder
 *   the pretraining started from (the same seed's random initialisation). Leave-one-patient-out over
 *   the labelled pretraining images: each image is classified by its neighbours among the other
 *   patients' images, so a patient's other eye never votes. For a study dataset the label is
 *   referable DR (the spec's referable grades) and the score the AUC of the share of referable
 *   neighbours; for images with class labels (the demo's texture set) the balanced accuracy.
 *
 * A warning is raised when the loss ends within 5 % of chance or the k-NN gain is not positive.
 * The check sees at most MAX_IMAGES images (a seeded sample beyond), so it stays a small part of a
 * pretraining: two eval-mode forward passes over them and n² dot products.
 */
import tf from '@tensorflow/tfjs';
import type { PretrainLearningCheck, KnnScore } from '../../../src-shared/training';
import { normalize } from '../../engine/augment/ops';
import type { ResNet } from '../../engine/models/resnet';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { hashSeeds, StreamRng } from '../../random/streams';
import { knnLeaveOneOut } from '../evaluation/metrics/knn';
import { rocAuc } from '../evaluation/metrics';
import { decodeBatch, ImageSource, toBatches, type TrainingItem } from './data';

export const KNN_K = 20;
export const MAX_IMAGES = 2000;
/** The loss counts as "at chance" from this share of ln(1 + K) up. */
export const CHANCE_LOSS_SHARE = 0.95;

/** An image of the check: its class label and its group (patient; images of one group never vote for each other). */
export interface CheckItem extends TrainingItem {
  label: number;
  group: string;
}

export interface LearningCheckInput {
  pretrained: ResNet;
  /** The encoder the pretraining started from (same architecture and seed, not trained). */
  random: ResNet;
  items: readonly CheckItem[];
  labels: 'referable' | 'classes';
  referable: number[] | null;
  inputSize: number;
  mean: readonly number[];
  std: readonly number[];
  queueSize: number;
  finalLoss: number | null;
  seed: number;
  batchSize?: number;
}

/** Pooled backbone features [n, C] of the items in eval mode (row-major). */
export async function encoderFeatures(
  model: ResNet,
  items: readonly TrainingItem[],
  opts: { inputSize: number; mean: readonly number[]; std: readonly number[]; batchSize?: number },
  ctx: Pick<JobContext, 'signal'>,
): Promise<{ features: Float32Array; dim: number }> {
  const S = opts.inputSize;
  const source = new ImageSource(S, 0);
  const chunks: Float32Array[] = [];
  let dim = 0;
  for (const batch of toBatches(items, opts.batchSize ?? 32, false)) {
    throwIfCancelled(ctx);
    const { pixels } = await decodeBatch(source, batch);
    const f = tf.tidy(() =>
      model.forward(normalize(tf.tensor4d(pixels, [batch.length, S, S, 3]), opts.mean, opts.std), { training: false, features: true }),
    );
    dim = f.shape[1]!;
    chunks.push((await f.data()) as Float32Array);
    f.dispose();
  }
  const features = new Float32Array(items.length * dim);
  let offset = 0;
  for (const c of chunks) {
    features.set(c, offset);
    offset += c.length;
  }
  return { features, dim };
}

/** The k-NN scores of leave-one-group-out predictions. */
export function knnScore(features: Float32Array, dim: number, labels: readonly number[], groups: readonly string[], k: number): KnnScore {
  const { predictions, positiveShare } = knnLeaveOneOut(features, labels, dim, { k, groups });
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const recalls = classes.map((c) => {
    const of = labels.map((y, i) => [y, i] as const).filter(([y]) => y === c);
    return of.filter(([, i]) => predictions[i] === c).length / of.length;
  });
  const binary = classes.length === 2 && classes[0] === 0 && classes[1] === 1;
  return {
    auc: binary ? rocAuc(labels as (0 | 1)[], positiveShare) : null,
    balancedAccuracy: recalls.reduce((a, b) => a + b, 0) / Math.max(1, recalls.length),
    accuracy: predictions.filter((p, i) => p === labels[i]).length / Math.max(1, labels.length),
  };
}

/** A seeded sample of at most `max` items, in their original order. */
export function sampleItems<T>(items: readonly T[], max: number, seed: number): { items: T[]; sampled: boolean } {
  if (items.length <= max) return { items: [...items], sampled: false };
  const keep = new StreamRng(hashSeeds(seed, 0x6b6e6e))
    .permutation(items.length)
    .slice(0, max)
    .sort((a, b) => a - b);
  return { items: keep.map((i) => items[i]!), sampled: true };
}

/** The warnings of a check: a loss within 5 % of chance, a k-NN gain that is not positive, a check that could not run. */
export function learningWarnings(
  c: Pick<PretrainLearningCheck, 'chanceLoss' | 'finalLoss' | 'gain' | 'metric' | 'pretrained' | 'random' | 'images'>,
): string[] {
  const out: string[] = [];
  if (c.finalLoss !== null && c.finalLoss >= CHANCE_LOSS_SHARE * c.chanceLoss) {
    out.push(
      `The MoCo loss ended at ${c.finalLoss.toFixed(3)}, within 5 % of chance (ln(1 + K) = ${c.chanceLoss.toFixed(3)}): the pretraining did not learn to tell images apart.`,
    );
  }
  const name = c.metric === 'auc' ? 'k-NN AUC' : 'k-NN balanced accuracy';
  if (c.gain === null) {
    out.push(
      `The ${name} could not be measured (${c.images} labelled image(s), or a single class among them): the pretraining's features were not checked.`,
    );
  } else if (c.gain <= 0) {
    const score = (s: KnnScore | null) => (c.metric === 'auc' ? s?.auc : s?.balancedAccuracy)?.toFixed(3) ?? '—';
    out.push(
      `The pretrained encoder's ${name} (${score(c.pretrained)}) is not above that of the random encoder it started from (${score(c.random)}): its features separate the classes no better than untrained ones.`,
    );
  }
  return out;
}

/** Runs the check; see the module comment. */
export async function learningCheck(input: LearningCheckInput, ctx: Pick<JobContext, 'log' | 'signal'>): Promise<PretrainLearningCheck> {
  const started = performance.now();
  const chanceLoss = Math.log(1 + input.queueSize);
  const metric = input.labels === 'referable' ? 'auc' : 'balanced-accuracy';
  const { items, sampled } = sampleItems(input.items, MAX_IMAGES, input.seed);
  const labels = items.map((i) => i.label);
  const groups = items.map((i) => i.group);
  const groupCount = new Set(groups).size;
  let pretrained: KnnScore | null = null;
  let random: KnnScore | null = null;
  // Every image needs k neighbours outside its own group.
  const perGroup = new Map<string, number>();
  for (const g of groups) perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
  const largestGroup = Math.max(0, ...perGroup.values());
  if (new Set(labels).size >= 2 && items.length - largestGroup >= KNN_K && groupCount >= 2) {
    ctx.log(`k-NN check: features of ${items.length} images from the pretrained and the random encoder`);
    const opts = { inputSize: input.inputSize, mean: input.mean, std: input.std, batchSize: input.batchSize };
    const a = await encoderFeatures(input.pretrained, items, opts, ctx);
    const b = await encoderFeatures(input.random, items, opts, ctx);
    pretrained = knnScore(a.features, a.dim, labels, groups, KNN_K);
    random = knnScore(b.features, b.dim, labels, groups, KNN_K);
  }
  const value = (s: KnnScore | null) => (s === null ? null : metric === 'auc' ? s.auc : s.balancedAccuracy);
  const [p, r] = [value(pretrained), value(random)];
  const gain = p === null || r === null ? null : p - r;
  const record = {
    k: KNN_K,
    labels: input.labels,
    referable: input.referable,
    images: items.length,
    sampled,
    metric,
    pretrained,
    random,
    gain,
    chanceLoss,
    finalLoss: input.finalLoss,
    lossVsChance: input.finalLoss === null ? null : input.finalLoss / chanceLoss,
  } as const;
  return { ...record, warnings: learningWarnings(record), seconds: (performance.now() - started) / 1000 };
}
