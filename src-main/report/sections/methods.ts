/**
 * Section 2: the strategies, the runs shown (their strategies, fractions, seeds and weights: from the
 * runs themselves, not from the current plan), one table of every hyperparameter with a column per
 * strategy (the settings that differ between strategies in bold), a table of any setting that differs
 * between shown runs of the same strategy, the outdated runs left out (or included on request),
 * software, compute and data hashes.
 */
import os from 'node:os';
import path from 'node:path';
import { STRATEGY_ORDER, type AugmentSettings, type TrainingSpec } from '../../../src-shared/training';
import type { RunInfo, RunWithStanding } from '../../services/runs/run-info';
import { APP_VERSION } from '../../version';
import { csv, type ReportContext } from '../context';
import { powerOfTen } from '../svg';

/** A setting's number for readers: 0.001 and up as written, smaller ones as powers of ten ("10⁻⁴", "3 × 10⁻⁵"). */
export function settingNumber(v: number): string {
  if (v === 0 || Math.abs(v) >= 1e-3) return String(v).replace(/^-/, '−');
  const e = Math.floor(Math.log10(Math.abs(v)));
  const mantissa = Number((v / 10 ** e).toPrecision(3));
  return mantissa === 1 ? powerOfTen(e) : `${String(mantissa).replace(/^-/, '−')}\u00a0×\u00a0${powerOfTen(e)}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const range = ([a, b]: readonly [number, number]) => (a === b ? `${a}` : `${a}–${b}`);

/** Augmentation in words: "random resized crop 0.8–1, horizontal flip p 0.5, rotation ±15°, …"; "none (resize only)". */
export function describeAugmentation(a: AugmentSettings): string {
  const parts: string[] = [];
  if (a.randomResizedCrop) {
    const [lo, hi] = a.randomResizedCrop.ratio;
    const defaultRatio = Math.abs(lo - 3 / 4) < 1e-6 && Math.abs(hi - 4 / 3) < 1e-6;
    parts.push(
      `random resized crop ${range(a.randomResizedCrop.scale)}${defaultRatio ? '' : ` (aspect ratio ${Number(lo.toFixed(3))}–${Number(hi.toFixed(3))})`}`,
    );
  }
  if (a.horizontalFlip) parts.push(`horizontal flip p ${a.horizontalFlip}`);
  if (a.verticalFlip) parts.push(`vertical flip p ${a.verticalFlip}`);
  if (a.rotationDegrees) parts.push(`rotation ±${a.rotationDegrees}°`);
  if (a.colorJitter) {
    const j = a.colorJitter;
    const adjustments = (['brightness', 'contrast', 'saturation', 'hue'] as const).filter((k) => j[k] > 0).map((k) => `${k} ${j[k]}`);
    if (adjustments.length) parts.push(`colour jitter (${adjustments.join(', ')}${j.p < 1 ? `; p ${j.p}` : ''})`);
  }
  if (a.grayscale) parts.push(`greyscale p ${a.grayscale}`);
  if (a.gaussianBlur) parts.push(`Gaussian blur σ ${range(a.gaussianBlur.sigma)} px, p ${a.gaussianBlur.p}`);
  return parts.length ? parts.join(', ') : 'none (resize only)';
}

function schedule(spec: TrainingSpec): string {
  const s = spec.schedule;
  const base =
    s.kind === 'constant'
      ? 'constant'
      : s.kind === 'cosine'
        ? `cosine to ${settingNumber(s.etaMin)}${s.tMax ? ` over ${s.tMax} epochs` : ''}`
        : `step ×${s.gamma} every ${s.stepSize} epochs`;
  return `${base}${spec.warmup.steps ? `, warm-up ${spec.warmup.steps} epochs from ×${spec.warmup.startFactor}` : ''}`;
}

function initialisation(run: RunInfo): string {
  const p = run.result?.pretraining;
  if (p) return `MoCo v2 pretraining on the study images (${plural(p.epochs, 'epoch')}, ${p.images} images, queue K = ${p.queueSize})`;
  if (run.result?.initialisedFrom) return path.basename(run.result.initialisedFrom);
  if (run.spec.pretrainedWeights) return path.basename(run.spec.pretrainedWeights);
  return 'random';
}

/** The settings table's rows: a label and one value per run (one run per strategy). */
function settingRows(runs: readonly RunInfo[]): { label: string; values: string[] }[] {
  const row = (label: string, f: (run: RunInfo, spec: TrainingSpec) => string) => ({ label, values: runs.map((run) => f(run, run.spec)) });
  const cl = (f: (spec: TrainingSpec) => string) => (_: RunInfo, spec: TrainingSpec) => (spec.strategy === 'IWNE-CL' ? f(spec) : '—');
  return [
    row('Architecture', (_, s) => `${s.arch} at ${s.inputSize}×${s.inputSize} px`),
    row('Epochs', (_, s) => String(s.epochs)),
    row('Learning rate', (_, s) => settingNumber(s.lr)),
    row('Batch size', (_, s) => String(s.batchSize)),
    row(
      'Optimizer',
      (_, s) =>
        `AdamW β (${s.optimizer.betas.join(', ')}), ε ${settingNumber(s.optimizer.eps)}, weight decay ${settingNumber(s.optimizer.weightDecay)}${s.optimizer.noDecayForNormAndBias ? ' (not on norms and biases)' : ''}`,
    ),
    row('Schedule', (_, s) => schedule(s)),
    row('Augmentation', (_, s) => describeAugmentation(s.augmentation)),
    row('Normalisation', (_, s) =>
      s.normalisation.kind === 'imagenet'
        ? 'ImageNet mean/std'
        : s.normalisation.kind === 'dataset'
          ? 'training-set mean/std'
          : 'custom mean/std',
    ),
    row('Class weights', (_, s) => (s.classWeights ? 'inverse frequency' : 'none')),
    row('Early stopping', (_, s) => (s.earlyStoppingPatience ? `after ${s.earlyStoppingPatience} epochs without gain` : 'off')),
    row('Referable grades', (_, s) => `{${s.referable.join(', ')}}`),
    row('Validation split', (_, s) => `${s.validationFraction} of the patients (seed ${s.validationSeed})`),
    row('Initialised from', (run) => initialisation(run)),
    row(
      'MoCo v2 pretraining',
      cl(
        (s) =>
          `${plural(s.moco.epochs, 'epoch')}, batch ${s.moco.batchSize}, ${s.moco.optimizer === 'sgd' ? 'SGD' : 'AdamW'} lr ${settingNumber(s.moco.lr)} (${s.moco.schedule.kind}), weight decay ${settingNumber(s.moco.weightDecay)}, queue ${s.moco.queueSize}, momentum ${s.moco.momentum}, T ${s.moco.temperature}, dim ${s.moco.dim}`,
      ),
    ),
    row(
      'MoCo augmentation',
      cl((s) => describeAugmentation(s.moco.augmentation)),
    ),
  ];
}

/** Cells of a row that differ from the row's most common value (every cell when no value is the most common). */
function differing(values: readonly string[]): boolean[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const top = Math.max(...counts.values());
  const modes = [...counts].filter(([, n]) => n === top);
  if (counts.size === 1) return values.map(() => false);
  return values.map((v) => modes.length > 1 || counts.get(v)! < top);
}

/** The runs left out as outdated (or, when they are shown, which of the shown runs are outdated), with the settings that differ. */
function outdatedNote(r: ReportContext): void {
  const describe = (runs: readonly RunWithStanding[]) => runs.map((run) => `${run.runId} (${run.standing.reasons.join(', ')})`).join('; ');
  if (r.outdatedRuns.length > 0)
    r.writer.paragraph(
      `Left out: ${plural(r.outdatedRuns.length, 'outdated run')}, trained with settings the current grid no longer has, and every result made from them: ${describe(r.outdatedRuns)}.`,
      { size: 8 },
    );
  if (r.changedResults.size > 0)
    r.writer.paragraph(
      `Left out: ${r.changedResults.size} ${r.changedResults.size === 1 ? 'analysis' : 'analyses'} whose dataset or run changed since computed: ${[...r.changedResults].map(([name, changes]) => `${name} (${changes.join(', ')})`).join('; ')}.`,
      { size: 8 },
    );
  const shownOutdated = r.runs.filter((run) => run.standing.outdated);
  if (shownOutdated.length > 0)
    r.writer.paragraph(
      `Included on request: ${plural(shownOutdated.length, 'outdated run')}, trained with settings the current grid no longer has: ${describe(shownOutdated)}. Results of different settings are shown side by side.`,
      { size: 8 },
    );
}

/**
 * Settings that differ between shown runs of the same strategy (label fraction and seed vary by
 * design and are not listed), as dotted paths with their value per run.
 */
export function differingSettings(runs: readonly RunInfo[]): { keys: string[]; runs: RunInfo[]; values: Map<string, Map<string, string>> } {
  const flat = (v: unknown, prefix: string, out: Map<string, string>): Map<string, string> => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) flat(x, prefix ? `${prefix}.${k}` : k, out);
    else out.set(prefix, typeof v === 'string' ? v : (JSON.stringify(v) ?? '—'));
    return out;
  };
  const values = new Map(runs.map((run) => [run.runId, flat(run.spec, '', new Map())]));
  const keys = new Set<string>();
  const shown = new Set<RunInfo>();
  for (const strategy of STRATEGY_ORDER) {
    const group = runs.filter((run) => run.spec.strategy === strategy);
    const all = new Set(group.flatMap((run) => [...values.get(run.runId)!.keys()]));
    for (const key of all) {
      if (key === 'fraction' || key === 'seed') continue;
      if (new Set(group.map((run) => values.get(run.runId)!.get(key) ?? '—')).size > 1) {
        keys.add(key);
        group.forEach((run) => shown.add(run));
      }
    }
  }
  return { keys: [...keys].sort(), runs: runs.filter((run) => shown.has(run)), values };
}

/** Table: run ids × the settings that differ between shown runs of the same strategy (and whether each run is outdated). */
function differingSettingsTable(r: ReportContext): void {
  const { keys, runs, values } = differingSettings(r.runs);
  if (keys.length === 0) {
    if (r.runs.length > 1)
      r.writer.paragraph('The runs shown of each strategy share every setting except the label fraction and seed.', { size: 8 });
    return;
  }
  r.writer.heading('Settings that differ between the runs shown', 3);
  const shownKeys = keys.slice(0, 5);
  const width = 0.62 / shownKeys.length;
  r.writer.table(
    [{ header: 'Run', width: 0.26 }, ...shownKeys.map((key) => ({ header: key, width })), { header: 'Standing', width: 0.12 }],
    runs.map((run) => [
      run.runId,
      ...shownKeys.map((key) => values.get(run.runId)!.get(key) ?? '—'),
      (run as Partial<RunWithStanding>).standing?.outdated ? 'outdated' : 'current',
    ]),
  );
  r.writer.paragraph(
    `Runs of the same strategy were trained with different settings${keys.length > shownKeys.length ? ` (also: ${keys.slice(shownKeys.length).join(', ')})` : ''}: their results are not directly comparable.`,
    { size: 8 },
  );
  r.tables.push({
    name: 'differing-settings',
    csv: csv([
      ['run', ...keys, 'outdated'],
      ...runs.map((run) => [
        run.runId,
        ...keys.map((k) => values.get(run.runId)!.get(k) ?? ''),
        String((run as Partial<RunWithStanding>).standing?.outdated ?? false),
      ]),
    ]),
  });
}

export function methodsSection(r: ReportContext): void {
  r.ctx.progress(2, 10, 'Methods');
  r.section('2 Methods');
  r.writer.paragraph(
    'Four strategies are compared: IWNE-FS (random initialisation, supervised), IWNE-CL (MoCo v2 contrastive pretraining on the study images, then supervised fine-tuning), IFI-FS (initialised from supervised ImageNet weights) and IFI-CL (initialised from a MoCo v2 ImageNet checkpoint). Each is trained on label fractions of the training patients (stratified by grade, grouped by patient, nested), the model with the best validation AUC of P(referable) is kept, and P(referable) is the softmax probability summed over the referable grades.',
  );
  if (r.runs.length > 0) {
    const strategies = STRATEGY_ORDER.filter((s) => r.runs.some((run) => run.spec.strategy === s));
    const sorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b).join(', ');
    const weights = (strategy: string) =>
      [
        ...new Set(
          r.runs
            .filter((run) => run.spec.strategy === strategy && run.spec.pretrainedWeights)
            .map((run) => path.basename(run.spec.pretrainedWeights!)),
        ),
      ].join(', ') || '—';
    r.writer.keyValues([
      [
        'Runs shown',
        `${plural(r.runs.length, 'run')}: ${strategies.join(', ')} × fractions ${sorted(r.runs.map((run) => run.spec.fraction))} × seeds ${sorted(r.runs.map((run) => run.spec.seed))}`,
      ],
      ['ImageNet weights', weights('IFI-FS')],
      ['MoCo v2 weights', weights('IFI-CL')],
    ]);
  }
  outdatedNote(r);
  const byStrategy = new Map<string, RunInfo>();
  for (const run of r.runs) if (!byStrategy.has(run.spec.strategy)) byStrategy.set(run.spec.strategy, run);
  const shown = STRATEGY_ORDER.flatMap((s) => (byStrategy.has(s) ? [byStrategy.get(s)!] : []));
  if (shown.length > 0) {
    r.writer.heading('Training settings per strategy', 3);
    const rows = settingRows(shown);
    const bold = rows.map((row) => differing(row.values));
    const strategyWidth = 0.82 / shown.length;
    r.writer.table(
      [
        { header: 'Setting', width: 0.18 },
        ...shown.map((run) => ({
          header: `${run.spec.strategy} (fraction ${run.spec.fraction}, seed ${run.spec.seed})`,
          width: strategyWidth,
        })),
      ],
      rows.map((row) => [row.label, ...row.values]),
      { bold: (i, col) => col > 0 && bold[i]![col - 1]! },
    );
    const notes = shown.flatMap((run) =>
      run.result?.pretraining?.queueNote ? [`${run.spec.strategy}: ${run.result.pretraining.queueNote}`] : [],
    );
    r.writer.paragraph(
      `Each column shows the settings of the strategy's run at the label fraction and seed in its header; its runs at other fractions and seeds differ only there. Bold: a setting that differs between the strategies.${notes.length ? ' ' + notes.join(' ') : ''}`,
      { size: 8 },
    );
  }
  differingSettingsTable(r);
  r.writer.heading('Software, compute and data', 3);
  r.writer.keyValues([
    ['FundusLab', APP_VERSION],
    [
      'Runtime',
      `Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}, ${process.platform}/${process.arch}, ${os.availableParallelism()} CPUs`,
    ],
    ['TensorFlow.js backend(s)', r.backends.length ? r.backends.join(', ') : '—'],
    ['Seeds', [...new Set(r.runs.map((x) => x.spec.seed))].join(', ') || '—'],
    ...r.datasets.map((d): [string, string] => [`Dataset ${d.id}`, `sha256 ${r.hashes.get(d.id)}`]),
  ]);
}
