/**
 * End to end in headless Chromium through the HTTP bridge: a run trained on equalised demo images, evaluated on
 * a held-out set of the same kind and on a held-out set drawn in the demo's "natural" (not equalised) style. The
 * Results table shows "⚠ domain shift" under the AUC of the second evaluation only, with the full warning on
 * hover.
 * Screenshots: test-artifacts/e2e/domain-shift-*.png.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src-main/engine/backend';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { evaluateRun } from '../../src-main/services/evaluation/evaluate';
import { detachedContext } from '../../src-main/job-context';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { runTraining } from '../../src-main/services/training';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';
import { recordingContext } from '../support/job-context';
import { demoSpec } from '../support/studies';

const enabled = chromiumAvailable();

describe.runIf(enabled)('Domain-shift warning in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let page: Page;
  let warning: string;
  const work = tempDirSync('e2e-shift');
  const study = path.join(work, 'study');
  const { shot, openStudy } = pageTools(() => session, { settleMs: 350 });

  beforeAll(async () => {
    await new StudyService({ appVersion: 'test' }).create(study, 'Shift pilot');
    for (const [id, style, seed] of [
      ['demo', 'equalised', 7],
      ['same', 'equalised', 8],
      ['natural', 'natural', 9],
    ] as const) {
      const data = path.join(work, id);
      await writeEyepacsDemo(data, { patients: id === 'demo' ? 20 : 8, size: 96, seed, distribution: 'balanced', style });
      await importDataset(
        {
          type: 'eyepacs',
          path: path.join(data, 'eyepacs'),
          id,
          settings: { inputSize: 48, overlaySize: 64 },
          concurrency: 2,
          ...(id === 'demo' ? {} : { split: 'test' }),
        },
        study,
        detachedContext(),
      );
    }
    await initEngine({ preference: 'auto' });
    await runTraining(demoSpec({ inputSize: 48, epochs: 1 }), study, recordingContext(), { runId: 'run' });
    const same = await evaluateRun({ runId: 'run', datasetId: 'same' } as never, study, recordingContext());
    expect(same.domainShift).toMatchObject({ checked: true, warning: null });
    const shifted = await evaluateRun({ runId: 'run', datasetId: 'natural' } as never, study, recordingContext());
    expect(shifted.domainShift).toMatchObject({ checked: true, shifted: true, equalisationDiffers: true });
    warning = shifted.domainShift?.checked ? shifted.domainShift.warning! : '';
    expect(warning).toMatch(/^Test set natural differs from run run's training set demo: the training images look histogram-equalised/);
    session = await openAppSession(path.join(work, 'home'), 'domain-shift-');
    page = session.page;
  }, 240_000);

  afterAll(async () => session?.close());

  it('the results table marks the shifted evaluation under its AUC, with the warning on hover', async () => {
    await openStudy(study);
    await page.getByTestId('nav-results').click();
    await expect.poll(() => page.getByTestId('results-row').count(), { timeout: 15_000 }).toBe(2);
    const natural = page.locator('[data-testid="results-row"][data-evaluation="run__natural__test"]');
    const same = page.locator('[data-testid="results-row"][data-evaluation="run__same__test"]');
    const mark = natural.getByTestId('results-auc').getByTestId('results-shift-warning');
    expect(await mark.textContent()).toBe('⚠ domain shift');
    expect(await mark.isVisible()).toBe(true);
    expect(await same.getByTestId('results-shift-warning').count()).toBe(0);
    await mark.hover();
    await expect.poll(() => page.getByRole('tooltip').textContent(), { timeout: 5_000 }).toBe(warning);
    await shot('01-results');
  });
});
