/**
 * Every security decision of the Electron layer, as pure functions over plain data so that each one
 * is unit-tested without Electron (test/unit/electron/security.test.ts). main.ts only wires them to
 * Electron's events. Nothing here imports 'electron'.
 */
import type { CustomScheme, WebPreferences } from 'electron';

/** The renderer is served from `app://funduslab/…` (see renderer-protocol.ts), never from file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'funduslab';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Privileges of the app scheme (registered before `ready`): `standard` gives it real origins and
 * relative-URL resolution, `secure` makes it a secure context, `supportFetchAPI` lets the page
 * fetch its own assets. Deliberately NOT granted: `bypassCSP`, `corsEnabled` (would let other
 * origins read our responses), `allowServiceWorkers`, `stream`.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** The CSP and response headers are shared with the HTTP bridge (src-main/security/csp.ts). */
export { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../security/csp';

/**
 * Web preferences of every FundusLab window: an isolated, sandboxed renderer without Node, whose
 * only bridge to main is the preload's single `window.funduslab` object.
 */
export function secureWebPreferences(preloadPath: string, options: { devTools?: boolean } = {}): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    plugins: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools ?? false,
  };
}

const WEB_SCHEMES = new Set(['http:', 'https:']);

/**
 * The origin of `url` as Chromium serialises it, for the schemes we reason about: the app scheme
 * (WHATWG URL gives non-special schemes the opaque origin "null", so it is built by hand) and
 * http(s). Anything else (file:, data:, about:, javascript:, blob: …) and anything unparsable or
 * carrying credentials yields null, which never equals the app origin.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.username !== '' || parsed.password !== '') return null;
  if (parsed.protocol === `${APP_SCHEME}:`) return parsed.host === '' ? null : `${parsed.protocol}//${parsed.host}`;
  if (WEB_SCHEMES.has(parsed.protocol)) return parsed.origin;
  return null;
}

/** Main-frame navigations and redirects may only stay inside the app origin. */
export function navigationAllowed(url: string, appOrigin: string = APP_ORIGIN): boolean {
  return originOf(url) === appOrigin;
}

/**
 * Sub-frame navigations: the app origin, or the two documents a frame gets without loading
 * anything (`about:blank`, `about:srcdoc`). CSP (`default-src 'self'`) restricts frames as well.
 */
export function frameNavigationAllowed(url: string, isMainFrame: boolean, appOrigin: string = APP_ORIGIN): boolean {
  if (navigationAllowed(url, appOrigin)) return true;
  return !isMainFrame && (url === 'about:blank' || url === 'about:srcdoc');
}

/**
 * Links the user may open in the system browser: plain https URLs with a host and no credentials
 * (e.g. a paper's DOI). Everything else (file:, smb:, custom protocol handlers, http) is refused.
 */
export function externalUrlAllowed(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.hostname !== '' && parsed.username === '' && parsed.password === '';
}

/** The parts of Electron's WebFrameMain the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent?: FrameLike | null;
  readonly detached?: boolean;
  readonly frameTreeNodeId?: number;
  isDestroyed?(): boolean;
}

/** The parts of a BrowserWindow the sender check reads. */
export interface WindowLike {
  isDestroyed?(): boolean;
  readonly webContents: {
    isDestroyed(): boolean;
    readonly mainFrame: FrameLike;
  };
}

function sameFrame(a: FrameLike, b: FrameLike): boolean {
  if (a === b) return true;
  // WebFrameMain wrappers are cached per frame, so identity normally suffices; the frame-tree-node
  // id is browser-global and unique for the frame's lifetime, a safe second key.
  return typeof a.frameTreeNodeId === 'number' && a.frameTreeNodeId === b.frameTreeNodeId;
}

/**
 * An IPC call is trusted only if it comes from the main frame of one of our own windows and that
 * frame currently shows the app origin. Null frames (navigated or destroyed), detached frames,
 * sub-frames, frames of other web contents and foreign origins (https://…, file://, about:blank)
 * are refused.
 */
export function isTrustedSender(
  frame: FrameLike | null | undefined,
  windows: Iterable<WindowLike>,
  appOrigin: string = APP_ORIGIN,
): boolean {
  if (frame == null) return false;
  if (frame.detached === true) return false;
  if (typeof frame.isDestroyed === 'function' && frame.isDestroyed()) return false;
  if (frame.parent != null) return false;
  let ours = false;
  for (const win of windows) {
    if (win.isDestroyed?.() === true) continue;
    const contents = win.webContents;
    if (contents.isDestroyed()) continue;
    if (sameFrame(contents.mainFrame, frame)) {
      ours = true;
      break;
    }
  }
  if (!ours) return false;
  return originOf(frame.url) === appOrigin;
}

/** Short, log-safe description of a frame for refusal messages. */
export function describeFrame(frame: FrameLike | null | undefined): string {
  if (frame == null) return 'no frame';
  const url = typeof frame.url === 'string' ? frame.url : String(frame.url);
  const shown = url.length > 120 ? `${url.slice(0, 120)}…` : url;
  return `${frame.parent != null ? 'sub-frame' : 'main frame'} ${JSON.stringify(shown)}`;
}
