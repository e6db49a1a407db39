/**
 * EXIF orientation is applied and CMYK (and images with a non-sRGB ICC profile) are converted to sRGB
 * colorimetrically; both are recorded per manifest item and counted in the validation report.
 *
 * Oracles are built without the product's decoding: the upright image is the stored pixels turned by
 * sharp's explicit `rotate(angle)`, and the CMYK tolerance comes from measured round trips (below).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyOrientation, decodeImage, decodeMask } from '../../../src-main/services/datasets/image';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { DatasetManifest, ValidationLimits } from '../../../src-shared/datasets';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { makeStudy } from '../../support/studies';
import { encodeMask, fundusRaw, rectPattern } from './fixtures';

const limits = ValidationLimits.parse({});
const W = 300;
const H = 200;
/** The angle (clockwise) that shows stored pixels upright for each EXIF orientation tested. */
const ANGLE = { 6: 90, 3: 180, 8: 270 } as const;

/** A fundus with a yellow square in its upper left: no rotation or mirror maps it onto itself. */
function asymmetricFundus(): Buffer {
  const raw = fundusRaw(W, H, 140, 95, 85, 3);
  for (let y = 60; y < 75; y++) for (let x = 100; x < 120; x++) raw.set([255, 255, 0], (y * W + x) * 3);
  return raw;
}

/** A smooth image of fundus colours (inside the CMYK gamut), so a colour shift is not a gamut clip. */
function fundusColours(): Buffer {
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      raw.set([60 + Math.round((150 * x) / (W - 1)), 60 + Math.round((100 * y) / (H - 1)), x < W / 2 ? 90 : 60], (y * W + x) * 3);
  return raw;
}

const rawOf = (width: number, height: number, channels: 1 | 3 = 3) => ({ raw: { width, height, channels } });

function diff(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

async function pixels(buf: Buffer): Promise<Buffer> {
  return sharp(buf).removeAlpha().raw().toBuffer();
}

describe('EXIF orientation', () => {
  for (const o of [6, 3, 8] as const) {
    it(`orientation ${o}: the decoded image equals the stored pixels turned ${ANGLE[o]}°`, async () => {
      const jpeg = await sharp(asymmetricFundus(), rawOf(W, H)).withMetadata({ orientation: o }).jpeg({ quality: 100 }).toBuffer();
      expect((await sharp(jpeg).metadata()).orientation).toBe(o);
      const stored = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      const upright = await sharp(stored.data, rawOf(stored.info.width, stored.info.height))
        .rotate(ANGLE[o])
        .raw()
        .toBuffer({ resolveWithObject: true });
      const img = await decodeImage(jpeg, limits);
      expect([img.width, img.height, img.orientation, img.colourSpace]).toEqual([upright.info.width, upright.info.height, o, undefined]);
      expect(diff(img.data, upright.data).max).toBeLessThanOrEqual(2);
    });
  }

  it('turns a single-channel buffer exactly as sharp turns a tagged PNG, for all eight orientations', async () => {
    const w = 7;
    const h = 4;
    const data = Buffer.from(Array.from({ length: w * h }, (_, i) => i * 9));
    for (let o = 1; o <= 8; o++) {
      const png = await sharp(data, rawOf(w, h, 1))
        .withMetadata({ orientation: o })
        .png()
        .toBuffer();
      const shown = await sharp(png).rotate().extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const ours = applyOrientation(data, w, h, o);
      expect([ours.width, ours.height], `orientation ${o}`).toEqual([shown.info.width, shown.info.height]);
      expect([...ours.data], `orientation ${o}`).toEqual([...shown.data]);
    }
  });

  it('a lesion mask aligned with the stored pixels is checked against the stored size and turned with its image', async () => {
    const on = rectPattern(W, H, 20, 30, 60, 50);
    const tiff = await encodeMask('palette1', W, H, on);
    const stored = Buffer.from(on.map((v) => (v ? 255 : 0)));
    const upright = await sharp(stored, rawOf(W, H, 1))
      .rotate(90)
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const m = await decodeMask(tiff, limits, { width: H, height: W }, 6);
    expect([m.width, m.height, m.positive]).toEqual([H, W, 40 * 20]);
    expect(m.data.equals(upright.data)).toBe(true);
    await expect(decodeMask(tiff, limits, { width: W, height: H }, 6)).rejects.toMatchObject({
      kind: 'mask-size-mismatch',
      message: '300x200 px but its image is 200x300 px as stored (300x200 px upright, EXIF orientation 6)',
    });
  });
});

describe('CMYK and ICC profiles', () => {
  /**
   * Tolerance. Measured on this image (fundus colours, all inside the CMYK gamut) with sharp 0.35 /
   * libvips 8.18: sharp's own sRGB→CMYK→sRGB round trip through a lossless CMYK TIFF (8-bit CMYK and
   * the generic profile's tables) is max 7, mean 1.09; an sRGB JPEG at quality 100 adds max 4, mean
   * 0.37. Through a quality-100 CMYK JPEG the decode gives max 6, mean 1.05. Allowed: their sum
   * rounded up, max 12, mean 2. The decoding before this change (sharp's perceptual input
   * conversion) gives max 27, mean 8.2 on this image: every channel visibly darker.
   */
  const TOLERANCE = { max: 12, mean: 2 };

  it('a CMYK JPEG of a known sRGB image comes back within the tolerance, recorded as cmyk', async () => {
    const src = fundusColours();
    const jpeg = (p: Sharp) => p.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    const cmyk = await jpeg(sharp(src, rawOf(W, H)).toColourspace('cmyk'));
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const img = await decodeImage(cmyk, limits);
    expect([img.width, img.height, img.orientation, img.colourSpace]).toEqual([W, H, undefined, 'cmyk']);
    const d = diff(img.data, src);
    expect(d.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(d.mean).toBeLessThanOrEqual(TOLERANCE.mean);

    // The measurements behind the tolerance, and the shift of sharp's default decoding.
    const tiff = await sharp(src, rawOf(W, H)).toColourspace('cmyk').tiff().toBuffer();
    const lossless = diff(await sharp(tiff).pipelineColourspace('cmyk').toColourspace('srgb').raw().toBuffer(), src);
    const srgbJpeg = diff(await pixels(await jpeg(sharp(src, rawOf(W, H)))), src);
    expect(lossless.max + srgbJpeg.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(lossless.mean + srgbJpeg.mean).toBeLessThanOrEqual(TOLERANCE.mean);
    const shifted = diff(await pixels(cmyk), src);
    expect(shifted.mean).toBeGreaterThan(4 * TOLERANCE.mean);

    // A black border (outside the CMYK gamut, written as the profile's black) comes back black, below the crop threshold.
    const fundus = fundusRaw(W, H, 150, 100, 90, 5);
    const onBlack = await decodeImage(await jpeg(sharp(fundus, rawOf(W, H)).toColourspace('cmyk')), limits);
    expect(Math.max(...onBlack.data.subarray(0, 3 * W))).toBeLessThan(15);

    // With a CMYK profile embedded, through that profile.
    const tagged = await jpeg(sharp(src, rawOf(W, H)).toColourspace('cmyk').withIccProfile('cmyk'));
    expect((await sharp(tagged).metadata()).hasProfile).toBe(true);
    const t = await decodeImage(tagged, limits);
    expect(t.colourSpace).toBe('cmyk');
  });

  it('an RGB image with a Display P3 profile is converted through it; an sRGB profile is not recorded', async () => {
    const src = fundusColours();
    const p3 = await sharp(src, rawOf(W, H)).withIccProfile('p3').jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    const img = await decodeImage(p3, limits);
    expect(img.colourSpace).toMatch(/^icc:.*P3/i);
    const d = diff(img.data, src);
    expect(d.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(d.mean).toBeLessThanOrEqual(TOLERANCE.mean);
    const srgb = await sharp(src, rawOf(W, H)).withIccProfile('srgb').jpeg({ quality: 100 }).toBuffer();
    expect((await decodeImage(srgb, limits)).colourSpace).toBeUndefined();
  });
});

describe('an import of turned and CMYK images', () => {
  it('caches them upright and in sRGB, records each in its manifest item and counts them in the report', async () => {
    const src = await tempDir('exif-cmyk');
    const train = path.join(src, 'train');
    await fsp.mkdir(train, { recursive: true });
    const rows = ['image,level'];
    for (const [n, o] of [6, 3, 8].entries()) {
      const jpeg = await sharp(asymmetricFundus(), rawOf(W, H)).withMetadata({ orientation: o }).jpeg({ quality: 100 }).toBuffer();
      await fsp.writeFile(path.join(train, `${n}_left.jpeg`), jpeg);
      // The upright reference: the JPEG's stored pixels turned by an explicit angle, saved losslessly.
      const stored = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      await sharp(stored.data, rawOf(stored.info.width, stored.info.height))
        .rotate(ANGLE[o as 6 | 3 | 8])
        .png()
        .toFile(path.join(train, `${n}_right.png`));
      rows.push(`${n}_left,0`, `${n}_right,0`);
    }
    const colours = fundusRaw(W, H, 150, 100, 90, 5);
    await sharp(colours, rawOf(W, H))
      .toColourspace('cmyk')
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .toFile(path.join(train, '9_left.jpeg'));
    await sharp(colours, rawOf(W, H)).png().toFile(path.join(train, '9_right.png'));
    rows.push('9_left,1', '9_right,1');
    await fsp.writeFile(path.join(src, 'trainLabels.csv'), rows.join('\n') + '\n');

    const r = await importDataset(
      { type: 'eyepacs', path: src, id: 'turned', settings: { inputSize: 64, overlaySize: 128 } },
      await makeStudy(),
      recordingContext(),
    );
    expect(r.imported).toBe(8);
    expect(r.report.counts).toMatchObject({ reoriented: 3, colourConverted: 1 });
    expect(r.report.notes).toContain(
      'Decoding: 3 image(s) turned upright by their EXIF orientation; 1 image(s) converted to sRGB from another colour space (CMYK or an embedded ICC profile); each is recorded with its manifest item.',
    );
    const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(r.manifestPath, 'utf8')));
    const byId = new Map(m.items.map((i) => [i.id, i]));
    expect([0, 1, 2, 9].map((n) => [byId.get(`${n}_left`)?.orientation, byId.get(`${n}_left`)?.colourSpace])).toEqual([
      [6, undefined],
      [3, undefined],
      [8, undefined],
      [undefined, 'cmyk'],
    ]);
    expect(
      [...byId.values()].filter((i) => i.id.endsWith('_right')).every((i) => i.orientation === undefined && i.colourSpace === undefined),
    ).toBe(true);
    const dir = path.dirname(r.manifestPath);
    const cached = async (id: string, which: 'input' | 'overlay') =>
      pixels(await fsp.readFile(path.join(dir, byId.get(id)!.cache![which])));
    for (const n of [0, 1, 2]) {
      expect(byId.get(`${n}_left`)!.width).toBe(byId.get(`${n}_right`)!.width);
      for (const which of ['input', 'overlay'] as const)
        expect(diff(await cached(`${n}_left`, which), await cached(`${n}_right`, which)).max, `${n} ${which}`).toBeLessThanOrEqual(2);
    }
    const cmyk = diff(await cached('9_left', 'overlay'), await cached('9_right', 'overlay'));
    expect(cmyk.mean).toBeLessThanOrEqual(2);
  });
});
