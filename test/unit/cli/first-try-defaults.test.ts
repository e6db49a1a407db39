/**
 * The command-line defaults a first try relies on (runDemoData, runImport, runTrain in-process):
 * demo-data writes a test split and balanced grades by default; a dataset imported without --id is
 * named after its source folder (the rule is in the help and the --json output) and --id is always
 * honoured; `train --example-spec --study` takes datasetId and inputSize from the study's one graded
 * training dataset, or --dataset, and names the choices when it cannot choose.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDemoData } from '../../../src-main/cli/commands/demo-data';
import { IMPORT_USAGE, runImport } from '../../../src-main/cli/commands/import';
import { EXAMPLE_SPEC, runTrain } from '../../../src-main/cli/commands/train';
import { DATASET_ID_RULE, defaultDatasetId } from '../../../src-main/services/datasets/import/import-service';
import { main } from '../../../src-main/cli/main';
import { TrainingSpec } from '../../../src-shared/training';
import { captureOutput } from '../../support/cli';
import { tempDir } from '../../support/files';
import { makeStudy } from '../../support/studies';

afterEach(() => vi.restoreAllMocks());

let data: string;
beforeAll(async () => {
  data = path.join(await tempDir('first-try'), 'data');
  captureOutput();
  // Default test split and grades; a small set (4 training patients) of small images.
  await runDemoData([
    '--out',
    data,
    '--patients',
    '4',
    '--size',
    '64',
    '--idrid-images',
    '2',
    '--idrid-height',
    '96',
    '--textures-per-class',
    '0',
    '--quiet',
  ]);
  vi.restoreAllMocks();
}, 120_000);

async function json(run: () => Promise<number>): Promise<Record<string, unknown>> {
  const io = captureOutput();
  expect(await run()).toBe(0);
  vi.restoreAllMocks();
  return JSON.parse(io.out()) as Record<string, unknown>;
}

describe('funduslab demo-data defaults', () => {
  it('writes a test split of 20 patients with balanced grades', async () => {
    const labels = (await fsp.readFile(path.join(data, 'eyepacs', 'retinopathy_solution.csv'), 'utf8')).trim().split(/\r?\n/).slice(1);
    expect(labels).toHaveLength(40);
    const train = (await fsp.readFile(path.join(data, 'eyepacs', 'trainLabels.csv'), 'utf8')).trim().split(/\r?\n/).slice(1);
    expect(train).toHaveLength(8);
    const notice = await fsp.readFile(path.join(data, 'eyepacs', 'SYNTHETIC.txt'), 'utf8');
    expect(notice).toContain('"distribution":[0.2,0.2,0.2,0.2,0.2]');
    const grades = labels.map((l) => Number(l.split(',')[1]));
    expect(grades.filter((g) => g >= 3).length).toBeGreaterThanOrEqual(2);
    expect(grades.filter((g) => g < 3).length).toBeGreaterThanOrEqual(2);
  });

  it('still writes the EyePACS frequencies and no test split when asked, and refuses contradictions', async () => {
    const out = path.join(await tempDir('demo-eyepacs'), 'd');
    const args = ['--out', out, '--patients', '2', '--size', '32', '--idrid-images', '0', '--textures-per-class', '0', '--quiet', '--json'];
    const report = (await json(() => runDemoData([...args, '--grades', 'eyepacs', '--test-patients', '0']))) as {
      eyepacs: { test: unknown };
      options: { balanced: boolean; testPatients: number };
    };
    expect(report.eyepacs.test).toBeNull();
    expect(report.options).toMatchObject({ balanced: false, testPatients: 0 });
    const balanced = (await json(() => runDemoData([...args, '--balanced', '--test-patients', '1']))) as { options: { balanced: boolean } };
    expect(balanced.options.balanced).toBe(true);
    await expect(runDemoData([...args, '--balanced', '--grades', 'eyepacs'])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(runDemoData([...args, '--grades', 'uniform'])).rejects.toThrow(/--grades must be balanced or eyepacs/);
  });
});

describe('dataset ids', () => {
  it('are the source folder name, sanitised', () => {
    expect(defaultDatasetId('idrid-seg', '/data/demo/idrid')).toBe('idrid');
    expect(defaultDatasetId('eyepacs', '/data/demo/eyepacs/')).toBe('eyepacs');
    expect(defaultDatasetId('eyepacs', '/data/EyePACS-256')).toBe('eyepacs-256');
    expect(defaultDatasetId('idrid-seg', '/data/A. Segmentation')).toBe('a.-segmentation');
    expect(defaultDatasetId('folder', '/data/__Mes Images (2024)__')).toBe('mes-images-2024');
    expect(defaultDatasetId('messidor2', '/data/---')).toBe('messidor2');
    expect(defaultDatasetId('folder', `/data/${'x'.repeat(79)}-y`)).toBe('x'.repeat(79));
  });

  it('import names the datasets after their folders, honours --id, and prints the rule in its help and --json output', async () => {
    const study = await makeStudy();
    const eyepacs = await json(() => runImport(['eyepacs', path.join(data, 'eyepacs'), '--study', study, '--input-size', '48', '--json']));
    expect(eyepacs.value).toMatchObject({ datasetId: 'eyepacs' });
    expect(eyepacs.id).toEqual({ datasetId: 'eyepacs', from: 'folder name', rule: DATASET_ID_RULE });
    const idrid = await json(() => runImport(['idrid-seg', path.join(data, 'idrid'), '--study', study, '--input-size', '48', '--json']));
    expect(idrid.value).toMatchObject({ datasetId: 'idrid' });
    for (const [type, folder] of [
      ['eyepacs', 'eyepacs'],
      ['idrid-seg', 'idrid'],
    ]) {
      const named = await json(() =>
        runImport([type!, path.join(data, folder!), '--study', study, '--id', `mine-${folder}`, '--validate-only', '--json']),
      );
      expect(named.value).toMatchObject({ datasetId: `mine-${folder}` });
      expect(named.id).toMatchObject({ datasetId: `mine-${folder}`, from: '--id' });
    }
    expect(IMPORT_USAGE).toContain(DATASET_ID_RULE);
    const io = captureOutput();
    expect(await main(['import', '--help'])).toBe(0);
    expect(io.out()).toContain('otherwise the source folder');

    // The example spec of this study: its only preprocessed graded training set is "eyepacs" at 48 px.
    const spec = TrainingSpec.parse(await json(() => runTrain(['--example-spec', '--quick', '--study', study, '--json'])));
    expect(spec).toMatchObject({ ...EXAMPLE_SPEC, datasetId: 'eyepacs', inputSize: 48 });
  });
});

describe('train --example-spec --study', () => {
  let study: string;
  beforeAll(async () => {
    study = await makeStudy();
    captureOutput();
    await runImport(['eyepacs', path.join(data, 'eyepacs'), '--study', study, '--input-size', '40', '--id', 'small', '--json']);
    await runImport(['eyepacs', path.join(data, 'eyepacs'), '--study', study, '--input-size', '56', '--id', 'large', '--json']);
    await runImport(['idrid-seg', path.join(data, 'idrid'), '--study', study, '--input-size', '40', '--json']);
    vi.restoreAllMocks();
  }, 120_000);

  it('names the choices when the study has several graded training sets, and takes the one given', async () => {
    captureOutput();
    await expect(runTrain(['--example-spec', '--study', study])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/2 datasets with graded training images \(large, small\); choose one with --dataset <id>/),
    });
    vi.restoreAllMocks();
    const io = captureOutput();
    expect(await runTrain(['--example-spec', '--quick', '--study', study, '--dataset', 'large'])).toBe(0);
    expect(TrainingSpec.parse(JSON.parse(io.out()))).toMatchObject({ datasetId: 'large', inputSize: 56, arch: EXAMPLE_SPEC.arch });
    expect(io.err()).toMatch(/dataset "large" of the study \(preprocessed at 56 px\)/);
    // Without --quick: the paper's settings, on the study's dataset, at the paper's input size.
    vi.restoreAllMocks();
    const paper = captureOutput();
    expect(await runTrain(['--example-spec', '--study', study, '--dataset', 'large'])).toBe(0);
    expect(TrainingSpec.parse(JSON.parse(paper.out()))).toMatchObject({
      datasetId: 'large',
      inputSize: 224,
      arch: 'resnet50',
      epochs: 500,
    });
    expect(paper.err()).toMatch(/dataset "large" of the study \(preprocessed at 56 px; training resizes its images to 224 px\)/);
  });

  it('refuses a dataset without graded training images, an unknown one, and a study without any', async () => {
    captureOutput();
    await expect(runTrain(['--example-spec', '--study', study, '--dataset', 'idrid'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/"idrid" .* has no preprocessed graded training images; datasets that have: large, small/),
    });
    await expect(runTrain(['--example-spec', '--study', study, '--dataset', 'nope'])).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/no dataset "nope"; its datasets: idrid, large, small/),
    });
    await expect(runTrain(['--example-spec', '--study', await makeStudy()])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/has no dataset with graded training images; import one first/),
    });
    await expect(runTrain(['--example-spec', '--dataset', 'large'])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(runTrain(['spec.json', '--study', study, '--dataset', 'large'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'dataset', message: 'only with --example-spec' }],
    });
  });
});
