/**
 * End to end in headless Chromium through the HTTP bridge: the shell's per-study state. Every page
 * has an address (`#/results?study=…`), so a reload stays on the page and study and back goes back;
 * leaving the study wizard with unsaved edits asks first (in the app, and the browser's own prompt
 * on reload); the Jobs page and the notices show the open study's jobs, another study's only with
 * "All studies" (each card naming its study); a failure notice stays until closed and sits below the
 * page, clear of its buttons, at 1024×700 too; the Models page lists the study's trained run and
 * exports it as .safetensors. Screenshots: test-artifacts/e2e/shell-*.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src-main/engine/backend';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { detachedContext } from '../../src-main/job-context';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { saveGrid } from '../../src-main/services/training/grid';
import { runGrid } from '../../src-main/services/training/grid-run';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';
import { recordingContext } from '../support/job-context';
import { demoSpec } from '../support/studies';

const enabled = chromiumAvailable();

describe.runIf(enabled)('the shell: addresses, unsaved edits, per-study jobs and notices, Models', () => {
  let session: AppSession;
  let page: Page;
  const work = tempDirSync('e2e-shell');
  const studyA = path.join(work, 'study-a');
  const studyB = path.join(work, 'study-b');
  const exports = path.join(work, 'exports');
  let runId = '';
  const { shot, text, openStudy, consoleErrors } = pageTools(() => session, { settleMs: 350 });

  /** Submits a job through the bridge as any client would (the page only sees its events). */
  async function submit(body: unknown): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${session.app.port}/api/call/jobs.submit`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.app.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { ok: boolean; value: { id: string } };
    expect(answer.ok).toBe(true);
    return answer.value.id;
  }
  /** An import of a folder that does not exist: it fails at once. */
  const failingImport = (studyPath: string, id: string) =>
    submit({ kind: 'dataset.import', params: { type: 'eyepacs', path: path.join(work, `missing-${id}`), id }, studyPath });
  const hash = () => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash);
  /** Waits until the job has ended (asked through the bridge, not the page). */
  async function ended(id: string): Promise<void> {
    for (let i = 0; i < 120; i++) {
      const res = await fetch(`http://127.0.0.1:${session.app.port}/api/call/jobs.get`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${session.app.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ id }),
      });
      const answer = (await res.json()) as { value: { status: string } };
      if (answer.value.status !== 'queued' && answer.value.status !== 'running') return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`job ${id} did not end`);
  }

  beforeAll(async () => {
    const data = path.join(work, 'data');
    await writeEyepacsDemo(data, { patients: 20, testPatients: 6, size: 96, seed: 7, distribution: 'balanced' });
    const studies = new StudyService({ appVersion: 'test' });
    await studies.create(studyA, 'Alpha study');
    await studies.create(studyB, 'Beta study');
    await importDataset(
      { type: 'eyepacs', path: path.join(data, 'eyepacs'), id: 'demo', settings: { inputSize: 48, overlaySize: 64 }, concurrency: 2 },
      studyA,
      detachedContext(),
    );
    await initEngine({ preference: 'auto' });
    const { strategy: _s, seed: _seed, ...base } = demoSpec({ inputSize: 48, epochs: 1 });
    await saveGrid(studyA, { strategies: ['IWNE-FS'], fractions: [1], seeds: [0], base });
    const [outcome] = await runGrid(studyA, recordingContext());
    expect(outcome?.error ?? null).toBeNull();
    expect(outcome?.result?.bestModelPath).toBeTruthy();
    runId = outcome!.runId;
    mkdirSync(exports, { recursive: true });
    session = await openAppSession(path.join(work, 'home'), 'shell-');
    page = session.page;
  }, 300_000);

  afterAll(async () => session?.close());

  it('gives every page an address with the study; a reload stays on the page and study, back and forward work', async () => {
    await openStudy(studyA);
    await page.getByTestId('open-study').waitFor();
    await page.getByTestId('nav-results').click();
    await page.getByTestId('page-results').waitFor();
    expect(await hash()).toBe(`#/results?study=${encodeURIComponent(studyA)}`);
    await page.reload();
    await page.getByTestId('page-results').waitFor();
    await page.locator('[data-testid="open-study"]', { hasText: 'Alpha study' }).waitFor();
    expect(await page.getByTestId('nav-results').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('page-jobs').waitFor();
    await page.goBack();
    await page.getByTestId('page-results').waitFor();
    await page.goForward();
    await page.getByTestId('page-jobs').waitFor();
    // A bookmark of another study's page opens that study.
    await page.goto(`${session.app.url.split('#')[0]}#/datasets?study=${encodeURIComponent(studyB)}`);
    await page.getByTestId('page-datasets').waitFor();
    await page.locator('[data-testid="open-study"]', { hasText: 'Beta study' }).waitFor();
  }, 120_000);

  it('asks before leaving the study wizard with unsaved edits: navigation, back, and reload', async () => {
    await openStudy(studyA);
    await page.locator('[data-testid="open-study"]', { hasText: 'Alpha study' }).waitFor();
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-edit').click();
    await page.getByTestId('grid-wizard').waitFor();
    expect(await hash()).toBe(`#/training/wizard?study=${encodeURIComponent(studyA)}`);
    // Nothing edited yet: leaving does not ask.
    await page.getByTestId('nav-results').click();
    await page.getByTestId('page-results').waitFor();
    expect(await page.getByTestId('unsaved-dialog').count()).toBe(0);
    await page.goBack();
    await page.getByTestId('grid-wizard').waitFor();
    // An edit: another strategy.
    for (let i = 0; i < 6 && (await page.getByTestId('grid-strategies').count()) === 0; i++) await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-strategy-IWNE-CL').check();
    await page.getByTestId('nav-results').click();
    await page.getByTestId('unsaved-dialog').waitFor();
    expect(await text('unsaved-dialog')).toMatch(/The study wizard has changes that are not saved/);
    await shot('01-unsaved-dialog');
    await page.getByTestId('unsaved-stay').click();
    await page.getByTestId('unsaved-dialog').waitFor({ state: 'detached' });
    expect(await page.getByTestId('grid-strategy-IWNE-CL').isChecked()).toBe(true);
    expect(await hash()).toBe(`#/training/wizard?study=${encodeURIComponent(studyA)}`);
    // Back asks too; staying keeps the wizard and its address.
    await page.goBack();
    await page.getByTestId('unsaved-dialog').waitFor();
    await page.getByTestId('unsaved-stay').click();
    await page.getByTestId('unsaved-dialog').waitFor({ state: 'detached' });
    expect(await page.getByTestId('grid-strategy-IWNE-CL').isChecked()).toBe(true);
    expect(await hash()).toMatch(/^#\/training\/wizard\?/);
    // A reload asks through the browser's own prompt.
    const asked = new Promise<string>((resolve) => page.once('dialog', (d) => void d.accept().then(() => resolve(d.type()))));
    await page.reload();
    expect(await asked).toBe('beforeunload');
    // The reload stays on the wizard (its address), which opens afresh.
    await page.getByTestId('grid-wizard').waitFor();
    // Leaving after agreeing goes where the user was heading.
    for (let i = 0; i < 6 && (await page.getByTestId('grid-strategies').count()) === 0; i++) await page.getByTestId('grid-next').click();
    await page.getByTestId('grid-strategy-IWNE-CL').check();
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('unsaved-leave').click();
    await page.getByTestId('page-jobs').waitFor();
    expect(await hash()).toBe(`#/jobs?study=${encodeURIComponent(studyA)}`);
  }, 120_000);

  it('shows the open study’s jobs and notices; another study’s only with “All studies”, each card naming its study', async () => {
    await openStudy(studyA);
    await page.locator('[data-testid="open-study"]', { hasText: 'Alpha study' }).waitFor();
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('page-jobs').waitFor();
    const other = await failingImport(studyB, 'beta-import');
    const otherCard = page.locator(`[data-testid="job-card"][data-job-id="${other}"]`);
    await page.getByTestId('jobs-hidden').waitFor();
    expect(await text('jobs-hidden')).toMatch(/^1 job of another study is not shown here or in the notices/);
    // The job ended (failed), but neither its card nor its notice shows.
    await ended(other);
    await page.waitForTimeout(1000);
    expect(await otherCard.count()).toBe(0);
    expect(await page.getByTestId('job-notice').count()).toBe(0);
    await page.getByTestId('jobs-scope-all').click();
    await page.locator(`[data-testid="job-card"][data-job-id="${other}"][data-status="failed"]`).waitFor();
    expect(await otherCard.textContent()).toMatch(/Study “Beta study” · submitted/);
    const notice = page.locator(`[data-testid="job-notice"][data-job-id="${other}"]`);
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/^Dataset import failed: .*In study “Beta study”$/);
    await shot('02-all-studies');
    await notice.getByRole('button', { name: 'Close the notice' }).click();
    await notice.waitFor({ state: 'detached' });
    await page.getByTestId('jobs-scope-study').click();
    await otherCard.waitFor({ state: 'detached' });
  }, 120_000);

  it('keeps a failure notice until it is closed, below the page and clear of its buttons at 1024×700', async () => {
    await openStudy(studyA);
    await page.locator('[data-testid="open-study"]', { hasText: 'Alpha study' }).waitFor();
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-launch').waitFor();
    const own = await failingImport(studyA, 'alpha-import');
    const notice = page.locator(`[data-testid="job-notice"][data-job-id="${own}"]`);
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.getAttribute('data-severity')).toBe('error');
    expect(await notice.textContent()).toMatch(/^Dataset import failed: /);
    expect(await notice.textContent()).not.toMatch(/In study/);
    // Longer than a notice that is not a failure stays (8 s).
    await page.waitForTimeout(9_000);
    expect(await notice.isVisible()).toBe(true);
    const region = (await page.getByTestId('job-notices').boundingBox())!;
    const buttons = await page.locator('main button, nav button, header button').evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height, label: el.textContent ?? '' };
      }),
    );
    const main = (await page.locator('main').boundingBox())!;
    expect(region.y).toBeGreaterThanOrEqual(main.y + main.height - 1);
    for (const b of buttons.filter((b) => b.width > 0 && b.height > 0 && b.y < 700)) {
      const overlaps =
        b.x < region.x + region.width && region.x < b.x + b.width && b.y < region.y + region.height && region.y < b.y + b.height;
      // A button scrolled below the page area's edge is clipped by it, not covered by the notice.
      const visible = b.y + b.height <= main.y + main.height || b.y >= main.y + main.height + region.height;
      expect(overlaps && visible, `notice covers "${b.label}"`).toBe(false);
    }
    await shot('03-error-notice-1024');
    await notice.getByRole('button', { name: 'Close the notice' }).click();
    await notice.waitFor({ state: 'detached' });
    expect(await page.getByTestId('job-notice').count()).toBe(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 120_000);

  it('lists the study’s trained model on the Models page and exports it as .safetensors', async () => {
    await openStudy(studyA);
    await page.locator('[data-testid="open-study"]', { hasText: 'Alpha study' }).waitFor();
    await page.getByTestId('nav-models').click();
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Pretrained weights', level: 2 }).waitFor();
    const row = page.locator(`[data-testid="trained-model"][data-run-id="${runId}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 5)).toEqual(['IWNE-FS', '100 %', '0', 'resnet18-w8', '1']);
    expect(cells[5]).toMatch(/^(0\.\d{3}|1\.000|–)$/);
    await shot('04-models');
    await row.getByTestId('trained-model-export').click();
    await page.getByTestId('export-folder').fill(exports);
    expect(await page.getByTestId('export-name').inputValue()).toBe(`${runId}.safetensors`);
    await page.getByTestId('export-submit').click();
    await page.getByTestId('export-done').waitFor({ timeout: 60_000 });
    const file = path.join(exports, `${runId}.safetensors`);
    expect(await text('export-done')).toContain(file);
    expect(existsSync(file)).toBe(true);
    // A second export to the same name is refused unless replacing is allowed.
    await page.getByTestId('export-submit').click();
    await page.getByTestId('export-error').waitFor({ timeout: 60_000 });
    expect(await text('export-error')).toMatch(/already exists; the export does not replace it/);
    await shot('05-export');
  }, 120_000);

  it('logged no console errors but the one refusal it provokes', () => {
    // The second export to the same file answers HTTP 409, which Chromium logs as a failed resource.
    expect(consoleErrors()).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
  });
});
