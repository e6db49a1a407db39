/**
 * The HTTP bridge: the same contract as Electron IPC, served on 127.0.0.1 so the real renderer
 * runs in an ordinary browser (browser mode, headless end-to-end tests). Every API request needs
 * the per-launch token; requests from another origin or through another Host name (DNS
 * rebinding) are refused. Static files are the built renderer, with the app's CSP.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BRIDGE_CALL_PREFIX, BRIDGE_EVENTS_PATH, BRIDGE_TOKEN_FRAGMENT } from '../../src-shared/contract';
import type { ErrorCode, RpcResponse } from '../../src-shared/errors';
import type { Dispatch } from '../rpc/dispatch';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/log';
import { SECURITY_HEADERS, mimeTypeFor } from '../security/csp';

export interface BridgeOptions {
  dispatch: Dispatch;
  bus: EventBus;
  log: Logger;
  /** Built renderer to serve; null serves the API only. */
  rendererDir: string | null;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token for tests; a fresh random one otherwise. */
  token?: string;
}

export interface Bridge {
  port: number;
  token: string;
  /** Origin the page must come from. */
  origin: string;
  /** URL to open: the app with the token in the fragment (never sent to the server, never logged). */
  url: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const SSE_KEEPALIVE_MS = 15_000;
/** `close()` resolves after this even if the server has not reported itself closed. */
export const CLOSE_DEADLINE_MS = 2_000;

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const sseClients = new Set<ServerResponse>();
  let port = 0;

  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, code: ErrorCode, message: string) => {
    options.log.warn(`bridge refused ${req.method} ${pathOf(req)} from ${req.socket.remoteAddress}: ${message}`);
    sendJson(res, status, { ok: false, error: { code, message } });
  };

  const tokenMatches = (candidate: string | null): boolean => {
    if (!candidate) return false;
    const bytes = Buffer.from(candidate);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.log.error(
        `bridge error on ${req.method} ${pathOf(req)}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'Internal bridge error; see the log.' } });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    if (!allowedHosts.has(req.headers.host ?? ''))
      return refuse(req, res, 403, 'FORBIDDEN', `Host ${JSON.stringify(req.headers.host ?? '')} is not this bridge`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
      return refuse(req, res, 403, 'FORBIDDEN', `Origin ${JSON.stringify(origin)} is not allowed`);
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') return refuse(req, res, 403, 'FORBIDDEN', 'Cross-site requests are not allowed');

    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname.startsWith(BRIDGE_CALL_PREFIX)) {
      if (req.method !== 'POST') return refuse(req, res, 405, 'BAD_REQUEST', 'API calls must use POST');
      const auth = req.headers.authorization ?? '';
      if (!tokenMatches(auth.startsWith('Bearer ') ? auth.slice(7) : null))
        return refuse(req, res, 401, 'UNAUTHORIZED', 'Missing or wrong bridge token');
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
        return refuse(req, res, 415, 'BAD_REQUEST', 'API calls must send Content-Type: application/json');
      }
      const body = await readBody(req, MAX_BODY_BYTES);
      if (body === null) return refuse(req, res, 413, 'BAD_REQUEST', `Request body larger than ${MAX_BODY_BYTES} bytes`);
      let payload: unknown;
      try {
        payload = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
      } catch (error) {
        return refuse(req, res, 400, 'BAD_REQUEST', `Request body is not valid JSON: ${(error as Error).message}`);
      }
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice(BRIDGE_CALL_PREFIX.length));
      } catch {
        return refuse(req, res, 400, 'BAD_REQUEST', 'Malformed channel name (a broken %-escape)');
      }
      const response = await options.dispatch(channel, payload, { transport: 'http' });
      return sendJson(res, statusFor(response), response);
    }
    if (url.pathname === BRIDGE_EVENTS_PATH) {
      if (req.method !== 'GET') return refuse(req, res, 405, 'BAD_REQUEST', 'The event stream is read with GET');
      if (!tokenMatches(url.searchParams.get(BRIDGE_TOKEN_FRAGMENT)))
        return refuse(req, res, 401, 'UNAUTHORIZED', 'Missing or wrong bridge token');
      return openEventStream(req, res);
    }
    if (url.pathname.startsWith('/api/')) return refuse(req, res, 404, 'UNKNOWN_CHANNEL', `No API route ${url.pathname}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(req, res, 405, 'BAD_REQUEST', 'Only GET serves files');
    return serveStatic(url.pathname, req, res);
  }

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(': connected\n\n');
    sseClients.add(res);
    const unsubscribe = options.bus.subscribe((event, payload) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
    req.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      sseClients.delete(res);
    });
  }

  async function serveStatic(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!options.rendererDir) return refuse(req, res, 404, 'NOT_FOUND', 'This bridge serves the API only');
    const root = path.resolve(options.rendererDir);
    let relative: string;
    try {
      relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return refuse(req, res, 400, 'BAD_REQUEST', 'Malformed path');
    }
    const file = path.resolve(root, '.' + relative.replace(/\\/g, '/'));
    if (file !== root && !file.startsWith(root + path.sep)) return refuse(req, res, 403, 'FORBIDDEN', 'Path outside the renderer');
    const stat = await fsp.stat(file).catch(() => null);
    if (!stat?.isFile()) return refuse(req, res, 404, 'NOT_FOUND', `No file ${pathname}`);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Content-Type': mimeTypeFor(file),
      'Content-Length': stat.size,
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  options.log.info(`bridge listening on ${origin}`);

  return {
    port,
    token,
    origin,
    url: `${origin}/#${BRIDGE_TOKEN_FRAGMENT}=${encodeURIComponent(token)}`,
    // Ends within CLOSE_DEADLINE_MS whatever is pending: every connection is cut, including one whose call still runs.
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_DEADLINE_MS);
        timer.unref();
        for (const client of sseClients) client.end();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

function statusFor(response: RpcResponse): number {
  if (response.ok) return 200;
  switch (response.error.code) {
    case 'BAD_REQUEST':
      return 400;
    case 'UNKNOWN_CHANNEL':
      return 404;
    case 'INTERNAL':
      return 500;
    case 'CONFLICT': // a save based on an older revision, a folder that already holds a study
    case 'BUSY': // another writer holds the study's lock
      return 409;
    default:
      return 200; // a service's answer ("not found", "conflict", …) travels in the envelope
  }
}

function sendJson(res: ServerResponse, status: number, body: RpcResponse): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0] ?? '';
}
