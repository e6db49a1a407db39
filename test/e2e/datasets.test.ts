/**
 * End to end in headless Chromium through the HTTP bridge: create a study, import a synthetic
 * EyePACS set and a synthetic IDRiD segmentation set with the wizard, read the validation report
 * and the grade histogram, and look at thumbnails with a lesion-mask overlay.
 * Screenshots: test-artifacts/e2e/datasets-*.png.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEyepacsDemo, writeIdridDemo } from '../../src-main/services/demo';
import { chromiumAvailable, openAppSession, pageTools, type AppSession, type RunningApp } from '../support/browser';
import { tempDirSync } from '../support/files';

const enabled = chromiumAvailable();

describe.runIf(enabled)('Datasets in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let app: RunningApp;
  let page: Page;
  const { consoleErrors, shot } = pageTools(() => session);
  const work = tempDirSync('e2e-datasets');
  const data = path.join(work, 'data');

  beforeAll(async () => {
    await writeEyepacsDemo(data, { patients: 8, testPatients: 2, size: 128, seed: 11 });
    await writeIdridDemo(data, { images: 2, size: 120, seed: 5 });
    // Problems for the validation report: a file that is not an image, and a label without its image.
    writeFileSync(path.join(data, 'eyepacs', 'train', 'syn9999_left.jpeg'), 'not a jpeg');
    appendFileSync(path.join(data, 'eyepacs', 'trainLabels.csv'), 'syn9999_left,0\nsyn9998_right,1\n');
    session = await openAppSession(path.join(work, 'home'), 'datasets-');
    ({ app, page } = session);
  });

  afterAll(async () => session?.close());

  async function runWizard(type: string, folder: string, datasetId: string) {
    await page.getByTestId('import-dataset').first().click();
    await page.getByTestId('import-wizard').waitFor();
    await page.getByTestId(`import-type-${type}`).check();
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-path').fill(folder);
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-input-size').waitFor();
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-review').waitFor();
    await page.getByTestId('import-start').click();
    await page.locator(`[data-testid="dataset-detail"][data-dataset="${datasetId}"]`).waitFor({ timeout: 60_000 });
  }

  it('says to open a study first, then shows an empty dataset list', async () => {
    await page.goto(app.url);
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('datasets-no-study').waitFor();
    expect(await page.getByTestId('nav-datasets').getAttribute('data-needs-study')).toBe('true');
    await shot('01-no-study');
    await page.getByTestId('nav-studies').click();
    await page.getByTestId('study-name').fill('Datasets study');
    await page.getByTestId('study-path').fill(path.join(work, 'study'));
    await page.getByRole('button', { name: /^create/i }).click();
    await expect
      .poll(async () => (await page.getByTestId('open-study').textContent()) ?? '', { timeout: 15_000 })
      .toContain('Datasets study');
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('datasets-empty').waitFor();
    await shot('02-empty');
  });

  it('checks the folder step and shows the error next to the field', async () => {
    await page.getByTestId('import-dataset').first().click();
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-path').fill('relative/folder');
    await page.getByTestId('import-next').click();
    await expect.poll(async () => (await page.getByTestId('import-wizard').textContent()) ?? '').toMatch(/absolute path/i);
    await shot('03-wizard-error');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  });

  it('maps the CSV columns of a plain folder from a preview of the file', async () => {
    await page.getByTestId('import-dataset').first().click();
    await page.getByTestId('import-type-folder').check();
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-path').fill(path.join(data, 'eyepacs', 'train'));
    await page.getByTestId('import-csv').fill(path.join(data, 'eyepacs', 'trainLabels.csv'));
    await page.getByTestId('import-next').click();
    await page.getByTestId('csv-preview').waitFor();
    expect(await page.getByTestId('import-imageColumn').textContent()).toBe('image');
    expect(await page.getByTestId('import-gradeColumn').textContent()).toBe('level');
    await shot('04-wizard-columns');
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-use-layout').waitFor();
    expect(await page.getByTestId('import-use-layout').isChecked()).toBe(true);
    await page.getByTestId('import-use-test').check();
    await shot('04b-wizard-options');
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-review').waitFor();
    expect(await page.getByTestId('import-review').textContent()).toContain('All images are a held-out test set');
    await shot('05-wizard-review');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  });

  it('imports a synthetic EyePACS set and shows its report and grade histogram', async () => {
    await runWizard('eyepacs', path.join(data, 'eyepacs'), 'eyepacs');
    await page.getByTestId('validation-report').waitFor();
    await page.getByTestId('detail-histogram').locator('.recharts-bar-rectangle').first().waitFor();
    expect(await page.getByTestId('synthetic-chip').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('split-grade-table').textContent()).toMatch(/Train.*Test/);
    await page.locator('[data-testid^="thumb-"][data-loaded="true"]').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('issues-table').textContent()).toMatch(/not-an-image|unreadable/);
    expect(await page.getByTestId('issues-table').textContent()).toMatch(/missing-file/);
    await shot('06-eyepacs-detail');
    await shot('07-eyepacs-detail-full', 2300);
  });

  it('imports a synthetic IDRiD segmentation set and overlays its lesion masks', async () => {
    await page.getByTestId('dataset-back').click();
    await page.getByTestId('dataset-card-eyepacs').waitFor();
    await runWizard('idrid-seg', path.join(data, 'idrid'), 'idrid');
    await page.getByTestId('mask-toggle-OD').click();
    await page.getByTestId('mask-toggle-EX').click();
    const thumb = page.locator('[data-testid^="thumb-"][data-masks*="OD"][data-loaded="true"]').first();
    await thumb.waitFor({ timeout: 30_000 });
    await thumb.scrollIntoViewIfNeeded();
    await shot('08-idrid-masks');
    await thumb.click();
    await page.getByTestId('image-dialog-img').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('image-dialog-img').getAttribute('alt')).toMatch(/OD/);
    await shot('09-idrid-dialog');
    await page.keyboard.press('Escape');
    await page.getByTestId('image-dialog').waitFor({ state: 'detached' });
  });

  it('lists both datasets with histograms and issue counts', async () => {
    await page.getByTestId('dataset-back').click();
    await page.getByTestId('dataset-card-idrid').waitFor();
    expect(await page.getByTestId('dataset-list').locator('[data-testid^="dataset-card-"]').count()).toBe(2);
    expect(await page.getByTestId('dataset-issues-eyepacs').textContent()).toMatch(/error/i);
    await page.getByTestId('histogram-eyepacs').locator('.recharts-bar-rectangle').first().waitFor();
    await shot('10-list');
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors().filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
