/**
 * Seeded augmentation of a batch: per-image parameters are sampled (torchvision's get_params
 * logic) from a stream derived from (seed, epoch, dataset index, view), then applied batch-wise by
 * ops.ts. Order: random resized crop (or plain resize to the output size) → horizontal flip →
 * vertical flip → rotation → colour jitter (p) → grayscale (p) → Gaussian blur (p). For MoCo aug+
 * this is torchvision's order except the horizontal flip comes before instead of after the colour
 * operations, which commute with it.
 *
 * Training samples with `sampleAugParams` and applies the parameters with cpu.ts's applyAugParams in
 * worker threads (augment-pool.ts); `applyAugParams`/`augmentBatch` here (tfjs ops) are the reference
 * its tests compare with.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import { FS_TRAIN_AUGMENT, MOCO_AUG_PLUS, VALIDATION_AUGMENT, type AugmentSettings } from '../../../src-shared/training';
import { blurKernelSize, colorJitter, flip, gaussianBlur, grayscale, resizedCrop, rotate, type CropBox, type JitterParams } from './ops';
import { StreamRng } from '../../random/streams';
import { AppError } from '../../../src-shared/errors';

export const PRESETS = { fsTrain: FS_TRAIN_AUGMENT, validation: VALIDATION_AUGMENT, mocoAugPlus: MOCO_AUG_PLUS } as const;
export type PresetName = keyof typeof PRESETS;

export interface ImageAugParams {
  crop: CropBox;
  hflip: boolean;
  vflip: boolean;
  angle: number;
  jitter: JitterParams | null;
  gray: boolean;
  /** Blur sigma in pixels of the output image, or null. */
  blurSigma: number | null;
}

/** Python's round() (half to even), which torchvision's get_params uses. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision RandomResizedCrop.get_params: 10 attempts, then a centre crop within the ratio range. */
export function sampleResizedCrop(
  rng: StreamRng,
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): CropBox {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: rng.int(0, height - h), left: rng.int(0, width - w), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(...ratio)) {
    w = width;
    h = roundHalfEven(w / Math.min(...ratio));
  } else if (inRatio > Math.max(...ratio)) {
    h = height;
    w = roundHalfEven(h * Math.max(...ratio));
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** torchvision ColorJitter.get_params: a random order of the four ops, then each enabled factor. */
export function sampleJitter(rng: StreamRng, cj: NonNullable<AugmentSettings['colorJitter']>): JitterParams {
  const order = rng.permutation(4);
  const factor = (v: number) => (v > 0 ? rng.uniform(Math.max(0, 1 - v), 1 + v) : null);
  const brightness = factor(cj.brightness);
  const contrast = factor(cj.contrast);
  const saturation = factor(cj.saturation);
  const hue = cj.hue > 0 ? rng.uniform(-cj.hue, cj.hue) : null;
  return { order, brightness, contrast, saturation, hue };
}

/** All parameters of one image, in a fixed draw order (so a seed always gives the same result). */
export function sampleAugParams(s: AugmentSettings, rng: StreamRng, height: number, width: number, outSize: number): ImageAugParams {
  const crop = s.randomResizedCrop
    ? sampleResizedCrop(rng, height, width, s.randomResizedCrop.scale, s.randomResizedCrop.ratio)
    : { top: 0, left: 0, height, width };
  const hflip = rng.chance(s.horizontalFlip);
  const vflip = rng.chance(s.verticalFlip);
  const angle = s.rotationDegrees > 0 ? rng.uniform(-s.rotationDegrees, s.rotationDegrees) : 0;
  const jitter = s.colorJitter && rng.chance(s.colorJitter.p) ? sampleJitter(rng, s.colorJitter) : null;
  const gray = rng.chance(s.grayscale);
  const blurSigma =
    s.gaussianBlur && rng.chance(s.gaussianBlur.p) ? (rng.uniform(s.gaussianBlur.sigma[0], s.gaussianBlur.sigma[1]) * outSize) / 224 : null;
  return { crop, hflip, vflip, angle, jitter, gray, blurSigma };
}

/** Applies sampled parameters to a batch; returns [N, outSize, outSize, C]. */
export function applyAugParams(x: Tensor4D, params: readonly ImageAugParams[], outSize: number): Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const needsResize =
      params.some((p) => p.crop.top !== 0 || p.crop.left !== 0 || p.crop.height !== h || p.crop.width !== w) ||
      h !== outSize ||
      w !== outSize;
    let y: Tensor4D = needsResize
      ? resizedCrop(
          x,
          params.map((p) => p.crop),
          outSize,
          outSize,
        )
      : x;
    if (params.some((p) => p.hflip))
      y = flip(
        y,
        params.map((p) => p.hflip),
        'horizontal',
      );
    if (params.some((p) => p.vflip))
      y = flip(
        y,
        params.map((p) => p.vflip),
        'vertical',
      );
    if (params.some((p) => p.angle !== 0))
      y = rotate(
        y,
        params.map((p) => p.angle),
      );
    if (params.some((p) => p.jitter))
      y = colorJitter(
        y,
        params.map((p) => p.jitter),
      );
    if (params.some((p) => p.gray))
      y = grayscale(
        y,
        params.map((p) => p.gray),
      );
    const k = blurKernelSize(outSize);
    if (k > 1 && params.some((p) => p.blurSigma !== null))
      y = gaussianBlur(
        y,
        params.map((p) => p.blurSigma),
        k,
      );
    return y === x ? tf.clone(x) : y;
  });
}

export interface AugmentBatchOptions {
  seed: number;
  epoch: number;
  /** Dataset index of each image in the batch (its augmentation depends on it, not on its position). */
  indices: readonly number[];
  /** View number (MoCo's two crops: 0 and 1). */
  view?: number;
  outSize: number;
}

/** Augments a batch reproducibly: the same (seed, epoch, index, view) always gives the same image. */
export function augmentBatch(x: Tensor4D, settings: AugmentSettings, opts: AugmentBatchOptions): Tensor4D {
  const [n, h, w] = x.shape;
  if (opts.indices.length !== n)
    throw new AppError('BAD_REQUEST', `Error in augmentBatch: ${opts.indices.length} indices for a batch of ${n}`);
  const params = opts.indices.map((i) =>
    sampleAugParams(settings, StreamRng.forImage(opts.seed, opts.epoch, i, opts.view ?? 0), h, w, opts.outSize),
  );
  return applyAugParams(x, params, opts.outSize);
}
