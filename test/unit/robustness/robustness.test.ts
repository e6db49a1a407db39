/**
 * The robustness analysis on the demo data with two tiny runs (IWNE-FS and IWNE-CL at the same
 * fraction and seed):
 * - clean cell = the evaluation of the same run on the same images (mean true-class probability
 *   recomputed from predictions.csv, AUC from result.json; tolerance 1e-6, batching differs);
 * - a corrupted cell = an independent recomputation (corrupt each image with the documented seed,
 *   forward with loadRunModel, mean true-class probability; tolerance 1e-6);
 * - Fig 4 = CL cell − FS cell exactly; the gallery has one PNG per corruption × severity + clean;
 * - the same request gives the same numbers; bad input leaves nothing behind; no tensor leaks.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { corrupt } from '../../../src-main/analysis/corruptions';
import { runRobustness } from '../../../src-main/analysis/robustness/service';
import { STUDY_FOLDERS } from '../../../src-main/services/study-folder/layout';

const ROBUSTNESS_DIR = STUDY_FOLDERS.robustness;
import { normalize } from '../../../src-main/engine/augment/ops';
import { hashSeeds } from '../../../src-main/random/streams';
import { initEngine } from '../../../src-main/engine/backend';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import { referableProbability } from '../../../src-main/services/evaluation/metrics';
import { loadRunModel } from '../../../src-main/services/runs/run-model';
import { ImageSource } from '../../../src-main/services/training/data';
import { readCsv } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { copyDataset, evalStudy, readManifest, trainTiny } from '../../support/studies';

let study: string;
const moco = { epochs: 2, batchSize: 16, queueSize: 64, optimizer: 'adamw' as const, lr: 1e-3, dim: 16, mlpHidden: 16 };
const request = {
  runIds: ['fs', 'cl'],
  datasetId: 'demo-eval',
  corruptions: ['gaussian_noise', 'brightness', 'pixelate'] as const,
  severities: [1, 5],
  images: 24,
};

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  await trainTiny(study, 'fs', { strategy: 'IWNE-FS' });
  await trainTiny(study, 'cl', { strategy: 'IWNE-CL', moco });
}, 240_000);

describe('robustness', () => {
  it('scores every model on the same corrupted images; clean = evaluation, corrupted = recomputation, Fig 4 = CL − FS', async () => {
    const before = tf.memory().numTensors;
    const result = await runRobustness({ ...request, corruptions: [...request.corruptions] }, study, recordingContext());
    expect(tf.memory().numTensors).toBe(before);
    expect(result.models.map((m) => m.strategy)).toEqual(['IWNE-FS', 'IWNE-CL']);
    expect(result.models[0]!.cells).toHaveLength(1 + 3 * 2);

    // Clean = the evaluation on the same images (all 32 test images > 24: evaluate the first 24 via the CSV).
    const ev = await evaluateRun({ runId: 'fs', datasetId: 'demo-eval' } as never, study, recordingContext());
    const csv = readCsv(await fsp.readFile(path.join(study, 'evaluations', ev.name, 'predictions.csv'), 'utf8'));
    const ref = csv.header.indexOf('referable');
    const p = csv.header.indexOf('p_referable');
    const rows = csv.rows.slice(0, result.images);
    const expectedClean = rows.reduce((a, r) => a + (r[ref] === '1' ? Number(r[p]) : 1 - Number(r[p])), 0) / rows.length;
    expect(Math.abs(result.models[0]!.cells[0]!.meanTrueClassProbability - expectedClean)).toBeLessThan(1e-6);

    // One corrupted cell recomputed independently: pixelate severity 5 for the CL run.
    const manifest = await readManifest(study, 'demo-eval');
    const items = manifest.items
      .map((it, index) => ({ it, index }))
      .filter(({ it }) => it.split === 'test' && it.grade !== null)
      .slice(0, result.images);
    const m = await loadRunModel(study, 'cl');
    const source = new ImageSource(m.inputSize);
    const ci = result.corruptions.indexOf('pixelate');
    let sum = 0;
    for (const { it, index } of items) {
      const clean = await source.get({
        index,
        id: it.id,
        grade: it.grade!,
        file: path.join(study, 'datasets', 'demo-eval', it.cache!.input),
      });
      const c = await corrupt({ width: m.inputSize, height: m.inputSize, data: clean }, 'pixelate', 5, hashSeeds(0, index, ci, 5));
      const logits = tf.tidy(() =>
        m.model.forward(
          normalize(
            tf.tensor4d(
              Float32Array.from(c.data, (v) => v / 255),
              [1, m.inputSize, m.inputSize, 3],
            ),
            m.mean,
            m.std,
          ),
          { training: false },
        ),
      );
      const pr = referableProbability(await logits.data(), m.spec.referable)[0]!;
      logits.dispose();
      sum += m.spec.referable.includes(it.grade!) ? pr : 1 - pr;
    }
    m.model.dispose();
    const cell = result.models[1]!.cells.find((c) => c.corruption === 'pixelate' && c.severity === 5)!;
    expect(Math.abs(cell.meanTrueClassProbability - sum / items.length)).toBeLessThan(1e-6);

    // Fig 4.
    expect(result.fig4).toHaveLength(1);
    const d = result.fig4[0]!;
    expect([d.initialisation, d.cl, d.fs]).toEqual(['IWNE', 'cl', 'fs']);
    for (const c of d.cells) {
      const a = result.models[1]!.cells.find((x) => x.corruption === c.corruption && x.severity === c.severity)!;
      const b = result.models[0]!.cells.find((x) => x.corruption === c.corruption && x.severity === c.severity)!;
      expect(c.difference).toBe(a.meanTrueClassProbability - b.meanTrueClassProbability);
    }
    // Gallery and determinism.
    const dir = path.join(study, ROBUSTNESS_DIR, result.name);
    for (const f of result.gallery!.files) expect(existsSync(path.join(dir, f.file)), f.file).toBe(true);
    expect(result.gallery!.files).toHaveLength(7);
    const again = await runRobustness({ ...request, corruptions: [...request.corruptions] }, study, recordingContext());
    expect(again.models).toEqual(result.models);
  }, 240_000);

  it('refuses a dataset preprocessed at another size and an unknown run, writing nothing', async () => {
    await copyDataset(study, 'demo-eval', 'demo-eval-96', (mf) => {
      mf.settings.inputSize = 96;
    });
    const before = existsSync(path.join(study, ROBUSTNESS_DIR)) ? (await fsp.readdir(path.join(study, ROBUSTNESS_DIR))).length : 0;
    await expect(
      runRobustness({ ...request, corruptions: ['brightness'], datasetId: 'demo-eval-96' }, study, recordingContext()),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'datasetId' }] });
    await expect(
      runRobustness({ ...request, corruptions: ['brightness'], runIds: ['fs', 'nope'] }, study, recordingContext()),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', issues: [{ path: 'runIds.1' }] });
    const after = existsSync(path.join(study, ROBUSTNESS_DIR)) ? (await fsp.readdir(path.join(study, ROBUSTNESS_DIR))).length : 0;
    expect(after).toBe(before);
  }, 60_000);
});
