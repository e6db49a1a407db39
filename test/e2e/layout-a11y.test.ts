/**
 * End to end in headless Chromium through the HTTP bridge: every page of the app with real content,
 * checked with axe-core (WCAG 2.0/2.1 A and AA plus best practices: zero violations) and for sideways
 * overflow (none: wide tables and code scroll inside their own box), in four window set-ups:
 * 1440×900 light, 1024×700 light, 1024×700 dark, and 200 % zoom (a 720×450 CSS-pixel window at device
 * scale factor 2: what a 1440×900 screen shows at 200 % browser zoom, since zoom only shrinks the CSS
 * viewport). One study, built with the services before the app starts: the demo datasets, a grid of two
 * 1-epoch runs (IWNE-FS and IWNE-CL at fraction 1), their evaluations, spectra, robustness and LRP
 * explanations, a report, a dataset in the trash, and a Slurm cluster submission of the grid (its tasks' records: one run
 * done, one running) for the Jobs page's cluster section and the runs grid's cluster chips. The Training page is checked with every step of
 * the wizard and its review; the Datasets page with a dataset's detail. Screenshots of every page at
 * 1024×700 (light and dark) and at 200 %: test-artifacts/e2e/layout-a11y-*.png.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src-main/engine/backend';
import { explainRun } from '../../src-main/analysis/lrp/service';
import { runRobustness } from '../../src-main/analysis/robustness/service';
import { runSpectra } from '../../src-main/analysis/spectra/service';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeIdridDemo } from '../../src-main/services/demo';
import { evaluateRun } from '../../src-main/services/evaluation/evaluate';
import { trashDelete } from '../../src-main/services/study-folder/trash';
import { runTraining } from '../../src-main/services/training';
import { runnableCells, saveGrid } from '../../src-main/services/training/grid';
import {
  ARTIFACTS,
  checkAccessibility,
  checkNoHorizontalOverflow,
  chromiumAvailable,
  openAppSession,
  type AppSession,
} from '../support/browser';
import { gridCells, job, writeSubmission, writeTaskRecord } from '../support/cluster';
import { tempDir } from '../support/files';
import { recordingContext } from '../support/job-context';
import { copyDataset, evalStudy } from '../support/studies';

const enabled = chromiumAvailable();

/** A page of the left navigation, what shows when its content has loaded, and (optionally) the part its screenshot scrolls to. */
interface PageCheck {
  route: string;
  ready: string;
  shotAt?: string;
}

const PAGES: PageCheck[] = [
  { route: 'studies', ready: '[data-testid="study-summary"]' },
  { route: 'datasets', ready: '[data-testid="histogram-demo"] .recharts-bar-rectangle' },
  { route: 'models', ready: 'main h1' },
  { route: 'training', ready: '[data-testid="grid-table"]' },
  { route: 'results', ready: '[data-testid="fig2-panel"] .recharts-line-dots circle' },
  { route: 'spectra', ready: '[data-testid="fig3a-panel"][data-series="2"]', shotAt: 'fig3a' },
  { route: 'robustness', ready: '[data-testid="robustness-gallery"][data-images="5"]', shotAt: 'fig4' },
  { route: 'explanations', ready: '[data-testid="fig5-heatmap"][data-layer="drawn"] >> nth=1', shotAt: 'fig5' },
  { route: 'report', ready: '[data-testid="report-row"]' },
  { route: 'trash', ready: '[data-testid="trash-table"]' },
  { route: 'compute', ready: '[data-testid="engine-active"]' },
  { route: 'jobs', ready: '[data-testid="cluster-task"]' },
];

/**
 * The window set-ups every page is checked in; `shots` takes screenshots of every page in that set-up. The wizard's steps are checked
 * for overflow in every set-up and with axe-core in the 1024×700 ones (light and dark), its review in all four (keeps the run short).
 */
const SETUPS = [
  { name: '1440x900', width: 1440, height: 900, scale: 1, dark: false, shots: false, axeWizard: false },
  { name: '1024x700', width: 1024, height: 700, scale: 1, dark: false, shots: true, axeWizard: true },
  { name: '1024x700-dark', width: 1024, height: 700, scale: 1, dark: true, shots: true, axeWizard: true },
  { name: 'zoom200', width: 720, height: 450, scale: 2, dark: false, shots: true, axeWizard: false },
] as const;

describe.runIf(enabled)(
  'Every page at 1440×900, 1024×700 (light and dark) and 200 % zoom: no axe-core violations, nothing sideways',
  () => {
    let session: AppSession;
    let page: Page;
    let study: string;

    beforeAll(async () => {
      await initEngine({ preference: 'auto' });
      study = await evalStudy();
      await saveGrid(study, {
        strategies: ['IWNE-FS', 'IWNE-CL'],
        fractions: [1],
        seeds: [0],
        base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 64, epochs: 1, lr: 2e-3, batchSize: 16, referable: [2, 3, 4] },
        overrides: {
          'IWNE-CL': { moco: { epochs: 1, batchSize: 16, queueSize: 64, optimizer: 'adamw', lr: 1e-3, dim: 16, mlpHidden: 16 } },
        },
      });
      const runIds: string[] = [];
      for (const { cell, spec } of await runnableCells(study)) {
        await runTraining(spec, study, recordingContext());
        runIds.push(cell.runId);
      }
      for (const runId of runIds) {
        await evaluateRun({ runId, datasetId: 'demo-eval', bootstrap: { samples: 100 } }, study, recordingContext());
        await runSpectra({ runId, datasetId: 'demo-eval', images: 8 }, study, recordingContext());
      }
      await runRobustness(
        { runIds, datasetId: 'demo-eval', corruptions: ['gaussian_noise', 'pixelate'], severities: [1, 3], images: 8 },
        study,
        recordingContext(),
      );
      const idridSrc = await tempDir('e2e-a11y-idrid-src');
      await writeIdridDemo(idridSrc, { images: 2, size: 128, seed: 5 });
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
      for (const runId of runIds) await explainRun({ runId, datasetId: 'idrid-demo' }, study, recordingContext());
      await copyDataset(study, 'demo-eval', 'spare', () => undefined);
      await trashDelete(study, 'dataset', 'spare');
      const { cells, pretrainings } = await gridCells(study);
      const started = new Date(Date.now() - 20 * 60_000).toISOString();
      await writeSubmission(study, {
        id: 'a11y-grid',
        createdAt: started,
        cells,
        pretrainings,
        jobs: [job('pretrain', '9900301', [0]), job('train', '9900302', [0, 1], 'aftercorr:9900301'), job('finish', '9900303')],
      });
      for (const [index, state] of [
        [0, 'done'],
        [1, 'running'],
      ] as const)
        await writeTaskRecord(study, 'a11y-grid', {
          role: 'train',
          index,
          jobId: `990031${index}`,
          arrayJobId: '9900302',
          state,
          startedAt: started,
          endedAt: state === 'done' ? new Date().toISOString() : null,
          exitCode: state === 'done' ? 0 : null,
        });
      session = await openAppSession(await tempDir('e2e-a11y-home'), 'layout-a11y-');
      page = session.page;
    }, 300_000);

    afterAll(async () => session?.close());

    /** Waits for the page's content and MUI's colour transitions, then runs both checks. */
    async function check(context: string, ready?: string, axe = true): Promise<void> {
      if (ready) await page.locator(ready).first().waitFor({ timeout: 30_000 });
      await page.mouse.move(0, 0);
      await page.waitForTimeout(350);
      await checkNoHorizontalOverflow(page, context);
      if (axe) await checkAccessibility(page, context);
    }

    /** Screenshot test-artifacts/e2e/layout-a11y-<setup>-<what>.png. */
    const shot = (setup: string, what: string) => page.screenshot({ path: path.join(ARTIFACTS, `layout-a11y-${setup}-${what}.png`) });

    it('opens the study and exports a report (a job for the Jobs page)', async () => {
      await page.goto(session.app.url);
      await page.getByTestId('study-open-path').fill(study);
      await page.getByRole('button', { name: 'Open study' }).click();
      await page.getByTestId('study-summary').waitFor({ timeout: 15_000 });
      await page.getByTestId('nav-report').click();
      await page.getByTestId('report-export').click();
      await page.getByTestId('report-done').waitFor({ timeout: 120_000 });
      await expect.poll(() => page.getByTestId('report-row').count(), { timeout: 10_000 }).toBe(1);
    });

    for (const setup of SETUPS) {
      it(`every page in ${setup.name}${setup.dark ? '' : ' (light)'}`, async () => {
        await page.setViewportSize({ width: setup.width, height: setup.height });
        if (setup.scale !== 1) {
          // Device scale factor is fixed per browser context: a new page in a context at scale 2 on the same app.
          const context = await session.browser.newContext({
            viewport: { width: setup.width, height: setup.height },
            deviceScaleFactor: setup.scale,
          });
          const zoomed = await context.newPage();
          zoomed.on('pageerror', (e) => session.consoleErrors.push(String(e)));
          await zoomed.goto(session.app.url);
          await zoomed.getByTestId('study-open-path').fill(study);
          await zoomed.getByRole('button', { name: 'Open study' }).click();
          await zoomed.getByTestId('study-summary').waitFor({ timeout: 15_000 });
          page = zoomed;
        }
        await page.getByRole('button', { name: setup.dark ? 'Dark theme' : 'Light theme' }).click();
        for (const { route, ready, shotAt } of PAGES) {
          await page.getByTestId(`nav-${route}`).click();
          await check(`${route} at ${setup.name}`, ready);
          if (setup.shots && shotAt)
            await page
              .getByTestId(shotAt)
              .first()
              .evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' }));
          if (setup.shots) await shot(setup.name, route);
          if (setup.shots && route === 'results') {
            // the whole page in a tall window of the same width (the page area scrolls inside the shell)
            await page.setViewportSize({ width: setup.width, height: 2400 });
            await checkNoHorizontalOverflow(page, `results at ${setup.name}, whole page`);
            await shot(setup.name, 'results-whole');
            await page.setViewportSize({ width: setup.width, height: setup.height });
          }
        }
        // a dataset's detail (its grade histogram and thumbnails)
        await page.getByTestId('nav-datasets').click();
        await page.getByTestId('open-dataset-demo').click();
        await check(`the dataset detail at ${setup.name}`, '[data-testid="detail-histogram"] .recharts-bar-rectangle');
        if (setup.shots) await shot(setup.name, 'dataset-detail');
        await page.getByTestId('dataset-back').click();
        // every step of the wizard, and its review
        await page.getByTestId('nav-training').click();
        await page.getByTestId('grid-edit').click();
        await page.getByTestId('grid-wizard').waitFor();
        for (let step = 1; step <= 10; step++) {
          const review = (await page.getByTestId('grid-review').count()) > 0;
          await check(`wizard step ${step} at ${setup.name}`, undefined, setup.axeWizard || review);
          if (setup.shots) await shot(setup.name, `wizard-${step}`);
          if (review) break;
          await page.getByTestId('grid-next').click();
        }
        expect(await page.getByTestId('grid-review').count()).toBe(1);
        // the review's runs table is reachable by keyboard (Shift+Tab from Cancel, the first button, lands on its scroll box), with a name
        const runs = page.getByTestId('grid-review-runs-box');
        await page.getByRole('button', { name: 'Cancel' }).focus();
        await page.keyboard.press('Shift+Tab');
        expect(
          await runs.evaluate((el) => (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === el),
        ).toBe(true);
        expect(await runs.getAttribute('aria-label')).toMatch(/^Runs the grid will create: 2/);
        await page.getByRole('button', { name: 'Cancel' }).click();
        if (setup.scale !== 1) {
          await page.context().close();
          page = session.page;
        }
      });
    }

    it('logged no errors in the page', () => {
      expect(session.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
    });
  },
);
