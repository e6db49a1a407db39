/**
 * The 19 image corruptions of Hendrycks & Dietterich (ICLR 2019) at severities 1–5, with the
 * parameter tables and formulas of the reference implementation, the `imagecorruptions` package
 * (bethgelab/imagecorruptions, `corruptions.py`) — what the paper's robustness analysis (Fig 4)
 * applies to every test image.
 *
 * Input and output: 8-bit RGB (HWC), any size from 32 to 2048 px per side, square or not; the
 * output has the input's size. Every corruption is a pure function of (image, name, severity,
 * seed): all randomness comes from `new Rng(seed)` (src-main/random/prng.ts) in a documented order,
 * so the same arguments always give the same bytes. Stochastic corruptions cannot reproduce the
 * reference's numpy stream; test/golden/corruptions checks them against the reference formulas fed
 * the same random numbers and, statistically, against the reference with its own generator.
 *
 * Differences from the reference, all deliberate: frost uses procedural textures instead of the
 * package's photographs (frost-texture.ts); shot and impulse noise draw from the same distributions
 * with one uniform per value; a water spatter without any liquid leaves the image unchanged instead
 * of turning it black (0/0 in the reference).
 */
import { AppError } from '../../../src-shared/errors';
import { Rng } from '../../random/prng';
import { defocusBlur, gaussianBlur, glassBlur, motionBlur, zoomBlur } from './blur';
import { brightness, contrast, elasticTransform, jpegCompression, pixelate, saturate } from './digital';
import { assertRgbImage, type RgbImage } from './image';
import { gaussianNoise, impulseNoise, shotNoise, speckleNoise } from './noise';
import { SEVERITIES, type Severity } from './severity';
import { fog, frost, snow, spatter } from './weather';

export type { RgbImage } from './image';
export { MAX_SIDE, MIN_SIDE } from './image';
export { SEVERITIES, type Severity } from './severity';

/**
 * The reference's order (`corruption_tuple`): the 15 benchmark corruptions, then the 4 held-out ones (one list, in
 * src-shared/robustness.ts).
 */
export { CORRUPTION_NAMES, type CorruptionName } from '../../../src-shared/robustness';
import { CORRUPTION_NAMES, type CorruptionName } from '../../../src-shared/robustness';

export type CorruptionFamily = 'noise' | 'blur' | 'weather' | 'digital' | 'held-out';

export interface CorruptionEntry {
  name: CorruptionName;
  /** The reference's grouping (`get_corruption_names`): held-out = its four validation corruptions. */
  family: CorruptionFamily;
  /** Whether the output depends on the seed. */
  stochastic: boolean;
  apply: (image: RgbImage, severity: Severity, rng: Rng) => RgbImage | Promise<RgbImage>;
}

const entry = (name: CorruptionName, family: CorruptionFamily, stochastic: boolean, apply: CorruptionEntry['apply']): CorruptionEntry => ({
  name,
  family,
  stochastic,
  apply,
});

/** name → corruption. */
export const CORRUPTIONS: Readonly<Record<CorruptionName, CorruptionEntry>> = {
  gaussian_noise: entry('gaussian_noise', 'noise', true, gaussianNoise),
  shot_noise: entry('shot_noise', 'noise', true, shotNoise),
  impulse_noise: entry('impulse_noise', 'noise', true, impulseNoise),
  defocus_blur: entry('defocus_blur', 'blur', false, (im, s) => defocusBlur(im, s)),
  glass_blur: entry('glass_blur', 'blur', true, glassBlur),
  motion_blur: entry('motion_blur', 'blur', true, motionBlur),
  zoom_blur: entry('zoom_blur', 'blur', false, (im, s) => zoomBlur(im, s)),
  snow: entry('snow', 'weather', true, snow),
  frost: entry('frost', 'weather', true, (im, s, rng) => frost(im, s, rng)),
  fog: entry('fog', 'weather', true, fog),
  brightness: entry('brightness', 'digital', false, (im, s) => brightness(im, s)),
  contrast: entry('contrast', 'digital', false, (im, s) => contrast(im, s)),
  elastic_transform: entry('elastic_transform', 'digital', true, elasticTransform),
  pixelate: entry('pixelate', 'digital', false, (im, s) => pixelate(im, s)),
  jpeg_compression: entry('jpeg_compression', 'digital', false, (im, s) => jpegCompression(im, s)),
  speckle_noise: entry('speckle_noise', 'held-out', true, speckleNoise),
  gaussian_blur: entry('gaussian_blur', 'held-out', false, (im, s) => gaussianBlur(im, s)),
  spatter: entry('spatter', 'held-out', true, spatter),
  saturate: entry('saturate', 'held-out', false, (im, s) => saturate(im, s)),
};

export function isCorruptionName(name: unknown): name is CorruptionName {
  return typeof name === 'string' && (CORRUPTION_NAMES as readonly string[]).includes(name);
}

function badField(path: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  throw new AppError('BAD_REQUEST', `${path}: expected ${expected}, got ${shown}`, [{ path, message: `expected ${expected}` }]);
}

/** Checks the arguments of `corrupt`, throwing BAD_REQUEST naming the bad field. */
export function validateCorruptArgs(
  image: unknown,
  name: unknown,
  severity: unknown,
  seed: unknown,
): { name: CorruptionName; severity: Severity; seed: number } {
  assertRgbImage(image, 'image');
  if (!isCorruptionName(name)) badField('name', `one of ${CORRUPTION_NAMES.join(', ')}`, name);
  if (typeof severity !== 'number' || !(SEVERITIES as readonly number[]).includes(severity))
    badField('severity', 'an integer from 1 to 5', severity);
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    badField('seed', 'an integer in [0, 2^32 − 1]', seed);
  return { name, severity: severity as Severity, seed };
}

/**
 * Corrupts `image` with corruption `name` at `severity` (1–5), deterministically from `seed`
 * (a 32-bit unsigned integer). Returns a new image of the same size; the input is not modified.
 */
export async function corrupt(image: RgbImage, name: CorruptionName, severity: Severity, seed: number): Promise<RgbImage> {
  const args = validateCorruptArgs(image, name, severity, seed);
  return CORRUPTIONS[args.name].apply(image, args.severity, new Rng(args.seed));
}
