/**
 * The `dataset.demo` job's service: synthetic demo images generated into a study and imported as
 * the datasets `eyepacs-demo` and `idrid-demo`, read back with the reader the app uses (listDatasets). The
 * expected counts come from the generators' own result objects, run on the same options in a
 * separate folder; a second call reuses both datasets without touching a file; a cancelled call
 * leaves no dataset, and an interrupted one is completed by the next call.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadableDatasetSummary } from '../../../src-shared/contract';
import { DemoDataRequest } from '../../../src-shared/datasets';
import { AppError } from '../../../src-shared/errors';
import { listDatasets, loadDataset } from '../../../src-main/services/datasets/view';
import { writeEyepacsDemo, writeIdridDemo, type EyepacsDemoResult, type IdridDemoResult } from '../../../src-main/services/demo';
import { addDemoData, demoDataPlan } from '../../../src-main/services/demo/study-demo';
import { detachedContext, type JobContext } from '../../../src-main/job-context';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import { snapshotTree, tempDir } from '../../support/files';

const request = DemoDataRequest.parse({ patients: 4, testPatients: 2, idridImages: 1, inputSize: 32 });

async function newStudy(work: string, name: string): Promise<string> {
  const dir = path.join(work, name);
  await new StudyService({ appVersion: 'test' }).create(dir, 'x');
  return dir;
}

function readable(list: Awaited<ReturnType<typeof listDatasets>>, id: string): ReadableDatasetSummary {
  const d = list.find((x) => x.id === id);
  if (!d || !d.readable) throw new Error(`dataset ${id} is not listed as readable: ${JSON.stringify(d)}`);
  return d;
}

/** Progress reports of a call, and a context that can abort itself on a given message. */
function recording(abortOn?: RegExp): JobContext & { reports: { done: number; total: number; message: string }[]; logs: string[] } {
  const controller = new AbortController();
  const reports: { done: number; total: number; message: string }[] = [];
  const logs: string[] = [];
  return {
    progress: (done, total, message) => {
      reports.push({ done, total, message });
      if (abortOn?.test(message)) controller.abort();
    },
    log: (l) => logs.push(l),
    signal: controller.signal,
    reports,
    logs,
  };
}

let work: string;
let refEyepacs: EyepacsDemoResult;
let refIdrid: IdridDemoResult;

beforeAll(async () => {
  work = await tempDir('study-demo');
  // The oracle: the generators' own summaries of the same sets, written elsewhere.
  const plan = demoDataPlan(request);
  refEyepacs = await writeEyepacsDemo(path.join(work, 'reference'), plan.eyepacs);
  refIdrid = await writeIdridDemo(path.join(work, 'reference'), plan.idrid!);
});
afterAll(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

describe('addDemoData', () => {
  let study: string;

  it('generates and imports demo (train and test split) and demo-idrid (lesion masks), both marked synthetic', async () => {
    study = await newStudy(work, 'study-a');
    const ctx = recording();
    const result = await addDemoData(request, study, ctx);

    // Hand-computed: two eyes per patient.
    expect(refEyepacs.train.images).toBe(2 * 4);
    expect(refEyepacs.test?.images).toBe(2 * 2);
    expect(refIdrid.images).toBe(1);
    expect(result.folder).toBe(path.join(study, 'demo-data'));
    expect(result.datasets).toEqual([
      { datasetId: 'eyepacs-demo', imported: 12, reused: false },
      { datasetId: 'idrid-demo', imported: 1, reused: false },
    ]);

    const list = await listDatasets(study);
    expect(list.map((d) => d.id)).toEqual(['eyepacs-demo', 'idrid-demo']);
    const demo = readable(list, 'eyepacs-demo');
    expect(demo.type).toBe('eyepacs');
    expect(demo.synthetic).toBe(true);
    expect(demo.preprocessed).toBe(true);
    expect([demo.settings.inputSize, demo.settings.overlaySize]).toEqual([32, 128]);
    expect(demo.splits).toEqual({ train: refEyepacs.train.images, test: refEyepacs.test!.images });
    expect(demo.patients).toBe(refEyepacs.train.patients + refEyepacs.test!.patients);
    expect(demo.excluded).toBe(0);
    for (const [split, ref] of [
      ['train', refEyepacs.train],
      ['test', refEyepacs.test!],
    ] as const) {
      const row = demo.perSplitGrade[split] ?? {};
      expect(
        [0, 1, 2, 3, 4].map((g) => row[String(g)] ?? 0),
        `grades of the ${split} split`,
      ).toEqual(ref.grades);
    }

    const idrid = readable(list, 'idrid-demo');
    expect(idrid.type).toBe('idrid-seg');
    expect(idrid.synthetic).toBe(true);
    expect(idrid.items).toBe(refIdrid.images);
    // Images with a mask of each lesion, as the generator counted them (lesions it drew no pixel of have no mask).
    const expectedMasks = Object.fromEntries(Object.entries(refIdrid.masks).filter(([, n]) => n > 0));
    expect(idrid.masks).toEqual(expectedMasks);
    expect(idrid.masks.OD).toBe(1);
    // The preprocessed mask files are on disk.
    const loaded = await loadDataset(study, 'idrid-demo');
    const masks = Object.values(loaded.manifest.items[0]!.masks ?? {});
    expect(masks.length).toBe(Object.keys(expectedMasks).length);
    for (const m of masks) {
      expect(m.cache).toBeDefined();
      expect(existsSync(path.join(loaded.dir, m.cache!.input)), m.cache!.input).toBe(true);
      expect(existsSync(path.join(loaded.dir, m.cache!.overlay)), m.cache!.overlay).toBe(true);
    }

    expect(await fsp.readFile(path.join(study, 'demo-data', 'SYNTHETIC.txt'), 'utf8')).toMatch(/^SYNTHETIC DATA - NOT PATIENT IMAGES/);
    expect(ctx.logs.join('\n')).toMatch(/SYNTHETIC/);
    // Progress: both phases of both sets, never backwards, ending at its total (12 + 12 + 1 + 1 units).
    const messages = ctx.reports.map((r) => r.message).join('\n');
    for (const m of [
      /Generating the synthetic EyePACS-layout set/,
      /Importing the synthetic EyePACS-layout set as "eyepacs-demo"/,
      /Generating the synthetic IDRiD-layout set/,
      /Importing the synthetic IDRiD-layout set as "idrid-demo"/,
    ]) {
      expect(messages).toMatch(m);
    }
    expect(new Set(ctx.reports.map((r) => r.total))).toEqual(new Set([26]));
    for (let i = 1; i < ctx.reports.length; i++) expect(ctx.reports[i]!.done).toBeGreaterThanOrEqual(ctx.reports[i - 1]!.done);
    expect(ctx.reports.at(-1)!.done).toBe(26);
  });

  it('reuses both datasets on a second call without writing a file', async () => {
    const before = await snapshotTree(study);
    const manifests = ['eyepacs-demo', 'idrid-demo'].map((id) => path.join(study, 'datasets', id, 'manifest.json'));
    const mtimes = await Promise.all(manifests.map(async (f) => (await fsp.stat(f)).mtimeMs));
    const result = await addDemoData(request, study, detachedContext());
    expect(result.datasets).toEqual([
      { datasetId: 'eyepacs-demo', imported: 12, reused: true },
      { datasetId: 'idrid-demo', imported: 1, reused: true },
    ]);
    expect(await Promise.all(manifests.map(async (f) => (await fsp.stat(f)).mtimeMs))).toEqual(mtimes);
    expect(await snapshotTree(study)).toEqual(before);
  });

  it('throws CANCELLED and leaves no dataset when the job is cancelled before it starts', async () => {
    const cancelledStudy = await newStudy(work, 'study-b');
    const controller = new AbortController();
    controller.abort();
    const error = await addDemoData(request, cancelledStudy, { ...detachedContext(), signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CANCELLED');
    expect(await listDatasets(cancelledStudy)).toEqual([]);
    expect(existsSync(path.join(cancelledStudy, 'demo-data'))).toBe(false);
  });

  it('after a cancel between the two sets, the next call reuses demo and imports only demo-idrid', async () => {
    const s = await newStudy(work, 'study-c');
    const ctx = recording(/^Importing the synthetic IDRiD/);
    const error = await addDemoData(request, s, ctx).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('CANCELLED');
    expect((await listDatasets(s)).map((d) => [d.id, d.readable])).toEqual([['eyepacs-demo', true]]);

    const demoManifest = path.join(s, 'datasets', 'eyepacs-demo', 'manifest.json');
    const mtime = (await fsp.stat(demoManifest)).mtimeMs;
    const result = await addDemoData(request, s, detachedContext());
    expect(result.datasets).toEqual([
      { datasetId: 'eyepacs-demo', imported: 12, reused: true },
      { datasetId: 'idrid-demo', imported: 1, reused: false },
    ]);
    expect((await fsp.stat(demoManifest)).mtimeMs).toBe(mtime);
    expect(readable(await listDatasets(s), 'idrid-demo').masks).toEqual(
      Object.fromEntries(Object.entries(refIdrid.masks).filter(([, n]) => n > 0)),
    );
  });

  it('does not overwrite a dataset named demo that was imported from real (non-synthetic) images', async () => {
    const s = await newStudy(work, 'study-d');
    await addDemoData({ ...request, idridImages: 0 }, s, detachedContext());
    // Make the source look like real data: no SYNTHETIC.txt anywhere above it, patient ids not syn….
    const manifestFile = path.join(s, 'datasets', 'eyepacs-demo', 'manifest.json');
    const manifest = JSON.parse(await fsp.readFile(manifestFile, 'utf8')) as { source: string; items: { patient: string }[] };
    manifest.source = path.join(work, 'elsewhere', 'real', 'eyepacs');
    manifest.items.forEach((item, i) => (item.patient = String(10000 + i)));
    await fsp.writeFile(manifestFile, JSON.stringify(manifest));
    const before = await snapshotTree(s);
    const error = await addDemoData(request, s, detachedContext()).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('CONFLICT');
    expect((error as AppError).message).toMatch(/"eyepacs-demo"/);
    expect(await snapshotTree(s)).toEqual(before);
  });
});
