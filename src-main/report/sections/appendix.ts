/** Appendix: every run's training metrics, then the training diagnostics (curves, MoCo pretraining, learning check). */
import { extensionPhrases, runOutcomeText, strategyRank } from '../../../src-shared/training';
import { csv, fmt, type ReportContext } from '../context';
import { trainingDiagnostics } from './diagnostics';

export async function appendixSection(r: ReportContext): Promise<void> {
  r.section('Appendix: per-run training metrics');
  // In the paper's order of the strategies, then by label fraction and seed.
  const runs = [...r.runs].sort(
    (a, b) =>
      strategyRank(a.spec.strategy) - strategyRank(b.spec.strategy) ||
      a.spec.fraction - b.spec.fraction ||
      a.spec.seed - b.spec.seed ||
      a.runId.localeCompare(b.runId),
  );
  r.writer.table(
    [
      { header: 'Run', width: 0.36, nowrap: true },
      { header: 'Epochs', width: 0.08, align: 'right' },
      { header: 'Best val AUC (epoch)', short: 'Best val AUC (ep.)', width: 0.17, align: 'right' },
      { header: 'Train / val images', short: 'Train / val img.', width: 0.14, align: 'right' },
      { header: 'img/s', width: 0.08, align: 'right' },
      { header: 'Time (s)', width: 0.09, align: 'right' },
      { header: 'Backend', width: 0.08 },
    ],
    runs.map((run) => [
      run.runId,
      run.result ? String(run.result.finalEpoch) : 'unfinished',
      run.result ? `${fmt(run.result.bestValAuc)} (${run.result.bestEpoch ?? '—'})` : '—',
      run.result ? `${run.result.trainImages} / ${run.result.validationImages}` : '—',
      run.result ? run.result.imagesPerSecond.toFixed(1) : '—',
      run.result ? run.result.seconds.toFixed(0) : '—',
      run.result?.backend ?? '—',
    ]),
  );
  // Runs the user steered (stopped after an epoch, extended): said beside the table, so their epochs are not read as planned.
  const steered = runs
    .map((run) => ({
      runId: run.runId,
      phrases: [...(run.result?.stoppedByRequest ? [runOutcomeText(run.result, run.spec.epochs)] : []), ...extensionPhrases(run.spec)],
    }))
    .filter((s) => s.phrases.length > 0);
  if (steered.length > 0)
    r.writer.paragraph(`Runs steered while training: ${steered.map((s) => `${s.runId} ${s.phrases.join(', ')}`).join('; ')}.`);
  r.tables.push({
    name: 'runs',
    csv: csv([
      [
        'run',
        'strategy',
        'fraction',
        'seed',
        'arch',
        'input_size',
        'epochs_done',
        'best_val_auc',
        'best_epoch',
        'train_images',
        'validation_images',
        'images_per_second',
        'seconds',
        'backend',
        'outcome',
        'extensions',
      ],
      ...runs.map((run) => [
        run.runId,
        run.spec.strategy,
        run.spec.fraction,
        run.spec.seed,
        run.spec.arch,
        run.spec.inputSize,
        run.result?.finalEpoch ?? null,
        run.result?.bestValAuc ?? null,
        run.result?.bestEpoch ?? null,
        run.result?.trainImages ?? null,
        run.result?.validationImages ?? null,
        run.result?.imagesPerSecond ?? null,
        run.result?.seconds ?? null,
        run.result?.backend ?? null,
        run.result ? runOutcomeText(run.result, run.spec.epochs) : 'unfinished',
        extensionPhrases(run.spec).join('; ') || null,
      ]),
    ]),
  });
  await trainingDiagnostics(r);
}
