/**
 * The atomic result writer (services/study-folder/result-folder.ts): a process killed with SIGKILL
 * at any step of writing a result that replaces an earlier one loses neither (the old result, or
 * the new one once it is in place, is always readable and complete) and never shows half a result;
 * the next write cleans up what the crash left.
 */
import { fork } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listResultFolders, resultFolderOf, writeResultFolder } from '../../../src-main/services/study-folder/result-folder';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { bundleDriver } from '../../support/bundle-driver';
import { REPO_ROOT, tempDirSync } from '../../support/files';

const Result = z.object({ version: z.number() });
let driver: Awaited<ReturnType<typeof bundleDriver>>;

beforeAll(async () => {
  driver = await bundleDriver(path.join(import.meta.dirname, 'result-folder-driver.ts'), 'result-folder-driver');
}, 60_000);
afterAll(async () => driver?.remove());

async function writeVersion(parent: string, name: string, version: number): Promise<void> {
  await writeResultFolder({ parent, dir: path.join(parent, name) }, async (tmp) => {
    await fsp.writeFile(path.join(tmp, 'a.txt'), `a${version}`);
    await fsp.mkdir(path.join(tmp, 'gallery'));
    await fsp.writeFile(path.join(tmp, 'gallery', 'b.txt'), `b${version}`);
    await fsp.writeFile(path.join(tmp, 'result.json'), JSON.stringify({ version }));
  });
}

/** Runs the driver and waits until the process is gone; true when it was killed. */
function runDriver(parent: string, name: string, version: number, step: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = fork(driver.file, [parent, name, String(version), step], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve(true) : code === 0 ? resolve(false) : reject(new Error(`driver exited ${code}: ${stderr}`)),
    );
  });
}

/** The result as a reader sees it: its version, with every file of that same version. */
async function visible(parent: string, name: string): Promise<number> {
  const folder = resultFolderOf(parent, name);
  expect(folder, 'a complete result is readable').not.toBeNull();
  const { version } = Result.parse(JSON.parse(await fsp.readFile(path.join(folder!, 'result.json'), 'utf8')));
  expect(await fsp.readFile(path.join(folder!, 'a.txt'), 'utf8')).toBe(`a${version}`);
  expect(await fsp.readFile(path.join(folder!, 'gallery', 'b.txt'), 'utf8')).toBe(`b${version}`);
  return version;
}

describe('writeResultFolder under SIGKILL', () => {
  // Where the process dies → which result readers see afterwards.
  const cases: [string, number][] = [
    ['fill', 1], // half the new files written
    ['filled', 1], // new folder complete, not yet swapped
    ['moved-old-aside', 1], // between the two renames: only `.previous` holds a result
    ['moved-new-in', 2], // new in place, old not yet removed
    ['removed-old', 2],
  ];

  it.each(cases)(
    'killed at "%s": version %i is readable and complete, and nothing half-written is visible',
    async (step, expected) => {
      const study = tempDirSync('result-folder');
      const parent = studyLayout(study).folder('spectra');
      await writeVersion(parent, 'r', 1);
      expect(await runDriver(parent, 'r', 2, step)).toBe(true);

      expect(await visible(parent, 'r')).toBe(expected);
      const listed = await listResultFolders(study, 'spectra', Result);
      expect(listed).toEqual([{ version: expected }]);
      // Every folder a listing could show has a complete result.
      for (const entry of await fsp.readdir(parent))
        if (!entry.startsWith('.')) expect(existsSync(path.join(parent, entry, 'result.json')), entry).toBe(true);

      // The next write succeeds and leaves no temporary or previous folder behind.
      await writeVersion(parent, 'r', 3);
      expect(await visible(parent, 'r')).toBe(3);
      expect((await fsp.readdir(parent)).sort()).toEqual(['r']);
      await fsp.rm(study, { recursive: true, force: true });
    },
    60_000,
  );

  it('an error while filling removes the temporary folder and keeps the earlier result', async () => {
    const study = tempDirSync('result-folder');
    const parent = studyLayout(study).folder('robustness');
    await writeVersion(parent, 'r', 1);
    await expect(
      writeResultFolder({ parent, dir: path.join(parent, 'r') }, async (tmp) => {
        await fsp.writeFile(path.join(tmp, 'result.json'), '{"version": 2}');
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(await visible(parent, 'r')).toBe(1);
    expect(await fsp.readdir(parent)).toEqual(['r']);
    await fsp.rm(study, { recursive: true, force: true });
  });

  it('a first write killed before the swap leaves no result and no visible folder', async () => {
    const study = tempDirSync('result-folder');
    const parent = studyLayout(study).folder('explanations');
    expect(await runDriver(parent, 'r', 1, 'filled')).toBe(true);
    expect(resultFolderOf(parent, 'r')).toBeNull();
    expect(await listResultFolders(study, 'explanations', Result)).toEqual([]);
    expect((await fsp.readdir(parent)).filter((e) => !e.startsWith('.'))).toEqual([]);
    await writeVersion(parent, 'r', 2);
    expect(await visible(parent, 'r')).toBe(2);
    expect(await fsp.readdir(parent)).toEqual(['r']);
    await fsp.rm(study, { recursive: true, force: true });
  }, 60_000);
});
