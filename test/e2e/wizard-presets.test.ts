/**
 * End to end in headless Chromium through the HTTP bridge: the study wizard's presets on a study with
 * the app's synthetic demo data (Datasets → Add the demo data: 64 px, 40 test images, 6 IDRiD-layout
 * images with lesion masks). A new study's wizard opens with Quick try: once the dataset is chosen, a
 * small model at the dataset's 64 px with an estimate of the whole study within 10 minutes; the
 * analyses' image counts are what the demo split holds ("40 images in test") and a larger typed
 * count is clamped to it. Paper switches to ResNet50 at 224 px and lists what it changed (Undo
 * restores); an edit shows Custom, and the saved grid opens again as Custom with its own values.
 * Screenshots: test-artifacts/e2e/wizard-presets-*.png.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoDataRequest } from '../../src-shared/datasets';
import { detachedContext } from '../../src-main/job-context';
import { addDemoData } from '../../src-main/services/demo/study-demo';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';

const enabled = chromiumAvailable();

/** Minutes of an estimate text: `under a minute` → 0, `about 7 min` → 7, `about 2 h 05 min` → 125, `about 3 d 11 h` → 4980. */
function minutesOf(text: string): number {
  if (/under a minute/.test(text)) return 0;
  const m = /about (?:(\d+) d ?)?(?:(\d+) h ?)?(?:(\d+) min)?/.exec(text);
  if (!m || m[0] === 'about ') throw new Error(`no estimate in "${text}"`);
  return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

describe.runIf(enabled)('Study wizard presets on the demo data', () => {
  let session: AppSession;
  let page: Page;
  const work = tempDirSync('e2e-wizard-presets');
  const study = path.join(work, 'study');
  const { shot, text, openStudy } = pageTools(() => session, { settleMs: 350 });
  const pressed = async (id: string) => page.getByTestId(`wizard-preset-${id}`).getAttribute('aria-pressed');

  beforeAll(async () => {
    await new StudyService({ appVersion: 'test' }).create(study, 'Presets');
    await addDemoData(DemoDataRequest.parse({}), study, detachedContext());
    session = await openAppSession(path.join(work, 'home'), 'wizard-presets-');
    page = session.page;
  }, 180_000);

  afterAll(async () => session?.close());

  it('opens a new study with Quick try: the dataset’s 64 px, a small model, an estimate within 10 minutes', async () => {
    await openStudy(study);
    await expect.poll(async () => (await page.getByTestId('open-study').textContent()) ?? '', { timeout: 15_000 }).toContain('Presets');
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-setup').click();
    await page.getByTestId('grid-wizard').waitFor();
    expect(await pressed('quick')).toBe('true');
    expect(await text('wizard-preset-summary')).toMatch(/Choose the dataset to train on: Quick try fits it/);
    await page.getByTestId('grid-dataset-eyepacs-demo').check();
    await expect.poll(() => text('wizard-preset-summary')).toMatch(/resnet18-w8 at 64 px · IWNE 20 epochs/);
    expect(await pressed('quick')).toBe('true');
    const estimate = await text('wizard-preset-estimate');
    expect(estimate).toMatch(/^The whole study: (under a minute|about \d+ min) \(at the usual speed of 2 CPU cores/);
    expect(minutesOf(estimate)).toBeLessThanOrEqual(10);
    await shot('01-quick-try');
  });

  it('clamps the analyses’ image counts to what the demo split holds, with the count shown', async () => {
    await page.getByTestId('grid-next').click();
    await page.getByTestId('wizard-spectra-images').waitFor();
    expect(await page.getByTestId('wizard-spectra-images').inputValue()).toBe('40');
    expect(await text('wizard-spectra-available')).toBe('40 images in test');
    expect(await page.getByTestId('wizard-robustness-images').inputValue()).toBe('40');
    expect(await text('wizard-robustness-available')).toBe('40 graded images in test');
    expect(await page.getByTestId('wizard-explain-images').inputValue()).toBe('6');
    expect(await text('wizard-explain-available')).toBe('6 images in idrid-demo');
    await page.getByTestId('wizard-spectra-images').fill('500');
    await page.getByTestId('wizard-robustness-images').click(); // leaving the field clamps it
    expect(await page.getByTestId('wizard-spectra-images').inputValue()).toBe('40');
    expect(await pressed('quick')).toBe('true'); // still Quick try's 40
    await shot('02-analysis-counts');
  });

  it('keeps Quick try fitted when IWNE-CL is added, and shows its values on the hyperparameters step', async () => {
    await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-strategy-IWNE-CL').check();
    expect(await pressed('quick')).toBe('true');
    expect(await text('wizard-preset-summary')).toMatch(/MoCo 20 epochs/);
    expect(minutesOf(await text('wizard-preset-estimate'))).toBeLessThanOrEqual(10);
    await page.getByTestId('grid-next').click();
    expect(await page.getByTestId('grid-fractions-chip').count()).toBe(3); // 25 %, 50 %, 100 %
    await page.getByTestId('grid-next').click();
    expect(await page.getByTestId('grid-inputSize').inputValue()).toBe('64');
    expect(await text('grid-arch')).toBe('resnet18-w8');
    expect(await page.getByTestId('grid-iwneEpochs').inputValue()).toBe('20');
    expect(await page.getByTestId('grid-mocoEpochs').inputValue()).toBe('20');
    await shot('03-quick-try-hyper', 1100);
  });

  it('switches to Paper: ResNet50 at 224 px, listing what changed; Undo restores Quick try', async () => {
    await page.getByTestId('wizard-preset-paper').click();
    expect(await pressed('paper')).toBe('true');
    expect(await page.getByTestId('grid-inputSize').inputValue()).toBe('224');
    expect(await text('grid-arch')).toBe('resnet50');
    expect(await page.getByTestId('grid-iwneEpochs').inputValue()).toBe('500');
    const changes = await text('wizard-preset-changes');
    expect(changes).toMatch(/Paper changed \d+ settings/);
    expect(changes).toContain('Architecture: resnet18-w8 → resnet50');
    expect(changes).toContain('Input size (px): 64 → 224');
    expect(changes).toContain('IWNE epochs: 20 → 500');
    expect(changes).toContain('Label fractions: 25 %, 50 %, 100 % → 10 %, 20 %, 50 %, 100 %');
    expect(changes).not.toContain('IFI epochs'); // no IFI strategy: nothing of theirs is listed
    expect(await text('wizard-preset-summary')).toMatch(/resnet50 at 224 px · IWNE 500 epochs · MoCo 200 epochs/);
    expect(minutesOf(await text('wizard-preset-estimate'))).toBeGreaterThan(60); // the paper's scale on 2 CPU cores
    expect(await text('grid-size-note')).toMatch(/preprocessed at 64 px/);
    await shot('04-paper', 1100);
    await page.getByTestId('wizard-preset-undo').click();
    expect(await pressed('quick')).toBe('true');
    expect(await page.getByTestId('grid-inputSize').inputValue()).toBe('64');
    expect(await page.getByTestId('wizard-preset-changes').count()).toBe(0);
  });

  it('an edit makes the answers Custom; the saved grid opens again as Custom with its own values', async () => {
    await page.getByTestId('grid-iwneEpochs').fill('7');
    expect(await pressed('custom')).toBe('true');
    expect(await text('wizard-preset-summary')).toMatch(/^Custom: your own settings/);
    for (let i = 0; i < 6 && !(await page.getByTestId('grid-save').isVisible()); i++) await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-save').click();
    await page.getByTestId('grid-table').waitFor();
    await page.getByTestId('grid-edit').click();
    await page.getByTestId('grid-wizard').waitFor();
    expect(await pressed('custom')).toBe('true');
    for (let i = 0; i < 6 && !(await page.getByTestId('grid-iwneEpochs').isVisible()); i++) await page.getByTestId('grid-next').click();
    expect(await page.getByTestId('grid-iwneEpochs').inputValue()).toBe('7');
    expect(await page.getByTestId('grid-inputSize').inputValue()).toBe('64');
    await shot('05-saved-custom');
  });
});
