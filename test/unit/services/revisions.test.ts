/** Revisions of grid.json and study-plan.json: a save based on an older revision is refused and changes nothing. */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { gridView, readGridFile, saveGrid } from '../../../src-main/services/training/grid';
import { readStudyPlan, writeStudyPlan } from '../../../src-main/study-run/plan-file';
import type { GridSpecInput } from '../../../src-shared/grid';
import { StudyPlan } from '../../../src-shared/study-plan';
import { bundleDriver } from '../../support/bundle-driver';
import { tempDir } from '../../support/files';
import { makeStudy } from '../../support/studies';

const grid = (epochs: number, fractions = [0.5, 1]): GridSpecInput => ({
  strategies: ['IWNE-FS'],
  fractions,
  seeds: [0],
  base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 48, epochs },
});

describe('grid.json revisions', () => {
  it('counts saves; a save based on an older revision is refused with "changed elsewhere — reload" and the file is unchanged', async () => {
    const study = await makeStudy();
    const file = studyLayout(study).gridFile;
    expect((await gridView(study)).revision ?? 0).toBe(0);
    // Tab A and tab B both loaded revision 0; A saves first.
    expect((await saveGrid(study, grid(1), 0)).revision).toBe(1);
    expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toMatchObject({ revision: 1, base: { epochs: 1 } });
    const before = await fsp.readFile(file, 'utf8');
    const refused = await saveGrid(study, grid(1, [1]), 0).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'CONFLICT',
      message: 'The training grid changed elsewhere — reload (it is at revision 1; this save was based on revision 0).',
      issues: [{ path: 'baseRevision', message: 'changed elsewhere: now revision 1' }],
    });
    expect(await fsp.readFile(file, 'utf8')).toBe(before);
    // After reloading (revision 1) B's save goes through.
    const view = await saveGrid(study, grid(6), 1);
    expect(view.revision).toBe(2);
    expect(view.spec?.base).toMatchObject({ epochs: 6 });
    expect(await readGridFile(study)).toMatchObject({ revision: 2, grid: { base: { epochs: 6 } } });
    // Saving what is stored changes nothing, whatever it was based on; no base replaces what is stored.
    expect((await saveGrid(study, grid(6), 0)).revision).toBe(2);
    expect((await saveGrid(study, grid(3))).revision).toBe(3);
  });

  it('reads a grid.json from before revisions as revision 0', async () => {
    const study = await makeStudy();
    await fsp.writeFile(studyLayout(study).gridFile, JSON.stringify({ ...grid(1), overrides: {} }));
    expect(await readGridFile(study)).toMatchObject({ revision: 0, grid: { base: { epochs: 1 } } });
    expect((await gridView(study)).revision).toBe(0);
    await expect(saveGrid(study, grid(2), 1)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await saveGrid(study, grid(2), 0)).revision).toBe(1);
  });

  it('lets exactly one of two concurrent saves from the same revision through', async () => {
    const study = await makeStudy();
    await saveGrid(study, grid(1), 0);
    const results = await Promise.allSettled([saveGrid(study, grid(2), 1), saveGrid(study, grid(3), 1)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const won = results.find((r) => r.status === 'fulfilled')!.value;
    expect(won.revision).toBe(2);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    expect((await readGridFile(study))?.grid.base).toEqual(won.spec?.base);
  });
});

describe('study-plan.json revisions', () => {
  const plan = (over: Record<string, unknown> = {}) =>
    StudyPlan.parse({ study: '.', grid: grid(1), evaluate: [{ datasetId: 'demo', split: 'test' }], ...over });

  it('counts saves; a plan edited from an older revision is refused and the file is unchanged', async () => {
    const study = await makeStudy();
    const file = studyLayout(study).planFile;
    expect(await writeStudyPlan(study, plan())).toBe(1);
    expect((await readStudyPlan(study))?.revision).toBe(1);
    // Two windows loaded revision 1: the first runs its edit (revision 2), the second is refused.
    expect(await writeStudyPlan(study, plan({ grid: grid(6), revision: 1 }))).toBe(2);
    const before = await fsp.readFile(file, 'utf8');
    await expect(writeStudyPlan(study, plan({ evaluate: [], revision: 1 }))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'The study plan changed elsewhere — reload (it is at revision 2; this save was based on revision 1).',
    });
    expect(await fsp.readFile(file, 'utf8')).toBe(before);
    expect(await readStudyPlan(study)).toMatchObject({ revision: 2, grid: { base: { epochs: 6 } }, evaluate: [{ datasetId: 'demo' }] });
    // The same plan again (a resumed whole-study job) changes nothing.
    expect(await writeStudyPlan(study, plan({ grid: grid(6), revision: 1 }))).toBe(2);
  });

  it('reads a study-plan.json from before revisions as revision 0', async () => {
    const study = await makeStudy();
    const { revision: _none, ...old } = plan();
    await fsp.writeFile(studyLayout(study).planFile, JSON.stringify(old));
    expect((await readStudyPlan(study))?.revision).toBe(0);
    expect(await writeStudyPlan(study, plan({ grid: grid(2), revision: 0 }))).toBe(1);
  });
});

describe('revisions across processes', () => {
  let driver: Awaited<ReturnType<typeof bundleDriver>>;
  beforeAll(async () => {
    driver = await bundleDriver(path.join(import.meta.dirname, 'revision-driver.ts'), 'revision-driver');
  });
  afterAll(() => driver.remove());

  it('two processes saving the same file 150 times each store 300 distinct revisions (no save lost)', async () => {
    const file = path.join(await tempDir('revisions'), 'plan.json');
    const run = (writer: string) => promisify(execFile)(process.execPath, [driver.file, file, writer, '150']);
    const [a, b] = await Promise.all([run('a'), run('b')]);
    const stored = [a.stdout, b.stdout].flatMap((out) => out.trim().split('\n').map(Number));
    expect(stored.sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toMatchObject({ revision: 300 });
  }, 120_000);
});
