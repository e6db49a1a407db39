/**
 * `funduslab bench import [--images N] [--unique N] [--source-size WxH|N] [--style natural|equalised]
 * [--concurrency N] [--dir <folder>] [--json]`
 * — what an import costs at scale: N synthetic EyePACS-layout photographs (camera-sized JPEGs by default,
 * made from `--unique` photographs of the demo's generator: writeBenchSource) are written, then imported
 * into a fresh study at the default settings, and the
 * import's speed (images/s) and its preprocessing cache (bytes in all, per image and per kind of
 * file) are printed. The cache is measured twice: the size the import records in the manifest and a
 * walk of the cache folder, which must agree. Not a test: a figure to compare before and after a
 * change to the preprocessing (target: at most 150 kB per image at the default sizes).
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decimalBytes, PreprocessSettings } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { defaultConcurrency, importDataset } from '../../services/datasets/import/import-service';
import { mixSeedPair, renderFundus, type Grade } from '../../services/demo';
import { StudyService } from '../../services/study-folder/study-service';
import { APP_VERSION } from '../../version';
import { parseCommandArgs } from '../args';
import { stderrProgress } from '../progress';
import { demoSize } from './demo-data';

export const BENCH_IMPORT_USAGE =
  'funduslab bench import [--images N] [--unique N] [--source-size WxH|N] [--style natural|equalised] [--concurrency N] [--dir <folder>] [--json]';

/** The target of the preprocessing cache per image at the default settings (bytes). */
export const CACHE_TARGET_BYTES_PER_IMAGE = 150_000;

export interface BenchImportReport {
  images: number;
  sourceSize: string;
  style: 'natural' | 'equalised';
  sourceBytes: number;
  settings: PreprocessSettings;
  concurrency: number;
  cpus: number;
  generateSeconds: number;
  importSeconds: number;
  imagesPerSecond: number;
  /** What the import recorded (manifest `cacheSize`). */
  cacheBytes: number;
  cacheFiles: number;
  bytesPerImage: number;
  /** A walk of the cache folder: bytes and files per kind (`input`, `overlay`, `entry`, `other`). */
  onDisk: Record<string, { bytes: number; files: number }>;
  targetBytesPerImage: number;
  withinTarget: boolean;
}

/** Bytes and files of a cache folder by kind of file (from the names Cache gives them). */
export async function cacheFolderSizes(folder: string): Promise<Record<string, { bytes: number; files: number }>> {
  const out: Record<string, { bytes: number; files: number }> = {};
  for (const shard of await fsp.readdir(folder).catch(() => [] as string[])) {
    for (const name of await fsp.readdir(path.join(folder, shard))) {
      const kind = /\.input\.[a-z]+$/.test(name)
        ? 'input'
        : /\.overlay\.[a-z]+$/.test(name)
          ? 'overlay'
          : name.endsWith('.json')
            ? 'entry'
            : 'other';
      const size = (await fsp.stat(path.join(folder, shard, name))).size;
      const k = (out[kind] ??= { bytes: 0, files: 0 });
      k.bytes += size;
      k.files++;
    }
  }
  return out;
}

/**
 * An EyePACS-layout source of `images` JPEGs (quality 90, 4:2:0, as demo-data writes them): `unique` synthetic
 * photographs drawn by the demo's renderFundus (about 3 s each at 2000 x 1500), and every image one of them
 * turned by its own small angle (-12° to 12°), mirrored for the other eye and brightened or darkened by up to 8 %
 * (libvips, a few tens of ms), so each file has its own content (the cache is named by content) and the
 * statistics of a real photograph: no two files share a cache entry.
 */
export async function writeBenchSource(
  root: string,
  o: { images: number; unique: number; size: number | { width: number; height: number }; style: 'natural' | 'equalised' },
  signal: AbortSignal,
  progress: (done: number, total: number, message: string) => void,
): Promise<void> {
  const train = path.join(root, 'train');
  await fsp.mkdir(train, { recursive: true });
  const unique = Math.min(o.unique, o.images);
  const bases: { rgb: Buffer; width: number; height: number; grade: Grade }[] = [];
  const total = unique + o.images;
  for (let k = 0; k < unique; k++) {
    if (signal.aborted) throw new AppError('CANCELLED', 'Cancelled while generating the images.');
    const grade = (k % 5) as Grade;
    const img = renderFundus({ size: o.size, grade, eye: 'left', seed: mixSeedPair(1, k), style: o.style });
    bases.push({ rgb: Buffer.from(img.rgb.buffer, img.rgb.byteOffset, img.rgb.byteLength), width: img.width, height: img.height, grade });
    progress(k + 1, total, `photograph ${k + 1} of ${unique}`);
  }
  const rows: string[] = [];
  for (let i = 0; i < o.images; i++) {
    if (signal.aborted) throw new AppError('CANCELLED', 'Cancelled while generating the images.');
    const b = bases[i % unique]!;
    const variant = Math.floor(i / unique);
    const angle = ((variant * 7919 + i * 31) % 241) / 10 - 12;
    const brightness = 0.92 + ((variant * 104729 + i * 17) % 161) / 1000;
    const eye = i % 2 === 0 ? 'left' : 'right';
    let p = sharp(b.rgb, { raw: { width: b.width, height: b.height, channels: 3 } }).rotate(angle, { background: '#000000' });
    if (eye === 'right') p = p.flop();
    const { data, info } = await p.modulate({ brightness }).raw().toBuffer({ resolveWithObject: true });
    // Back to the photograph's size (a turn enlarges the frame), centred.
    const left = Math.max(0, Math.floor((info.width - b.width) / 2));
    const top = Math.max(0, Math.floor((info.height - b.height) / 2));
    const name = `bench${String(Math.floor(i / 2) + 1).padStart(6, '0')}_${eye}`;
    await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 } })
      .extract({ left, top, width: Math.min(b.width, info.width), height: Math.min(b.height, info.height) })
      .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
      .toFile(path.join(train, `${name}.jpeg`));
    rows.push(`${name},${b.grade}`);
    progress(unique + i + 1, total, `${name}.jpeg`);
  }
  await fsp.writeFile(path.join(root, 'trainLabels.csv'), ['image,level', ...rows].join('\r\n') + '\r\n');
  await fsp.writeFile(
    path.join(root, 'SYNTHETIC.txt'),
    `SYNTHETIC images written by funduslab bench import (${o.images} images from ${unique} synthetic photographs); not patient data.\n`,
  );
}

function positive(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1 || v > max)
    throw new AppError('BAD_REQUEST', `--${name} must be an integer from 1 to ${max}, got ${raw}`, [
      { path: name, message: `integer 1-${max}` },
    ]);
  return v;
}

export async function runBenchImport(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    images: { type: 'string' },
    unique: { type: 'string' },
    'source-size': { type: 'string', default: '2000x1500' },
    style: { type: 'string', default: 'natural' },
    concurrency: { type: 'string' },
    dir: { type: 'string' },
  });
  const images = positive('images', values.images, 10_000, 1_000_000);
  const unique = positive('unique', values.unique, 24, 1_000_000);
  const concurrency = positive('concurrency', values.concurrency, defaultConcurrency(), 64);
  const size = demoSize(values['source-size']);
  const style = values.style;
  if (style !== 'natural' && style !== 'equalised')
    throw new AppError('BAD_REQUEST', `--style must be natural or equalised, got ${style}`, [
      { path: 'style', message: 'natural | equalised' },
    ]);
  const sourceSize = typeof size === 'number' ? `${size}x${size}` : `${size.width}x${size.height}`;
  const base = values.dir ? path.resolve(values.dir) : await fsp.mkdtemp(path.join(os.tmpdir(), 'funduslab-bench-import-'));
  if (values.dir) {
    const entries = await fsp.readdir(base).catch(() => null);
    if (entries && entries.length > 0)
      throw new AppError(
        'CONFLICT',
        `--dir ${base} is not empty: give a new or empty folder (the benchmark writes its images and study there).`,
        [{ path: 'dir', message: 'not empty' }],
      );
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  const bar = stderrProgress('bench import', !values.json);
  try {
    // Generation (not measured as import time).
    const t0 = performance.now();
    const source = path.join(base, 'data', 'eyepacs');
    await writeBenchSource(source, { images, unique, size, style }, controller.signal, (done, total, message) =>
      bar.update(done, total, `generating: ${message}`),
    );
    const generateSeconds = (performance.now() - t0) / 1000;
    let sourceBytes = 0;
    for (const name of await fsp.readdir(path.join(source, 'train')))
      sourceBytes += (await fsp.stat(path.join(source, 'train', name))).size;

    const study = path.join(base, 'study');
    await new StudyService({ appVersion: APP_VERSION }).create(study, 'bench import');
    const t1 = performance.now();
    const result = await importDataset({ type: 'eyepacs', path: source, id: 'bench', concurrency }, study, {
      progress: (done, total, message) => bar.update(done, total, `importing: ${message}`),
      log: () => {},
      signal: controller.signal,
    });
    const importSeconds = (performance.now() - t1) / 1000;
    bar.end();
    if (!result.cache) throw new AppError('INTERNAL', 'The import recorded no cache size.');
    const onDisk = await cacheFolderSizes(result.cache.folder);
    const report: BenchImportReport = {
      images: result.imported,
      sourceSize,
      style,
      sourceBytes,
      settings: PreprocessSettings.parse({}),
      concurrency,
      cpus: os.availableParallelism(),
      generateSeconds,
      importSeconds,
      imagesPerSecond: result.imported / importSeconds,
      cacheBytes: result.cache.bytes,
      cacheFiles: result.cache.files,
      bytesPerImage: result.cache.bytesPerImage,
      onDisk,
      targetBytesPerImage: CACHE_TARGET_BYTES_PER_IMAGE,
      withinTarget: result.cache.bytesPerImage <= CACHE_TARGET_BYTES_PER_IMAGE,
    };
    if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: report }, null, 2) + '\n');
    else process.stdout.write(formatBenchImport(report) + '\n');
    return 0;
  } finally {
    bar.end();
    process.off('SIGINT', stop);
    if (!values.dir) await fsp.rm(base, { recursive: true, force: true });
  }
}

export function formatBenchImport(r: BenchImportReport): string {
  const s = r.settings;
  const per = (bytes: number) => decimalBytes(Math.round(bytes / r.images));
  const lines = [
    `Import of ${r.images} synthetic ${r.sourceSize} ${r.style} JPEGs (${decimalBytes(r.sourceBytes)}, ${per(r.sourceBytes)} per image) at the default settings` +
      ` (${s.inputSize} px input ${s.format.toUpperCase()}, overlay ≤ ${s.overlaySize} px JPEG), ${r.concurrency} at a time on ${r.cpus} CPUs, libvips ${sharp.versions.vips ?? '?'}:`,
    `  speed     ${r.imagesPerSecond.toFixed(1)} images/s (${r.importSeconds.toFixed(1)} s; generating them took ${r.generateSeconds.toFixed(1)} s)`,
    `  cache     ${decimalBytes(r.cacheBytes)} in ${r.cacheFiles} files: ${decimalBytes(r.bytesPerImage)} per image (${r.bytesPerImage} B; target ≤ ${decimalBytes(r.targetBytesPerImage)}: ${r.withinTarget ? 'met' : 'NOT met'})`,
  ];
  for (const [kind, v] of Object.entries(r.onDisk).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${kind.padEnd(9)} ${decimalBytes(v.bytes)} in ${v.files} files, ${per(v.bytes)} per image`);
  return lines.join('\n');
}
