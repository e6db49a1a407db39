/** Appendix: every run's training metrics. */
import { csv, fmt, type ReportContext } from '../context';

export function appendixSection(r: ReportContext): void {
  r.section('Appendix: per-run training metrics');
  r.writer.table(
    [
      { header: 'Run', width: 0.36 },
      { header: 'Epochs', width: 0.08, align: 'right' },
      { header: 'Best val AUC (epoch)', width: 0.17, align: 'right' },
      { header: 'Train / val images', width: 0.14, align: 'right' },
      { header: 'img/s', width: 0.08, align: 'right' },
      { header: 'Time (s)', width: 0.09, align: 'right' },
      { header: 'Backend', width: 0.08 },
    ],
    r.runs.map((run) => [
      run.runId,
      run.result ? String(run.result.finalEpoch) : 'unfinished',
      run.result ? `${fmt(run.result.bestValAuc)} (${run.result.bestEpoch ?? '—'})` : '—',
      run.result ? `${run.result.trainImages} / ${run.result.validationImages}` : '—',
      run.result ? run.result.imagesPerSecond.toFixed(1) : '—',
      run.result ? run.result.seconds.toFixed(0) : '—',
      run.result?.backend ?? '—',
    ]),
  );
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
      ],
      ...r.runs.map((run) => [
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
      ]),
    ]),
  });
}
