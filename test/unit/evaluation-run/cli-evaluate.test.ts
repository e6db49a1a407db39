/**
 * `funduslab evaluate` and `funduslab results` (runEvaluate / runResults called in-process, as
 * cli-train.test.ts does; cli/main.ts registers them) on two tiny real runs (IWNE-FS and
 * IFI-FS at the same fraction and seed): --json output parses with the zod schemas, the human
 * summary says what matters, the paired IFI-FS − IWNE-FS test equals pairedDelongTest on the two
 * predictions.csv files read independently, --csv writes the table, bad arguments name the fields.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runEvaluate } from '../../../src-main/cli/commands/evaluate';
import { runResults } from '../../../src-main/cli/commands/results';
import { initEngine } from '../../../src-main/engine/backend';
import { ResNet } from '../../../src-main/engine/models/resnet';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { exportSafetensors } from '../../../src-main/engine/weights/export';
import { pairedDelongTest } from '../../../src-main/services/evaluation/metrics';
import { RESULTS_CSV_COLUMNS } from '../../../src-main/services/evaluation/results';
import { EvaluationResult, StudyResults } from '../../../src-shared/evaluation';
import { captureOutput } from '../../support/cli';
import { readCsv, tempDir } from '../../support/files';
import { evalStudy, trainTiny } from '../../support/studies';

let study: string;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  const imagenet = ResNet.create(parseArch('resnet18-w8', 5), { seed: 9 }); // stands in for ImageNet weights
  await exportSafetensors(imagenet, path.join(study, 'pretrained.safetensors'));
  imagenet.dispose();
  await trainTiny(study, 'iwne-fs', { fraction: 0.5, seed: 1 });
  await trainTiny(study, 'ifi-fs', { strategy: 'IFI-FS', pretrainedWeights: 'pretrained.safetensors', fraction: 0.5, seed: 1 });
}, 120_000);

afterEach(() => vi.restoreAllMocks());

describe('funduslab evaluate / results', () => {
  it('evaluate --json prints an EvaluationResult', async () => {
    const io = captureOutput();
    expect(
      await runEvaluate([
        '--study',
        study,
        '--run',
        'iwne-fs',
        '--dataset',
        'demo-eval',
        '--referable',
        '3,4',
        '--target-sensitivity',
        '0.8',
        '--bootstrap',
        '300',
        '--json',
      ]),
    ).toBe(0);
    const printed = JSON.parse(io.out()) as { ok: boolean; value: unknown };
    expect(printed.ok).toBe(true);
    const r = EvaluationResult.parse(printed.value);
    expect(r).toMatchObject({
      name: 'iwne-fs__demo-eval__test',
      referable: [3, 4],
      split: 'test',
      n: 32,
      operatingPoint: { targetSensitivity: 0.8 },
      bootstrap: { samples: 300 },
    });
    expect(io.err()).toBe(''); // --json: no progress noise
  });

  it('evaluate prints a human summary (n, AUC with both CIs, operating point, CSV path)', async () => {
    const io = captureOutput();
    expect(
      await runEvaluate([
        '--study',
        study,
        '--run',
        'ifi-fs',
        '--dataset',
        'demo-eval',
        '--referable',
        '3,4',
        '--target-sensitivity',
        '0.8',
        '--bootstrap',
        '300',
      ]),
    ).toBe(0);
    const text = io.out();
    const r = EvaluationResult.parse(
      JSON.parse(await fsp.readFile(path.join(study, 'evaluations', 'ifi-fs__demo-eval__test', 'result.json'), 'utf8')),
    );
    expect(text).toContain(`n 32 images: ${r.positives} referable, ${r.negatives} non-referable`);
    expect(text).toContain(
      `AUC ${r.auc.toFixed(4)}   DeLong 95% CI ${r.delong.lower.toFixed(4)}–${r.delong.upper.toFixed(4)}   bootstrap 95% CI ${r.bootstrap.lower.toFixed(4)}–${r.bootstrap.upper.toFixed(4)}`,
    );
    expect(text).toContain(
      `sensitivity ${r.operatingPoint.sensitivity.toFixed(3)}, specificity ${r.operatingPoint.specificity.toFixed(3)}`,
    );
    expect(text).toContain(`predictions: ${r.files.predictions}`);
    expect(io.err()).toMatch(/evaluate: \[[#-]+\] +\d+ % · .* elapsed/); // the one progress line on stderr
  });

  it('results --json: the table, and IFI-FS − IWNE-FS equal to pairedDelongTest on the two CSVs', async () => {
    const csvFile = path.join(await tempDir('results-csv'), 'table.csv');
    const io = captureOutput();
    expect(await runResults(['--study', study, '--json', '--csv', csvFile])).toBe(0);
    const printed = JSON.parse(io.out()) as { ok: boolean; value: unknown };
    const r = StudyResults.parse(printed.value);
    expect(r.rows.map((x) => [x.runId, x.strategy, x.fraction, x.seed, x.arch])).toEqual([
      ['iwne-fs', 'IWNE-FS', 0.5, 1, 'resnet18-w8'],
      ['ifi-fs', 'IFI-FS', 0.5, 1, 'resnet18-w8'],
    ]);
    expect(r.comparisons).toHaveLength(1);
    const c = r.comparisons[0]!;
    expect(c).toMatchObject({ kind: 'IFI vs IWNE', within: 'FS', a: { runId: 'ifi-fs' }, b: { runId: 'iwne-fs' }, error: null });
    const read = async (name: string) => readCsv(await fsp.readFile(path.join(study, 'evaluations', name, 'predictions.csv'), 'utf8')).rows;
    const a = await read('ifi-fs__demo-eval__test');
    const b = await read('iwne-fs__demo-eval__test');
    expect(a.map((x) => x[0])).toEqual(b.map((x) => x[0])); // same images, same (manifest) order
    const t = pairedDelongTest(
      a.map((x) => Number(x[4])),
      a.map((x) => Number(x[10])),
      b.map((x) => Number(x[10])),
    );
    expect(c.test).toMatchObject({ n: 32, aucA: t.aucA, aucB: t.aucB, difference: t.difference, p: t.p, lower: t.lower, upper: t.upper });
    expect(c.test!.aucA).toBe(r.rows[1]!.auc);
    // Fig 2: one panel, two one-point series with the DeLong CI as band.
    expect(r.fig2).toHaveLength(1);
    expect(r.fig2[0]!.series.map((s) => [s.strategy, s.points[0]!.band, s.points[0]!.lower])).toEqual([
      ['IWNE-FS', 'delong-ci', r.rows[0]!.delong.lower],
      ['IFI-FS', 'delong-ci', r.rows[1]!.delong.lower],
    ]);
    // --csv wrote the table.
    const table = readCsv(await fsp.readFile(csvFile, 'utf8'));
    expect(table.header).toEqual([...RESULTS_CSV_COLUMNS]);
    expect(table.rows.map((x) => [x[3], Number(x[10])])).toEqual(r.rows.map((x) => [x.runId, x.auc]));
  });

  it('results prints the table and the paired test', async () => {
    const io = captureOutput();
    expect(await runResults(['--study', study])).toBe(0);
    expect(io.out()).toMatch(/demo-eval \[test\]\s+3,4\s+IWNE-FS\s+0\.5\s+1\s+resnet18-w8\s+iwne-fs\s+32/);
    expect(io.out()).toMatch(/Paired DeLong tests[\s\S]*IFI-FS − IWNE-FS\s+[+-]\d\.\d{4}\s+-?\d\.\d{4}–-?\d\.\d{4}\s+\d/);
  });

  it('bad arguments name the fields; nothing is written', async () => {
    captureOutput();
    await expect(runEvaluate(['--study', study, '--dataset', 'demo-eval'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'runId' }],
    });
    await expect(runEvaluate(['--run', 'x', '--dataset', 'y'])).rejects.toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'study' }] });
    await expect(
      runEvaluate([
        '--study',
        study,
        '--run',
        'iwne-fs',
        '--dataset',
        'demo-eval',
        '--referable',
        '3,x',
        '--bootstrap',
        'many',
        '--split',
        'val',
      ]),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: expect.arrayContaining([
        expect.objectContaining({ path: 'referable.1' }),
        expect.objectContaining({ path: 'bootstrap.samples' }),
        expect.objectContaining({ path: 'split' }),
      ]),
    });
    expect(existsSync(path.join(study, 'evaluations', 'iwne-fs__demo-eval__val'))).toBe(false);
    await expect(runResults([])).rejects.toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'study' }] });
  });
});
