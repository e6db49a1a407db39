/**
 * End to end in headless Chromium through the HTTP bridge: the Models page inspects the committed
 * golden weight files (made by PyTorch) in a worker and shows what an import would do; a pickle
 * that would run code is refused with the reader's message and the page stays usable. Browse opens
 * the server's file browser (browser mode has no native dialog): it lists folders and weights files
 * only, and the file chosen there is the one inspected (not the path the field held before).
 * Screenshots: test-artifacts/e2e/models-*.png.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, openAppSession, pageTools, type AppSession, type RunningApp } from '../support/browser';
import { REPO_ROOT, tempDirSync } from '../support/files';

const enabled = chromiumAvailable();
const GOLDEN = path.join(REPO_ROOT, 'test', 'golden', 'resnet');

describe.runIf(enabled)('Models (pretrained weights) in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let app: RunningApp;
  let page: Page;
  const { consoleErrors, shot } = pageTools(() => session);
  const work = tempDirSync('e2e-models');
  const evil = path.join(work, 'evil.pt');
  /** Scrolls the page area so the element is at its top (the shell scrolls inside, not the window). */
  const scrollToTop = (testId: string) =>
    page
      .getByTestId(testId)
      .evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' }));
  const text = async (testId: string) => (await page.getByTestId(testId).textContent()) ?? '';

  async function chooseTarget(slot: string, arch: string) {
    await page.getByTestId(`weights-${slot}-arch`).click();
    await page.getByTestId(`weights-arch-option-${arch}`).click();
  }
  async function inspect(slot: string, file: string) {
    await page.getByTestId(`weights-${slot}-path`).fill(file);
    await page.getByTestId(`weights-${slot}-inspect`).click();
    await page.locator(`[data-testid="weights-${slot}"]:is([data-status="done"], [data-status="error"])`).waitFor({ timeout: 60_000 });
  }

  beforeAll(async () => {
    // The malicious pickle behind a legacy torch.save header, so the reader unpickles it (and refuses).
    const legacy = readFileSync(path.join(GOLDEN, 'resnet18_w4_legacy.pt'));
    const header = legacy.subarray(0, legacy.indexOf(0x2e, legacy.indexOf(0x2e, legacy.indexOf(0x2e) + 1) + 1) + 1);
    writeFileSync(evil, Buffer.concat([header, readFileSync(path.join(GOLDEN, 'malicious_posix_system.pkl'))]));
    session = await openAppSession(path.join(work, 'home'), 'models-');
    ({ app, page } = session);
  });

  afterAll(async () => session?.close());

  it('opens the Models page: two pickers, each with Browse (the server-side file browser in browser mode)', async () => {
    await page.goto(app.url);
    await page.getByTestId('nav-models').click();
    await page.getByRole('heading', { name: 'Pretrained weights', level: 2 }).waitFor();
    await page.getByTestId('weights-fs').waitFor();
    await page.getByTestId('weights-cl').waitFor();
    expect(await page.getByTestId('weights-fs-browse').count()).toBe(1);
    expect(await page.getByTestId('weights-cl-browse').count()).toBe(1);
    expect(await page.getByTestId('weights-fs-inspect').isDisabled()).toBe(true);
    await shot('01-empty');
  });

  it('inspects the MoCo v2 fixture against resnet50-w4: loads, key encoder and projection head skipped', async () => {
    await chooseTarget('cl', 'resnet50-w4');
    await inspect('cl', path.join(GOLDEN, 'moco_resnet50_w4.pth.tar'));
    expect(await text('weights-cl-summary')).toMatch(/no head \(MoCo\)/);
    expect(await text('weights-cl-summary')).toMatch(/epoch = /);
    const plan = page.getByTestId('weights-cl-plan');
    expect(await plan.getAttribute('data-arch')).toBe('resnet50-w4');
    expect(await plan.getAttribute('data-ok')).toBe('true');
    expect(await text('weights-cl-plan-verdict')).toMatch(/^Loads: \d+ tensors; fc re-initialised for 5 classes$/);
    await page.getByTestId('weights-cl-plan-skipped-toggle').click();
    const skipped = await text('weights-cl-plan-skipped');
    expect(skipped).toMatch(/module\.encoder_k\.\*.*key \(momentum\) encoder/);
    expect(skipped).toMatch(/module\.encoder_q\.fc\.\*.*projection head/);
    expect(skipped).toMatch(/module\.queue, module\.queue_ptr/);
    await page.getByTestId('weights-cl-plan-reinitialised-toggle').click();
    expect(await text('weights-cl-plan-reinitialised')).toMatch(/fc\.weight, fc\.bias/);
    await page.getByTestId('weights-cl').scrollIntoViewIfNeeded();
    await shot('02-moco-w4');
    await shot('03-moco-w4-full', 1500);
  });

  it('the same checkpoint against a full-width resnet50 cannot be imported, and says why', async () => {
    await chooseTarget('cl', 'resnet50');
    expect(await page.getByTestId('weights-cl-plan').getAttribute('data-ok')).toBe('false');
    expect(await text('weights-cl-plan-verdict')).toMatch(/^Cannot import: \d+ shape mismatches$/);
    expect(await text('weights-cl-plan-mismatched')).toContain(
      'conv1.weight (as module.encoder_q.conv1.weight)expected 64×3×7×7, found 4×3×7×7',
    );
    expect(await text('weights-cl-suggestion')).toMatch(/resnet50-w4/);
    await scrollToTop('weights-cl-suggestion');
    await shot('04-moco-resnet50-mismatch');
    // the suggestion switches the target back
    await page.getByTestId('weights-cl-suggestion').getByRole('button', { name: 'Use resnet50-w4' }).click();
    expect(await page.getByTestId('weights-cl-plan').getAttribute('data-arch')).toBe('resnet50-w4');
    await chooseTarget('cl', 'resnet50');
  });

  it('inspects the torchvision-style fixture in the supervised slot', async () => {
    await chooseTarget('fs', 'resnet18-w4');
    await inspect('fs', path.join(GOLDEN, 'resnet18_w4.pt'));
    // the fixture's head has 5 classes, like the app's default: it is loaded with the rest
    expect(await text('weights-fs-summary')).toMatch(/resnet18-w4 · basic blocks · base width 4 · 5 classes/);
    expect(await page.getByTestId('weights-fs-plan').getAttribute('data-ok')).toBe('true');
    expect(await text('weights-fs-plan-verdict')).toMatch(/^Loads: \d+ tensors, including its 5-class head$/);
    expect(await page.getByTestId('weights-fs-plan-skipped').count()).toBe(0);
    expect(await page.getByTestId('weights-fs-warning').count()).toBe(0);
    await shot('05-torchvision');
  });

  it('a MoCo checkpoint in the supervised slot is flagged', async () => {
    await inspect('fs', path.join(GOLDEN, 'moco_resnet50_w4.pth.tar'));
    expect(await text('weights-fs-warning')).toMatch(/MoCo/);
  });

  it("refuses the malicious pickle with the reader's message; the page stays usable", async () => {
    await inspect('fs', evil);
    const error = await text('weights-fs-error');
    expect(error).toMatch(/global "posix\.system" is not on the allow-list/);
    expect(error).toMatch(/\(byte \d+\)/);
    expect(await page.getByTestId('weights-fs-result').count()).toBe(0);
    await scrollToTop('weights-fs');
    await shot('06-malicious');
    // a missing file, then a good one again
    await inspect('fs', path.join(work, 'nope.pth'));
    expect(await text('weights-fs-error')).toMatch(/Weights file not found/);
    await inspect('fs', path.join(GOLDEN, 'resnet50_w4.safetensors'));
    expect(await text('weights-fs-summary')).toMatch(/safetensors/);
    // the other slot kept its result, also across navigation
    await page.getByTestId('nav-compute').click();
    await page.getByTestId('nav-models').click();
    expect(await page.getByTestId('weights-cl-plan').count()).toBe(1);
    expect(await page.getByTestId('weights-fs-path').inputValue()).toContain('resnet50_w4.safetensors');
  });

  it('picks a weights file through the file browser: folders and weights files only, and the chosen file is inspected', async () => {
    const folder = path.join(work, 'downloads');
    mkdirSync(path.join(folder, 'torchvision'), { recursive: true });
    copyFileSync(path.join(GOLDEN, 'resnet18_w4.pt'), path.join(folder, 'torchvision', 'resnet18_w4.pth'));
    writeFileSync(path.join(folder, 'torchvision', 'README.txt'), 'not weights');
    writeFileSync(path.join(folder, 'photo.jpg'), 'not weights');
    await chooseTarget('fs', 'resnet18-w4');
    // The field holds another (missing) file: Browse must inspect the file chosen, not this one.
    await page.getByTestId('weights-fs-path').fill(path.join(work, 'old-choice.pth'));
    await page.getByTestId('weights-fs-browse').click();
    await page.getByTestId('file-browser').waitFor();
    await page.getByTestId('file-browser-folder').fill(folder);
    await page.getByTestId('file-browser-go').click();
    const entries = page.getByTestId('file-browser-entry');
    await page.locator('[data-testid="file-browser-entry"][data-name="torchvision"]').waitFor();
    expect(await entries.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('data-name')}`))).toEqual([
      'dir:torchvision',
    ]);
    await page.locator('[data-testid="file-browser-entry"][data-name="torchvision"]').click();
    await page.locator('[data-testid="file-browser-entry"][data-name="resnet18_w4.pth"]').waitFor();
    expect(await entries.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('data-name')}`))).toEqual([
      'file:resnet18_w4.pth',
    ]);
    await page.locator('[data-testid="file-browser-entry"][data-name="resnet18_w4.pth"]').click();
    await shot('07-file-browser');
    await page.getByTestId('file-browser-choose').click();
    await page.getByTestId('file-browser').waitFor({ state: 'detached' });
    const chosen = path.join(folder, 'torchvision', 'resnet18_w4.pth');
    expect(await page.getByTestId('weights-fs-path').inputValue()).toBe(chosen);
    await page.locator('[data-testid="weights-fs"]:is([data-status="done"], [data-status="error"])').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('weights-fs-error').count()).toBe(0);
    expect(await text('weights-fs-summary')).toMatch(/resnet18-w4 · basic blocks · base width 4 · 5 classes/);
    // Up goes to the parent folder.
    await page.getByTestId('weights-fs-browse').click();
    await page.locator('[data-testid="file-browser-entry"][data-name="resnet18_w4.pth"]').waitFor();
    await page.getByTestId('file-browser-up').click();
    await page.locator('[data-testid="file-browser-entry"][data-name="torchvision"]').waitFor();
    expect(await page.getByTestId('file-browser-folder').inputValue()).toBe(folder);
    await page.keyboard.press('Escape');
    await page.getByTestId('file-browser').waitFor({ state: 'detached' });
  });

  it('logged no console errors', () => {
    expect(consoleErrors()).toEqual([]);
  });
});
