/**
 * End to end in headless Chromium through the HTTP bridge: on a study with the synthetic demo
 * dataset (imported at 48 px before the app starts), set up a tiny training grid in the wizard
 * (IWNE-FS, resnet18-w8 at 48 px, 1 epoch, fractions 0.5 and 1), launch it, follow both runs to done
 * on the dashboard, open a run's live curves, evaluate both runs on the demo test split from the
 * Results page, and read Fig 2, the results table, the ROC viewer and the two CSV exports.
 * Screenshots: test-artifacts/e2e/training-results-*.png.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { detachedContext } from '../../src-main/job-context';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';

const enabled = chromiumAvailable();
const RUN_HALF = 'iwne-fs-resnet18-w8-demo-f0.5-s0';
const RUN_FULL = 'iwne-fs-resnet18-w8-demo-f1-s0';

describe.runIf(enabled)('Training and Results in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let page: Page;
  const work = tempDirSync('e2e-training');
  const study = path.join(work, 'study');
  /** Screenshots wait for MUI's colour transitions (150-300 ms) to settle. */
  const { shot, text, scrollTo, noSidewaysOverflow, choose, openStudy } = pageTools(() => session, { settleMs: 350 });

  beforeAll(async () => {
    const data = path.join(work, 'data');
    await writeEyepacsDemo(data, { patients: 24, testPatients: 10, size: 96, seed: 7, distribution: 'balanced' });
    await new StudyService({ appVersion: 'test' }).create(study, 'Pretraining pilot');
    await importDataset(
      { type: 'eyepacs', path: path.join(data, 'eyepacs'), id: 'demo', settings: { inputSize: 48, overlaySize: 64 }, concurrency: 2 },
      study,
      detachedContext(),
    );
    session = await openAppSession(path.join(work, 'home'), 'training-results-');
    page = session.page;
  });

  afterAll(async () => session?.close());

  it('opens the study; Training says to set up the grid, Results what to run', async () => {
    await openStudy(study);
    await expect
      .poll(async () => (await page.getByTestId('open-study').textContent()) ?? '', { timeout: 15_000 })
      .toContain('Pretraining pilot');
    await page.getByTestId('nav-results').click();
    await page.getByTestId('results-empty').waitFor();
    expect(await text('results-empty')).toMatch(/Train runs on the Training page, then evaluate them here/);
    expect(await text('evaluate-no-runs')).toMatch(/No finished run yet/);
    await page.getByTestId('nav-training').click();
    await page.getByTestId('training-empty').waitFor();
    expect(await text('training-empty')).toMatch(/Set up the study…/);
    await shot('01-training-empty');
  });

  it('sets up a tiny grid in the wizard, with the paper defaults and explanations shown', async () => {
    await page.getByTestId('grid-setup').click();
    await page.getByTestId('grid-wizard').waitFor();
    await page.getByTestId('grid-next').click();
    expect(await text('grid-wizard')).toMatch(/Choose the dataset to train on/);
    await page.getByTestId('grid-dataset-demo').check();
    await page.getByTestId('wizard-preset-paper').click(); // a new study opens with Quick try: the paper's set-up is a preset
    await shot('02-wizard-dataset');
    await page.getByTestId('grid-next').click();
    await page.getByTestId(`wizard-testset-demo`).waitFor(); // test sets: the demo test split is preselected
    expect(await page.getByTestId('wizard-testset-demo').isChecked()).toBe(true);
    await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-strategies').waitFor();
    expect(await page.getByTestId('grid-strategy-IWNE-FS').isChecked()).toBe(true);
    await shot('03-wizard-strategies');
    await page.getByTestId('grid-next').click();
    // default fractions 0.1, 0.2, 0.5, 1: keep 0.5 and 1
    expect(await page.getByTestId('grid-fractions-chip').count()).toBe(4);
    for (const value of ['0.1', '0.2'])
      await page.locator(`[data-testid="grid-fractions-chip"][data-value="${value}"] .MuiChip-deleteIcon`).click();
    expect(await page.getByTestId('grid-fractions-chip').count()).toBe(2);
    await page.getByTestId('grid-fractions-input').fill('150%');
    await page.getByTestId('grid-fractions-add').click();
    expect(await text('grid-wizard')).toMatch(/A fraction in \(0, 1\]/);
    await page.getByTestId('grid-fractions-input').fill('');
    await shot('04-wizard-fractions');
    await page.getByTestId('grid-next').click();
    // hyperparameters: the paper's defaults, each with its explanation
    expect(await page.getByTestId('grid-iwneEpochs').inputValue()).toBe('500');
    expect(await page.getByTestId('grid-iwneLr').inputValue()).toBe('0.0001');
    expect(await text('grid-wizard')).toMatch(/Supervised epochs; default by initialisation: IWNE 500, IFI 50 \(paper\)/);
    await shot('05-wizard-hyper-defaults');
    await choose('grid-arch', 'grid-arch-option-resnet18-w8');
    await page.getByTestId('grid-inputSize').fill('48');
    await page.getByTestId('grid-batchSize').fill('16');
    await page.getByTestId('grid-iwneEpochs').fill('1');
    await page.getByTestId('grid-iwneLr').fill('abc');
    await page.getByTestId('grid-next').click();
    expect(await text('grid-wizard')).toMatch(/Learning rate: a number > 0/);
    await shot('06-wizard-hyper-error');
    await page.getByTestId('grid-iwneLr').fill('0.002');
    await page.getByTestId('grid-next').click();
    await page.getByTestId('wizard-compute').waitFor();
    await page.getByTestId('grid-next').click(); // no measurement: the review says so
    await page.getByTestId('grid-review').waitFor();
    const review = await text('grid-review-runs');
    expect(review).toContain(`runs/${RUN_HALF}`);
    expect(review).toContain(`runs/${RUN_FULL}`);
    expect(review).toContain('1 epoch · lr 0.002');
    expect(await text('grid-review')).toMatch(/Estimated durationnot measured \(Compute step\)/);
    await shot('07-wizard-review');
  });

  it('saves and launches; both runs progress to done on the dashboard', async () => {
    await page.getByTestId('grid-save-launch').click();
    await page.getByTestId('grid-table').waitFor();
    expect(await text('grid-launch-result')).toMatch(/Launched 2 runs/);
    const grid = JSON.parse(readFileSync(path.join(study, 'grid.json'), 'utf8'));
    expect(grid).toMatchObject({
      strategies: ['IWNE-FS'],
      fractions: [0.5, 1],
      seeds: [0],
      base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 48, batchSize: 16 },
      overrides: { 'IWNE-FS': { epochs: 1, lr: 0.002 } },
    });
    await page
      .locator(`[data-testid="run-cell-${RUN_HALF}"]:is([data-status="running"], [data-status="done"])`)
      .waitFor({ timeout: 60_000 });
    await shot('08-dashboard-running');
    // Cancel the second run (queued, or just started), then retry it from its cell
    await page.getByTestId(`run-cancel-${RUN_FULL}`).click();
    await page.getByTestId(`run-retry-${RUN_FULL}`).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId(`run-cell-${RUN_FULL}`).getAttribute('data-status')).toMatch(/^(pending|partial)$/);
    expect(await page.getByTestId(`run-cell-${RUN_FULL}`).getByTestId('run-eta').textContent()).toBe('cancelled');
    await shot('08b-dashboard-cancelled');
    await page.getByTestId(`run-retry-${RUN_FULL}`).click();
    for (const run of [RUN_HALF, RUN_FULL])
      await page.locator(`[data-testid="run-cell-${run}"][data-status="done"]`).waitFor({ timeout: 90_000 });
    await expect.poll(() => text('grid-summary'), { timeout: 15_000 }).toBe('2 of 2 runs done');
    expect(await page.getByTestId(`run-cell-${RUN_FULL}`).getByTestId('run-epochs').textContent()).toMatch(
      /^1 \/ 1 epoch · AUC \d\.\d{3}$/,
    );
    await noSidewaysOverflow();
    await shot('09-dashboard-done');
  });

  it("opens a run's curves: loss and validation AUC per epoch", async () => {
    await page.getByTestId(`run-select-${RUN_FULL}`).click();
    await page.locator('[data-testid="run-curves"][data-epochs="1"]').waitFor({ timeout: 15_000 });
    expect(await text('run-curves-progress')).toBe('finished: 1 of 1 epoch');
    // one epoch: one dot per series (training and validation loss; validation AUC)
    await page.getByTestId('chart-loss').locator('.recharts-line-dots circle').nth(1).waitFor();
    expect(await page.getByTestId('chart-loss').locator('.recharts-line-dots circle').count()).toBe(2);
    await page.getByTestId('chart-auc').locator('.recharts-line-dots circle').first().waitFor();
    expect(await text('run-curves-summary')).toMatch(/Selected model\s*epoch 1/);
    await noSidewaysOverflow();
    await scrollTo('run-curves');
    await shot('10-run-curves');
  });

  it('adds IFI-FS in the wizard: the weights step reuses the Models picker; without weights its runs are blocked, with the reason', async () => {
    await page.getByTestId('grid-edit').click();
    await page.getByTestId('grid-wizard').waitFor();
    expect(await page.getByTestId('grid-dataset-demo').isChecked()).toBe(true); // the stored grid, read back
    await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-next').click(); // test sets
    await page.getByTestId('grid-strategy-IFI-FS').check();
    await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-next').click();
    expect(await page.getByTestId('grid-iwneEpochs').inputValue()).toBe('1');
    expect(await page.getByTestId('grid-ifiEpochs').inputValue()).toBe('50');
    await page.getByTestId('grid-ifiEpochs').fill('1');
    await page.getByTestId('grid-next').click();
    await page.getByTestId('weights-fs').waitFor();
    expect(await text('grid-weights-warning')).toMatch(/No ImageNet weights file: the IFI-FS runs will be blocked/);
    // Which published files work, and the other ways to fill the field: Browse (the file browser in browser mode) and the stand-ins.
    expect(await text('weights-published')).toMatch(
      /resnet50-0676ba61\.pth[\s\S]*moco_v2_800ep_pretrain\.pth\.tar[\s\S]*FundusLab itself never downloads anything/,
    );
    expect(await page.getByTestId('weights-fs-browse').isEnabled()).toBe(true);
    expect(await text('weights-standin')).toBe('Use demo stand-in weights');
    await shot('11-wizard-weights');
    await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-next').click(); // compute
    expect(await text('grid-review-runs')).toMatch(/blocked: no ImageNet weights/);
    await page.getByTestId('grid-save').click();
    await page.getByTestId('grid-row-IFI-FS').waitFor();
    await page.locator('[data-testid="run-cell-ifi-fs-resnet18-w8-demo-f0.5-s0"][data-status="blocked"]').waitFor();
    expect(await page.getByTestId('run-cell-ifi-fs-resnet18-w8-demo-f0.5-s0').getByTestId('run-reason').textContent()).toMatch(
      /IFI-FS needs ImageNet weights/,
    );
    expect(await text('grid-summary')).toBe('2 of 4 runs done · 2 blocked');
    expect(await page.getByTestId('grid-launch').isDisabled()).toBe(true);
    await noSidewaysOverflow();
    await shot('12-dashboard-blocked');
  });

  it('evaluates both runs on the demo test split from the Results page', async () => {
    await page.getByTestId('nav-results').click();
    await page.getByTestId('evaluate-card').waitFor();
    await expect.poll(() => text('evaluate-dataset'), { timeout: 10_000 }).toMatch(/^demo/);
    expect(await text('evaluate-split')).toMatch(/^test/);
    await choose('evaluate-run', `evaluate-run-option-${RUN_HALF}`);
    await page.getByTestId('evaluate-start').click();
    await page.getByTestId('evaluate-done').waitFor({ timeout: 60_000 });
    expect(await text('evaluate-done')).toMatch(new RegExp(`${RUN_HALF}__demo__test: AUC \\d\\.\\d{3} \\(DeLong 95% CI`));
    await choose('evaluate-run', `evaluate-run-option-${RUN_FULL}`);
    await page.getByTestId('evaluate-start').click();
    await page
      .getByTestId('evaluate-progress')
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined); // may already be over
    await scrollTo('evaluate-card');
    await shot('13-evaluate-running');
    await page.locator('[data-testid="evaluate-done"]', { hasText: RUN_FULL }).waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('results-row').count(), { timeout: 15_000 }).toBe(2);
  });

  it('shows Fig 2, the results table and ROC curves, and exports both CSVs', async () => {
    const panel = page.getByTestId('fig2-panel');
    await panel.waitFor();
    expect(await panel.count()).toBe(1);
    expect(await panel.getAttribute('data-series')).toBe('1');
    await panel.locator('.recharts-line-dots circle').nth(1).waitFor();
    expect(await panel.locator('.recharts-area').count()).toBe(1);
    const table = await text('results-table');
    expect(table).toMatch(/IWNE-FS · 50 % · seed 0/);
    expect(table).toMatch(/IWNE-FS · 100 % · seed 0/);
    expect(table).toMatch(/\d\.\d{3}–\d\.\d{3}/);
    expect(await text('comparisons-none')).toMatch(/None yet/);
    await noSidewaysOverflow();
    await scrollTo('fig2');
    await shot('14-results-fig2-table');

    // ROC: the first evaluation is shown; add the second
    await page.getByTestId('roc-chart').waitFor({ timeout: 15_000 });
    await page.getByTestId('roc-select').click();
    await page.getByTestId(`roc-option-${RUN_FULL}__demo__test`).click();
    await page.keyboard.press('Escape');
    await expect.poll(async () => page.getByTestId('roc-chart').getAttribute('data-curves'), { timeout: 15_000 }).toBe('2');
    expect(await text('roc-legend')).toMatch(/\(AUC \d\.\d{3}\).*\(AUC \d\.\d{3}\)/);
    await scrollTo('roc-viewer');
    await page.mouse.move(0, 0);
    await shot('15-roc');

    const [tableCsv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('results-export').click()]);
    expect(tableCsv.suggestedFilename()).toBe('study-results.csv');
    const csv = readFileSync((await tableCsv.path())!, 'utf8').split('\n');
    expect(csv[0]).toMatch(/^dataset,split,referable,run,strategy,fraction,seed,arch,n,positives,auc,/);
    expect(csv.filter((l) => l.startsWith('demo,test,')).length).toBe(2);
    const [predictions] = await Promise.all([page.waitForEvent('download'), page.getByTestId('results-predictions').first().click()]);
    expect(predictions.suggestedFilename()).toBe(`${RUN_HALF}__demo__test-predictions.csv`);
    const rows = readFileSync((await predictions.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(rows[0]).toBe('image_id,patient,eye,grade,referable,p_grade0,p_grade1,p_grade2,p_grade3,p_grade4,p_referable');
    expect(rows.length).toBeGreaterThan(2);
    await shot('16-results-full', 2200);
    // The strategy colours in the dark theme
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await scrollTo('fig2');
    await shot('17-results-dark', 1500);
    await page.getByRole('button', { name: 'System theme' }).click();
  });

  it('logged no errors in the page', () => {
    expect(session.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
