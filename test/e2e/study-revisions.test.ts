/**
 * End to end in headless Chromium through the HTTP bridge: two windows edit the same study. Both open
 * the study wizard on the stored grid; the first saves 6 epochs; the second's save, based on the
 * revision both opened, is refused with "changed elsewhere — reload" and a Reload button instead of
 * overwriting the first window's edit; Reload shows what the first window saved.
 * Screenshots: test-artifacts/e2e/study-revisions-*.png.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { detachedContext } from '../../src-main/job-context';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { saveGrid } from '../../src-main/services/training/grid';
import { ARTIFACTS, chromiumAvailable, openAppSession, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';

const enabled = chromiumAvailable();

describe.runIf(enabled)('Two windows editing one study', () => {
  let session: AppSession;
  let first: Page;
  let second: Page;
  const work = tempDirSync('e2e-revisions');
  const study = path.join(work, 'study');
  const stored = () =>
    JSON.parse(readFileSync(path.join(study, 'grid.json'), 'utf8')) as { revision: number; overrides: Record<string, { epochs: number }> };

  async function openWizard(page: Page) {
    await page.goto(session.app.url);
    await page.getByTestId('study-open-path').fill(study);
    await page.getByRole('button', { name: 'Open study' }).click();
    await expect.poll(async () => (await page.getByTestId('open-study').textContent()) ?? '', { timeout: 15_000 }).toContain('Revisions');
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-edit').click();
    await page.getByTestId('grid-wizard').waitFor();
  }

  /** Steps through the wizard to its review, typing `epochs` into the IWNE epochs on the way. */
  async function toReview(page: Page, epochs: string) {
    for (let i = 0; i < 12 && !(await page.getByTestId('grid-save').isVisible()); i++) {
      if (await page.getByTestId('grid-iwneEpochs').isVisible()) await page.getByTestId('grid-iwneEpochs').fill(epochs);
      await page.getByTestId('grid-next').click();
      await page.waitForTimeout(100);
    }
    await page.getByTestId('grid-review').waitFor();
  }

  beforeAll(async () => {
    const data = path.join(work, 'data');
    await writeEyepacsDemo(data, { patients: 12, testPatients: 4, size: 64, seed: 7, distribution: 'balanced' });
    await new StudyService({ appVersion: 'test' }).create(study, 'Revisions');
    await importDataset(
      { type: 'eyepacs', path: path.join(data, 'eyepacs'), id: 'demo', settings: { inputSize: 48, overlaySize: 64 }, concurrency: 2 },
      study,
      detachedContext(),
    );
    await saveGrid(study, {
      strategies: ['IWNE-FS'],
      fractions: [1],
      seeds: [0],
      base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 48, batchSize: 16 },
      overrides: { 'IWNE-FS': { epochs: 1, lr: 0.002 } },
    });
    session = await openAppSession(path.join(work, 'home'), 'study-revisions-');
    first = session.page;
    second = await session.browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => session?.close());

  it('refuses the older save with "changed elsewhere — reload", leaves the other edit in place, and Reload shows it', async () => {
    expect(stored().revision).toBe(1);
    await openWizard(first);
    await openWizard(second);
    await toReview(first, '6');
    await toReview(second, '3');

    await first.getByTestId('grid-save').click();
    await first.getByTestId('grid-table').waitFor();
    expect(stored()).toMatchObject({ revision: 2, overrides: { 'IWNE-FS': { epochs: 6 } } });

    await second.getByTestId('grid-save').click();
    await second.getByTestId('grid-conflict').waitFor();
    expect(await second.getByTestId('grid-conflict').textContent()).toMatch(
      /^The training grid changed elsewhere — reload \(it is at revision 2; this save was based on revision 1\)\. Your answers here were not saved/,
    );
    await second.screenshot({ path: path.join(ARTIFACTS, 'study-revisions-01-conflict.png') });
    // Nothing was overwritten.
    expect(stored()).toMatchObject({ revision: 2, overrides: { 'IWNE-FS': { epochs: 6 } } });
    expect(await second.getByTestId('grid-review-runs').textContent()).toContain('3 epochs');

    await second.getByTestId('grid-conflict-reload').click();
    await expect.poll(async () => (await second.getByTestId('grid-review-runs').textContent()) ?? '').toContain('6 epochs');
    expect(await second.getByTestId('grid-conflict').count()).toBe(0);
    // Based on the reloaded revision, the save goes through.
    await second.getByTestId('grid-save').click();
    await second.getByTestId('grid-table').waitFor();
    expect(stored()).toMatchObject({ revision: 2, overrides: { 'IWNE-FS': { epochs: 6 } } });
    expect(session.consoleErrors).toEqual([]);
  });
});
