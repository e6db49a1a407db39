/**
 * `npm install` on a supported Node version prints no EBADENGINE warning: every package the lock file
 * installs (optional ones included) accepts the oldest release of each Node line package.json
 * supports. npm warns exactly when a package's `engines.node` range does not contain the running
 * version, so checking the oldest supported release of each line (and the one running the tests)
 * checks what a user sees.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/files';

interface LockPackage {
  engines?: { node?: string } | string[];
  cpu?: string[];
}

/** FundusLab runs on x64 and arm64; npm installs a package limited to other CPUs (ia32, wasm32) nowhere it runs. */
const onSupportedCpu = (p: LockPackage): boolean => p.cpu === undefined || p.cpu.some((c) => c === 'x64' || c === 'arm64');

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockPackage>;
};

/** The oldest release of each Node line the `engines.node` range of package.json allows. */
function oldestSupported(range: string): string[] {
  return range.split('||').map((part) => {
    const min = semver.minVersion(part.trim());
    if (min === null) throw new Error(`package.json engines.node: no version satisfies "${part.trim()}"`);
    return min.version;
  });
}

/** Installed packages whose `engines.node` does not accept `version`, as "name@range". */
function refusing(version: string): string[] {
  const out: string[] = [];
  for (const [where, p] of Object.entries(lock.packages)) {
    if (where === '' || p.engines === undefined || Array.isArray(p.engines) || !onSupportedCpu(p)) continue;
    const range = p.engines.node;
    if (range === undefined) continue;
    if (!semver.satisfies(version, range, { includePrerelease: true }))
      out.push(`${where.replace(/^.*node_modules\//, '')} needs node ${range}`);
  }
  return out;
}

describe('Node engines of the installed packages', () => {
  const versions = oldestSupported(pkg.engines.node);

  it('package.json supports Node 20.19 and 22.13 (the lines the README names)', () => {
    expect(versions).toEqual(['20.19.0', '22.13.0']);
  });

  for (const version of [...versions, process.versions.node]) {
    it(`every package of the lock file accepts Node ${version}`, () => {
      expect(refusing(version)).toEqual([]);
    });
  }

  it('finds a package that refuses a Node version (the check can fail)', () => {
    expect(refusing('10.0.0').length).toBeGreaterThan(0);
  });
});

/**
 * npm 11.19+ runs a dependency's install script only when package.json's `allowScripts` lists it
 * (and ends the install with a review warning for every package it skipped): each package of the
 * lock file with an install script has a decision, so Electron and the native TensorFlow packages
 * get their binaries and the install ends without warnings.
 */
describe('install scripts of the dependencies', () => {
  const allow = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> })
    .allowScripts;
  const withScripts = Object.entries(lock.packages as Record<string, LockPackage & { hasInstallScript?: boolean }>)
    .filter(([where, p]) => where !== '' && p.hasInstallScript === true)
    .map(([where]) => where.replace(/^.*node_modules\//, ''));

  it('every package with an install script is allowed or denied in allowScripts', () => {
    expect(withScripts.length).toBeGreaterThan(2);
    expect(withScripts.filter((name) => allow?.[name] === undefined)).toEqual([]);
  });

  it('the packages that download binaries FundusLab uses are allowed', () => {
    for (const name of ['electron', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) expect(allow?.[name], name).toBe(true);
  });
});
