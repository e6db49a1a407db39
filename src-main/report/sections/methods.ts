/** Section 2: the strategies, the grid, every hyperparameter of each strategy, software, compute and data hashes. */
import os from 'node:os';
import path from 'node:path';
import { STRATEGY_ORDER, type TrainingSpec } from '../../../src-shared/training';
import { APP_VERSION } from '../../version';
import type { ReportContext } from '../context';
import type { RunInfo } from '../../services/runs/run-info';

function specRows(spec: TrainingSpec): [string, string][] {
  const rows: [string, string][] = [
    ['Architecture', `${spec.arch} at ${spec.inputSize}×${spec.inputSize}`],
    ['Epochs · lr · batch', `${spec.epochs} · ${spec.lr} · ${spec.batchSize}`],
    [
      'Optimizer',
      `AdamW β=(${spec.optimizer.betas.join(', ')}), ε=${spec.optimizer.eps}, weight decay ${spec.optimizer.weightDecay}${spec.optimizer.noDecayForNormAndBias ? ' (not on norms/biases)' : ''}`,
    ],
    [
      'Schedule',
      `${spec.schedule.kind}${spec.warmup.steps ? `, warm-up ${spec.warmup.steps} epochs from ×${spec.warmup.startFactor}` : ''}`,
    ],
    ['Augmentation', JSON.stringify(spec.augmentation)],
    ['Normalisation', spec.normalisation.kind],
    ['Class weights · early stopping', `${spec.classWeights ? 'inverse frequency' : 'none'} · ${spec.earlyStoppingPatience ?? 'off'}`],
    ['Referable grades', `{${spec.referable.join(', ')}}`],
    ['Validation split', `${spec.validationFraction} of the patients (seed ${spec.validationSeed})`],
  ];
  if (spec.strategy === 'IWNE-CL') {
    const m = spec.moco;
    rows.push([
      'MoCo v2 pretraining',
      `${m.epochs} epochs, batch ${m.batchSize}, ${m.optimizer} lr ${m.lr} (${m.schedule.kind}), wd ${m.weightDecay}, queue ${m.queueSize}, m ${m.momentum}, T ${m.temperature}, dim ${m.dim}`,
    ]);
  }
  return rows;
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
  for (const s of STRATEGY_ORDER) {
    const run = byStrategy.get(s);
    if (!run) continue;
    r.writer.heading(`${s} settings (as run ${run.runId}; other fractions and seeds differ only there)`, 3);
    r.writer.keyValues(specRows(run.spec));
    if (run.result?.initialisedFrom)
      r.writer.paragraph(
        `Initialised from ${path.basename(run.result.initialisedFrom)}${run.result.pretraining ? ` (MoCo v2 pretraining ${run.result.pretraining.id}: ${run.result.pretraining.epochs} epochs on ${run.result.pretraining.images} images, queue ${run.result.pretraining.queueSize}${run.result.pretraining.queueNote ? ` — ${run.result.pretraining.queueNote}` : ''})` : ''}.`,
        { size: 9 },
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
