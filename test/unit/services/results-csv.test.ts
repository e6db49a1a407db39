/**
 * The two CSV exports of the Results page, called through the same composition root and dispatcher
 * as the app (composeApp → dispatch), on a study with hand-written evaluation folders:
 * `results.tableCsv` is the results table of `funduslab results --csv` (oracle: the expected text
 * written out by hand from the evaluations' values), `evaluations.predictionsCsv` returns the
 * folder's predictions.csv byte for byte, and names that are not an evaluation folder are refused
 * before any file is read (same rule as evaluations.get).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvFile } from '../../../src-shared/contract';
import type { ComposedApp } from '../../../src-main/host/compose';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import { callChannel, testApp } from '../../support/app';
import { writeFakeEvaluation } from '../../support/evaluations';
import { tempDir } from '../../support/files';

let app: ComposedApp;
let root: string;
let study: string;
let empty: string;

const call = (channel: string, payload: unknown) => callChannel(app, channel, payload);

beforeAll(async () => {
  root = await tempDir('results-csv');
  app = testApp({ dataDir: path.join(root, 'home'), preferredBackend: 'auto' }); // its worker never starts: these channels read files only
  const studies = new StudyService({ appVersion: 'test' });
  study = path.join(root, 'My study (pilot)');
  empty = path.join(root, 'empty');
  await studies.create(study, 'CSV test');
  await studies.create(empty, 'Empty');
  // Written in reverse table order: the table sorts by strategy (IWNE before IFI), then fraction.
  await writeFakeEvaluation(study, {
    runId: 'ifi-fs-r',
    strategy: 'IFI-FS',
    fraction: 0.5,
    seed: 0,
    auc: 0.875,
    delong: [0.8125, 0.9375],
    predictions: [
      { id: 'img-1', label: 1, score: 0.75 },
      { id: 'img-2', label: 0, score: 0.25 },
      { id: 'img-3', label: 1, score: 0.5 },
    ],
  });
  await writeFakeEvaluation(study, { runId: 'iwne-fs-r', strategy: 'IWNE-FS', fraction: 0.5, seed: 0, auc: 0.625, delong: [0.5, 0.75] });
});

afterAll(() => app.shutdown());

describe('results.tableCsv', () => {
  it('is the results table: header and one row per evaluation in table order, with its values in full', async () => {
    const out = CsvFile.parse(await call('results.tableCsv', { studyPath: study }));
    expect(out.fileName).toBe('My-study-pilot-results.csv');
    expect(out.csv).toBe(
      [
        'dataset,split,referable,run,strategy,fraction,seed,arch,n,positives,auc,delong_lower,delong_upper,bootstrap_lower,bootstrap_upper,bootstrap_samples,target_sensitivity,threshold,sensitivity,specificity,overlaps_training,evaluation,epochs,lr,batch_size,input_size,outdated',
        'ext,test,3 4,iwne-fs-r,IWNE-FS,0.5,0,resnet50,2,1,0.625,0.5,0.75,0.5,0.75,2000,0.9,0.5,0.9,0.5,false,iwne-fs-r__ext__test,,,,,',
        'ext,test,3 4,ifi-fs-r,IFI-FS,0.5,0,resnet50,3,2,0.875,0.8125,0.9375,0.8125,0.9375,2000,0.9,0.5,0.9,0.5,false,ifi-fs-r__ext__test,,,,,',
        '',
      ].join('\n'),
      // The settings and outdated columns stay empty: these evaluations' runs have no folder in the study.
    );
  });

  it('is the header alone for a study without evaluations', async () => {
    const out = CsvFile.parse(await call('results.tableCsv', { studyPath: empty }));
    expect(out.csv.split('\n')).toHaveLength(2);
    expect(out.csv.endsWith('evaluation,epochs,lr,batch_size,input_size,outdated\n')).toBe(true);
    expect(out.fileName).toBe('empty-results.csv');
  });
});

describe('evaluations.predictionsCsv', () => {
  it("returns the evaluation folder's predictions.csv unchanged", async () => {
    const out = CsvFile.parse(await call('evaluations.predictionsCsv', { studyPath: study, name: 'ifi-fs-r__ext__test' }));
    expect(out.fileName).toBe('ifi-fs-r__ext__test-predictions.csv');
    expect(out.csv).toBe(
      [
        'image_id,patient,eye,grade,referable,p_grade0,p_grade1,p_grade2,p_grade3,p_grade4,p_referable',
        'img-1,pt,,3,1,0.2,0.2,0.2,0.2,0.2,0.75',
        'img-2,pt,,0,0,0.2,0.2,0.2,0.2,0.2,0.25',
        'img-3,pt,,3,1,0.2,0.2,0.2,0.2,0.2,0.5',
        '',
      ].join('\n'),
    );
    expect(out.csv).toBe(await fsp.readFile(path.join(study, 'evaluations', 'ifi-fs-r__ext__test', 'predictions.csv'), 'utf8'));
  });

  it.each(['../ifi-fs-r__ext__test', 'ifi-fs-r__ext__test/../../study.json', '..', '.hidden', 'a\\b'])(
    'refuses %s as a name (BAD_REQUEST on name)',
    async (name) => {
      await expect(call('evaluations.predictionsCsv', { studyPath: study, name })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        issues: [{ path: 'name' }],
      });
    },
  );

  it('an unknown evaluation is NOT_FOUND, and so is one whose predictions.csv is gone', async () => {
    await expect(call('evaluations.predictionsCsv', { studyPath: study, name: 'nope__ext__test' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      issues: [{ path: 'name' }],
    });
    await writeFakeEvaluation(study, { runId: 'iwne-cl-r', strategy: 'IWNE-CL', fraction: 1, seed: 0, auc: 0.5, delong: [0.25, 0.75] });
    await fsp.rm(path.join(study, 'evaluations', 'iwne-cl-r__ext__test', 'predictions.csv'));
    await expect(call('evaluations.predictionsCsv', { studyPath: study, name: 'iwne-cl-r__ext__test' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('predictions.csv'),
    });
  });
});
