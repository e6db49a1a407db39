/** Tiny hand-made images, masks and broken files, generated into temp folders. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

/** A synthetic fundus: black frame, a bright disc centred at (cx, cy) with radius r, a brighter "optic disc". */
export function fundusRaw(width: number, height: number, cx: number, cy: number, r: number, seed = 1): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy);
      if (d > r) continue;
      const i = (y * width + x) * 3;
      const od = Math.hypot(x - (cx + r / 2), y - cy) < r / 6;
      buf[i] = od ? 250 : 170 + ((x * 7 + y * 13 + seed) % 20);
      buf[i + 1] = od ? 230 : 90;
      buf[i + 2] = od ? 200 : 50;
    }
  }
  return buf;
}

export async function writeFundusJpeg(
  file: string,
  width = 300,
  height = 200,
  opts: { seed?: number; quality?: number } = {},
): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const raw = fundusRaw(width, height, width / 2, height / 2, Math.min(width, height) * 0.45, opts.seed ?? 1);
  await sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: opts.quality ?? 90 })
    .toFile(file);
}

/** A valid JPEG cut to 60% of its bytes. */
export async function writeTruncatedJpeg(file: string): Promise<void> {
  const tmp = file + '.full';
  await writeFundusJpeg(tmp, 300, 200, { seed: 5 });
  const buf = await fsp.readFile(tmp);
  await fsp.rm(tmp);
  await fsp.writeFile(file, buf.subarray(0, Math.floor(buf.length * 0.6)));
}

interface TiffSpec {
  width: number;
  height: number;
  bitsPerSample: 1 | 8;
  samplesPerPixel: 1 | 3 | 4;
  /** 0 WhiteIsZero, 1 BlackIsZero, 2 RGB, 3 palette */
  photometric: 0 | 1 | 2 | 3;
  /** Pixel values, one per sample, row-major (for 1-bit: 0/1). */
  pixels: number[];
  /** Palette: [r,g,b] in 0-255 for each index. */
  palette?: [number, number, number][];
}

/** Writes an uncompressed little-endian baseline TIFF by hand (for palette masks, which sharp cannot write). */
export function encodeTiff(spec: TiffSpec): Buffer {
  const { width, height, bitsPerSample: bps, samplesPerPixel: spp } = spec;
  const rowBytes = bps === 1 ? Math.ceil(width / 8) : width * spp;
  const data = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let s = 0; s < spp; s++) {
        const v = spec.pixels[(y * width + x) * spp + s]!;
        if (bps === 1) {
          if (v) data[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
        } else data[y * rowBytes + x * spp + s] = v;
      }
    }
  }
  const entries: [number, number, number, number | Buffer][] = [];
  const SHORT = 3;
  const LONG = 4;
  entries.push([256, LONG, 1, width], [257, LONG, 1, height]);
  const bpsValue = spp === 1 ? bps : Buffer.from(new Uint16Array(Array(spp).fill(bps)).buffer);
  entries.push([258, SHORT, spp, bpsValue], [259, SHORT, 1, 1], [262, SHORT, 1, spec.photometric]);
  entries.push([273, LONG, 1, 0 /* patched */], [277, SHORT, 1, spp], [278, LONG, 1, height], [279, LONG, 1, data.length]);
  if (spp === 4) entries.push([338, SHORT, 1, 2]);
  if (spec.palette) {
    const n = 1 << bps;
    const cm = new Uint16Array(3 * n);
    spec.palette.forEach(([r, g, b], i) => {
      cm[i] = r * 257;
      cm[n + i] = g * 257;
      cm[2 * n + i] = b * 257;
    });
    entries.push([320, SHORT, 3 * n, Buffer.from(cm.buffer)]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let extraOffset = ifdOffset + ifdSize;
  const extras: Buffer[] = [];
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(entries.length, 0);
  const dataOffsetPos: number[] = [];
  entries.forEach(([tag, type, count, value], i) => {
    const o = 2 + i * 12;
    ifd.writeUInt16LE(tag, o);
    ifd.writeUInt16LE(type, o + 2);
    ifd.writeUInt32LE(count, o + 4);
    if (Buffer.isBuffer(value)) {
      if (value.length <= 4) value.copy(ifd, o + 8);
      else {
        ifd.writeUInt32LE(extraOffset, o + 8);
        extras.push(value);
        extraOffset += value.length + (value.length % 2);
        if (value.length % 2) extras.push(Buffer.alloc(1));
      }
    } else if (type === SHORT) ifd.writeUInt16LE(value, o + 8);
    else ifd.writeUInt32LE(value, o + 8);
    if (tag === 273) dataOffsetPos.push(o + 8);
  });
  ifd.writeUInt32LE(extraOffset, dataOffsetPos[0]!);
  const header = Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
  return Buffer.concat([header, ifd, ...extras, data]);
}

/** A w×h binary pattern with lesion pixels in the rectangle [x0,x1)×[y0,y1). */
export function rectPattern(w: number, h: number, x0: number, y0: number, x1: number, y1: number): boolean[] {
  return Array.from({ length: w * h }, (_, i) => {
    const x = i % w;
    const y = Math.floor(i / w);
    return x >= x0 && x < x1 && y >= y0 && y < y1;
  });
}

export type MaskFlavour = 'palette1' | 'palette8' | 'bilevel' | 'grey8-raw01' | 'rgb' | 'rgba-lzw';

/** Encodes `on` as a TIFF mask of the given flavour. */
export async function encodeMask(flavour: MaskFlavour, w: number, h: number, on: boolean[]): Promise<Buffer> {
  switch (flavour) {
    case 'palette1':
      return encodeTiff({
        width: w,
        height: h,
        bitsPerSample: 1,
        samplesPerPixel: 1,
        photometric: 3,
        pixels: on.map((v) => (v ? 1 : 0)),
        palette: [
          [0, 0, 0],
          [255, 0, 0],
        ],
      });
    case 'palette8':
      return encodeTiff({
        width: w,
        height: h,
        bitsPerSample: 8,
        samplesPerPixel: 1,
        photometric: 3,
        pixels: on.map((v) => (v ? 1 : 0)),
        palette: [[0, 0, 0], [255, 0, 0], ...Array.from({ length: 254 }, () => [9, 9, 9] as [number, number, number])],
      });
    case 'bilevel':
      return encodeTiff({ width: w, height: h, bitsPerSample: 1, samplesPerPixel: 1, photometric: 1, pixels: on.map((v) => (v ? 1 : 0)) });
    case 'grey8-raw01':
      return encodeTiff({ width: w, height: h, bitsPerSample: 8, samplesPerPixel: 1, photometric: 1, pixels: on.map((v) => (v ? 1 : 0)) });
    case 'rgb':
      return encodeTiff({
        width: w,
        height: h,
        bitsPerSample: 8,
        samplesPerPixel: 3,
        photometric: 2,
        pixels: on.flatMap((v) => (v ? [255, 0, 0] : [0, 0, 0])),
      });
    case 'rgba-lzw': {
      const raw = Buffer.from(on.flatMap((v) => (v ? [255, 0, 0, 255] : [0, 0, 0, 255])));
      return sharp(raw, { raw: { width: w, height: h, channels: 4 } })
        .tiff({ compression: 'lzw' })
        .toBuffer();
    }
  }
}
