/**
 * Re-importing a dataset id: a re-import that would change a dataset that a run depends on is refused
 * without `replace` (naming the run; the dataset is left byte-identical), and with `--replace` it
 * replaces the dataset and the grid lists the run as outdated; a second import into the same id while
 * one runs is refused at once naming the dataset and the holder; an import killed (SIGKILL) at any
 * point leaves the old or the new dataset complete, and the next import finishes and cleans up.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readdirSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../../src-main/cli/commands/import';
import { initEngine } from '../../../src-main/engine/backend';
import { writeEyepacsDemo } from '../../../src-main/services/demo';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { getDataset } from '../../../src-main/services/datasets/view';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { gridView, saveGrid } from '../../../src-main/services/training/grid';
import { runGrid } from '../../../src-main/services/training/grid-run';
import { DatasetManifest, type ImportRequest } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { bundleDriver } from '../../support/bundle-driver';
import { captureExit } from '../../support/cli';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, makeStudy } from '../../support/studies';

const SETTINGS = { inputSize: 64, overlaySize: 64 };
let sourceA: string;
let sourceB: string;
let driver: Awaited<ReturnType<typeof bundleDriver>>;

beforeAll(async () => {
  const root = await tempDir('reimport-src');
  await writeEyepacsDemo(path.join(root, 'a'), { patients: 12, testPatients: 2, size: 96, seed: 7, distribution: 'balanced' });
  await writeEyepacsDemo(path.join(root, 'b'), { patients: 5, testPatients: 2, size: 96, seed: 11, distribution: 'balanced' });
  sourceA = path.join(root, 'a', 'eyepacs');
  sourceB = path.join(root, 'b', 'eyepacs');
  driver = await bundleDriver(path.join(import.meta.dirname, 'import-driver.ts'), 'reimport-driver');
}, 120_000);
afterAll(async () => driver?.remove());

const request = (source: string, id: string, over: Partial<ImportRequest> = {}): ImportRequest =>
  ({ type: 'eyepacs', path: source, id, settings: SETTINGS, concurrency: 2, ...over }) as ImportRequest;

/** Every file under `dir` (relative path → size, mtime and SHA-256); folders are left out (a lock file changes their mtime). */
async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        const st = await fsp.stat(full);
        out.set(
          path.relative(dir, full),
          `${st.size} ${st.mtimeMs} ${createHash('sha256')
            .update(await fsp.readFile(full))
            .digest('hex')}`,
        );
      }
    }
  };
  await walk(dir);
  return out;
}

const sha = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

/**
 * The dataset is complete: its manifest parses, every cache file it names exists with the SHA-256 it records,
 * and the dataset view reads the validation report of that very manifest. Returns the manifest.
 */
async function expectComplete(study: string, id: string): Promise<DatasetManifest> {
  const layout = studyLayout(study).dataset(id);
  const manifest = DatasetManifest.parse(JSON.parse(await fsp.readFile(layout.manifest, 'utf8')));
  for (const item of manifest.items) {
    expect(item.cache, item.id).toBeDefined();
    for (const [file, hash] of [
      [item.cache!.input, item.cache!.inputSha256],
      [item.cache!.overlay, item.cache!.overlaySha256],
    ] as const) {
      const abs = path.join(layout.dir, file);
      expect(existsSync(abs), `${file} of ${item.id}`).toBe(true);
      expect(sha(await fsp.readFile(abs)), `${file} of ${item.id}`).toBe(hash);
    }
  }
  const detail = await getDataset(study, id);
  expect(detail.summary).toMatchObject({
    readable: true,
    items: manifest.items.length,
    reportProblem: null,
    candidates: manifest.items.length,
  });
  return manifest;
}

describe('re-import of a dataset that a run was trained on', () => {
  it('is refused without replace (naming the run; dataset byte-identical), allowed for unchanged content, and --replace outdates the run', async () => {
    const study = await makeStudy();
    await importDataset(request(sourceA, 'demo'), study, recordingContext());
    await initEngine({ preference: 'auto' });
    const { strategy: _s, seed: _seed, ...base } = demoSpec({ epochs: 1, inputSize: 32, arch: 'resnet18-w4' });
    await saveGrid(study, { strategies: ['IWNE-FS'], fractions: [1], seeds: [0], base });
    expect((await runGrid(study, recordingContext())).map((o) => o.status)).toEqual(['succeeded']);
    const runId = (await gridView(study)).cells[0]!.runId;
    const dir = studyLayout(study).dataset('demo').dir;
    const before = await files(dir);

    // Another folder under the same id: refused at once, naming the run; nothing in the dataset changed.
    const refused = await importDataset(request(sourceB, 'demo'), study, recordingContext()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'CONFLICT', issues: [{ path: 'replace' }] });
    expect((refused as Error).message).toBe(
      `Dataset "demo" already exists and 1 item of the study depends on it: run ${runId}. ` +
        `This import would replace it (source folder ${sourceA} → ${sourceB}). Nothing was changed. ` +
        'Import with --replace (in the app: confirm the replacement) to replace it: these items stay in the study and are marked outdated, ' +
        'as their dataset changed; or import under another id (--id).',
    );
    expect(await files(dir)).toEqual(before);

    // The same folder again (its content unchanged) needs no replace: the run stays current.
    const again = await importDataset(request(sourceA, 'demo'), study, recordingContext());
    expect(again).toMatchObject({ processed: 0, cached: again.imported });
    expect((await gridView(study)).cells[0]).toMatchObject({ runId, status: 'done' });

    // The same folder with a changed grade: refused after the check, nothing changed.
    const labels = path.join(sourceA, 'trainLabels.csv');
    const original = await fsp.readFile(labels, 'utf8');
    const [head, first, ...rest] = original.trimEnd().split('\n');
    const [image, grade] = first!.split(',');
    await fsp.writeFile(labels, [head, `${image},${(Number(grade) + 1) % 5}`, ...rest].join('\n') + '\n');
    const manifestBefore = await fsp.readFile(studyLayout(study).dataset('demo').manifest);
    try {
      await expect(importDataset(request(sourceA, 'demo'), study, recordingContext())).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining(`run ${runId}. This import would replace it (its images, grades or splits changed;`),
      });
    } finally {
      await fsp.writeFile(labels, original);
    }
    expect(await fsp.readFile(studyLayout(study).dataset('demo').manifest)).toEqual(manifestBefore);

    // --replace: the dataset is B's now, and the grid lists the run as outdated (a new cell folder is pending).
    const { code } = await captureExit(() =>
      runImport(['eyepacs', sourceB, '--study', study, '--id', 'demo', '--input-size', '64', '--overlay-size', '64', '--replace']),
    );
    expect(code).toBe(0);
    const manifest = await expectComplete(study, 'demo');
    expect(manifest.source).toBe(sourceB);
    const view = await gridView(study);
    expect(view.cells[0]).toMatchObject({ runId: `${runId}-v2`, status: 'pending' });
    expect(view.others?.map((o) => [o.runId, o.standing.outdated, o.standing.reasons])).toEqual([
      [runId, true, ['dataset content changed']],
    ]);
  }, 120_000);
});

describe('two imports into one dataset id at once', () => {
  it('the second is refused at once naming the dataset and the holder; the first leaves a complete dataset', async () => {
    const study = await makeStudy();
    const ctx = recordingContext();
    const first = importDataset(request(sourceA, 'twice'), study, ctx);
    // The first is checking its images (it holds the dataset's lock by then).
    while (!ctx.messages.some((m) => m.includes('images to check'))) await new Promise((r) => setTimeout(r, 5));
    const second = await importDataset(request(sourceB, 'twice'), study, recordingContext()).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'BUSY', issues: [{ path: 'id' }] });
    expect((second as Error).message).toMatch(
      new RegExp(
        `^Dataset "twice" is being imported by an import of dataset "twice" \\(pid ${process.pid} on host ${os.hostname()}, since .+\\): ` +
          'wait until that import ends, then import again\\.$',
      ),
    );
    await first;
    const manifest = await expectComplete(study, 'twice');
    expect(manifest.source).toBe(sourceA);
    expect(existsSync(path.join(studyLayout(study).dataset('twice').dir, '.lock'))).toBe(false);
  }, 60_000);
});

/** Runs the import driver on `req`; kills it with SIGKILL when `killWhen` says so (checked on every change in the dataset folder). */
async function importKilled(study: string, req: ImportRequest, killWhen: () => boolean): Promise<'killed' | 'finished'> {
  const child = spawn(process.execPath, [driver.file, study, JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const dir = studyLayout(study).dataset(req.id!).dir;
  let killed = false;
  const check = () => {
    if (!killed && killWhen()) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  const watcher = watch(dir, { recursive: true }, check);
  const timer = setInterval(check, 1);
  try {
    const [codeOrSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    return codeOrSignal === null && killed ? 'killed' : 'finished';
  } finally {
    clearInterval(timer);
    watcher.close();
  }
}

/** Every file of the cache folder (relative to the dataset folder, forward slashes). */
async function cacheFiles(dir: string): Promise<string[]> {
  const root = path.join(dir, 'cache');
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(dir, full).split(path.sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

describe('an import killed with SIGKILL', () => {
  it('leaves the old or the new dataset complete at every point; the next import finishes and removes the leftovers', async () => {
    const study = await makeStudy();
    await importDataset(request(sourceA, 'demo'), study, recordingContext());
    const layout = studyLayout(study).dataset('demo');
    const oldManifest = await fsp.readFile(layout.manifest);
    const oldFiles = new Set(await cacheFiles(layout.dir));
    const written = () => {
      try {
        return readdirSync(path.join(layout.dir, 'cache'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(png|jpg)$/.test(f))
          .length;
      } catch {
        return 0;
      }
    };
    const baseline = written();
    // Kill points: after a few new cache files, after most of them, and the moment the commit's pending report appears.
    const points: [string, () => boolean][] = [
      ['after 4 new cache files', () => written() >= baseline + 4],
      ['after 12 new cache files', () => written() >= baseline + 12],
      ['at the commit', () => existsSync(layout.pendingValidation)],
    ];
    const outcomes: string[] = [];
    for (const [label, when] of points) {
      outcomes.push(`${label}: ${await importKilled(study, request(sourceB, 'demo', { replace: true }), when)}`);
      const manifest = await expectComplete(study, 'demo');
      // Either the old dataset, byte for byte, or B's complete new one.
      if (manifest.source === sourceA) expect(await fsp.readFile(layout.manifest)).toEqual(oldManifest);
      else expect(manifest.source).toBe(sourceB);
    }
    expect(outcomes.filter((o) => o.endsWith('killed')).length, outcomes.join('; ')).toBeGreaterThanOrEqual(2);

    // The next import completes and leaves nothing behind: no pending report, no temp file, no lock, only referenced cache files.
    const done = await importDataset(request(sourceB, 'demo', { replace: true }), study, recordingContext());
    const manifest = await expectComplete(study, 'demo');
    expect(manifest.source).toBe(sourceB);
    expect(done.imported).toBe(manifest.items.length);
    const referenced = new Set(manifest.items.flatMap((i) => [i.cache!.input, i.cache!.overlay]));
    const left = await cacheFiles(layout.dir);
    expect(left.filter((f) => !f.endsWith('.json') && !referenced.has(f))).toEqual([]);
    expect(left.filter((f) => f.endsWith('.json')).length).toBe(manifest.items.length);
    expect((await fsp.readdir(layout.dir)).sort()).toEqual(['cache', 'manifest.json', 'validation.json']);
    expect([...oldFiles].filter((f) => !f.endsWith('.json') && referenced.has(f))).toEqual([]);
  }, 120_000);
});
