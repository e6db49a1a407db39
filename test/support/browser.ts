/**
 * End-to-end tests in a browser: starts FundusLab in browser mode (`funduslab browser`, the real CLI
 * over the real services) and Debian's headless Chromium through playwright-core, and gives the
 * page actions and checks the end-to-end test files share (screenshots, texts by test id, scrolling,
 * sideways overflow, MUI selects, opening a study).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from './files';

export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'e2e');
export const CHROMIUM = process.env.FUNDUSLAB_CHROMIUM ?? '/usr/bin/chromium';

/** Outside CI a missing Chromium skips the end-to-end tests with a message; in CI it fails them. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs Debian's chromium package.`);
  console.warn(`skipping end-to-end tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set FUNDUSLAB_CHROMIUM)`);
  return false;
}

export interface RunningApp {
  url: string;
  token: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startBrowserMode(home: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'funduslab.js'), 'browser', '--port', '0', '--json'], {
    env: { ...process.env, FUNDUSLAB_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`funduslab browser did not start within 30 s:\n${stderr}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => reject(new Error(`funduslab browser exited with ${code}:\n${stderr}`)));
  });
  const info = JSON.parse(first) as { url: string; token: string; port: number };
  return {
    ...info,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** FundusLab in browser mode plus a Chromium page on it, collecting console errors; one per test file. */
export interface AppSession {
  app: RunningApp;
  browser: Browser;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  consoleErrors: string[];
  /**
   * Screenshot `<prefix><name>.png` into ARTIFACTS; `tall` enlarges the window for a whole-page shot (the page area scrolls inside the
   * shell).
   */
  shot(name: string, tall?: number): Promise<void>;
  close(): Promise<void>;
}

export async function openAppSession(home: string, shotPrefix: string): Promise<AppSession> {
  const app = await startBrowserMode(home);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return {
    app,
    browser,
    page,
    consoleErrors,
    async shot(name, tall = 0) {
      if (tall) await page.setViewportSize({ width: 1280, height: tall });
      await page.screenshot({ path: path.join(ARTIFACTS, `${shotPrefix}${name}.png`) });
      if (tall) await page.setViewportSize({ width: 1280, height: 800 });
    },
    async close() {
      await browser.close();
      await app.stop();
    },
  };
}

/**
 * The page actions and checks of one end-to-end test file, on the session its beforeAll opens
 * (`session()` is read at each call). `settleMs`: how long `shot` waits first (350 lets MUI's colour
 * transitions of 150-300 ms settle; default 0). `overflowBoxes`: the boxes inside the page area that
 * must not scroll sideways either (default: the tables).
 */
export function pageTools(session: () => AppSession, options: { settleMs?: number; overflowBoxes?: string } = {}) {
  const page = (): Page => session().page;
  const overflowBoxes = options.overflowBoxes ?? '.MuiTableContainer-root';
  return {
    /** The session's screenshot (see AppSession.shot), after `settleMs`. */
    shot: async (name: string, tall = 0) => {
      if (options.settleMs) await page().waitForTimeout(options.settleMs);
      await session().shot(name, tall);
    },
    /** Console errors and uncaught page errors seen so far. */
    consoleErrors: (): string[] => session().consoleErrors,
    /** The text of the first element with this test id ('' when it has none). */
    text: async (testId: string) => (await page().getByTestId(testId).first().textContent()) ?? '',
    /** Scrolls the page area so the first element with this test id is at its top (the shell scrolls inside, not the window). */
    scrollTo: (testId: string) =>
      page()
        .getByTestId(testId)
        .first()
        .evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' })),
    /** At 1280×800 nothing sticks out sideways: neither the page area nor any of `overflowBoxes` (which would scroll inside its box). */
    noSidewaysOverflow: async () => {
      type Box = { scrollWidth: number; clientWidth: number; querySelectorAll(selector: string): ArrayLike<Box> };
      const overflow = await page()
        .locator('main')
        .evaluate((main, selector) => {
          const boxes = [main as unknown as Box, ...Array.from((main as unknown as Box).querySelectorAll(selector))];
          return Math.max(...boxes.map((b) => b.scrollWidth - b.clientWidth));
        }, overflowBoxes);
      expect(overflow).toBeLessThanOrEqual(0);
    },
    /** Opens an MUI select and picks an option, both by test id. */
    choose: async (selectTestId: string, optionTestId: string) => {
      await page().getByTestId(selectTestId).click();
      await page().getByTestId(optionTestId).click();
    },
    /** Loads the app and submits the study folder `study` in the Open study form. */
    openStudy: async (study: string) => {
      await page().goto(session().app.url);
      await page().getByTestId('study-open-path').fill(study);
      await page().getByRole('button', { name: 'Open study' }).click();
    },
  };
}
