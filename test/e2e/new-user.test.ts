/**
 * A new user, end to end, in headless Chromium through the HTTP bridge (nothing prepared behind the
 * app's back): create a study, add the synthetic demo data from the Datasets page, set up the study
 * in the wizard (test sets and analyses, IWNE-FS and IWNE-CL on two fractions with a tiny model,
 * a measured duration estimate), run the whole study as one job, watch its progress, open every
 * results page, download the report — then the same pages at 200 % zoom (a 1280×800 window at
 * 200 % is a 640×400 CSS-pixel viewport): nothing sticks out sideways.
 * Screenshots: test-artifacts/e2e/new-user-*.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';

const enabled = chromiumAvailable();
const TRAIN = 'eyepacs-demo';
const MASKED = 'idrid-demo';

describe.runIf(enabled)('A new user: from an empty app to the report', () => {
  let session: AppSession;
  let page: Page;
  const work = tempDirSync('e2e-new-user');
  const study = path.join(work, 'My first study');
  /** Screenshots wait for MUI's colour transitions (150-300 ms) to settle. */
  const { shot, text, choose } = pageTools(() => session, { settleMs: 350 });
  /**
   * How far the page area sticks out sideways (px; ≤ 0 is none). Wide data tables may scroll inside
   * their own box at 200 % zoom — the reflow criterion (WCAG 1.4.10) exempts content that needs two
   * dimensions — but the page itself must not.
   */
  const sidewaysOverflow = () =>
    page
      .locator('main')
      .evaluate(
        (main) =>
          (main as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth -
          (main as unknown as { clientWidth: number }).clientWidth,
      );

  beforeAll(async () => {
    session = await openAppSession(path.join(work, 'home'), 'new-user-');
    page = session.page;
  });
  afterAll(async () => session?.close());

  it('creates a study and is told what to do next', async () => {
    await page.goto(session.app.url);
    await page.getByTestId('study-name').fill('My first study');
    await page.getByTestId('study-path').fill(study);
    await page.getByRole('button', { name: /^create/i }).click();
    await expect
      .poll(async () => (await page.getByTestId('open-study').textContent()) ?? '', { timeout: 15_000 })
      .toContain('My first study');
    await page.getByTestId('next-steps').waitFor();
    expect(await text('next-steps')).toMatch(/Add the data.*Set up the study.*Follow the progress.*Read the results/);
    await shot('01-study-created');
  });

  it('adds the synthetic demo data from the Datasets page', async () => {
    await page.getByTestId('next-step-datasets').click();
    await page.getByTestId('datasets-demo-card').waitFor();
    expect(await text('datasets-demo-card')).toMatch(/SYNTHETIC/i);
    await page.getByTestId('datasets-add-demo').click();
    await page
      .getByTestId('datasets-demo-progress')
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined); // may be over already
    await shot('02-demo-data-running');
    await page.getByTestId(`dataset-card-${TRAIN}`).waitFor({ timeout: 120_000 });
    await page.getByTestId(`dataset-card-${MASKED}`).waitFor({ timeout: 30_000 });
    expect(existsSync(path.join(study, 'datasets', TRAIN, 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(study, 'datasets', MASKED, 'manifest.json'))).toBe(true);
    await shot('03-demo-data-added');
  });

  it('sets up the study in the wizard, with test sets, analyses and a measured estimate', async () => {
    await page.getByTestId('nav-studies').click();
    // The data step ticks once a dataset is imported; the set-up is the one to take now.
    await expect.poll(async () => (await text('next-steps')) ?? '', { timeout: 15_000 }).toMatch(/Add the data\s*— done/);
    expect(await text('next-steps')).not.toMatch(/Set up the study\s*— done/);
    expect(await page.getByTestId('next-step-training').getAttribute('class')).toMatch(/MuiButton-contained/);
    await page.getByTestId('next-step-training').click();
    await page.getByTestId('grid-setup').click();
    await page.getByTestId(`grid-dataset-${TRAIN}`).check();
    await page.getByTestId('grid-next').click();
    // Test sets and analyses: the training set's test split is preselected; explanations on the masked set.
    await page.getByTestId(`wizard-testset-${TRAIN}`).waitFor();
    expect(await page.getByTestId(`wizard-testset-${TRAIN}`).isChecked()).toBe(true);
    expect(await page.getByTestId(`wizard-testset-${MASKED}`).isDisabled()).toBe(true); // no grades: not a test set
    expect(await text('wizard-explain-dataset')).toBe(MASKED);
    await page.getByTestId('wizard-spectra-images').fill('1');
    await page.getByTestId('grid-next').click();
    expect(await text('grid-wizard')).toMatch(/Images: a whole number from 3 to 4,096/);
    await page.getByTestId('wizard-spectra-images').fill('8');
    await page.getByTestId('wizard-robustness-images').fill('4');
    expect(await sidewaysOverflow()).toBeLessThanOrEqual(0);
    await shot('04-wizard-test-sets');
    await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-strategy-IWNE-CL').check();
    await page.getByTestId('grid-next').click();
    // Quick try's label fractions 25 %, 50 %, 100 %: keep 50 % and 100 %.
    for (const value of ['0.25'])
      await page.locator(`[data-testid="grid-fractions-chip"][data-value="${value}"] .MuiChip-deleteIcon`).click();
    await page.getByTestId('grid-next').click();
    await choose('grid-arch', 'grid-arch-option-resnet18-w4');
    await page.getByTestId('grid-inputSize').fill('64');
    await page.getByTestId('grid-batchSize').fill('16');
    await page.getByTestId('grid-iwneEpochs').fill('1');
    await page.getByTestId('grid-mocoEpochs').fill('1');
    await page.getByTestId('grid-mocoQueue').fill('64');
    await page.getByTestId('grid-next').click();
    // Save checks every run's spec: a queue shorter than one MoCo batch (256) is refused at its field.
    await page.getByTestId('grid-next').click(); // compute → review
    await page.getByTestId('grid-save').click();
    await expect.poll(() => text('grid-wizard'), { timeout: 10_000 }).toMatch(/must hold at least one batch \(moco.batchSize = 256\)/);
    expect(await page.getByTestId('grid-mocoQueue').isVisible()).toBe(true); // sent back to the hyperparameters
    await page.getByTestId('grid-mocoQueue').fill('256');
    await page.getByTestId('grid-next').click();
    // Compute: the backend, a short measurement, the estimate by phase.
    await page.getByTestId('wizard-compute').waitFor();
    expect(await text('wizard-compute')).toMatch(/Backend(wasm|cpu|tensorflow)/);
    await page.getByTestId('wizard-measure').click();
    await page.getByTestId('wizard-estimate').waitFor({ timeout: 90_000 });
    expect(await text('wizard-bench')).toMatch(/forward [\d.]+ ms\/image, training step [\d.]+ ms\/image/);
    const estimate = await text('wizard-estimate');
    expect(estimate).toMatch(/The whole study: (under a minute|about \d+ min)/);
    expect(estimate).toMatch(/4 runs, 1 MoCo pretraining/);
    expect(estimate).toMatch(/IWNE-FS training: 2 runs/);
    expect(await sidewaysOverflow()).toBeLessThanOrEqual(0);
    await shot('05-wizard-compute-estimate', 1100);
    await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-review').waitFor();
    const review = await text('grid-review');
    expect(review).toMatch(new RegExp(`Test sets${TRAIN} \\(test split\\)`));
    expect(review).toMatch(/Estimated duration(under a minute|about \d+ min) for the whole study/);
    await shot('06-wizard-review', 1100);
    await page.getByTestId('grid-run-study').click();
    await page.getByTestId('study-job').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('grid-launch').isDisabled()).toBe(true); // the study job trains the runs: no second launch
    await page.getByTestId('grid-table').waitFor();
    await shot('07-study-launched');
    // The run the study trains shows Running (one at a time), and the study's card names its step once, with elapsed time and time left.
    const running = page.locator('[data-testid^="run-cell-"][data-status="running"]');
    await running.first().waitFor({ timeout: 120_000 });
    expect(await running.count()).toBe(1);
    expect(await running.first().getByTestId('run-status').textContent()).toBe('Running');
    await expect
      .poll(async () => (await text('study-job')) ?? '', { timeout: 60_000 })
      .toMatch(/\d+ % · Training \d of 4 · IWNE-(FS|CL) \d+ % seed 0( · .*)? · [\d a-z]+ elapsed · about [\d a-z]+ left/);
    await shot('07b-study-training-a-run');
  });

  it('watches the study job progress on the Jobs page until it is done', async () => {
    await page.getByTestId('nav-jobs').click();
    const card = page.locator('[data-testid="job-card"]', { hasText: 'Whole study' }).first();
    await card.waitFor();
    await page.locator('[data-testid="job-card"][data-status="running"]', { hasText: 'Whole study' }).waitFor({ timeout: 60_000 });
    await expect
      .poll(async () => (await card.getByTestId('job-message').textContent()) ?? '', { timeout: 120_000 })
      .toMatch(/^(Training \d of 4|Evaluating \d of 4|Spectra \d of 2|Robustness|Explanations \d of 2|Building the report)( · |$)/);
    await shot('08-jobs-study-running');
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-table').waitFor();
    await shot('09-training-dashboard-running');
    await page.getByTestId('nav-jobs').click();
    await page.locator('[data-testid="job-card"][data-status="succeeded"]', { hasText: 'Whole study' }).waitFor({ timeout: 600_000 });
    await shot('10-jobs-study-done');
    const plan = JSON.parse(readFileSync(path.join(study, 'study-plan.json'), 'utf8')) as {
      evaluate: unknown[];
      grid: { strategies: string[] };
    };
    expect(plan.evaluate).toEqual([{ datasetId: TRAIN, split: 'test' }]);
    expect(plan.grid.strategies).toEqual(['IWNE-FS', 'IWNE-CL']);
  });

  it('opens every results page filled in, and downloads the report', async () => {
    await page.getByTestId('nav-training').click();
    await expect.poll(() => page.locator('[data-testid^="run-cell-"][data-status="done"]').count(), { timeout: 30_000 }).toBe(4);
    await shot('11-training-done');
    // Each results page: its figure, and one table row per evaluation (4 runs) or per strategy (2).
    const pages: [nav: string, figure: string, rows: string | null, count: number, shotName: string][] = [
      ['results', 'fig2-panel', 'results-row', 4, '12-results'],
      ['spectra', 'fig3a-panel', 'table2-row', 2, '13-spectra'],
      ['robustness', 'fig4-panel', 'robustness-row', 2, '14-robustness'],
      ['explanations', 'fig5', null, 0, '15-explanations'],
    ];
    for (const [nav, figure, rows, count, shotName] of pages) {
      await page.getByTestId(`nav-${nav}`).click();
      await page.getByTestId(figure).waitFor({ timeout: 15_000 });
      if (rows) expect(await page.getByTestId(rows).count(), `${rows} on ${nav}`).toBe(count);
      await shot(shotName, 1400);
    }
    await page.getByTestId('nav-report').click();
    await page.locator('[data-testid="report-row"][data-file="report.pdf"]').waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-row-open').first().click()]);
    expect(download.suggestedFilename()).toBe('report.pdf');
    const saved = path.join(work, 'downloaded.pdf');
    await download.saveAs(saved);
    expect(readFileSync(saved).subarray(0, 5).toString()).toBe('%PDF-');
    await shot('16-report');
  });

  it('stays readable at 200 % zoom: no page overflows sideways at 640×400 CSS pixels', async () => {
    await page.setViewportSize({ width: 640, height: 400 });
    const pages = [
      'studies',
      'datasets',
      'models',
      'training',
      'results',
      'spectra',
      'robustness',
      'explanations',
      'report',
      'compute',
      'jobs',
    ];
    const overflow: Record<string, number> = {};
    for (const id of pages) {
      await page.getByTestId(`nav-${id}`).click();
      await page.getByTestId(`page-${id}`).waitFor();
      await page.waitForTimeout(500);
      overflow[id] = await sidewaysOverflow();
      if (['studies', 'training', 'results', 'explanations'].includes(id)) await session.shot(`17-zoom200-${id}`);
    }
    expect(overflow).toEqual(Object.fromEntries(pages.map((id) => [id, expect.any(Number)])));
    for (const [id, px] of Object.entries(overflow)) expect(px, `page ${id} overflows by ${px} px`).toBeLessThanOrEqual(0);
    // The compact navigation keeps every page's name for assistive technology.
    expect(await page.getByTestId('nav-results').getAttribute('aria-current')).toBeNull();
    expect(((await page.getByTestId('nav-results').textContent()) ?? '').trim()).toMatch(/^Results/);
    await page.setViewportSize({ width: 1280, height: 800 });
    // The one failed request is the refused grid.save (the MoCo queue shorter than a batch), answered 400 by design.
    expect(session.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([
      'Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
  });
});
