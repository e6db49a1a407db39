/**
 * Per-image prediction with a ResNet: decode (sharp), preprocess, forward in eval mode, softmax,
 * P(referable) = sum of the softmax probabilities of the referable grades (docs/design.md "Referable DR"; default {3, 4}).
 *
 * Preprocessing (default): resize so the shorter side is `size` (224), then centre-crop to
 * size × size (sharp `fit: 'cover'`, Lanczos-3), scale to [0, 1], normalise per channel with
 * mean/std (ImageNet's by default). No 256-then-crop margin: fundus images are already framed on
 * the retina, and cutting 12% off each side would drop the periphery. `raw`: the image must already
 * be size × size; it is only scaled and normalised (no resize, no crop).
 */
import tf from '@tensorflow/tfjs';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import sharp from 'sharp';
import { AppError } from '../../src-shared/errors';
import type { ResNet } from './models/resnet';

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
export const DEFAULT_INPUT_SIZE = 224;
export const DEFAULT_REFERABLE: readonly number[] = [3, 4];

export interface PreprocessOptions {
  size?: number;
  raw?: boolean;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

/** Decodes and preprocesses one image into a normalised [size, size, 3] float32 tensor. */
export async function loadImageTensor(file: string, opts: PreprocessOptions = {}): Promise<Tensor3D> {
  const size = opts.size ?? DEFAULT_INPUT_SIZE;
  let pipeline;
  try {
    pipeline = sharp(file, { failOn: 'error' });
    const meta = await pipeline.metadata();
    if (opts.raw && (meta.width !== size || meta.height !== size)) {
      throw new AppError(
        'BAD_REQUEST',
        `${file} is ${meta.width}×${meta.height}; --raw needs images of exactly ${size}×${size} (no resizing is done)`,
      );
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('BAD_REQUEST', `Cannot read image ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!opts.raw) pipeline = pipeline.resize({ width: size, height: size, fit: 'cover', position: 'centre', kernel: 'lanczos3' });
  const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new AppError('INTERNAL', `Preprocessing ${file} produced ${info.width}×${info.height}×${info.channels}`);
  }
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  return tf.tidy(() => {
    const pixels = tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), [size, size, 3], 'int32');
    return tf.div(tf.sub(tf.div(tf.cast(pixels, 'float32'), 255), tf.tensor1d([...mean])), tf.tensor1d([...std])) as Tensor3D;
  });
}

export interface Prediction {
  image: string;
  logits: number[];
  probabilities: number[];
  /** Sum of the softmax probabilities of the referable grades. */
  pReferable: number;
  /** Grade with the highest probability (for display; AUCs use pReferable). */
  argmax: number;
}

/** P(referable) from one row of logits (softmax computed stably). */
export function referableProbability(
  logits: readonly number[],
  referable: readonly number[],
): { probabilities: number[]; pReferable: number } {
  for (const g of referable) {
    if (!Number.isInteger(g) || g < 0 || g >= logits.length)
      throw new AppError('BAD_REQUEST', `Referable grade ${g} is not one of the model's outputs 0..${logits.length - 1}`);
  }
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const probabilities = exps.map((e) => e / sum);
  return { probabilities, pReferable: [...new Set(referable)].reduce((a, g) => a + probabilities[g]!, 0) };
}

export async function predictImages(
  model: ResNet,
  images: string[],
  opts: PreprocessOptions & { referable?: readonly number[]; batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<Prediction[]> {
  const referable = opts.referable ?? DEFAULT_REFERABLE;
  const batchSize = opts.batchSize ?? 8;
  const out: Prediction[] = [];
  for (let i = 0; i < images.length; i += batchSize) {
    const files = images.slice(i, i + batchSize);
    const settled = await Promise.allSettled(files.map((f) => loadImageTensor(f, opts)));
    const tensors = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      tf.dispose(tensors);
      throw failed.reason;
    }
    const logits = tf.tidy(() => model.forward(tf.stack(tensors) as Tensor4D));
    tf.dispose(tensors);
    const rows = (await logits.array()) as number[][];
    logits.dispose();
    rows.forEach((row, j) => {
      const { probabilities, pReferable } = referableProbability(row, referable);
      out.push({ image: files[j]!, logits: row, probabilities, pReferable, argmax: probabilities.indexOf(Math.max(...probabilities)) });
    });
    opts.onProgress?.(Math.min(i + batchSize, images.length), images.length);
  }
  return out;
}
