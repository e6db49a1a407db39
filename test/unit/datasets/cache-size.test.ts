/**
 * The size of the preprocessing cache: overlay copies never larger than the source's cropped square,
 * their formats (JPEG for images, lossless WebP for masks), training inputs whose pixels are exactly
 * those of a plain PNG render, the cache size the import records against the files on disk, and a
 * manifest of an older version (PNG overlays) still read by the viewer.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheFolderSizes } from '../../../src-main/cli/commands/bench-import';
import { formatImportResult } from '../../../src-main/cli/commands/import';
import { decodeImage, decodeMask, fundusGeometry, overlaySide, renderImage, renderMask } from '../../../src-main/services/datasets/image';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { datasetImage, listDatasets } from '../../../src-main/services/datasets/view/index';
import { writeEyepacsDemo, writeIdridDemo } from '../../../src-main/services/demo';
import { DatasetManifest, type ImportResult } from '../../../src-shared/datasets';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { DATA_DIR, realDataAvailable } from '../../support/real-data';
import { makeStudy } from '../../support/studies';

const LIMITS = { minSide: 1, maxSide: 100_000, maxAspect: 100 };
const CROP = { cropThreshold: 15, cropMargin: 0.02 };

async function manifestOf(r: ImportResult): Promise<DatasetManifest> {
  return DatasetManifest.parse(JSON.parse(await fsp.readFile(r.manifestPath, 'utf8')));
}

/** Every file under a folder with its size (the oracle of the recorded cache size). */
async function walk(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const sub = await walk(p);
      bytes += sub.bytes;
      files += sub.files;
    } else {
      bytes += (await fsp.stat(p)).size;
      files++;
    }
  }
  return { bytes, files };
}

let src: string;
let study: string;
let eyepacs: ImportResult;
let idrid: ImportResult;

beforeAll(async () => {
  src = await tempDir('cache-size-src');
  // 256-px sources (as EyePACS-256) and 1072 x 712 IDRiD-like photographs with masks, at the default settings (overlay 512 px).
  await writeEyepacsDemo(src, { patients: 3, size: 256, seed: 5, distribution: 'balanced' });
  await writeIdridDemo(src, { images: 2, size: 712, seed: 4 });
  study = await makeStudy();
  eyepacs = await importDataset(
    { type: 'eyepacs', path: path.join(src, 'eyepacs'), id: 'small', concurrency: 2 },
    study,
    recordingContext(),
  );
  idrid = await importDataset({ type: 'idrid-seg', path: path.join(src, 'idrid'), id: 'large', concurrency: 2 }, study, recordingContext());
}, 180_000);

describe('overlay copies', () => {
  it('are never larger than the cropped square of the source: a 256-px source gives an overlay of at most 256 px', async () => {
    const m = await manifestOf(eyepacs);
    expect(m.settings.overlaySize).toBe(512);
    for (const it of m.items) {
      const meta = await sharp(path.join(study, 'datasets', 'small', it.cache!.overlay)).metadata();
      // Oracle: the side of the crop square recorded in the manifest (the source has 256 px at most).
      expect(it.crop!.side).toBeLessThanOrEqual(256);
      expect([meta.width, meta.height]).toEqual([it.crop!.side, it.crop!.side]);
      expect(meta.format).toBe('jpeg');
      expect(it.cache!.overlay.endsWith('.overlay.jpg')).toBe(true);
    }
    expect(overlaySide(512, { side: 256 })).toBe(256);
    expect(overlaySide(512, { side: 2000 })).toBe(512);
  });

  it('of a large source are overlaySize px (JPEG); mask overlays lossless WebP with exactly the pixels of a PNG render', async () => {
    const m = await manifestOf(idrid);
    for (const it of m.items) {
      expect(it.crop!.side).toBeGreaterThan(512);
      const meta = await sharp(path.join(study, 'datasets', 'large', it.cache!.overlay)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 512, 512]);
      const image = await decodeImage(await fsp.readFile(path.join(src, 'idrid', it.source.file)), LIMITS);
      for (const mask of Object.values(it.masks!)) {
        const file = path.join(study, 'datasets', 'large', mask.cache!.overlay);
        expect((await sharp(file).metadata()).format).toBe('webp');
        // Oracle: the same mask rendered as PNG (lossless both ways: identical 0/255 pixels).
        const decoded = await decodeMask(await fsp.readFile(path.join(src, 'idrid', mask.source.file)), undefined, {
          width: image.width,
          height: image.height,
        });
        const png = await renderMask(decoded, it.crop!, 512, 'png');
        const a = await sharp(file).extractChannel(0).raw().toBuffer();
        const b = await sharp(png).extractChannel(0).raw().toBuffer();
        expect(a.length).toBe(512 * 512);
        expect(a.equals(b)).toBe(true);
        expect(a.some((v) => v !== 0 && v !== 255)).toBe(false);
        // The WebP is the smaller of the two lossless files.
        expect((await fsp.stat(file)).size).toBeLessThan(png.length);
      }
    }
  });
});

describe('training inputs', () => {
  /** Oracle: today's (before this version) input render, a plain PNG of the same pipeline, decoded. */
  async function plainPngPixels(buf: Buffer): Promise<{ pixels: Buffer; adaptive: Buffer }> {
    const img = await decodeImage(buf, LIMITS);
    const g = await fundusGeometry(img, CROP);
    const adaptive = await renderImage(img, g, 224, 'png');
    const raw = await sharp(adaptive).raw().toBuffer({ resolveWithObject: true });
    // The same pipeline encoded with sharp's default PNG options, as version 3 of the pipeline wrote it.
    const before = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .extract({ left: g.left, top: g.top, width: g.width, height: g.height })
      .resize(...resizeArgs(g))
      .extend(extendArgs(g))
      .png()
      .toBuffer();
    expect(raw.info.channels).toBe(3);
    return { pixels: await sharp(before).raw().toBuffer(), adaptive };
  }
  const placementOf = (g: { width: number; height: number; side: number; padLeft: number; padTop: number }) => {
    const s = 224 / g.side;
    const width = Math.max(1, Math.min(224, Math.round(g.width * s)));
    const height = Math.max(1, Math.min(224, Math.round(g.height * s)));
    const left = Math.min(224 - width, Math.round(g.padLeft * s));
    const top = Math.min(224 - height, Math.round(g.padTop * s));
    return { width, height, left, top, right: 224 - width - left, bottom: 224 - height - top };
  };
  const resizeArgs = (g: Parameters<typeof placementOf>[0]) => {
    const p = placementOf(g);
    return [p.width, p.height, { fit: 'fill' as const, kernel: 'lanczos3' as const }] as const;
  };
  const extendArgs = (g: Parameters<typeof placementOf>[0]) => {
    const p = placementOf(g);
    return { left: p.left, right: p.right, top: p.top, bottom: p.bottom, background: { r: 0, g: 0, b: 0, alpha: 1 } };
  };

  it('decode to exactly the uint8 pixels of the plain PNG render (synthetic images), and the files are smaller', async () => {
    for (const name of (await fsp.readdir(path.join(src, 'eyepacs', 'train'))).slice(0, 4)) {
      const buf = await fsp.readFile(path.join(src, 'eyepacs', 'train', name));
      const { pixels, adaptive } = await plainPngPixels(buf);
      expect((await sharp(adaptive).raw().toBuffer()).equals(pixels), name).toBe(true);
    }
  });

  it.skipIf(!realDataAvailable('eyepacs-256'))(
    'decode to exactly the pixels of the plain PNG render on real EyePACS images, at about two thirds of its size',
    { timeout: 60_000 },
    async () => {
      const dir = path.join(DATA_DIR, 'eyepacs-256', 'train');
      let adaptiveBytes = 0;
      let plainBytes = 0;
      for (const name of (await fsp.readdir(dir)).sort().slice(0, 12)) {
        const buf = await fsp.readFile(path.join(dir, name));
        const { pixels, adaptive } = await plainPngPixels(buf);
        expect((await sharp(adaptive).raw().toBuffer()).equals(pixels), name).toBe(true);
        adaptiveBytes += adaptive.length;
        plainBytes += (
          await sharp(pixels, { raw: { width: 224, height: 224, channels: 3 } })
            .png()
            .toBuffer()
        ).length;
      }
      // Measured 0.66 on these images (115 kB → 76 kB per image); the bound leaves room for libpng versions.
      expect(adaptiveBytes / plainBytes).toBeLessThan(0.8);
    },
  );
});

describe('cache size', () => {
  it('recorded at import equals the bytes and files of the cache folder on disk', async () => {
    for (const [r, id] of [
      [eyepacs, 'small'],
      [idrid, 'large'],
    ] as const) {
      const m = await manifestOf(r);
      const folder = path.join(study, 'datasets', id, 'cache', m.settingsKey);
      const disk = await walk(folder);
      expect(m.cacheSize).toEqual(disk);
      expect(r.cache).toEqual({ ...disk, bytesPerImage: Math.round(disk.bytes / m.items.length), folder });
      // The bench's walk by kind of file adds up to the same.
      const kinds = Object.values(await cacheFolderSizes(folder));
      expect(kinds.reduce((a, k) => a + k.bytes, 0)).toBe(disk.bytes);
      expect(formatImportResult(r)).toContain(`cache `);
      // The only other thing in the cache folder is nothing: one settings folder.
      expect(await fsp.readdir(path.join(study, 'datasets', id, 'cache'))).toEqual([m.settingsKey]);
    }
    // Per image of a 256-px source: the input PNG, an overlay JPEG of at most 256 px and the entry.
    expect(eyepacs.cache!.bytesPerImage).toBeLessThan(150_000);
  });

  it('is in the dataset list (bytes, files, per image); absent for a validate-only import', async () => {
    const list = await listDatasets(study);
    const small = list.find((d) => d.id === 'small');
    expect(small?.readable && small.cacheSize).toEqual({
      bytes: eyepacs.cache!.bytes,
      files: eyepacs.cache!.files,
      bytesPerImage: eyepacs.cache!.bytesPerImage,
    });
    const other = await makeStudy();
    const v = await importDataset(
      { type: 'eyepacs', path: path.join(src, 'eyepacs'), id: 'v', preprocess: false },
      other,
      recordingContext(),
    );
    expect(v.cache).toBeNull();
    const listed = (await listDatasets(other))[0]!;
    expect(listed.readable && listed.cacheSize).toBeNull();
  });

  it('format jpeg still works: JPEG inputs and overlays, sizes recorded', async () => {
    const other = await makeStudy();
    const r = await importDataset(
      { type: 'eyepacs', path: path.join(src, 'eyepacs'), id: 'j', settings: { format: 'jpeg' }, concurrency: 2 },
      other,
      recordingContext(),
    );
    const m = await manifestOf(r);
    for (const it of m.items) {
      expect(it.cache!.input.endsWith('.input.jpg')).toBe(true);
      const meta = await sharp(path.join(other, 'datasets', 'j', it.cache!.input)).metadata();
      expect([meta.format, meta.width]).toEqual(['jpeg', 224]);
    }
    expect(m.cacheSize).toEqual(await walk(path.join(other, 'datasets', 'j', 'cache', m.settingsKey)));
  });
});

describe('a manifest of an older version (PNG overlays of 512 px, no cache size)', () => {
  it('is still read by the viewer, which goes by the file names the manifest records', async () => {
    const other = await makeStudy();
    const r = await importDataset(
      { type: 'eyepacs', path: path.join(src, 'eyepacs'), id: 'old', concurrency: 2 },
      other,
      recordingContext(),
    );
    const m = await manifestOf(r);
    const dir = path.join(other, 'datasets', 'old');
    // Make it what version 3 wrote: every overlay a 512-px PNG named .overlay.png (upscaled), recorded with its hash.
    const items = [];
    for (const it of m.items) {
      const image = await decodeImage(await fsp.readFile(path.join(src, 'eyepacs', it.source.file)), LIMITS);
      const png = await renderImage(image, it.crop!, 512, 'png');
      const rel = it.cache!.overlay.replace(/\.overlay\.jpg$/, '.overlay.png');
      await fsp.writeFile(path.join(dir, rel), png);
      await fsp.rm(path.join(dir, it.cache!.overlay));
      items.push({ ...it, cache: { ...it.cache!, overlay: rel, overlaySha256: createHash('sha256').update(png).digest('hex') } });
    }
    const { cacheSize: _dropped, ...rest } = m;
    await fsp.writeFile(r.manifestPath, JSON.stringify({ ...rest, items }));
    const first = items[0]!;
    const answer = await datasetImage({ studyPath: other, datasetId: 'old', itemId: first.id, variant: 'overlay' });
    expect([answer.width, answer.height]).toEqual([512, 512]);
    // Oracle: the PNG's own pixels (the viewer returns the native size unchanged, as a PNG).
    const shown = await sharp(Buffer.from(answer.dataUrl.split(',')[1]!, 'base64'))
      .raw()
      .toBuffer();
    expect(shown.equals(await sharp(path.join(dir, first.cache.overlay)).raw().toBuffer())).toBe(true);
    const listed = (await listDatasets(other)).find((d) => d.id === 'old');
    expect(listed?.readable && listed.cacheSize).toBeNull();
  });
});
