import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  APP_SCHEME_PRIVILEGES,
  CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
  describeFrame,
  externalUrlAllowed,
  frameNavigationAllowed,
  isTrustedSender,
  navigationAllowed,
  originOf,
  secureWebPreferences,
  type FrameLike,
  type WindowLike,
} from '../../../src-main/electron/security';

describe('Content-Security-Policy', () => {
  it('is exactly the strict policy, directive by directive', () => {
    const directives = Object.fromEntries(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toEqual({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self' 'unsafe-inline'",
      'img-src': "'self' data: blob:",
      'font-src': "'self' data:",
      'connect-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|wasm-unsafe-eval|\*/);
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('app scheme', () => {
  it('is standard + secure + fetch-capable, and nothing that weakens it', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } });
    expect(APP_ORIGIN).toBe('app://funduslab');
    expect(APP_ENTRY_URL).toBe('app://funduslab/index.html');
  });
});

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the renderer, without Node, webviews or insecure content', () => {
    const prefs = secureWebPreferences('/app/dist/electron/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      experimentalFeatures: false,
      devTools: false,
    });
    expect(secureWebPreferences('/p', { devTools: true }).devTools).toBe(true);
    // nothing may re-enable blink features
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
  });
});

describe('originOf / navigationAllowed', () => {
  it('computes the app origin by hand (WHATWG gives custom schemes an opaque origin)', () => {
    expect(new URL('app://funduslab/x').origin).toBe('null');
    expect(originOf('app://funduslab/index.html#/jobs')).toBe(APP_ORIGIN);
    expect(originOf('https://example.org/a')).toBe('https://example.org');
  });

  it.each(['app://funduslab/', 'app://funduslab/index.html', 'app://funduslab/study/42?tab=runs#top'])('allows %s', (url) => {
    expect(navigationAllowed(url, APP_ORIGIN)).toBe(true);
  });

  it.each([
    'https://evil.example/',
    'http://funduslab/',
    'app://evil/index.html',
    'app://funduslab.evil.example/',
    'app://user:pass@funduslab/',
    'app:///etc/passwd',
    'file:///etc/passwd',
    'file://funduslab/index.html',
    'about:blank',
    'data:text/html,<script>alert(1)</script>',
    'javascript:alert(1)',
    'blob:app://funduslab/1234',
    'devtools://devtools/bundled/inspector.html',
    'chrome://settings',
    'not a url',
    '',
  ])('blocks %s', (url) => {
    expect(navigationAllowed(url, APP_ORIGIN)).toBe(false);
  });

  it('lets sub-frames load only the app, about:blank and about:srcdoc; main frames only the app', () => {
    expect(frameNavigationAllowed('about:blank', false)).toBe(true);
    expect(frameNavigationAllowed('about:srcdoc', false)).toBe(true);
    expect(frameNavigationAllowed('about:blank', true)).toBe(false);
    expect(frameNavigationAllowed('https://evil.example/', false)).toBe(false);
    expect(frameNavigationAllowed('file:///etc/passwd', false)).toBe(false);
    expect(frameNavigationAllowed('app://funduslab/x.html', false)).toBe(true);
  });
});

describe('externalUrlAllowed', () => {
  it.each(['https://doi.org/10.1371/journal.pone.0274074', 'https://github.com/funduslab'])('opens %s', (url) => {
    expect(externalUrlAllowed(url)).toBe(true);
  });
  it.each([
    'http://example.org/',
    'file:///C:/Windows/System32/calc.exe',
    'smb://server/share',
    'ms-settings:',
    'javascript:alert(1)',
    'https://user:pw@example.org/',
    'app://funduslab/',
    'nonsense',
  ])('refuses %s', (url) => {
    expect(externalUrlAllowed(url)).toBe(false);
  });
});

describe('isTrustedSender', () => {
  const frame = (url: string, extra: Partial<FrameLike> = {}): FrameLike => ({ url, parent: null, detached: false, ...extra });
  const windowOf = (mainFrame: FrameLike, destroyed = false): WindowLike => ({
    isDestroyed: () => destroyed,
    webContents: { isDestroyed: () => destroyed, mainFrame },
  });

  it('trusts the main frame of one of our windows showing the app origin', () => {
    const main = frame('app://funduslab/index.html');
    expect(isTrustedSender(main, [windowOf(frame('app://funduslab/')), windowOf(main)], APP_ORIGIN)).toBe(true);
  });

  it('matches a different wrapper of the same frame by frame-tree-node id', () => {
    const main = frame('app://funduslab/index.html', { frameTreeNodeId: 7 });
    const sameFrameOtherWrapper = frame('app://funduslab/index.html', { frameTreeNodeId: 7 });
    expect(isTrustedSender(sameFrameOtherWrapper, [windowOf(main)], APP_ORIGIN)).toBe(true);
    expect(isTrustedSender(frame('app://funduslab/index.html', { frameTreeNodeId: 8 }), [windowOf(main)], APP_ORIGIN)).toBe(false);
  });

  it('refuses a null or undefined frame (navigated away or destroyed)', () => {
    const main = frame('app://funduslab/index.html');
    expect(isTrustedSender(null, [windowOf(main)], APP_ORIGIN)).toBe(false);
    expect(isTrustedSender(undefined, [windowOf(main)], APP_ORIGIN)).toBe(false);
  });

  it('refuses a sub-frame, even one on the app origin', () => {
    const main = frame('app://funduslab/index.html');
    const sub = frame('app://funduslab/embedded.html', { parent: main });
    expect(isTrustedSender(sub, [windowOf(main)], APP_ORIGIN)).toBe(false);
  });

  it('refuses any frame that reports a parent, even if it were listed as a main frame', () => {
    const confused = frame('app://funduslab/index.html', { parent: frame('app://funduslab/index.html') });
    expect(isTrustedSender(confused, [windowOf(confused)], APP_ORIGIN)).toBe(false);
  });

  it.each(['https://evil.example/', 'file:///home/user/evil.html', 'about:blank', 'app://evil/index.html', 'data:text/html,x'])(
    'refuses our own main frame when it shows %s',
    (url) => {
      const main = frame(url);
      expect(isTrustedSender(main, [windowOf(main)], APP_ORIGIN)).toBe(false);
    },
  );

  it('refuses frames that are not the main frame of any live window of ours', () => {
    const stranger = frame('app://funduslab/index.html');
    expect(isTrustedSender(stranger, [windowOf(frame('app://funduslab/index.html'))], APP_ORIGIN)).toBe(false);
    expect(isTrustedSender(stranger, [], APP_ORIGIN)).toBe(false);
    expect(isTrustedSender(stranger, [windowOf(stranger, true)], APP_ORIGIN)).toBe(false);
  });

  it('refuses detached or destroyed frames', () => {
    const detached = frame('app://funduslab/index.html', { detached: true });
    expect(isTrustedSender(detached, [windowOf(detached)], APP_ORIGIN)).toBe(false);
    const destroyed = frame('app://funduslab/index.html', { isDestroyed: () => true });
    expect(isTrustedSender(destroyed, [windowOf(destroyed)], APP_ORIGIN)).toBe(false);
  });

  it('describes frames briefly for the log', () => {
    expect(describeFrame(null)).toBe('no frame');
    expect(describeFrame(frame('https://evil.example/'))).toBe('main frame "https://evil.example/"');
    expect(describeFrame(frame(`https://e.example/${'x'.repeat(500)}`)).length).toBeLessThan(150);
  });
});
