/** Section 6: Fig 5 (input, lesion masks and each strategy's LRP heatmap on one image) and Table 3 (RMA and RRA per lesion). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { LESION_COLOURS, UNION_COLOUR } from '../../../src-shared/contract';
import { heatmapRgba, table3, TABLE3_POOLINGS } from '../../../src-shared/figures';
import { strategyRank } from '../../../src-shared/training';
import { explanationSettings, pickExplanations } from '../../../src-shared/analysis-choice';
import { listExplanations, readExplanation } from '../../analysis/lrp/results';
import { cacheDecodeError, readCacheFile } from '../../services/datasets/cache-check';
import { readDatasetManifest } from '../../services/datasets/manifest-file';
import { csvRow } from '../../services/evaluation/files';
import { fmt, settingsParagraph, type ReportContext } from '../context';
import { imageGrid } from '../svg';

const CELL = 128;
/** A cell of Fig 5 as a JPEG data URI (small SVG; the figure is a photograph in the PDF anyway). */
const dataUri = async (png: Buffer) => `data:image/jpeg;base64,${(await sharp(png).jpeg({ quality: 90 }).toBuffer()).toString('base64')}`;

async function greyBase(image: Buffer): Promise<Buffer> {
  return sharp(image).resize(CELL, CELL, { fit: 'fill' }).greyscale().linear(0.7, 0).toColourspace('srgb').removeAlpha().png().toBuffer();
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
  const layer = await sharp(Buffer.from(rgba), { raw: { width: size, height: size, channels: 4 } })
    .resize(CELL, CELL, { kernel: 'nearest' })
    .png()
    .toBuffer();
  return sharp(base)
    .composite([{ input: layer }])
    .png()
    .toBuffer();
}

async function readMask(mask: Buffer, size: number): Promise<Uint8Array> {
  const { data } = await sharp(mask)
    .greyscale()
    .resize(size, size, { fit: 'fill', kernel: 'nearest' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

export async function explanationsSection(r: ReportContext): Promise<void> {
  r.ctx.progress(6, 10, 'Explanations');
  r.section('6 Explanations and lesions (Fig 5, Table 3)');
  // The paper's order of the strategies (STRATEGY_ORDER), as in every table.
  // Explanations of outdated runs are left out with their runs (Methods lists them).
  // One result per run and dataset: the most recent with the default settings, else the most recent (pickExplanations).
  const all = (await listExplanations(r.study)).filter((x) => !r.leftOut(x.run.runId) && !r.changedResults.has(`explanations/${x.name}`));
  const results = pickExplanations(all).sort(
    (a, b) => strategyRank(a.run.strategy) - strategyRank(b.run.strategy) || a.run.runId.localeCompare(b.run.runId),
  );
  if (results.length === 0) {
    r.writer.paragraph(
      'No explanations yet: run funduslab explain --study <dir> --runs <ids> --dataset <idrid-seg dataset> (or the Explanations page) to fill this section.',
    );
    return;
  }
  const first = results[0]!;
  const lrp = first.request.lrp;
  r.writer.paragraph(
    `LRP α1β0 on ${first.dataset.datasetId} (${first.images.length} images at ${first.dataset.inputSize} px): BatchNorm merged into the convolutions, residual sums and average pooling proportional, first layer ${lrp.firstLayer}, max pooling ${lrp.maxPool}; relevance starts at ${first.request.start === 'true-grade' ? `the true grade's output (grade ${first.request.ungradedClass} for ungraded images)` : 'the referable-group output'}. RMA: share of the relevance inside the lesion mask; RRA: share of the mask-sized top-relevance pixels inside the mask.`,
  );
  r.writer.paragraph(settingsParagraph(results, all.length, (x) => `${x.run.runId} on ${x.dataset.datasetId}`, explanationSettings));

  // Fig 5: the image with the most lesion types scored.
  const lesions = ['MA', 'HE', 'EX'] as const;
  const scoredCount = (im: (typeof first.images)[number]) =>
    lesions.filter((l) => {
      const o = im.regions[l];
      return o !== undefined && 'maskPixels' in o;
    }).length;
  const example = [...first.images].sort((a, b) => scoredCount(b) - scoredCount(a) || a.index - b.index)[0];
  if (example) {
    const { datasetDir, manifest } = await readDatasetManifest(r.study, first.dataset.datasetId);
    const item = manifest.items.find((it) => it.id === example.id);
    if (item?.cache) {
      const size = first.dataset.inputSize;
      // Cache files are read through the hash check and their decoder errors name the file, as in training.
      const inputFile = path.join(datasetDir, item.cache.input);
      const input = await readCacheFile(inputFile, item.id);
      const [base, colour] = await Promise.all([
        greyBase(input),
        sharp(input).resize(CELL, CELL, { fit: 'fill' }).removeAlpha().png().toBuffer(),
      ]).catch((e: unknown) => Promise.reject(cacheDecodeError(inputFile, item.id, e)));
      const cells: { caption: string; href: string }[] = [{ caption: 'input', href: await dataUri(colour) }];
      const masks: Uint8Array[] = [];
      for (const l of lesions) {
        const m = item.masks?.[l]?.cache;
        const maskFile = m ? path.join(datasetDir, m.input) : null;
        const what = `${item.id} (${l} mask)`;
        const mask = maskFile
          ? await readMask(await readCacheFile(maskFile, what), size).catch((e: unknown) =>
              Promise.reject(cacheDecodeError(maskFile, what, e)),
            )
          : new Uint8Array(size * size);
        masks.push(mask);
        cells.push({ caption: l, href: await dataUri(await overlayMask(base, [mask], LESION_COLOURS[l], size)) });
      }
      cells.push({ caption: 'union', href: await dataUri(await overlayMask(base, masks, UNION_COLOUR, size)) });
      for (const res of results) {
        const im = res.images.find((x) => x.id === example.id);
        if (!im) continue;
        const { folder } = await readExplanation(r.study, res.name);
        const buf = await fsp.readFile(path.join(folder, im.heatmap));
        const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        const [h, w] = res.heatmap.shape;
        const layer = await sharp(Buffer.from(heatmapRgba(values)), { raw: { width: w, height: h, channels: 4 } })
          .resize(CELL, CELL, { kernel: 'nearest' })
          .png()
          .toBuffer();
        cells.push({
          caption: res.run.strategy,
          href: await dataUri(
            await sharp(base)
              .composite([{ input: layer }])
              .png()
              .toBuffer(),
          ),
        });
      }
      const fig = {
        name: 'fig5-explanations',
        svg: imageGrid(cells, {
          columns: Math.min(cells.length, 5),
          size: CELL,
          title: `Image ${r.pseudonym(first.dataset.datasetId, example.id)}: lesion masks and LRP heatmaps`,
        }),
        caption:
          "Fig 5. Input, the lesion masks (microaneurysms, haemorrhages, hard exudates) and their union, and each model's LRP α1β0 heatmap (red: evidence for the explained output, blue: against), models in the order of the tables.",
        photo: true,
      };
      await r.addFigure(fig);
    }
  }

  // Table 3: RMA and RRA per lesion, for both poolings the paper reports.
  const regions = ['MA', 'HE', 'EX', 'union'];
  const poolingText = TABLE3_POOLINGS.join(' and ');
  for (const metric of ['rma', 'rra'] as const) {
    r.writer.heading(
      `Table 3${metric === 'rma' ? 'a: relevance mass accuracy (RMA)' : 'b: relevance rank accuracy (RRA)'}, poolings ${poolingText}`,
      2,
    );
    const rows: string[][] = [];
    const bold: boolean[][] = [];
    const csvRows: (string | number | null)[][] = [];
    for (const pooling of TABLE3_POOLINGS) {
      const t = table3(results, metric, pooling, regions, { decimals: 3 });
      t.rows.forEach((row, i) => {
        rows.push([
          i === 0 ? pooling : '',
          row.label,
          ...regions.map((g) => {
            const c = row.cells[g]!;
            return c.mean === null ? '—' : `${fmt(c.mean)} ± ${fmt(c.std ?? 0)}`;
          }),
        ]);
        bold.push([false, false, ...regions.map((g) => (t.best[g] ?? []).includes(i))]);
        csvRows.push([pooling, row.label, ...regions.flatMap((g) => [row.cells[g]!.mean, row.cells[g]!.std])]);
      });
    }
    r.writer.table(
      [
        { header: 'Pooling', width: 0.11 },
        { header: 'Model', width: 0.21 },
        ...regions.map((g) => ({ header: g === 'union' ? 'Union' : g, width: 0.17, align: 'right' as const })),
      ],
      rows,
      { highlight: (i, col) => bold[i]![col]! },
    );
    r.tables.push({
      name: `table3-${metric}`,
      csv:
        [csvRow(['pooling', 'model', ...regions.flatMap((g) => [`${g}_mean`, `${g}_std`])]), ...csvRows.map((row) => csvRow(row))].join(
          '\n',
        ) + '\n',
    });
  }
  r.writer.paragraph(
    `Mean ± std over the images with the lesion. Poolings of the relevance over the colour channels c, the two the paper reports: sum,pos = max(Σ_c R_c, 0) and max-norm = max_c |R_c|. Bold: the best model per column and pooling (none when all models tie at the printed precision); the Gaussian-noise control is not ranked. Images without a mask of a lesion are not counted for it. MA microaneurysms, HE haemorrhages, EX hard exudates, union: any of them.`,
    { size: 8 },
  );
  // The share of positive relevance outside the fundus (lrp/fundus.ts; older results do not record it).
  const outside = results.map(
    (x) => `${x.run.strategy} (${x.run.runId}) ${x.outsideFundus?.mean == null ? '— (not recorded)' : fmt(x.outsideFundus.mean)}`,
  );
  r.writer.paragraph(
    `Positive relevance outside the fundus, mean share over the images: ${outside.join('; ')}. Per image: Σ max(h, 0) outside the fundus / Σ max(h, 0), h the heatmap; the fundus is the circle of the retina's width or height about the centre of the crop box the import found, within that box, at the input size.`,
  );
}
