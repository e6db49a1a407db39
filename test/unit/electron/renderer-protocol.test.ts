import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src-main/services/log';
import {
  containedPath,
  createRendererHandler,
  mimeTypeFor,
  rendererRelativePath,
  resolveRendererPath,
} from '../../../src-main/electron/renderer-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/electron/security';
import { tempDirSync } from '../../support/files';

describe('resolveRendererPath (posix)', () => {
  const dir = '/opt/funduslab/dist/renderer';

  it.each([
    ['app://funduslab/', 'index.html'],
    ['app://funduslab', 'index.html'],
    ['app://funduslab/index.html', 'index.html'],
    ['app://funduslab/assets/index-abc123.js', 'assets/index-abc123.js'],
    ['app://funduslab/assets/index.css?v=3#x', 'assets/index.css'],
    ['app://funduslab/fonts/Roboto%20Regular.woff2', 'fonts/Roboto Regular.woff2'],
    // the URL parser removes dot segments before we see them; what remains stays inside the dir
    ['app://funduslab/../../etc/passwd', 'etc/passwd'],
    ['app://funduslab/a/%2e%2e/%2E%2E/%2e%2e/etc/passwd', 'etc/passwd'],
    ['app://funduslab/assets/./x.js', 'assets/x.js'],
    ['app://funduslab/%2e%2e', 'index.html'],
  ])('%s → <renderer>/%s', (url, relative) => {
    expect(resolveRendererPath(dir, url, path.posix)).toBe(path.posix.join(dir, relative));
  });

  it.each([
    'app://funduslab/..%2f..%2fetc%2fpasswd',
    'app://funduslab/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'app://funduslab/..%2F..%2F..%2Fetc%2Fpasswd',
    'app://funduslab/..%5c..%5cwindows%5cwin.ini',
    'app://funduslab/..\\..\\etc\\passwd',
    'app://funduslab/assets\\..\\..\\secret',
    'app://funduslab/index.html%00.png',
    'app://funduslab/%E0%A4%A', // malformed escape
    'app://funduslab/C:/Windows/win.ini',
    'app://evil/index.html',
    'app://funduslab.evil/index.html',
    'app://user:pw@funduslab/index.html',
    'file:///etc/passwd',
    'https://funduslab/index.html',
    'not a url',
  ])('refuses %s', (url) => {
    expect(resolveRendererPath(dir, url, path.posix)).toBeNull();
  });

  it('never returns a path outside the renderer directory (fuzzed segments)', () => {
    const pieces = ['..', '.', '%2e%2e', '%2E.', '.%2e', '%2f', '%5c', '\\', 'a', 'assets', '%00', '', 'C:', '~'];
    for (let i = 0; i < 5000; i++) {
      const segs = Array.from({ length: 1 + (i % 6) }, (_, k) => pieces[(i * 7 + k * 13 + ((i >> 3) % 5)) % pieces.length]);
      const resolved = resolveRendererPath(dir, `app://funduslab/${segs.join('/')}`, path.posix);
      if (resolved !== null) expect(resolved.startsWith(`${dir}/`)).toBe(true);
    }
  });
});

describe('resolveRendererPath (win32)', () => {
  const dir = 'C:\\Program Files\\FundusLab\\resources\\app.asar\\dist\\renderer';

  it('maps app URLs below the renderer directory', () => {
    expect(resolveRendererPath(dir, 'app://funduslab/assets/a.js', path.win32)).toBe(`${dir}\\assets\\a.js`);
  });

  it.each([
    'app://funduslab/..%5c..%5c..%5cWindows%5cwin.ini',
    'app://funduslab/..\\..\\Windows\\win.ini',
    'app://funduslab/C:%5cWindows%5cwin.ini',
    'app://funduslab/C:/Windows/win.ini',
    'app://funduslab/D:',
    'app://funduslab/file.txt:stream',
  ])('refuses %s', (url) => {
    expect(resolveRendererPath(dir, url, path.win32)).toBeNull();
  });
});

describe('each layer refuses traversal on its own', () => {
  it.each([
    'app://funduslab/..%2f..%2fetc%2fpasswd',
    'app://funduslab/..%5c..%5csecret',
    'app://funduslab/..\\..\\secret',
    'app://funduslab/a%00b',
    'app://funduslab/C:/x',
  ])('URL layer: %s → null', (url) => {
    expect(rendererRelativePath(url)).toBeNull();
  });

  it.each([
    ['../../etc/passwd', path.posix],
    ['assets/../../secret', path.posix],
    ['/etc/passwd', path.posix],
    ['..', path.posix],
    ['.', path.posix],
    ['..\\..\\Windows\\win.ini', path.win32],
    ['C:\\Windows\\win.ini', path.win32],
    ['D:secret', path.win32],
    ['\\\\server\\share\\x', path.win32],
  ])('path layer: %s → null', (relative, api) => {
    const dir = api === path.win32 ? 'C:\\FundusLab\\renderer' : '/opt/funduslab/renderer';
    expect(containedPath(dir, relative, api)).toBeNull();
  });

  it('path layer: keeps ordinary files', () => {
    expect(containedPath('/opt/r', 'assets/a.js', path.posix)).toBe('/opt/r/assets/a.js');
    expect(containedPath('/opt/r', '..foo/a.js', path.posix)).toBe('/opt/r/..foo/a.js');
    expect(containedPath('C:\\r', 'assets/a.js', path.win32)).toBe('C:\\r\\assets\\a.js');
  });
});

describe('mimeTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['assets/index-1.js', 'text/javascript; charset=utf-8'],
    ['a/b.MJS', 'text/javascript; charset=utf-8'],
    ['assets/index.css', 'text/css; charset=utf-8'],
    ['x.json', 'application/json; charset=utf-8'],
    ['x.js.map', 'application/json; charset=utf-8'],
    ['icon.svg', 'image/svg+xml'],
    ['i.png', 'image/png'],
    ['i.JPG', 'image/jpeg'],
    ['f.woff2', 'font/woff2'],
    ['m.wasm', 'application/wasm'],
    ['favicon.ico', 'image/x-icon'],
    ['LICENSE', 'application/octet-stream'],
    ['.hidden', 'application/octet-stream'],
    ['dir.v2/file', 'application/octet-stream'],
    ['x.exe', 'application/octet-stream'],
  ])('%s → %s', (file, type) => {
    expect(mimeTypeFor(file)).toBe(type);
  });
});

describe('createRendererHandler', () => {
  let dir: string;
  let outside: string;
  beforeAll(() => {
    const base = tempDirSync('renderer');
    dir = path.join(base, 'renderer');
    outside = path.join(base, 'secret.txt');
    mkdirSync(path.join(dir, 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>FundusLab</title>');
    writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(outside, 'top secret');
  });
  afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  const get = (url: string, method = 'GET') => createRendererHandler({ rendererDir: dir })(new Request(url, { method }));

  it('serves files with their MIME type and the CSP', async () => {
    const response = await get('app://funduslab/assets/app.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe('console.log(1)');
  });

  it('serves index.html at / and for extension-less client routes', async () => {
    for (const url of ['app://funduslab/', 'app://funduslab/study/runs']) {
      const response = await get(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await response.text()).toContain('<title>FundusLab</title>');
    }
  });

  it('answers 404 with the CSP for missing assets and for traversal attempts, never leaking the file', async () => {
    const log = memoryLogger();
    const handler = createRendererHandler({ rendererDir: dir, log });
    for (const url of [
      'app://funduslab/assets/missing.js',
      'app://funduslab/..%2fsecret.txt',
      'app://funduslab/..%5csecret.txt',
      'app://other/index.html',
    ]) {
      const response = await handler(new Request(url));
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(await response.text()).not.toContain('top secret');
    }
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
  });

  it('answers HEAD without a body and refuses other methods with 405', async () => {
    const head = await get('app://funduslab/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await get('app://funduslab/index.html', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('answers 500 (not the file, not a crash) when reading fails for another reason', async () => {
    const log = memoryLogger();
    const handler = createRendererHandler({
      rendererDir: dir,
      log,
      readFile: async () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    });
    const response = await handler(new Request('app://funduslab/index.html'));
    expect(response.status).toBe(500);
    expect(log.lines.some((l) => l.level === 'error')).toBe(true);
  });
});
