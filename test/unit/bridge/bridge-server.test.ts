import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS, type Channel } from '../../../src-shared/contract';
import { startBridge, MAX_BODY_BYTES, type Bridge } from '../../../src-main/bridge/server';
import { createDispatcher, type Handlers } from '../../../src-main/rpc/dispatch';
import { EventBus } from '../../../src-main/services/events';
import { memoryLogger } from '../../../src-main/services/log';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/security/csp';
import { tempDirSync } from '../../support/files';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (fetch would not let us forge Host or Origin headers). */
function request(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { Host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe('HTTP bridge', () => {
  let bridge: Bridge;
  let handlers: Record<Channel, ReturnType<typeof vi.fn>>;
  let bus: EventBus;
  let log: ReturnType<typeof memoryLogger>;
  let renderer: string;

  beforeEach(async () => {
    handlers = Object.fromEntries(CHANNELS.map((c) => [c, vi.fn(async () => [])])) as never;
    handlers['study.recent'].mockResolvedValue([{ path: '/s', name: 'S', openedAt: 't' }]);
    log = memoryLogger();
    bus = new EventBus();
    const base = tempDirSync('bridge');
    renderer = path.join(base, 'renderer');
    mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>FundusLab</title>');
    writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(base, 'secret.txt'), 'TOP-SECRET-CONTENT');
    bridge = await startBridge({ dispatch: createDispatcher(handlers as unknown as Handlers, log), bus, log, rendererDir: renderer });
  });
  afterEach(async () => bridge.close());

  const call = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
    request(bridge.port, {
      method: 'POST',
      path: `/api/call/${channel}`,
      headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('listens on 127.0.0.1 with a random port and a long random token in the URL fragment', () => {
    expect(bridge.origin).toBe(`http://127.0.0.1:${bridge.port}`);
    expect(bridge.port).toBeGreaterThan(0);
    expect(bridge.token.length).toBeGreaterThanOrEqual(40);
    expect(bridge.url).toBe(`${bridge.origin}/#token=${bridge.token}`);
  });

  it('answers a call with the token with the service result', async () => {
    const res = await call('study.recent', {});
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, value: [{ path: '/s', name: 'S', openedAt: 't' }] });
    expect(handlers['study.recent']).toHaveBeenCalledTimes(1);
  });

  it('refuses calls without the token, with a wrong token, or with a token of another launch', async () => {
    const other = await startBridge({ dispatch: createDispatcher(handlers as unknown as Handlers, log), bus, log, rendererDir: null });
    try {
      for (const auth of [
        undefined,
        '',
        'Bearer',
        'Bearer wrong',
        `Bearer ${bridge.token}x`,
        `Basic ${bridge.token}`,
        `Bearer ${other.token}`,
      ]) {
        const res = await request(bridge.port, {
          method: 'POST',
          path: '/api/call/study.recent',
          headers: { 'Content-Type': 'application/json', ...(auth === undefined ? {} : { Authorization: auth }) },
          body: '{}',
        });
        expect(res.status, String(auth)).toBe(401);
        expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
      }
    } finally {
      await other.close();
    }
    expect(handlers['study.recent']).not.toHaveBeenCalled();
    expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('wrong bridge token'))).toBe(true);
    // the token itself is never written to the log
    expect(log.lines.some((l) => l.message.includes(bridge.token))).toBe(false);
  });

  it('refuses other origins and other Host names (DNS rebinding), even with the token', async () => {
    const evilOrigin = await call('study.recent', {}, { Origin: 'https://evil.example' });
    expect(evilOrigin.status).toBe(403);
    const nullOrigin = await call('study.recent', {}, { Origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    const crossSite = await call('study.recent', {}, { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const rebound = await call('study.recent', {}, { Host: `evil.example:${bridge.port}` });
    expect(rebound.status).toBe(403);
    const otherPort = await request(bridge.port, { path: '/', headers: { Host: '127.0.0.1:1' } });
    expect(otherPort.status).toBe(403);
    expect(handlers['study.recent']).not.toHaveBeenCalled();
    const sameOrigin = await call('study.recent', {}, { Origin: bridge.origin });
    expect(sameOrigin.status).toBe(200);
  });

  it('malformed bodies, unknown channels and wrong methods get clear errors and reach no service', async () => {
    const notJson = await request(bridge.port, {
      method: 'POST',
      path: '/api/call/study.open',
      headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
      body: '{"path": ',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error.message).toMatch(/not valid JSON/);
    const badField = await call('study.open', { path: 12 });
    expect(badField.status).toBe(400);
    expect(JSON.parse(badField.body).error.issues[0].path).toBe('path');
    const unknown = await call('study.delete', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('UNKNOWN_CHANNEL');
    const wrongType = await call('study.recent', {}, { 'Content-Type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const get = await request(bridge.port, { path: '/api/call/study.recent', headers: { Authorization: `Bearer ${bridge.token}` } });
    expect(get.status).toBe(405);
    const huge = await request(bridge.port, {
      method: 'POST',
      path: '/api/call/study.open',
      headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: 'x'.repeat(MAX_BODY_BYTES + 10) }),
    });
    expect(huge.status).toBe(413);
    for (const c of CHANNELS) expect(handlers[c], c).not.toHaveBeenCalled();
  });

  it('serves the renderer with the CSP and refuses paths outside it', async () => {
    const index = await request(bridge.port, { path: '/' });
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['content-type']).toMatch(/text\/html/);
    const js = await request(bridge.port, { path: '/assets/app.js' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const res = await request(bridge.port, { path: p });
      expect(res.status, p).not.toBe(200);
      expect(res.body).not.toContain('TOP-SECRET-CONTENT');
    }
    expect((await request(bridge.port, { path: '/missing.js' })).status).toBe(404);
  });

  it('streams contract events to clients with the token, and only to them', async () => {
    const refused = await request(bridge.port, { path: '/api/events' });
    expect(refused.status).toBe(401);
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port: bridge.port, path: `/api/events?token=${encodeURIComponent(bridge.token)}` },
        (res) => {
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes(': connected')) {
              bus.emit('settings.changed', { recentStudies: [], preferredBackend: 'wasm', theme: 'dark' });
            }
            if (text.includes('event: settings.changed')) {
              req.destroy();
              resolve(text);
            }
          });
        },
      );
      req.on('error', reject);
    });
    expect(received).toContain('event: settings.changed\ndata: {"recentStudies":[],"preferredBackend":"wasm","theme":"dark"}');
  });
});
