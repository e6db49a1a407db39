/**
 * Declared splits (`import … --split test|train`, the import wizard's "what the images are for"):
 * every image of the set is recorded in the declared split whatever its layout says, the manifest
 * notes how many the layout had put elsewhere, training never uses a declared test set, and an
 * evaluation without --split uses the test split, i.e. the whole declared set.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../../src-main/cli/commands/import';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import { writeEyepacsDemo } from '../../../src-main/services/demo';
import { runTraining } from '../../../src-main/services/training';
import { detachedContext } from '../../../src-main/job-context';
import { ImportResult } from '../../../src-shared/datasets';
import { captureExit } from '../../support/cli';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy, readManifest, trainTiny } from '../../support/studies';

const SETTINGS = { inputSize: 64, overlaySize: 64 };

describe('a declared split', () => {
  let study: string;
  let source: string;

  beforeAll(async () => {
    study = await demoStudy({ patients: 12 });
    // 3 training-split patients (6 images) and 4 test-split patients (8 images) in the EyePACS layout.
    const root = path.join(await tempDir('declared'), 'held');
    await writeEyepacsDemo(root, { patients: 3, testPatients: 4, size: 96, seed: 31, distribution: 'balanced' });
    source = path.join(root, 'eyepacs');
  }, 120_000);

  it("without --split keeps the layout's splits", async () => {
    const r = await importDataset(
      { type: 'eyepacs', path: source, id: 'held-layout', settings: SETTINGS, concurrency: 2 },
      study,
      detachedContext(),
    );
    const m = await readManifest(study, r.datasetId);
    expect(m.items.filter((i) => i.split === 'train')).toHaveLength(6);
    expect(m.items.filter((i) => i.split === 'test')).toHaveLength(8);
    expect(m.notes.some((n) => /--split/.test(n))).toBe(false);
  });

  it('--split test records every image as test, notes what moved, and the report counts only test', async () => {
    const { code, out } = await captureExit(() =>
      runImport([
        'eyepacs',
        source,
        '--study',
        study,
        '--id',
        'held',
        '--split',
        'test',
        '--input-size',
        '64',
        '--overlay-size',
        '64',
        '--json',
      ]),
    );
    expect(code).toBe(0);
    const r = ImportResult.parse(JSON.parse(out).value);
    expect(r.imported).toBe(14);
    expect(Object.keys(r.report.perSplitGrade)).toEqual(['test']);
    const m = await readManifest(study, 'held');
    expect(m.items).toHaveLength(14);
    expect(m.items.every((i) => i.split === 'test')).toBe(true);
    expect(m.notes).toContain(
      'Every image is recorded in the test split, as the import asked (--split test); the layout had put 6 from its train split.',
    );
  });

  it('--split train records every image as train', async () => {
    await importDataset(
      { type: 'eyepacs', path: source, id: 'held-train', settings: SETTINGS, split: 'train', concurrency: 2 },
      study,
      detachedContext(),
    );
    const m = await readManifest(study, 'held-train');
    expect(m.items.every((i) => i.split === 'train')).toBe(true);
    expect(m.notes).toContain(
      'Every image is recorded in the train split, as the import asked (--split train); the layout had put 8 from its test split.',
    );
  });

  it('an unknown split is refused naming the field', async () => {
    await expect(
      importDataset(
        { type: 'eyepacs', path: source, id: 'held-x', settings: SETTINGS, split: 'validation' } as never,
        study,
        detachedContext(),
      ),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/split/) });
  });

  it('training on a declared test set is refused: it has no training images', async () => {
    await expect(
      runTraining(demoSpec({ datasetId: 'held', epochs: 1, inputSize: 64 }), study, recordingContext(), { runId: 'on-test' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/Dataset "held" has no graded training images/) });
  });

  it('an evaluation without --split evaluates the whole declared test set', async () => {
    await trainTiny(study, 'tiny');
    const held = await evaluateRun({ runId: 'tiny', datasetId: 'held', referable: [2, 3, 4] }, study, detachedContext());
    expect(held.split).toBe('test');
    expect(held.n).toBe(14);
    const layout = await evaluateRun({ runId: 'tiny', datasetId: 'held-layout', referable: [2, 3, 4] }, study, detachedContext());
    expect(layout.split).toBe('test');
    expect(layout.n).toBe(8);
  }, 120_000);
});
