/**
 * The per-severity parameter tables of the 19 corruptions of Hendrycks & Dietterich ("Benchmarking
 * Neural Network Robustness to Common Corruptions and Perturbations", ICLR 2019), exactly as in the
 * reference implementation, the `imagecorruptions` package (bethgelab/imagecorruptions 1.1.x,
 * `imagecorruptions/corruptions.py`: the numba version whose motion blur is the dependency-free
 * shift-and-add kernel). Each table is indexed by severity − 1. Names and tuple orders follow the
 * reference so a table can be checked against it line by line.
 */

/** Gaussian noise: standard deviation of the additive noise on [0, 1] intensities. */
export const GAUSSIAN_NOISE = [0.08, 0.12, 0.18, 0.26, 0.38] as const;

/** Shot noise: photons per unit intensity (Poisson(x·c)/c); smaller is noisier. */
export const SHOT_NOISE = [60, 25, 12, 5, 3] as const;

/** Impulse (salt-and-pepper) noise: fraction of values replaced, half by 0 and half by 1. */
export const IMPULSE_NOISE = [0.03, 0.06, 0.09, 0.17, 0.27] as const;

/** Speckle noise: standard deviation of the multiplicative noise (x + x·N(0, c²)). */
export const SPECKLE_NOISE = [0.15, 0.2, 0.35, 0.45, 0.6] as const;

/** Gaussian blur: sigma in pixels. */
export const GAUSSIAN_BLUR = [1, 2, 3, 4, 6] as const;

/** Glass blur: [sigma, max_delta, iterations]. */
export const GLASS_BLUR = [
  [0.7, 1, 2],
  [0.9, 2, 1],
  [1, 2, 3],
  [1.1, 3, 2],
  [1.5, 4, 2],
] as const;

/** Defocus blur: [disk radius, alias_blur sigma]. */
export const DEFOCUS_BLUR = [
  [3, 0.1],
  [4, 0.5],
  [6, 0.5],
  [8, 0.5],
  [10, 0.5],
] as const;

/** Motion blur: [radius, sigma] of the one-sided Gaussian kernel of width 2·radius + 1. */
export const MOTION_BLUR = [
  [10, 3],
  [15, 5],
  [15, 8],
  [15, 12],
  [20, 15],
] as const;

/**
 * Zoom blur: the zoom factors, numpy's `np.arange(1, stop, step)` — [start, stop, step] and the
 * length numpy gives (12, 16, 11, 13, 11: float rounding makes the first include 1.11).
 */
export const ZOOM_BLUR = [
  { stop: 1.11, step: 0.01, count: 12 },
  { stop: 1.16, step: 0.01, count: 16 },
  { stop: 1.21, step: 0.02, count: 11 },
  { stop: 1.26, step: 0.02, count: 13 },
  { stop: 1.31, step: 0.03, count: 11 },
] as const;

/**
 * Snow: [loc, scale, zoom, threshold, motion radius, motion sigma, image weight] — the snow layer is
 * N(loc, scale²), zoomed, thresholded, motion-blurred; the image is blended with its brightened grey.
 */
export const SNOW = [
  [0.1, 0.3, 3, 0.5, 10, 4, 0.8],
  [0.2, 0.3, 2, 0.5, 12, 4, 0.7],
  [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
  [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65],
  [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
] as const;

/** Frost: [image weight, frost weight]. */
export const FROST = [
  [1, 0.4],
  [0.8, 0.6],
  [0.7, 0.7],
  [0.65, 0.7],
  [0.6, 0.75],
] as const;

/** Fog: [fog strength, plasma-fractal wibble decay]. */
export const FOG = [
  [1.5, 2],
  [2, 2],
  [2.5, 1.7],
  [2.5, 1.5],
  [3, 1.4],
] as const;

/**
 * Spatter: [loc, scale, sigma, threshold, intensity, mud] — the liquid layer is N(loc, scale²)
 * smoothed with a Gaussian of `sigma` and thresholded; mud = 0 is water (severities 1–3), 1 is mud.
 */
export const SPATTER = [
  [0.65, 0.3, 4, 0.69, 0.6, 0],
  [0.65, 0.3, 3, 0.68, 0.6, 0],
  [0.65, 0.3, 2, 0.68, 0.5, 0],
  [0.65, 0.3, 1, 0.65, 1.5, 1],
  [0.67, 0.4, 1, 0.65, 1.5, 1],
] as const;

/** Contrast: factor applied to the deviation from each channel's mean. */
export const CONTRAST = [0.4, 0.3, 0.2, 0.1, 0.05] as const;

/** Brightness: added to the HSV value channel. */
export const BRIGHTNESS = [0.1, 0.2, 0.3, 0.4, 0.5] as const;

/** Saturate: [multiplier, offset] of the HSV saturation channel (severities 1–2 desaturate). */
export const SATURATE = [
  [0.3, 0],
  [0.1, 0],
  [2, 0],
  [5, 0.1],
  [20, 0.2],
] as const;

/** JPEG compression: quality (PIL scale, 4:2:0 chroma subsampling). */
export const JPEG_COMPRESSION = [25, 18, 15, 10, 7] as const;

/** Pixelate: scale of the box-filtered downsample, then nearest-neighbour back up. */
export const PIXELATE = [0.6, 0.5, 0.4, 0.3, 0.25] as const;

/**
 * Elastic transform: alpha (displacement gain). The displacement field is uniform in
 * ±0.005·height, smoothed with a Gaussian of sigma 0.01·(height, width) (reflect, truncate 3).
 */
export const ELASTIC_TRANSFORM = [250 * 0.05, 250 * 0.065, 250 * 0.085, 250 * 0.1, 250 * 0.12] as const;
