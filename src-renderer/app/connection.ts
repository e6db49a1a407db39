/**
 * The state of the link between this page and FundusLab's main side, as far as the renderer can
 * tell: the Electron preload is always `open`; the HTTP bridge's event stream can drop and come
 * back, and a rejected token makes it `unauthorized`. Pure: no DOM, no React.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface ConnectionMonitor {
  get(): ConnectionState;
  /** Called on every change; returns the unsubscribe function. */
  subscribe(listener: (state: ConnectionState) => void): () => void;
}

export interface MutableConnection extends ConnectionMonitor {
  set(state: ConnectionState): void;
}

export function createConnection(initial: ConnectionState): MutableConnection {
  let state = initial;
  const listeners = new Set<(state: ConnectionState) => void>();
  return {
    get: () => state,
    set(next) {
      // Once the token is refused, only a new page load (with a new link) can recover.
      if (next === state || state === 'unauthorized') return;
      state = next;
      for (const listener of [...listeners]) listener(state);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
