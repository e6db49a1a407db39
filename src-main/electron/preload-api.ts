/**
 * The one object the preload exposes as `window.funduslab` (PreloadApi), built over any
 * ipcRenderer-like object so it is unit-tested without Electron. It never hands out ipcRenderer or
 * an IpcRendererEvent: `invoke` forwards only (known channel, payload) on the single invoke
 * channel, `subscribe` forwards only (known event name, payload) from the single event channel.
 *
 * Imports values only from ./channels (zod-free) to keep the sandboxed preload bundle tiny.
 */
import type { PreloadApi } from '../../src-shared/contract';
import type { RpcResponse } from '../../src-shared/errors';
import { IPC_EVENT, IPC_INVOKE, PRELOAD_CHANNELS, PRELOAD_EVENT_NAMES } from './channels';

/** What createPreloadApi needs from Electron's ipcRenderer. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

const KNOWN_CHANNELS: ReadonlySet<string> = new Set(PRELOAD_CHANNELS);
const KNOWN_EVENTS: ReadonlySet<string> = new Set(PRELOAD_EVENT_NAMES);

function describe(channel: unknown): string {
  return typeof channel === 'string' ? JSON.stringify(channel.slice(0, 80)) : typeof channel;
}

export function createPreloadApi(ipc: IpcRendererLike): PreloadApi {
  const api: PreloadApi = {
    invoke(channel: string, payload: unknown): Promise<unknown> {
      if (typeof channel !== 'string' || !KNOWN_CHANNELS.has(channel)) {
        const refused: RpcResponse = { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `Unknown channel ${describe(channel)}` } };
        return Promise.resolve(refused);
      }
      return ipc.invoke(IPC_INVOKE, channel, payload).catch((error: unknown) => {
        // Transport failures (e.g. an uncloneable payload) become an envelope too: invoke never rejects.
        const failed: RpcResponse = {
          ok: false,
          error: { code: 'INTERNAL', message: `IPC call ${channel} failed: ${error instanceof Error ? error.message : String(error)}` },
        };
        return failed;
      });
    },
    subscribe(listener: (event: string, payload: unknown) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('funduslab.subscribe expects a function');
      const forward = (_event: unknown, name: unknown, payload: unknown): void => {
        if (typeof name !== 'string' || !KNOWN_EVENTS.has(name)) return;
        try {
          listener(name, payload);
        } catch (error) {
          console.error(`funduslab event listener for ${name} threw`, error);
        }
      };
      ipc.on(IPC_EVENT, forward as (event: unknown, ...args: unknown[]) => void);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipc.removeListener(IPC_EVENT, forward as (event: unknown, ...args: unknown[]) => void);
      };
    },
  };
  return Object.freeze(api);
}
