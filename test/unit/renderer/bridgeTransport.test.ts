import { describe, it, expect, vi } from 'vitest';
import { createClient, RpcError } from '../../../src-shared/client';
import {
  EVENTS_RETRY_MS,
  TOKEN_STORAGE_KEY,
  createHttpTransport,
  resolveBridgeToken,
  tokenFromHash,
  type EventSourceLike,
  type FetchLike,
  type KeyValueStorage,
  type MessageEventLike,
} from '../../../src-renderer/app/bridgeTransport';

class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

class FakeEventSource implements EventSourceLike {
  readyState = 0;
  onopen: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  closed = false;
  readonly handlers = new Map<string, ((event: MessageEventLike) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEventLike) => void) {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data: unknown) {
    for (const h of this.handlers.get(type) ?? []) h({ data });
  }
  open() {
    this.readyState = 1;
    this.onopen?.(undefined as never);
  }
  fail(readyState: number) {
    this.readyState = readyState;
    this.onerror?.(undefined as never);
  }
}

function response(status: number, body: string) {
  return { status, text: async () => body };
}

function setup(fetchImpl: FetchLike) {
  const sources: FakeEventSource[] = [];
  const timers: (() => void)[] = [];
  let unauthorized = 0;
  const transport = createHttpTransport({
    token: 'tok en/+',
    fetch: fetchImpl,
    openEvents: (url) => {
      const es = new FakeEventSource(url);
      sources.push(es);
      return es;
    },
    onUnauthorized: () => {
      unauthorized += 1;
    },
    setTimeout: (fn, ms) => {
      expect(ms).toBe(EVENTS_RETRY_MS);
      timers.push(fn);
    },
  });
  return { transport, sources, timers, unauthorizedCount: () => unauthorized };
}

describe('bridge token', () => {
  it('reads the token from the fragment and keeps other fragment parameters', () => {
    expect(tokenFromHash('#token=abc123')).toEqual({ token: 'abc123', remainingHash: '' });
    expect(tokenFromHash('#token=abc&page=jobs')).toEqual({ token: 'abc', remainingHash: '#page=jobs' });
    expect(tokenFromHash('')).toEqual({ token: null, remainingHash: '' });
    expect(tokenFromHash('#token=')).toEqual({ token: null, remainingHash: '' });
  });

  it('remembers a fragment token for reloads and removes it from the address bar', () => {
    const storage = new MemoryStorage();
    const cleaned: string[] = [];
    expect(resolveBridgeToken('#token=first', storage, (h) => cleaned.push(h))).toBe('first');
    expect(storage.getItem(TOKEN_STORAGE_KEY)).toBe('first');
    expect(cleaned).toEqual(['']);
    // Reload: no fragment any more, the remembered token is used and the address bar is left alone.
    expect(resolveBridgeToken('', storage, (h) => cleaned.push(h))).toBe('first');
    expect(cleaned).toEqual(['']);
    // A new launch prints a new link: its token wins.
    expect(resolveBridgeToken('#token=second', storage, () => {})).toBe('second');
    expect(storage.getItem(TOKEN_STORAGE_KEY)).toBe('second');
  });

  it('has no token without fragment or storage', () => {
    expect(resolveBridgeToken('', new MemoryStorage(), () => {})).toBeNull();
    expect(resolveBridgeToken('', null, () => {})).toBeNull();
  });
});

describe('createHttpTransport calls', () => {
  it('POSTs the JSON payload with the bearer token and returns the envelope', async () => {
    const seen: { url: string; init: Parameters<FetchLike>[1] }[] = [];
    const { transport } = setup(async (url, init) => {
      seen.push({ url, init });
      return response(200, JSON.stringify({ ok: true, value: { path: null } }));
    });
    await expect(transport.invoke('dialog.pickFolder', { title: 'x' })).resolves.toEqual({ ok: true, value: { path: null } });
    expect(seen[0]?.url).toBe('/api/call/dialog.pickFolder');
    expect(seen[0]?.init.method).toBe('POST');
    expect(seen[0]?.init.headers).toEqual({ Authorization: 'Bearer tok en/+', 'Content-Type': 'application/json' });
    expect(JSON.parse(seen[0]?.init.body ?? '')).toEqual({ title: 'x' });
  });

  it('returns refusal envelopes (401) instead of throwing, and reports the refused token', async () => {
    const refusal = { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong token' } };
    const { transport, unauthorizedCount } = setup(async () => response(401, JSON.stringify(refusal)));
    await expect(transport.invoke('app.info', {})).resolves.toEqual(refusal);
    expect(unauthorizedCount()).toBe(1);
    expect(transport.connection.get()).toBe('unauthorized');
    // Through the client the refusal surfaces as an RpcError with its code.
    const error = await createClient(transport)
      .call('app.info', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe('UNAUTHORIZED');
  });

  it('turns a network failure into an INTERNAL envelope that says FundusLab is not reachable', async () => {
    const { transport } = setup(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(transport.invoke('app.info', {})).resolves.toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'FundusLab is not reachable: Failed to fetch' },
    });
  });

  it('turns a body that is not JSON into an INTERNAL envelope', async () => {
    const { transport } = setup(async () => response(502, '<html>Bad gateway</html>'));
    const envelope = (await transport.invoke('app.info', {})) as { ok: boolean; error: { code: string; message: string } };
    expect(envelope.ok).toBe(false);
    expect(envelope.error.code).toBe('INTERNAL');
    expect(envelope.error.message).toMatch(/HTTP 502/);
  });
});

describe('createHttpTransport events', () => {
  const job = {
    id: 'j1',
    kind: 'engine.selftest',
    title: 'Compute backend self-test',
    status: 'running',
    params: {},
    studyPath: null,
    createdAt: '2025-01-01T00:00:00Z',
    startedAt: '2025-01-01T00:00:01Z',
    endedAt: null,
    progress: { done: 1, total: 12, message: 'Step 1', etaSeconds: 5 },
    error: null,
    result: null,
    log: [],
  };

  it('opens one event stream with the token in the query and delivers named events to subscribers', () => {
    const { transport, sources } = setup(async () => response(200, '{}'));
    const received: [string, unknown][] = [];
    const off = transport.subscribe((name, payload) => received.push([name, payload]));
    transport.subscribe(() => {});
    expect(sources).toHaveLength(1);
    expect(sources[0]?.url).toBe('/api/events?token=tok%20en%2F%2B');
    expect([...(sources[0]?.handlers.keys() ?? [])].sort()).toEqual(['jobs.update', 'settings.changed']);
    sources[0]?.emit('jobs.update', JSON.stringify(job));
    sources[0]?.emit('jobs.update', 'not json');
    expect(received).toEqual([['jobs.update', job]]);
    off();
    sources[0]?.emit('jobs.update', JSON.stringify(job));
    expect(received).toHaveLength(1);
  });

  it('feeds the typed client, which drops payloads that fail the contract', () => {
    const { transport, sources } = setup(async () => response(200, '{}'));
    const updates: string[] = [];
    createClient(transport).on('jobs.update', (j) => updates.push(j.status));
    sources[0]?.emit('jobs.update', JSON.stringify(job));
    sources[0]?.emit('jobs.update', JSON.stringify({ ...job, status: 'exploded' }));
    expect(updates).toEqual(['running']);
  });

  it('tracks the connection and reopens a stream the browser gave up on', async () => {
    const { transport, sources, timers } = setup(async () => response(200, JSON.stringify({ ok: true, value: {} })));
    transport.subscribe(() => {});
    expect(transport.connection.get()).toBe('connecting');
    sources[0]?.open();
    expect(transport.connection.get()).toBe('open');
    sources[0]?.fail(0); // CONNECTING: the browser retries by itself
    expect(transport.connection.get()).toBe('reconnecting');
    expect(timers).toHaveLength(0);
    sources[0]?.fail(2); // CLOSED: we must reopen, once a probe call shows the token still works
    expect(sources[0]?.closed).toBe(true);
    await vi.waitFor(() => expect(timers).toHaveLength(1));
    timers[0]?.();
    expect(sources).toHaveLength(2);
    sources[1]?.open();
    expect(transport.connection.get()).toBe('open');
    transport.dispose();
    expect(sources[1]?.closed).toBe(true);
  });

  it('stops reopening the stream once the token is refused', async () => {
    const { transport, sources, timers, unauthorizedCount } = setup(async () =>
      response(401, JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong bridge token' } })),
    );
    transport.subscribe(() => {});
    sources[0]?.fail(2);
    await vi.waitFor(() => expect(transport.connection.get()).toBe('unauthorized'));
    expect(unauthorizedCount()).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(timers).toHaveLength(0);
  });
});
