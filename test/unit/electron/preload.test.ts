import { build } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { CHANNELS, EVENT_NAMES, IPC_EVENT, IPC_INVOKE, PRELOAD_GLOBAL } from '../../../src-shared/contract';
import * as channels from '../../../src-main/electron/channels';
import { createPreloadApi, type IpcRendererLike } from '../../../src-main/electron/preload-api';
import { REPO_ROOT as root } from '../../support/files';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** A stand-in for ipcRenderer that records calls and lets the test emit events. */
class FakeIpcRenderer implements IpcRendererLike {
  readonly invoked: unknown[][] = [];
  readonly listeners = new Map<string, Listener[]>();
  answer: (channel: string, ...args: unknown[]) => Promise<unknown> = async () => ({ ok: true, value: 'answer' });

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push([channel, ...args]);
    return this.answer(channel, ...args);
  }
  on(channel: string, listener: Listener): this {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
    return this;
  }
  removeListener(channel: string, listener: Listener): this {
    this.listeners.set(
      channel,
      (this.listeners.get(channel) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
  emit(channel: string, ...args: unknown[]): void {
    const event = { sender: this, ports: [], secret: 'ipc-renderer-event' };
    for (const listener of this.listeners.get(channel) ?? []) listener(event, ...args);
  }
  count(channel: string): number {
    return this.listeners.get(channel)?.length ?? 0;
  }
}

describe('zod-free IPC constants used by the preload', () => {
  it('equal the contract', () => {
    expect(channels.IPC_INVOKE).toBe(IPC_INVOKE);
    expect(channels.IPC_EVENT).toBe(IPC_EVENT);
    expect(channels.PRELOAD_GLOBAL).toBe(PRELOAD_GLOBAL);
    expect([...channels.PRELOAD_CHANNELS].sort()).toEqual([...CHANNELS].sort());
    expect([...channels.PRELOAD_EVENT_NAMES].sort()).toEqual([...EVENT_NAMES].sort());
  });
});

describe('createPreloadApi', () => {
  it('is exactly one frozen object with exactly invoke and subscribe', () => {
    const api = createPreloadApi(new FakeIpcRenderer());
    expect(Object.keys(api).sort()).toEqual(['invoke', 'subscribe']);
    expect(typeof api.invoke).toBe('function');
    expect(typeof api.subscribe).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
    // nothing of ipcRenderer leaks through
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
  });

  it('forwards a known channel and its payload on the single invoke channel and returns the answer', async () => {
    const ipc = new FakeIpcRenderer();
    const api = createPreloadApi(ipc);
    const payload = { path: '/studies/a', name: 'A' };
    await expect(api.invoke('study.create', payload)).resolves.toEqual({ ok: true, value: 'answer' });
    expect(ipc.invoked).toEqual([[IPC_INVOKE, 'study.create', payload]]);
  });

  it.each([
    ['no.such.channel'],
    ['__proto__'],
    ['constructor'],
    [''],
    ['APP.INFO'],
    [42],
    [null],
    [undefined],
    [{ toString: () => 'app.info' }],
  ])('refuses channel %j locally with an UNKNOWN_CHANNEL envelope, without calling ipcRenderer', async (channel) => {
    const ipc = new FakeIpcRenderer();
    const api = createPreloadApi(ipc);
    const answer = (await api.invoke(channel as string, {})) as { ok: boolean; error: { code: string } };
    expect(answer.ok).toBe(false);
    expect(answer.error.code).toBe('UNKNOWN_CHANNEL');
    expect(ipc.invoked).toEqual([]);
  });

  it('turns a transport failure into an INTERNAL envelope instead of rejecting', async () => {
    const ipc = new FakeIpcRenderer();
    ipc.answer = async () => {
      throw new Error('An object could not be cloned.');
    };
    const api = createPreloadApi(ipc);
    await expect(api.invoke('app.info', {})).resolves.toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('subscribe forwards (name, payload) of known events without the IpcRendererEvent, and unsubscribe works once', () => {
    const ipc = new FakeIpcRenderer();
    const api = createPreloadApi(ipc);
    const received: unknown[][] = [];
    const unsubscribe = api.subscribe((...args) => received.push(args));
    expect(ipc.count(IPC_EVENT)).toBe(1);

    ipc.emit(IPC_EVENT, 'settings.changed', { theme: 'dark' });
    ipc.emit(IPC_EVENT, 'not.an.event', { x: 1 });
    ipc.emit(IPC_EVENT, 7, { x: 1 });
    ipc.emit('some-other-channel', 'settings.changed', { theme: 'light' });
    expect(received).toEqual([['settings.changed', { theme: 'dark' }]]);

    unsubscribe();
    expect(ipc.count(IPC_EVENT)).toBe(0);
    unsubscribe(); // idempotent
    ipc.emit(IPC_EVENT, 'settings.changed', { theme: 'light' });
    expect(received).toHaveLength(1);
  });

  it('keeps other subscribers alive when one listener throws, and rejects non-function listeners', () => {
    const ipc = new FakeIpcRenderer();
    const api = createPreloadApi(ipc);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: string[] = [];
    api.subscribe(() => {
      throw new Error('boom');
    });
    api.subscribe((name) => seen.push(name));
    ipc.emit(IPC_EVENT, 'jobs.update', {});
    expect(seen).toEqual(['jobs.update']);
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
    expect(() => api.subscribe('nope' as never)).toThrow(TypeError);
  });
});

describe('preload entry', () => {
  it('exposes exactly one object, createPreloadApi(ipcRenderer), under PRELOAD_GLOBAL', async () => {
    const exposed: Array<[string, unknown]> = [];
    const ipc = new FakeIpcRenderer();
    vi.resetModules();
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.push([key, api]) },
      ipcRenderer: ipc,
    }));
    await import('../../../src-main/electron/preload');
    vi.doUnmock('electron');
    expect(exposed).toHaveLength(1);
    const [key, api] = exposed[0]!;
    expect(key).toBe(PRELOAD_GLOBAL);
    expect(Object.keys(api as object).sort()).toEqual(['invoke', 'subscribe']);
    await (api as { invoke: (c: string, p: unknown) => Promise<unknown> }).invoke('app.info', {});
    expect(ipc.invoked).toEqual([[IPC_INVOKE, 'app.info', {}]]);
  });

  it('bundles (as scripts/build.mjs does) to a small CommonJS file that requires only electron and contains no zod', async () => {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { preload: 'src-main/electron/preload.ts' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['electron'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => f.includes('node_modules'))).toEqual([]);
    expect(inputs.every((f) => f.startsWith('src-main/electron/'))).toBe(true);
    const code = result.outputFiles[0]!.text;
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(required).toEqual(['electron']);
    expect(code).not.toMatch(/zod|ZodError/);
    expect(code.length).toBeLessThan(8_000);
  });
});
