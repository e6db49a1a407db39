/**
 * End to end in headless Chromium through the HTTP bridge: deleting a run from the Training page
 * (confirm dialog naming what moves), seeing it on the Trash page, restoring it, then deleting it
 * again and emptying the trash; deleting a dataset a run was trained on asks a second time, listing
 * the run, and moves only the dataset. Oracles: the study folder on disk after each step (the run folder
 * at runs/<id>, or at .trash/<entry>/runs/<id>, or gone) and the texts the pages show.
 * Screenshots: test-artifacts/e2e/trash-*.png.
 */
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { TrainingSpec } from '../../src-shared/training';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDir } from '../support/files';

const enabled = chromiumAvailable();
const RUN = 'iwne-fs-trash-e2e';

describe.runIf(enabled)('Delete a run, find it in the trash, restore it (browser mode)', () => {
  let session: AppSession;
  let page: Page;
  let study: string;
  const { shot, text, openStudy, noSidewaysOverflow } = pageTools(() => session, { settleMs: 350 });
  const runDir = () => path.join(study, 'runs', RUN);
  const trashEntries = () => (existsSync(path.join(study, '.trash')) ? readdirSync(path.join(study, '.trash')) : []);

  beforeAll(async () => {
    study = path.join(await tempDir('e2e-trash'), 'study');
    await new StudyService({ appVersion: 'test' }).create(study, 'Trash study');
    const spec = TrainingSpec.parse({ strategy: 'IWNE-FS', datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, fraction: 1, seed: 0 });
    await fsp.mkdir(path.join(runDir(), 'best'), { recursive: true });
    await fsp.writeFile(path.join(runDir(), 'spec.json'), JSON.stringify(spec));
    await fsp.writeFile(path.join(runDir(), 'best', 'model.safetensors'), 'weights');
    await fsp.mkdir(path.join(study, 'datasets', 'demo'), { recursive: true });
    await fsp.writeFile(path.join(study, 'datasets', 'demo', 'manifest.json'), '{}');
    session = await openAppSession(await tempDir('e2e-trash-home'), 'trash-');
    page = session.page;
  }, 180_000);

  afterAll(async () => session?.close());

  it('deletes the run from the Training page after a confirm dialog naming it', async () => {
    await openStudy(study);
    await page.getByTestId('nav-training').click();
    await page.getByTestId('manage-run').getByText('Run folders (1)').click();
    await page.getByTestId(`delete-run-${RUN}`).click();
    expect(await text('confirm-body')).toContain(`The run "${RUN}" moves into the study's trash`);
    await shot('confirm');
    // Cancel moves nothing.
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(existsSync(runDir())).toBe(true);
    await page.getByTestId(`delete-run-${RUN}`).click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('manage-run-notice').waitFor();
    expect(await text('manage-run-notice')).toBe(`Moved run ${RUN} to the trash. Restore it from the Trash page.`);
    expect(existsSync(runDir())).toBe(false);
    const [entry] = trashEntries();
    expect(existsSync(path.join(study, '.trash', entry!, 'runs', RUN, 'best', 'model.safetensors'))).toBe(true);
    expect(await page.getByTestId(`manage-item-${RUN}`).count()).toBe(0);
  });

  it('the Trash page lists it and restores it to runs/', async () => {
    await page.getByTestId('nav-trash').click();
    const [entry] = trashEntries();
    const row = page.getByTestId(`trash-row-${entry}`);
    await row.waitFor();
    expect(await row.getByTestId('trash-what').textContent()).toBe(`run ${RUN}`);
    expect(await row.textContent()).toContain(`runs/${RUN}`);
    await noSidewaysOverflow();
    await shot('page');
    await page.getByTestId(`trash-restore-${entry}`).click();
    await page.getByTestId('trash-notice').waitFor();
    expect(await text('trash-notice')).toBe(`Restored run ${RUN} to runs/${RUN}.`);
    await page.getByTestId('trash-none').waitFor();
    expect(await fsp.readFile(path.join(runDir(), 'best', 'model.safetensors'), 'utf8')).toBe('weights');
    expect(trashEntries()).toEqual([]);
    await page.getByTestId('nav-training').click();
    await page.getByTestId('manage-run').getByText('Run folders (1)').waitFor();
  });

  it('emptying the trash asks first, then erases for good', async () => {
    await page.getByTestId('manage-run').getByText('Run folders (1)').click();
    await page.getByTestId(`delete-run-${RUN}`).click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('manage-run-notice').waitFor();
    await page.getByTestId('nav-trash').click();
    await page.getByTestId('trash-table').waitFor();
    await page.getByTestId('trash-empty').click();
    expect(await text('confirm-body')).toBe('The 1 deleted item in the trash is removed from the disk. This cannot be undone.');
    expect(await text('confirm-items')).toBe(`run ${RUN}`);
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('trash-none').waitFor();
    expect(await text('trash-notice')).toBe('Erased 1 trash entry for good.');
    expect(existsSync(path.join(study, '.trash'))).toBe(false);
    expect(existsSync(runDir())).toBe(false);
    expect(session.consoleErrors).toEqual([]);
  });

  it('deleting a dataset a run was trained on lists the run and moves only the dataset', async () => {
    await fsp.mkdir(path.join(runDir(), 'best'), { recursive: true });
    const spec = TrainingSpec.parse({ strategy: 'IWNE-FS', datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, fraction: 1, seed: 0 });
    await fsp.writeFile(path.join(runDir(), 'spec.json'), JSON.stringify(spec));
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('manage-dataset').getByText('Dataset folders (1)').click();
    await page.getByTestId('delete-dataset-demo').click();
    await page.getByTestId('confirm-ok').click();
    await page.getByText('Dataset demo is in use').waitFor();
    expect(await text('confirm-items')).toBe(`run ${RUN}`);
    expect(await text('confirm-body')).toContain('Only the dataset moves to the trash');
    expect(existsSync(path.join(study, 'datasets', 'demo'))).toBe(true);
    await shot('dataset-dependents');
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('manage-dataset-notice').waitFor();
    expect(existsSync(path.join(study, 'datasets', 'demo'))).toBe(false);
    expect(existsSync(path.join(runDir(), 'spec.json'))).toBe(true);
    expect(session.consoleErrors).toEqual([]);
  });
});
