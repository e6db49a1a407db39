/**
 * End to end in headless Chromium through the HTTP bridge: on a study with the synthetic demo
 * dataset (imported at 48 px before the app starts), set up a tiny training grid in the wizard
 * (IWNE-FS, resnet18-w8 at 48 px, 1 epoch, fractions 0.5 and 1), launch it, follow both runs to done
 * on the dashboard, open a run's live curves, compare the two runs (overlaid curves, the runs table
 * sorted and filtered), evaluate both runs on the demo test split from the Results page, and read
 * Fig 2, the results table, the ROC viewer and the two CSV exports; then, with evaluations of IFI-FS
 * written beside them, the summary cards, the sorted and filtered results table and the reading of
 * each paired test.
 * Screenshots: test-artifacts/e2e/training-results-*.png.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    // Cancel the second run while it waits behind the first (one training job at a time; the first one
    // alone takes seconds), then retry it from its cell. Waiting for the first to run before cancelling
    // would race: both tiny runs can finish in that time.
    await page.getByTestId(`run-cancel-${RUN_FULL}`).click();
    await page.getByTestId(`run-retry-${RUN_FULL}`).waitFor({ timeout: 30_000 });
    await page
      .locator(`[data-testid="run-cell-${RUN_HALF}"]:is([data-status="running"], [data-status="done"])`)
      .waitFor({ timeout: 60_000 });
    await shot('08-dashboard-running');
    expect(await page.getByTestId(`run-cell-${RUN_FULL}`).getAttribute('data-status')).toMatch(/^(pending|partial)$/);
    expect(await page.getByTestId(`run-cell-${RUN_FULL}`).getByTestId('run-eta').textContent()).toBe('cancelled');
    await shot('08b-dashboard-cancelled');
    await page.getByTestId(`run-retry-${RUN_FULL}`).click();
    for (const run of [RUN_HALF, RUN_FULL])
      await page.locator(`[data-testid="run-cell-${run}"][data-status="done"]`).waitFor({ timeout: 90_000 });
    await expect.poll(() => text('grid-summary'), { timeout: 15_000 }).toBe('2 of 2 runs done');
    // A finished job marks its cell done at once; its best AUC arrives with the next grid listing.
    await expect
      .poll(() => page.getByTestId(`run-cell-${RUN_FULL}`).getByTestId('run-epochs').textContent(), { timeout: 15_000 })
      .toMatch(/^1 \/ 1 epoch · AUC \d\.\d{3}$/);
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

  it('compares the two runs: ticked in the runs table, their curves overlaid with one legend entry each; the table sorts', async () => {
    const table = page.getByTestId('runs-table');
    await table.waitFor();
    await expect.poll(() => page.getByTestId('runs-row').count(), { timeout: 15_000 }).toBe(2);
    expect(await text('runs-shown')).toBe('2 runs');
    expect(await text('compare-none')).toMatch(/Tick two or more runs/);
    await page.getByTestId(`runs-compare-${RUN_HALF}`).locator('input').check();
    await page.getByTestId(`runs-compare-${RUN_FULL}`).locator('input').check();
    const loss = page.getByTestId('compare-chart-loss');
    await page.locator('[data-testid="compare-chart-loss"][data-series="2"]').waitFor({ timeout: 15_000 });
    await loss.locator('.recharts-legend-item').nth(1).waitFor();
    expect(await loss.locator('.recharts-legend-item').allTextContents()).toEqual(['IWNE-FS · 50 % · seed 0', 'IWNE-FS · 100 % · seed 0']);
    expect(await page.getByTestId('compare-chart-auc').locator('.recharts-legend-item').count()).toBe(2);
    expect(await page.getByTestId('compare-chart-moco').count()).toBe(0); // no MoCo pretraining in these runs
    expect(await loss.locator('.recharts-label').allTextContents()).toEqual(['epoch', 'cross-entropy']);
    // Sort by fraction: a click ascends, a second descends (aria-sort follows)
    const fractionHeader = table.locator('th', { has: page.getByTestId('runs-sort-fraction') });
    expect(await fractionHeader.getAttribute('aria-sort')).toBe('none');
    await page.getByTestId('runs-sort-fraction').click();
    expect(await fractionHeader.getAttribute('aria-sort')).toBe('ascending');
    await page.getByTestId('runs-sort-fraction').click();
    expect(await fractionHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await page.getByTestId('runs-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')))).toEqual([
      RUN_FULL,
      RUN_HALF,
    ]);
    // … and from the keyboard: Enter on the focused header sorts ascending again
    await page.getByTestId('runs-sort-fraction').focus();
    await page.keyboard.press('Enter');
    expect(await fractionHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(await page.getByTestId('runs-row').first().getAttribute('data-run')).toBe(RUN_HALF);
    await noSidewaysOverflow();
    await scrollTo('runs-compare');
    await page.mouse.move(0, 0);
    await shot('10b-compare-runs');
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

  it('filters the runs table by strategy; the blocked runs cannot be ticked', async () => {
    await expect.poll(() => page.getByTestId('runs-row').count(), { timeout: 15_000 }).toBe(4);
    await choose('runs-filter-strategy', 'runs-filter-strategy-option-IFI-FS');
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(2);
    expect(await text('runs-shown')).toBe('Showing 2 of 4 runs');
    expect(await page.getByTestId('runs-compare-ifi-fs-resnet18-w8-demo-f0.5-s0').locator('input').isDisabled()).toBe(true);
    await scrollTo('runs-compare');
    await shot('12b-runs-filtered');
    await page.getByTestId('runs-filter-clear').click();
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(4);
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

  it('reads the results at a glance: summary cards, the table sorted and filtered, one sentence under each paired test', async () => {
    // IFI-FS evaluated on the same images: a copy of each IWNE-FS evaluation with other scores (perfect at 50 %, the same at 100 %).
    for (const [run, fraction, perfect] of [
      [RUN_HALF, '0.5', true],
      [RUN_FULL, '1', false],
    ] as const) {
      const from = path.join(study, 'evaluations', `${run}__demo__test`);
      const runId = `ifi-fs-resnet18-w8-demo-f${fraction}-s0`;
      const name = `${runId}__demo__test`;
      const dir = path.join(study, 'evaluations', name);
      mkdirSync(dir, { recursive: true });
      const result = JSON.parse(readFileSync(path.join(from, 'result.json'), 'utf8'));
      result.name = name;
      result.run = { ...result.run, runId, strategy: 'IFI-FS' };
      result.files = { dir, predictions: path.join(dir, 'predictions.csv'), result: path.join(dir, 'result.json') };
      if (perfect) Object.assign(result, { auc: 1, delong: { ...result.delong, lower: 1, upper: 1 } });
      writeFileSync(path.join(dir, 'result.json'), JSON.stringify(result, null, 2));
      const [head, ...lines] = readFileSync(path.join(from, 'predictions.csv'), 'utf8').trim().split('\n');
      const scored = lines.map((l) => {
        const cells = l.split(',');
        if (perfect) cells[cells.length - 1] = cells[4]!; // P(referable) = the label
        return cells.join(',');
      });
      writeFileSync(path.join(dir, 'predictions.csv'), [head, ...scored].join('\n') + '\n');
    }
    await page.getByRole('button', { name: 'Refresh the results' }).click();
    await expect.poll(() => page.getByTestId('results-row').count(), { timeout: 15_000 }).toBe(4);
    // Summary cards: the best AUC on the one test set, and the counts
    expect(await page.getByTestId('results-best-card').count()).toBe(1);
    expect(await text('results-best-auc')).toBe('1.000');
    expect(await text('results-best-run')).toBe('IFI-FS · 50 % · seed 0 (resnet18-w8)');
    expect(await text('results-best-card')).toMatch(
      /Best AUC on demo · test split1\.00095 % CI 1\.000–1\.000 \(DeLong\).*\d+ images \(\d+ referable\)/,
    );
    expect(await text('results-counts')).toBe('4 evaluations shown · none left out');
    // One sentence under each paired test, the rule once
    expect(await page.getByTestId('comparison-row').count()).toBe(2);
    const readings = await page.getByTestId('comparison-reading').allTextContents();
    expect(readings).toHaveLength(2);
    expect(readings[0]).toMatch(
      /^(IFI-FS is better than IWNE-FS|No significant difference between IFI-FS and IWNE-FS) at 50 % labels, seed 0, on demo · test split \(ΔAUC \d\.\d{3}, (95 % CI [−\d.]+ to [−\d.]+, )?p [=<] [\d.]+\)\.$/,
    );
    expect(readings[1]).toMatch(
      /^No (significant difference between IFI-FS and IWNE-FS|reading of IFI-FS against IWNE-FS) at 100 % labels, seed 0, on demo · test split/,
    );
    expect(await page.getByTestId('comparisons-rule').count()).toBe(1);
    expect(await text('comparisons-rule')).toMatch(
      /two-sided DeLong test; a difference is called significant when p < 0\.05 \(α = 0\.05\)/,
    );
    await page
      .getByTestId('results-summary')
      .evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' }));
    await shot('18-results-summary');
    await scrollTo('comparisons-table');
    await shot('19-results-readings');
    // Sort by AUC, highest first (two clicks), then filter by strategy
    const aucHeader = page.getByTestId('results-table').locator('th', { has: page.getByTestId('results-sort-auc') });
    await page.getByTestId('results-sort-auc').click();
    await page.getByTestId('results-sort-auc').click();
    expect(await aucHeader.getAttribute('aria-sort')).toBe('descending');
    const aucs = (await page.getByTestId('results-auc').allTextContents()).map(Number);
    expect(aucs).toEqual([...aucs].sort((a, b) => b - a));
    expect(aucs[0]).toBe(1);
    await choose('results-filter-strategy', 'results-filter-strategy-option-IFI-FS');
    await expect.poll(() => page.getByTestId('results-row').count()).toBe(2);
    expect(await text('results-shown')).toBe('Showing 2 of 4 evaluations');
    expect(await page.getByTestId('results-row').first().getAttribute('data-evaluation')).toBe(
      'ifi-fs-resnet18-w8-demo-f0.5-s0__demo__test',
    );
    await noSidewaysOverflow();
    await scrollTo('results-table');
    await shot('20-results-sorted-filtered');
  });

  it('at 1024 px the runs and results tables scroll inside their own boxes: the cards around them do not stick out', async () => {
    type Box = { scrollWidth: number; clientWidth: number };
    const overflow = (testId: string) =>
      page
        .getByTestId(testId)
        .first()
        .evaluate((el) => (el as unknown as Box).scrollWidth - (el as unknown as Box).clientWidth);
    const closest = (testId: string, selector: string) =>
      page.getByTestId(testId).evaluate((el, sel) => {
        const card = (el as unknown as { closest(s: string): Box | null }).closest(sel)!;
        return card.scrollWidth - card.clientWidth;
      }, selector);
    await page.setViewportSize({ width: 1024, height: 700 });
    try {
      await page.getByTestId('results-filter-clear').click();
      await expect.poll(() => page.getByTestId('results-row').count()).toBe(4);
      expect(await closest('results-table', '.MuiCard-root')).toBeLessThanOrEqual(0);
      expect(await closest('comparisons-table', '.MuiCard-root')).toBeLessThanOrEqual(0);
      expect(await overflow('results-summary')).toBeLessThanOrEqual(0);
      await scrollTo('results-table');
      await session.shot('21-results-1024');
      await page.getByTestId('nav-training').click();
      await page.getByTestId('runs-table').waitFor();
      expect(await overflow('runs-compare')).toBeLessThanOrEqual(0);
      await scrollTo('runs-compare');
      await session.shot('22-runs-1024');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('logged no errors in the page', () => {
    expect(session.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
