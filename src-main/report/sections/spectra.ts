/** Section 4: Fig 3a (κ per layer), Fig 3b (the first layer's spectrum) and Table 2 (its best-fitting distribution). */
import {
  STRATEGY_DASHED,
  fig3aPanels,
  fig3bPanels,
  layerBlocks,
  table2Rows,
  tailZoomFrom,
  type ChartPanel,
} from '../../../src-shared/figures';
import { strategyRank } from '../../../src-shared/training';
import { pickSpectra, spectraSettings } from '../../../src-shared/analysis-choice';
import { listSpectra } from '../../analysis/spectra/results';
import { csvRow } from '../../services/evaluation/files';
import { fmt, settingsParagraph, type ReportContext } from '../context';
import { minusSign, panelFigure, powerOfTen, type Axis, type PanelSpec } from '../svg';

/** 1.25 × 10⁻² */
function scientific(v: number): string {
  if (v === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(v)));
  const m = (v / 10 ** e).toFixed(2);
  return e === 0 ? m : `${m.replace(/^-/, '−')}\u00a0×\u00a0${powerOfTen(e)}`;
}

/** A shared ChartPanel as an SVG panel spec (linear or log y; y domain, x axis and line breaks as given). */
function toPanelSpec(
  p: ChartPanel,
  opts: { logY?: boolean; yDomain?: [number, number]; x?: Partial<Axis>; breaks?: number[] } = {},
): PanelSpec {
  const xs = p.series.flatMap((s) => s.points.map(([x]) => x));
  const [yMin, yMax] = opts.yDomain ?? p.yDomain;
  return {
    title: p.title,
    x: {
      min: Math.min(...xs, ...p.xTicks),
      max: Math.max(...xs, ...p.xTicks),
      label: p.xLabel,
      ...(p.xTicks.length ? { ticks: p.xTicks } : {}),
      ...opts.x,
    },
    y: {
      min: yMin,
      max: yMax,
      label: p.yLabel,
      ...(opts.logY ? { log: true } : {}),
    },
    series: p.series.map((s) => ({
      name: s.name,
      colour: s.colour,
      dashed: s.dashed,
      points: s.points,
      band: s.band,
      markers: s.points.length <= 60,
      breaks: opts.breaks,
    })),
  };
}

export async function spectraSection(r: ReportContext): Promise<void> {
  r.ctx.progress(4, 10, 'Spectra');
  r.section('4 Representation spectra (Fig 3, Table 2)');
  // Spectra of outdated runs are left out with their runs (Methods lists them).
  // One result per run and dataset: the most recent with the default settings, else the most recent (pickSpectra).
  const all = (await listSpectra(r.study)).filter((x) => !r.leftOut(x.run.runId) && !r.changedResults.has(`spectra/${x.name}`));
  const results = pickSpectra(all);
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
  const ordered = [...results].sort((x, y) => strategyRank(x.run.strategy) - strategyRank(y.run.strategy));
  r.writer.paragraph(settingsParagraph(ordered, all.length, (x) => `${x.run.runId} on ${x.dataset.datasetId}`, spectraSettings));
  const a = fig3aPanels(ordered);
  const legendItems = ordered.map((x) => ({
    name: x.run.strategy,
    colour: a.flatMap((p) => p.series).find((s) => s.name.startsWith(x.run.strategy))?.colour ?? '#444',
    dashed: STRATEGY_DASHED[x.run.strategy],
  }));
  // One log y axis for both panels, so IWNE and IFI compare at a glance; x: the network's blocks.
  const yDomain: [number, number] = [Math.min(...a.map((p) => p.yDomain[0])), Math.max(...a.map((p) => p.yDomain[1]))];
  const longest = ordered.reduce((best, x) => (x.layers.length > best.layers.length ? x : best), ordered[0]!);
  const blocks = layerBlocks(longest.layers);
  const figA = {
    name: 'fig3a-condition-numbers',
    svg: panelFigure(
      a.map((p) =>
        toPanelSpec(p, {
          logY: true,
          yDomain,
          x: { min: -0.5, max: longest.layers.length - 0.5, label: 'Layer (Conv, BatchNorm, Linear in module order), by block', blocks },
        }),
      ),
      { columns: 2, legend: legendItems },
    ),
    caption:
      'Fig 3a. Condition number κ of every Conv, BatchNorm and Linear layer in module order (x: the blocks of the network, stem = conv1 and bn1), on one log scale for both panels; IWNE models left, IFI right; FS solid, CL dashed.',
  };
  await r.addFigure(figA);
  const zoom = tailZoomFrom(ordered);
  const b = fig3bPanels(ordered, zoom);
  const figB = {
    name: 'fig3b-first-layer-spectrum',
    svg: panelFigure(
      b.map((p) =>
        p.key === 'tail'
          ? toPanelSpec(p, { breaks: [0], x: { gap: { from: -zoom + 0.5, to: zoom - 0.5, label: `|rank| < ${zoom}: see left` } } })
          : toPanelSpec(p),
      ),
      {
        columns: 2,
        legend: b[0]!.series.map((s) => ({
          name: minusSign(s.name.replace('kurtosis -', 'kurtosis −')),
          colour: s.colour,
          dashed: s.dashed,
        })),
      },
    ),
    caption: `Fig 3b. The first conv layer's eigen-spectrum as a density over component rank, mirrored around 0, with each model's kurtosis; right: the tails (|rank| ≥ ${zoom}) enlarged, the ranks between them left out.`,
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
      x.parameters.replace(/(^|[=\s(])-(?=\d)/g, '$1−'),
      x.rss === null ? '—' : scientific(x.rss),
      fmt(x.kurtosis, 2),
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
