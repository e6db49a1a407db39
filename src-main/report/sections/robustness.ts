/** Section 5: each robustness analysis — the per-model table, Fig 4 (CL − FS per initialisation) and the corruption gallery. */
import path from 'node:path';
import sharp from 'sharp';
import { fig4Panels, severityOpacity } from '../../../src-shared/figures';
import { corruptionDisplayName } from '../../../src-shared/robustness';
import { strategyRank } from '../../../src-shared/training';
import { listRobustness, readRobustness } from '../../analysis/robustness/results';
import { csvRow } from '../../services/evaluation/files';
import { fmt, type ReportContext } from '../context';
import { pickRobustness, robustnessSettings } from '../../../src-shared/analysis-choice';
import { barRowsPanel, labelledImageGrid, legend, svgDocument } from '../svg';

/** Gallery image side in the figure (SVG px; the figure is scaled to the text width). */
const GALLERY_CELL = 120;

/** A gallery image as a small JPEG data URI (twice the cell size at most: the figure is rasterised at 2×). */
async function galleryImage(file: string): Promise<string> {
  const jpeg = await sharp(file)
    .resize(2 * GALLERY_CELL, 2 * GALLERY_CELL, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#000000' })
    .jpeg({ quality: 85 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

export async function robustnessSection(r: ReportContext): Promise<void> {
  r.ctx.progress(5, 10, 'Robustness');
  r.section('5 Robustness to image distortions (Fig 4)');
  // An analysis with any outdated run is left out with its runs (Methods lists them).
  // One result per dataset and set of runs: the most recent with the default settings, else the most recent (pickRobustness).
  const all = (await listRobustness(r.study)).filter(
    (x) => !x.models.some((m) => r.leftOut(m.runId)) && !r.changedResults.has(`robustness/${x.name}`),
  );
  const results = pickRobustness(all);
  if (results.length === 0) {
    r.writer.paragraph(
      'No robustness analysis yet: run funduslab robustness --study <dir> --runs <ids> --dataset <id> (or the Robustness page) to fill this section.',
    );
    return;
  }
  for (const [k, res] of results.entries()) {
    const tag = results.length > 1 ? `-${k + 1}` : '';
    r.writer.paragraph(
      `${res.datasetId} (${res.split}): ${res.images} images (${res.positives} referable), ${res.corruptions.length} corruptions × severities ${res.severities.join(', ')}, seed ${res.seed}. Score: mean probability of the true referable/non-referable class; every model saw the same corrupted images. Settings: ${robustnessSettings(res)}.`,
    );
    const models = [...res.models].sort((a, b) => strategyRank(a.strategy) - strategyRank(b.strategy) || a.runId.localeCompare(b.runId));
    r.writer.table(
      [
        { header: 'Run', width: 0.4, nowrap: true },
        { header: 'Strategy', width: 0.14 },
        { header: 'Clean', width: 0.14, align: 'right' },
        { header: 'Mean corrupted', width: 0.16, align: 'right' },
        { header: 'Clean AUC', width: 0.16, align: 'right' },
      ],
      models.map((m) => {
        const clean = m.cells.find((c) => c.corruption === 'clean')!;
        const rest = m.cells.filter((c) => c.corruption !== 'clean');
        return [
          m.runId,
          m.strategy,
          fmt(clean.meanTrueClassProbability),
          fmt(rest.reduce((a, c) => a + c.meanTrueClassProbability, 0) / Math.max(1, rest.length)),
          fmt(clean.auc),
        ];
      }),
    );
    r.tables.push({
      name: `robustness${tag}`,
      csv:
        [
          csvRow(['run', 'strategy', 'corruption', 'severity', 'mean_true_class_probability', 'auc']),
          ...res.models.flatMap((m) =>
            m.cells.map((c) => csvRow([m.runId, m.strategy, c.corruption, c.severity, c.meanTrueClassProbability, c.auc])),
          ),
        ].join('\n') + '\n',
    });
    const panels = fig4Panels(res);
    if (panels.length === 0) {
      r.writer.paragraph('Fig 4 needs a CL and an FS run of the same initialisation, fraction and seed among the analysed runs.', {
        size: 9,
      });
    } else {
      // One x range for every panel, so bar lengths compare across initialisations.
      const limit = Math.max(...panels.map((p) => p.limit));
      const width = 440;
      const parts: string[] = [];
      let height = 0;
      const drawn = panels.map((p, i) =>
        barRowsPanel(
          {
            title: p.title,
            rows: p.corruptions,
            bars: p.bars.map((b) => ({ row: b.corruption, level: b.severity, value: b.difference })),
            limit,
            colour: p.colour,
            xLabel: 'CL − FS: mean probability of the true class',
            opacity: severityOpacity,
            levels: res.severities,
            rowLabel: corruptionDisplayName,
          },
          i * width,
          0,
          width,
        ),
      );
      for (const d of drawn) height = Math.max(height, d.height);
      drawn.forEach((d, i) => {
        parts.push(d.svg);
        // Swatches in the panel's own colour at each severity's opacity, as the bars.
        const y = height + 12;
        parts.push(`<text x="${i * width + 132}" y="${y + 4}" text-anchor="end" font-size="11">severity</text>`);
        parts.push(
          legend(
            res.severities.map((s) => ({ name: String(s), colour: panels[i]!.colour, box: true, opacity: severityOpacity(s) })),
            i * width + 140,
            y,
            width - 150,
            11,
          ),
        );
      });
      const svg = svgDocument(panels.length * width, height + 30, parts.join('\n'));
      await r.addFigure({
        name: `fig4-robustness${tag}`,
        svg,
        caption: `Fig 4. CL minus FS, per initialisation: difference of the mean probability of the true class under each corruption (rows) and severity (bars, darker = more severe); positive = the contrastively pretrained model is more robust. Both panels share one x range (±${fmt(limit, 2)}). ${res.datasetId}, ${res.images} images.`,
      });
    }
    if (res.gallery) await gallery(r, res, tag);
  }
}

/** The gallery: one row per corruption, the severities as columns (the clean image first), in parts that fit a page. */
async function gallery(r: ReportContext, res: Awaited<ReturnType<typeof listRobustness>>[number], tag: string): Promise<void> {
  const g = res.gallery!;
  const { folder: dir } = await readRobustness(r.study, res.name);
  const severities = [...new Set(g.files.filter((f) => f.corruption !== 'clean').map((f) => f.severity))].sort((a, b) => a - b);
  const corruptions = [...new Set(g.files.filter((f) => f.corruption !== 'clean').map((f) => f.corruption))];
  const clean = g.files.find((f) => f.corruption === 'clean');
  const rows: { label: string; cells: (string | null)[] }[] = [];
  if (clean) rows.push({ label: 'Clean', cells: [await galleryImage(path.join(dir, clean.file)), ...severities.slice(1).map(() => null)] });
  for (const c of corruptions) {
    const cells: (string | null)[] = [];
    for (const s of severities) {
      const f = g.files.find((x) => x.corruption === c && x.severity === s);
      cells.push(f ? await galleryImage(path.join(dir, f.file)) : null);
    }
    rows.push({ label: corruptionDisplayName(c), cells });
  }
  // A gallery longer than a page comes in parts: the first takes the rows that fit on the rest of this page (when
  // that is a few), the others a page each.
  const width = 150 + severities.length * (GALLERY_CELL + 6) + 6;
  const scale = Math.min(1, r.writer.textWidth / width);
  const rowsIn = (space: number) => Math.floor((space - 60 - 26 * scale) / ((GALLERY_CELL + 6) * scale));
  const perPage = Math.max(1, rowsIn(r.writer.pageSpace));
  const first = r.writer.floating ? perPage : rowsIn(r.writer.remaining);
  const chunks: (typeof rows)[] = [];
  let i = 0;
  if (rows.length > perPage && first >= 3 && first < rows.length) {
    chunks.push(rows.slice(0, first));
    i = first;
  }
  for (; i < rows.length; i += perPage) chunks.push(rows.slice(i, i + perPage));
  const image = r.pseudonym(res.datasetId, g.image);
  for (const [i, chunk] of chunks.entries()) {
    // The caption names the image; the grid has no title of its own, so it can be as narrow as its columns.
    const part = chunks.length > 1 ? ` (part ${i + 1} of ${chunks.length})` : '';
    await r.addFigure({
      name: `fig4-gallery${tag}${i > 0 ? `-part${i + 1}` : ''}`,
      svg: labelledImageGrid({
        columns: severities.map((s) => `severity ${s}`),
        rows: chunk,
        size: GALLERY_CELL,
        labelWidth: 150,
      }),
      caption: `Gallery${part}: one test image (pseudonymised id ${image}) as the models saw it, clean and under each corruption (rows) at each severity (columns).`,
      photo: true,
    });
  }
}
