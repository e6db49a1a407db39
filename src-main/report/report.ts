/**
 * The study report: one PDF with every section a reviewer expects, plus each figure as SVG and PNG
 * and each table as CSV beside it:
 *
 *   <out>.pdf
 *   <out>-assets/figures/<name>.svg|.png, <out>-assets/tables/<name>.csv
 *
 * Data: study.json, the datasets' manifests and validation reports, grid.json, runs/, pretrain/,
 * evaluations/ (results.ts), and the analyses that exist (spectra/, robustness/, explanations/).
 * Figures come from the shared view models (src-shared/figures.ts) drawn as SVG (svg.ts) and
 * rasterised by sharp. Privacy: image identifiers are replaced by stable pseudonyms (a hash of the
 * study id and the image id) unless `revealImageIds`; images embedded in the report are re-encoded
 * from pixels, so no EXIF or other metadata is carried over.
 *
 * This file reads the study once into a ReportContext (context.ts), runs the sections
 * (sections/*.ts) in order and writes the files: the assets folder is swapped in whole (an earlier
 * one is replaced only once the new one is complete), the PDF last, so its presence means the
 * report is complete.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { ReadableDatasetSummary } from '../../src-shared/contract';
import { AppError } from '../../src-shared/errors';
import type { ReportResult } from '../../src-shared/jobs';
import { throwIfCancelled, type JobContext } from '../job-context';
import { readDatasetManifest } from '../services/datasets/manifest-file';
import { listDatasets } from '../services/datasets/view';
import { studyResults } from '../services/evaluation/results';
import { changedResults } from '../services/runs/identity';
import { listRunsWithStanding } from '../services/runs/run-info';
import { reportAssetsDir, studyLayout } from '../services/study-folder/layout';
import { readStudyFile, requireStudyFolder } from '../services/study-folder/study-service';
import { readGrid, runDetail } from '../services/training/grid';
import type { TrainingEpochLog } from '../../src-shared/training';
import { pseudonymiser, rasterise, REPORT_SECTIONS, type RasterFigure, type ReportContext } from './context';
import { PdfWriter, type CellRecord } from './pdf-writer';
import { readPretrainings } from './pretrainings';
import { appendixSection } from './sections/appendix';
import { datasetsSection } from './sections/datasets';
import { explanationsSection } from './sections/explanations';
import { limitationsSection } from './sections/limitations';
import { methodsSection } from './sections/methods';
import { resultsSection } from './sections/results';
import { robustnessSection } from './sections/robustness';
import { spectraSection } from './sections/spectra';
import { titlePage } from './sections/title';
import { writeReportFiles, type ReportWriteStep } from './write-files';

export { REPORT_SECTIONS, pseudonymiser };

export interface ReportOptions {
  /** Output PDF path. */
  out: string;
  /** Print real image identifiers instead of pseudonyms (default false). */
  revealImageIds?: boolean;
  /** Date printed on the report (default now; tests fix it). */
  date?: Date;
  /** Show runs trained with settings the grid no longer has (marked outdated) instead of leaving them and their results out. */
  includeOutdated?: boolean;
  /** Receives every table cell and key–value line as laid out (text, font, size, width), for layout checks. */
  layoutLog?: CellRecord[];
  /** Test seam: called after each step of writing the PDF and its assets (write-files.ts). */
  afterWriteStep?: (step: ReportWriteStep) => Promise<void> | void;
}

export type ReportResult = z.output<typeof ReportResult>;

/** sha256 over the dataset's sorted (item id, source sha256) pairs: identifies its content. */
async function datasetContentHash(study: string, datasetId: string): Promise<string> {
  const { manifest } = await readDatasetManifest(study, datasetId);
  const h = createHash('sha256');
  for (const it of [...manifest.items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
    h.update(`${it.id}\u0000${it.source.sha256}\n`);
  return h.digest('hex');
}

/**
 * Every dataset of the study; one whose manifest cannot be read stops the report with the error
 * naming the file and the field (a report never leaves a dataset out silently).
 */
async function readableDatasets(study: string): Promise<ReadableDatasetSummary[]> {
  const all = await listDatasets(study);
  for (const d of all) {
    if (d.readable) continue;
    await readDatasetManifest(study, d.id);
    throw new AppError('STUDY_CORRUPT', `Dataset "${d.id}" of ${study} cannot be read: ${d.reason}`, [
      { path: 'datasetId', message: d.reason },
    ]);
  }
  return all.filter((d): d is ReadableDatasetSummary => d.readable);
}

/** Reads everything the sections need, once, into the context they share. */
async function readStudy(study: string, opts: ReportOptions, ctx: JobContext): Promise<ReportContext> {
  const studyFile = await readStudyFile(studyLayout(study).studyFile);
  const date = opts.date ?? new Date();
  const datasets = await readableDatasets(study);
  const includeOutdated = opts.includeOutdated ?? false;
  const allRuns = await listRunsWithStanding(study);
  const runs = includeOutdated ? allRuns : allRuns.filter((run) => !run.standing.outdated);
  const outdatedRuns = includeOutdated ? [] : allRuns.filter((run) => run.standing.outdated);
  const leftOutIds = new Set(outdatedRuns.map((run) => run.runId));
  const hashes = new Map<string, string>();
  for (const d of datasets) hashes.set(d.id, await datasetContentHash(study, d.id));
  const logs = new Map<string, TrainingEpochLog[]>();
  for (const run of runs)
    logs.set(
      run.runId,
      await runDetail(study, run.runId).then(
        (d) => d.log,
        () => [],
      ),
    );
  const writer = new PdfWriter(
    {
      title: `FundusLab study report: ${studyFile.name}`,
      subject: 'Pretraining strategies for referable diabetic retinopathy',
      creationDate: date,
    },
    { log: opts.layoutLog },
  );
  const figures: RasterFigure[] = [];
  const sections: string[] = [];
  return {
    study,
    studyFile,
    revealImageIds: opts.revealImageIds ?? false,
    date,
    datasets,
    hashes,
    runs,
    outdatedRuns,
    includeOutdated,
    leftOut: (runId) => leftOutIds.has(runId),
    changedResults: await changedResults(study, ['spectra', 'robustness', 'explanations']),
    logs,
    pretrainings: await readPretrainings(study, runs),
    grid: await readGrid(study),
    results: await studyResults(study, { includeOutdated }),
    backends: [...new Set(runs.map((r) => r.result?.backend).filter((b): b is string => !!b))],
    synthetic: datasets.some((d) => d.synthetic),
    pseudonym: pseudonymiser(studyFile.id, opts.revealImageIds ?? false),
    writer,
    figures,
    tables: [],
    sections,
    section: (title) => {
      sections.push(title);
      writer.heading(title, 1);
    },
    addFigure: async (f) => {
      const { png, embed, width, height } = await rasterise(f.svg, f.photo);
      figures.push({ ...f, png });
      writer.figure(embed, width, height, f.caption);
    },
    ctx,
  };
}

/** Builds the report; see the module comment. */
export async function buildReport(studyPath: string, opts: ReportOptions, ctx: JobContext): Promise<ReportResult> {
  const study = requireStudyFolder(studyPath, 'study');
  const out = path.resolve(opts.out);
  if (!out.toLowerCase().endsWith('.pdf'))
    throw new AppError('BAD_REQUEST', `The report file must end in .pdf (got ${out}).`, [{ path: 'out', message: 'expected a .pdf file' }]);
  const assetsDir = reportAssetsDir(out);

  ctx.progress(0, 10, 'Reading the study');
  const r = await readStudy(study, opts, ctx);
  titlePage(r);
  datasetsSection(r);
  methodsSection(r);
  await resultsSection(r);
  await spectraSection(r);
  await robustnessSection(r);
  await explanationsSection(r);
  throwIfCancelled(ctx);
  await limitationsSection(r);
  await appendixSection(r);

  ctx.progress(9, 10, 'Writing the files');
  const { bytes, pages } = await r.writer.finish(`FundusLab report · ${r.studyFile.name}`);
  await writeReportFiles(out, { pdf: bytes, fillAssets: (dir) => writeAssets(dir, r) }, opts.afterWriteStep);
  ctx.progress(10, 10, `Report written: ${out}`);
  return {
    pdf: out,
    assetsDir,
    pages,
    figures: r.figures.map((f) => f.name),
    tables: r.tables.map((t) => t.name),
    sections: r.sections,
    bytes: bytes.length,
  };
}

/** The figures (SVG + PNG) and tables (CSV) into the (temporary) assets folder `dir`. */
async function writeAssets(dir: string, r: ReportContext): Promise<void> {
  await fsp.mkdir(path.join(dir, 'figures'));
  await fsp.mkdir(path.join(dir, 'tables'));
  for (const f of r.figures) {
    await fsp.writeFile(path.join(dir, 'figures', `${f.name}.svg`), f.svg);
    await fsp.writeFile(path.join(dir, 'figures', `${f.name}.png`), f.png);
  }
  for (const t of r.tables) await fsp.writeFile(path.join(dir, 'tables', `${t.name}.csv`), t.csv);
}
