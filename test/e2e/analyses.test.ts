/**
 * End to end in headless Chromium through the HTTP bridge: the Spectra, Robustness, Explanations and
 * Report pages on a small finished study built with the services before the app starts (two tiny
 * runs, IWNE-FS and IWNE-CL at fraction 1, resnet18-w8 at 64 px; robustness with 3 corruptions × 2
 * severities; LRP explanations on a 3-image synthetic IDRiD set). The spectra are NOT pre-computed:
 * the Spectra page shows its empty state with the exact commands, and its Run action submits the two
 * spectra.run jobs. Then: Fig 3a/3b and Table 2; Fig 4, the per-model table and the gallery;
 * Fig 5 (choose an image, move the opacity slider with the keyboard, switch the colour map, toggle
 * lesion contours) and Table 3 with another pooling; exporting the report and downloading it
 * (browser mode). Every page is checked for sideways overflow at 1280×800, in both themes.
 * Screenshots: test-artifacts/e2e/analyses-*.png.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src-main/engine/backend';
import { explainRun } from '../../src-main/analysis/lrp/service';
import { runRobustness } from '../../src-main/analysis/robustness/service';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeIdridDemo } from '../../src-main/services/demo';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDir } from '../support/files';
import { recordingContext } from '../support/job-context';
import { evalStudy, trainTiny } from '../support/studies';

const enabled = chromiumAvailable();
const FS = 'iwne-fs-e2e';
const CL = 'iwne-cl-e2e';

describe.runIf(enabled)('Spectra, Robustness, Explanations and Report in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let page: Page;
  let study: string;
  /** Screenshots wait for MUI's colour transitions (150-300 ms) to settle; code blocks must not scroll sideways either. */
  const { shot, text, scrollTo, noSidewaysOverflow, openStudy } = pageTools(() => session, {
    settleMs: 350,
    overflowBoxes: '.MuiTableContainer-root, pre',
  });

  beforeAll(async () => {
    await initEngine({ preference: 'auto' });
    study = await evalStudy();
    await trainTiny(study, FS, { fraction: 1 });
    await trainTiny(study, CL, {
      fraction: 1,
      strategy: 'IWNE-CL',
      moco: { epochs: 1, batchSize: 16, queueSize: 64, optimizer: 'adamw', lr: 1e-3, dim: 16, mlpHidden: 16 },
    });
    await runRobustness(
      {
        runIds: [FS, CL],
        datasetId: 'demo-eval',
        corruptions: ['gaussian_noise', 'pixelate', 'brightness'],
        severities: [1, 3],
        images: 12,
      },
      study,
      recordingContext(),
    );
    const idridSrc = await tempDir('e2e-idrid-src');
    await writeIdridDemo(idridSrc, { images: 3, size: 128, seed: 5 });
    await importDataset(
      {
        type: 'idrid-seg',
        path: path.join(idridSrc, 'idrid'),
        id: 'idrid-demo',
        settings: { inputSize: 64, overlaySize: 128 },
        concurrency: 2,
      },
      study,
      recordingContext(),
    );
    for (const runId of [FS, CL]) await explainRun({ runId, datasetId: 'idrid-demo' }, study, recordingContext());
    session = await openAppSession(await tempDir('e2e-analyses-home'), 'analyses-');
    page = session.page;
  }, 180_000);

  afterAll(async () => session?.close());

  it('opens the study; Spectra says exactly what to run, and its Run action fills the page', async () => {
    await openStudy(study);
    await page.getByTestId('open-study').waitFor();
    await page.getByTestId('nav-spectra').click();
    await page.getByTestId('spectra-empty').waitFor({ timeout: 15_000 });
    // the exact commands for the default choice: both runs, on the dataset with a test split
    await expect.poll(() => text('spectra-empty-command'), { timeout: 10_000 }).toContain(`--run ${FS} --dataset demo-eval`);
    expect(await text('spectra-empty-command')).toContain(`--run ${CL} --dataset demo-eval`);
    expect(await text('spectra-empty')).toMatch(/Click Run spectra below/);
    expect(await text('spectra-run-dataset')).toMatch(/^demo-eval/);
    // No spectra yet and no plan: the usual 256 images, clamped to what demo-eval's test split holds.
    expect(await page.getByTestId('spectra-images').inputValue()).toBe('32');
    expect(await text('spectra-images-available')).toBe('32 images in test.');
    await noSidewaysOverflow();
    await shot('01-spectra-empty');

    await page.getByTestId('spectra-images').fill('2');
    expect(await page.getByTestId('spectra-run-start').isDisabled()).toBe(true);
    await page.getByTestId('spectra-images').fill('8');
    await page.getByTestId('spectra-run-start').click();
    await page
      .getByTestId('spectra-run-progress')
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined); // may be over already
    await scrollTo('spectra-run');
    await shot('02-spectra-running');
    await page.locator('[data-testid="fig3a-panel"][data-series="2"]').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('fig3a-panel').count()).toBe(1); // IWNE only
    expect(await page.getByTestId('fig3b-panel').count()).toBe(2); // full + tails
    await page.getByTestId('fig3a-panel').locator('.recharts-line').nth(1).waitFor();
    expect(await page.getByTestId('table2-row').count()).toBe(2);
    expect(await text('spectra-summary')).toMatch(/^N = 8 images of demo-eval \(test split\) at 64 px/);
    expect(await page.getByTestId('spectra-empty').count()).toBe(0);
    await noSidewaysOverflow();
    await scrollTo('fig3a');
    await page.mouse.move(0, 0);
    await shot('03-spectra-fig3');
    await shot('04-spectra-full', 2100);
  });

  it('Robustness: Fig 4 (IWNE CL − FS, rows = corruptions, a bar per severity), the per-model table and the gallery', async () => {
    await page.getByTestId('nav-robustness').click();
    await page.getByTestId('fig4-panel').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('fig4-panel').getAttribute('data-rows')).toBe('3');
    expect(await page.getByTestId('fig4-panel').locator('.recharts-bar-rectangle').count()).toBe(6);
    expect(await page.getByTestId('robustness-row').count()).toBe(2);
    expect(await text('robustness-table')).toMatch(/IWNE-FS[\s\S]*IWNE-CL/);
    expect(await text('robustness-summary')).toMatch(/^12 images of demo-eval \(test split/);
    // 1 clean + 3 corruptions × 2 severities
    await page.locator('[data-testid="robustness-gallery"][data-images="7"]').waitFor({ timeout: 15_000 });
    // The images the study used last time: the 12 of its robustness result (not the usual 200, and at most what the test split holds).
    expect(await text('robustness-run-command')).toMatch(
      new RegExp(`robustness --study .* --runs ${FS},${CL} --dataset demo-eval --images 12`),
    );
    expect(await page.getByTestId('robustness-images').inputValue()).toBe('12');
    expect(await text('robustness-images-available')).toBe('32 graded images in test.');
    await noSidewaysOverflow();
    await scrollTo('fig4');
    await shot('05-robustness-fig4');
    await shot('06-robustness-full', 2000);
  });

  it('Explanations: choose an image, move the opacity, switch colour map and contours; Table 3 with another pooling', async () => {
    await page.getByTestId('nav-explanations').click();
    await page.getByTestId('fig5').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('fig5-heatmap').count()).toBe(2);
    await page.locator('[data-testid="fig5-heatmap"][data-layer="drawn"]').nth(1).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="fig5-input"][data-image="loaded"]').waitFor();

    // choose another image
    const before = await page.getByTestId('fig5').getAttribute('data-image');
    await page.getByTestId('explain-image').click();
    const options = page.getByTestId('explain-image-option');
    expect(await options.count()).toBe(3);
    const other = (await options.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { id: string } }).dataset.id))).find(
      (id) => id !== before,
    )!;
    await page.locator(`[data-testid="explain-image-option"][data-id="${other}"]`).click();
    await expect.poll(() => page.getByTestId('fig5').getAttribute('data-image')).toBe(other);
    await page.locator('[data-testid="fig5-heatmap"][data-layer="drawn"]').nth(1).waitFor({ timeout: 15_000 });

    // the heatmap canvas changes with the opacity (keyboard on the slider), the colour map and the contours
    const pixels = () =>
      page
        .getByTestId('fig5-heatmap')
        .first()
        .locator('canvas')
        .evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
    const p0 = await pixels();
    const thumb = page.getByTestId('explain-opacity').locator('input');
    await thumb.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    expect(await page.getByText('Heatmap opacity: 50 %').count()).toBe(1);
    await expect.poll(pixels).not.toBe(p0);
    await shot('07-explanations-focus-slider');
    const p1 = await pixels();
    await page.getByTestId('explain-contours').check();
    await expect.poll(pixels).not.toBe(p1);
    const p2 = await pixels();
    await page.getByTestId('explain-map-positive').click();
    await expect.poll(pixels).not.toBe(p2);
    await noSidewaysOverflow();
    await scrollTo('fig5');
    await page.mouse.move(0, 0);
    await shot('08-explanations-fig5');

    // Table 3: two models and the noise control; a best value per column; another pooling
    expect(await page.getByTestId('table3-rma').getByTestId('table3-row').count()).toBe(2);
    expect(await page.getByTestId('table3-rma').getByTestId('table3-control').count()).toBe(1);
    expect(await page.getByTestId('table3-rma').locator('[data-best="true"]').count()).toBeGreaterThan(0);
    const rma = await text('table3-rma');
    await page.getByTestId('table3-pooling').click();
    await page.getByTestId('table3-pooling-max-norm').click();
    await expect.poll(() => text('table3-rma')).not.toBe(rma);
    await scrollTo('table3-rma');
    await shot('09-explanations-table3');
    await shot('10-explanations-full', 2000);
  });

  it('Report: exports with a progress bar, then downloads the PDF (browser mode) and lists it', async () => {
    await page.getByTestId('nav-report').click();
    await page.getByTestId('report-empty').waitFor({ timeout: 15_000 });
    expect(await text('report-empty-command')).toMatch(/report --study .* --out .*reports\/report\.pdf/);
    expect(await page.getByTestId('report-reveal').isChecked()).toBe(false);
    await expect.poll(() => page.locator('[data-testid="report-contents"] [data-ready="true"]').count(), { timeout: 10_000 }).toBe(3); // spectra, robustness, explanations (no evaluations)
    await noSidewaysOverflow();
    await shot('11-report-empty');
    await page.getByTestId('report-export').click();
    await page
      .getByTestId('report-progress')
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    await shot('12-report-running');
    await page.getByTestId('report-done').waitFor({ timeout: 90_000 });
    expect(await text('report-done')).toMatch(/Report written: .*reports\/report-.*\.pdf/);
    expect(await text('report-done')).toMatch(/\d+ pages, \d+ figures, \d+ tables/);
    await expect.poll(() => page.getByTestId('report-row').count(), { timeout: 10_000 }).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-open').click()]);
    expect(download.suggestedFilename()).toMatch(/^report-.*\.pdf$/);
    expect(
      readFileSync((await download.path())!)
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');
    await noSidewaysOverflow();
    await shot('13-report-done');
  });

  it('the dark theme: every analysis page fits at 1280×800', async () => {
    await page.getByRole('button', { name: 'Dark theme' }).click();
    for (const [route, ready] of [
      ['spectra', 'fig3a-panel'],
      ['robustness', 'fig4-panel'],
      ['explanations', 'fig5-heatmap'],
      ['report', 'report-row'],
    ] as const) {
      await page.getByTestId(`nav-${route}`).click();
      await page.getByTestId(ready).first().waitFor({ timeout: 15_000 });
      await noSidewaysOverflow();
    }
    await page.getByTestId('nav-spectra').click();
    await page.getByTestId('fig3a-panel').waitFor();
    await scrollTo('fig3a');
    await shot('14-dark-spectra');
    await page.getByTestId('nav-robustness').click();
    await page.getByTestId('fig4-panel').waitFor();
    await scrollTo('fig4');
    await shot('15-dark-robustness');
    await page.getByTestId('nav-explanations').click();
    await page.locator('[data-testid="fig5-heatmap"][data-layer="drawn"]').nth(1).waitFor({ timeout: 15_000 });
    await scrollTo('fig5');
    // keyboard: from the opacity slider, Tab reaches the colour map (one stop, arrows inside) and then the contours switch, each with a
    // visible ring
    const ringOf = (selector: string) =>
      page.evaluate((sel) => {
        const g = globalThis as unknown as {
          document: { querySelector(s: string): unknown };
          getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string };
        };
        const el = g.document.querySelector(sel);
        return el ? `${g.getComputedStyle(el).outlineStyle} ${g.getComputedStyle(el).outlineWidth}` : 'missing';
      }, selector);
    await page.getByTestId('explain-opacity').locator('input').focus();
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }
        ).document.activeElement.getAttribute('data-testid'),
      ),
    ).toBe('explain-map-diverging');
    expect(await ringOf('[data-testid="explain-map-diverging"]')).toBe('solid 2px');
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }
        ).document.activeElement.getAttribute('data-testid'),
      ),
    ).toBe('explain-contours');
    expect(await ringOf('.MuiSwitch-switchBase.Mui-focusVisible .MuiSwitch-thumb')).toBe('solid 2px');
    await shot('16-dark-explanations-focus');
    await page.getByTestId('nav-report').click();
    await page.getByTestId('report-row').waitFor();
    await page.getByTestId('report-reveal').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await ringOf('.MuiCheckbox-root.Mui-focusVisible')).toBe('solid 2px');
    await shot('17-dark-report-focus');
    await page.getByRole('button', { name: 'System theme' }).click();
  });

  it('logged no errors in the page', () => {
    expect(session.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
