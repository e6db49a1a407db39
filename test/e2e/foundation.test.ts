/**
 * End to end through the HTTP bridge in Debian's headless Chromium: open the app, see the active
 * compute backend, create a study folder, run the backend self-test as a job with a progress bar.
 * Screenshots go to test-artifacts/e2e/.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, openAppSession, type AppSession, type RunningApp } from '../support/browser';
import { tempDirSync } from '../support/files';

const enabled = chromiumAvailable();

describe.runIf(enabled)('FundusLab in a browser through the HTTP bridge', () => {
  let session: AppSession;
  let app: RunningApp;
  let page: Page;
  const work = tempDirSync('e2e');

  beforeAll(async () => {
    session = await openAppSession(path.join(work, 'home'), '');
    ({ app, page } = session);
  });

  afterAll(async () => session?.close());

  const api = async (channel: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${app.port}/api/call/${channel}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
  };

  it('opens the app and shows the active compute backend', async () => {
    await page.goto(app.url);
    const chip = page.getByTestId('active-backend');
    await expect.poll(async () => (await chip.textContent()) ?? '', { timeout: 60_000 }).toMatch(/wasm|cpu|tensorflow/);
    const status = (await api('engine.status', {})) as { value: { active: string } };
    expect(await chip.textContent()).toContain(status.value.active);
    // the token left the address bar
    expect(page.url()).not.toContain(app.token);
    await session.shot('01-opened');
  });

  it('creates a study folder from the UI', async () => {
    const folder = path.join(work, 'studies', 'pilot');
    await page.getByTestId('study-name').fill('Pilot study');
    await page.getByTestId('study-path').fill(folder);
    await page.getByRole('button', { name: /^create/i }).click();
    await expect.poll(async () => (await page.getByTestId('open-study').textContent()) ?? '', { timeout: 15_000 }).toContain('Pilot study');
    const study = JSON.parse(readFileSync(path.join(folder, 'study.json'), 'utf8'));
    expect(study).toMatchObject({ schemaVersion: 1, name: 'Pilot study' });
    await session.shot('02-study-created');
  });

  it('shows clear errors for a bad folder (checked in the page and by the service) and keeps the app usable', async () => {
    await page.getByTestId('study-name').fill('Second');
    await page.getByTestId('study-path').fill('relative/path');
    await page.getByRole('button', { name: /^create/i }).click();
    await expect.poll(async () => (await page.locator('body').textContent()) ?? '', { timeout: 10_000 }).toMatch(/absolute path/i);
    // the service's own refusal: the folder already holds a study
    await page.getByTestId('study-path').fill(path.join(work, 'studies', 'pilot'));
    await page.getByRole('button', { name: /^create/i }).click();
    await expect
      .poll(async () => (await page.locator('body').textContent()) ?? '', { timeout: 10_000 })
      .toMatch(/already contains a (FundusLab )?study/);
    await session.shot('03-bad-folder');
    expect(JSON.parse(readFileSync(path.join(work, 'studies', 'pilot', 'study.json'), 'utf8')).name).toBe('Pilot study');
  });

  it('runs the backend self-test as a job with a progress bar and shows its result', async () => {
    await page.getByTestId('nav-compute').click();
    await page.getByTestId('run-selftest').click();
    await page.getByTestId('selftest-progress').waitFor({ state: 'visible', timeout: 30_000 });
    await session.shot('04-selftest-running');
    const result = page.getByTestId('selftest-result');
    await result.waitFor({ state: 'visible', timeout: 150_000 });
    expect(await result.textContent()).toMatch(/images\/s/i);
    expect(await result.textContent()).toMatch(/passed/i);
    await result.scrollIntoViewIfNeeded();
    await session.shot('05-selftest-done');
    const jobs = (await api('jobs.list', {})) as { value: Array<{ kind: string; status: string }> };
    expect(jobs.value.find((j) => j.kind === 'engine.selftest')?.status).toBe('succeeded');
  });

  it('refuses the API to a page of another origin and to requests without the token', async () => {
    const noToken = await fetch(`http://127.0.0.1:${app.port}/api/call/app.info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(noToken.status).toBe(401);
    const foreign = await fetch(`http://127.0.0.1:${app.port}/api/call/app.info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${app.token}`, Origin: 'http://localhost:9' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
  });

  it('logged no errors in the page (no CSP violations, no crashes)', () => {
    // The one refusal this journey provokes (creating a study where one exists) answers HTTP 409, which Chromium logs as a failed resource.
    const expected = ['Failed to load resource: the server responded with a status of 409 (Conflict)'];
    expect(session.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual(expected);
    expect(existsSync(path.join(ARTIFACTS, '05-selftest-done.png'))).toBe(true);
  });
});
