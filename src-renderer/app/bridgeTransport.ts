/**
 * The HTTP bridge transport (browser mode), written against small structural interfaces instead
 * of the DOM so it can be unit-tested in plain Node: `transport.ts` plugs in `window.fetch`,
 * `EventSource` and `sessionStorage`.
 *
 * Protocol (see src-shared/contract.ts): POST BRIDGE_CALL_PREFIX + channel with a bearer token,
 * answered by an RpcResponse envelope, also for transport-level refusals (401/403/…); events come
 * as named Server-Sent Events on BRIDGE_EVENTS_PATH.
 */
import { BRIDGE_CALL_PREFIX, BRIDGE_EVENTS_PATH, EVENT_NAMES } from '../../src-shared/contract';
import type { Transport } from '../../src-shared/client';
import type { RpcResponse } from '../../src-shared/errors';
import { createConnection, type MutableConnection } from './connection';
import { splitToken } from './hash-route';

export const TOKEN_STORAGE_KEY = 'funduslab.bridgeToken';
/** How long to wait before reopening an event stream the browser gave up on. */
export const EVENTS_RETRY_MS = 3000;

export interface FetchResponseLike {
  readonly status: number;
  text(): Promise<string>;
}
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<FetchResponseLike>;

export interface MessageEventLike {
  readonly data: unknown;
}
export interface EventSourceLike {
  readonly readyState: number;
  // `never`: the DOM's handlers take an Event; this code does not look at it.
  onopen: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  addEventListener(type: string, listener: (event: MessageEventLike) => void): void;
  close(): void;
}
export type EventSourceFactory = (url: string) => EventSourceLike;

/** EventSource.CLOSED: the browser will not reconnect by itself. */
const EVENT_SOURCE_CLOSED = 2;

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Reads `token` from a URL fragment such as `#token=abc` (other fragment parameters are kept), or
 * from a page address such as `#/jobs?token=abc` (the page is kept).
 */
export function tokenFromHash(hash: string): { token: string | null; remainingHash: string } {
  return splitToken(hash);
}

/**
 * The token for this page: a token in the fragment wins (a new launch prints a new link) and is
 * remembered for reloads; otherwise the remembered one. `cleanHash` receives the fragment without
 * the token so the caller can take it out of the address bar.
 */
export function resolveBridgeToken(
  hash: string,
  storage: KeyValueStorage | null,
  cleanHash: (remainingHash: string) => void,
): string | null {
  const { token, remainingHash } = tokenFromHash(hash);
  if (token) {
    try {
      storage?.setItem(TOKEN_STORAGE_KEY, token);
    } catch {
      // storage can be disabled; the token still works until the page is reloaded
    }
    cleanHash(remainingHash);
    return token;
  }
  try {
    return storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

function internalError(message: string): RpcResponse {
  return { ok: false, error: { code: 'INTERNAL', message } };
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface HttpTransportOptions {
  token: string;
  fetch: FetchLike;
  openEvents: EventSourceFactory;
  /** Told when the bridge refuses the token (HTTP 401), so the page can ask for a fresh link. */
  onUnauthorized?: () => void;
  setTimeout?: (fn: () => void, ms: number) => unknown;
}

export interface HttpTransport extends Transport {
  readonly connection: MutableConnection;
  /** Closes the event stream (tests; the page keeps it for its lifetime). */
  dispose(): void;
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const { token } = options;
  const schedule = options.setTimeout ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const connection = createConnection('connecting');
  const listeners = new Set<(event: string, payload: unknown) => void>();
  let source: EventSourceLike | null = null;
  let disposed = false;
  let everOpened = false;

  async function invoke(channel: string, payload: unknown): Promise<unknown> {
    let response: FetchResponseLike;
    try {
      response = await options.fetch(BRIDGE_CALL_PREFIX + encodeURIComponent(channel), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(payload ?? {}),
      });
    } catch (error) {
      return internalError(`FundusLab is not reachable: ${describeFailure(error)}`);
    }
    if (response.status === 401) {
      connection.set('unauthorized');
      options.onUnauthorized?.();
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return internalError(`FundusLab is not reachable: ${describeFailure(error)}`);
    }
    try {
      // The client validates the envelope; a non-envelope body becomes a clear error there.
      return JSON.parse(text) as unknown;
    } catch {
      return internalError(`FundusLab answered ${channel} with HTTP ${response.status} and a body that is not JSON.`);
    }
  }

  function openStream(): void {
    if (disposed) return;
    const es = options.openEvents(`${BRIDGE_EVENTS_PATH}?token=${encodeURIComponent(token)}`);
    source = es;
    es.onopen = () => {
      everOpened = true;
      connection.set('open');
    };
    es.onerror = () => {
      if (disposed || source !== es) return;
      connection.set(everOpened ? 'reconnecting' : 'connecting');
      // The browser retries by itself unless the answer was not an event stream: then it may be a
      // refused token (FundusLab restarted with a new link), which one plain call tells apart.
      if (es.readyState === EVENT_SOURCE_CLOSED) {
        es.close();
        source = null;
        void invoke('app.info', {}).then(() => {
          if (connection.get() !== 'unauthorized') schedule(openStream, EVENTS_RETRY_MS);
        });
      }
    };
    for (const name of EVENT_NAMES) {
      es.addEventListener(name, (event) => {
        if (typeof event.data !== 'string') return;
        let payload: unknown;
        try {
          payload = JSON.parse(event.data);
        } catch {
          return;
        }
        for (const listener of [...listeners]) {
          try {
            listener(name, payload);
          } catch {
            // one broken listener must not starve the others
          }
        }
      });
    }
  }

  return {
    connection,
    invoke,
    subscribe(listener) {
      listeners.add(listener);
      if (!source && !disposed) openStream();
      return () => {
        listeners.delete(listener);
      };
    },
    dispose() {
      disposed = true;
      source?.close();
      source = null;
    },
  };
}
