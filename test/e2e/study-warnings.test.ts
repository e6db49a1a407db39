/**
 * End to end in headless Chromium through the HTTP bridge: a whole study whose IFI-FS runs are
 * blocked (no weights file) finishes with warnings, not as a plain success — the notice says "Study
 * finished with N warnings", and the job card on the Jobs page is amber, "Finished with warnings",
 * listing each item with its reason and fix. Screenshot: test-artifacts/e2e/warnings-*.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDir } from '../support/files';
import { demoStudy } from '../support/studies';

const enabled = chromiumAvailable();

describe.runIf(enabled)('a whole study that finished with warnings, in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let page: Page;
  let study: string;
  const { shot, text, openStudy, consoleErrors } = pageTools(() => session);

  beforeAll(async () => {
    study = await demoStudy({ patients: 16, size: 64 });
    session = await openAppSession(await tempDir('e2e-warnings-home'), 'warnings-');
    page = session.page;
  }, 180_000);

  afterAll(async () => session?.close());

  it('says "Study finished with 2 warnings" and shows the job amber with each item, its reason and fix', async () => {
    await openStudy(study);
    await page.getByTestId('nav-jobs').waitFor();
    const plan = {
      study: '.',
      grid: {
        strategies: ['IWNE-FS', 'IFI-FS'],
        fractions: [1],
        seeds: [0],
        base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, epochs: 1, batchSize: 16, referable: [2, 3, 4] },
      },
      spectra: { datasetId: 'demo', images: 8, fraction: 1, seed: 0 },
      report: null,
    };
    const res = await fetch(`http://127.0.0.1:${session.app.port}/api/call/jobs.submit`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.app.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'study.run', params: plan, studyPath: study }),
    });
    expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    const notice = page.getByTestId('job-notice');
    await notice.waitFor({ timeout: 300_000 });
    expect(await notice.textContent()).toMatch(/^Study finished with 2 warnings: /);
    expect(await notice.textContent()).not.toMatch(/Whole study finished/);
    await page.getByTestId('nav-jobs').click();
    const card = page.locator('[data-testid="job-card"][data-status="succeeded"]', { hasText: 'Whole study' });
    await card.waitFor();
    expect(await card.getAttribute('data-warnings')).toBe('2');
    expect(await card.getByTestId('job-status').textContent()).toBe('Finished with warnings');
    const items = await card.getByTestId('job-warning').allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(
      /^run ifi-fs-resnet18-w8-demo-f1-s0: IFI-FS needs ImageNet weights: none is chosen in the study wizard's Weights step\. Fix: Choose ImageNet weights/,
    );
    expect(items[0]).toMatch(/or use demo stand-in weights; then run the study again\.$/);
    expect(items[1]).toMatch(/^spectra of IFI-FS: no finished IFI-FS run at fraction 1, seed 0\. Fix: Train the missing run/);
    expect(await text('job-warnings')).toMatch(/^Finished with 2 warnings: not everything was done/);
    await card.scrollIntoViewIfNeeded();
    await shot('01-job-card');
  }, 400_000);

  it('logged no console errors', () => {
    expect(consoleErrors()).toEqual([]);
  });
});
