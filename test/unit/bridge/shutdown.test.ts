/**
 * `funduslab browser` (the HTTP bridge host) as a child process: a call on a path that never answers
 * does not keep it alive. SIGTERM while such a call hangs ends the process within 5 s, and a
 * study under /proc is refused at once.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../support/files';

interface Started {
  child: ChildProcess;
  port: number;
  token: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function startBrowserMode(home: string): Promise<Started> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'funduslab.js'), 'browser', '--json'], {
    env: { ...process.env, FUNDUSLAB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`funduslab browser exited with ${code} before it listened`)));
  });
  const { port, token } = JSON.parse(first) as { port: number; token: string };
  return { child, port, token, exited };
}

function call(s: Started, channel: string, payload: unknown): Promise<{ status: number; body: { ok: boolean; error?: { code: string } } }> {
  return fetch(`http://127.0.0.1:${s.port}/api/call/${channel}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { ok: boolean; error?: { code: string } } }));
}

describe('browser mode shuts down whatever is pending', () => {
  let started: Started | null = null;
  afterEach(() => {
    if (started && started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
    started = null;
  });

  it('refuses a study under /proc at once; SIGTERM while a call hangs on a FIFO ends the process within 5 s', async () => {
    const dir = await tempDir('shutdown');
    started = await startBrowserMode(path.join(dir, 'home'));
    const s = started;

    const t0 = Date.now();
    const proc = await call(s, 'study.create', { path: '/proc/self/cwd/funduslab-probe/x', name: 'Probe' });
    expect([proc.status, proc.body.error?.code]).toEqual([400, 'BAD_REQUEST']);
    expect(Date.now() - t0).toBeLessThan(2000);

    // A study folder whose study.json is a FIFO: reading it blocks a file system thread until someone writes (never).
    const study = path.join(dir, 'fifo-study');
    await fsp.mkdir(study);
    execFileSync('mkfifo', [path.join(study, 'study.json')]);
    const hanging = call(s, 'study.open', { path: study }).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.child.exitCode).toBeNull();

    const signalled = Date.now();
    s.child.kill('SIGTERM');
    const exit = await Promise.race([s.exited, new Promise<null>((r) => setTimeout(() => r(null), 8000))]);
    expect(exit, 'the process did not exit within 8 s of SIGTERM').not.toBeNull();
    expect(exit!.at - signalled).toBeLessThanOrEqual(5000);
    expect(exit!.code === 0 || exit!.signal === 'SIGTERM').toBe(true);
    await hanging; // the connection was cut (an error), never answered with success
  }, 30_000);
});
