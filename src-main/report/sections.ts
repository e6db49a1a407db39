/**
 * The analysis sections of the report (spectra, robustness, explanations): each draws what the
 * study's analysis folders hold, or says which command fills it.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { STRATEGY_DASHED, fig3aPanels, fig3bPanels, fig4Panels, heatmapRgba, severityOpacity, table2Rows, table3, type ChartPanel } from '../../src-shared/figures';
import { LESION_COLOURS } from '../../src-shared/contract';
import sharp from 'sharp';
import { readDatasetManifest } from '../services/datasets/manifest-file';
import { listExplanations, listRobustness, listSpectra, ROBUSTNESS_DIR } from '../services/analyses/read';
import type { JobContext } from '../job-context';
import { csvRow } from '../services/evaluation/files';
import type { RunInfo } from '../services/runs/run-info';
import type { PdfWriter } from './pdf-writer';
import { barRowsPanel, imageGrid, legend, panelFigure, svgDocument, type PanelSpec } from './svg';
import type { Figure } from './report';

/** Every section heading of the report, in order (tests look for each in the PDF text). */
export const REPORT_SECTIONS = [
  '1 Datasets',
  '2 Methods',
  '3 Referable-DR AUC (Fig 2)',
  '4 Representation spectra (Fig 3, Table 2)',
  '5 Robustness to image distortions (Fig 4)',
  '6 Explanations and lesions (Fig 5, Table 3)',
  '7 Limitations',
  'Appendix: per-run training metrics',
] as const;

export interface ReportContext {
  study: string;
  studyId: string;
  runs: RunInfo[];
  pseudonym: (datasetId: string, imageId: string) => string;
  writer: PdfWriter;
  figures: Figure[];
  tables: { name: string; csv: string }[];
  section: (title: string) => void;
  placeFigure: (f: Figure) => Promise<void>;
  ctx: JobContext;
}

export async function analysisSections(r: ReportContext): Promise<void> {
  r.ctx.progress(4, 10, 'Spectra');
  r.section(REPORT_SECTIONS[3]);
  await spectraSection(r);
  r.ctx.progress(5, 10, 'Robustness');
  r.section(REPORT_SECTIONS[4]);
  await robustnessSection(r);
  r.ctx.progress(6, 10, 'Explanations');
  r.section(REPORT_SECTIONS[5]);
  await explanationsSection(r);
}


async function robustnessSection(r: ReportContext): Promise<void> {
  const results = await listRobustness(r.study);
  if (results.length === 0) {
    r.writer.paragraph('No robustness analysis yet: run funduslab robustness --study <dir> --runs <ids> --dataset <id> (or the Robustness page) to fill this section.');
    return;
  }
  for (const [k, res] of results.entries()) {
    const tag = results.length > 1 ? `-${k + 1}` : '';
    r.writer.paragraph(`${res.datasetId} (${res.split}): ${res.images} images (${res.positives} referable), ${res.corruptions.length} corruptions × severities ${res.severities.join(', ')}, seed ${res.seed}. Score: mean probability of the true referable/non-referable class; every model saw the same corrupted images.`);
    r.writer.table(
      [
        { header: 'Run', width: 0.4 },
        { header: 'Strategy', width: 0.14 },
        { header: 'Clean', width: 0.14, align: 'right' },
        { header: 'Mean corrupted', width: 0.16, align: 'right' },
        { header: 'Clean AUC', width: 0.16, align: 'right' },
      ],
      res.models.map((m) => {
        const clean = m.cells.find((c) => c.corruption === 'clean')!;
        const rest = m.cells.filter((c) => c.corruption !== 'clean');
        return [m.runId, m.strategy, clean.meanTrueClassProbability.toFixed(3), (rest.reduce((a, c) => a + c.meanTrueClassProbability, 0) / Math.max(1, rest.length)).toFixed(3), clean.auc === null ? '—' : clean.auc.toFixed(3)];
      }),
    );
    r.tables.push({
      name: `robustness${tag}`,
      csv: [csvRow(['run', 'strategy', 'corruption', 'severity', 'mean_true_class_probability', 'auc']), ...res.models.flatMap((m) => m.cells.map((c) => csvRow([m.runId, m.strategy, c.corruption, c.severity, c.meanTrueClassProbability, c.auc])))].join('\n') + '\n',
    });
    const panels = fig4Panels(res);
    if (panels.length === 0) {
      r.writer.paragraph('Fig 4 needs a CL and an FS run of the same initialisation, fraction and seed among the analysed runs.', { size: 9 });
    } else {
      const width = 460;
      let y = 0;
      const parts: string[] = [];
      const drawn = panels.map((p, i) => {
        const out = barRowsPanel({ title: p.title, rows: p.corruptions, bars: p.bars.map((b) => ({ row: b.corruption, level: b.severity, value: b.difference })), limit: p.limit, colour: p.colour, xLabel: 'CL − FS: mean probability of the true class', opacity: severityOpacity, levels: res.severities }, i * width, 0, width);
        y = Math.max(y, out.height);
        return out.svg;
      });
      parts.push(...drawn);
      const leg = legend(res.severities.map((s) => ({ name: `severity ${s}`, colour: `rgba(0,0,0,${severityOpacity(s).toFixed(2)})` })), 40, y + 12, panels.length * width - 60);
      const svg = svgDocument(panels.length * width, y + 30, parts.join('\n') + '\n' + leg);
      const fig = { name: `fig4-robustness${tag}`, svg, caption: `Fig 4. CL minus FS, per initialisation: difference of the mean probability of the true class under each corruption (rows) and severity (bars, darker = more severe); positive = the contrastively pretrained model is more robust. ${res.datasetId}, ${res.images} images.` };
      r.figures.push(fig);
      await r.placeFigure(fig);
    }
    if (res.gallery) {
      const dir = path.join(r.study, ROBUSTNESS_DIR, res.name);
      const cells = [];
      for (const f of res.gallery.files) {
        const data = await fsp.readFile(path.join(dir, f.file));
        cells.push({ caption: f.corruption === 'clean' ? 'clean' : `${f.corruption.replace(/_/g, ' ')} ${f.severity}`, href: `data:image/png;base64,${data.toString('base64')}` });
      }
      const svg = imageGrid(cells, { columns: Math.min(6, cells.length), size: 96, title: `Image ${r.pseudonym(res.datasetId, res.gallery.image)} under every corruption and severity` });
      const fig = { name: `fig4-gallery${tag}`, svg, caption: 'Gallery: one test image (pseudonymised id) under each corruption and severity, as the models saw it.' };
      r.figures.push(fig);
      await r.placeFigure(fig);
    }
  }
}

/** Every spectra/<name>/result.json of the study (the reader the app uses too: src-main/services/analyses/read.ts). */
export { listSpectra };

/** A shared ChartPanel as an SVG panel spec (linear or log y). */
export function toPanelSpec(p: ChartPanel, opts: { logY?: boolean; xMin?: number; xMax?: number } = {}): PanelSpec {
  const xs = p.series.flatMap((s) => s.points.map(([x]) => x));
  return {
    title: p.title,
    x: { min: opts.xMin ?? Math.min(...xs, ...p.xTicks), max: opts.xMax ?? Math.max(...xs, ...p.xTicks), label: p.xLabel, ...(p.xTicks.length ? { ticks: p.xTicks } : {}) },
    y: { min: p.yDomain[0], max: p.yDomain[1], label: p.yLabel, ...(opts.logY ? { log: true, format: (v: number) => v.toExponential(0) } : { format: (v: number) => (v < 0.01 && v !== 0 ? v.toExponential(1) : v.toFixed(3)) }) },
    series: p.series.map((s) => ({ name: s.name, colour: s.colour, dashed: s.dashed, points: s.points, band: s.band, markers: s.points.length <= 60 })),
  };
}

async function spectraSection(r: ReportContext): Promise<void> {
  const results = await listSpectra(r.study);
  if (results.length === 0) {
    r.writer.paragraph('No spectra yet: run funduslab spectra --study <dir> --run <id> --dataset <id> for each strategy (or the Spectra page) to fill this section.');
    return;
  }
  const first = results[0]!;
  r.writer.paragraph(`Activations of N = ${first.n} images (${first.dataset.datasetId}, ${first.dataset.split}) at ${first.inputSize} px, standardised per feature; top-k PCA eigenvalues per layer (k = min(${first.k}, N − 1)); κ = |P${first.percentiles.high}(λ)| / |P${first.percentiles.low}(λ)|.`);
  const a = fig3aPanels(results);
  const legendItems = results.map((x) => ({ name: x.run.strategy, colour: a.flatMap((p) => p.series).find((s) => s.name.startsWith(x.run.strategy))?.colour ?? '#444', dashed: STRATEGY_DASHED[x.run.strategy] }));
  const figA = { name: 'fig3a-condition-numbers', svg: panelFigure(a.map((p) => toPanelSpec(p, { logY: true })), { columns: 2, legend: legendItems }), caption: 'Fig 3a. Condition number κ of every Conv, BatchNorm and Linear layer (log scale), IWNE models left, IFI right; FS solid, CL dashed.' };
  r.figures.push(figA);
  await r.placeFigure(figA);
  const b = fig3bPanels(results);
  const figB = { name: 'fig3b-first-layer-spectrum', svg: panelFigure(b.map((p) => toPanelSpec(p)), { columns: 2, legend: b[0]!.series.map((s) => ({ name: s.name, colour: s.colour, dashed: s.dashed })) }), caption: 'Fig 3b. The first conv layer\'s eigen-spectrum as a density over component rank, mirrored around 0 (right: the tails), with each model\'s kurtosis.' };
  r.figures.push(figB);
  await r.placeFigure(figB);
  const rows = table2Rows(results);
  r.writer.heading('Table 2: best-fitting distribution of the first-layer spectrum', 2);
  r.writer.table(
    [
      { header: 'Model', width: 0.12 },
      { header: 'Best fit', width: 0.11 },
      { header: 'Parameters', width: 0.35 },
      { header: 'RSS', width: 0.1, align: 'right' },
      { header: 'Kurtosis', width: 0.09, align: 'right' },
      { header: 'Pareto α', width: 0.1, align: 'right' },
      { header: 'Next best', width: 0.13 },
    ],
    rows.map((x) => [x.strategy, x.best, x.parameters, x.rss === null ? '—' : x.rss.toExponential(2), x.kurtosis.toFixed(2), x.paretoAlpha === null ? '—' : x.paretoAlpha.toPrecision(3), x.runnerUp]),
  );
  r.tables.push({ name: 'table2-distribution-fits', csv: [csvRow(['run', 'strategy', 'best', 'parameters', 'rss', 'kurtosis', 'pareto_alpha']), ...rows.map((x) => csvRow([x.runId, x.strategy, x.best, x.parameters, x.rss, x.kurtosis, x.paretoAlpha]))].join('\n') + '\n' });
  r.tables.push({ name: 'condition-numbers', csv: [csvRow(['run', 'strategy', 'layer', 'kind', 'module_index', 'kappa']), ...results.flatMap((x) => x.layers.map((l) => csvRow([x.run.runId, x.run.strategy, l.name, l.kind, l.moduleIndex, l.kappa])))].join('\n') + '\n' });
}

/** Every explanations/<name>/result.json of the study (the reader the app uses too). */
export { listExplanations };

const CELL = 128;
const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

async function greyBase(file: string): Promise<Buffer> {
  return sharp(file).resize(CELL, CELL, { fit: 'fill' }).greyscale().linear(0.7, 0).toColourspace('srgb').removeAlpha().png().toBuffer();
}

async function overlayMask(base: Buffer, masks: Uint8Array[], colour: string, size: number): Promise<Buffer> {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    if (masks.some((m) => m[i]! > 127)) {
      rgba[i * 4] = r!;
      rgba[i * 4 + 1] = g!;
      rgba[i * 4 + 2] = b!;
      rgba[i * 4 + 3] = 230;
    }
  }
  const layer = await sharp(Buffer.from(rgba), { raw: { width: size, height: size, channels: 4 } }).resize(CELL, CELL, { kernel: 'nearest' }).png().toBuffer();
  return sharp(base).composite([{ input: layer }]).png().toBuffer();
}

async function readMask(file: string, size: number): Promise<Uint8Array> {
  const { data } = await sharp(file).greyscale().resize(size, size, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

async function explanationsSection(r: ReportContext): Promise<void> {
  const results = await listExplanations(r.study);
  if (results.length === 0) {
    r.writer.paragraph('No explanations yet: run funduslab explain --study <dir> --runs <ids> --dataset <idrid-seg dataset> (or the Explanations page) to fill this section.');
    return;
  }
  const first = results[0]!;
  const lrp = first.request.lrp;
  r.writer.paragraph(`LRP α1β0 on ${first.dataset.datasetId} (${first.images.length} images at ${first.dataset.inputSize} px): BatchNorm merged into the convolutions, residual sums and average pooling proportional, first layer ${lrp.firstLayer}, max pooling ${lrp.maxPool}; relevance starts at ${first.request.start === 'true-grade' ? `the true grade's output (grade ${first.request.ungradedClass} for ungraded images)` : 'the referable-group output'}. RMA: share of the relevance inside the lesion mask; RRA: share of the mask-sized top-relevance pixels inside the mask.`);

  // Fig 5: the image with the most lesion types scored.
  const lesions = ['MA', 'HE', 'EX'] as const;
  const scoredCount = (im: (typeof first.images)[number]) => lesions.filter((l) => { const o = im.regions[l]; return o !== undefined && 'maskPixels' in o; }).length;
  const example = [...first.images].sort((a, b) => scoredCount(b) - scoredCount(a) || a.index - b.index)[0];
  if (example) {
    const { datasetDir, manifest } = await readDatasetManifest(r.study, first.dataset.datasetId);
    const item = manifest.items.find((it) => it.id === example.id);
    if (item?.cache) {
      const size = first.dataset.inputSize;
      const base = await greyBase(path.join(datasetDir, item.cache.input));
      const colour = await sharp(path.join(datasetDir, item.cache.input)).resize(CELL, CELL, { fit: 'fill' }).removeAlpha().png().toBuffer();
      const cells: { caption: string; href: string }[] = [{ caption: 'input', href: dataUri(colour) }];
      const masks: Uint8Array[] = [];
      for (const l of lesions) {
        const m = item.masks?.[l]?.cache;
        const mask = m ? await readMask(path.join(datasetDir, m.input), size) : new Uint8Array(size * size);
        masks.push(mask);
        cells.push({ caption: l, href: dataUri(await overlayMask(base, [mask], LESION_COLOURS[l], size)) });
      }
      cells.push({ caption: 'union', href: dataUri(await overlayMask(base, masks, '#ffd400', size)) });
      for (const res of results) {
        const im = res.images.find((x) => x.id === example.id);
        if (!im) continue;
        const buf = await fsp.readFile(path.join(r.study, 'explanations', res.name, im.heatmap));
        const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        const [h, w] = res.heatmap.shape;
        const layer = await sharp(Buffer.from(heatmapRgba(values)), { raw: { width: w, height: h, channels: 4 } }).resize(CELL, CELL, { kernel: 'nearest' }).png().toBuffer();
        cells.push({ caption: res.run.strategy, href: dataUri(await sharp(base).composite([{ input: layer }]).png().toBuffer()) });
      }
      const fig = { name: 'fig5-explanations', svg: imageGrid(cells, { columns: Math.min(cells.length, 5), size: CELL, title: `Image ${r.pseudonym(first.dataset.datasetId, example.id)}: lesion masks and LRP heatmaps` }), caption: 'Fig 5. Input, the lesion masks (microaneurysms, haemorrhages, hard exudates) and their union, and each model\'s LRP α1β0 heatmap (red: evidence for the explained output, blue: against).' };
      r.figures.push(fig);
      await r.placeFigure(fig);
    }
  }

  // Table 3: RMA and RRA (sum,pos pooling) per lesion.
  for (const metric of ['rma', 'rra'] as const) {
    const pooling = 'sum,pos';
    const t = table3(results, metric, pooling);
    r.writer.heading(`Table 3${metric === 'rma' ? 'a: relevance mass accuracy (RMA)' : 'b: relevance rank accuracy (RRA)'}, pooling ${pooling}`, 2);
    const regions = ['MA', 'HE', 'EX', 'union'];
    r.writer.table(
      [{ header: 'Model', width: 0.28 }, ...regions.map((g) => ({ header: `${g} mean ± std`, width: 0.18, align: 'right' as const }))],
      t.rows.map((row) => [row.label, ...regions.map((g) => { const c = row.cells[g]!; return c.mean === null ? '—' : `${c.mean.toFixed(3)} ± ${(c.std ?? 0).toFixed(3)}`; })]),
      { highlight: (i, col) => col > 0 && (t.best[regions[col - 1]!] ?? []).includes(i) },
    );
    r.tables.push({ name: `table3-${metric}`, csv: [csvRow(['model', ...regions.flatMap((g) => [`${g}_mean`, `${g}_std`])]), ...t.rows.map((row) => csvRow([row.label, ...regions.flatMap((g) => [row.cells[g]!.mean, row.cells[g]!.std])]))].join('\n') + '\n' });
  }
  r.writer.paragraph('Bold: the best model per column. Images without a mask of a lesion are not counted for it.', { size: 8 });
}
