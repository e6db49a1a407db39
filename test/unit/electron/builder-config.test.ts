/**
 * Checks electron-builder.yml with electron-builder's own machinery (no Electron download needed):
 * its config loader and JSON-schema validation, and its file matchers for `files` and `asarUnpack`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- electron-builder's configuration is untyped YAML and JSON */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { asarUnpackedPath, dawnBinaryPath } from '../../../src-main/engine/backend/webgpu';
import { REPO_ROOT as root } from '../../support/files';

const require = createRequire(import.meta.url);

// js-yaml arrives with electron-builder (which parses electron-builder.yml with it); it ships no types.
const { load } = require('js-yaml') as { load(text: string): unknown };

// app-builder-lib is electron-builder's library (CommonJS, no exports map): the very functions
// `electron-builder --config electron-builder.yml` runs.
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: unknown): Promise<Record<string, any>>;
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
};
const { getFileMatchers, getNodeModuleFileMatcher } = require('app-builder-lib/out/fileMatcher') as {
  getFileMatchers(
    config: unknown,
    name: string,
    defaultDestination: string,
    options: { macroExpander: (s: string) => string; customBuildOptions: unknown; globalOutDir: string; defaultSrc: string },
  ): Array<{ createFilter(): Filter }> | null;
  getNodeModuleFileMatcher(
    appDir: string,
    destination: string,
    macroExpander: (s: string) => string,
    platformSpecificBuildOptions: unknown,
    packager: unknown,
  ): { createFilter(): Filter };
};
type Filter = (file: string, stat: { isDirectory(): boolean; moduleFullFilePath?: string }) => boolean;

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};
const yamlText = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
const raw = load(yamlText) as Record<string, any>;

let config: Record<string, any>;
beforeAll(async () => {
  config = await getConfig(root, 'electron-builder.yml', null);
});

const destination = '/out/resources/app';
const identity = (s: string) => s;
const file = (relative: string) => ({ isDirectory: () => false, moduleFullFilePath: relative });

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema validation", async () => {
    await expect(validateConfiguration(config, { isEnabled: false, add() {} })).resolves.toBeUndefined();
  });

  it('the schema check is real: a misspelt option is rejected', async () => {
    await expect(validateConfiguration({ ...config, npmRebuilt: false }, { isEnabled: false, add() {} })).rejects.toThrow(/npmRebuilt/);
  });

  it('identifies the app and pins the Electron version to package.json (electron is an optionalDependency)', () => {
    expect(raw.appId).toBe('org.funduslab.app');
    expect(raw.productName).toBe('FundusLab');
    expect(raw.directories.output).toBe('release');
    expect(pkg.optionalDependencies.electron).toMatch(/^\d+\.\d+\.\d+$/);
    expect(String(raw.electronVersion)).toBe(pkg.optionalDependencies.electron);
    expect(raw.npmRebuild).toBe(false);
  });

  it('builds for all three OSes with the requested targets and categories', () => {
    expect(raw.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(raw.linux.category).toBe('Science');
    expect(raw.linux.maintainer).toMatch(/<[^@>]+@[^>]+>/);
    expect(raw.win.target).toEqual(expect.arrayContaining(['nsis']));
    expect(raw.mac.target).toEqual(expect.arrayContaining(['dmg']));
    expect(raw.mac.category).toBe('public.app-category.medical');
  });

  it('has a real 512x512 icon, generated from the committed SVG', async () => {
    const icon = path.join(root, raw.icon as string);
    expect(existsSync(icon)).toBe(true);
    const meta = await sharp(icon).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 512, height: 512, hasAlpha: true });
    expect(existsSync(path.join(root, 'assets', 'icon.svg'))).toBe(true);
    expect(existsSync(path.join(root, 'scripts', 'make-icons.mjs'))).toBe(true);
  });

  it('flips the security fuses', () => {
    expect(raw.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});

describe('files', () => {
  it('packages the build, package.json and assets, but no sources or source maps', () => {
    const matcher = getFileMatchers(config, 'files', destination, {
      macroExpander: identity,
      customBuildOptions: {},
      globalOutDir: path.join(root, 'release'),
      defaultSrc: root,
    })![0]!;
    const filter = matcher.createFilter();
    const included = (relative: string) => filter(path.join(root, relative), { isDirectory: () => false });
    for (const f of [
      'dist/electron/main.js',
      'dist/electron/preload.cjs',
      'dist/worker.js',
      'dist/renderer/index.html',
      'package.json',
      'assets/icon.png',
    ]) {
      expect(included(f), f).toBe(true);
    }
    for (const f of [
      'dist/electron/main.js.map',
      'src-main/electron/main.ts',
      'test/unit/electron/main.test.ts',
      'electron-builder.yml',
      'release/x.AppImage',
    ]) {
      expect(included(f), f).toBe(false);
    }
  });

  it("excludes electron and its install-time helpers from the packaged node_modules (electron-builder's node-module matcher)", () => {
    const matcher = getNodeModuleFileMatcher(root, destination, identity, {}, { config, debugLogger: { isEnabled: false, add() {} } });
    const filter = matcher.createFilter();
    const kept = (relative: string) => filter(path.join(root, relative), file(relative));
    for (const f of [
      'node_modules/electron/index.js',
      'node_modules/electron/dist/electron',
      'node_modules/@electron/get/dist/index.js',
      'node_modules/extract-zip/index.js',
    ]) {
      expect(kept(f), f).toBe(false);
    }
    for (const f of [
      'node_modules/zod/index.js',
      'node_modules/sharp/lib/index.js',
      'node_modules/electron-store/index.js',
      'node_modules/electron-builder-x/index.js',
    ]) {
      expect(kept(f), f).toBe(true);
    }
  });

  it('excludes only packages the app itself never needs (checked against package-lock.json)', () => {
    const excluded = (raw.files as string[])
      .filter((p) => p.startsWith('!node_modules/'))
      .map((p) => p.slice('!'.length).replace(/\{,\/\*\*\}$/, ''));
    expect(excluded).toEqual(['node_modules/electron', 'node_modules/@electron/get', 'node_modules/extract-zip']);

    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
    };
    const resolve = (from: string, name: string): string | null => {
      let base = from;
      for (;;) {
        const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
        if (lock.packages[candidate]) return candidate;
        if (!base) return null;
        const cut = base.lastIndexOf('/node_modules/');
        base = cut < 0 ? '' : base.slice(0, cut);
      }
    };
    // everything the app's own production dependencies reach, electron left out
    const seen = new Set<string>();
    const stack = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })
      .filter((name) => name !== 'electron')
      .map((name) => resolve('', name))
      .filter((p): p is string => p !== null);
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (seen.has(at)) continue;
      seen.add(at);
      const entry = lock.packages[at]!;
      for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
        const next = resolve(at, dep);
        if (next) stack.push(next);
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    for (const dir of excluded) expect(seen.has(dir), `${dir} is needed by a production dependency`).toBe(false);
  });
});

describe('asarUnpack', () => {
  const unpackFilter = () =>
    getFileMatchers(config, 'asarUnpack', destination, {
      macroExpander: identity,
      customBuildOptions: {},
      globalOutDir: path.join(root, 'release'),
      defaultSrc: root,
    })![0]!.createFilter();

  it("every glob names sharp/@img, tfjs-node, tfjs-node-gpu, the wasm binaries, Dawn's builds or FundusLab's native kernels", () => {
    const globs = raw.asarUnpack as string[];
    expect(globs.length).toBeGreaterThan(0);
    for (const glob of globs)
      expect(glob).toMatch(
        /node_modules\/(sharp|@img|@tensorflow\/tfjs-node|@tensorflow\/tfjs-node-gpu)\/|tfjs-backend-wasm\/dist\/\*\.wasm$|node_modules\/webgpu\/dist\/\*\/\*\*$|^dist\/native\/\*\*$/,
      );
  });

  it.each([
    'node_modules/sharp/lib/sharp.js',
    'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node',
    'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.7',
    'node_modules/@img/sharp-win32-x64/lib/libvips-42.dll',
    'node_modules/@img/sharp-darwin-arm64/lib/sharp-darwin-arm64.node',
    'node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node',
    'node_modules/@tensorflow/tfjs-node/lib/napi-v8/tensorflow.dll',
    'node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow.so.2',
    'node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow_framework.2.dylib',
    'node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node',
    'node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so.2',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
    'dist/native/funduslab-native.node',
  ])('unpacks %s', (relative) => {
    expect(unpackFilter()(path.join(root, relative), file(relative))).toBe(true);
  });

  it.each([
    'dist/electron/main.js',
    'dist/worker.js',
    'node_modules/zod/index.js',
    'node_modules/@tensorflow/tfjs-core/dist/index.js',
    'node_modules/@tensorflow/tfjs-node/dist/index.js',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/index.js',
  ])('keeps %s inside the archive', (relative) => {
    expect(unpackFilter()(path.join(root, relative), file(relative))).toBe(false);
  });
});

describe('Dawn (npm webgpu) per target', () => {
  // Exactly the expansion electron-builder's platform packager gives the file patterns (platformPackager.createGetFileMatchersOptions).
  const { expandMacro } = require('app-builder-lib/out/util/macroExpander') as {
    expandMacro(pattern: string, arch: string | null, appInfo: object, extra: Record<string, string>): string;
  };
  const DAWN_BUILDS: Record<string, string[]> = {
    'linux-x64': ['dawn.node'],
    'linux-arm64': ['dawn.node'],
    'win32-x64': ['dawn.node', 'd3dcompiler_47.dll', 'dxcompiler.dll'],
    'win32-arm64': ['dawn.node', 'd3dcompiler_47.dll', 'dxcompiler.dll'],
    'darwin-universal': ['dawn.node'],
  };
  const dawnFiles = Object.entries(DAWN_BUILDS).flatMap(([dir, names]) => names.map((n) => `node_modules/webgpu/dist/${dir}/${n}`));
  // A universal macOS app is two builds (x64 and arm64) merged: each must carry the universal dawn.node.
  const targets = [
    { os: 'linux', arch: 'x64', ships: 'linux-x64' },
    { os: 'linux', arch: 'arm64', ships: 'linux-arm64' },
    { os: 'win', arch: 'x64', ships: 'win32-x64' },
    { os: 'mac', arch: 'x64', ships: 'darwin-universal' },
    { os: 'mac', arch: 'arm64', ships: 'darwin-universal' },
    { os: 'mac', arch: 'universal', ships: 'darwin-universal' },
  ];

  it('the package holds the builds these rules name (webgpu 0.6.2 layout)', () => {
    for (const f of dawnFiles.filter((f) => f.endsWith('dawn.node'))) expect(existsSync(path.join(root, f)), f).toBe(true);
    expect(existsSync(path.join(root, 'node_modules/webgpu/dist/win32-x64/d3dcompiler_47.dll'))).toBe(true);
  });

  it.each(targets)('$os $arch ships exactly the $ships build of Dawn, unpacked from the archive', ({ os, arch, ships }) => {
    const macroExpander = (s: string) => expandMacro(s, arch, {}, { os, '/*': '{,/**/*}' });
    const platformOptions = config[os] as Record<string, unknown>;
    const packager = { config, debugLogger: { isEnabled: false, add() {} } };
    const modules = getNodeModuleFileMatcher(root, destination, macroExpander, platformOptions, packager).createFilter();
    const kept = dawnFiles.filter((f) => modules(path.join(root, f), file(f)));
    expect(kept).toEqual(dawnFiles.filter((f) => f.startsWith(`node_modules/webgpu/dist/${ships}/`)));
    expect(kept.length).toBeGreaterThan(0);
    // the package's other files stay
    for (const f of ['node_modules/webgpu/package.json', 'node_modules/zod/index.js'])
      expect(modules(path.join(root, f), file(f)), f).toBe(true);

    const unpack = getFileMatchers(config, 'asarUnpack', destination, {
      macroExpander,
      customBuildOptions: platformOptions,
      globalOutDir: path.join(root, 'release'),
      defaultSrc: root,
    })![0]!.createFilter();
    for (const f of kept) expect(unpack(path.join(root, f), file(f)), f).toBe(true);
    expect(unpack(path.join(root, 'node_modules/webgpu/index.js'), file('node_modules/webgpu/index.js'))).toBe(false);
  });

  it('the webgpu backend loads dawn.node from app.asar.unpacked in a packaged app', () => {
    for (const resources of [
      '/opt/FundusLab/resources',
      'C:\\Program Files\\FundusLab\\resources',
      '/Applications/FundusLab.app/Contents/Resources',
    ]) {
      const sep = resources.includes('\\') ? '\\' : '/';
      const inArchive = [resources, 'app.asar', 'node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node'].join(sep);
      expect(asarUnpackedPath(inArchive)).toBe(
        [resources, 'app.asar.unpacked', 'node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node'].join(sep),
      );
    }
    // outside a packaged app, and already unpacked: unchanged
    expect(asarUnpackedPath('/repo/node_modules/webgpu/dist/linux-x64/dawn.node')).toBe(
      '/repo/node_modules/webgpu/dist/linux-x64/dawn.node',
    );
    expect(asarUnpackedPath('/r/app.asar.unpacked/node_modules/webgpu/dist/linux-x64/dawn.node')).toBe(
      '/r/app.asar.unpacked/node_modules/webgpu/dist/linux-x64/dawn.node',
    );
    const build = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
    expect(dawnBinaryPath({})).toBe(path.join(realpathSync(path.join(root, 'node_modules', 'webgpu')), 'dist', build, 'dawn.node'));
    expect(existsSync(dawnBinaryPath({}))).toBe(true);
  });
});
