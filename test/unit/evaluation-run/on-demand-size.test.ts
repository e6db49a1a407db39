/**
 * Evaluating a run on a dataset imported at another input size: with `preprocessOnDemand` (what
 * `funduslab evaluate` asks for) the split's images are preprocessed at the run's size into the
 * dataset's cache and the evaluation goes on. Oracle: the same source images imported directly at
 * the run's size — byte-identical cache files under the same settings key, and the same predictions
 * and metrics (1e-6). A second call preprocesses nothing; the manifest on disk is untouched; a source
 * image changed since the import is refused.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runEvaluate } from '../../../src-main/cli/commands/evaluate';
import { initEngine } from '../../../src-main/engine/backend';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import type { OnDemandPreprocessing } from '../../../src-main/services/datasets/at-input-size';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import { detachedContext } from '../../../src-main/job-context';
import { EvaluationResult } from '../../../src-shared/evaluation';
import { captureOutput } from '../../support/cli';
import { readCsv } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { copyDataset, evalStudy, readManifest, trainTiny } from '../../support/studies';

const S = 48;
let study: string;
let testImages: number;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  await trainTiny(study, 'at48', { inputSize: S });
  const imported = await readManifest(study, 'demo-eval');
  testImages = imported.items.filter((it) => it.split === 'test').length;
  // The oracle: the same source imported at the run's size (the other settings as demo-eval's).
  await importDataset(
    { type: 'eyepacs', path: imported.source, id: 'eval48', settings: { ...imported.settings, inputSize: S }, concurrency: 2 },
    study,
    detachedContext(),
  );
  // A copy whose first test image no longer matches its source file.
  await copyDataset(study, 'demo-eval', 'changed', (m) => {
    m.items.find((it) => it.split === 'test')!.source.sha256 = '0'.repeat(64);
  });
}, 180_000);

afterEach(() => vi.restoreAllMocks());

function predictions(csv: string): Map<string, number[]> {
  const { rows } = readCsv(csv);
  return new Map(rows.map((r) => [r[0]!, r.slice(5).map(Number)]));
}

describe('evaluate on a dataset imported at another input size', () => {
  it('funduslab evaluate preprocesses the split at the run size and says so on stderr and in --json', async () => {
    const io = captureOutput();
    expect(await runEvaluate(['--study', study, '--run', 'at48', '--dataset', 'demo-eval', '--json'])).toBe(0);
    const printed = JSON.parse(io.out()) as { ok: boolean; value: unknown; preprocessed: OnDemandPreprocessing };
    expect(printed.preprocessed).toMatchObject({
      datasetId: 'demo-eval',
      fromSize: 64,
      inputSize: S,
      images: testImages,
      preprocessed: testImages,
      reused: 0,
    });
    expect(printed.preprocessed.message).toMatch(new RegExp(`^preprocessed ${testImages} images at ${S} px`));
    expect(io.err()).toContain(`preprocessed ${testImages} images at ${S} px`);
    const result = EvaluationResult.parse(printed.value);
    expect(result.dataset).toMatchObject({ datasetId: 'demo-eval', inputSize: S });
  });

  it('gives the results of a dataset imported at that size, from byte-identical cache files', async () => {
    const direct = await evaluateRun({ runId: 'at48', datasetId: 'eval48' }, study, recordingContext());
    const reports: OnDemandPreprocessing[] = [];
    const ctx = recordingContext();
    const onDemand = await evaluateRun({ runId: 'at48', datasetId: 'demo-eval' }, study, ctx, {
      preprocessOnDemand: true,
      onPreprocessed: (r) => reports.push(r),
    });
    // The second time everything comes from the cache.
    expect(reports).toEqual([expect.objectContaining({ images: testImages, preprocessed: 0, reused: testImages })]);
    expect(ctx.messages.join('\n')).toMatch(new RegExp(`reused ${testImages} images preprocessed at ${S} px before`));

    expect(onDemand.dataset.settingsKey).toBe(direct.dataset.settingsKey);
    expect(onDemand.n).toBe(direct.n);
    expect(onDemand.auc).toBeCloseTo(direct.auc, 6);
    expect(onDemand.delong.lower).toBeCloseTo(direct.delong.lower, 6);
    expect(onDemand.bootstrap.upper).toBeCloseTo(direct.bootstrap.upper, 6);
    const a = predictions(await fsp.readFile(direct.files.predictions, 'utf8'));
    const b = predictions(await fsp.readFile(onDemand.files.predictions, 'utf8'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [id, row] of a) row.forEach((v, k) => expect(Math.abs(b.get(id)![k]! - v), `${id} column ${k}`).toBeLessThan(1e-6));

    // Same settings key, same file names, same bytes as the import at 48 px.
    const imported = await readManifest(study, 'eval48');
    const onDisk = await readManifest(study, 'demo-eval');
    expect(onDisk.settings.inputSize).toBe(64);
    for (const item of imported.items.filter((it) => it.split === 'test')) {
      const direct48 = await fsp.readFile(path.join(study, 'datasets', 'eval48', item.cache!.input));
      const demand48 = await fsp.readFile(path.join(study, 'datasets', 'demo-eval', item.cache!.input));
      expect(demand48.equals(direct48), item.id).toBe(true);
    }
  });

  it('refuses a source image that changed since the import', async () => {
    await expect(
      evaluateRun({ runId: 'at48', datasetId: 'changed' }, study, recordingContext(), { preprocessOnDemand: true }),
    ).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/has changed since dataset "changed" was imported/) });
  });
});
