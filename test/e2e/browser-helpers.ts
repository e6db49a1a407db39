/**
 * Starts FundusLab in browser mode (`funduslab browser`, the real CLI over the real services) and
 * Debian's headless Chromium through playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');
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
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'funduslab.js'), 'browser', '--port', '0', '--json'], {
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
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** FundusLab in browser mode plus a Chromium page on it, collecting console errors; one per test file. */
export interface AppSession {
  app: RunningApp;
  browser: Browser;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  consoleErrors: string[];
  /** Screenshot `<prefix><name>.png` into ARTIFACTS; `tall` enlarges the window for a whole-page shot (the page area scrolls inside the shell). */
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
