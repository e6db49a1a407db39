/**
 * Image work with sharp (libvips): decode-and-check, the fundus crop, square renders at the cache
 * sizes, and binary lesion masks rendered with exactly the same geometry.
 *
 * - Every image is decoded in full (`failOn: 'truncated'`), so a truncated file fails here rather
 *   than in training; the header is checked first so an absurd size is never decoded.
 * - No EXIF auto-rotation: IDRiD masks are aligned with the stored pixels, and fundus cameras write
 *   orientation 1. Outputs are encoded from raw pixels, so no metadata (EXIF, ICC, XMP) reaches the cache.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import type { CropGeometry, IssueKind, PreprocessSettings, ValidationLimits } from '../../../src-shared/datasets';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
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

/** Reads the header, checks the size, then decodes every pixel to 8-bit RGB. Throws ImageProblem. */
export async function decodeImage(buf: Buffer, limits: PixelLimits): Promise<RawImage> {
  let meta: Metadata;
  try {
    meta = await sharp(buf, { failOn: 'truncated' }).metadata();
  } catch (error) {
    throw classifyDecodeError(error, buf);
  }
  if (!meta.width || !meta.height) throw new ImageProblem('unreadable', 'the header gives no size');
  const bad = checkSize(meta.width, meta.height, limits);
  if (bad) throw new ImageProblem('implausible-size', bad);
  try {
    const { data, info } = await sharp(buf, { failOn: 'truncated', limitInputPixels: false })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3)
      throw new Error(`unexpected decoded layout (${info.channels} channels)`);
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw classifyDecodeError(error, buf);
  }
}

/**
 * Decodes a lesion mask of any TIFF flavour (palette, 1-bit bilevel, 8-bit grey, RGB(A), raw or
 * LZW) to one byte per pixel: 255 where any colour channel is > 0 (and alpha, if any, is > 0), else 0.
 *
 * The header is read first, as for images: a mask whose longer side is above `limits.maxSide`
 * (implausible-size) or whose size differs from `expected`, its image's (mask-size-mismatch), is
 * refused before a pixel is decoded, so a small compressed file cannot expand to gigabytes. Without
 * `limits` (a mask its import already checked) any size is decoded.
 */
export async function decodeMask(
  buf: Buffer,
  limits: Pick<ValidationLimits, 'maxSide'> = { maxSide: Number.MAX_SAFE_INTEGER },
  expected?: { width: number; height: number },
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
  if (expected && (meta.width !== expected.width || meta.height !== expected.height))
    throw new ImageProblem(
      'mask-size-mismatch',
      `${meta.width}x${meta.height} px but its image is ${expected.width}x${expected.height} px`,
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

/** The cropped, padded, resized fundus as an encoded file (no metadata). */
export async function renderImage(img: RawImage, g: CropGeometry, size: number, format: PreprocessSettings['format']): Promise<Buffer> {
  const p = squarePipeline(img, g, size, 'lanczos3');
  return format === 'jpeg' ? p.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer() : p.png().toBuffer();
}

/**
 * A binary mask (one byte per pixel, 0/255) with the image's geometry. Shrinking keeps every lesion:
 * a target pixel is set when ANY source pixel of the crop that falls into it is set (max pooling, as
 * CLEVR-XAI counts any coverage), so a microaneurysm of a few pixels never vanishes at 64 px.
 * Enlarging (a target side larger than the crop) uses nearest-neighbour sampling. PNG, one channel.
 */
export async function renderMask(mask: { data: Buffer; width: number; height: number }, g: CropGeometry, size: number): Promise<Buffer> {
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
  return sharp(out, { raw: { width: size, height: size, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}
