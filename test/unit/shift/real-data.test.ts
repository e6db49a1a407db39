/**
 * The domain-shift check on real images (../shared/data, or FUNDUSLAB_DATA; see test/support/real-data.ts):
 * EyePACS-256 (histogram-equalised by the project that published it) against IDRiD (not equalised) must warn;
 * two halves of the same EyePACS sample, and a run's training images against its own validation images, must
 * not. Also the stats file: reused while the dataset is unchanged (also across a re-import of the same
 * content), computed again after a re-import that changed it. Missing data fails under CI=true and skips
 * otherwise, saying how to get it.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runEvaluate } from '../../../src-main/cli/commands/evaluate';
import { runExplain } from '../../../src-main/cli/commands/explain';
import { studyResults } from '../../../src-main/services/evaluation/results';
import { buildReport } from '../../../src-main/report/report';
import { EvaluationResult } from '../../../src-shared/evaluation';
import { captureOutput } from '../../support/cli';
import { initEngine } from '../../../src-main/engine/backend';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { readDatasetManifest } from '../../../src-main/services/datasets/manifest-file';
import { datasetInputStats, InputStatsFile } from '../../../src-main/services/datasets/input-stats';
import { checkDomainShift, compareInputSets, summariseSet } from '../../../src-main/services/evaluation/shift';
import { datasetContentHash } from '../../../src-main/services/runs/identity';
import { runTraining } from '../../../src-main/services/training';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { DATA_DIR, realDataAvailable } from '../../support/real-data';
import { eyepacsSubsetStudy } from '../../support/studies';

const available = realDataAvailable('eyepacs-256') && realDataAvailable('idrid-seg-quarter');

describe.skipIf(!available)('domain shift on real data: EyePACS-256 vs IDRiD', () => {
  let study: string;
  beforeAll(async () => {
    await initEngine({ preference: 'auto' });
    study = await eyepacsSubsetStudy(30, 'shift-real'); // 59 images at 64 px
    await importDataset(
      {
        type: 'idrid-seg',
        path: path.join(DATA_DIR, 'idrid-seg-quarter'),
        id: 'idrid',
        settings: { inputSize: 64, overlaySize: 64 },
        concurrency: 2,
      },
      study,
      recordingContext(),
    );
  }, 240_000);

  it(
    "warns for IDRiD against a run's EyePACS training images (equalised vs not), at the run's input size",
    { timeout: 240_000 },
    async () => {
      await runTraining(
        { strategy: 'IWNE-FS', datasetId: 'eyepacs', arch: 'resnet18-w8', inputSize: 48, epochs: 1, lr: 1e-3, batchSize: 16, seed: 1 },
        study,
        recordingContext(),
        { runId: 'ep' },
      );
      const idrid = await readDatasetManifest(study, 'idrid');
      const ctx = recordingContext();
      const shift = await checkDomainShift(study, 'ep', idrid, idrid.manifest.items, ctx);
      if (!shift.checked) throw new Error(shift.reason);
      console.log(shift.warning);
      expect(shift.inputSize).toBe(48);
      const split = JSON.parse(await fsp.readFile(studyLayout(study).run('ep').split, 'utf8')) as { train: string[] };
      expect(shift.training.images).toBe(split.train.length); // the run's training images, not its validation ones
      expect(shift.test.images).toBe(54);
      expect(shift.training.equalised).toBe(true);
      expect(shift.test.equalised).toBe(false);
      expect(shift.shifted).toBe(true);
      expect(shift.warning).toMatch(
        /^Test set idrid differs from run ep's training set eyepacs: the training images look histogram-equalised, the test images do not; mean red inside the fundus \d\.\d\d vs \d\.\d\d \(SMD /,
      );
      // IDRiD is orange: far less blue and green than the equalised EyePACS images.
      expect(shift.channels.find((c) => c.channel === 'blue')!.smd).toBeLessThan(-1);
      expect(shift.channels.find((c) => c.channel === 'blue')!.jsd).toBeGreaterThan(0.3);
      // Stats at the run's size (48 px) are kept beside each dataset, under the settings key of that size.
      expect((await fsp.readdir(path.join(study, 'datasets', 'idrid', 'stats'))).length).toBe(1);
      expect(ctx.progress_.some((m) => /input statistics of 54 image\(s\) of dataset "idrid" at 48 px/.test(m))).toBe(true);

      // The run's training images against its own validation images: the same population, no warning.
      const eyepacs = await readDatasetManifest(study, 'eyepacs');
      const validation = new Set(
        (JSON.parse(await fsp.readFile(studyLayout(study).run('ep').split, 'utf8')) as { validation: string[] }).validation,
      );
      const same = await checkDomainShift(
        study,
        'ep',
        eyepacs,
        eyepacs.manifest.items.filter((it) => validation.has(it.id)),
        recordingContext(),
      );
      if (!same.checked) throw new Error(same.reason);
      expect(same.warning).toBeNull();
    },
  );

  afterEach(() => vi.restoreAllMocks());

  it('evaluate (text and --json), the results table and the report carry the warning', { timeout: 240_000 }, async () => {
    // The 54 IDRiD photographs as a graded folder dataset. The grades are made up (alternately 0 and 3): only the
    // warning is tested here, not the AUC.
    const csv = path.join(await tempDir('idrid-grades'), 'grades.csv');
    const folder = path.join(DATA_DIR, 'idrid-seg-quarter', 'A. Segmentation', '1. Original Images', 'a. Training Set');
    const files = (await fsp.readdir(folder)).filter((f) => f.endsWith('.jpg')).sort();
    await fsp.writeFile(csv, 'image,grade\n' + files.map((f, k) => `${f},${k % 2 ? 3 : 0}`).join('\n') + '\n');
    await importDataset(
      {
        type: 'folder',
        path: folder,
        csv,
        imageColumn: 'image',
        gradeColumn: 'grade',
        id: 'idrid-graded',
        settings: { inputSize: 48, overlaySize: 48 },
        concurrency: 2,
      },
      study,
      recordingContext(),
    );
    let io = captureOutput();
    expect(await runEvaluate(['--study', study, '--run', 'ep', '--dataset', 'idrid-graded', '--split', 'all', '--bootstrap', '200'])).toBe(
      0,
    );
    expect(io.out()).toMatch(
      /\n {2}WARNING \(domain shift\): Test set idrid-graded differs from run ep's training set eyepacs: the training images look histogram-equalised, the test images do not; .*may not be meaningful\.\n/,
    );
    vi.restoreAllMocks();
    io = captureOutput();
    expect(
      await runEvaluate(['--study', study, '--run', 'ep', '--dataset', 'idrid-graded', '--split', 'all', '--bootstrap', '200', '--json']),
    ).toBe(0);
    const r = EvaluationResult.parse((JSON.parse(io.out()) as { value: unknown }).value);
    expect(r.domainShift).toMatchObject({ checked: true, shifted: true, equalisationDiffers: true });
    const warning = r.domainShift?.checked ? r.domainShift.warning : null;
    expect(warning).toMatch(/^Test set idrid-graded differs/);
    expect(io.err()).toContain(`evaluate: WARNING (domain shift): ${warning}`);
    expect(EvaluationResult.parse(JSON.parse(await fsp.readFile(r.files.result, 'utf8'))).domainShift).toEqual(r.domainShift);
    vi.restoreAllMocks();
    // The results table row and the report.
    const rows = (await studyResults(study)).rows;
    expect(rows.find((x) => x.datasetId === 'idrid-graded')!.shiftWarning).toBe(warning);
    const pdf = path.join(await tempDir('shift-report'), 'report.pdf');
    await buildReport(study, { out: pdf }, recordingContext());
    const text = execFileSync('pdftotext', [pdf, '-']).toString('utf8').replace(/\s+/g, ' ');
    expect(text).toContain('Warning: test images unlike the training images (domain shift)');
    expect(text).toContain('1 of the 1 evaluations on idrid-graded warn of a domain shift.');
  });

  it('explain prints the warning after its result', { timeout: 120_000 }, async () => {
    const io = captureOutput();
    expect(await runExplain(['--study', study, '--runs', 'ep', '--dataset', 'idrid', '--images', '1'])).toBe(0);
    expect(io.out()).toMatch(
      /\nWARNING \(domain shift\): Test set idrid differs from run ep's training set eyepacs: the training images look histogram-equalised/,
    );
  });

  it('two halves of the same EyePACS sample give no warning (|SMD| < 0.1, JS divergence < 0.01)', async () => {
    const e = await readDatasetManifest(study, 'eyepacs');
    const stats = await datasetInputStats(study, e, e.manifest.items, recordingContext());
    const half = stats.length >> 1;
    const cmp = compareInputSets('r', 64, summariseSet('eyepacs', stats.slice(0, half)), summariseSet('eyepacs', stats.slice(half)));
    expect(cmp.warning).toBeNull();
    for (const c of cmp.channels) {
      expect(Math.abs(c.smd)).toBeLessThan(0.1);
      expect(c.jsd).toBeLessThan(0.01);
    }
  });

  it(
    'the stats file is reused while the dataset is unchanged and computed again after a re-import that changed it',
    { timeout: 120_000 },
    async () => {
      // A copy of the EyePACS subset's source, imported as its own dataset (no runs depend on it).
      const source = path.join(await tempDir('shift-reimport'), 'ep');
      await fsp.cp(path.join(path.dirname(study), 'eyepacs'), source, { recursive: true });
      const request = { type: 'eyepacs' as const, path: source, id: 'ep2', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 };
      await importDataset(request, study, recordingContext());
      let loaded = await readDatasetManifest(study, 'ep2');
      const file = studyLayout(study).dataset('ep2').stats(loaded.manifest.settingsKey);
      expect(existsSync(file)).toBe(false);
      const first = await datasetInputStats(study, loaded, loaded.manifest.items, recordingContext());
      const stored = InputStatsFile.parse(JSON.parse(await fsp.readFile(file, 'utf8')));
      expect(stored.datasetHash).toBe(await datasetContentHash(study, 'ep2'));
      const n = loaded.manifest.items.length;
      expect(stored.images.length).toBe(n);
      // A marker in the file: a reused record carries it, a recomputed one does not.
      const marker = { ...stored, images: stored.images.map((s, k) => (k === 0 ? { ...s, pixels: 1 } : s)) };
      await fsp.writeFile(file, JSON.stringify(marker));
      const reuseCtx = recordingContext();
      const again = await datasetInputStats(study, loaded, loaded.manifest.items, reuseCtx);
      expect(again.find((s) => s.id === stored.images[0]!.id)!.pixels).toBe(1);
      expect(reuseCtx.progress_).toEqual([]); // nothing computed
      // Re-importing the same content keeps it.
      await importDataset(request, study, recordingContext());
      loaded = await readDatasetManifest(study, 'ep2');
      expect(
        (await datasetInputStats(study, loaded, loaded.manifest.items, recordingContext())).find((s) => s.id === stored.images[0]!.id)!
          .pixels,
      ).toBe(1);
      // A re-import without one image changes the content: every record is computed again.
      const gone = loaded.manifest.items.find((it) => it.id !== stored.images[0]!.id)!;
      await fsp.rm(path.join(source, gone.source.file));
      const csv = (await fsp.readFile(path.join(source, 'trainLabels.csv'), 'utf8'))
        .split('\n')
        .filter((l) => !l.startsWith(`${gone.id},`));
      await fsp.writeFile(path.join(source, 'trainLabels.csv'), csv.join('\n'));
      await importDataset(request, study, recordingContext());
      loaded = await readDatasetManifest(study, 'ep2');
      const recomputeCtx = recordingContext();
      const after = await datasetInputStats(study, loaded, loaded.manifest.items, recomputeCtx);
      expect(after.length).toBe(n - 1);
      expect(after.find((s) => s.id === stored.images[0]!.id)!.pixels).toBe(first.find((s) => s.id === stored.images[0]!.id)!.pixels);
      expect(recomputeCtx.progress_.at(-1)).toContain(`${n - 1} of ${n - 1}`);
      const rewritten = InputStatsFile.parse(JSON.parse(await fsp.readFile(file, 'utf8')));
      expect(rewritten.datasetHash).toBe(await datasetContentHash(study, 'ep2'));
      expect(rewritten.datasetHash).not.toBe(stored.datasetHash);
      expect(rewritten.images.map((s) => s.id)).not.toContain(gone.id);
    },
  );
});
