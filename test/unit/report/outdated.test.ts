/**
 * Outdated runs in the results and the report: a 1-epoch run evaluated, the grid changed to 2 epochs (and
 * another learning rate, so the two models differ)
 * and the new run evaluated. By default the results table, the paired tests, Fig 2's data and the
 * report hold only the new run (the old one is listed as left out, with "epochs 1 → 2"), and the
 * report's Methods show the epochs of the runs shown; with includeOutdated both are there, the old
 * one marked, and the Methods table of differing settings lists both runs with their epochs.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import { RESULTS_CSV_COLUMNS, resultsTableCsv, studyResults } from '../../../src-main/services/evaluation/results';
import { buildReport } from '../../../src-main/report/report';
import { differingSettings } from '../../../src-main/report/sections/methods';
import { listRunsWithStanding } from '../../../src-main/services/runs/run-info';
import { saveGrid } from '../../../src-main/services/training/grid';
import { runGrid } from '../../../src-main/services/training/grid-run';
import type { GridSpecInput } from '../../../src-shared/grid';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, evalStudy } from '../../support/studies';

const { strategy: _s, seed: _seed, ...base } = demoSpec({ inputSize: 64 });
const grid = (epochs: number, lr: number): GridSpecInput => ({
  strategies: ['IWNE-FS'],
  fractions: [1],
  seeds: [0],
  base: { ...base, epochs, lr },
});
/** Why the first run is outdated once the grid trains 2 epochs at lr 0.001 (a different lr, so the two models differ from epoch 1 on). */
const REASONS = ['epochs 1 → 2', 'lr 0.002 → 0.001'];

let study: string;
let oldRun: string;
let newRun: string;

/** The PDF's text (poppler's pdftotext) without any white space: table cells and paragraphs wrap anywhere. */
const pdfText = (pdf: string) => execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
const squeeze = (s: string) => s.replace(/\s+/g, '');

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  await saveGrid(study, grid(1, 2e-3));
  [oldRun] = (await runGrid(study, recordingContext())).map((o) => o.runId) as [string];
  await evaluateRun({ runId: oldRun, datasetId: 'demo-eval' } as never, study, recordingContext());
  await saveGrid(study, grid(2, 1e-3));
  [newRun] = (await runGrid(study, recordingContext())).map((o) => o.runId) as [string];
  await evaluateRun({ runId: newRun, datasetId: 'demo-eval' } as never, study, recordingContext());
}, 240_000);

describe('outdated runs in the results', () => {
  it('are left out of the table, the paired tests and Fig 2 unless included, and listed with their reasons', async () => {
    expect(newRun).toBe(`${oldRun}-v2`);
    const shown = await studyResults(study);
    expect(shown.rows.map((r) => [r.runId, r.settings?.epochs, r.standing?.outdated])).toEqual([[newRun, 2, false]]);
    expect(shown.fig2.flatMap((p) => p.series.flatMap((s) => s.points.flatMap((x) => x.runs)))).toEqual([newRun]);
    expect(shown.excludedOutdated).toEqual([{ evaluation: expect.stringContaining(oldRun), runId: oldRun, reasons: REASONS }]);
    expect(resultsTableCsv(shown)).not.toContain(`${oldRun},`);

    const all = await studyResults(study, { includeOutdated: true });
    expect(all.rows.map((r) => [r.runId, r.settings?.epochs, r.standing?.outdated, r.standing?.reasons])).toEqual([
      [oldRun, 1, true, REASONS],
      [newRun, 2, false, []],
    ]);
    expect(all.fig2[0]!.series[0]!.points[0]!.runs.sort()).toEqual([oldRun, newRun].sort());
    expect(all.excludedOutdated).toEqual([]);
    const csv = resultsTableCsv(all).split('\n');
    expect(csv[0]!.split(',').slice(-5)).toEqual(['epochs', 'lr', 'batch_size', 'input_size', 'outdated']);
    expect(RESULTS_CSV_COLUMNS.slice(-5)).toEqual(['epochs', 'lr', 'batch_size', 'input_size', 'outdated']);
    expect(csv.find((l) => l.includes(`,${oldRun},`))).toMatch(/,1,0\.002,16,64,outdated: epochs 1 → 2; lr 0\.002 → 0\.001$/);
  });

  it('differingSettings lists the settings that differ between runs of the same strategy', async () => {
    const runs = await listRunsWithStanding(study);
    const d = differingSettings(runs);
    expect(d.keys).toEqual(['epochs', 'lr']);
    expect(d.runs.map((r) => [r.runId, d.values.get(r.runId)!.get('epochs'), d.values.get(r.runId)!.get('lr')])).toEqual([
      [oldRun, '1', '0.002'],
      [newRun, '2', '0.001'],
    ]);
    expect(differingSettings(runs.filter((r) => r.runId === newRun)).keys).toEqual([]);
  });
});

describe('outdated runs in the report', () => {
  it('leaves the outdated run and its AUC out by default; Methods show the epochs of the runs shown', async () => {
    const all = await studyResults(study, { includeOutdated: true });
    const aucOf = (runId: string) => all.rows.find((r) => r.runId === runId)!.auc.toFixed(3);
    expect(aucOf(oldRun)).not.toBe(aucOf(newRun)); // otherwise the AUC checks below could not tell the runs apart
    const out = path.join(await tempDir('report-outdated'), 'report.pdf');
    await buildReport(study, { out }, recordingContext());
    const text = pdfText(out);
    expect(text).toContain(aucOf(newRun));
    expect(text).not.toContain(aucOf(oldRun));
    expect(text).toContain('Epochs2Learningrate0.001');
    expect(text).not.toContain('Epochs1');
    expect(text).toContain(
      squeeze(
        `Left out: 1 outdated run, trained with settings the current grid no longer has, and every result made from them: ${oldRun} (${REASONS.join(', ')}).`,
      ),
    );
    expect(text).toContain(squeeze('1 evaluation of outdated runs is left out of Fig 2, the table and the paired tests'));
    expect(text).not.toContain(squeeze('Settings that differ between the runs shown'));
  }, 120_000);

  it('with includeOutdated shows both runs, marks the outdated one and tables the differing epochs', async () => {
    const all = await studyResults(study, { includeOutdated: true });
    const out = path.join(await tempDir('report-outdated'), 'report.pdf');
    const report = await buildReport(study, { out, includeOutdated: true }, recordingContext());
    const text = pdfText(out);
    for (const r of all.rows) expect(text).toContain(r.auc.toFixed(3));
    expect(text).toContain(squeeze('Settings that differ between the runs shown'));
    expect(text).toContain(
      squeeze(
        `Included on request: 1 outdated run, trained with settings the current grid no longer has: ${oldRun} (${REASONS.join(', ')}).`,
      ),
    );
    expect(text).toContain(squeeze('‡ an outdated run'));
    // The table wraps long run ids inside their cells: its CSV beside the report holds them whole.
    expect(report.tables).toContain('differing-settings');
    expect(await fsp.readFile(path.join(report.assetsDir, 'tables', 'differing-settings.csv'), 'utf8')).toBe(
      `run,epochs,lr,outdated\n${oldRun},1,0.002,true\n${newRun},2,0.001,false\n`,
    );
    expect(text).toMatch(/Runepochslr\s*Standing/);
    expect(text).toMatch(/10\.002outdated.*20\.001current/);
  }, 120_000);
});
