/** Section 5: each robustness analysis — the per-model table, Fig 4 (CL − FS per initialisation) and the corruption gallery. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fig4Panels, severityOpacity } from '../../../src-shared/figures';
import { listRobustness, readRobustness } from '../../analysis/robustness/results';
import { csvRow } from '../../services/evaluation/files';
import type { ReportContext } from '../context';
import { barRowsPanel, imageGrid, legend, svgDocument } from '../svg';

export async function robustnessSection(r: ReportContext): Promise<void> {
  r.ctx.progress(5, 10, 'Robustness');
  r.section('5 Robustness to image distortions (Fig 4)');
  const results = await listRobustness(r.study);
  if (results.length === 0) {
    r.writer.paragraph(
      'No robustness analysis yet: run funduslab robustness --study <dir> --runs <ids> --dataset <id> (or the Robustness page) to fill this section.',
    );
    return;
  }
  for (const [k, res] of results.entries()) {
    const tag = results.length > 1 ? `-${k + 1}` : '';
    r.writer.paragraph(
      `${res.datasetId} (${res.split}): ${res.images} images (${res.positives} referable), ${res.corruptions.length} corruptions × severities ${res.severities.join(', ')}, seed ${res.seed}. Score: mean probability of the true referable/non-referable class; every model saw the same corrupted images.`,
    );
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
        return [
          m.runId,
          m.strategy,
          clean.meanTrueClassProbability.toFixed(3),
          (rest.reduce((a, c) => a + c.meanTrueClassProbability, 0) / Math.max(1, rest.length)).toFixed(3),
          clean.auc === null ? '—' : clean.auc.toFixed(3),
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
      const width = 460;
      let y = 0;
      const parts: string[] = [];
      const drawn = panels.map((p, i) => {
        const out = barRowsPanel(
          {
            title: p.title,
            rows: p.corruptions,
            bars: p.bars.map((b) => ({ row: b.corruption, level: b.severity, value: b.difference })),
            limit: p.limit,
            colour: p.colour,
            xLabel: 'CL − FS: mean probability of the true class',
            opacity: severityOpacity,
            levels: res.severities,
          },
          i * width,
          0,
          width,
        );
        y = Math.max(y, out.height);
        return out.svg;
      });
      parts.push(...drawn);
      const leg = legend(
        res.severities.map((s) => ({ name: `severity ${s}`, colour: `rgba(0,0,0,${severityOpacity(s).toFixed(2)})` })),
        40,
        y + 12,
        panels.length * width - 60,
      );
      const svg = svgDocument(panels.length * width, y + 30, parts.join('\n') + '\n' + leg);
      const fig = {
        name: `fig4-robustness${tag}`,
        svg,
        caption: `Fig 4. CL minus FS, per initialisation: difference of the mean probability of the true class under each corruption (rows) and severity (bars, darker = more severe); positive = the contrastively pretrained model is more robust. ${res.datasetId}, ${res.images} images.`,
      };
      await r.addFigure(fig);
    }
    if (res.gallery) {
      const { folder: dir } = await readRobustness(r.study, res.name);
      const cells = [];
      for (const f of res.gallery.files) {
        const data = await fsp.readFile(path.join(dir, f.file));
        cells.push({
          caption: f.corruption === 'clean' ? 'clean' : `${f.corruption.replace(/_/g, ' ')} ${f.severity}`,
          href: `data:image/png;base64,${data.toString('base64')}`,
        });
      }
      const svg = imageGrid(cells, {
        columns: Math.min(6, cells.length),
        size: 96,
        title: `Image ${r.pseudonym(res.datasetId, res.gallery.image)} under every corruption and severity`,
      });
      const fig = {
        name: `fig4-gallery${tag}`,
        svg,
        caption: 'Gallery: one test image (pseudonymised id) under each corruption and severity, as the models saw it.',
      };
      await r.addFigure(fig);
    }
  }
}
