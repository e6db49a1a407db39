/**
 * Training diagnostics (in the appendix): every run's training loss and validation AUC per epoch as
 * small multiples grouped by strategy, with the epoch whose model was kept; each MoCo v2
 * pretraining's InfoNCE loss and Acc@1 per epoch against chance; and each pretraining's learning check
 * (final loss against chance ln(1 + K), k-NN on the pretrained against the random encoder).
 */
import { STRATEGY_COLOURS } from '../../../src-shared/figures';
import { STRATEGY_ORDER, strategyRank, type TrainingEpochLog } from '../../../src-shared/training';
import type { RunInfo } from '../../services/runs/run-info';
import { csv, fmt, type ReportContext } from '../context';
import type { PretrainingInfo } from '../pretrainings';
import { legend, niceTicks, panel, quantile, svgDocument, type PanelStyle } from '../svg';

const MINI: PanelStyle = { margin: { left: 44, right: 8, top: 20, bottom: 30 }, title: 12, tick: 10, label: 11 };
const FIGURE_WIDTH = 760;

/** Epochs whose validation AUC is missing, as x values where the AUC line breaks. */
const aucGaps = (log: readonly TrainingEpochLog[]) => log.filter((e) => e.valAuc === null).map((e) => e.epoch);

/** A nice axis range covering the values (at least [lo, hi] when given). */
function niceRange(values: readonly number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  const ticks = niceTicks(Math.min(...finite), Math.max(...finite), 4);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const lo = Math.min(ticks[0]!, Math.min(...finite));
  const hi = Math.max(ticks[ticks.length - 1]!, Math.max(...finite));
  return [lo === Math.min(...finite) ? lo - step / 2 : lo, hi === Math.max(...finite) ? hi + step / 2 : hi];
}

/** Fig A1: one small panel pair (loss above, validation AUC below) per run, a row of panels per strategy. */
function trainingCurves(runs: readonly RunInfo[], logs: Map<string, TrainingEpochLog[]>): string | null {
  const withLogs = runs.filter((run) => (logs.get(run.runId)?.length ?? 0) > 0);
  if (withLogs.length === 0) return null;
  const groups = STRATEGY_ORDER.map((s) =>
    withLogs.filter((run) => run.spec.strategy === s).sort((a, b) => a.spec.fraction - b.spec.fraction || a.spec.seed - b.spec.seed),
  ).filter((g) => g.length > 0);
  const cols = Math.min(4, Math.max(...groups.map((g) => g.length)));
  const rows = groups.flatMap((g) => Array.from({ length: Math.ceil(g.length / cols) }, (_, i) => g.slice(i * cols, (i + 1) * cols)));
  const all = withLogs.flatMap((run) => logs.get(run.runId)!);
  // The loss axis covers the training losses and most validation losses; rare validation spikes run off the top.
  const losses = [...all.map((e) => e.trainLoss), ...all.map((e) => e.valLoss)].filter(Number.isFinite);
  const lossTop = Math.max(...all.map((e) => e.trainLoss), quantile(losses, 0.9));
  const lossRange = niceRange([Math.min(...losses), lossTop], [0, 2]);
  const aucs = all.flatMap((e) => (e.valAuc === null ? [] : [e.valAuc]));
  const aucRange: [number, number] = [aucs.length ? Math.min(0.5, Math.floor(Math.min(...aucs) * 10) / 10) : 0.5, 1];
  const maxEpoch = Math.max(...all.map((e) => e.epoch));
  const cw = FIGURE_WIDTH / cols;
  const lossH = 88;
  const aucH = 76;
  const rowH = lossH + aucH + 6;
  const out: string[] = [];
  rows.forEach((row, ri) => {
    row.forEach((run, ci) => {
      const log = logs.get(run.runId)!;
      const colour = STRATEGY_COLOURS[run.spec.strategy];
      const best = run.result?.bestEpoch ?? log.find((e) => e.best)?.epoch ?? null;
      const x = { min: 1, max: Math.max(2, maxEpoch), label: '', integer: true };
      const dots = log.length <= 25;
      const marker = best === null ? [] : [{ x: best, colour: '#333' }];
      const x0 = ci * cw;
      const y0 = ri * rowH;
      out.push(
        panel(
          {
            title: `${run.spec.strategy} · fraction ${run.spec.fraction} · seed ${run.spec.seed}`,
            x,
            y: { min: lossRange[0], max: lossRange[1], label: 'loss' },
            series: [
              {
                name: 'validation loss',
                colour: '#8a8a8a',
                dashed: true,
                points: log.map((e) => [e.epoch, e.valLoss]),
                markers: dots,
                radius: 1.8,
                width: 1.3,
              },
              { name: 'training loss', colour, points: log.map((e) => [e.epoch, e.trainLoss]), markers: dots, radius: 1.8, width: 1.6 },
            ],
            markers: marker,
          },
          x0,
          y0,
          cw,
          lossH,
          MINI,
        ),
      );
      const points = log.flatMap((e): [number, number][] => (e.valAuc === null ? [] : [[e.epoch, e.valAuc]]));
      out.push(
        panel(
          {
            title: '',
            x: { ...x, label: 'epoch' },
            y: { min: aucRange[0], max: aucRange[1], label: 'val AUC' },
            series: [{ name: 'validation AUC', colour, points, markers: dots, radius: 1.8, width: 1.6, breaks: aucGaps(log) }],
            markers: best === null ? [] : [{ x: best, colour: '#333', label: `best ${best}` }],
          },
          x0,
          y0 + lossH - 14,
          cw,
          aucH + 14,
          MINI,
        ),
      );
      if (points.length === 0)
        out.push(
          `<text x="${x0 + MINI.margin.left + (cw - MINI.margin.left - MINI.margin.right) / 2}" y="${y0 + lossH + aucH / 2 - 4}" text-anchor="middle" font-size="10" fill="#9a3412">no validation AUC (one class)</text>`,
        );
    });
  });
  const legendY = rows.length * rowH + 12;
  out.push(
    legend(
      [
        { name: 'training loss (strategy colour)', colour: '#444' },
        { name: 'validation loss', colour: '#8a8a8a', dashed: true },
        { name: 'validation AUC', colour: '#444' },
        { name: 'epoch of the kept model', colour: '#333', dashed: true },
      ],
      40,
      legendY,
      FIGURE_WIDTH - 50,
      11,
    ),
  );
  return svgDocument(FIGURE_WIDTH, legendY + 30, out.join('\n'));
}

/** Fig A2: per pretraining, the InfoNCE loss (chance ln(1 + K) dotted) and Acc@1 (chance 1/(1 + K)). */
function mocoCurves(pretrainings: readonly PretrainingInfo[]): string | null {
  const shown = pretrainings.filter((p) => p.log.length > 0);
  if (shown.length === 0) return null;
  const pw = FIGURE_WIDTH / 2;
  const ph = 200;
  const colour = STRATEGY_COLOURS['IWNE-CL'];
  const out: string[] = [];
  shown.forEach((p, i) => {
    const k = p.summary.queueSize;
    const chance = p.summary.learningCheck?.chanceLoss ?? Math.log(1 + k);
    const losses = p.log.map((e) => e.loss);
    const [lo, hi] = niceRange([...losses, chance], [0, chance * 1.1]);
    const x = { min: 1, max: Math.max(2, ...p.log.map((e) => e.epoch)), label: 'pretraining epoch', integer: true };
    const name = shown.length > 1 ? `Pretraining ${i + 1}: ` : '';
    const style: PanelStyle = { ...MINI, margin: { ...MINI.margin, left: 52, bottom: 34 } };
    out.push(
      panel(
        {
          title: `${name}InfoNCE loss`,
          x,
          y: { min: lo, max: hi, label: 'loss' },
          series: [{ name: 'loss', colour, points: p.log.map((e) => [e.epoch, e.loss]), markers: p.log.length <= 30, width: 1.8 }],
          references: [{ y: chance, label: `chance ln(1+K) = ${fmt(chance)}, K = ${k}`, colour: '#b91c1c' }],
        },
        0,
        i * ph,
        pw,
        ph,
        style,
      ),
    );
    const acc = p.log.map((e): [number, number] => [e.epoch, 100 * e.accuracy]);
    const accMax = Math.max(5, ...acc.map(([, a]) => a));
    out.push(
      panel(
        {
          title: `${name}Acc@1`,
          x,
          y: { min: 0, max: Math.min(100, Math.ceil((accMax * 1.1) / 5) * 5), label: 'Acc@1 (%)' },
          series: [{ name: 'Acc@1', colour, points: acc, markers: p.log.length <= 30, width: 1.8 }],
          references: [{ y: 100 / (1 + k), label: `chance 1/(1+K) = ${fmt(100 / (1 + k), 2)} %`, colour: '#b91c1c' }],
        },
        pw,
        i * ph,
        pw,
        ph,
        style,
      ),
    );
  });
  return svgDocument(FIGURE_WIDTH, shown.length * ph + 6, out.join('\n'));
}

/** The learning check of one pretraining as table rows. */
function learningCheckRows(p: PretrainingInfo): string[][] {
  const c = p.summary.learningCheck!;
  const score = (s: typeof c.pretrained) => (c.metric === 'auc' ? s?.auc : s?.balancedAccuracy) ?? null;
  const metric = c.metric === 'auc' ? 'AUC' : 'balanced accuracy';
  const what = c.labels === 'referable' ? `referable DR {${(c.referable ?? []).join(', ')}}` : 'the image classes';
  return [
    [
      'Final InfoNCE loss',
      fmt(c.finalLoss),
      `chance ln(1+K) = ${fmt(c.chanceLoss)} (K = ${p.summary.queueSize})`,
      c.lossVsChance === null ? '—' : `${fmt(100 * c.lossVsChance, 1)} % of chance`,
    ],
    [
      `k-NN ${metric} of ${what} (k = ${c.k}, leave one patient out, ${c.images} images${c.sampled ? ', sampled' : ''})`,
      fmt(score(c.pretrained)),
      `random encoder ${fmt(score(c.random))}`,
      c.gain === null ? '—' : `gain ${c.gain > 0 ? '+' : ''}${fmt(c.gain)}`,
    ],
  ];
}

export async function trainingDiagnostics(r: ReportContext): Promise<void> {
  const runs = [...r.runs].sort((a, b) => strategyRank(a.spec.strategy) - strategyRank(b.spec.strategy) || a.runId.localeCompare(b.runId));
  const curves = trainingCurves(runs, r.logs);
  if (curves) {
    // The runs without a validation AUC are named under the figure, in its caption, so the line stays with it.
    const undefinedAuc = runs.flatMap((run) => {
      const log = r.logs.get(run.runId) ?? [];
      const missing = log.filter((e) => e.valAuc === null);
      if (missing.length === 0) return [];
      const note = missing.find((e) => e.valAucNote)?.valAucNote;
      return [
        `${run.runId} (${missing.length === log.length ? 'every epoch' : `${missing.length} of ${log.length} epochs`}${note ? `: ${note}` : ''})`,
      ];
    });
    r.writer.heading('Training curves (Fig A1)', 2);
    await r.addFigure({
      name: 'figA1-training-curves',
      svg: curves,
      caption: `Fig A1. Per run, grouped by strategy: training loss (strategy colour) and validation loss (grey, dashed) above, validation AUC of P(referable) below, against the epoch; the dotted line marks the epoch whose model was kept. All panels share their axes. ${
        undefinedAuc.length
          ? `Validation AUC undefined (the validation split held one class only): ${undefinedAuc.join('; ')}.`
          : 'Every epoch of every run had a validation AUC.'
      }`,
    });
    r.tables.push({
      name: 'training-curves',
      csv: csv([
        ['run', 'strategy', 'fraction', 'seed', 'epoch', 'train_loss', 'val_loss', 'val_auc', 'best'],
        ...runs.flatMap((run) =>
          (r.logs.get(run.runId) ?? []).map((e) => [
            run.runId,
            run.spec.strategy,
            run.spec.fraction,
            run.spec.seed,
            e.epoch,
            e.trainLoss,
            e.valLoss,
            e.valAuc,
            e.best ? 'yes' : 'no',
          ]),
        ),
      ]),
    });
  }
  if (r.pretrainings.length === 0) return;
  r.writer.heading('MoCo v2 pretraining (Fig A2, Table A1)', 2);
  const moco = mocoCurves(r.pretrainings);
  if (moco)
    await r.addFigure({
      name: 'figA2-moco-curves',
      svg: moco,
      caption: `Fig A2. ${
        r.pretrainings.length > 1
          ? `Each MoCo v2 pretraining (${r.pretrainings.map((p, i) => `${i + 1}: ${p.id}`).join('; ')})`
          : `MoCo v2 pretraining ${r.pretrainings[0]!.id}`
      }: mean InfoNCE loss and Acc@1 (share of queries whose positive key outscores every queued key) per epoch; red dotted: chance, where an encoder that cannot tell the positive key from the K queued ones sits.`,
    });
  r.tables.push({
    name: 'moco-curves',
    csv: csv([
      ['pretraining', 'epoch', 'loss', 'acc1', 'lr'],
      ...r.pretrainings.flatMap((p) => p.log.map((e) => [p.id, e.epoch, e.loss, e.accuracy, e.lr])),
    ]),
  });
  for (const p of r.pretrainings) {
    r.writer.heading(`Table A1: learning check of pretraining ${p.id}`, 3);
    if (!p.summary.learningCheck) {
      r.writer.paragraph('No learning check was stored with this pretraining (it was made before the check existed).', { size: 9 });
      continue;
    }
    r.writer.table(
      [
        { header: 'Check', width: 0.36 },
        { header: 'Pretrained', width: 0.13, align: 'right' },
        { header: 'Reference', width: 0.3 },
        { header: 'Result', width: 0.21 },
      ],
      learningCheckRows(p),
    );
    const w = p.summary.learningCheck.warnings;
    r.writer.paragraph(
      w.length
        ? `Warning: ${w.join(' ')}`
        : 'Passed: the loss ended clearly below chance and the k-NN classifier gained over the random encoder.',
      w.length ? { size: 9, bold: true, colour: '#9a3412' } : { size: 9 },
    );
  }
  r.tables.push({
    name: 'pretraining-learning-check',
    csv: csv([
      ['pretraining', 'runs', 'final_loss', 'chance_loss', 'loss_vs_chance', 'metric', 'knn_pretrained', 'knn_random', 'gain', 'warnings'],
      ...r.pretrainings.map((p) => {
        const c = p.summary.learningCheck;
        const score = (s: NonNullable<typeof c>['pretrained'] | undefined) => (c?.metric === 'auc' ? s?.auc : s?.balancedAccuracy) ?? null;
        return [
          p.id,
          p.runs.join(' '),
          c?.finalLoss ?? p.summary.finalLoss,
          c?.chanceLoss ?? null,
          c?.lossVsChance ?? null,
          c?.metric ?? null,
          score(c?.pretrained),
          score(c?.random),
          c?.gain ?? null,
          c?.warnings.join(' ') ?? null,
        ];
      }),
    ]),
  });
}
