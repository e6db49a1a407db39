import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseCsv, columnIndex } from '../../../src-main/services/datasets/csv';
import { decodeImage, decodeMask, fundusGeometry, placement, renderImage, renderMask } from '../../../src-main/services/datasets/image';
import { ValidationLimits } from '../../../src-shared/datasets';
import { tempDir } from '../../support/files';
import { encodeMask, fundusRaw, rectPattern, writeTruncatedJpeg } from './fixtures';

const limits = ValidationLimits.parse({});

describe('mask TIFFs of every flavour decode and binarise with > 0', () => {
  const w = 40;
  const h = 30;
  const on = rectPattern(w, h, 5, 7, 17, 20);
  const expected = 12 * 13;
  for (const flavour of ['palette1', 'palette8', 'bilevel', 'grey8-raw01', 'rgb', 'rgba-lzw'] as const) {
    it(flavour, async () => {
      const buf = await encodeMask(flavour, w, h, on);
      const m = await decodeMask(buf);
      expect([m.width, m.height]).toEqual([w, h]);
      expect(m.positive).toBe(expected);
      for (let i = 0; i < w * h; i++) expect(m.data[i]! > 0).toBe(on[i]);
    });
  }
});

describe('decoding and checks', () => {
  it('rejects a truncated JPEG, a text file named .jpg and implausible sizes', async () => {
    const dir = await tempDir('img');
    await writeTruncatedJpeg(path.join(dir, 't.jpg'));
    await expect(decodeImage(await fsp.readFile(path.join(dir, 't.jpg')), limits)).rejects.toMatchObject({ kind: 'truncated' });
    await expect(decodeImage(Buffer.from('this is not a picture\n'), limits)).rejects.toMatchObject({ kind: 'not-an-image' });
    const tiny = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#800' } })
      .png()
      .toBuffer();
    await expect(decodeImage(tiny, limits)).rejects.toMatchObject({ kind: 'implausible-size' });
    const thin = await sharp({ create: { width: 800, height: 100, channels: 3, background: '#800' } })
      .png()
      .toBuffer();
    await expect(decodeImage(thin, limits)).rejects.toMatchObject({ kind: 'implausible-size' });
  });
});

describe('fundus crop geometry', () => {
  it('finds the retina, centres it in a square, and masks follow exactly the same geometry', async () => {
    const W = 400;
    const H = 260;
    // Retina disc centred off-centre, radius 100: box ≈ [60,260)×[20,220) plus margin.
    const raw = fundusRaw(W, H, 160, 120, 100);
    const img = { data: raw, width: W, height: H, channels: 3 };
    const g = await fundusGeometry(img, { cropThreshold: 15, cropMargin: 0.02 });
    expect(g.left).toBeGreaterThanOrEqual(50);
    expect(g.left).toBeLessThanOrEqual(62);
    expect(g.left + g.width).toBeGreaterThanOrEqual(258);
    expect(g.left + g.width).toBeLessThanOrEqual(270);
    expect(g.side).toBe(Math.max(g.width, g.height));
    // A mask marking the bright "optic disc" (centre (210,120), r≈16.7) must land on the bright pixels of the render.
    const mask = { data: Buffer.alloc(W * H), width: W, height: H };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (Math.hypot(x - 210, y - 120) < 16) mask.data[y * W + x] = 255;
    for (const size of [64, 224]) {
      const im = await sharp(await renderImage(img, g, size, 'png'))
        .raw()
        .toBuffer({ resolveWithObject: true });
      const mkPng = await renderMask(mask, g, size);
      expect((await sharp(mkPng).metadata()).channels).toBe(1);
      const mk = await sharp(mkPng).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      expect([im.info.width, im.info.height, mk.info.width, mk.info.height, mk.info.channels]).toEqual([size, size, size, size, 1]);
      let inside = 0;
      let insideBright = 0;
      for (let i = 0; i < size * size; i++) {
        expect([0, 255]).toContain(mk.data[i]);
        if (mk.data[i]) {
          inside++;
          if (im.data[i * im.info.channels + 2]! > 150) insideBright++;
        }
      }
      expect(inside).toBeGreaterThan(0);
      expect(insideBright / inside).toBeGreaterThan(0.8); // any-coverage shrinking also sets the partly covered rim pixels
      const p = placement(g, size);
      expect(p.left + p.width + p.right).toBe(size);
      expect(p.top + p.height + p.bottom).toBe(size);
    }
  });

  it("shrinking a mask keeps every lesion pixel (any coverage = max pooling), equal to a naive OR over each target pixel's sources", async () => {
    const W = 1000;
    const H = 700;
    const mask = { data: Buffer.alloc(W * H), width: W, height: H };
    // Isolated single-pixel "microaneurysms" and one small blob.
    const dots = [
      [123, 77],
      [501, 350],
      [900, 640],
      [2, 3],
    ];
    for (const [x, y] of dots) mask.data[y! * W + x!] = 255;
    for (let y = 300; y < 304; y++) for (let x = 700; x < 705; x++) mask.data[y * W + x] = 255;
    const g = { left: 0, top: 0, width: W, height: H, side: W, padLeft: 0, padTop: 150 };
    for (const size of [32, 64, 224]) {
      const mk = await sharp(await renderMask(mask, g, size))
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
      const p = placement(g, size);
      const expected = new Uint8Array(size * size);
      for (let ty = 0; ty < p.height; ty++) {
        for (let tx = 0; tx < p.width; tx++) {
          // naive: every source pixel whose floor-mapped target is (tx, ty)
          for (let y = 0; y < H; y++) {
            if (Math.min(p.height - 1, Math.floor((y * p.height) / H)) !== ty) continue;
            for (let x = 0; x < W; x++)
              if (Math.min(p.width - 1, Math.floor((x * p.width) / W)) === tx && mask.data[y * W + x])
                expected[(p.top + ty) * size + p.left + tx] = 255;
          }
        }
      }
      expect(Array.from(mk.data)).toEqual(Array.from(expected));
      const set = Array.from(mk.data).filter((v) => v === 255).length;
      expect(set, `size ${size}`).toBeGreaterThanOrEqual(dots.length); // no dot vanished (they are far apart)
    }
  }, 60_000);

  it('keeps the full frame of an all-black image', async () => {
    const img = { data: Buffer.alloc(100 * 80 * 3), width: 100, height: 80, channels: 3 };
    expect(await fundusGeometry(img, { cropThreshold: 15, cropMargin: 0.02 })).toEqual({
      left: 0,
      top: 0,
      width: 100,
      height: 80,
      side: 100,
      padLeft: 0,
      padTop: 10,
    });
  });
});

describe('CSV reader', () => {
  it('handles BOM, CRLF, quotes, trailing empty columns and blank lines', () => {
    const t = parseCsv('\ufeffImage name,Retinopathy grade,Risk of macular edema ,,\r\nIDRiD_001,3,2,,\r\n\r\n"IDRiD_002, b",4,"1",,\r\n');
    expect(t.header).toEqual(['Image name', 'Retinopathy grade', 'Risk of macular edema']);
    expect(t.rows.map((r) => r.cells.slice(0, 3))).toEqual([
      ['IDRiD_001', '3', '2'],
      ['IDRiD_002, b', '4', '1'],
    ]);
    expect(columnIndex(t, 'risk of macular  edema')).toBe(2);
  });
});
