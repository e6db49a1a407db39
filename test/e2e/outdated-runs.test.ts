/**
 * End to end in headless Chromium through the HTTP bridge: a tiny study whose 1-epoch run was
 * evaluated, then the grid changed to 2 epochs (and another lr) and the new run evaluated. The
 * Training page lists the old run under "Other runs in this study" with an Outdated chip and
 * "epochs 1 → 2", and marks it in the runs table (outdated filter, "· outdated" in the overlay
 * legend); Results show only the new run, say that the old one's evaluation is left out, and
 * with "Include outdated runs" show both, the old one marked, with a "settings differ" notice. The
 * Spectra page does the same with the spectra of both runs: the old one's left out and named, then
 * included and marked, and its run offered in the run chooser with the chip only when included.
 * Screenshots: test-artifacts/e2e/outdated-runs-*.png.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src-main/engine/backend';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { runSpectra } from '../../src-main/analysis/spectra/service';
import { evaluateRun } from '../../src-main/services/evaluation/evaluate';
import { detachedContext } from '../../src-main/job-context';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { saveGrid } from '../../src-main/services/training/grid';
import { runGrid } from '../../src-main/services/training/grid-run';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';
import { recordingContext } from '../support/job-context';
import { demoSpec } from '../support/studies';

const enabled = chromiumAvailable();
const OLD = 'iwne-fs-resnet18-w8-demo-f1-s0';
const NEW = `${OLD}-v2`;

describe.runIf(enabled)('Outdated runs in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let page: Page;
  const work = tempDirSync('e2e-outdated');
  const study = path.join(work, 'study');
  const { shot, text, openStudy, noSidewaysOverflow } = pageTools(() => session, { settleMs: 350 });

  beforeAll(async () => {
    const data = path.join(work, 'data');
    await writeEyepacsDemo(data, { patients: 20, testPatients: 10, size: 96, seed: 7, distribution: 'balanced' });
    await new StudyService({ appVersion: 'test' }).create(study, 'Outdated pilot');
    await importDataset(
      { type: 'eyepacs', path: path.join(data, 'eyepacs'), id: 'demo', settings: { inputSize: 48, overlaySize: 64 }, concurrency: 2 },
      study,
      detachedContext(),
    );
    await initEngine({ preference: 'auto' });
    const { strategy: _s, seed: _seed, ...base } = demoSpec({ inputSize: 48 });
    for (const [epochs, lr] of [
      [1, 2e-3],
      [2, 1e-3],
    ] as const) {
      await saveGrid(study, { strategies: ['IWNE-FS'], fractions: [1], seeds: [0], base: { ...base, epochs, lr } });
      const [outcome] = await runGrid(study, recordingContext());
      await evaluateRun({ runId: outcome!.runId, datasetId: 'demo', split: 'test' } as never, study, recordingContext());
      await runSpectra({ runId: outcome!.runId, datasetId: 'demo', images: 6 }, study, recordingContext());
    }
    session = await openAppSession(path.join(work, 'home'), 'outdated-runs-');
    page = session.page;
  }, 240_000);

  afterAll(async () => session?.close());

  it('the runs grid shows the new run with its settings and the old one as outdated', async () => {
    await openStudy(study);
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-table').waitFor();
    await page.getByTestId(`run-cell-${NEW}`).waitFor();
    expect(await page.getByTestId(`run-cell-${NEW}`).getByTestId('run-settings').textContent()).toBe(
      '2 epochs · lr 0.001 · batch 16 · 48 px',
    );
    const old = page.locator(`[data-testid="grid-other-run"][data-run="${OLD}"]`);
    await old.waitFor();
    expect(await old.getAttribute('data-outdated')).toBe('true');
    expect(await old.getByTestId('run-outdated').textContent()).toBe('Outdated');
    expect(await old.getByTestId('run-outdated-reasons').textContent()).toContain('epochs 1 → 2; lr 0.002 → 0.001');
    await shot('01-training');
  });

  it('the runs table marks the old run outdated, filters to it, and names it outdated in the overlay legend', async () => {
    const oldRow = page.locator(`[data-testid="runs-row"][data-run="${OLD}"]`);
    await oldRow.waitFor();
    expect(await oldRow.getAttribute('data-outdated')).toBe('true');
    expect(await oldRow.getByTestId('runs-outdated').textContent()).toBe('Outdated');
    await page.getByTestId('runs-filter-outdated').click();
    await page.getByTestId('runs-filter-outdated-option-outdated').click();
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(1);
    expect(await page.getByTestId('runs-row').getAttribute('data-run')).toBe(OLD);
    await page.getByTestId('runs-filter-clear').click();
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(2);
    await page.getByTestId(`runs-compare-${NEW}`).locator('input').check();
    await page.getByTestId(`runs-compare-${OLD}`).locator('input').check();
    const legend = page.getByTestId('compare-chart-loss').locator('.recharts-legend-item');
    await expect.poll(() => legend.count(), { timeout: 15_000 }).toBe(2);
    expect(await legend.allTextContents()).toEqual(['IWNE-FS · 100 % · seed 0', 'IWNE-FS · 100 % · seed 0 · outdated']);
    await noSidewaysOverflow();
    await page
      .getByTestId('runs-compare')
      .evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' }));
    await page.mouse.move(0, 0);
    await shot('01b-runs-compare');
  });

  it('Results leave the outdated run out, say so, and show it marked when included', async () => {
    await page.getByTestId('nav-results').click();
    await expect.poll(() => page.getByTestId('results-row').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('results-row').getAttribute('data-evaluation')).toContain(NEW);
    expect(await page.getByTestId('results-epochs').textContent()).toBe('2 ep.');
    expect(await text('results-outdated-excluded')).toContain(
      `1 evaluation of outdated runs is left out of the table, the paired tests and Fig 2: ${OLD} (epochs 1 → 2, lr 0.002 → 0.001).`,
    );
    expect(await page.getByTestId('results-settings-differ').count()).toBe(0);
    await noSidewaysOverflow(); // the settings column still fits the table at 1280 px
    await shot('02-results');

    await page.getByTestId('results-include-outdated').locator('input').check();
    await expect.poll(() => page.getByTestId('results-row').count(), { timeout: 15_000 }).toBe(2);
    const marked = page.locator('[data-testid="results-row"][data-outdated="true"]');
    expect(await marked.count()).toBe(1);
    expect(await marked.getAttribute('data-evaluation')).toContain(OLD);
    expect(await marked.getByTestId('results-outdated').textContent()).toBe('Outdated');
    expect(await text('results-settings-differ')).toContain('Settings differ: IWNE-FS epochs 1, 2; IWNE-FS lr 0.001, 0.002');
    expect(await text('results-outdated-included')).toContain('1 evaluation of outdated runs is included and marked "Outdated"');
    await shot('03-results-included');
  });

  it("Spectra leave the outdated run's result out and name it; included, it is marked and its run offered with the chip", async () => {
    await page.getByTestId('nav-spectra').click();
    await page.getByTestId('spectra-outdated-excluded').waitFor({ timeout: 15_000 });
    expect(await text('spectra-outdated-excluded')).toBe(
      `1 spectra result of an outdated run is left out of Fig 3a, Fig 3b and Table 2: ${OLD} (epochs 1 → 2, lr 0.002 → 0.001).`,
    );
    await expect.poll(() => page.getByTestId('table2-row').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('table2-row').getAttribute('data-run')).toBe(NEW);
    expect(await page.getByTestId('spectra-outdated-result').count()).toBe(0);
    await page.getByTestId('spectra-run-runs').click();
    expect(await page.getByTestId('spectra-run-runs-option').count()).toBe(1);
    await page.keyboard.press('Escape');
    await shot('04-spectra');

    await page.getByTestId('spectra-include-outdated').locator('input').check();
    await expect.poll(() => page.getByTestId('table2-row').count(), { timeout: 15_000 }).toBe(2);
    const marked = page.getByTestId('spectra-outdated-result');
    expect(await marked.count()).toBe(1);
    expect(await marked.getByTestId('spectra-outdated').textContent()).toBe('Outdated');
    expect(await marked.getByTestId('spectra-outdated-line').textContent()).toBe(
      'computed from an outdated run: epochs 1 → 2, lr 0.002 → 0.001',
    );
    expect(await text('spectra-outdated-included')).toContain('1 spectra result of an outdated run is included and marked "Outdated"');
    expect(await text('spectra-run-runs')).not.toContain('Outdated'); // the default stays the current run
    await page.getByTestId('spectra-run-runs').click();
    await expect.poll(() => page.getByTestId('spectra-run-runs-option').count()).toBe(2);
    const option = page.getByTestId('spectra-run-runs-option').nth(1);
    expect(await option.getByTestId('spectra-run-runs-option-outdated').textContent()).toBe('Outdated');
    expect(await option.textContent()).toContain(
      `${OLD}: Trained with other settings than the grid has now: epochs 1 → 2; lr 0.002 → 0.001`,
    );
    await option.click();
    expect(await text('spectra-run-runs-outdated')).toContain(`${OLD}: Trained with other settings than the grid has now`);
    await shot('05-spectra-included', 1700);
  });
});
