/**
 * The study report from a small finished study (two tiny IWNE-FS runs and an IWNE-CL run on the
 * synthetic demo data, evaluated on a separate test set): poppler's pdftotext finds every section
 * heading, the key numbers printed equal the saved metrics (AUCs and CIs to the 3 printed decimals,
 * intervals as "a to b" with true minus signs, each run's best validation AUC), pdftoppm renders every
 * page, the assets (Fig 2 SVG/PNG, tables CSV) are written and the results CSV equals resultsTableCsv;
 * the synthetic-data warning is on the title page; no image identifier of the datasets appears unless
 * the user opts in. Layout: no table cell or key–value line is wider than its column or broken inside
 * a word (layout-check.ts, against the rendered PDF); Table 3 shows both poolings; the training
 * diagnostics (Fig A1, Fig A2, Table A1) are there, and the warning box on the CL results appears
 * exactly when the pretraining's learning check has warnings; the gallery keeps the PDF small.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { evaluateRun } from '../../../src-main/services/evaluation/evaluate';
import { resultsTableCsv, studyResults } from '../../../src-main/services/evaluation/results';
import { REPORT_SECTIONS, buildReport, pseudonymiser } from '../../../src-main/report/report';
import { ci, fmt } from '../../../src-main/report/context';
import type { CellRecord } from '../../../src-main/report/pdf-writer';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { PretrainSummary } from '../../../src-shared/training';
import { layoutProblems, pdfWords } from './layout-check';
import { runRobustness } from '../../../src-main/analysis/robustness/service';
import { runSpectra } from '../../../src-main/analysis/spectra/service';
import type { SpectraResult } from '../../../src-shared/spectra';
import type { ExplanationResult } from '../../../src-shared/explanations';
import { explainRun } from '../../../src-main/analysis/lrp/service';
import { writeIdridDemo } from '../../../src-main/services/demo';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { tempDir } from '../../support/files';
import { runResults } from '../../../src-main/cli/commands/results';
import type { AnalysisResultRow } from '../../../src-main/analysis/results-list';
import { captureExit } from '../../support/cli';
import { recordingContext } from '../../support/job-context';
import { evalStudy, readManifest, trainTiny } from '../../support/studies';
import type { TrainingResult } from '../../../src-shared/training';

const tool = (name: string) => {
  try {
    execFileSync('which', [name]);
  } catch {
    throw new Error(
      `${name} (Debian package poppler-utils) is needed to read the report back: apt-get install poppler-utils (.ci/run does).`,
    );
  }
};

let study: string;
let out: string;
const runs: TrainingResult[] = [];
const spectra: SpectraResult[] = [];
const explanations: ExplanationResult[] = [];

beforeAll(async () => {
  tool('pdftotext');
  tool('pdftoppm');
  await initEngine({ preference: 'auto' });
  study = await evalStudy();
  runs.push(await trainTiny(study, 'iwne-fs-half', { fraction: 0.5 }));
  runs.push(await trainTiny(study, 'iwne-fs-full', { fraction: 1 }));
  runs.push(
    await trainTiny(study, 'iwne-cl-full', {
      fraction: 1,
      strategy: 'IWNE-CL',
      moco: { epochs: 2, batchSize: 16, queueSize: 64, optimizer: 'adamw', lr: 1e-3, dim: 16, mlpHidden: 16 },
    }),
  );
  for (const r of runs) await evaluateRun({ runId: r.runId, datasetId: 'demo-eval' } as never, study, recordingContext());
  for (const runId of ['iwne-fs-full', 'iwne-cl-full'])
    spectra.push(await runSpectra({ runId, datasetId: 'demo-eval', images: 12 }, study, recordingContext()));
  const idridSrc = await tempDir('idrid-src');
  await writeIdridDemo(idridSrc, { images: 3, size: 128, seed: 5 });
  await importDataset(
    {
      type: 'idrid-seg',
      path: path.join(idridSrc, 'idrid'),
      id: 'idrid-demo',
      settings: { inputSize: 64, overlaySize: 128 },
      concurrency: 2,
    },
    study,
    recordingContext(),
  );
  for (const runId of ['iwne-fs-full', 'iwne-cl-full'])
    explanations.push(await explainRun({ runId, datasetId: 'idrid-demo' }, study, recordingContext()));
  await runRobustness(
    {
      runIds: ['iwne-fs-full', 'iwne-cl-full'],
      datasetId: 'demo-eval',
      corruptions: ['gaussian_noise', 'pixelate', 'brightness'],
      severities: [1, 3, 5],
      images: 16,
    },
    study,
    recordingContext(),
  );
  out = path.join(await tempDir('report'), 'report.pdf');
}, 240_000);

describe('study report', () => {
  it('has every section, the saved numbers, renders every page, writes the assets', async () => {
    const layoutLog: CellRecord[] = [];
    const result = await buildReport(study, { out, date: new Date('2026-01-02T03:04:05Z'), layoutLog }, recordingContext());
    expect(result.sections).toEqual([...REPORT_SECTIONS]);
    const text = execFileSync('pdftotext', ['-layout', out, '-']).toString('utf8');
    for (const heading of REPORT_SECTIONS) expect(text, heading).toContain(heading);
    expect(text).toMatch(/SYNTHETIC demo images/);

    const results = await studyResults(study);
    expect(results.rows).toHaveLength(3);
    expect(results.comparisons.some((c) => c.test !== null)).toBe(true); // IWNE-CL vs IWNE-FS at fraction 1
    for (const row of results.rows) {
      expect(text).toContain(row.auc.toFixed(3));
      // Intervals print as "lower to upper" with true minus signs (was "lower–upper").
      expect(text).toContain(ci(row.delong.lower, row.delong.upper));
      expect(text).toContain(ci(row.bootstrap.lower, row.bootstrap.upper));
      expect(text).toContain(`${row.n} (${row.positives})`);
      const op = row.operatingPoint;
      expect(text).toContain(`${op.sensitivity.toFixed(2)}/${op.specificity.toFixed(2)}`); // the Sens/spec column
    }
    for (const r of runs) {
      expect(text).toContain(r.runId);
      expect(text).toContain(r.bestValAuc!.toFixed(3));
    }

    // Every page renders.
    const pagesDir = await tempDir('report-pages');
    execFileSync('pdftoppm', ['-r', '30', '-png', out, path.join(pagesDir, 'p')]);
    expect((await fsp.readdir(pagesDir)).filter((f) => f.endsWith('.png'))).toHaveLength(result.pages);
    const info = execFileSync('pdfinfo', [out]).toString();
    expect(info).toMatch(new RegExp(`Pages:\\s+${result.pages}`));

    // Assets.
    for (const ext of ['svg', 'png']) expect(existsSync(path.join(result.assetsDir, 'figures', `fig2-auc-vs-fraction.${ext}`))).toBe(true);
    expect(await fsp.readFile(path.join(result.assetsDir, 'tables', 'results.csv'), 'utf8')).toBe(resultsTableCsv(results));
    for (const t of [
      'datasets',
      'runs',
      'paired-tests',
      'robustness',
      'table2-distribution-fits',
      'condition-numbers',
      'table3-rma',
      'table3-rra',
    ])
      expect(existsSync(path.join(result.assetsDir, 'tables', `${t}.csv`)), t).toBe(true);
    for (const f of ['fig4-robustness', 'fig4-gallery'])
      expect(existsSync(path.join(result.assetsDir, 'figures', `${f}.png`)), f).toBe(true);
    expect(text).toMatch(/Fig 4\. CL minus FS/);
    expect(text).toMatch(/Fig 3a\. Condition number/);
    expect(text).toMatch(/Fig 3b\. The first conv layer/);
    for (const sp of spectra) {
      expect(text).toContain(fmt(sp.firstLayer.kurtosis, 2)); // Table 2 prints each model's kurtosis (with a true minus sign)
      if (sp.firstLayer.best) expect(text).toContain(sp.firstLayer.best);
    }
    expect(text).toMatch(/Fig 5\. Input, the lesion masks/);
    expect(text).toMatch(/Table 3a: relevance mass accuracy/);
    for (const ex of explanations) {
      const mean = ex.summary.union?.lrp['sum,pos']?.rma.mean;
      if (mean !== null && mean !== undefined) expect(text).toContain(mean.toFixed(3));
    }
    for (const f of ['fig5-explanations', 'fig3a-condition-numbers', 'fig3b-first-layer-spectrum'])
      expect(existsSync(path.join(result.assetsDir, 'figures', `${f}.svg`)), f).toBe(true);
    const svg = await fsp.readFile(path.join(result.assetsDir, 'figures', 'fig2-auc-vs-fraction.svg'), 'utf8');
    expect(svg).toContain('IWNE-FS');

    // Paired tests: every interval as printed, a negative bound with a true minus sign; no number with a hyphen-minus.
    for (const c of results.comparisons) if (c.test) expect(text).toContain(ci(c.test.lower, c.test.upper));
    expect(results.comparisons.some((c) => c.test && c.test.lower < 0)).toBe(true);
    expect(text).toMatch(/−\d\.\d{3} to /);
    expect(text).not.toMatch(/(?<![\w.])-\d/);
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/); // no raw ISO timestamps
    expect(text).toContain('2 Jan 2026, 03:04 UTC');

    // Layout: every table cell and key–value line fits its column and no word is broken, as the PDF shows them.
    expect(layoutLog.filter((c) => c.kind === 'table-cell').length).toBeGreaterThan(50);
    expect(layoutProblems(layoutLog, pdfWords(out))).toEqual([]);

    // Table 3: both poolings the paper reports, each with its numbers.
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toMatch(/Table 3a: relevance mass accuracy \(RMA\), poolings sum,pos and max-norm/);
    expect(flat).toMatch(/Table 3b: relevance rank accuracy \(RRA\), poolings sum,pos and max-norm/);
    for (const ex of explanations) {
      const mean = ex.summary.union?.lrp['max-norm']?.rma.mean;
      if (mean !== null && mean !== undefined) expect(text).toContain(fmt(mean));
    }
    const table3 = await fsp.readFile(path.join(result.assetsDir, 'tables', 'table3-rma.csv'), 'utf8');
    expect(table3).toMatch(/^pooling,model,/);
    expect(table3).toContain('sum,pos');
    expect(table3).toContain('max-norm');

    // Training diagnostics: the curves of every run, the MoCo curves and the learning check of the pretraining.
    expect(flat).toMatch(/Fig A1\. Per run, grouped by strategy/);
    expect(flat).toMatch(/Fig A2\. MoCo v2 pretraining/);
    expect(flat.replace(/- /g, '-')).toContain(`Table A1: learning check of pretraining ${runs[2]!.pretraining!.id}`);
    expect(flat).toMatch(/chance ln\(1\+K\)/);
    for (const f of ['figA1-training-curves', 'figA2-moco-curves'])
      expect(existsSync(path.join(result.assetsDir, 'figures', `${f}.png`)), f).toBe(true);
    const curves = await fsp.readFile(path.join(result.assetsDir, 'tables', 'training-curves.csv'), 'utf8');
    for (const r of runs) expect(curves).toContain(r.runId);

    // The gallery is small: embedded as JPEG, its asset PNG a palette image.
    const gallery = (await fsp.readdir(path.join(result.assetsDir, 'figures'))).filter(
      (f) => f.startsWith('fig4-gallery') && f.endsWith('.png'),
    );
    expect(gallery.length).toBeGreaterThan(0);
    for (const f of gallery) expect(statSync(path.join(result.assetsDir, 'figures', f)).size, f).toBeLessThan(150_000);
    expect(result.bytes).toBeLessThan(800_000); // a PNG gallery made it over 1 MB

    // No image identifier of either dataset appears in the report.
    for (const id of ['demo', 'demo-eval', 'idrid-demo']) {
      const manifest = await readManifest(study, id);
      for (const item of manifest.items) expect(text.includes(item.id), item.id).toBe(false);
    }
  }, 120_000);

  it('puts a warning box on the CL results exactly when the pretraining failed its learning check', async () => {
    const id = runs[2]!.pretraining!.id;
    const file = studyLayout(study).pretrain(id).summary;
    const original = await fsp.readFile(file, 'utf8');
    // A run whose validation split held one class: no validation AUC in its log.
    const logFile = studyLayout(study).run(runs[0]!.runId).log;
    const originalLog = await fsp.readFile(logFile, 'utf8');
    const oneClass = 'the validation split holds one class only';
    await fsp.writeFile(
      logFile,
      originalLog
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.stringify({ ...JSON.parse(l), valAuc: null, valAucNote: oneClass }))
        .join('\n') + '\n',
    );
    const summary = PretrainSummary.parse(JSON.parse(original));
    expect(summary.learningCheck).not.toBeNull();
    const textWith = async (warnings: string[]) => {
      await fsp.writeFile(file, JSON.stringify({ ...summary, learningCheck: { ...summary.learningCheck!, warnings } }));
      const pdf = path.join(await tempDir('report-warn'), 'report.pdf');
      await buildReport(study, { out: pdf, date: new Date('2026-01-02T03:04:05Z') }, recordingContext());
      return execFileSync('pdftotext', [pdf, '-']).toString('utf8').replace(/\s+/g, ' ');
    };
    try {
      const warned = await textWith(['The final loss 4.150 is within 5 % of chance ln(1+K) = 4.159.']);
      expect(warned).toContain('Warning: the contrastive pretraining may not have learned');
      expect(warned).toContain('The final loss 4.150 is within 5 % of chance');
      expect(warned).toContain('IWNE-CL †'); // the CL rows are marked
      expect(warned.indexOf('Warning: the contrastive pretraining')).toBeLessThan(warned.indexOf('Fig 2. AUC of P(referable)')); // on the results
      const clean = await textWith([]);
      expect(clean).not.toContain('may not have learned');
      expect(clean).not.toContain('IWNE-CL †');
      expect(clean).toContain('Passed: the loss ended clearly below chance');
      // The line under Fig A1 names the run without a validation AUC and why.
      expect(clean.replace(/- /g, '-')).toContain(
        `Validation AUC undefined (the validation split held one class only): ${runs[0]!.runId} (every epoch: ${oneClass})`,
      );
    } finally {
      await fsp.writeFile(file, original);
      await fsp.writeFile(logFile, originalLog);
    }
  }, 120_000);

  it('pseudonyms are stable per study and differ between studies; opting in shows the real id', () => {
    const a = pseudonymiser('study-1', false);
    expect(a('d', '10_left')).toBe(a('d', '10_left'));
    expect(a('d', '10_left')).toMatch(/^img-[0-9a-f]{10}$/);
    expect(a('d', '10_left')).not.toBe(pseudonymiser('study-2', false)('d', '10_left'));
    expect(a('d', '10_left')).not.toBe(a('d', '10_right'));
    expect(pseudonymiser('study-1', true)('d', '10_left')).toBe('10_left');
  });

  it('uses one result per run and dataset (the newest with default settings), states its settings; results lists every result, old names too', async () => {
    // The LRP section states the share of positive relevance outside the fundus of each result it uses.
    const pdf0 = path.join(await tempDir('report-names'), 'report.pdf');
    await buildReport(study, { out: pdf0, date: new Date('2026-01-02T03:04:05Z') }, recordingContext());
    const before = execFileSync('pdftotext', [pdf0, '-']).toString('utf8').replace(/\s+/g, ' ');
    expect(before).toContain('Positive relevance outside the fundus, mean share over the images:');
    for (const ex of explanations) expect(before).toContain(`(${ex.run.runId}) ${fmt(ex.outsideFundus!.mean!)}`);

    // Other settings: a second explanation of one run sits beside the default one.
    const other = await explainRun({ runId: 'iwne-fs-full', datasetId: 'idrid-demo', images: 1, noiseSeed: 3 }, study, recordingContext());
    const [fsDefault, clDefault] = explanations as [ExplanationResult, ExplanationResult];
    expect(other.name).not.toBe(fsDefault.name);
    expect(other.settings!.defaults).toBe(false);
    expect(fsDefault.settings!.defaults).toBe(true);
    // A result written by an earlier version: named by run and dataset, no settings, older.
    const layout = studyLayout(study);
    const legacyName = `${clDefault.run.runId}__idrid-demo`;
    await fsp.cp(layout.result('explanations', clDefault.name).dir, layout.result('explanations', legacyName).dir, { recursive: true });
    const { settings: _s, ...legacyResult } = { ...clDefault, name: legacyName, createdAt: '2025-01-01T00:00:00.000Z' };
    await fsp.writeFile(layout.result('explanations', legacyName).result, JSON.stringify(legacyResult));
    try {
      const json = await captureExit(() => runResults(['--study', study, '--json']));
      expect(json.code).toBe(0);
      const listed = (JSON.parse(json.out) as { analyses: AnalysisResultRow[] }).analyses.filter((a) => a.kind === 'explanations');
      expect(listed.map((a) => [a.name, a.used, a.defaults]).sort()).toEqual(
        [
          [fsDefault.name, true, true],
          [clDefault.name, true, true],
          [other.name, false, false],
          [legacyName, false, null],
        ].sort(),
      );
      expect(listed.find((a) => a.name === legacyName)!.settings).toContain('written before results were named by their settings');
      const text = await captureExit(() => runResults(['--study', study]));
      for (const name of [fsDefault.name, clDefault.name, other.name, legacyName]) expect(text.out).toContain(name);

      // The report uses the default-settings results, says how it chose and states their settings.
      const pdf = path.join(await tempDir('report-names'), 'report.pdf');
      await buildReport(study, { out: pdf, date: new Date('2026-01-02T03:04:05Z') }, recordingContext());
      const flat = execFileSync('pdftotext', [pdf, '-']).toString('utf8').replace(/\s+/g, ' ');
      expect(flat).toContain(
        'The study holds 4 such results; for each run and dataset the most recent one with the default settings is used',
      );
      expect(flat).toContain(`default settings ${fsDefault.settings!.hash}`);
      expect(flat).toContain(`default settings ${clDefault.settings!.hash}`);
      expect(flat).not.toContain(other.settings!.hash);
      // Without default-settings results the newest one is used: the other settings for IWNE-FS, the old-named one for IWNE-CL.
      await fsp.rm(layout.result('explanations', fsDefault.name).dir, { recursive: true });
      await fsp.rm(layout.result('explanations', clDefault.name).dir, { recursive: true });
      const pdf2 = path.join(await tempDir('report-names'), 'report.pdf');
      await buildReport(study, { out: pdf2, date: new Date('2026-01-02T03:04:05Z') }, recordingContext());
      const flat2 = execFileSync('pdftotext', [pdf2, '-']).toString('utf8').replace(/\s+/g, ' ');
      expect(flat2).toContain(`settings ${other.settings!.hash}: images=1`);
      expect(flat2).toContain('written before results were named by their settings');
    } finally {
      // Put the study back as the other tests expect it.
      await fsp.rm(layout.result('explanations', other.name).dir, { recursive: true, force: true });
      await fsp.rm(layout.result('explanations', legacyName).dir, { recursive: true, force: true });
      for (const ex of explanations)
        if (!existsSync(layout.result('explanations', ex.name).dir))
          await explainRun({ runId: ex.run.runId, datasetId: 'idrid-demo' }, study, recordingContext());
    }
  }, 120_000);

  it('refuses a folder that is not a study and an output that is not a .pdf', async () => {
    await expect(
      buildReport(await tempDir('nostudy'), { out: path.join(await tempDir('x'), 'r.pdf') }, recordingContext()),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(buildReport(study, { out: path.join(await tempDir('x'), 'r.txt') }, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'out' }],
    });
  });
});
