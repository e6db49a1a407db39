/**
 * The image type of the corruptions and the conversions every corruption shares with the reference
 * (`imagecorruptions.corrupt`): intensities are scaled to [0, 1] by x / 255 (float64, as numpy
 * does), the corruption runs on floats, and the result is clipped and turned back into bytes with
 * `np.uint8(...)`, which truncates (it does not round).
 */
import { AppError } from '../../../src-shared/errors';

/** 8-bit RGB, interleaved, row-major (HWC): `data.length === width * height * 3`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Smallest and largest side accepted (the reference requires ≥ 32 px; 2048 bounds memory and time). */
export const MIN_SIDE = 32;
export const MAX_SIDE = 2048;

/** Throws BAD_REQUEST naming `field` unless `image` is an RGB image with sides in [MIN_SIDE, MAX_SIDE]. */
export function assertRgbImage(image: unknown, field = 'image'): asserts image is RgbImage {
  const bad = (what: string, expected: string): never => {
    throw new AppError('BAD_REQUEST', `${field}.${what}: expected ${expected}`, [
      { path: `${field}.${what}`, message: `expected ${expected}` },
    ]);
  };
  if (typeof image !== 'object' || image === null) {
    throw new AppError('BAD_REQUEST', `${field}: expected an RGB image { width, height, data }`, [
      { path: field, message: 'expected an RGB image' },
    ]);
  }
  const { width, height, data } = image as Partial<RgbImage>;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < MIN_SIDE || v > MAX_SIDE) {
      bad(name, `an integer number of pixels in [${MIN_SIDE}, ${MAX_SIDE}], got ${String(v)}`);
    }
  }
  if (!(data instanceof Uint8Array)) bad('data', 'a Uint8Array of interleaved RGB bytes');
  const n = (width as number) * (height as number) * 3;
  if ((data as Uint8Array).length !== n) bad('data', `width × height × 3 = ${n} bytes (RGB), got ${(data as Uint8Array).length}`);
}

/** x / 255 as float64 (HWC), like `np.array(x) / 255.`. */
export function toUnit(image: RgbImage): Float64Array {
  const src = image.data;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
  return out;
}

/** x / 255 rounded to float32, like `np.array(x, dtype=np.float32) / 255.`. */
export function toUnitF32(image: RgbImage): Float32Array {
  const src = image.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
  return out;
}

/** `np.uint8(np.clip(v, 0, 1) * 255)`: clip, scale, truncate. */
export function fromUnit(width: number, height: number, values: ArrayLike<number>): RgbImage {
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // NaN compares false everywhere and ends as 0, as np.uint8(nan) does on x86.
    data[i] = v >= 1 ? 255 : v > 0 ? Math.trunc(v * 255) : 0;
  }
  return { width, height, data };
}

/**
 * The same for a float32 result (`np.clip(v, 0, 1) * 255` evaluated in float32): the product is
 * rounded to float32 before truncation, which decides the byte when v is within an ulp of k/255.
 */
export function fromUnitF32(width: number, height: number, values: ArrayLike<number>): RgbImage {
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(values[i]!);
    data[i] = v >= 1 ? 255 : v > 0 ? Math.trunc(Math.fround(v * 255)) : 0;
  }
  return { width, height, data };
}

/** `np.uint8(np.clip(v, 0, 255))`: values already on the byte scale. */
export function fromBytes(width: number, height: number, values: ArrayLike<number>): RgbImage {
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    data[i] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
  }
  return { width, height, data };
}
