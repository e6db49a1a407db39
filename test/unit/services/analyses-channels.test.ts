/**
 * The read-only channels of the Spectra, Robustness, Explanations and Report pages, called through
 * the same composition root and dispatcher as the app (composeApp → dispatch) on a study with
 * hand-written result folders (each parsed by its zod schema before it is written, so they are what
 * the services write). Oracles: the objects and bytes written here — lists equal the valid results
 * and skip broken/hidden folders, a gallery image and a report come back byte for byte, a heatmap
 * equals the float32 values written (exactly representable values, so equality is exact) and its
 * masks the pixels painted into the mask PNGs; names, files and image ids that are not part of a
 * result are refused before any other file is read; shell.openPath opens only PDFs and folders and
 * is UNSUPPORTED without a shell (browser mode). The reader module does not pull @tensorflow.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComposedApp, ShellAdapter } from '../../../src-main/host/compose';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import { DATASET_SCHEMA_VERSION, DatasetManifest } from '../../../src-shared/datasets';
import { EXPLANATION_SCHEMA_VERSION, ExplanationResult } from '../../../src-shared/explanations';
import { RobustnessResult } from '../../../src-shared/robustness';
import { SPECTRA_SCHEMA_VERSION, SpectraResult } from '../../../src-shared/spectra';
import { TrainingResult, TrainingSpec } from '../../../src-shared/training';
import { callChannel, testApp } from '../../support/app';
import { REPO_ROOT, tempDir } from '../../support/files';

let root: string;
let study: string;
let browserApp: ComposedApp;
let desktopApp: ComposedApp;
const opened: string[] = [];
let shellAnswer = '';

/** The app in browser mode, or as the desktop app with `shell`; its worker never starts: these channels read files only. */
function compose(shell: ShellAdapter | null) {
  return testApp({ dataDir: path.join(root, shell ? 'home-desktop' : 'home-browser'), preferredBackend: 'auto', shell });
}

const call = (channel: string, payload: unknown, app = browserApp) => callChannel(app, channel, payload);

async function writeJson(file: string, value: unknown) {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, JSON.stringify(value, null, 2));
}

const NORM = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], source: 'dataset' };

function spectra(runId: string, strategy: 'IWNE-FS' | 'IWNE-CL'): SpectraResult {
  return SpectraResult.parse({
    schemaVersion: SPECTRA_SCHEMA_VERSION,
    name: `${runId}__demo`,
    n: 4,
    inputSize: 32,
    k: 3,
    percentiles: { high: 99.9, low: 90 },
    bins: 3,
    gramPrecision: 'float64',
    backend: 'cpu',
    layers: [
      {
        name: 'conv1',
        kind: 'conv',
        moduleIndex: 0,
        shape: [16, 16, 8],
        features: 2048,
        constantFeatures: 0,
        k: 3,
        eigenvalues: [4, 2, 1],
        kappa: 1.5,
        pHigh: 3,
        pLow: 2,
      },
      {
        name: 'fc',
        kind: 'linear',
        moduleIndex: 1,
        shape: [5],
        features: 5,
        constantFeatures: 1,
        k: 3,
        eigenvalues: [2, 1, 0.5],
        kappa: 2,
        pHigh: 2,
        pLow: 1,
      },
    ],
    firstLayer: {
      layer: 'conv1',
      eigenvalues: [4, 2, 1],
      mirrored: { x: [-3, -2, -1, 1, 2, 3], density: [1 / 14, 1 / 7, 2 / 7, 2 / 7, 1 / 7, 1 / 14] },
      kurtosis: -1.25,
      fitSample: { values: [1, 2, 3], weights: [5000, 3000, 2000] },
      histogram: { edges: [1, 1.5, 2, 3], centres: [1.25, 1.75, 2.5], density: [1, 0.5, 0.25] },
      fits: [
        {
          distribution: 'expon',
          names: ['loc', 'scale'],
          params: [1, 0.75],
          logLikelihood: -3,
          rss: 0.125,
          method: 'closed-form',
          iterations: 0,
          converged: true,
          pdfAtCentres: [1, 0.5, 0.25],
        },
      ],
      failed: [],
      best: 'expon',
      paretoAlpha: null,
    },
    timings: { dataMs: 1, forwardMs: 2, gramMs: 3, eigenMs: 4, fitMs: 5, totalMs: 15, forwardPasses: 1 },
    run: { runId, strategy, fraction: 1, seed: 0, arch: 'resnet18-w8', normalisation: NORM },
    dataset: { datasetId: 'demo', split: 'test', available: 10, seed: 0, imageIds: ['a', 'b', 'c', 'd'] },
    created: '2026-01-02T03:04:05.000Z',
  });
}

const ROBUSTNESS_NAME = 'demo__0123456789';
function robustness(): RobustnessResult {
  const cells = [
    { corruption: 'clean', severity: 0, meanTrueClassProbability: 0.75, auc: 0.875 },
    { corruption: 'pixelate', severity: 1, meanTrueClassProbability: 0.5, auc: 0.625 },
  ];
  return RobustnessResult.parse({
    schemaVersion: 1,
    name: ROBUSTNESS_NAME,
    datasetId: 'demo',
    split: 'test',
    images: 4,
    positives: 2,
    seed: 0,
    corruptions: ['pixelate'],
    severities: [1],
    models: [
      { runId: 'iwne-fs-r', strategy: 'IWNE-FS', fraction: 1, seed: 0, arch: 'resnet18-w8', inputSize: 32, referable: [3, 4], cells },
      { runId: 'iwne-cl-r', strategy: 'IWNE-CL', fraction: 1, seed: 0, arch: 'resnet18-w8', inputSize: 32, referable: [3, 4], cells },
    ],
    fig4: [
      {
        initialisation: 'IWNE',
        fraction: 1,
        seed: 0,
        cl: 'iwne-cl-r',
        fs: 'iwne-fs-r',
        cells: [{ corruption: 'pixelate', severity: 1, difference: 0 }],
      },
    ],
    gallery: {
      image: 'img-1',
      files: [
        { corruption: 'clean', severity: 0, file: 'gallery/clean-0.png' },
        { corruption: 'pixelate', severity: 1, file: 'gallery/pixelate-1.png' },
      ],
    },
    timing: { corruptSeconds: { pixelate: 0.5 }, modelSeconds: 1, totalSeconds: 2 },
    backend: 'cpu',
    createdAt: '2026-01-02T03:04:05.000Z',
  });
}

/** 4×4 heatmap; MA mask = the top-left 2×2 block, EX = the last row; HE not in the source. */
const H = 4;
const W = 4;
const HEATMAP = [0.5, -1.25, 0, 2, 0.25, 0.75, -0.5, 1, 3, -2, 0.125, 0, 0, 0, 1.5, -0.0625];
const MA = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const EX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
const EXPLANATION_NAME = 'iwne-fs-r__idrid';

function explanation(): ExplanationResult {
  const summary = { n: 1, mean: 0.5, std: 0, median: 0.5, p20: 0.5, p80: 0.5, min: 0.5, max: 0.5 };
  const pooled = {
    'sum,pos': { rma: summary, rra: summary },
    'sum,abs': { rma: summary, rra: summary },
    'max-norm': { rma: summary, rra: summary },
    'l2-norm,sq': { rma: summary, rra: summary },
  };
  const acc = { rma: 0.5, rra: 0.5 };
  const accs = { 'sum,pos': acc, 'sum,abs': acc, 'max-norm': acc, 'l2-norm,sq': acc };
  return ExplanationResult.parse({
    schemaVersion: EXPLANATION_SCHEMA_VERSION,
    name: EXPLANATION_NAME,
    run: { runId: 'iwne-fs-r', strategy: 'IWNE-FS', arch: 'resnet18-w8', inputSize: W, normalisation: NORM, referable: [3, 4] },
    dataset: { datasetId: 'idrid', type: 'idrid-seg', inputSize: W },
    request: { runId: 'iwne-fs-r', datasetId: 'idrid', lesions: ['MA', 'HE', 'EX'] },
    composite: { name: 'alpha1-beta0', canonizers: ['bn-merge'], rules: [{ layer: 'conv1', type: 'conv', rule: 'alpha1-beta0' }] },
    heatmap: { format: 'float32le', shape: [H, W], content: 'signed relevance' },
    images: [
      {
        id: 'IDRiD_01',
        index: 0,
        grade: null,
        startClasses: [3],
        startSource: 'ungraded-class',
        logits: [0, 0, 0, 1, 0],
        startRelevance: 1,
        relevanceSum: 0.9,
        heatmap: 'heatmaps/IDRiD_01.f32',
        regions: {
          MA: { maskPixels: 4, lrp: accs, noise: accs },
          HE: { skipped: 'no-mask' },
          EX: { maskPixels: 4, lrp: accs, noise: accs },
          union: { maskPixels: 8, lrp: accs, noise: accs },
        },
      },
      {
        id: 'IDRiD_02',
        index: 1,
        grade: null,
        startClasses: [3],
        startSource: 'ungraded-class',
        logits: [0, 0, 0, 1, 0],
        startRelevance: 1,
        relevanceSum: 1,
        heatmap: 'heatmaps/IDRiD_02.f32',
        regions: {},
      },
    ],
    summary: { MA: { scored: 1, skipped: { noMask: 0, emptyMask: 0 }, lrp: pooled, noise: pooled } },
    backend: 'cpu',
    seconds: 1,
    createdAt: '2026-01-02T03:04:05.000Z',
  });
}

async function maskPng(file: string, mask: number[]) {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(mask.map((m) => m * 255)), { raw: { width: W, height: H, channels: 1 } })
    .png()
    .toFile(file);
}

const SHA = '0'.repeat(64);
let galleryPng: Buffer;
let pdfBytes: Buffer;

beforeAll(async () => {
  root = await tempDir('analyses-channels');
  study = path.join(root, 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'Analyses');
  browserApp = compose(null);
  desktopApp = compose({
    openPath: async (p) => {
      opened.push(p);
      return shellAnswer;
    },
  });

  // Runs: a finished one with a model, an unfinished one, and a folder without a valid spec.
  const spec = (strategy: 'IWNE-FS' | 'IWNE-CL', fraction: number) =>
    TrainingSpec.parse({ strategy, datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, fraction, seed: 1 });
  await writeJson(path.join(study, 'runs', 'iwne-fs-r', 'spec.json'), spec('IWNE-FS', 0.5));
  await writeJson(
    path.join(study, 'runs', 'iwne-fs-r', 'metrics.json'),
    TrainingResult.parse({
      runId: 'iwne-fs-r',
      runDir: path.join(study, 'runs', 'iwne-fs-r'),
      bestEpoch: 1,
      bestValAuc: 0.625,
      selection: 'val-auc',
      finalEpoch: 1,
      epochsRun: 1,
      resumedFromEpoch: 0,
      stoppedEarly: false,
      seconds: 1,
      imagesPerSecond: 1,
      stallFraction: 0,
      trainImages: 4,
      validationImages: 2,
      normalisation: NORM,
      bestModelPath: null,
      bestMetricsPath: null,
      logPath: 'log.ndjson',
      backend: 'cpu',
    }),
  );
  await writeJson(path.join(study, 'runs', 'iwne-fs-r', 'best', 'metrics.json'), {
    epoch: 1,
    valAuc: 0.625,
    valLoss: 1,
    referable: [3, 4],
    selection: 'val-auc',
    runId: 'iwne-fs-r',
    arch: 'resnet18-w8',
    classes: 5,
    normalisation: NORM,
  });
  await writeJson(path.join(study, 'runs', 'iwne-cl-r', 'spec.json'), spec('IWNE-CL', 1));
  await writeJson(path.join(study, 'runs', 'broken', 'spec.json'), { strategy: 'nope' });

  // Spectra: two valid results, a broken one and a hidden temporary folder.
  await writeJson(path.join(study, 'spectra', 'iwne-fs-r__demo', 'result.json'), spectra('iwne-fs-r', 'IWNE-FS'));
  await writeJson(path.join(study, 'spectra', 'iwne-cl-r__demo', 'result.json'), spectra('iwne-cl-r', 'IWNE-CL'));
  await fsp.mkdir(path.join(study, 'spectra', 'broken__demo'), { recursive: true });
  await fsp.writeFile(path.join(study, 'spectra', 'broken__demo', 'result.json'), '{ not json');
  await writeJson(path.join(study, 'spectra', '.tmp-123', 'result.json'), spectra('iwne-fs-r', 'IWNE-FS'));

  // Robustness with its gallery (and a PNG beside it that the result does not list).
  const dir = path.join(study, 'robustness', ROBUSTNESS_NAME);
  await writeJson(path.join(dir, 'result.json'), robustness());
  galleryPng = await sharp({ create: { width: 3, height: 2, channels: 3, background: { r: 200, g: 10, b: 30 } } })
    .png()
    .toBuffer();
  await fsp.mkdir(path.join(dir, 'gallery'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'gallery', 'clean-0.png'), galleryPng);
  await fsp.writeFile(path.join(dir, 'gallery', 'pixelate-1.png'), galleryPng);
  await fsp.writeFile(path.join(dir, 'gallery', 'unlisted.png'), galleryPng);

  // Explanations: heatmaps (IDRiD_02's has the wrong size) and the dataset's cached masks.
  const ex = path.join(study, 'explanations', EXPLANATION_NAME);
  await writeJson(path.join(ex, 'result.json'), explanation());
  await fsp.mkdir(path.join(ex, 'heatmaps'), { recursive: true });
  await fsp.writeFile(path.join(ex, 'heatmaps', 'IDRiD_01.f32'), Buffer.from(Float32Array.from(HEATMAP).buffer));
  await fsp.writeFile(path.join(ex, 'heatmaps', 'IDRiD_02.f32'), Buffer.alloc(12));
  const ds = path.join(study, 'datasets', 'idrid');
  await maskPng(path.join(ds, 'cache', 'k', 'masks', 'IDRiD_01_MA.png'), MA);
  await maskPng(path.join(ds, 'cache', 'k', 'masks', 'IDRiD_01_EX.png'), EX);
  const mask = (file: string) => ({
    source: { file: 'src.tif', sha256: SHA, bytes: 1 },
    cache: { input: file, overlay: file },
    positivePixels: 4,
  });
  const item = (id: string) => ({
    id,
    patient: id,
    eye: null,
    grade: null,
    split: null,
    source: { file: `${id}.jpg`, sha256: SHA, bytes: 1 },
    width: W,
    height: H,
    cache: { input: `cache/k/${id}.png`, overlay: `cache/k/${id}.png` },
  });
  await writeJson(
    path.join(ds, 'manifest.json'),
    DatasetManifest.parse({
      schemaVersion: DATASET_SCHEMA_VERSION,
      id: 'idrid',
      type: 'idrid-seg',
      source: '/src',
      created: 'x',
      updated: 'x',
      settings: { inputSize: 32, overlaySize: 32 },
      settingsKey: 'k',
      preprocessed: true,
      notes: [],
      items: [
        { ...item('IDRiD_01'), masks: { MA: mask('cache/k/masks/IDRiD_01_MA.png'), EX: mask('cache/k/masks/IDRiD_01_EX.png') } },
        item('IDRiD_02'),
      ],
    }),
  );

  // Reports: two PDFs (one with its assets folder), a text file and a fake PDF.
  const reports = path.join(study, 'reports');
  await fsp.mkdir(path.join(reports, 'report-new-assets'), { recursive: true });
  pdfBytes = Buffer.from('%PDF-1.7\n% tiny\n%%EOF\n', 'latin1');
  await fsp.writeFile(path.join(reports, 'report-old.pdf'), pdfBytes);
  await fsp.writeFile(path.join(reports, 'report-new.pdf'), pdfBytes);
  await fsp.writeFile(path.join(reports, 'fake.pdf'), 'hello');
  await fsp.writeFile(path.join(reports, 'notes.txt'), 'x');
  await fsp.utimes(path.join(reports, 'report-old.pdf'), new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
  await fsp.utimes(path.join(reports, 'report-new.pdf'), new Date('2026-01-03T00:00:00Z'), new Date('2026-01-03T00:00:00Z'));
  await fsp.utimes(path.join(reports, 'fake.pdf'), new Date('2026-01-02T00:00:00Z'), new Date('2026-01-02T00:00:00Z'));
});

afterAll(async () => {
  await browserApp?.shutdown();
  await desktopApp?.shutdown();
});

const refused = (channel: string, payload: unknown, app = browserApp) =>
  call(channel, payload, app).then(
    () => 'accepted',
    (e: { code: string; issues?: { path: string }[] }) => `${e.code} ${e.issues?.map((i) => i.path).join(',') ?? ''}`.trim(),
  );

describe('spectra.list, robustness.list, explanations.list', () => {
  it('return the valid results by folder name, skipping broken and hidden folders', async () => {
    expect(await call('spectra.list', { studyPath: study })).toEqual([spectra('iwne-cl-r', 'IWNE-CL'), spectra('iwne-fs-r', 'IWNE-FS')]);
    expect(await call('robustness.list', { studyPath: study })).toEqual([robustness()]);
    expect(await call('explanations.list', { studyPath: study })).toEqual([explanation()]);
  });

  it('are empty for a study without analyses', async () => {
    const empty = path.join(root, 'empty');
    await new StudyService({ appVersion: 'test' }).create(empty, 'Empty');
    for (const channel of ['spectra.list', 'robustness.list', 'explanations.list', 'runs.list', 'reports.list'])
      expect(await call(channel, { studyPath: empty }), channel).toEqual([]);
  });
});

describe('robustness.gallery', () => {
  it('returns a listed gallery image byte for byte', async () => {
    const out = (await call('robustness.gallery', { studyPath: study, name: ROBUSTNESS_NAME, file: 'gallery/pixelate-1.png' })) as {
      dataUrl: string;
    };
    expect(out.dataUrl).toBe(`data:image/png;base64,${galleryPng.toString('base64')}`);
  });

  it('refuses files the result does not list, paths out of the folder and names that are not folders', async () => {
    expect(await refused('robustness.gallery', { studyPath: study, name: ROBUSTNESS_NAME, file: 'gallery/unlisted.png' })).toBe(
      'NOT_FOUND file',
    );
    expect(await refused('robustness.gallery', { studyPath: study, name: ROBUSTNESS_NAME, file: '../../study.json' })).toBe(
      'BAD_REQUEST file',
    );
    expect(await refused('robustness.gallery', { studyPath: study, name: ROBUSTNESS_NAME, file: '/etc/passwd' })).toBe('BAD_REQUEST file');
    expect(await refused('robustness.gallery', { studyPath: study, name: '..', file: 'gallery/clean-0.png' })).toBe('BAD_REQUEST name');
    expect(await refused('robustness.gallery', { studyPath: study, name: 'demo/../..', file: 'gallery/clean-0.png' })).toBe(
      'BAD_REQUEST name',
    );
    expect(await refused('robustness.gallery', { studyPath: study, name: 'nothing-here', file: 'gallery/clean-0.png' })).toBe(
      'NOT_FOUND name',
    );
  });
});

describe('explanations.heatmap', () => {
  it('returns the float32 heatmap as written, and with masks the cached lesion masks of the scored lesions', async () => {
    expect(await call('explanations.heatmap', { studyPath: study, name: EXPLANATION_NAME, imageId: 'IDRiD_01' })).toEqual({
      width: W,
      height: H,
      values: HEATMAP,
      masks: {},
    });
    expect(await call('explanations.heatmap', { studyPath: study, name: EXPLANATION_NAME, imageId: 'IDRiD_01', masks: true })).toEqual({
      width: W,
      height: H,
      values: HEATMAP,
      masks: { MA, EX },
    });
  });

  it('refuses images that are not in the result, names that are not folders, and reports a heatmap of the wrong size', async () => {
    expect(await refused('explanations.heatmap', { studyPath: study, name: EXPLANATION_NAME, imageId: '../../study' })).toBe(
      'NOT_FOUND imageId',
    );
    expect(await refused('explanations.heatmap', { studyPath: study, name: '../runs', imageId: 'IDRiD_01' })).toBe('BAD_REQUEST name');
    expect(await refused('explanations.heatmap', { studyPath: study, name: EXPLANATION_NAME, imageId: 'IDRiD_02' })).toBe('STUDY_CORRUPT');
  });
});

describe('runs.list', () => {
  it('refuses a study with a damaged spec.json, naming it; summarises every run folder once it is gone', async () => {
    expect(await refused('runs.list', { studyPath: study })).toBe('STUDY_CORRUPT spec.json:strategy');
    await fsp.rm(path.join(study, 'runs', 'broken'), { recursive: true });
    expect(await call('runs.list', { studyPath: study })).toEqual([
      {
        runId: 'iwne-cl-r',
        strategy: 'IWNE-CL',
        fraction: 1,
        seed: 1,
        arch: 'resnet18-w8',
        inputSize: 32,
        datasetId: 'demo',
        finished: false,
        hasModel: false,
        bestValAuc: null,
        // Specs with the default training settings, written before identity tracking and without a grid to compare with.
        settings: { epochs: 500, lr: 0.0001, batchSize: 32, inputSize: 32 },
        standing: { outdated: false, reasons: [], identityComplete: false, note: 'identity incomplete (trained before identity tracking)' },
      },
      {
        runId: 'iwne-fs-r',
        strategy: 'IWNE-FS',
        fraction: 0.5,
        seed: 1,
        arch: 'resnet18-w8',
        inputSize: 32,
        datasetId: 'demo',
        finished: true,
        hasModel: true,
        bestValAuc: 0.625,
        // Specs with the default training settings, written before identity tracking and without a grid to compare with.
        settings: { epochs: 500, lr: 0.0001, batchSize: 32, inputSize: 32 },
        standing: { outdated: false, reasons: [], identityComplete: false, note: 'identity incomplete (trained before identity tracking)' },
      },
    ]);
  });
});

describe('reports.list and reports.file', () => {
  it('lists the .pdf files of reports/ newest first, with their assets folder', async () => {
    const reports = path.join(study, 'reports');
    expect(await call('reports.list', { studyPath: study })).toEqual([
      {
        file: 'report-new.pdf',
        path: path.join(reports, 'report-new.pdf'),
        bytes: pdfBytes.length,
        modified: '2026-01-03T00:00:00.000Z',
        assetsDir: path.join(reports, 'report-new-assets'),
      },
      { file: 'fake.pdf', path: path.join(reports, 'fake.pdf'), bytes: 5, modified: '2026-01-02T00:00:00.000Z', assetsDir: null },
      {
        file: 'report-old.pdf',
        path: path.join(reports, 'report-old.pdf'),
        bytes: pdfBytes.length,
        modified: '2026-01-01T00:00:00.000Z',
        assetsDir: null,
      },
    ]);
  });

  it('returns a report byte for byte; refuses other names, missing files and files that are not PDFs', async () => {
    expect(await call('reports.file', { studyPath: study, file: 'report-old.pdf' })).toEqual({
      dataUrl: `data:application/pdf;base64,${pdfBytes.toString('base64')}`,
      fileName: 'report-old.pdf',
    });
    expect(await refused('reports.file', { studyPath: study, file: '../study.json' })).toBe('BAD_REQUEST file');
    expect(await refused('reports.file', { studyPath: study, file: 'notes.txt' })).toBe('BAD_REQUEST file');
    expect(await refused('reports.file', { studyPath: study, file: 'missing.pdf' })).toBe('NOT_FOUND file');
    expect(await refused('reports.file', { studyPath: study, file: 'fake.pdf' })).toBe('STUDY_CORRUPT');
  });
});

describe('shell.openPath', () => {
  it('is UNSUPPORTED in browser mode, and app.info says so', async () => {
    expect(await refused('shell.openPath', { path: path.join(study, 'reports', 'report-new.pdf') })).toBe('UNSUPPORTED');
    expect(await call('app.info', {})).toMatchObject({ capabilities: { openPath: false } });
    expect(await call('app.info', {}, desktopApp)).toMatchObject({ capabilities: { openPath: true } });
  });

  it('opens PDFs and folders with the host shell, nothing else', async () => {
    opened.length = 0;
    const pdf = path.join(study, 'reports', 'report-new.pdf');
    expect(await call('shell.openPath', { path: pdf }, desktopApp)).toEqual({ opened: pdf });
    expect(await call('shell.openPath', { path: path.join(study, 'reports', 'report-new-assets') }, desktopApp)).toEqual({
      opened: path.join(study, 'reports', 'report-new-assets'),
    });
    expect(await refused('shell.openPath', { path: path.join(study, 'study.json') }, desktopApp)).toBe('BAD_REQUEST path');
    expect(await refused('shell.openPath', { path: path.join(study, 'reports', 'nope.pdf') }, desktopApp)).toBe('NOT_FOUND path');
    expect(await refused('shell.openPath', { path: 'reports/report-new.pdf' }, desktopApp)).toBe('BAD_REQUEST path');
    expect(opened).toEqual([pdf, path.join(study, 'reports', 'report-new-assets')]);
    shellAnswer = 'No application is associated with this file';
    expect(await refused('shell.openPath', { path: pdf }, desktopApp)).toBe('INTERNAL');
    shellAnswer = '';
  });
});

describe('the readers are pure file reading', () => {
  const READERS = [
    'src-main/analysis/spectra/results.ts',
    'src-main/analysis/robustness/results.ts',
    'src-main/analysis/lrp/results.ts',
    'src-main/report/files.ts',
    'src-main/services/runs/run-info.ts',
  ];
  it.each(READERS)('%s does not pull @tensorflow into the main process', async (reader) => {
    const out = await build({
      entryPoints: [path.join(REPO_ROOT, reader)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      packages: 'external',
      logLevel: 'silent',
    });
    const external = Object.values(out.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
    expect(external.length).toBeGreaterThan(0);
    expect(external.filter((p) => p.startsWith('@tensorflow'))).toEqual([]);
    expect(existsSync(path.join(REPO_ROOT, reader))).toBe(true);
  });
});
