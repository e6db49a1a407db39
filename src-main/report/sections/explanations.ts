/** Section 6: Fig 5 (input, lesion masks and each strategy's LRP heatmap on one image) and Table 3 (RMA and RRA per lesion). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { LESION_COLOURS } from '../../../src-shared/contract';
import { heatmapRgba, table3 } from '../../../src-shared/figures';
import { listExplanations, readExplanation } from '../../analysis/lrp/results';
import { readDatasetManifest } from '../../services/datasets/manifest-file';
import { csvRow } from '../../services/evaluation/files';
import type { ReportContext } from '../context';
import { imageGrid } from '../svg';

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
  const layer = await sharp(Buffer.from(rgba), { raw: { width: size, height: size, channels: 4 } })
    .resize(CELL, CELL, { kernel: 'nearest' })
    .png()
    .toBuffer();
  return sharp(base)
    .composite([{ input: layer }])
    .png()
    .toBuffer();
}

async function readMask(file: string, size: number): Promise<Uint8Array> {
  const { data } = await sharp(file)
    .greyscale()
    .resize(size, size, { fit: 'fill', kernel: 'nearest' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

export async function explanationsSection(r: ReportContext): Promise<void> {
  r.ctx.progress(6, 10, 'Explanations');
  r.section('6 Explanations and lesions (Fig 5, Table 3)');
  const results = await listExplanations(r.study);
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
      const base = await greyBase(path.join(datasetDir, item.cache.input));
      const colour = await sharp(path.join(datasetDir, item.cache.input))
        .resize(CELL, CELL, { fit: 'fill' })
        .removeAlpha()
        .png()
        .toBuffer();
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
          href: dataUri(
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
          "Fig 5. Input, the lesion masks (microaneurysms, haemorrhages, hard exudates) and their union, and each model's LRP α1β0 heatmap (red: evidence for the explained output, blue: against).",
      };
      await r.addFigure(fig);
    }
  }

  // Table 3: RMA and RRA (sum,pos pooling) per lesion.
  for (const metric of ['rma', 'rra'] as const) {
    const pooling = 'sum,pos';
    const t = table3(results, metric, pooling);
    r.writer.heading(
      `Table 3${metric === 'rma' ? 'a: relevance mass accuracy (RMA)' : 'b: relevance rank accuracy (RRA)'}, pooling ${pooling}`,
      2,
    );
    const regions = ['MA', 'HE', 'EX', 'union'];
    r.writer.table(
      [{ header: 'Model', width: 0.28 }, ...regions.map((g) => ({ header: `${g} mean ± std`, width: 0.18, align: 'right' as const }))],
      t.rows.map((row) => [
        row.label,
        ...regions.map((g) => {
          const c = row.cells[g]!;
          return c.mean === null ? '—' : `${c.mean.toFixed(3)} ± ${(c.std ?? 0).toFixed(3)}`;
        }),
      ]),
      { highlight: (i, col) => col > 0 && (t.best[regions[col - 1]!] ?? []).includes(i) },
    );
    r.tables.push({
      name: `table3-${metric}`,
      csv:
        [
          csvRow(['model', ...regions.flatMap((g) => [`${g}_mean`, `${g}_std`])]),
          ...t.rows.map((row) => csvRow([row.label, ...regions.flatMap((g) => [row.cells[g]!.mean, row.cells[g]!.std])])),
        ].join('\n') + '\n',
    });
  }
  r.writer.paragraph('Bold: the best model per column. Images without a mask of a lesion are not counted for it.', { size: 8 });
}
