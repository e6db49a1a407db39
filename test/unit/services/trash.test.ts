/**
 * The study's trash (services/study-folder/trash.ts) on a hand-made study holding one item of every
 * kind. Oracles: the files written here — a deleted item is gone from its place and lies, byte for
 * byte and with the same inode (a rename, not a copy), at the same relative path in its trash entry;
 * restoring puts the same bytes back; the study's own listers (runs, datasets, results table,
 * analysis result folders, reports) list the item before, not after the deletion, and again after
 * the restore; a dataset with dependents moves only with `confirm` and the answer names exactly the
 * runs and results written on it.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { listDatasets } from '../../../src-main/services/datasets/view/index';
import { studyResults } from '../../../src-main/services/evaluation/results';
import { listRuns } from '../../../src-main/services/runs/run-info';
import { resultNames } from '../../../src-main/services/study-folder/result-folder';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import { withStudyLock } from '../../../src-main/services/study-folder/lock';
import { trashDelete, trashEmpty, trashList, trashRestore } from '../../../src-main/services/study-folder/trash';
import { listReports } from '../../../src-main/report/files';
import { TrainingSpec } from '../../../src-shared/training';
import type { TrashKind } from '../../../src-shared/trash';
import { writeFakeEvaluation } from '../../support/evaluations';
import { snapshotTree, tempDir } from '../../support/files';

let study: string;

async function writeFile(rel: string, text: string) {
  const file = path.join(study, rel);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, text);
}

const spec = (datasetId: string) =>
  TrainingSpec.parse({ strategy: 'IWNE-FS', datasetId, arch: 'resnet18-w8', inputSize: 32, fraction: 1, seed: 0 });

const EVALUATION = 'r-a__demo__test';
const REPORT = 'report-2026-01-02-03-04-05.pdf';

beforeEach(async () => {
  study = path.join(await tempDir('trash'), 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'Trash');
  await writeFile('runs/r-a/spec.json', JSON.stringify(spec('demo')));
  await writeFile('runs/r-a/best/model.safetensors', 'weights of r-a');
  await writeFile('runs/r-b/spec.json', JSON.stringify(spec('other')));
  await writeFile('datasets/demo/manifest.json', '{"not":"a manifest"}');
  await writeFile('datasets/demo/cache/k/00/a.png', 'png bytes');
  await writeFile('datasets/other/manifest.json', '{}');
  await writeFile('datasets/empty-import/validation.json', '{}');
  await writeFakeEvaluation(study, {
    runId: 'r-a',
    strategy: 'IWNE-FS',
    fraction: 1,
    seed: 0,
    datasetId: 'demo',
    auc: 0.75,
    delong: [0.6, 0.9],
  });
  await writeFile('spectra/r-a__demo/result.json', JSON.stringify({ name: 'r-a__demo', dataset: { datasetId: 'demo' } }));
  await writeFile('robustness/demo__abc/result.json', JSON.stringify({ name: 'demo__abc', datasetId: 'demo' }));
  await writeFile('robustness/demo__abc/gallery/clean-0.png', 'png');
  await writeFile('explanations/r-a__idrid/result.json', JSON.stringify({ name: 'r-a__idrid', dataset: { datasetId: 'idrid' } }));
  await writeFile('explanations/r-a__idrid/heatmaps/x.f32', 'f32');
  await writeFile(`reports/${REPORT}`, '%PDF-1.4 report');
  await writeFile('reports/report-2026-01-02-03-04-05-assets/fig2.svg', '<svg/>');
});

/** What each lister of the study shows, as one set of `<kind> <name>` strings. */
async function listed(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const r of await listRuns(study)) out.add(`run ${r.runId}`);
  for (const d of await listDatasets(study)) out.add(`dataset ${d.id}`);
  const results = await studyResults(study);
  for (const r of results.rows) out.add(`evaluation ${r.evaluation}`);
  for (const s of results.skipped) out.add(`evaluation ${path.basename(s.path)}`);
  for (const kind of ['spectra', 'robustness', 'explanations'] as const)
    for (const n of await resultNames(path.join(study, kind))) out.add(`${kind === 'explanations' ? 'explanation' : kind} ${n}`);
  for (const r of await listReports(study)) out.add(`report ${r.file}`);
  return out;
}

/** Each kind, its name, and the paths (relative to the study) that make it up. */
const ITEMS: [TrashKind, string, string[]][] = [
  ['run', 'r-a', ['runs/r-a']],
  ['evaluation', EVALUATION, [`evaluations/${EVALUATION}`]],
  ['spectra', 'r-a__demo', ['spectra/r-a__demo']],
  ['robustness', 'demo__abc', ['robustness/demo__abc']],
  ['explanation', 'r-a__idrid', ['explanations/r-a__idrid']],
  ['dataset', 'empty-import', ['datasets/empty-import']],
  ['report', REPORT, [`reports/${REPORT}`, 'reports/report-2026-01-02-03-04-05-assets']],
];

/** Contents (relative path → hash) below `dir`, and the inode of `dir`. */
async function contents(dir: string): Promise<{ files: Map<string, string>; ino: number }> {
  const st = await fsp.stat(dir);
  if (!st.isDirectory()) return { files: new Map([['', (await fsp.readFile(dir, 'utf8')) + st.size]]), ino: st.ino };
  const files = new Map<string, string>();
  for (const [k, v] of await snapshotTree(dir))
    files.set(path.relative(dir, k), v.split(' ').slice(0, 1).concat(v.split(' ').slice(2)).join(' '));
  return { files, ino: st.ino };
}

describe('the study trash', () => {
  it.each(ITEMS)(
    'deletes a %s into .trash/<time>/ by rename, lists it, hides it from the study and restores it',
    async (kind, name, rels) => {
      const before = await Promise.all(rels.map((r) => contents(path.join(study, r))));
      expect(await listed()).toContain(`${kind} ${name}`);
      const answer = await trashDelete(study, kind, name, { now: new Date('2026-03-04T05:06:07.089Z') });
      expect(answer.status).toBe('deleted');
      if (answer.status !== 'deleted') return;
      const id = '2026-03-04T05-06-07.089Z';
      expect(answer.entry).toEqual({ id, kind, name, deletedAt: '2026-03-04T05:06:07.089Z', paths: rels, missing: [], problem: null });
      for (const [i, rel] of rels.entries()) {
        expect(existsSync(path.join(study, rel)), rel).toBe(false);
        expect(await contents(path.join(study, '.trash', id, rel))).toEqual(before[i]);
      }
      expect(JSON.parse(await fsp.readFile(path.join(study, '.trash', id, 'trash-entry.json'), 'utf8'))).toMatchObject({
        kind,
        name,
        paths: rels,
      });
      expect(await trashList(study)).toEqual([answer.entry]);
      expect(await listed()).not.toContain(`${kind} ${name}`);

      expect(await trashRestore(study, id)).toEqual(answer.entry);
      for (const [i, rel] of rels.entries()) expect(await contents(path.join(study, rel))).toEqual(before[i]);
      expect(existsSync(path.join(study, '.trash', id))).toBe(false);
      expect(await trashList(study)).toEqual([]);
      expect(await listed()).toContain(`${kind} ${name}`);
    },
  );

  it('lists entries newest first; two deletions in the same millisecond get distinct entries', async () => {
    const now = new Date('2026-03-04T05:06:07.089Z');
    await trashDelete(study, 'run', 'r-a', { now });
    await trashDelete(study, 'run', 'r-b', { now });
    await trashDelete(study, 'report', REPORT, { now: new Date('2026-03-05T00:00:00.000Z') });
    expect((await trashList(study)).map((e) => [e.id, e.name])).toEqual([
      ['2026-03-05T00-00-00.000Z', REPORT],
      ['2026-03-04T05-06-07.089Z-2', 'r-b'],
      ['2026-03-04T05-06-07.089Z', 'r-a'],
    ]);
  });

  it('refuses a dataset with dependents unless confirmed, naming them; only the dataset moves', async () => {
    const tree = await snapshotTree(study);
    const answer = await trashDelete(study, 'dataset', 'demo');
    expect(answer).toEqual({
      status: 'needs-confirmation',
      message: expect.stringContaining('run r-a, evaluation r-a__demo__test, spectra r-a__demo, robustness demo__abc'),
      dependents: { runs: ['r-a'], evaluations: [EVALUATION], spectra: ['r-a__demo'], robustness: ['demo__abc'], explanations: [] },
    });
    if (answer.status === 'needs-confirmation') expect(answer.message).toMatch(/Only the dataset moves to the trash/);
    expect(await snapshotTree(study)).toEqual(tree);

    const confirmed = await trashDelete(study, 'dataset', 'demo', { confirm: true });
    expect(confirmed.status).toBe('deleted');
    expect(existsSync(path.join(study, 'datasets', 'demo'))).toBe(false);
    for (const rel of ['runs/r-a', `evaluations/${EVALUATION}`, 'spectra/r-a__demo', 'robustness/demo__abc'])
      expect(existsSync(path.join(study, rel)), rel).toBe(true);
    // A dataset nothing depends on moves without asking.
    expect((await trashDelete(study, 'dataset', 'other')).status).toBe('needs-confirmation'); // r-b trained on it
    expect((await trashDelete(study, 'dataset', 'empty-import')).status).toBe('deleted');
  });

  it('refuses to restore over something that took the original place, and leaves both untouched', async () => {
    const answer = await trashDelete(study, 'run', 'r-b');
    if (answer.status !== 'deleted') throw new Error('not deleted');
    await writeFile('runs/r-b/spec.json', JSON.stringify(spec('demo')));
    const tree = await snapshotTree(study);
    await expect(trashRestore(study, answer.entry.id)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/Cannot restore run "r-b": runs\/r-b exists again in the study/),
    });
    expect(await snapshotTree(study)).toEqual(tree);
  });

  it('a result a crashed write left only as .<name>.previous is what moves, and it no longer lists', async () => {
    const evaluations = path.join(study, 'evaluations');
    await fsp.rename(path.join(evaluations, EVALUATION), path.join(evaluations, `.${EVALUATION}.previous`));
    expect(await resultNames(evaluations)).toEqual([EVALUATION]);
    const answer = await trashDelete(study, 'evaluation', EVALUATION);
    expect(answer.status).toBe('deleted');
    expect(await resultNames(evaluations)).toEqual([]);
    expect(existsSync(path.join(evaluations, `.${EVALUATION}.previous`))).toBe(false);
    // Restoring is refused while a .previous of the same result would be read in its place.
    await fsp.mkdir(path.join(evaluations, `.${EVALUATION}.previous`));
    if (answer.status === 'deleted') await expect(trashRestore(study, answer.entry.id)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('refuses names that are not names of the kind, and items the study does not have, touching nothing', async () => {
    const tree = await snapshotTree(study);
    for (const [kind, name] of [
      ['run', '../datasets/demo'],
      ['run', '.trash'],
      ['report', 'runs'],
      ['dataset', 'Demo/..'],
      ['evaluation', '.r-a__demo__test.previous'],
    ] as const)
      await expect(trashDelete(study, kind, name), `${kind} ${name}`).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(trashDelete(study, 'run', 'r-z')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/no run "r-z"/),
    });
    await expect(trashDelete(path.join(study, 'runs'), 'run', 'r-a')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(trashRestore(study, '../runs')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(trashRestore(study, '2026-01-01T00-00-00.000Z')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(trashEmpty(study, '..')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await snapshotTree(study)).toEqual(tree);
  });

  it('waits for no one: while another writer holds the study lock, delete, restore and empty are refused as busy and move nothing', async () => {
    const deleted = await trashDelete(study, 'run', 'r-b');
    if (deleted.status !== 'deleted') throw new Error('expected a deletion');
    const before = await snapshotTree(study);
    let release!: () => void;
    const held = withStudyLock(study, 'Training run r-a', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((r) => setTimeout(r, 50));
    try {
      await expect(trashDelete(study, 'run', 'r-a')).rejects.toThrow(/The study is busy: Training run r-a since/);
      await expect(trashRestore(study, deleted.entry.id)).rejects.toThrow(/The study is busy: Training run r-a since/);
      await expect(trashEmpty(study)).rejects.toThrow(/The study is busy: Training run r-a since/);
      const after = await snapshotTree(study);
      after.delete(path.join(study, '.lock'));
      expect(after).toEqual(before);
    } finally {
      release();
      await held;
    }
    expect((await trashDelete(study, 'run', 'r-a')).status).toBe('deleted');
  });

  it('empties one entry or the whole trash, only when asked', async () => {
    const a = await trashDelete(study, 'run', 'r-a', { now: new Date('2026-03-04T05:06:07.089Z') });
    await trashDelete(study, 'report', REPORT, { now: new Date('2026-03-05T00:00:00.000Z') });
    await trashDelete(study, 'evaluation', EVALUATION, { now: new Date('2026-03-06T00:00:00.000Z') });
    expect(await trashEmpty(study, '2026-03-05T00-00-00.000Z')).toEqual({ removed: ['2026-03-05T00-00-00.000Z'] });
    expect((await trashList(study)).map((e) => e.name)).toEqual([EVALUATION, 'r-a']);
    expect(a.status === 'deleted' && existsSync(path.join(study, '.trash', a.entry.id, 'runs', 'r-a', 'best', 'model.safetensors'))).toBe(
      true,
    );
    expect((await trashEmpty(study)).removed).toEqual(['2026-03-04T05-06-07.089Z', '2026-03-06T00-00-00.000Z']);
    expect(existsSync(path.join(study, '.trash'))).toBe(false);
    expect(await trashList(study)).toEqual([]);
    expect(await trashEmpty(study)).toEqual({ removed: [] });
  });

  it('an entry without a readable manifest is listed with its problem, can be emptied, not restored', async () => {
    await fsp.mkdir(path.join(study, '.trash', '2026-01-01T00-00-00.000Z', 'runs', 'x'), { recursive: true });
    const [entry] = await trashList(study);
    expect(entry).toMatchObject({
      id: '2026-01-01T00-00-00.000Z',
      kind: null,
      problem: expect.stringMatching(/trash-entry.json is missing/),
    });
    await expect(trashRestore(study, entry!.id)).rejects.toMatchObject({ code: 'STUDY_CORRUPT' });
    expect(await trashEmpty(study, entry!.id)).toEqual({ removed: [entry!.id] });
  });

  it('the listers skip dot folders of their own folder (a hidden copy of a run, dataset or result is not listed)', async () => {
    const shown = await listed();
    await writeFile('runs/.r-hidden/spec.json', JSON.stringify(spec('demo')));
    await writeFile('datasets/.hidden/manifest.json', '{}');
    await writeFile('evaluations/.hidden/result.json', '{}');
    await writeFile('spectra/.hidden/result.json', '{}');
    await writeFile('reports/.hidden.pdf', '%PDF-');
    expect(await listed()).toEqual(shown);
  });
});
