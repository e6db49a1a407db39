/**
 * Image work with sharp (libvips): decode-and-check, the fundus crop, square renders at the cache
 * sizes, and binary lesion masks rendered with exactly the same geometry.
 *
 * - Every image is decoded in full (`failOn: 'truncated'`), so a truncated file fails here rather
 *   than in training; the header is checked first so an absurd size is never decoded.
 * - The EXIF orientation is applied: the image is decoded upright, as a viewer shows it. A lesion
 *   mask is aligned with its image's stored pixels (as IDRiD's are), so it is turned the same way.
 * - Colour is converted to sRGB. Images with an embedded ICC profile (RGB, grey or CMYK) go through
 *   that profile. CMYK without a profile goes through libvips's generic CMYK profile, relative
 *   colorimetric, so colours inside the CMYK gamut keep their values (sharp's default, perceptual,
 *   darkens them by about 10/255 on average); the profile's black (sRGB black clipped into the gamut
 *   on the way to CMYK, about 36/255) is then brought back to black by `blackPointRamp`, so a black
 *   border stays below the crop threshold. What was done is returned (`orientation`, `colourSpace`)
 *   for the manifest item and the validation report.
 * - Outputs are encoded from raw pixels, so no metadata (EXIF, ICC, XMP) reaches the cache.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import type { CropGeometry, IssueKind, PreprocessSettings, ValidationLimits } from '../../../src-shared/datasets';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** What decoding did to reach upright sRGB pixels; absent fields: nothing of that kind was needed. */
export interface DecodeConversions {
  /** The EXIF orientation (2-8) that was applied; the stored pixels are turned and/or mirrored by it. */
  orientation?: number;
  /** The source's colour space when it was converted to sRGB: `cmyk`, or `icc:<profile description>`. */
  colourSpace?: string;
}

/** The EXIF orientations that turn the image by 90° (width and height swap). */
export function swapsSides(orientation: number | undefined): boolean {
  return orientation !== undefined && orientation >= 5 && orientation <= 8;
}

export class ImageProblem extends Error {
  constructor(
    readonly kind: IssueKind,
    message: string,
  ) {
    super(message);
  }
}

/** Image formats recognised by their first bytes (what an importer may meet). */
function sniffFormat(buf: Uint8Array): 'jpeg' | 'png' | 'tiff' | 'other-image' | null {
  const b = (i: number) => buf[i] ?? -1;
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if ((b(0) === 0x49 && b(1) === 0x49 && b(2) === 0x2a && b(3) === 0) || (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && b(3) === 0x2a))
    return 'tiff';
  const ascii = String.fromCharCode(...buf.subarray(0, 12));
  if (ascii.startsWith('BM') || ascii.startsWith('GIF8') || (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP'))
    return 'other-image';
  return null;
}

/** Whether a file of a sniffed format lacks its end marker (JPEG EOI, PNG IEND): the mark of a truncated download. */
function missingEndMarker(format: 'jpeg' | 'png', buf: Uint8Array): boolean {
  if (format === 'jpeg') {
    // EOI (FF D9), possibly followed by a little padding some writers add.
    for (let i = buf.length - 2; i >= Math.max(0, buf.length - 64); i--) if (buf[i] === 0xff && buf[i + 1] === 0xd9) return false;
    return true;
  }
  const tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 12))).toString('latin1');
  return !tail.includes('IEND');
}

/**
 * Maps a failed decode to an issue kind. The file's own bytes decide first (unknown magic → not an
 * image; a JPEG/PNG without its end marker → truncated), because libvips's error text comes from a
 * process-wide buffer that concurrent decodes can interleave; the message is only a fallback.
 */
export function classifyDecodeError(error: unknown, buf?: Uint8Array): ImageProblem {
  const msg = error instanceof Error ? error.message : String(error);
  const first = msg.split('\n')[0];
  if (buf) {
    const format = sniffFormat(buf);
    if (format === null) return new ImageProblem('not-an-image', `not an image file (no known image signature; ${first})`);
    if ((format === 'jpeg' || format === 'png') && missingEndMarker(format, buf)) {
      return new ImageProblem(
        'truncated',
        `the file is truncated (no ${format === 'jpeg' ? 'JPEG end-of-image marker' : 'PNG IEND chunk'}; ${first})`,
      );
    }
  }
  if (/unsupported image format|bad seek|not a known file format|corrupt header/i.test(msg))
    return new ImageProblem('not-an-image', `not an image file (${first})`);
  if (/premature end|truncat|unexpected end|end of (file|data|stream)|short read|out of data|read error|IDAT|incomplete/i.test(msg)) {
    return new ImageProblem('truncated', `the file is truncated or damaged (${first})`);
  }
  return new ImageProblem('unreadable', `cannot decode (${first})`);
}

/** The pixel limits an image (and a mask, by its longer side) is checked against. */
export type PixelLimits = Pick<ValidationLimits, 'minSide' | 'maxSide' | 'maxAspect'>;

export function checkSize(width: number, height: number, limits: PixelLimits): string | null {
  const lo = Math.min(width, height);
  const hi = Math.max(width, height);
  if (lo < limits.minSide) return `${width}x${height} px: a side is below ${limits.minSide} px`;
  if (hi > limits.maxSide) return `${width}x${height} px: a side is above ${limits.maxSide} px`;
  if (hi / lo > limits.maxAspect) return `${width}x${height} px: aspect ratio ${(hi / lo).toFixed(2)} is above ${limits.maxAspect}`;
  return null;
}

/**
 * The description of an ICC profile (its `desc` tag: ICC v2 text or v4 multi-localised Unicode), or
 * null when the profile cannot be read that far.
 */
export function iccDescription(icc: Buffer | undefined): string | null {
  if (!icc || icc.length < 132) return null;
  const count = icc.readUInt32BE(128);
  for (let i = 0; i < Math.min(count, 256) && 132 + 12 * (i + 1) <= icc.length; i++) {
    const at = 132 + 12 * i;
    if (icc.toString('latin1', at, at + 4) !== 'desc') continue;
    const offset = icc.readUInt32BE(at + 4);
    const size = icc.readUInt32BE(at + 8);
    if (offset + size > icc.length || size < 12) return null;
    const tag = icc.subarray(offset, offset + size);
    const type = tag.toString('latin1', 0, 4);
    if (type === 'desc') {
      const n = tag.readUInt32BE(8);
      return (
        tag
          .toString('latin1', 12, Math.min(tag.length, 12 + n))
          .replace(/\0.*$/s, '')
          .trim() || null
      );
    }
    if (type === 'mluc' && tag.length >= 28) {
      const len = tag.readUInt32BE(20);
      const off = tag.readUInt32BE(24);
      if (off + len > tag.length) return null;
      const be = tag.subarray(off, off + len);
      let text = '';
      for (let k = 0; k + 1 < be.length; k += 2) text += String.fromCharCode(be.readUInt16BE(k));
      return text.replace(/\0.*$/s, '').trim() || null;
    }
    return null;
  }
  return null;
}

/** The colour conversion decoding makes, from the header: CMYK, or an embedded profile other than sRGB. */
function colourSpaceOf(meta: Metadata): string | undefined {
  if (meta.space === 'cmyk') return 'cmyk';
  if (!meta.icc) return undefined;
  const description = iccDescription(meta.icc);
  if (description !== null && /srgb/i.test(description)) return undefined;
  return `icc:${description ?? 'unnamed profile'}`;
}

/**
 * Reads the header, checks the size, then decodes every pixel to upright 8-bit sRGB (see the file's
 * notes on orientation and colour). Throws ImageProblem.
 */
export async function decodeImage(buf: Buffer, limits: PixelLimits): Promise<RawImage & DecodeConversions> {
  let meta: Metadata;
  try {
    meta = await sharp(buf, { failOn: 'truncated' }).metadata();
  } catch (error) {
    throw classifyDecodeError(error, buf);
  }
  if (!meta.width || !meta.height) throw new ImageProblem('unreadable', 'the header gives no size');
  const bad = checkSize(meta.width, meta.height, limits);
  if (bad) throw new ImageProblem('implausible-size', bad);
  const orientation = meta.orientation !== undefined && meta.orientation >= 2 && meta.orientation <= 8 ? meta.orientation : undefined;
  const colourSpace = colourSpaceOf(meta);
  try {
    let pipeline = sharp(buf, { failOn: 'truncated', limitInputPixels: false }).rotate();
    // CMYK without a profile stays CMYK into the pipeline, so libvips's CMYK import (generic
    // profile, relative colorimetric) converts it below; see the file's notes.
    const genericCmyk = meta.space === 'cmyk' && !meta.icc;
    if (genericCmyk) pipeline = pipeline.pipelineColourspace('cmyk');
    const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (genericCmyk) {
      const ramp = await genericCmykBlackRamp();
      for (let i = 0; i < data.length; i++) data[i] = ramp[i % 3]![data[i]!]!;
    }
    if (info.channels !== 3 || data.length !== info.width * info.height * 3)
      throw new Error(`unexpected decoded layout (${info.channels} channels)`);
    return {
      data,
      width: info.width,
      height: info.height,
      channels: 3,
      ...(orientation !== undefined ? { orientation } : {}),
      ...(colourSpace !== undefined ? { colourSpace } : {}),
    };
  } catch (error) {
    throw classifyDecodeError(error, buf);
  }
}

/** sRGB (0-255) to linear light (0-1) and back. */
const toLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const fromLinear = (l: number) => Math.round(255 * (l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055));

/**
 * A lookup table (sRGB in, sRGB out) for one channel whose darkest reproducible value is `black`:
 * in linear light, values up to `black` become 0, values from 2×`black` up are unchanged, and the
 * values between are stretched linearly onto 0..2×`black`. A soft black-point compensation that
 * leaves every colour clearly inside the gamut exactly as the colorimetric conversion gave it.
 */
export function blackPointRamp(black: number): Uint8Array {
  const bk = toLinear(black);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const l = toLinear(v);
    lut[v] = bk <= 0 || l >= 2 * bk ? v : l <= bk ? 0 : fromLinear(((l - bk) / bk) * 2 * bk);
  }
  return lut;
}

let genericBlack: Promise<Uint8Array[]> | null = null;

/** The ramps of the generic CMYK profile's black, as the CMYK decoding gives it (measured once). */
function genericCmykBlackRamp(): Promise<Uint8Array[]> {
  genericBlack ??= (async () => {
    const black = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000000' } })
      .toColourspace('cmyk')
      .tiff()
      .toBuffer();
    const rgb = await sharp(black).pipelineColourspace('cmyk').toColourspace('srgb').raw().toBuffer();
    return [0, 1, 2].map((c) => blackPointRamp(rgb[c]!));
  })();
  return genericBlack;
}

/**
 * One byte per pixel, stored `width`×`height`, turned upright by the EXIF `orientation` (as a viewer
 * shows an image with that tag). Returns the new buffer and its size.
 */
export function applyOrientation(
  data: Buffer,
  width: number,
  height: number,
  orientation: number,
): { data: Buffer; width: number; height: number } {
  if (orientation < 2 || orientation > 8) return { data, width, height };
  const swap = swapsSides(orientation);
  const W = swap ? height : width;
  const H = swap ? width : height;
  const out = Buffer.alloc(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2:
          [sx, sy] = [width - 1 - x, y];
          break;
        case 3:
          [sx, sy] = [width - 1 - x, height - 1 - y];
          break;
        case 4:
          [sx, sy] = [x, height - 1 - y];
          break;
        case 5:
          [sx, sy] = [y, x];
          break;
        case 6:
          [sx, sy] = [y, height - 1 - x];
          break;
        case 7:
          [sx, sy] = [width - 1 - y, height - 1 - x];
          break;
        default:
          [sx, sy] = [width - 1 - y, x];
          break;
      }
      out[y * W + x] = data[sy * width + sx]!;
    }
  }
  return { data: out, width: W, height: H };
}

/**
 * Decodes a lesion mask of any TIFF flavour (palette, 1-bit bilevel, 8-bit grey, RGB(A), raw or
 * LZW) to one byte per pixel: 255 where any colour channel is > 0 (and alpha, if any, is > 0), else 0.
 *
 * The header is read first, as for images: a mask whose longer side is above `limits.maxSide`
 * (implausible-size) or whose size differs from `expected`, its image's (mask-size-mismatch), is
 * refused before a pixel is decoded, so a small compressed file cannot expand to gigabytes. Without
 * `limits` (a mask its import already checked) any size is decoded.
 *
 * A mask is aligned with its image's stored pixels: with the image's EXIF `orientation`, the mask is
 * compared with the stored size (sides swapped for 5-8) and turned upright the same way, so it keeps
 * matching the upright image. The mask's own orientation tag, if any, is not used.
 */
export async function decodeMask(
  buf: Buffer,
  limits: Pick<ValidationLimits, 'maxSide'> = { maxSide: Number.MAX_SAFE_INTEGER },
  expected?: { width: number; height: number },
  orientation?: number,
): Promise<{ data: Buffer; width: number; height: number; positive: number }> {
  let meta: Metadata;
  try {
    // The header only: no pixel is decoded, so sharp's own pixel limit (which would hide the size) is not needed here.
    meta = await sharp(buf, { failOn: 'truncated', limitInputPixels: false }).metadata();
  } catch (error) {
    throw classifyDecodeError(error, buf);
  }
  if (!meta.width || !meta.height) throw new ImageProblem('unreadable', 'the header gives no size');
  if (Math.max(meta.width, meta.height) > limits.maxSide)
    throw new ImageProblem(
      'implausible-size',
      `${meta.width}x${meta.height} px (from the header, not decoded): a side is above ${limits.maxSide} px`,
    );
  const stored = expected && swapsSides(orientation) ? { width: expected.height, height: expected.width } : expected;
  if (stored && (meta.width !== stored.width || meta.height !== stored.height))
    throw new ImageProblem(
      'mask-size-mismatch',
      `${meta.width}x${meta.height} px but its image is ${stored.width}x${stored.height} px` +
        (stored === expected ? '' : ` as stored (${expected!.width}x${expected!.height} px upright, EXIF orientation ${orientation})`),
    );
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(buf, { failOn: 'truncated', limitInputPixels: false }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw classifyDecodeError(error, buf);
  }
  const { data, info } = out;
  const c = info.channels;
  const hasAlpha = c === 2 || c === 4;
  const colour = hasAlpha ? c - 1 : c;
  const n = info.width * info.height;
  const bin = Buffer.alloc(n);
  let positive = 0;
  for (let i = 0, p = 0; i < n; i++, p += c) {
    let on = false;
    for (let k = 0; k < colour; k++) if (data[p + k]! > 0) on = true;
    if (on && hasAlpha && data[p + colour] === 0) on = false;
    if (on) {
      bin[i] = 255;
      positive++;
    }
  }
  if (orientation !== undefined && orientation >= 2 && orientation <= 8)
    return { ...applyOrientation(bin, info.width, info.height, orientation), positive };
  return { data: bin, width: info.width, height: info.height, positive };
}

/** Longest side of the luminance thumbnail the crop is found on. */
const THUMB = 256;

/**
 * Finds the retina: threshold a downscaled luminance image, take the rows and columns where at
 * least 1% of the pixels are brighter than the threshold (so dust and burnt-in text do not count),
 * add the margin, and centre the box in a square. An all-dark image keeps its full frame.
 */
export async function fundusGeometry(
  img: RawImage,
  settings: Pick<PreprocessSettings, 'cropThreshold' | 'cropMargin'>,
): Promise<CropGeometry> {
  const { width: W, height: H } = img;
  const { data, info } = await sharp(img.data, { raw: { width: W, height: H, channels: img.channels as 3 } })
    .resize({ width: Math.min(THUMB, W), height: Math.min(THUMB, H), fit: 'inside', kernel: 'linear' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const w = info.width;
  const h = info.height;
  const ch = info.channels;
  const rows = new Array<number>(h).fill(0);
  const cols = new Array<number>(w).fill(0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[(y * w + x) * ch]! > settings.cropThreshold) {
        rows[y]!++;
        cols[x]!++;
      }
    }
  }
  const rowMin = Math.max(1, Math.ceil(0.01 * w));
  const colMin = Math.max(1, Math.ceil(0.01 * h));
  const y0 = rows.findIndex((v) => v >= rowMin);
  const x0 = cols.findIndex((v) => v >= colMin);
  let left = 0;
  let top = 0;
  let right = W;
  let bottom = H;
  if (y0 >= 0 && x0 >= 0) {
    const y1 = h - 1 - [...rows].reverse().findIndex((v) => v >= rowMin);
    const x1 = w - 1 - [...cols].reverse().findIndex((v) => v >= colMin);
    left = Math.floor((x0 * W) / w);
    right = Math.ceil(((x1 + 1) * W) / w);
    top = Math.floor((y0 * H) / h);
    bottom = Math.ceil(((y1 + 1) * H) / h);
    const margin = Math.round(settings.cropMargin * Math.max(right - left, bottom - top));
    left = Math.max(0, left - margin);
    top = Math.max(0, top - margin);
    right = Math.min(W, right + margin);
    bottom = Math.min(H, bottom + margin);
  }
  const width = right - left;
  const height = bottom - top;
  const side = Math.max(width, height);
  return { left, top, width, height, side, padLeft: Math.floor((side - width) / 2), padTop: Math.floor((side - height) / 2) };
}

/** The crop box scaled into a `size`-pixel square: the resize target and the black padding around it. */
export function placement(
  g: CropGeometry,
  size: number,
): { width: number; height: number; left: number; top: number; right: number; bottom: number } {
  const s = size / g.side;
  const width = Math.max(1, Math.min(size, Math.round(g.width * s)));
  const height = Math.max(1, Math.min(size, Math.round(g.height * s)));
  const left = Math.min(size - width, Math.round(g.padLeft * s));
  const top = Math.min(size - height, Math.round(g.padTop * s));
  return { width, height, left, top, right: size - width - left, bottom: size - height - top };
}

function squarePipeline(img: RawImage, g: CropGeometry, size: number, kernel: 'lanczos3' | 'nearest'): Sharp {
  const p = placement(g, size);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 } })
    .extract({ left: g.left, top: g.top, width: g.width, height: g.height })
    .resize(p.width, p.height, { fit: 'fill', kernel })
    .extend({ left: p.left, right: p.right, top: p.top, bottom: p.bottom, background: { r: 0, g: 0, b: 0, alpha: 1 } });
}

/**
 * The side of the overlay copy of an image whose crop is `g`: the settings' `overlaySize`, but never more than
 * the side of the cropped square in the source, so a small source is never enlarged (a 256-px EyePACS
 * image gives a ≤ 256-px overlay, not a 512-px one that only repeats its pixels).
 */
export function overlaySide(overlaySize: number, g: Pick<CropGeometry, 'side'>): number {
  return Math.max(1, Math.min(overlaySize, g.side));
}

/**
 * How the overlay copy of an image is stored, whatever the training input's format: JPEG quality 95
 * without chroma subsampling. It is only looked at (the explanation viewer, thumbnails), and on real
 * fundus photographs it is 4-5 times smaller than PNG and 2.5-3 times smaller than lossless WebP
 * (docs/design.md "Inputs").
 */
export const OVERLAY_FORMAT = 'jpeg' as const;

/**
 * The cropped, padded, resized fundus as an encoded file (no metadata): PNG (lossless, adaptive row
 * filters, which make it about a third smaller than unfiltered PNG with the same pixels) or JPEG
 * quality 95, 4:4:4.
 */
export async function renderImage(img: RawImage, g: CropGeometry, size: number, format: PreprocessSettings['format']): Promise<Buffer> {
  const p = squarePipeline(img, g, size, 'lanczos3');
  return format === 'jpeg' ? p.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer() : p.png({ adaptiveFiltering: true }).toBuffer();
}

/**
 * A binary mask (one byte per pixel, 0/255) with the image's geometry. Shrinking keeps every lesion:
 * a target pixel is set when ANY source pixel of the crop that falls into it is set (max pooling, as
 * CLEVR-XAI counts any coverage), so a microaneurysm of a few pixels never vanishes at 64 px.
 * Enlarging (a target side larger than the crop) uses nearest-neighbour sampling. PNG with one channel
 * (the training input), or lossless WebP (the overlay copy: about half the size of the PNG on IDRiD's masks).
 */
export async function renderMask(
  mask: { data: Buffer; width: number; height: number },
  g: CropGeometry,
  size: number,
  format: 'png' | 'webp' = 'png',
): Promise<Buffer> {
  const p = placement(g, size);
  let out: Buffer;
  if (p.width <= g.width && p.height <= g.height) {
    out = Buffer.alloc(size * size);
    const col = new Int32Array(g.width);
    for (let x = 0; x < g.width; x++) col[x] = p.left + Math.min(p.width - 1, Math.floor((x * p.width) / g.width));
    for (let y = 0; y < g.height; y++) {
      const ty = p.top + Math.min(p.height - 1, Math.floor((y * p.height) / g.height));
      const src = (g.top + y) * mask.width + g.left;
      const dst = ty * size;
      for (let x = 0; x < g.width; x++) if (mask.data[src + x]! > 0) out[dst + col[x]!] = 255;
    }
  } else {
    const { data, info } = await squarePipeline({ ...mask, channels: 1 }, g, size, 'nearest')
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    out = Buffer.alloc(info.width * info.height);
    for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]! > 0 ? 255 : 0;
  }
  const encoder = sharp(out, { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w');
  return format === 'webp' ? encoder.webp({ lossless: true }).toBuffer() : encoder.png().toBuffer();
}

/** The decoding conversions of `d` alone (for a cache entry or a manifest item). */
export function conversions(d: DecodeConversions): DecodeConversions {
  return {
    ...(d.orientation !== undefined ? { orientation: d.orientation } : {}),
    ...(d.colourSpace !== undefined ? { colourSpace: d.colourSpace } : {}),
  };
}

/** The validation report's counts of imported images that decoding turned upright or converted to sRGB. */
export function conversionCounts(items: readonly DecodeConversions[]): { reoriented: number; colourConverted: number } {
  return {
    reoriented: items.filter((i) => i.orientation !== undefined).length,
    colourConverted: items.filter((i) => i.colourSpace !== undefined).length,
  };
}

/** The importer's note on those counts (shown with the dataset and printed by the import), or null when nothing was converted. */
export function conversionNote(counts: { reoriented: number; colourConverted: number }): string | null {
  const parts: string[] = [];
  if (counts.reoriented > 0) parts.push(`${counts.reoriented} image(s) turned upright by their EXIF orientation`);
  if (counts.colourConverted > 0)
    parts.push(`${counts.colourConverted} image(s) converted to sRGB from another colour space (CMYK or an embedded ICC profile)`);
  return parts.length > 0 ? `Decoding: ${parts.join('; ')}; each is recorded with its manifest item.` : null;
}
