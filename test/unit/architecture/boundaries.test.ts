import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT as root } from '../../support/files';
import { checkFile, importsOf, type Violation } from './import-rules';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir))) {
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|tsx|mts|cts)$/.test(entry)) out.push(rel);
  }
  return out;
}

describe('layering (docs/CONTRIBUTING.md)', () => {
  it('no file in src-shared, src-main or src-renderer breaks a rule', () => {
    const files = ['src-shared', 'src-main', 'src-renderer'].flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(20);
    const violations: Violation[] = files.flatMap((file) => checkFile(file, importsOf(readFileSync(path.join(root, file), 'utf8'), file)));
    expect(violations).toEqual([]);
  });

  it('the Electron layer is the one place that imports electron, and it does', () => {
    const importers = sourceFiles('src-main').filter((f) => importsOf(readFileSync(path.join(root, f), 'utf8'), f).includes('electron'));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.every((f) => f.startsWith('src-main/electron/'))).toBe(true);
  });
});

describe('the rule checker catches what it must', () => {
  const cases: Array<[string, string, string]> = [
    ['src-shared/x.ts', "import fs from 'node:fs';", 'Node built-ins'],
    ['src-shared/x.ts', "import { readFile } from 'fs';", 'Node built-ins'],
    ['src-shared/x.ts', "const p = require('path');", 'Node built-ins'],
    ['src-shared/x.ts', "import { app } from 'electron';", "'electron'"],
    ['src-shared/x.ts', "import { x } from '../src-main/services/log';", 'src-main'],
    ['src-shared/x.ts', "export * from '../src-renderer/app/theme';", 'src-renderer'],
    ['src-shared/x.ts', "type T = import('../src-main/paths').X;", 'src-main'],
    ['src-main/services/x.ts', "const e = await import('electron');", "'electron'"],
    ['src-main/engine/x.ts', "import Store from 'electron-store';", 'electron-store'],
    ['src-main/bridge/x.ts', "import { ipcMain } from 'electron/main';", "'electron'"],
    ['src-main/cli/x.ts', "import { thing } from '../electron/main';", 'Electron layer'],
    ['src-renderer/app/x.tsx', "import { ipcRenderer } from 'electron';", "'electron'"],
    ['src-renderer/app/x.tsx', "import os from 'node:os';", 'Node built-ins'],
    ['src-renderer/app/x.tsx', "import { startBridge } from '../../src-main/bridge/server';", 'src-main'],
    // Back-arrows between the floors of src-main.
    [
      'src-main/engine/x.ts',
      "import type { JobState } from '../services/jobs/job-service';",
      'back-arrow: src-main/engine must not import src-main/services',
    ],
    ['src-main/engine/models/x.ts', "import { writeResultFolder } from '../../services/study-folder/result-folder';", 'back-arrow'],
    [
      'src-main/services/training/x.ts',
      "import { runSpectra } from '../../analysis/spectra/service';",
      'back-arrow: src-main/services must not import src-main/analysis',
    ],
    [
      'src-main/analysis/lrp/x.ts',
      "import { buildReport } from '../../report/report';",
      'back-arrow: src-main/analysis must not import src-main/report',
    ],
    [
      'src-main/report/x.ts',
      "import { runStudy } from '../study-run/run-study';",
      'back-arrow: src-main/report must not import src-main/study-run',
    ],
    ['src-main/study-run/x.ts', "import { TASKS } from '../worker/tasks';", 'back-arrow'],
    ['src-main/fs/x.ts', "import { studyLayout } from '../services/study-folder/layout';", 'back-arrow'],
    [
      'src-main/job-context.ts',
      "import { initEngine } from './engine/backend';",
      'back-arrow: src-main/*.ts | src-main/fs | src-main/random must not import src-main/engine',
    ],
    ['src-main/random/x.ts', "const m = await import('../analysis/corruptions');", 'back-arrow'],
    ['src-main/newfolder/x.ts', "import { initEngine } from '../engine/backend';", 'no floor'],
  ];
  it.each(cases)('%s: %s', (file, source, fragment) => {
    const violations = checkFile(file, importsOf(source, file));
    expect(violations.map((v) => v.rule).join('\n')).toContain(fragment);
  });

  it('accepts what is allowed', () => {
    expect(
      checkFile('src-main/electron/main.ts', importsOf("import { app } from 'electron'; import Store from 'electron-store';")),
    ).toEqual([]);
    expect(checkFile('src-shared/contract.ts', importsOf("import { z } from 'zod'; import { X } from './engine';"))).toEqual([]);
    expect(checkFile('src-renderer/app/x.tsx', importsOf("import { contract } from '../../src-shared/contract';"))).toEqual([]);
    // Down the floors and across the top floor.
    expect(
      checkFile(
        'src-main/study-run/x.ts',
        importsOf("import { runSpectra } from '../analysis/spectra/service'; import { buildReport } from '../report/report';"),
      ),
    ).toEqual([]);
    expect(
      checkFile(
        'src-main/services/training/x.ts',
        importsOf(
          "import { ResNet } from '../../engine/models/resnet'; import { mixSeedPair } from '../../random/prng'; import { throwIfCancelled } from '../../job-context';",
        ),
      ),
    ).toEqual([]);
    expect(
      checkFile(
        'src-main/cli/x.ts',
        importsOf("import { composeApp } from '../host/compose'; import { startBridge } from '../bridge/server';"),
      ),
    ).toEqual([]);
    expect(
      checkFile(
        'src-main/engine/x.ts',
        importsOf("import { writeFileAtomic } from '../fs/atomic'; import { APP_VERSION } from '../version';"),
      ),
    ).toEqual([]);
  });
});
