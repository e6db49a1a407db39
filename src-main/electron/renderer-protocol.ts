/**
 * Serves the built renderer (dist/renderer) on the privileged `app://funduslab/` scheme. Pure
 * request → response logic over an injected file reader, so traversal safety, MIME types and the
 * security headers are unit-tested with real Request/Response objects and no Electron.
 */
import path from 'node:path';
import { readFile as fsReadFile } from 'node:fs/promises';
import type { Logger } from '../services/log';
import { mimeTypeFor } from '../security/csp';

export { mimeTypeFor };
import { APP_HOST, APP_SCHEME, SECURITY_HEADERS } from './security';

type PathApi = Pick<typeof path, 'resolve' | 'relative' | 'isAbsolute' | 'sep'>;

/**
 * The file path an app-scheme URL asks for, relative to the renderer directory ('/'-separated), or
 * null when the URL must not be served: another scheme or host, credentials, undecodable escapes,
 * encoded separators (`%2f`, `%5c`), backslashes, NUL bytes, drive letters or stream names (`:`),
 * and `.`/`..` segments that survived URL normalisation (they can only come from percent-encoding).
 * `/` asks for index.html. Query and fragment are ignored.
 */
export function rendererRelativePath(requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  if (url.username !== '' || url.password !== '') return null;

  const rawPath = url.pathname === '' ? '/' : url.pathname; // Chromium canonicalises standard schemes to '/'
  if (/%2f|%5c|%00/i.test(rawPath) || rawPath.includes('\\')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return null;

  const segments = decoded.split('/').slice(1);
  for (const segment of segments) {
    if (segment === '.' || segment === '..') return null;
    if (segment.includes(':')) return null;
  }
  const relative = segments.filter((s) => s !== '').join('/');
  return relative === '' ? 'index.html' : relative;
}

/**
 * `relative` resolved below `rootDir`, or null if it would land on or outside `rootDir` (the last
 * line of defence, independent of the URL checks). `pathApi` defaults to the host's `path`
 * (tests pass `path.win32` to check Windows separators and drives).
 */
export function containedPath(rootDir: string, relative: string, pathApi: PathApi = path): string | null {
  const root = pathApi.resolve(rootDir);
  const full = pathApi.resolve(root, relative);
  const fromRoot = pathApi.relative(root, full);
  if (fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${pathApi.sep}`) || pathApi.isAbsolute(fromRoot)) return null;
  return full;
}

/** Maps an app-scheme URL to a file inside `rendererDir`, or null (see the two functions above). */
export function resolveRendererPath(rendererDir: string, requestUrl: string, pathApi: PathApi = path): string | null {
  const relative = rendererRelativePath(requestUrl);
  return relative === null ? null : containedPath(rendererDir, relative, pathApi);
}

function errorResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}

/** True for paths without a file extension in their last segment (client-side routes). */
function looksLikeRoute(requestUrl: string): boolean {
  const pathname = new URL(requestUrl).pathname;
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  return !last.includes('.');
}

export interface RendererHandlerOptions {
  rendererDir: string;
  readFile?: (file: string) => Promise<Uint8Array>;
  log?: Logger;
}

/**
 * The `protocol.handle` handler. GET/HEAD only; 404 for anything outside dist/renderer or missing
 * (extension-less paths fall back to index.html so client-side routes survive a reload). Every
 * response, including errors, carries SECURITY_HEADERS (the CSP).
 */
export function createRendererHandler(options: RendererHandlerOptions): (request: Request) => Promise<Response> {
  const readFile = options.readFile ?? ((file: string) => fsReadFile(file));
  const indexPath = path.join(options.rendererDir, 'index.html');
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return errorResponse(405, 'Method not allowed');
    const file = resolveRendererPath(options.rendererDir, request.url);
    if (file === null) {
      options.log?.warn(`app protocol refused ${JSON.stringify(request.url.slice(0, 200))}`);
      return errorResponse(404, 'Not found');
    }
    let servedPath = file;
    let body: Uint8Array;
    try {
      body = await readFile(file);
    } catch (error) {
      if (!isMissing(error)) {
        options.log?.error(`app protocol could not read ${file}: ${error instanceof Error ? error.message : String(error)}`);
        return errorResponse(500, 'Internal error');
      }
      if (!looksLikeRoute(request.url)) return errorResponse(404, 'Not found');
      try {
        body = await readFile(indexPath);
        servedPath = indexPath;
      } catch {
        return errorResponse(404, 'Not found');
      }
    }
    const headers = { ...SECURITY_HEADERS, 'Content-Type': mimeTypeFor(servedPath) };
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
    const bytes = new Uint8Array(body.byteLength); // an ArrayBuffer-backed copy is a valid BodyInit under every lib
    bytes.set(body);
    return new Response(bytes, { status: 200, headers });
  };
}
