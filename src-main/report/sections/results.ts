/** Section 3: Fig 2 (AUC against the label fraction), the results table with CIs, and the paired DeLong tests. */
import type { ResultsRow } from '../../../src-shared/evaluation';
import { fig2Panels, STRATEGY_COLOURS, STRATEGY_DASHED } from '../../../src-shared/figures';
import { STRATEGY_ORDER, strategyRank } from '../../../src-shared/training';
import { resultsTableCsv } from '../../services/evaluation/results';
import { ci, csv, fmt, pValue, type ReportContext } from '../context';
import { panelFigure } from '../svg';

export async function resultsSection(r: ReportContext): Promise<void> {
  r.ctx.progress(3, 10, 'Fig 2 and the results table');
  r.section('3 Referable-DR AUC (Fig 2)');
  const failed = r.pretrainings.filter((p) => (p.summary.learningCheck?.warnings.length ?? 0) > 0);
  const dagger = (strategy: string) => (failed.length > 0 && strategy === 'IWNE-CL' ? `${strategy} †` : strategy);
  if (failed.length > 0)
    r.writer.warningBox('Warning: the contrastive pretraining may not have learned', [
      ...failed.flatMap((p) =>
        p.summary.learningCheck!.warnings.map((w) => `Pretraining ${p.id} (fine-tuned by ${p.runs.join(', ')}): ${w}`),
      ),
      'The IWNE-CL results below may show a barely pretrained encoder fine-tuned, not the effect of contrastive pretraining: do not draw conclusions from the IWNE-CL rows and curves. The learning check and the MoCo curves are in the appendix.',
    ]);
  const panels = fig2Panels(r.results);
  if (panels.length === 0) {
    r.writer.paragraph(
      'No evaluations yet: evaluate the trained runs on a test set (funduslab evaluate, or the Results page) to fill this section.',
    );
  } else {
    const svg = panelFigure(
      panels.map((p) => ({
        title: p.title,
        x: { min: 0, max: 1, label: p.xLabel, ticks: p.xTicks },
        y: { min: p.yDomain[0], max: p.yDomain[1], label: p.yLabel },
        series: p.series.map((s) => ({ name: s.name, colour: s.colour, dashed: s.dashed, points: s.points, band: s.band })),
      })),
      {
        columns: Math.min(2, panels.length),
        legend: STRATEGY_ORDER.filter((s) => panels.some((p) => p.series.some((x) => x.name === s))).map((s) => ({
          name: s,
          colour: STRATEGY_COLOURS[s],
          dashed: STRATEGY_DASHED[s],
        })),
      },
    );
    await r.addFigure({
      name: 'fig2-auc-vs-fraction',
      svg,
      caption:
        "Fig 2. AUC of P(referable) against the label fraction, one line per strategy (mean over seeds), band: DeLong 95% CI (several seeds: mean of the seeds' CI bounds); one panel per test set.",
    });
  }
  if (r.results.rows.length > 0) {
    r.writer.heading('Results table', 2);
    const rows = [...r.results.rows].sort(
      (a, b) =>
        a.datasetId.localeCompare(b.datasetId) ||
        strategyRank(a.strategy) - strategyRank(b.strategy) ||
        a.fraction - b.fraction ||
        a.seed - b.seed,
    );
    const best = new Set<string>();
    for (const key of new Set(rows.map((x) => `${x.datasetId}|${x.split}|${x.fraction}`))) {
      const group = rows.filter((x) => `${x.datasetId}|${x.split}|${x.fraction}` === key);
      const shown = (v: number) => Number(v.toFixed(3));
      const top = Math.max(...group.map((x) => shown(x.auc)));
      const winners = group.filter((x) => shown(x.auc) === top);
      if (winners.length < group.length) winners.forEach((x) => best.add(x.evaluation));
    }
    r.writer.table(
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
      rows.map((r: ResultsRow) => [
        `${r.datasetId} (${r.split})${r.overlapsTraining ? ' *' : ''}`,
        dagger(r.strategy) + (r.standing?.outdated ? ' ‡' : ''),
        String(r.fraction),
        String(r.seed),
        `${r.n} (${r.positives})`,
        r.auc.toFixed(3),
        ci(r.delong.lower, r.delong.upper),
        ci(r.bootstrap.lower, r.bootstrap.upper),
        `${fmt(r.operatingPoint.sensitivity, 2)}/${fmt(r.operatingPoint.specificity, 2)}`,
      ]),
      { highlight: (i, col) => col === 5 && best.has(rows[i]!.evaluation) },
    );
    r.writer.paragraph(
      `Bold: the best AUC per test set and fraction (none when all tie). Sensitivity/specificity at the highest threshold reaching the target sensitivity. * the test images overlap the run's own training data.${failed.length > 0 ? ' † the MoCo pretraining of this strategy failed its learning check (see the warning above).' : ''}${rows.some((x) => x.standing?.outdated) ? ' ‡ an outdated run (trained with settings the current grid no longer has), included on request.' : ''}`,
      { size: 8 },
    );
    shiftWarnings(r, rows);
    r.tables.push({ name: 'results', csv: resultsTableCsv(r.results) });
  }
  const excluded = r.results.excludedOutdated ?? [];
  if (excluded.length > 0)
    r.writer.paragraph(
      `${excluded.length} evaluation${excluded.length === 1 ? '' : 's'} of outdated runs ${excluded.length === 1 ? 'is' : 'are'} left out of Fig 2, the table and the paired tests (see Methods).`,
      { size: 8 },
    );
  const comparisons = r.results.comparisons.filter((c) => c.test !== null || c.error !== null);
  if (comparisons.length > 0) {
    r.writer.heading('Paired DeLong tests (same images)', 2);
    r.writer.table(
      [
        { header: 'Test set', width: 0.18 },
        { header: 'Fraction / seed', width: 0.13 },
        { header: 'A vs B', width: 0.22 },
        { header: 'AUC A − B', width: 0.12, align: 'right' },
        { header: '95% CI', width: 0.17 },
        { header: 'p', width: 0.1, align: 'right' },
      ],
      comparisons.map((c) => [
        `${c.datasetId} (${c.split})`,
        `${c.fraction} / ${c.seed}`,
        `${dagger(c.a.strategy)} vs ${dagger(c.b.strategy)}`,
        c.test ? fmt(c.test.difference) : '—',
        c.test ? ci(c.test.lower, c.test.upper) : (c.error ?? ''),
        c.test ? pValue(c.test.p) : '—',
      ]),
    );
    r.tables.push({
      name: 'paired-tests',
      csv: csv([
        ['dataset', 'split', 'fraction', 'seed', 'a', 'b', 'auc_a', 'auc_b', 'difference', 'lower', 'upper', 'p', 'error'],
        ...comparisons.map((c) => [
          c.datasetId,
          c.split,
          c.fraction,
          c.seed,
          c.a.strategy,
          c.b.strategy,
          c.test?.aucA ?? null,
          c.test?.aucB ?? null,
          c.test?.difference ?? null,
          c.test?.lower ?? null,
          c.test?.upper ?? null,
          c.test?.p ?? null,
          c.error,
        ]),
      ]),
    });
  }
}

/**
 * The domain-shift warnings of the evaluations in the table (docs/design.md "Domain shift"), one line per test set:
 * how many of its evaluations warn, and the first warning's text.
 */
function shiftWarnings(r: ReportContext, rows: readonly ResultsRow[]): void {
  const lines: string[] = [];
  for (const datasetId of [...new Set(rows.map((x) => x.datasetId))]) {
    const of = rows.filter((x) => x.datasetId === datasetId);
    const warned = of.filter((x) => x.shiftWarning);
    if (warned.length === 0) continue;
    lines.push(`${warned.length} of the ${of.length} evaluations on ${datasetId} warn of a domain shift. ${warned[0]!.shiftWarning}`);
  }
  if (lines.length > 0)
    r.writer.warningBox('Warning: test images unlike the training images (domain shift)', [
      ...lines,
      'The AUCs of these test sets may not measure what the model learned: check the preprocessing (for example histogram equalisation) of the training and test sets.',
    ]);
}
