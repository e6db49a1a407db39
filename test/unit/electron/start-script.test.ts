/**
 * `npm start` (scripts/start.mjs) where the optional Electron package could not be installed: it
 * must explain how to get Electron or use the browser, and exit non-zero, instead of the shell's
 * `electron: not found`. Where Electron is installed the script opens the app, so the check is
 * skipped there.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/files';

function electronInstalled(): boolean {
  try {
    createRequire(path.join(REPO_ROOT, 'package.json')).resolve('electron');
    return true;
  } catch {
    return false;
  }
}

describe('npm start without Electron', () => {
  it.skipIf(electronInstalled())('names the missing package, how to install it and npm run browser, and exits 1', () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.mjs')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the optional "electron" package is not installed');
    expect(r.stderr).toMatch(/npm install electron@\d+\.\d+\.\d+/);
    expect(r.stderr).toContain('npm run browser');
    expect(r.stderr).not.toContain('not found');
  });
});
