/**
 * evaluateRun on a tiny trained run (resnet18-w8, 64 px, 1 epoch on `demo`), evaluated on the test
 * split of `demo-eval` and on its own training data. Oracles: the metrics recomputed from the
 * written predictions.csv (exact), a naive O(n₁n₀) AUC (1e-12), an independent eval-mode forward
 * pass (sharp decode + JS normalisation, one image per batch; 1e-6 on probabilities), and the
 * manifest (ids, grades, order).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import {
  bootstrapAuc,
  delongCi,
  rocAuc,
  rocCurve,
  thresholdForSensitivity,
  youdenPoint,
} from '../../../src-main/services/evaluation/metrics';
import { loadRunModel } from '../../../src-main/services/runs/run-model';
import { EvaluationResult, PREDICTIONS_COLUMNS } from '../../../src-shared/evaluation';
import { readCsv } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { evalStudy, readManifest, trainTiny } from '../../support/studies';

let study: string;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  await trainTiny(study, 'iwne');
}, 120_000);

interface Row {
  id: string;
  patient: string;
  eye: string;
  grade: number;
  label: number;
  probs: number[];
  pRef: number;
}

async function readPredictions(file: string): Promise<Row[]> {
  const { header, rows } = readCsv(await fsp.readFile(file, 'utf8'));
  expect(header).toEqual([...PREDICTIONS_COLUMNS]);
  return rows.map((c) => ({
    id: c[0]!,
    patient: c[1]!,
    eye: c[2]!,
    grade: Number(c[3]),
    label: Number(c[4]),
    probs: c.slice(5, 10).map(Number),
    pRef: Number(c[10]),
  }));
}

/** Naive AUC: the share of (positive, negative) pairs ordered correctly, ties ½. */
function naiveAuc(labels: number[], scores: number[]): number {
  let s = 0;
  let pairs = 0;
  labels.forEach((li, i) => {
    if (li !== 1) return;
    labels.forEach((lj, j) => {
      if (lj !== 0) return;
      pairs++;
      s += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    });
  });
  return s / pairs;
}

describe('evaluateRun', () => {
  let result: EvaluationResult;
  let rows: Row[];

  it('evaluates the test split by default and writes predictions.csv and result.json', async () => {
    const ctx = recordingContext();
    const before = tf.memory().numTensors;
    result = await evaluateRun({ runId: 'iwne', datasetId: 'demo-eval', bootstrap: { samples: 500 }, batchSize: 7 }, study, ctx);
    expect(tf.memory().numTensors).toBe(before); // model disposed, no per-batch leaks
    expect(EvaluationResult.parse(result)).toEqual(result);
    expect(result.name).toBe('iwne__demo-eval__test');
    expect(result.split).toBe('test');
    expect(result.referable).toEqual([2, 3, 4]); // the run's own set
    expect(result.overlapsTraining).toBe(false);
    expect(result.trainingOverlap).toBe(0);
    // The domain-shift check: demo-eval is drawn by the same generator as the run's training set demo, so no warning
    // (the check's own oracles are in test/unit/shift/).
    expect(result.domainShift).toMatchObject({ checked: true, runId: 'iwne', inputSize: 64, shifted: false, warning: null });
    if (result.domainShift?.checked) {
      expect(result.domainShift.training.datasetId).toBe('demo');
      expect(result.domainShift.test).toMatchObject({ datasetId: 'demo-eval', images: 32 });
    }
    // Files in place, nothing temporary left.
    expect(await fsp.readdir(path.join(study, 'evaluations'))).toEqual(['iwne__demo-eval__test']);
    expect((await fsp.readdir(result.files.dir)).sort()).toEqual(['inputs.json', 'predictions.csv', 'preprocessing.json', 'result.json']);
    expect(JSON.parse(await fsp.readFile(result.files.result, 'utf8'))).toEqual(result);
    // Progress per batch (32 images in batches of 7 → 5 batches).
    expect(ctx.progress_.some((m) => /^7\/32 batch 1\/5/.test(m))).toBe(true);
    expect(ctx.progress_.at(-1)).toMatch(/^32\/32 AUC/);
    rows = await readPredictions(result.files.predictions);
  });

  it('has one row per graded test image, in manifest order, with the manifest grades and labels', async () => {
    const manifest = await readManifest(study, 'demo-eval');
    const test = manifest.items.filter((it) => it.split === 'test');
    expect(rows.map((r) => r.id)).toEqual(test.map((it) => it.id));
    expect(rows.map((r) => r.grade)).toEqual(test.map((it) => it.grade));
    expect(rows.map((r) => r.patient)).toEqual(test.map((it) => it.patient));
    expect(rows.map((r) => r.eye)).toEqual(test.map((it) => it.eye));
    expect(rows.map((r) => r.label)).toEqual(test.map((it) => ([2, 3, 4].includes(it.grade!) ? 1 : 0)));
    expect(result.n).toBe(32);
    expect(result.positives).toBe(rows.filter((r) => r.label === 1).length);
    expect(result.negatives).toBe(32 - result.positives);
  });

  it('P(referable) is the sum of the referable softmax columns; rows sum to 1 (1e-12)', () => {
    for (const r of rows) {
      expect(Math.abs(r.probs.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      expect(Math.abs(r.probs[2]! + r.probs[3]! + r.probs[4]! - r.pRef)).toBeLessThan(1e-12);
    }
  });

  it('the metrics equal their recomputation from predictions.csv', () => {
    const labels = rows.map((r) => r.label);
    const scores = rows.map((r) => r.pRef);
    expect(result.auc).toBe(rocAuc(labels, scores));
    expect(Math.abs(result.auc - naiveAuc(labels, scores))).toBeLessThan(1e-12);
    const d = delongCi(labels, scores);
    expect([result.delong.lower, result.delong.upper, result.delong.se]).toEqual([d.lower, d.upper, d.se]);
    const b = bootstrapAuc(labels, scores, { replicates: 500, seed: 0 });
    expect([result.bootstrap.lower, result.bootstrap.upper, result.bootstrap.samples]).toEqual([b.lower, b.upper, 500]);
    const roc = rocCurve(labels, scores);
    expect(result.roc).toEqual({ fpr: Array.from(roc.fpr), tpr: Array.from(roc.tpr), thresholds: Array.from(roc.thresholds) });
    expect(result.operatingPoint).toEqual({ targetSensitivity: 0.9, ...thresholdForSensitivity(labels, scores, 0.9) });
    expect(result.operatingPoint.sensitivity).toBeGreaterThanOrEqual(0.9);
    expect(result.youden).toEqual(youdenPoint(labels, scores));
    // atThreshold (0.5) by direct counting.
    const pos = rows.filter((r) => r.label === 1);
    const neg = rows.filter((r) => r.label === 0);
    expect(result.atThreshold.sensitivity).toBe(pos.filter((r) => r.pRef >= 0.5).length / pos.length);
    expect(result.atThreshold.specificity).toBe(neg.filter((r) => r.pRef < 0.5).length / neg.length);
    // Both CIs contain the AUC.
    expect(result.delong.lower).toBeLessThanOrEqual(result.auc);
    expect(result.delong.upper).toBeGreaterThanOrEqual(result.auc);
    expect(result.bootstrap.lower).toBeLessThanOrEqual(result.auc);
    expect(result.bootstrap.upper).toBeGreaterThanOrEqual(result.auc);
  });

  it('the probabilities equal an independent eval-mode forward pass (1e-6)', async () => {
    const manifest = await readManifest(study, 'demo-eval');
    const byId = new Map(manifest.items.map((it) => [it.id, it]));
    const run = await loadRunModel(study, 'iwne');
    try {
      const S = run.inputSize;
      expect(S).toBe(64);
      let worst = 0;
      for (const r of rows) {
        const file = path.join(study, 'datasets', 'demo-eval', byId.get(r.id)!.cache!.input);
        const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height, info.channels]).toEqual([S, S, 3]); // the cache is at the run's size: no resize
        const x = new Float32Array(S * S * 3);
        for (let k = 0; k < x.length; k++) x[k] = (data[k]! / 255 - run.mean[k % 3]!) / run.std[k % 3]!;
        const logits = tf.tidy(() => run.model.forward(tf.tensor4d(x, [1, S, S, 3]), { training: false }).dataSync());
        const m = Math.max(...logits);
        const e = Array.from(logits, (l) => Math.exp(l - m));
        const total = e.reduce((a, b) => a + b, 0);
        e.forEach((v, k) => (worst = Math.max(worst, Math.abs(v / total - r.probs[k]!))));
      }
      console.log(`max |p_csv − p_independent| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-6);
    } finally {
      run.model.dispose();
    }
  });

  it("flags evaluation on the run's own training images (overlapsTraining)", async () => {
    const ctx = recordingContext();
    const own = await evaluateRun({ runId: 'iwne', datasetId: 'demo', bootstrap: { samples: 100 } }, study, ctx);
    const manifest = await readManifest(study, 'demo');
    expect(own.split).toBe('all'); // demo has no test split
    expect(own.overlapsTraining).toBe(true);
    expect(own.trainingOverlap).toBe(manifest.items.filter((it) => it.grade !== null).length);
    expect(ctx.messages.some((m) => /Warning: \d+ of the \d+ evaluated images are in the training data of run iwne/.test(m))).toBe(true);
    // demo-eval's own train split holds other patients: no overlap.
    const other = await evaluateRun(
      { runId: 'iwne', datasetId: 'demo-eval', split: 'train', bootstrap: { samples: 100 } },
      study,
      recordingContext(),
    );
    expect(other).toMatchObject({ split: 'train', n: 12, overlapsTraining: false });
  });

  it('a referable override changes labels and P(referable) ({3,4}: columns 3 + 4)', async () => {
    const r34 = await evaluateRun(
      { runId: 'iwne', datasetId: 'demo-eval', referable: [4, 3], bootstrap: { samples: 100 } },
      study,
      recordingContext(),
    );
    expect(r34.referable).toEqual([3, 4]);
    const rows34 = await readPredictions(r34.files.predictions);
    rows34.forEach((r, i) => {
      expect(r.label).toBe(r.grade >= 3 ? 1 : 0);
      expect(Math.abs(r.probs[3]! + r.probs[4]! - r.pRef)).toBeLessThan(1e-12);
      expect(r.probs).toEqual(rows[i]!.probs); // same forward pass
    });
    expect(r34.auc).toBe(
      rocAuc(
        rows34.map((r) => r.label),
        rows34.map((r) => r.pRef),
      ),
    );
  });

  it('a cancelled re-evaluation leaves the earlier one untouched and no temporaries', async () => {
    const dir = path.join(study, 'evaluations', 'iwne__demo-eval__test');
    const before = await fsp.readFile(path.join(dir, 'result.json'), 'utf8');
    const ctx = recordingContext();
    const progress = ctx.progress;
    ctx.progress = (d, t, m) => {
      progress(d, t, m);
      if (/batch 2\//.test(m)) ctx.controller.abort();
    };
    const tensors = tf.memory().numTensors;
    await expect(evaluateRun({ runId: 'iwne', datasetId: 'demo-eval', referable: [3, 4], batchSize: 4 }, study, ctx)).rejects.toMatchObject(
      { code: 'CANCELLED' },
    );
    expect(tf.memory().numTensors).toBe(tensors);
    expect(ctx.progress_.some((m) => /batch 3\//.test(m))).toBe(false); // stopped between batches
    expect(await fsp.readFile(path.join(dir, 'result.json'), 'utf8')).toBe(before);
    expect((await fsp.readdir(path.join(study, 'evaluations'))).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(existsSync(path.join(dir, 'predictions.csv'))).toBe(true);
  });
});
