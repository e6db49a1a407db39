/**
 * Section 2: the strategies, the grid, one table of every hyperparameter with a column per strategy
 * (the settings that differ between strategies in bold), software, compute and data hashes.
 */
import os from 'node:os';
import path from 'node:path';
import { STRATEGY_ORDER, type AugmentSettings, type TrainingSpec } from '../../../src-shared/training';
import type { RunInfo } from '../../services/runs/run-info';
import { APP_VERSION } from '../../version';
import type { ReportContext } from '../context';
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

export function methodsSection(r: ReportContext): void {
  r.ctx.progress(2, 10, 'Methods');
  r.section('2 Methods');
  r.writer.paragraph(
    'Four strategies are compared: IWNE-FS (random initialisation, supervised), IWNE-CL (MoCo v2 contrastive pretraining on the study images, then supervised fine-tuning), IFI-FS (initialised from supervised ImageNet weights) and IFI-CL (initialised from a MoCo v2 ImageNet checkpoint). Each is trained on label fractions of the training patients (stratified by grade, grouped by patient, nested), the model with the best validation AUC of P(referable) is kept, and P(referable) is the softmax probability summed over the referable grades.',
  );
  if (r.grid)
    r.writer.keyValues([
      ['Grid', `${r.grid.strategies.join(', ')} × fractions ${r.grid.fractions.join(', ')} × seeds ${r.grid.seeds.join(', ')}`],
      ['ImageNet weights', r.grid.imagenetWeights ? path.basename(r.grid.imagenetWeights) : '—'],
      ['MoCo v2 weights', r.grid.mocoWeights ? path.basename(r.grid.mocoWeights) : '—'],
    ]);
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
