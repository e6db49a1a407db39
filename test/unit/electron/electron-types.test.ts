/**
 * src-main/electron is type-checked (npm run typecheck) against the local declaration file
 * src-main/electron/electron-api.d.ts, because the electron package is often not installed (its
 * installer downloads the binary). Wherever the real declarations exist, this test compiles the
 * same sources against them instead (without the local file), so a signature we got wrong fails.
 * Real declarations: node_modules/electron/electron.d.ts, or the electron.d.ts named by
 * FUNDUSLAB_ELECTRON_TYPES (e.g. from `npm pack electron@<version>`).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT as root } from '../../support/files';

const realTypes = [process.env.FUNDUSLAB_ELECTRON_TYPES, path.join(root, 'node_modules', 'electron', 'electron.d.ts')].find(
  (candidate): candidate is string => typeof candidate === 'string' && candidate !== '' && existsSync(candidate),
);

describe('src-main/electron against the real Electron type declarations', () => {
  it.skipIf(realTypes === undefined)(
    'type-checks without the local electron-api.d.ts',
    () => {
      const dir = path.join(root, 'src-main', 'electron');
      const sources = readdirSync(dir)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
        .map((f) => path.join(dir, f));
      const program = ts.createProgram([realTypes!, ...sources], {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        strict: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        esModuleInterop: true,
        resolveJsonModule: true,
        isolatedModules: true,
        skipLibCheck: true,
        noEmit: true,
        lib: ['lib.es2023.d.ts'],
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
      });
      const used = program.getSourceFiles().map((f) => f.fileName);
      expect(used.some((f) => f.endsWith('electron-api.d.ts'))).toBe(false);
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) =>
        ts.formatDiagnostic(d, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => root,
          getNewLine: () => '\n',
        }),
      );
      expect(diagnostics).toEqual([]);
    },
    120_000,
  );
});
