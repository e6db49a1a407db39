/**
 * studyResults on hand-made evaluations (result.json + predictions.csv written by the test):
 * the Fig 2 band definition against hand-computed numbers, which pairs are compared, the paired
 * DeLong test against pairedDelongTest on the aligned vectors (exact), image-set and label
 * mismatches reported per comparison, unreadable folders skipped, and the table CSV.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src-main/services/datasets/csv';
import { pairedDelongTest } from '../../../src-main/services/evaluation/metrics';
import { RESULTS_CSV_COLUMNS, fig2Data, resultsTableCsv, studyResults } from '../../../src-main/services/evaluation/results';
import { Rng } from '../../../src-main/random/prng';
import { StudyResults, type ResultsRow } from '../../../src-shared/evaluation';
import { writeFakeEvaluation } from '../../support/evaluations';
import { makeStudy } from '../../support/studies';

/** 60 images, ~40 % referable, two correlated models (A better than B). */
function predictions(seed: number) {
  const rng = new Rng(seed);
  const images = Array.from({ length: 60 }, (_, i) => {
    const label = rng.next() < 0.4 ? 1 : 0;
    const shared = rng.normal();
    return {
      id: `img${String(i).padStart(3, '0')}`,
      label,
      a: 1 / (1 + Math.exp(-(2.5 * label - 1.25 + 0.8 * shared + 0.6 * rng.normal()))),
      b: 1 / (1 + Math.exp(-(0.6 * label - 0.3 + 0.8 * shared + 0.6 * rng.normal()))),
    };
  });
  return images;
}

describe('fig2Data (band definition)', () => {
  const row = (
    strategy: ResultsRow['strategy'],
    fraction: number,
    seed: number,
    auc: number,
    lower: number,
    upper: number,
    datasetId = 'ext',
  ): ResultsRow => ({
    evaluation: `${strategy}-${fraction}-${seed}`,
    datasetId,
    split: 'test',
    referable: [3, 4],
    runId: `${strategy.toLowerCase()}-f${fraction}-s${seed}`,
    strategy,
    fraction,
    seed,
    arch: 'resnet50',
    n: 100,
    positives: 20,
    auc,
    delong: { lower, upper },
    bootstrap: { lower, upper, samples: 2000 },
    operatingPoint: { targetSensitivity: 0.9, threshold: 0.3, sensitivity: 0.9, specificity: 0.5 },
    overlapsTraining: false,
    createdAt: '2024-01-01T00:00:00.000Z',
  });

  it('one seed: its DeLong CI; several seeds: the mean of the DeLong bounds, with min/max AUC', () => {
    const panels = fig2Data([
      row('IFI-FS', 0.1, 0, 0.81, 0.76, 0.86),
      row('IWNE-FS', 0.5, 0, 0.72, 0.66, 0.78),
      row('IWNE-FS', 0.1, 2, 0.75, 0.65, 0.85),
      row('IWNE-FS', 0.1, 0, 0.7, 0.6, 0.8),
      row('IWNE-FS', 0.1, 1, 0.8, 0.72, 0.88),
      row('IWNE-FS', 0.1, 0, 0.9, 0.85, 0.95, 'other'),
    ]);
    expect(panels.map((p) => p.datasetId)).toEqual(['ext', 'other']);
    const ext = panels[0]!;
    expect(ext.series.map((s) => s.strategy)).toEqual(['IWNE-FS', 'IFI-FS']); // paper order
    const iwne = ext.series[0]!.points;
    expect(iwne.map((p) => p.fraction)).toEqual([0.1, 0.5]);
    const three = iwne[0]!;
    expect(three.seeds).toEqual([0, 1, 2]);
    expect(three.band).toBe('mean-delong-ci');
    expect(three.meanAuc).toBeCloseTo(0.75, 14);
    expect(three.lower).toBeCloseTo((0.6 + 0.72 + 0.65) / 3, 14);
    expect(three.upper).toBeCloseTo((0.8 + 0.88 + 0.85) / 3, 14);
    expect([three.minAuc, three.maxAuc]).toEqual([0.7, 0.8]);
    expect(iwne[1]).toMatchObject({
      fraction: 0.5,
      seeds: [0],
      meanAuc: 0.72,
      lower: 0.66,
      upper: 0.78,
      band: 'delong-ci',
      minAuc: 0.72,
      maxAuc: 0.72,
    });
    expect(ext.series[1]!.points).toEqual([
      {
        fraction: 0.1,
        seeds: [0],
        runs: ['ifi-fs-f0.1-s0'],
        meanAuc: 0.81,
        lower: 0.76,
        upper: 0.86,
        band: 'delong-ci',
        minAuc: 0.81,
        maxAuc: 0.81,
      },
    ]);
    expect(panels[1]!.series[0]!.points[0]).toMatchObject({ meanAuc: 0.9, lower: 0.85, upper: 0.95 });
  });
});

describe('studyResults on hand-made evaluations', () => {
  let study: string;
  const images = predictions(5);
  const shuffled = (seed: number) => {
    const rng = new Rng(seed);
    const out = [...images];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };

  beforeAll(async () => {
    study = await makeStudy();
    const as = images.map((p) => ({ id: p.id, label: p.label, score: p.a }));
    const bs = shuffled(1).map((p) => ({ id: p.id, label: p.label, score: p.b }));
    // fraction 0.1, seed 0: IFI-CL (A scores), IFI-FS (B scores, rows shuffled), IWNE-FS (A scores, shuffled).
    await writeFakeEvaluation(study, {
      runId: 'ifi-cl-1',
      strategy: 'IFI-CL',
      fraction: 0.1,
      seed: 0,
      auc: 0.9,
      delong: [0.85, 0.95],
      predictions: as,
    });
    await writeFakeEvaluation(study, {
      runId: 'ifi-fs-1',
      strategy: 'IFI-FS',
      fraction: 0.1,
      seed: 0,
      auc: 0.8,
      delong: [0.75, 0.85],
      predictions: bs,
    });
    await writeFakeEvaluation(study, {
      runId: 'iwne-fs-1',
      strategy: 'IWNE-FS',
      fraction: 0.1,
      seed: 0,
      auc: 0.7,
      delong: [0.6, 0.8],
      predictions: shuffled(2).map((p) => ({ id: p.id, label: p.label, score: p.a })),
    });
    // Seed 1 of IFI-FS: nothing to pair with (no other strategy at seed 1).
    await writeFakeEvaluation(study, {
      runId: 'ifi-fs-s1',
      strategy: 'IFI-FS',
      fraction: 0.1,
      seed: 1,
      auc: 0.82,
      delong: [0.77, 0.87],
      predictions: bs,
    });
    // fraction 0.2: IWNE-CL has one image fewer; IWNE-FS and IFI-FS disagree on a label.
    await writeFakeEvaluation(study, {
      runId: 'iwne-cl-2',
      strategy: 'IWNE-CL',
      fraction: 0.2,
      seed: 0,
      auc: 0.7,
      delong: [0.6, 0.8],
      predictions: as.slice(1),
    });
    await writeFakeEvaluation(study, {
      runId: 'iwne-fs-2',
      strategy: 'IWNE-FS',
      fraction: 0.2,
      seed: 0,
      auc: 0.7,
      delong: [0.6, 0.8],
      predictions: as,
    });
    await writeFakeEvaluation(study, {
      runId: 'ifi-fs-2',
      strategy: 'IFI-FS',
      fraction: 0.2,
      seed: 0,
      auc: 0.7,
      delong: [0.6, 0.8],
      predictions: as.map((p, i) => (i === 3 ? { ...p, label: 1 - p.label } : p)),
    });
    // Not evaluations: a temporary folder and a corrupt result.
    await fsp.mkdir(path.join(study, 'evaluations', '.x__y__test.tmp-abc123'));
    await fsp.mkdir(path.join(study, 'evaluations', 'broken__ext__test'));
    await fsp.writeFile(path.join(study, 'evaluations', 'broken__ext__test', 'result.json'), '{"schemaVersion": 1');
  });

  it('builds the table (sorted), skips unreadable folders, ignores temporaries', async () => {
    const r = await studyResults(study);
    expect(StudyResults.parse(r)).toEqual(r);
    expect(r.rows.map((x) => x.runId)).toEqual(['iwne-fs-1', 'iwne-fs-2', 'iwne-cl-2', 'ifi-fs-1', 'ifi-fs-s1', 'ifi-fs-2', 'ifi-cl-1']);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]).toMatchObject({
      path: path.join(study, 'evaluations', 'broken__ext__test'),
      reason: expect.stringMatching(/could not be read as JSON/),
    });
  });

  it('compares CL vs FS within an initialisation and IFI vs IWNE within a method, same fraction and seed only', async () => {
    const r = await studyResults(study);
    const pairs = r.comparisons.map((c) => `${c.fraction}/${c.seed}: ${c.a.runId} − ${c.b.runId} (${c.kind}, ${c.within})`);
    expect(pairs).toEqual([
      '0.1/0: ifi-cl-1 − ifi-fs-1 (CL vs FS, IFI)',
      '0.1/0: ifi-fs-1 − iwne-fs-1 (IFI vs IWNE, FS)',
      '0.2/0: iwne-cl-2 − iwne-fs-2 (CL vs FS, IWNE)',
      '0.2/0: ifi-fs-2 − iwne-fs-2 (IFI vs IWNE, FS)',
    ]);
  });

  it('the paired test equals pairedDelongTest on the vectors aligned by image id (exact)', async () => {
    const r = await studyResults(study);
    const labels = images.map((p) => p.label);
    const check = (c: (typeof r.comparisons)[number], a: number[], b: number[]) => {
      const t = pairedDelongTest(labels, a, b);
      expect(c.error).toBeNull();
      expect(c.test).toEqual({
        n: 60,
        positives: t.nPositive,
        aucA: t.aucA,
        aucB: t.aucB,
        difference: t.difference,
        se: Math.sqrt(t.varianceDifference),
        z: t.z,
        p: t.p,
        lower: t.lower,
        upper: t.upper,
        level: 0.95,
      });
    };
    check(
      r.comparisons[0]!,
      images.map((p) => p.a),
      images.map((p) => p.b),
    );
    check(
      r.comparisons[1]!,
      images.map((p) => p.b),
      images.map((p) => p.a),
    );
    expect(r.comparisons[0]!.test!.difference).toBeGreaterThan(0); // A separates better by construction
    expect(r.comparisons[0]!.test!.p).toBeLessThan(0.05);
  });

  it('different image sets or labels: an error on that comparison, never a test on the intersection', async () => {
    const r = await studyResults(study);
    expect(r.comparisons[2]).toMatchObject({
      test: null,
      error: expect.stringMatching(
        /hold different images \(59 in .*iwne-cl-2__ext__test.*predictions\.csv, 60 in .*; 0 only in the first; 1 only in the second: "img000"\)/,
      ),
    });
    expect(r.comparisons[3]).toMatchObject({ test: null, error: expect.stringMatching(/Image "img003" is labelled \d in .* but \d in /) });
  });

  it('resultsTableCsv: one row per evaluation, full precision, parses back', async () => {
    const r = await studyResults(study);
    const table = parseCsv(resultsTableCsv(r));
    expect(table.header).toEqual([...RESULTS_CSV_COLUMNS]);
    expect(table.rows).toHaveLength(r.rows.length);
    table.rows.forEach(({ cells }, i) => {
      const row = r.rows[i]!;
      const get = (c: (typeof RESULTS_CSV_COLUMNS)[number]) => cells[RESULTS_CSV_COLUMNS.indexOf(c)]!;
      expect([get('dataset'), get('split'), get('referable'), get('run'), get('strategy'), get('arch'), get('evaluation')]).toEqual([
        row.datasetId,
        row.split,
        '3 4',
        row.runId,
        row.strategy,
        row.arch,
        row.evaluation,
      ]);
      expect([
        Number(get('fraction')),
        Number(get('seed')),
        Number(get('auc')),
        Number(get('delong_lower')),
        Number(get('delong_upper')),
        Number(get('sensitivity')),
        Number(get('specificity')),
      ]).toEqual([
        row.fraction,
        row.seed,
        row.auc,
        row.delong.lower,
        row.delong.upper,
        row.operatingPoint.sensitivity,
        row.operatingPoint.specificity,
      ]);
      expect(get('overlaps_training')).toBe('false');
    });
  });

  it('an empty study gives empty results', async () => {
    expect(await studyResults(await makeStudy())).toMatchObject({ rows: [], comparisons: [], fig2: [], skipped: [] });
  });
});
