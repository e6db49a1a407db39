/**
 * Run identity and outdated runs: a run records what trained it (identity.json: spec hash, dataset
 * content hash, weights SHA-256); when the grid changes, the old run stays in its folder and is
 * listed as outdated with the settings that differ, the cell trains in `<id>-v2`, and switching the
 * grid back finds the old run current again. Dataset content and weights file changes count too.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatGrid } from '../../../src-main/cli/commands/grid';
import { initEngine } from '../../../src-main/engine/backend';
import { currentIdentity, readRunIdentity, settingDifferences, StoredRunIdentity } from '../../../src-main/services/runs/identity';
import { runSummaries } from '../../../src-main/services/runs/run-info';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { gridView, saveGrid } from '../../../src-main/services/training/grid';
import { runGrid } from '../../../src-main/services/training/grid-run';
import { IDENTITY_INCOMPLETE_NOTE, type GridSpecInput } from '../../../src-shared/grid';
import { TrainingSpec } from '../../../src-shared/training';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy, readManifest } from '../../support/studies';

const { strategy: _s, seed: _seed, ...base } = demoSpec({ epochs: 1, inputSize: 32 });
const grid = (over: Partial<GridSpecInput['base']> = {}): GridSpecInput => ({
  strategies: ['IWNE-FS'],
  fractions: [1],
  seeds: [0],
  base: { ...base, ...over },
});

let study: string;
beforeAll(async () => {
  study = await demoStudy({ patients: 20 });
}, 120_000);

/** Rewrites a file and gives it a new modification time (the hash cache keys on size and time). */
async function rewrite(file: string, text: string | Buffer, at: number): Promise<void> {
  await fsp.writeFile(file, text);
  await fsp.utimes(file, at, at);
}

describe('settingDifferences', () => {
  it('names each differing setting with its old and new value', () => {
    const a = TrainingSpec.parse(demoSpec({ epochs: 1 }));
    const b = TrainingSpec.parse(demoSpec({ epochs: 6, moco: { queueSize: 128 } }));
    expect(settingDifferences(a, b)).toEqual(['epochs 1 → 6', 'moco.queueSize 65536 → 128']);
    expect(settingDifferences(a, a)).toEqual([]);
  });
});

describe('outdated runs', () => {
  it('records identity.json, trains a changed cell in <id>-v2, lists the old run as outdated, and finds it current again', async () => {
    await initEngine({ preference: 'auto' });
    await saveGrid(study, grid());
    const outcomes = await runGrid(study, recordingContext());
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded']);
    const first = (await gridView(study)).cells[0]!;
    expect(first).toMatchObject({ status: 'done', settings: { epochs: 1, lr: 2e-3, batchSize: 16, inputSize: 32 }, note: null });
    const identity = await readRunIdentity(studyLayout(study).run(first.runId));
    expect(StoredRunIdentity.parse(identity)).toMatchObject({ datasetId: 'demo', weights: null, pretrainId: null });
    expect(identity!.datasetHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await runSummaries(study))[0]!.standing).toEqual({ outdated: false, reasons: [], identityComplete: true, note: null });

    // Epochs 1 → 6: the old run stays, outdated; the cell is pending in a fresh folder.
    const changed = await saveGrid(study, grid({ epochs: 6 }));
    expect(changed.cells[0]).toMatchObject({ runId: `${first.runId}-v2`, status: 'pending', settings: { epochs: 6 } });
    expect(changed.others).toEqual([
      expect.objectContaining({
        runId: first.runId,
        finished: true,
        standing: expect.objectContaining({ outdated: true, reasons: ['epochs 1 → 6'] }),
      }),
    ]);
    expect(formatGrid(changed).split('\n').slice(-2)).toEqual([
      'Other runs in the study (outdated ones are left out of results and the report unless included):',
      `  outdated ${first.runId} — epochs 1 → 6`,
    ]);
    const summaries = await runSummaries(study);
    expect(summaries.map((s) => [s.runId, s.standing?.outdated, s.standing?.reasons, s.settings?.epochs])).toEqual([
      [first.runId, true, ['epochs 1 → 6'], 1],
    ]);

    // Switching back: the old run is the cell's run again, done and current.
    const back = await saveGrid(study, grid());
    expect(back.cells[0]).toMatchObject({ runId: first.runId, status: 'done' });
    expect(back.others).toEqual([]);
    expect((await runSummaries(study))[0]!.standing?.outdated).toBe(false);
  }, 240_000);

  it('a changed dataset makes the run outdated ("dataset content changed"); restoring it makes it current', async () => {
    const view = await gridView(study);
    const runId = view.cells[0]!.runId;
    const manifestFile = studyLayout(study).dataset('demo').manifest;
    const original = await fsp.readFile(manifestFile, 'utf8');
    const manifest = await readManifest(study, 'demo');
    const item = manifest.items.find((i) => i.split === 'train' && i.grade === 0)!;
    item.grade = 1;
    await rewrite(manifestFile, JSON.stringify(manifest, null, 2), Date.now() / 1000 + 10);
    try {
      const changed = await gridView(study);
      expect(changed.cells[0]).toMatchObject({ runId: `${runId}-v2`, status: 'pending' });
      expect(changed.others?.map((o) => [o.runId, o.standing.reasons])).toEqual([[runId, ['dataset content changed']]]);
    } finally {
      await rewrite(manifestFile, original, Date.now() / 1000 + 20);
    }
    const restored = await gridView(study);
    expect(restored.cells[0]).toMatchObject({ runId, status: 'done' });
    expect(restored.others).toEqual([]);
  });

  it('a changed weights file makes an IFI run outdated ("weights file changed")', async () => {
    const weights = path.join(study, 'weights.pth');
    await rewrite(weights, Buffer.from('first weights'), Date.now() / 1000 + 30);
    const ifi: GridSpecInput = { ...grid(), strategies: ['IFI-FS'], imagenetWeights: 'weights.pth' };
    const view = await saveGrid(study, ifi);
    const cell = view.cells[0]!;
    expect(cell.status).toBe('pending');
    // The run folder as training claims it: spec.json and identity.json (no epoch trained yet).
    const spec = TrainingSpec.parse(cell.spec);
    const files = studyLayout(study).run(cell.runId);
    await fsp.mkdir(files.dir, { recursive: true });
    await fsp.writeFile(files.spec, JSON.stringify(spec));
    await fsp.writeFile(files.identity, JSON.stringify(await currentIdentity(study, spec)));
    expect((await gridView(study)).cells[0]!.runId).toBe(cell.runId);

    await rewrite(weights, Buffer.from('other weights'), Date.now() / 1000 + 40);
    const changed = await gridView(study);
    expect(changed.cells[0]!.runId).toBe(`${cell.runId}-v2`);
    expect(changed.others?.find((o) => o.runId === cell.runId)?.standing.reasons).toEqual(['weights file changed']);
  });

  it('a run from before identity tracking is compared by its spec and says its identity is incomplete', async () => {
    await saveGrid(study, grid());
    const view = await gridView(study);
    const files = studyLayout(study).run(view.cells[0]!.runId);
    const saved = await fsp.readFile(files.identity, 'utf8');
    await fsp.rm(files.identity);
    try {
      const legacy = await gridView(study);
      expect(legacy.cells[0]).toMatchObject({ runId: view.cells[0]!.runId, status: 'done', note: IDENTITY_INCOMPLETE_NOTE });
      const summary = (await runSummaries(study)).find((s) => s.runId === view.cells[0]!.runId)!;
      expect(summary.standing).toEqual({ outdated: false, reasons: [], identityComplete: false, note: IDENTITY_INCOMPLETE_NOTE });
      const changed = await saveGrid(study, grid({ epochs: 6 }));
      expect(changed.others?.find((o) => o.runId === view.cells[0]!.runId)?.standing).toMatchObject({
        outdated: true,
        reasons: ['epochs 1 → 6'],
        identityComplete: false,
      });
    } finally {
      await fsp.writeFile(files.identity, saved);
    }
    expect(existsSync(files.identity)).toBe(true);
  });
});
