/**
 * App-wide guards attached to every web contents and session (from app's `web-contents-created`):
 * no navigation or redirect out of the app origin, no new windows (https links go to the system
 * browser after validation), no <webview>, no permissions. Written over minimal structural types
 * so the exact handlers main.ts installs are unit-tested with fakes.
 */
import type { Logger } from '../services/log';
import { APP_ORIGIN, externalUrlAllowed, frameNavigationAllowed, navigationAllowed } from './security';

export interface CancellableNavigation {
  readonly url: string;
  readonly isMainFrame?: boolean;
  preventDefault(): void;
}

export interface GuardedContents {
  on(event: 'will-navigate', listener: (details: CancellableNavigation) => void): unknown;
  on(event: 'will-redirect', listener: (details: CancellableNavigation) => void): unknown;
  on(event: 'will-frame-navigate', listener: (details: CancellableNavigation) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  readonly session: GuardedSession;
}

export interface GuardedSession {
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void,
  ): void;
  setPermissionCheckHandler(
    handler: (webContents: unknown, permission: string, requestingOrigin: string, details: unknown) => boolean,
  ): void;
  setDevicePermissionHandler(handler: (details: unknown) => boolean): void;
}

export interface GuardDeps {
  log: Logger;
  /** shell.openExternal; only ever called with URLs that passed externalUrlAllowed. */
  openExternal: (url: string) => Promise<void>;
  appOrigin?: string;
}

function shown(url: string): string {
  return JSON.stringify(url.length > 200 ? `${url.slice(0, 200)}…` : url);
}

/** Opens a validated https URL in the system browser; returns whether it did. */
export function openExternalIfAllowed(url: string, deps: GuardDeps): boolean {
  if (!externalUrlAllowed(url)) return false;
  deps.openExternal(url).catch((error: unknown) => {
    deps.log.warn(`could not open ${shown(url)} externally: ${error instanceof Error ? error.message : String(error)}`);
  });
  return true;
}

const hardenedSessions = new WeakSet<object>();

/** Denies every permission request and check, and every device (HID/serial/USB) permission. */
export function hardenSession(session: GuardedSession, log: Logger): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log.warn(`denied permission request ${JSON.stringify(permission)}`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}

export function guardWebContents(contents: GuardedContents, deps: GuardDeps): void {
  const appOrigin = deps.appOrigin ?? APP_ORIGIN;
  contents.on('will-navigate', (details) => {
    if (navigationAllowed(details.url, appOrigin)) return;
    details.preventDefault();
    const opened = openExternalIfAllowed(details.url, deps);
    deps.log.warn(`blocked navigation to ${shown(details.url)}${opened ? ' (opened in the system browser)' : ''}`);
  });
  contents.on('will-redirect', (details) => {
    if (navigationAllowed(details.url, appOrigin)) return;
    details.preventDefault();
    deps.log.warn(`blocked redirect to ${shown(details.url)}`);
  });
  contents.on('will-frame-navigate', (details) => {
    if (frameNavigationAllowed(details.url, details.isMainFrame !== false, appOrigin)) return;
    details.preventDefault();
    deps.log.warn(`blocked frame navigation to ${shown(details.url)}`);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    deps.log.warn('blocked a <webview>');
  });
  contents.setWindowOpenHandler((details) => {
    const opened = openExternalIfAllowed(details.url, deps);
    if (!opened) deps.log.warn(`blocked window.open of ${shown(details.url)}`);
    return { action: 'deny' };
  });
  hardenSession(contents.session, deps.log);
}
