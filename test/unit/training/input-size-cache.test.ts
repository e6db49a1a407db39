/**
 * One preprocessing per input size: a dataset imported at 128 px and trained, pretrained and analysed
 * at 64 px reads its images from the cache at 64 px made from the source images on demand. Oracle: a
 * fresh import of the same source at 64 px (the other settings as the 128-px import's) — the pixels
 * training, MoCo pretraining, evaluate and the spectra read (captured at ImageSource.get) are
 * byte-identical uint8 to that import's cache images decoded, and the files themselves are identical.
 * A second run preprocesses nothing (its log says it reused the images), every consumer records the
 * cache in its preprocessing.json, and a re-import keeps the 64-px folder (less the files of an image
 * no longer in the dataset). The import-size path is unchanged: decoding without the former resize
 * gives the same bytes as with it, and ImageSource refuses a cache image of another size.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatImportResult } from '../../../src-main/cli/commands/import';
import { initEngine } from '../../../src-main/engine/backend';
import { detachedContext } from '../../../src-main/job-context';
import { runSpectra, spectraName } from '../../../src-main/analysis/spectra/service';
import { settingsKey } from '../../../src-main/services/datasets/cache';
import { datasetAtInputSize } from '../../../src-main/services/datasets/at-input-size';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { readDatasetManifest } from '../../../src-main/services/datasets/manifest-file';
import { writeEyepacsDemo } from '../../../src-main/services/demo';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import { StoredRunSplit } from '../../../src-main/services/runs/identity';
import { runTraining } from '../../../src-main/services/training';
import { runDetail } from '../../../src-main/services/training/grid';
import { ImageSource, type TrainingItem } from '../../../src-main/services/training/data';
import { pretrainId, runPretraining } from '../../../src-main/services/training/pretrain';
import { PreprocessingRecord, type DatasetManifest } from '../../../src-shared/datasets';
import { TrainingSpec } from '../../../src-shared/training';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, makeStudy, readManifest } from '../../support/studies';

const IMPORT = 128;
const S = 64;
let study: string;
let source: string;
/** The oracle: the same source imported at 64 px. */
let direct: DatasetManifest;
/** Pixels ImageSource handed out during the last capture: image id → file and uint8 pixels. */
let seen = new Map<string, { file: string; pixels: Uint8Array }>();

const settings = { inputSize: IMPORT, overlaySize: 64 };
const spec = (over: Parameters<typeof demoSpec>[0] = {}) => demoSpec({ inputSize: S, epochs: 1, batchSize: 8, ...over });

/** Decodes a cache file as training does (uint8 RGB), without any resize. */
async function decoded(file: string): Promise<Uint8Array> {
  const { data } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

/** Records what every ImageSource.get returns while `fn` runs. */
async function capture<T>(fn: () => Promise<T>): Promise<T> {
  seen = new Map();
  const original = ImageSource.prototype.get;
  const spy = vi.spyOn(ImageSource.prototype, 'get').mockImplementation(async function (this: ImageSource, item: TrainingItem) {
    const pixels = await original.call(this, item);
    seen.set(item.id, { file: item.file, pixels: Uint8Array.from(pixels) });
    return pixels;
  });
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

/** Every captured image equals the 64-px import's: same file bytes, same decoded uint8 pixels. */
async function expectOracle(): Promise<void> {
  expect(seen.size).toBeGreaterThan(0);
  const byId = new Map(direct.items.map((it) => [it.id, it]));
  for (const [id, got] of seen) {
    const file = path.join(study, 'datasets', 'direct64', byId.get(id)!.cache!.input);
    expect((await fsp.readFile(got.file)).equals(await fsp.readFile(file)), `${id}: cache file`).toBe(true);
    const want = await decoded(file);
    expect(got.pixels.length, id).toBe(S * S * 3);
    expect(Buffer.from(got.pixels).equals(Buffer.from(want)), `${id}: pixels`).toBe(true);
  }
}

const record = async (file: string) => PreprocessingRecord.parse(JSON.parse(await fsp.readFile(file, 'utf8')));

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  const root = await tempDir('sizes');
  await writeEyepacsDemo(path.join(root, 'src'), { patients: 20, size: 160, seed: 5, distribution: 'balanced' });
  source = path.join(root, 'src', 'eyepacs');
  study = await makeStudy();
  await importDataset({ type: 'eyepacs', path: source, id: 'demo', settings, concurrency: 2 }, study, detachedContext());
  await importDataset(
    { type: 'eyepacs', path: source, id: 'direct64', settings: { ...settings, inputSize: S }, concurrency: 2 },
    study,
    detachedContext(),
  );
  direct = await readManifest(study, 'direct64');
}, 120_000);

afterEach(() => vi.restoreAllMocks());

describe('training at another size than the import', () => {
  let ctx: ReturnType<typeof recordingContext>;
  let trainIds: string[];

  beforeAll(async () => {
    ctx = recordingContext();
    await capture(() => runTraining(spec(), study, ctx, { runId: 'r1' }));
    const split = StoredRunSplit.parse(JSON.parse(await fsp.readFile(path.join(study, 'runs', 'r1', 'split.json'), 'utf8')));
    trainIds = [...split.train, ...split.validation].sort();
  }, 120_000);

  it('reads exactly the pixels of a fresh import at 64 px, for every training and validation image', async () => {
    expect([...seen.keys()].sort()).toEqual(trainIds);
    await expectOracle();
    expect(ctx.messages.join('\n')).toContain(`preprocessed ${trainIds.length} images at ${S} px`);
    expect(ctx.progress_.some((p) => p.includes(`Preprocessing ${trainIds.length} image(s) of dataset "demo" at ${S} px`))).toBe(true);
  });

  it('differs from resampling the 128-px cache (what training did before), so the oracle can tell', async () => {
    const m = await readManifest(study, 'demo');
    let differing = 0;
    for (const item of m.items.filter((it) => seen.has(it.id))) {
      const { data } = await sharp(path.join(study, 'datasets', 'demo', item.cache!.input))
        .removeAlpha()
        .toColourspace('srgb')
        .resize(S, S, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (!data.equals(Buffer.from(seen.get(item.id)!.pixels))) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });

  it('records the cache it read in runs/<id>/preprocessing.json', async () => {
    const r = await record(path.join(study, 'runs', 'r1', 'preprocessing.json'));
    expect(r.caches).toEqual([
      {
        datasetId: 'demo',
        inputSize: S,
        importSize: IMPORT,
        settingsKey: direct.settingsKey,
        resampling: 'from source',
        images: trainIds.length,
      },
    ]);
    // The app's run details carry it.
    expect((await runDetail(study, 'r1')).preprocessing).toEqual(r.caches);
  });

  it('evaluate reads the same pixels for the same images', async () => {
    const training = seen;
    const reports: { preprocessed: number; reused: number }[] = [];
    const result = await capture(() =>
      evaluateRun({ runId: 'r1', datasetId: 'demo', split: 'train' }, study, recordingContext(), {
        preprocessOnDemand: true,
        onPreprocessed: (r) => reports.push(r),
      }),
    );
    expect(reports[0]!.preprocessed).toBe(0); // the training's images, already at 64 px
    for (const [id, t] of training) expect(Buffer.from(seen.get(id)!.pixels).equals(Buffer.from(t.pixels)), id).toBe(true);
    await expectOracle();
    const r = await record(path.join(result.files.dir, 'preprocessing.json'));
    expect(r.caches[0]).toMatchObject({ datasetId: 'demo', inputSize: S, importSize: IMPORT, settingsKey: direct.settingsKey });
  });

  it('a second run preprocesses nothing: it reuses the 64-px cache', async () => {
    const again = recordingContext();
    await capture(() => runTraining(spec({ seed: 4 }), study, again, { runId: 'r2' }));
    const log = again.messages.join('\n');
    expect(log).toMatch(new RegExp(`reused ${seen.size} images preprocessed at ${S} px before`));
    expect(log).not.toMatch(/: preprocessed \d+ image/);
    await expectOracle();
  });

  it('a run at the import size reads the import cache as it is (no preprocessing, no record of another key)', async () => {
    const at = recordingContext();
    await capture(() => runTraining(spec({ inputSize: IMPORT, arch: 'resnet18-w4', batchSize: 4 }), study, at, { runId: 'r128' }));
    expect(at.messages.join('\n')).not.toMatch(/preprocessed|reused \d+ images/);
    const m = await readManifest(study, 'demo');
    for (const item of m.items.filter((it) => seen.has(it.id)))
      expect(seen.get(item.id)!.file).toBe(path.join(study, 'datasets', 'demo', item.cache!.input));
    const r = await record(path.join(study, 'runs', 'r128', 'preprocessing.json'));
    expect(r.caches[0]).toMatchObject({ inputSize: IMPORT, importSize: IMPORT, settingsKey: m.settingsKey });
  });

  it('the spectra at the run size use the on-demand cache and record it', async () => {
    const ctx2 = recordingContext();
    const request = { runId: 'r1', datasetId: 'demo', images: 6, k: 4, seed: 1 };
    await capture(() => runSpectra(request, study, ctx2));
    expect(seen.size).toBe(6);
    await expectOracle();
    const r = await record(path.join(study, 'spectra', spectraName(request).name, 'preprocessing.json'));
    expect(r.caches).toEqual([
      { datasetId: 'demo', inputSize: S, importSize: IMPORT, settingsKey: direct.settingsKey, resampling: 'from source', images: 6 },
    ]);
  });
});

describe('preprocessing for a run', () => {
  it('can be cancelled, and the run does not start', async () => {
    const ctx = recordingContext();
    const progress = ctx.progress;
    ctx.progress = (d, t, m) => {
      progress(d, t, m);
      if (m?.startsWith('Preprocessing') && d >= 2) ctx.controller.abort();
    };
    await expect(runTraining(spec({ inputSize: 96 }), study, ctx, { runId: 'cancelled96' })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(path.join(study, 'runs', 'cancelled96', 'metrics.json'))).toBe(false);
    expect(existsSync(path.join(study, 'runs', 'cancelled96', 'checkpoint'))).toBe(false);
  }, 60_000);
});

describe('MoCo pretraining at another size than the import', () => {
  it('reads the 64-px pixels of a fresh import and records the cache in its folder', async () => {
    const cl = TrainingSpec.parse(
      spec({
        strategy: 'IWNE-CL',
        arch: 'resnet18-w4',
        moco: { epochs: 1, batchSize: 8, queueSize: 64, optimizer: 'adamw', lr: 3e-3, augmentation: {}, dim: 16, mlpHidden: 16 },
      }),
    );
    await capture(() => runPretraining(cl, study, recordingContext()));
    await expectOracle();
    const r = await record(path.join(study, 'pretrain', pretrainId(cl).id, 'preprocessing.json'));
    expect(r.caches[0]).toMatchObject({ datasetId: 'demo', inputSize: S, importSize: IMPORT, settingsKey: direct.settingsKey });
    expect(r.caches[0]!.images).toBe(seen.size);
  }, 120_000);
});

describe('a dataset keeps its caches at several sizes', () => {
  const folder = (id: string, key: string) => path.join(study, 'datasets', id, 'cache', key);
  async function files(dir: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const shard of await fsp.readdir(dir).catch(() => [] as string[]))
      for (const f of await fsp.readdir(path.join(dir, shard)))
        out.set(`${shard}/${f}`, (await fsp.readFile(path.join(dir, shard, f))).toString('base64'));
    return out;
  }

  it('a re-import with unchanged content keeps the 64-px folder byte for byte and reports both sizes', async () => {
    // The 64-px images the runs above made (made here when this test runs alone).
    await datasetAtInputSize(await readDatasetManifest(study, 'demo'), S, { select: (_it, i) => i % 2 === 0 }, detachedContext());
    const key64 = settingsKey({ ...(await readManifest(study, 'demo')).settings, inputSize: S });
    const before = await files(folder('demo', key64));
    expect(before.size).toBeGreaterThan(0);
    // A folder of other settings (another crop margin) can never be read again: it goes.
    const stale = folder('demo', settingsKey({ ...(await readManifest(study, 'demo')).settings, cropMargin: 0.3 }));
    await fsp.mkdir(path.join(stale, 'aa'), { recursive: true });
    await fsp.writeFile(path.join(stale, 'aa', 'x.png'), 'x');
    const result = await importDataset({ type: 'eyepacs', path: source, id: 'demo', settings, concurrency: 2 }, study, detachedContext());
    expect(result.processed).toBe(0);
    expect(await files(folder('demo', key64))).toEqual(before);
    expect(existsSync(stale)).toBe(false);
    const m = await readManifest(study, 'demo');
    const images = [...before.keys()].filter((k) => /^[0-9a-f]{2}\/[0-9a-f]{64}\.json$/.test(k)).length;
    expect(result.cacheSizes!.filter((c) => c.inputSize !== 96).map((c) => [c.inputSize, c.imported, c.settingsKey, c.images])).toEqual([
      [S, false, key64, images],
      [IMPORT, true, m.settingsKey, m.items.length],
    ]);
    expect(formatImportResult(result)).toContain(`also cached at ${S} px (${images} images`);
    const bytes = [...before.values()].reduce((s, b) => s + Buffer.from(b, 'base64').length, 0);
    expect(result.cacheSizes!.find((c) => c.inputSize === S)!.bytes).toBe(bytes);
  }, 60_000);

  it('a re-import without one image removes only that image’s files from the 64-px folder', async () => {
    const copy = path.join(await tempDir('sizes-copy'), 'eyepacs');
    await fsp.cp(source, copy, { recursive: true });
    await importDataset({ type: 'eyepacs', path: copy, id: 'shrinks', settings, concurrency: 2 }, study, detachedContext());
    const loaded = await readDatasetManifest(study, 'shrinks');
    await datasetAtInputSize(loaded, S, { select: () => true }, detachedContext());
    const key64 = settingsKey({ ...loaded.manifest.settings, inputSize: S });
    const before = await files(folder('shrinks', key64));
    const gone = loaded.manifest.items[0]!;
    await fsp.rm(path.join(copy, ...gone.source.file.split('/')));
    await importDataset({ type: 'eyepacs', path: copy, id: 'shrinks', settings, concurrency: 2, replace: true }, study, detachedContext());
    const after = await files(folder('shrinks', key64));
    const expected = new Map([...before].filter(([k]) => !k.includes(gone.source.sha256)));
    expect(expected.size).toBeLessThan(before.size);
    expect(after).toEqual(expected);
  }, 60_000);
});

describe('ImageSource', () => {
  it('at the import size decodes the same bytes as the former resize to the same size did', async () => {
    const m = await readManifest(study, 'demo');
    for (const item of m.items.slice(0, 6)) {
      const file = path.join(study, 'datasets', 'demo', item.cache!.input);
      const { data } = await sharp(file)
        .removeAlpha()
        .toColourspace('srgb')
        .resize(IMPORT, IMPORT, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const got = await new ImageSource(IMPORT, 0).get({ index: 0, id: item.id, grade: 0, file });
      expect(Buffer.from(got).equals(data), item.id).toBe(true);
    }
  });

  it('refuses a cache image of another size, naming the file', async () => {
    const m = await readManifest(study, 'demo');
    const file = path.join(study, 'datasets', 'demo', m.items[0]!.cache!.input);
    await expect(new ImageSource(S, 0).get({ index: 0, id: m.items[0]!.id, grade: 0, file })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining(`${file}) is ${IMPORT}x${IMPORT} px`),
    });
  });
});
