/**
 * The synthetic demo data added to an open study from the app (job kind `dataset.demo`): the
 * generators of this folder write SYNTHETIC fundus images in the EyePACS layout (graded, with a test
 * split) and the IDRiD "A. Segmentation" layout (lesion masks) to `<study>/demo-data/`, and the
 * ordinary importer imports them as the datasets `eyepacs-demo` and `idrid-demo`.
 *
 * A dataset the study already has (readable, from synthetic images) is reused: neither regenerated
 * nor reimported. A dataset of that id imported from real images is never overwritten.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DatasetSummary } from '../../../src-shared/contract';
import { DemoDataRequest, DemoDataResult, type ImportRequest, type PreprocessSettings } from '../../../src-shared/datasets';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { listDatasets, resolveStudy } from '../datasets/view';
import { importDataset } from '../datasets/import/import-service';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { syntheticNotice, writeEyepacsDemo, writeIdridDemo, type EyepacsDemoOptions, type IdridDemoOptions } from './writers';
import { studyLayout } from '../study-folder/layout';

/**
 * MoCo v2 settings of the demo's two pretrainings (the study images for IWNE-CL, the texture set for
 * the IFI-CL stand-in): a few hundred images and ~150 steps, where the paper's recipe (key momentum
 * 0.999, a queue as large as the data, T 0.2, aug+) stays at chance — the key encoder barely moves in
 * so few steps and the queue holds the query's own image as a negative. A faster key encoder
 * (m 0.99), a queue of a quarter of the images, T 0.1, AdamW at 3e-3 and milder crops learn instead
 * (the learning check confirms it on every run). Real studies use the spec's defaults.
 */
export const DEMO_MOCO = {
  optimizer: 'adamw',
  lr: 3e-3,
  momentum: 0.99,
  temperature: 0.1,
  queueSize: 64,
  augmentation: { randomResizedCrop: { scale: [0.6, 1] as [number, number] }, horizontalFlip: 0.5 },
} as const;

/** Dataset id of the graded EyePACS-layout demo set. */
export const DEMO_DATASET_ID = 'eyepacs-demo';
/** Dataset id of the IDRiD-layout demo set with lesion masks. */
export const DEMO_IDRID_DATASET_ID = 'idrid-demo';

/** What the generators and the importer are called with for a request (exported for tests). */
export interface DemoDataPlan {
  eyepacs: EyepacsDemoOptions;
  /** null when the request asks for no IDRiD-layout images. */
  idrid: IdridDemoOptions | null;
  settings: Pick<PreprocessSettings, 'inputSize' | 'overlaySize'>;
}

/**
 * The generator options of the demo study (src-main/study-run/demo-study.ts): balanced
 * grades (a small set still has every grade), 128-px EyePACS images and 256-px-high IDRiD images —
 * never smaller than the input size they are preprocessed at.
 */
export function demoDataPlan(request: DemoDataRequest): DemoDataPlan {
  const S = request.inputSize;
  return {
    eyepacs: {
      patients: request.patients,
      testPatients: request.testPatients,
      size: Math.max(128, S),
      seed: request.seed,
      distribution: 'balanced',
      style: 'equalised',
    },
    idrid: request.idridImages > 0 ? { images: request.idridImages, size: Math.max(256, S), seed: request.seed } : null,
    settings: { inputSize: S, overlaySize: Math.max(S, 128) },
  };
}

interface Part {
  datasetId: string;
  /** `eyepacs` or `idrid`: the generator's subfolder of demo-data/. */
  subfolder: 'eyepacs' | 'idrid';
  type: 'eyepacs' | 'idrid-seg';
  label: string;
  images: number;
  generate(folder: string, progress: (done: number, total: number, message: string) => void): Promise<unknown>;
}

/** The existing dataset to reuse, null to (re)import, or CONFLICT when the id is taken by real data. */
function reusable(existing: DatasetSummary | undefined, datasetId: string): Extract<DatasetSummary, { readable: true }> | null {
  if (!existing || !existing.readable) return null;
  if (!existing.synthetic) {
    throw new AppError(
      'CONFLICT',
      `The study already has a dataset "${datasetId}" imported from ${existing.source}, which is not synthetic demo data; FundusLab does not overwrite it with the demo images.`,
      [{ path: 'datasetId', message: `"${datasetId}" is taken by a dataset that is not the demo data` }],
    );
  }
  return existing;
}

/**
 * Generates the synthetic demo images into `<study>/demo-data/` and imports them as the datasets
 * `eyepacs-demo` (EyePACS layout, train and test split) and `idrid-demo` (IDRiD layout with lesion masks;
 * skipped when `idridImages` is 0). Datasets the study already has are reused (`reused: true`).
 */
export async function addDemoData(request: DemoDataRequest, studyPath: string, ctx: JobContext): Promise<DemoDataResult> {
  const started = performance.now();
  const req = parseOrThrow(DemoDataRequest, request, 'demo data request');
  const study = await resolveStudy(studyPath);
  throwIfCancelled(ctx);
  const folder = studyLayout(study).folder('demoData');
  const plan = demoDataPlan(req);
  const idrid = plan.idrid;

  const parts: Part[] = [
    {
      datasetId: DEMO_DATASET_ID,
      subfolder: 'eyepacs',
      type: 'eyepacs',
      label: 'EyePACS-layout set',
      images: 2 * (req.patients + req.testPatients),
      generate: (dir, progress) => writeEyepacsDemo(dir, plan.eyepacs, progress),
    },
  ];
  if (idrid) {
    parts.push({
      datasetId: DEMO_IDRID_DATASET_ID,
      subfolder: 'idrid',
      type: 'idrid-seg',
      label: 'IDRiD-layout set',
      images: idrid.images,
      generate: (dir, progress) => writeIdridDemo(dir, idrid, progress),
    });
  }

  const existing = new Map((await listDatasets(study)).map((d) => [d.id, d]));
  const reused = parts.map((p) => reusable(existing.get(p.datasetId), p.datasetId));
  ctx.log(
    'The demo data is SYNTHETIC: images generated by FundusLab, not patient photographs. Use it to try the app out, never for clinical findings.',
  );

  // Progress units: one per image generated and one per image imported, for the parts not reused.
  const todo = parts.filter((_, i) => reused[i] === null);
  const total = todo.reduce((n, p) => n + 2 * p.images, 0);
  let offset = 0;
  const report = (size: number) => (done: number, of: number, message: string) =>
    ctx.progress(offset + Math.round((size * Math.min(done, of)) / Math.max(of, 1)), Math.max(total, 1), message);

  if (todo.length > 0) {
    await fsp.mkdir(folder, { recursive: true });
    await fsp.writeFile(
      path.join(folder, 'SYNTHETIC.txt'),
      syntheticNotice(
        `The FundusLab demo data of this study (eyepacs/ imported as "${DEMO_DATASET_ID}", idrid/ as "${DEMO_IDRID_DATASET_ID}")`,
        req.seed,
        { ...req },
      ),
    );
  }

  const out: DemoDataResult['datasets'] = [];
  for (const [i, part] of parts.entries()) {
    const have = reused[i];
    if (have) {
      ctx.log(`Dataset "${part.datasetId}" is already in the study (${have.items} images): reused, not generated again.`);
      out.push({ datasetId: part.datasetId, imported: have.items, reused: true });
      continue;
    }
    throwIfCancelled(ctx);
    // A generator writes a complete layout; files left by an earlier, larger or interrupted run would be extra candidates.
    const source = path.join(folder, part.subfolder);
    await fsp.rm(source, { recursive: true, force: true });
    ctx.log(`Generating ${part.images} synthetic images (${part.label}) in ${source}`);
    const generate = report(part.images);
    generate(0, 1, `Generating the synthetic ${part.label}`);
    await part.generate(folder, (done, of) => {
      throwIfCancelled(ctx);
      generate(done, of, `Generating the synthetic ${part.label}: ${done} of ${of} images`);
    });
    offset += part.images;
    throwIfCancelled(ctx);

    const importProgress = report(part.images);
    const importRequest: ImportRequest = { type: part.type, path: source, id: part.datasetId, settings: plan.settings };
    const result = await importDataset(importRequest, study, {
      progress: (done, of, message) => importProgress(done, of, `Importing the synthetic ${part.label} as "${part.datasetId}": ${message}`),
      log: ctx.log,
      signal: ctx.signal,
    });
    offset += part.images;
    ctx.log(`Imported "${part.datasetId}": ${result.imported} images${result.excluded > 0 ? `, ${result.excluded} excluded` : ''}`);
    out.push({ datasetId: part.datasetId, imported: result.imported, reused: false });
  }
  ctx.progress(
    Math.max(total, 1),
    Math.max(total, 1),
    todo.length > 0 ? 'The synthetic demo data is in the study' : 'The synthetic demo data was already in the study',
  );
  return DemoDataResult.parse({ folder, datasets: out, seconds: (performance.now() - started) / 1000 });
}
