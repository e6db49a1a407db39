/**
 * End-to-end tests in a browser: starts FundusLab in browser mode (`funduslab browser`, the real CLI
 * over the real services) and Debian's headless Chromium through playwright-core, and gives the
 * page actions and checks the end-to-end test files share (screenshots, texts by test id, scrolling,
 * sideways overflow, MUI selects, opening a study).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
        // The app's error lines (an unexpected failure behind a 500, a worker that ended) go to the test's output.
        const errors = stderr.split('\n').filter((line) => /^\S+Z error /.test(line));
        if (errors.length > 0) process.stderr.write(`funduslab browser logged ${errors.length} error(s):\n${errors.join('\n')}\n`);
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

/** The axe-core rule sets every page must pass: WCAG 2.0 and 2.1 at levels A and AA, plus axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] as const;

/** One axe-core finding, as listed when a page fails checkAccessibility. */
export interface AxeFinding {
  rule: string;
  impact: string;
  summary: string;
  targets: string[];
}

/**
 * Runs axe-core (injected from the dev dependency on first use) on the page as it is now and fails
 * listing every violation with its rule, the elements it found (CSS selectors) and axe's one-line
 * summary. `context` names the page and state in the failure message.
 */
export async function checkAccessibility(page: Page, context: string): Promise<void> {
  const findings = await axeFindings(page);
  const lines = findings.map((f) => `${f.rule} (${f.impact}): ${f.summary} — ${f.targets.join(', ')}`);
  expect(lines, `axe-core violations on ${context}`).toEqual([]);
}

/** The axe-core violations of the page as it is now (see checkAccessibility). */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as unknown as { axe?: unknown }).axe !== 'undefined');
  // Evaluated through the DevTools protocol rather than added as a <script> tag, which the app's content security policy refuses.
  if (!loaded) await page.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(
    async (tags) => {
      type Node = { target: unknown[]; failureSummary?: string };
      type Result = { id: string; impact?: string | null; help: string; nodes: Node[] };
      const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: Result[] }> } }).axe;
      const { violations } = await axe.run({ runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return violations.map((v) => ({
        rule: v.id,
        impact: v.impact ?? 'unknown',
        summary: v.help,
        targets: v.nodes.map((n) => n.target.map(String).join(' ')),
      }));
    },
    [...AXE_TAGS],
  );
}

/**
 * Nothing sticks out sideways at the current window size: the document does not scroll sideways, the
 * page area (`main`) does not either, and every element that reaches past the window's left or right
 * edge sits inside a scroll container of its own (a table's, a code block's) that itself fits the
 * window. Fails naming the offending elements.
 */
export async function checkNoHorizontalOverflow(page: Page, context = 'the page'): Promise<void> {
  expect(await horizontalOverflow(page), `sideways overflow on ${context}`).toEqual([]);
}

/** The sideways overflows checkNoHorizontalOverflow fails on, one line each ([] when none). */
export async function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type El = {
      tagName: string;
      id: string;
      parentElement: El | null;
      scrollWidth: number;
      clientWidth: number;
      getAttribute(n: string): string | null;
      getBoundingClientRect(): { left: number; right: number; width: number; height: number };
    };
    const g = globalThis as unknown as {
      innerWidth: number;
      document: { scrollingElement: El; documentElement: El; body: El; querySelectorAll(s: string): ArrayLike<El> };
      getComputedStyle(e: El): { overflowX: string; textOverflow: string; visibility: string; position: string };
    };
    const name = (el: El): string => {
      let near = el.parentElement;
      while (near && !near.getAttribute('data-testid')) near = near.parentElement;
      const within = near ? ` in [data-testid="${near.getAttribute('data-testid')}"]` : '';
      return own(el) + within;
    };
    const own = (el: El) => {
      const testId = el.getAttribute('data-testid');
      const cls = (el.getAttribute('class') ?? '').split(/\s+/).find((c) => c && !c.startsWith('css-'));
      return `${el.tagName.toLowerCase()}${testId ? `[data-testid="${testId}"]` : ''}${el.id ? `#${el.id}` : ''}${cls ? `.${cls}` : ''}`;
    };
    const out: string[] = [];
    const doc = g.document.scrollingElement;
    if (doc.scrollWidth > doc.clientWidth + 1) out.push(`the document scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth} px`);
    const main = g.document.querySelectorAll('main')[0];
    if (main && main.scrollWidth > main.clientWidth + 1)
      out.push(`the page area scrolls or clips sideways: ${main.scrollWidth} > ${main.clientWidth} px`);
    const width = g.innerWidth;
    const outside = (r: { left: number; right: number }) => r.right > width + 1 || r.left < -1;
    const page = new Set<El>([g.document.documentElement, g.document.body, ...(main ? [main] : [])]);
    /**
     * The nearest ancestor that scrolls sideways or ends its text with an ellipsis (the page's own areas excepted), or null; any other
     * box that clips (a card) cuts content off.
     */
    const container = (el: El): El | null => {
      for (let p = el.parentElement; p && !page.has(p); p = p.parentElement) {
        const style = g.getComputedStyle(p);
        if (['auto', 'scroll'].includes(style.overflowX) || (style.overflowX === 'hidden' && style.textOverflow === 'ellipsis')) return p;
      }
      return null;
    };
    const all = Array.from(g.document.querySelectorAll('body *'));
    for (const el of all) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || !outside(r)) continue;
      const style = g.getComputedStyle(el);
      if (style.visibility === 'hidden' || (style.position === 'absolute' && r.width <= 1)) continue;
      const box = container(el);
      if (box && !outside(box.getBoundingClientRect())) continue;
      // report the outermost offender only
      if (
        el.parentElement &&
        outside(el.parentElement.getBoundingClientRect()) &&
        !page.has(el.parentElement) &&
        container(el) === container(el.parentElement)
      )
        continue;
      out.push(`${name(el)} spans ${Math.round(r.left)}…${Math.round(r.right)} px of a ${width} px window`);
    }
    return out;
  });
}
