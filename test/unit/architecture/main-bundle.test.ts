/**
 * The Electron main process never loads TensorFlow.js: model code runs in worker processes, and the
 * main event loop only reads files (grid, runs, results, analyses). Checked on the built bundle
 * (test/setup/build.ts builds dist/ before the tests).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/files';

describe('main-process bundle', () => {
  it('contains no @tensorflow import', () => {
    const main = readFileSync(path.join(REPO_ROOT, 'dist', 'electron', 'main.js'), 'utf8');
    expect(main.length).toBeGreaterThan(10_000);
    expect(main.match(/@tensorflow\/[a-z-]+/g) ?? []).toEqual([]);
  });
});
