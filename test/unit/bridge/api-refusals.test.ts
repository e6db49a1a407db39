/**
 * The local API refuses what it should: the probes that found each hole, sent over HTTP to the HTTP
 * bridge in front of the real composed app (browser mode), each with the answer it must now give.
 */
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../../src-main/bridge/server';
import { composeApp, type ComposedApp } from '../../../src-main/host/compose';
import { NodeForkLauncher } from '../../../src-main/services/jobs/node-launcher';
import { memoryLogger } from '../../../src-main/services/log';
import { MemorySettingsStore } from '../../../src-main/services/settings/store';
import { workerEntry } from '../../../src-main/paths';
import { JOB_KINDS } from '../../../src-shared/jobs';
import { tempDir } from '../../support/files';
import { makeStudy } from '../../support/studies';

interface Answer {
  status: number;
  body: { ok: boolean; value?: unknown; error?: { code: string; message: string; issues?: { path: string; message: string }[] } };
  text: string;
  ms: number;
}

describe('the local API refuses what it should (bridge probes)', () => {
  let app: ComposedApp;
  let bridge: Bridge;
  let log: ReturnType<typeof memoryLogger>;
  let dir: string;
  let study: string;

  beforeAll(async () => {
    dir = await tempDir('api-refusals');
    log = memoryLogger();
    app = composeApp({
      host: 'browser',
      appVersion: '0.0.0-test',
      electronVersion: null,
      dataDir: path.join(dir, 'app'),
      settings: new MemorySettingsStore({ preferredBackend: 'cpu' }),
      launcher: new NodeForkLauncher(workerEntry(), log),
      dialogs: null,
      log,
    });
    bridge = await startBridge({ dispatch: app.dispatch, bus: app.bus, log, rendererDir: null });
    study = await makeStudy();
  });
  afterAll(async () => {
    await bridge.close();
    await app.shutdown();
  });

  /** POST /api/call/<rawChannel> with the token, as a browser page (or any local program) sends it. */
  const post = (rawChannel: string, payload: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const text = JSON.stringify(payload);
      const req = http.request(
        {
          host: '127.0.0.1',
          port: bridge.port,
          method: 'POST',
          path: `/api/call/${rawChannel}`,
          headers: {
            Host: `127.0.0.1:${bridge.port}`,
            Authorization: `Bearer ${bridge.token}`,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(text),
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Answer['body'], text: body, ms: Date.now() - started }),
          );
        },
      );
      req.on('error', reject);
      req.end(text);
    });

  it('datasets.csvPreview of /etc/shadow (and of a file like it) is refused without its content', async () => {
    const shadowLike = path.join(dir, 'shadow');
    await fsp.writeFile(shadowLike, 'root:$6$saltsalt$SECRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
    for (const file of ['/etc/shadow', shadowLike]) {
      const a = await post('datasets.csvPreview', { path: file });
      expect(a.status).toBe(400);
      expect(a.body.error).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'path' }] });
      expect(a.body.error!.message).toMatch(/expected a file ending in \.csv, \.tsv, \.txt/);
      expect(a.text).not.toMatch(/SECRETHASH|root:/);
    }
    // A link named like a label file that leads to it, binary content and a file over 10 MB are refused too.
    await fsp.symlink(shadowLike, path.join(dir, 'labels.csv'));
    await fsp.writeFile(path.join(dir, 'binary.csv'), Buffer.from([0x69, 0x6d, 0x61, 0x67, 0x65, 0x0a, 0x00, 0xff, 0xfe, 0x01]));
    await fsp.writeFile(path.join(dir, 'latin1.csv'), Buffer.from('image,grade\ncaf\xe9,1\n', 'latin1'));
    await fsp.writeFile(path.join(dir, 'huge.csv'), Buffer.alloc(10 * 1024 * 1024 + 1, 0x61));
    const expected: Record<string, RegExp> = {
      'labels.csv': /leads to .*shadow, which is not a label file/,
      'binary.csv': /is not a text file \(binary content\)/,
      'latin1.csv': /is not a text file \(binary content\)/,
      'huge.csv': /too large for a label CSV \(at most 10 MB, 10485760 bytes\)/,
    };
    for (const [name, message] of Object.entries(expected)) {
      const a = await post('datasets.csvPreview', { path: path.join(dir, name) });
      expect([name, a.status, a.body.error?.code]).toEqual([name, 400, 'BAD_REQUEST']);
      expect(a.body.error!.message).toMatch(message);
      expect(a.text).not.toMatch(/SECRETHASH/);
    }
    // A label file is still previewed.
    await fsp.writeFile(path.join(dir, 'ok.tsv'), 'image\tgrade\nx1\t2\n');
    expect((await post('datasets.csvPreview', { path: path.join(dir, 'ok.tsv') })).body).toEqual({
      ok: true,
      value: { columns: ['image', 'grade'], rows: [['x1', '2']], rowCount: 1 },
    });
  });

  it('report.build: a relative out, an out with "..", and an out onto an existing PDF are refused', async () => {
    const relative = await post('jobs.submit', { kind: 'report.build', params: { out: 'report.pdf' }, studyPath: study });
    expect(relative.status).toBe(400);
    expect(relative.body.error!.issues).toEqual([
      { path: 'params.out', message: 'Must be an absolute path to the PDF file, got "report.pdf"' },
    ]);
    const dotdot = await post('jobs.submit', { kind: 'report.build', params: { out: `${study}/../../escaped.pdf` }, studyPath: study });
    expect(dotdot.status).toBe(400);
    expect(dotdot.body.error!.issues![0]).toMatchObject({ path: 'params.out', message: expect.stringMatching(/without "\.\."/) });
    const existing = path.join(dir, 'existing.pdf');
    await fsp.writeFile(existing, '%PDF-1.7 the user’s own file');
    const onto = await post('jobs.submit', { kind: 'report.build', params: { out: existing }, studyPath: study });
    expect(onto.body).toEqual({
      ok: false,
      error: {
        code: 'CONFLICT',
        message: `${existing} already exists; the report does not replace it. Choose another file name, or send overwrite: true to replace it.`,
        issues: [{ path: 'params.out', message: 'the file exists (overwrite: true replaces it)' }],
      },
    });
    expect(await fsp.readFile(existing, 'utf8')).toBe('%PDF-1.7 the user’s own file');
    expect(app.jobs.list()).toEqual([]); // nothing was queued
  });

  it('jobs.submit: a relative studyPath is refused for every job kind (nothing is written in the working folder)', async () => {
    const before = await fsp.readdir(process.cwd());
    for (const kind of Object.keys(JOB_KINDS)) {
      const a = await post('jobs.submit', { kind, params: {}, studyPath: 'relative-study' });
      expect([kind, a.status]).toEqual([kind, 400]);
      expect(a.body.error!.issues).toContainEqual({
        path: 'studyPath',
        message: 'Must be an absolute path to the study folder, got "relative-study"',
      });
    }
    expect(await fsp.readdir(process.cwd())).toEqual(before);
    expect(existsSync(path.join(process.cwd(), 'relative-study'))).toBe(false);
    expect(app.jobs.list()).toEqual([]);
  });

  it('study.create under /proc/self/… answers an error at once (directly and through a link), and the bridge still answers', async () => {
    const direct = await post('study.create', { path: '/proc/self/cwd/funduslab-study/x', name: 'Probe' });
    expect(direct.status).toBe(400);
    expect(direct.body.error!.issues).toEqual([
      { path: 'path', message: 'Must be a path outside /proc: FundusLab never reads or writes the system folders /proc, /sys, /dev' },
    ]);
    expect(direct.ms).toBeLessThan(2000);
    for (const p of ['/sys/kernel/x', '/dev/shm/study', '/proc'])
      expect((await post('study.create', { path: p, name: 'Probe' })).status).toBe(400);
    await fsp.symlink('/proc/self', path.join(dir, 'self'));
    const linked = await post('study.create', { path: path.join(dir, 'self', 'x', 'y'), name: 'Probe' });
    expect(linked.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/under the system folder \/proc/) });
    expect(linked.ms).toBeLessThan(2000);
    // A job's study folder through the same link (it would write into the server's working folder).
    const job = await post('jobs.submit', { kind: 'report.build', params: {}, studyPath: path.join(dir, 'self', 'cwd') });
    expect(job.body.error).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'studyPath', message: 'leads under /proc' }] });
    const source = await post('jobs.submit', {
      kind: 'dataset.import',
      params: { type: 'eyepacs', path: path.join(dir, 'self', 'cwd') },
      studyPath: study,
    });
    expect(source.body.error).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'params.path', message: 'leads under /proc' }] });
    expect(app.jobs.list()).toEqual([]);
    // Weights are read in a worker: /dev/zero would never end, /proc/self/environ holds secrets.
    expect((await post('weights.inspect', { path: '/dev/zero' })).status).toBe(400);
    const environ = await post('weights.inspect', { path: path.join(dir, 'self', 'environ') });
    expect(environ.body.error).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'path', message: 'leads under /proc' }] });
    expect((await post('study.recent', {})).body).toEqual({ ok: true, value: [] });
  });

  it('a channel name with a malformed %-escape answers 400, without a stack trace in the log', async () => {
    const before = log.lines.length;
    for (const raw of ['%E0%A4%A', 'study.%', 'jobs.%zz']) {
      const a = await post(raw, {});
      expect([raw, a.status, a.body.error?.code]).toEqual([raw, 400, 'BAD_REQUEST']);
      expect(a.body.error!.message).toBe('Malformed channel name (a broken %-escape)');
    }
    const logged = log.lines
      .slice(before)
      .map((l) => l.message)
      .join('\n');
    expect(logged).not.toMatch(/URIError|\n\s+at /);
    expect(logged).not.toMatch(/bridge error/);
  });
});
