/**
 * The study report (issue "report"): one PDF with every section a reviewer expects, plus each
 * figure as SVG and PNG and each table as CSV beside it:
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
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { AppError } from '../../src-shared/errors';
import type { ResultsRow, StudyResults } from '../../src-shared/evaluation';
import { fig2Panels, STRATEGY_COLOURS, STRATEGY_DASHED, STRATEGIES } from '../../src-shared/figures';
import { StudyFile } from '../../src-shared/study';
import type { ReadableDatasetSummary } from '../../src-shared/contract';
import type { TrainingSpec } from '../../src-shared/training';
import { readDatasetManifest } from '../services/datasets/manifest-file';
import { listDatasets } from '../services/datasets/view';
import { studyResults, resultsTableCsv } from '../services/evaluation/results';
import { csvRow } from '../services/evaluation/files';
import { writeFileAtomic } from '../fs/atomic';
import { throwIfCancelled, type JobContext } from '../job-context';
import { listRuns, type RunInfo } from '../services/runs/run-info';
import { STUDY_FILE, requireStudyFolder } from '../services/study-folder/study-service';
import { readGrid } from '../services/training/grid';
import { APP_VERSION } from '../version';
import { PdfWriter, type TableColumn } from './pdf-writer';
import { panelFigure } from './svg';
import { REPORT_SECTIONS, analysisSections, type ReportContext } from './sections';

export { REPORT_SECTIONS };

export interface ReportOptions {
  /** Output PDF path. */
  out: string;
  /** Print real image identifiers instead of pseudonyms (default false). */
  revealImageIds?: boolean;
  /** Date printed on the report (default now; tests fix it). */
  date?: Date;
}

export interface ReportResult {
  pdf: string;
  assetsDir: string;
  pages: number;
  figures: string[];
  tables: string[];
  sections: string[];
  bytes: number;
}

export interface Figure {
  name: string;
  svg: string;
  caption: string;
}

/** Rasterises an SVG at 2× for print. */
export async function rasterise(svg: string): Promise<{ png: Buffer; width: number; height: number }> {
  const png = await sharp(Buffer.from(svg), { density: 144 }).png({ compressionLevel: 9 }).toBuffer();
  const meta = await sharp(png).metadata();
  return { png, width: meta.width ?? 0, height: meta.height ?? 0 };
}

export function pseudonymiser(studyId: string, reveal: boolean): (datasetId: string, imageId: string) => string {
  return (datasetId, imageId) => (reveal ? imageId : `img-${createHash('sha256').update(`${studyId}\u0000${datasetId}\u0000${imageId}`).digest('hex').slice(0, 10)}`);
}

const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const ci = (lo: number, hi: number) => `${lo.toFixed(3)}–${hi.toFixed(3)}`;
const pValue = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

function csv(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows.map(csvRow).join('\n') + '\n';
}

/** sha256 over the dataset's sorted (item id, source sha256) pairs: identifies its content. */
async function datasetContentHash(study: string, datasetId: string): Promise<string> {
  const { manifest } = await readDatasetManifest(study, datasetId);
  const h = createHash('sha256');
  for (const it of [...manifest.items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) h.update(`${it.id}\u0000${it.source.sha256}\n`);
  return h.digest('hex');
}

function specRows(spec: TrainingSpec): [string, string][] {
  const rows: [string, string][] = [
    ['Architecture', `${spec.arch} at ${spec.inputSize}×${spec.inputSize}`],
    ['Epochs · lr · batch', `${spec.epochs} · ${spec.lr} · ${spec.batchSize}`],
    ['Optimizer', `AdamW β=(${spec.optimizer.betas.join(', ')}), ε=${spec.optimizer.eps}, weight decay ${spec.optimizer.weightDecay}${spec.optimizer.noDecayForNormAndBias ? ' (not on norms/biases)' : ''}`],
    ['Schedule', `${spec.schedule.kind}${spec.warmup.steps ? `, warm-up ${spec.warmup.steps} epochs from ×${spec.warmup.startFactor}` : ''}`],
    ['Augmentation', JSON.stringify(spec.augmentation)],
    ['Normalisation', spec.normalisation.kind],
    ['Class weights · early stopping', `${spec.classWeights ? 'inverse frequency' : 'none'} · ${spec.earlyStoppingPatience ?? 'off'}`],
    ['Referable grades', `{${spec.referable.join(', ')}}`],
    ['Validation split', `${spec.validationFraction} of the patients (seed ${spec.validationSeed})`],
  ];
  if (spec.strategy === 'IWNE-CL') {
    const m = spec.moco;
    rows.push(['MoCo v2 pretraining', `${m.epochs} epochs, batch ${m.batchSize}, ${m.optimizer} lr ${m.lr} (${m.schedule.kind}), wd ${m.weightDecay}, queue ${m.queueSize}, m ${m.momentum}, T ${m.temperature}, dim ${m.dim}`]);
  }
  return rows;
}

/** Builds the report; see the module comment. */
export async function buildReport(studyPath: string, opts: ReportOptions, ctx: JobContext): Promise<ReportResult> {
  const study = requireStudyFolder(studyPath, 'study');
  const out = path.resolve(opts.out);
  if (!out.toLowerCase().endsWith('.pdf')) throw new AppError('BAD_REQUEST', `The report file must end in .pdf (got ${out}).`, [{ path: 'out', message: 'expected a .pdf file' }]);
  const assetsDir = out.replace(/\.pdf$/i, '-assets');
  const studyFile = StudyFile.parse(JSON.parse(await fsp.readFile(path.join(study, STUDY_FILE), 'utf8')));
  const date = opts.date ?? new Date();
  const pseudonym = pseudonymiser(studyFile.id, opts.revealImageIds ?? false);

  ctx.progress(0, 10, 'Reading the study');
  const datasets = (await listDatasets(study)).filter((d): d is ReadableDatasetSummary => d.readable);
  const runs = await listRuns(study);
  const grid = await readGrid(study).catch(() => null);
  const results: StudyResults = await studyResults(study);
  const hashes = new Map<string, string>();
  for (const d of datasets) hashes.set(d.id, await datasetContentHash(study, d.id));
  const backends = [...new Set(runs.map((r) => r.result?.backend).filter((b): b is string => !!b))];
  const synthetic = datasets.some((d) => d.synthetic);

  const figures: Figure[] = [];
  const tables: { name: string; csv: string }[] = [];
  const w = new PdfWriter({ title: `FundusLab study report: ${studyFile.name}`, subject: 'Pretraining strategies for referable diabetic retinopathy', creationDate: date });
  const sections: string[] = [];
  const section = (title: string) => {
    sections.push(title);
    w.heading(title, 1);
  };

  // Title page.
  w.doc.moveDown(6);
  w.doc.font('bold').fontSize(24).text('FundusLab study report', { align: 'center' });
  w.doc.moveDown(0.5);
  w.doc.font('body').fontSize(16).text(studyFile.name, { align: 'center' });
  w.doc.moveDown(2);
  w.doc.fontSize(11).text('To pretrain or not? IWNE-FS, IWNE-CL, IFI-FS and IFI-CL compared on referable-DR AUC, representation spectra, robustness and explanations (after Srinivasan et al., PLOS ONE 2022).', { align: 'center' });
  w.doc.moveDown(2);
  w.keyValues([
    ['Study', `${studyFile.name} (id ${studyFile.id})`],
    ['Created', `${studyFile.createdAt} with FundusLab ${studyFile.createdWith.version}`],
    ['Report', `${date.toISOString()} · FundusLab ${APP_VERSION}`],
    ['Image identifiers', opts.revealImageIds ? 'shown as in the datasets (the user opted in)' : 'replaced by stable pseudonyms (img-…); no file names or metadata of the images are included'],
  ]);
  if (synthetic) w.paragraph('NOTE: this study uses SYNTHETIC demo images (generated by FundusLab), not photographs of patients. Its numbers demonstrate the method only; they say nothing about real diabetic retinopathy.', { bold: true, colour: '#9a3412' });
  w.newPage();

  // Datasets.
  section('1 Datasets');
  w.table(
    [
      { header: 'Dataset', width: 0.17 },
      { header: 'Type', width: 0.11 },
      { header: 'Images', width: 0.08, align: 'right' },
      { header: 'Patients', width: 0.09, align: 'right' },
      { header: 'Grades 0/1/2/3/4', width: 0.2 },
      { header: 'Splits', width: 0.17 },
      { header: 'Issues (err/warn)', width: 0.1, align: 'right' },
      { header: 'Synthetic', width: 0.08 },
    ],
    datasets.map((d) => [d.id, d.type, String(d.items), String(d.patients), [0, 1, 2, 3, 4].map((g) => String((d.grades as Record<string, number>)[String(g)] ?? 0)).join('/'), Object.entries(d.splits).map(([k, v]) => `${k} ${v}`).join(', '), `${d.issues.error}/${d.issues.warning}`, d.synthetic ? 'yes' : 'no']),
  );
  tables.push({ name: 'datasets', csv: csv([['dataset', 'type', 'images', 'patients', 'grade0', 'grade1', 'grade2', 'grade3', 'grade4', 'errors', 'warnings', 'synthetic', 'content_sha256'], ...datasets.map((d) => [d.id, d.type, d.items, d.patients, ...[0, 1, 2, 3, 4].map((g) => (d.grades as Record<string, number>)[String(g)] ?? 0), d.issues.error, d.issues.warning, d.synthetic ? 'yes' : 'no', hashes.get(d.id) ?? ''])]) });
  for (const d of datasets) {
    const notes = [...d.notes, ...(d.reportProblem ? [d.reportProblem] : [])];
    if (d.issues.error + d.issues.warning > 0 || notes.length > 0) {
      w.paragraph(`${d.id}: ${d.issues.error} image(s) excluded with errors, ${d.issues.warning} warning(s)${d.excluded !== null ? `; ${d.excluded} of ${d.candidates} candidates left out` : ''}.${notes.length ? ' ' + notes.join(' ') : ''}`, { size: 9 });
    }
  }

  // Methods.
  ctx.progress(2, 10, 'Methods');
  section('2 Methods');
  w.paragraph('Four strategies are compared: IWNE-FS (random initialisation, supervised), IWNE-CL (MoCo v2 contrastive pretraining on the study images, then supervised fine-tuning), IFI-FS (initialised from supervised ImageNet weights) and IFI-CL (initialised from a MoCo v2 ImageNet checkpoint). Each is trained on label fractions of the training patients (stratified by grade, grouped by patient, nested), the model with the best validation AUC of P(referable) is kept, and P(referable) is the softmax probability summed over the referable grades.');
  if (grid) w.keyValues([['Grid', `${grid.strategies.join(', ')} × fractions ${grid.fractions.join(', ')} × seeds ${grid.seeds.join(', ')}`], ['ImageNet weights', grid.imagenetWeights ? path.basename(grid.imagenetWeights) : '—'], ['MoCo v2 weights', grid.mocoWeights ? path.basename(grid.mocoWeights) : '—']]);
  const byStrategy = new Map<string, RunInfo>();
  for (const r of runs) if (!byStrategy.has(r.spec.strategy)) byStrategy.set(r.spec.strategy, r);
  for (const s of STRATEGIES) {
    const r = byStrategy.get(s);
    if (!r) continue;
    w.heading(`${s} settings (as run ${r.runId}; other fractions and seeds differ only there)`, 3);
    w.keyValues(specRows(r.spec));
    if (r.result?.initialisedFrom) w.paragraph(`Initialised from ${path.basename(r.result.initialisedFrom)}${r.result.pretraining ? ` (MoCo v2 pretraining ${r.result.pretraining.id}: ${r.result.pretraining.epochs} epochs on ${r.result.pretraining.images} images, queue ${r.result.pretraining.queueSize}${r.result.pretraining.queueNote ? ` — ${r.result.pretraining.queueNote}` : ''})` : ''}.`, { size: 9 });
  }
  w.heading('Software, compute and data', 3);
  w.keyValues([
    ['FundusLab', APP_VERSION],
    ['Runtime', `Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}, ${process.platform}/${process.arch}, ${os.availableParallelism()} CPUs`],
    ['TensorFlow.js backend(s)', backends.length ? backends.join(', ') : '—'],
    ['Seeds', [...new Set(runs.map((r) => r.spec.seed))].join(', ') || '—'],
    ...datasets.map((d): [string, string] => [`Dataset ${d.id}`, `sha256 ${hashes.get(d.id)}`]),
  ]);

  // Results (Fig 2, table, paired tests).
  ctx.progress(3, 10, 'Fig 2 and the results table');
  section('3 Referable-DR AUC (Fig 2)');
  const panels = fig2Panels(results);
  if (panels.length === 0) {
    w.paragraph('No evaluations yet: evaluate the trained runs on a test set (funduslab evaluate, or the Results page) to fill this section.');
  } else {
    const svg = panelFigure(
      panels.map((p) => ({ title: p.title, x: { min: 0, max: 1, label: p.xLabel, ticks: p.xTicks }, y: { min: p.yDomain[0], max: p.yDomain[1], label: p.yLabel }, series: p.series.map((s) => ({ name: s.name, colour: s.colour, dashed: s.dashed, points: s.points, band: s.band })) })),
      { columns: Math.min(2, panels.length), legend: STRATEGIES.filter((s) => panels.some((p) => p.series.some((x) => x.name === s))).map((s) => ({ name: s, colour: STRATEGY_COLOURS[s], dashed: STRATEGY_DASHED[s] })) },
    );
    figures.push({ name: 'fig2-auc-vs-fraction', svg, caption: 'Fig 2. AUC of P(referable) against the label fraction, one line per strategy (mean over seeds), band: DeLong 95% CI (several seeds: mean of the seeds\' CI bounds); one panel per test set.' });
    await placeFigure(w, figures.at(-1)!);
  }
  if (results.rows.length > 0) {
    w.heading('Results table', 2);
    const rows = [...results.rows].sort((a, b) => a.datasetId.localeCompare(b.datasetId) || STRATEGIES.indexOf(a.strategy) - STRATEGIES.indexOf(b.strategy) || a.fraction - b.fraction || a.seed - b.seed);
    const best = new Set<string>();
    for (const key of new Set(rows.map((r) => `${r.datasetId}|${r.split}|${r.fraction}`))) {
      const group = rows.filter((r) => `${r.datasetId}|${r.split}|${r.fraction}` === key);
      const top = Math.max(...group.map((r) => r.auc));
      group.filter((r) => r.auc === top).forEach((r) => best.add(r.evaluation));
    }
    w.table(
      [
        { header: 'Test set', width: 0.17 },
        { header: 'Strategy', width: 0.1 },
        { header: 'Fraction', width: 0.09, align: 'right' },
        { header: 'Seed', width: 0.06, align: 'right' },
        { header: 'n (pos.)', width: 0.1, align: 'right' },
        { header: 'AUC', width: 0.07, align: 'right' },
        { header: 'DeLong 95% CI', width: 0.14 },
        { header: 'Bootstrap 95% CI', width: 0.15 },
        { header: 'Sens/spec', width: 0.12 },
      ],
      rows.map((r: ResultsRow) => [`${r.datasetId} (${r.split})${r.overlapsTraining ? ' *' : ''}`, r.strategy, String(r.fraction), String(r.seed), `${r.n} (${r.positives})`, r.auc.toFixed(3), ci(r.delong.lower, r.delong.upper), ci(r.bootstrap.lower, r.bootstrap.upper), `${fmt(r.operatingPoint.sensitivity, 2)}/${fmt(r.operatingPoint.specificity, 2)}`]),
      { highlight: (i, col) => col === 5 && best.has(rows[i]!.evaluation) },
    );
    w.paragraph('Bold: the best AUC per test set and fraction. Sensitivity/specificity at the highest threshold reaching the target sensitivity. * the test images overlap the run\'s own training data.', { size: 8 });
    tables.push({ name: 'results', csv: resultsTableCsv(results) });
  }
  const comparisons = results.comparisons.filter((c) => c.test !== null || c.error !== null);
  if (comparisons.length > 0) {
    w.heading('Paired DeLong tests (same images)', 2);
    w.table(
      [
        { header: 'Test set', width: 0.18 },
        { header: 'Fraction / seed', width: 0.13 },
        { header: 'A vs B', width: 0.22 },
        { header: 'AUC A − B', width: 0.12, align: 'right' },
        { header: '95% CI', width: 0.17 },
        { header: 'p', width: 0.1, align: 'right' },
      ],
      comparisons.map((c) => [`${c.datasetId} (${c.split})`, `${c.fraction} / ${c.seed}`, `${c.a.strategy} vs ${c.b.strategy}`, c.test ? c.test.difference.toFixed(3) : '—', c.test ? ci(c.test.lower, c.test.upper) : (c.error ?? ''), c.test ? pValue(c.test.p) : '—']),
    );
    tables.push({ name: 'paired-tests', csv: csv([['dataset', 'split', 'fraction', 'seed', 'a', 'b', 'auc_a', 'auc_b', 'difference', 'lower', 'upper', 'p', 'error'], ...comparisons.map((c) => [c.datasetId, c.split, c.fraction, c.seed, c.a.strategy, c.b.strategy, c.test?.aucA ?? null, c.test?.aucB ?? null, c.test?.difference ?? null, c.test?.lower ?? null, c.test?.upper ?? null, c.test?.p ?? null, c.error])]) });
  }

  // Analyses: spectra, robustness, explanations (each only when it was run).
  const rctx: ReportContext = { study, studyId: studyFile.id, runs, pseudonym, writer: w, figures, tables, section, placeFigure: (f) => placeFigure(w, f), ctx };
  await analysisSections(rctx);
  throwIfCancelled(ctx);

  // Limitations.
  ctx.progress(8, 10, 'Limitations and appendix');
  section('7 Limitations');
  const limitations = [
    ...(synthetic ? ['The images are synthetic (FundusLab demo data), and the IFI "pretrained" weights are demo stand-ins derived from a synthetic texture set, not ImageNet: the numbers show that the pipeline works, not how the strategies compare on real fundus photographs.'] : []),
    `Seeds: ${[...new Set(runs.map((r) => r.spec.seed))].length || 0} per cell. With one seed, the bands show sampling uncertainty of the test set (DeLong), not the variation between training runs.`,
    'Validation and test: the best epoch is chosen by validation AUC on a fixed patient-level split of the training data; test sets must not share patients with training (the table marks overlaps with *).',
    'Referable DR is defined by the chosen grade set; AUCs for {3,4} (the paper) and {2,3,4} (clinical practice) are not comparable.',
    'Reduced models, input sizes or epochs (if used here, see Methods) differ from the paper\'s ResNet50 at 224 px trained 500 / 50 epochs.',
    'MoCo v2 pretraining runs on a single device without shuffle-BN.',
  ];
  w.bullets(limitations);

  // Appendix: per-run metrics.
  section('Appendix: per-run training metrics');
  w.table(
    [
      { header: 'Run', width: 0.36 },
      { header: 'Epochs', width: 0.08, align: 'right' },
      { header: 'Best val AUC (epoch)', width: 0.17, align: 'right' },
      { header: 'Train / val images', width: 0.14, align: 'right' },
      { header: 'img/s', width: 0.08, align: 'right' },
      { header: 'Time (s)', width: 0.09, align: 'right' },
      { header: 'Backend', width: 0.08 },
    ],
    runs.map((r) => [r.runId, r.result ? String(r.result.finalEpoch) : 'unfinished', r.result ? `${fmt(r.result.bestValAuc)} (${r.result.bestEpoch ?? '—'})` : '—', r.result ? `${r.result.trainImages} / ${r.result.validationImages}` : '—', r.result ? r.result.imagesPerSecond.toFixed(1) : '—', r.result ? r.result.seconds.toFixed(0) : '—', r.result?.backend ?? '—']),
  );
  tables.push({ name: 'runs', csv: csv([['run', 'strategy', 'fraction', 'seed', 'arch', 'input_size', 'epochs_done', 'best_val_auc', 'best_epoch', 'train_images', 'validation_images', 'images_per_second', 'seconds', 'backend'], ...runs.map((r) => [r.runId, r.spec.strategy, r.spec.fraction, r.spec.seed, r.spec.arch, r.spec.inputSize, r.result?.finalEpoch ?? null, r.result?.bestValAuc ?? null, r.result?.bestEpoch ?? null, r.result?.trainImages ?? null, r.result?.validationImages ?? null, r.result?.imagesPerSecond ?? null, r.result?.seconds ?? null, r.result?.backend ?? null])]) });

  // Write: assets first, the PDF last (its presence means the report is complete).
  ctx.progress(9, 10, 'Writing the files');
  await fsp.mkdir(path.join(assetsDir, 'figures'), { recursive: true });
  await fsp.mkdir(path.join(assetsDir, 'tables'), { recursive: true });
  for (const f of figures) {
    await writeFileAtomic(path.join(assetsDir, 'figures', `${f.name}.svg`), f.svg);
    await writeFileAtomic(path.join(assetsDir, 'figures', `${f.name}.png`), (await rasterise(f.svg)).png);
  }
  for (const t of tables) await writeFileAtomic(path.join(assetsDir, 'tables', `${t.name}.csv`), t.csv);
  const { bytes, pages } = await w.finish(`FundusLab report · ${studyFile.name}`);
  await fsp.mkdir(path.dirname(out), { recursive: true });
  await writeFileAtomic(out, bytes);
  ctx.progress(10, 10, `Report written: ${out}`);
  return { pdf: out, assetsDir, pages, figures: figures.map((f) => f.name), tables: tables.map((t) => t.name), sections, bytes: bytes.length };
}

async function placeFigure(w: PdfWriter, f: Figure): Promise<void> {
  const { png, width, height } = await rasterise(f.svg);
  w.figure(png, width, height, f.caption);
}

export type { TableColumn };
