/**
 * Picks how this page talks to FundusLab: the Electron preload object when the page runs inside
 * the desktop app, otherwise the HTTP bridge (browser mode) authenticated by the token handed over
 * in the URL fragment. Builds the typed client on top; nothing else in the renderer knows which
 * transport is in use.
 */
import { PRELOAD_GLOBAL, type PreloadApi } from '../../src-shared/contract';
import { createClient, type Client, type Transport } from '../../src-shared/client';
import { createHttpTransport, resolveBridgeToken, tokenFromHash, TOKEN_STORAGE_KEY, type KeyValueStorage } from './bridgeTransport';
import { createConnection, type ConnectionMonitor } from './connection';

export type TransportSelection =
  | { kind: 'ready'; host: 'electron' | 'browser'; client: Client; connection: ConnectionMonitor }
  /** Browser mode without a token: the page was not opened from the link `npm run browser` printed. */
  | { kind: 'missing-token' };

function isPreloadApi(value: unknown): value is PreloadApi {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<PreloadApi>;
  return typeof candidate.invoke === 'function' && typeof candidate.subscribe === 'function';
}

function sessionStore(): KeyValueStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function selectTransport(): TransportSelection {
  const preload: unknown = (window as unknown as Record<string, unknown>)[PRELOAD_GLOBAL];
  if (isPreloadApi(preload)) {
    const transport: Transport = {
      invoke: (channel, payload) => preload.invoke(channel, payload),
      subscribe: (listener) => preload.subscribe(listener),
    };
    return { kind: 'ready', host: 'electron', client: createClient(transport), connection: createConnection('open') };
  }

  const token = resolveBridgeToken(window.location.hash, sessionStore(), (remainingHash) => {
    // Take the token out of the address bar (and so out of history, bookmarks and screenshots).
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, '', `${pathname}${search}${remainingHash}`);
  });
  if (!token) return { kind: 'missing-token' };

  const transport = createHttpTransport({
    token,
    fetch: (url, init) => window.fetch(url, { ...init, cache: 'no-store', credentials: 'same-origin' }),
    openEvents: (url) => new EventSource(url),
    onUnauthorized: () => {
      try {
        sessionStore()?.removeItem(TOKEN_STORAGE_KEY);
      } catch {
        // nothing to forget
      }
    },
  });
  return { kind: 'ready', host: 'browser', client: createClient(transport), connection: transport.connection };
}

/**
 * Browser mode: pasting a (new) FundusLab link into this tab only changes the fragment, which does
 * not reload the page; reload so the new token is picked up.
 */
export function reloadOnNewLink(): void {
  window.addEventListener('hashchange', () => {
    if (tokenFromHash(window.location.hash).token) window.location.reload();
  });
}
