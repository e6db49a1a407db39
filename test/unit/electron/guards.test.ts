import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { memoryLogger } from '../../../src-main/services/log';
import { guardWebContents, hardenSession, openExternalIfAllowed, type GuardedSession } from '../../../src-main/electron/guards';
import { APP_ORIGIN } from '../../../src-main/electron/security';

class FakeSession implements GuardedSession {
  request?: (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void;
  check?: (webContents: unknown, permission: string, origin: string, details: unknown) => boolean;
  device?: (details: unknown) => boolean;
  setPermissionRequestHandler(handler: NonNullable<FakeSession['request']>) {
    this.request = handler;
  }
  setPermissionCheckHandler(handler: NonNullable<FakeSession['check']>) {
    this.check = handler;
  }
  setDevicePermissionHandler(handler: NonNullable<FakeSession['device']>) {
    this.device = handler;
  }
}

class FakeContents extends EventEmitter {
  readonly session = new FakeSession();
  windowOpenHandler?: (details: { url: string }) => { action: 'deny' };
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }) {
    this.windowOpenHandler = handler;
  }
  /** Emits a cancellable navigation event shaped like Electron's and says whether it was cancelled. */
  navigate(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', url: string, isMainFrame = true): boolean {
    let prevented = false;
    this.emit(event, { url, isMainFrame, preventDefault: () => (prevented = true) }, url, false, isMainFrame, 1, 1);
    return prevented;
  }
}

function setup() {
  const contents = new FakeContents();
  const opened: string[] = [];
  const log = memoryLogger();
  guardWebContents(contents, { log, appOrigin: APP_ORIGIN, openExternal: async (url) => void opened.push(url) });
  return { contents, opened, log };
}

describe('guardWebContents', () => {
  it('lets the app navigate and redirect inside its own origin', () => {
    const { contents, opened } = setup();
    expect(contents.navigate('will-navigate', 'app://funduslab/index.html')).toBe(false);
    expect(contents.navigate('will-redirect', 'app://funduslab/other.html')).toBe(false);
    expect(contents.navigate('will-frame-navigate', 'app://funduslab/index.html')).toBe(false);
    expect(opened).toEqual([]);
  });

  it.each(['https://evil.example/', 'http://localhost:5173/', 'file:///etc/passwd', 'about:blank', 'data:text/html,x', 'app://other/'])(
    'blocks main-frame navigation and redirects to %s',
    (url) => {
      const { contents } = setup();
      expect(contents.navigate('will-navigate', url)).toBe(true);
      expect(contents.navigate('will-redirect', url)).toBe(true);
      expect(contents.navigate('will-frame-navigate', url, true)).toBe(true);
    },
  );

  it('sends a blocked https navigation to the system browser, but never file: or http:', () => {
    const { contents, opened } = setup();
    contents.navigate('will-navigate', 'https://doi.org/10.1371/journal.pone.0274074');
    contents.navigate('will-navigate', 'file:///etc/passwd');
    contents.navigate('will-navigate', 'http://example.org/');
    contents.navigate('will-redirect', 'https://redirected.example/'); // redirects are only blocked
    expect(opened).toEqual(['https://doi.org/10.1371/journal.pone.0274074']);
  });

  it('blocks sub-frames from leaving the app (about:blank/srcdoc allowed)', () => {
    const { contents } = setup();
    expect(contents.navigate('will-frame-navigate', 'https://evil.example/', false)).toBe(true);
    expect(contents.navigate('will-frame-navigate', 'about:blank', false)).toBe(false);
    expect(contents.navigate('will-frame-navigate', 'about:srcdoc', false)).toBe(false);
  });

  it('denies every window.open, opening only validated https URLs externally', () => {
    const { contents, opened } = setup();
    for (const url of [
      'https://github.com/funduslab',
      'app://funduslab/index.html',
      'file:///C:/x.exe',
      'javascript:alert(1)',
      'smb://host/share',
    ]) {
      expect(contents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(opened).toEqual(['https://github.com/funduslab']);
  });

  it('blocks <webview> attachment', () => {
    const { contents, log } = setup();
    const event = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', event, {}, { src: 'https://evil.example/' });
    expect(event.preventDefault).toHaveBeenCalled();
    expect(log.lines.some((l) => l.message.includes('webview'))).toBe(true);
  });

  it("hardens the contents' session: every permission request, check and device request is denied", () => {
    const { contents } = setup();
    const session = contents.session;
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      const callback = vi.fn();
      session.request!({}, permission, callback, {});
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
      expect(session.check!({}, permission, APP_ORIGIN, {})).toBe(false);
    }
    expect(session.device!({ deviceType: 'usb' })).toBe(false);
  });
});

describe('hardenSession / openExternalIfAllowed', () => {
  it('installs the handlers once per session', () => {
    const session = new FakeSession();
    const spy = vi.spyOn(session, 'setPermissionRequestHandler');
    hardenSession(session, memoryLogger());
    hardenSession(session, memoryLogger());
    expect(spy).toHaveBeenCalledOnce();
  });

  it('logs (and swallows) a failing shell.openExternal', async () => {
    const log = memoryLogger();
    expect(openExternalIfAllowed('https://example.org/', { log, openExternal: () => Promise.reject(new Error('no browser')) })).toBe(true);
    await vi.waitFor(() => expect(log.lines.some((l) => l.message.includes('no browser'))).toBe(true));
    expect(openExternalIfAllowed('ftp://example.org/', { log, openExternal: () => Promise.resolve() })).toBe(false);
  });
});
