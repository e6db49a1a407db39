/** Section 4: Fig 3a (κ per layer), Fig 3b (the first layer's spectrum) and Table 2 (its best-fitting distribution). */
import { STRATEGY_DASHED, fig3aPanels, fig3bPanels, table2Rows, type ChartPanel } from '../../../src-shared/figures';
import { listSpectra } from '../../analysis/spectra/results';
import { csvRow } from '../../services/evaluation/files';
import type { ReportContext } from '../context';
import { panelFigure, type PanelSpec } from '../svg';

/** A shared ChartPanel as an SVG panel spec (linear or log y). */
function toPanelSpec(p: ChartPanel, opts: { logY?: boolean; xMin?: number; xMax?: number } = {}): PanelSpec {
  const xs = p.series.flatMap((s) => s.points.map(([x]) => x));
  return {
    title: p.title,
    x: {
      min: opts.xMin ?? Math.min(...xs, ...p.xTicks),
      max: opts.xMax ?? Math.max(...xs, ...p.xTicks),
      label: p.xLabel,
      ...(p.xTicks.length ? { ticks: p.xTicks } : {}),
    },
    y: {
      min: p.yDomain[0],
      max: p.yDomain[1],
      label: p.yLabel,
      ...(opts.logY
        ? { log: true, format: (v: number) => v.toExponential(0) }
        : { format: (v: number) => (v < 0.01 && v !== 0 ? v.toExponential(1) : v.toFixed(3)) }),
    },
    series: p.series.map((s) => ({
      name: s.name,
      colour: s.colour,
      dashed: s.dashed,
      points: s.points,
      band: s.band,
      markers: s.points.length <= 60,
    })),
  };
}

export async function spectraSection(r: ReportContext): Promise<void> {
  r.ctx.progress(4, 10, 'Spectra');
  r.section('4 Representation spectra (Fig 3, Table 2)');
  const results = await listSpectra(r.study);
  if (results.length === 0) {
    r.writer.paragraph(
      'No spectra yet: run funduslab spectra --study <dir> --run <id> --dataset <id> for each strategy (or the Spectra page) to fill this section.',
    );
    return;
  }
  const first = results[0]!;
  r.writer.paragraph(
    `Activations of N = ${first.n} images (${first.dataset.datasetId}, ${first.dataset.split}) at ${first.inputSize} px, standardised per feature; top-k PCA eigenvalues per layer (k = min(${first.k}, N − 1)); κ = |P${first.percentiles.high}(λ)| / |P${first.percentiles.low}(λ)|.`,
  );
  const a = fig3aPanels(results);
  const legendItems = results.map((x) => ({
    name: x.run.strategy,
    colour: a.flatMap((p) => p.series).find((s) => s.name.startsWith(x.run.strategy))?.colour ?? '#444',
    dashed: STRATEGY_DASHED[x.run.strategy],
  }));
  const figA = {
    name: 'fig3a-condition-numbers',
    svg: panelFigure(
      a.map((p) => toPanelSpec(p, { logY: true })),
      { columns: 2, legend: legendItems },
    ),
    caption:
      'Fig 3a. Condition number κ of every Conv, BatchNorm and Linear layer (log scale), IWNE models left, IFI right; FS solid, CL dashed.',
  };
  await r.addFigure(figA);
  const b = fig3bPanels(results);
  const figB = {
    name: 'fig3b-first-layer-spectrum',
    svg: panelFigure(
      b.map((p) => toPanelSpec(p)),
      { columns: 2, legend: b[0]!.series.map((s) => ({ name: s.name, colour: s.colour, dashed: s.dashed })) },
    ),
    caption:
      "Fig 3b. The first conv layer's eigen-spectrum as a density over component rank, mirrored around 0 (right: the tails), with each model's kurtosis.",
  };
  await r.addFigure(figB);
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
    rows.map((x) => [
      x.strategy,
      x.best,
      x.parameters,
      x.rss === null ? '—' : x.rss.toExponential(2),
      x.kurtosis.toFixed(2),
      x.paretoAlpha === null ? '—' : x.paretoAlpha.toPrecision(3),
      x.runnerUp,
    ]),
  );
  r.tables.push({
    name: 'table2-distribution-fits',
    csv:
      [
        csvRow(['run', 'strategy', 'best', 'parameters', 'rss', 'kurtosis', 'pareto_alpha']),
        ...rows.map((x) => csvRow([x.runId, x.strategy, x.best, x.parameters, x.rss, x.kurtosis, x.paretoAlpha])),
      ].join('\n') + '\n',
  });
  r.tables.push({
    name: 'condition-numbers',
    csv:
      [
        csvRow(['run', 'strategy', 'layer', 'kind', 'module_index', 'kappa']),
        ...results.flatMap((x) => x.layers.map((l) => csvRow([x.run.runId, x.run.strategy, l.name, l.kind, l.moduleIndex, l.kappa]))),
      ].join('\n') + '\n',
  });
}
