/**
 * Evaluation and analysis reuse after the test set was imported again: a study run reuses an
 * evaluation and a spectra result whose test dataset and run model are unchanged, and computes them
 * again (saying what changed) once the test set `demo-eval` was re-imported from another folder;
 * until then the results table leaves the stale evaluation out as outdated and the report leaves
 * both out, naming the change in its Methods.
 */
import { spectraName } from '../../../src-main/analysis/spectra/service';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { datasetContentHash, ResultInputs } from '../../../src-main/services/runs/identity';
import { studyResults } from '../../../src-main/services/evaluation/results';
import { buildReport } from '../../../src-main/report/report';
import { runStudy } from '../../../src-main/study-run/run-study';
import type { StudyPlanInput } from '../../../src-shared/study-plan';
import { recordingContext } from '../../support/job-context';
import { demoSource, importAs, studyWith } from './studies';

let study: string;
let plan: StudyPlanInput;
let otherTestSet: string;
const RUN = 'iwne-fs-resnet18-w4-demo-f1-s0';
const EVALUATION = `${RUN}__demo-eval__test`;
// The study runner's request for the plan's spectra step (the result is named by its settings).
const SPECTRA = spectraName({ runId: RUN, datasetId: 'demo-eval', images: 8 }).name;
const evaluationFile = (file: string) => path.join(study, 'evaluations', EVALUATION, file);
/** The PDF's text without white space (table cells and paragraphs wrap anywhere). */
const pdfText = (pdf: string) => execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await studyWith(await demoSource('identity-ea', { patients: 12, seed: 7 }));
  await importAs(study, await demoSource('identity-eb', { patients: 2, testPatients: 10, seed: 23 }), 'demo-eval');
  otherTestSet = await demoSource('identity-ec', { patients: 2, testPatients: 12, seed: 41 });
  plan = {
    study,
    grid: {
      strategies: ['IWNE-FS'],
      fractions: [1],
      seeds: [0],
      base: { datasetId: 'demo', arch: 'resnet18-w4', inputSize: 32, epochs: 1, batchSize: 8, referable: [2, 3, 4] },
    },
    evaluate: [{ datasetId: 'demo-eval' }],
    spectra: { datasetId: 'demo-eval', images: 8, fraction: 1, seed: 0 },
    report: null,
  };
  await runStudy(plan, recordingContext());
}, 120_000);

describe('reusing an evaluation', () => {
  it('the evaluation records the content of its test set and the model of its run', async () => {
    const inputs = ResultInputs.parse(JSON.parse(await fsp.readFile(evaluationFile('inputs.json'), 'utf8')));
    expect(inputs.datasets).toEqual({ 'demo-eval': await datasetContentHash(study, 'demo-eval') });
    expect(Object.keys(inputs.runs)).toEqual([RUN]);
    expect(inputs.runs[RUN]!.model).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is reused while its test set and run are unchanged', async () => {
    const before = await fsp.readFile(evaluationFile('result.json'), 'utf8');
    const ctx = recordingContext();
    const outcome = await runStudy(plan, ctx);
    expect(outcome.evaluations).toEqual([EVALUATION]);
    expect(outcome.spectra).toEqual([SPECTRA]);
    expect(ctx.messages.filter((m) => m.includes('again'))).toEqual([]);
    expect(await fsp.readFile(evaluationFile('result.json'), 'utf8')).toBe(before);
  });

  it('after the test set is re-imported, the table leaves it out as outdated and the study computes it again, saying why', async () => {
    const before = await fsp.readFile(evaluationFile('result.json'), 'utf8');
    const oldHash = (await datasetContentHash(study, 'demo-eval'))!;
    await importAs(study, otherTestSet, 'demo-eval');
    const newHash = (await datasetContentHash(study, 'demo-eval'))!;
    const change = `dataset demo-eval changed (content ${oldHash.slice(0, 12)}… → ${newHash.slice(0, 12)}…)`;

    const table = await studyResults(study);
    expect(table.rows.map((r) => r.evaluation)).not.toContain(EVALUATION);
    expect(table.excludedOutdated).toEqual([{ evaluation: EVALUATION, runId: RUN, reasons: [`${change} since the evaluation`] }]);

    const pdf = path.join(study, 'reports', 'changed.pdf');
    await buildReport(study, { out: pdf }, recordingContext());
    const text = pdfText(pdf);
    expect(text).toContain(`Leftout:1analysiswhosedatasetorrunchangedsincecomputed:spectra/${SPECTRA}(${change})`.replace(/\s+/g, ''));
    expect(text).toContain('1evaluationofoutdatedrunsisleftout');

    const ctx = recordingContext();
    await runStudy(plan, ctx);
    expect(ctx.messages).toContain(`Computing evaluations ${EVALUATION} again: ${change} since it was computed.`);
    expect(ctx.messages).toContain(`Computing spectra ${SPECTRA} again: ${change} since it was computed.`);
    const after = JSON.parse(await fsp.readFile(evaluationFile('result.json'), 'utf8')) as { n: number; createdAt: string };
    expect(after.createdAt).not.toBe((JSON.parse(before) as { createdAt: string }).createdAt);
    expect(after.n).toBe(24);
    const inputs = ResultInputs.parse(JSON.parse(await fsp.readFile(evaluationFile('inputs.json'), 'utf8')));
    expect(inputs.datasets['demo-eval']).toBe(newHash);
    expect((await studyResults(study)).rows.map((r) => r.evaluation)).toContain(EVALUATION);
  });
});
