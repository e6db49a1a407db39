/**
 * The live curves of one run (RunDetail), pure (unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts): loss and validation AUC per epoch, the selected
 * model, MoCo pretraining loss for IWNE-CL, their axes and one sentence per chart for screen readers,
 * and how often the run may be re-read while it trains.
 */
import type { RunDetail } from '../../../src-shared/grid';
import {
  extensionPhrases,
  runOutcomeText,
  type KnnScore,
  type PretrainLearningCheck,
  type TrainingStrategy,
} from '../../../src-shared/training';
import { aucAxis, niceAxis, type Axis } from '../../shared/axis.viewmodel';
import { formatMeasure } from '../../shared/format.viewmodel';
import { runLabel } from '../../shared/strategies';
import { epochsText, formatAuc } from './training-common.viewmodel';

export interface RunCurvesModel {
  runId: string;
  title: string;
  strategy: TrainingStrategy;
  /** `3 of 10 epochs` (`finished: …` once done). */
  progress: string;
  loss: { epoch: number; train: number; val: number }[];
  auc: { epoch: number; auc: number | null }[];
  /** The selected model: the finished run's best epoch, else the last epoch flagged best so far. */
  best: { epoch: number; auc: number | null } | null;
  /** IWNE-CL: MoCo pretraining loss per epoch, with chance ln(1 + K) once known (null for the other strategies). */
  pretrain: { epoch: number; loss: number; chance?: number }[] | null;
  /** IWNE-CL: the finished pretraining's learning check as rows, and its warnings (shown as a banner on the run). */
  learning: { rows: { label: string; value: string }[]; warnings: string[] } | null;
  pretrainProgress: string | null;
  /** Loss axis around both loss curves (nice steps). */
  lossAxis: Axis;
  /** AUC axis from the lowest validation AUC to 1 (aucAxis). */
  aucAxis: Axis;
  pretrainAxis: Axis | null;
  /** One sentence for screen readers per chart. */
  lossDescription: string;
  aucDescription: string;
  pretrainDescription: string | null;
  summary: { label: string; value: string }[];
}

function describeSeries(name: string, values: readonly number[], unit = ''): string {
  if (values.length === 0) return `${name}: no epochs yet.`;
  const first = values[0]!;
  const last = values[values.length - 1]!;
  return values.length === 1
    ? `${name}: ${formatMeasure(first)}${unit} after epoch 1.`
    : `${name} from ${formatMeasure(first)}${unit} to ${formatMeasure(last)}${unit} over ${values.length} epochs.`;
}

/**
 * Which cache the run reads its images from (runs/<id>/preprocessing.json): `the import's 64-px cache`, or `at 64 px from the
 * source images (dataset imported at 128 px)`; null when not recorded.
 */
export function preprocessingText(caches: RunDetail['preprocessing']): string | null {
  const c = caches?.[0];
  if (!c) return null;
  return c.inputSize === c.importSize
    ? `the import's ${c.inputSize}-px cache (${c.settingsKey})`
    : `at ${c.inputSize} px from the source images (dataset imported at ${c.importSize} px; cache ${c.settingsKey})`;
}

export function runCurves(detail: RunDetail): RunCurvesModel {
  const { spec, result, log } = detail;
  const loss = log.map((e) => ({ epoch: e.epoch, train: e.trainLoss, val: e.valLoss }));
  const auc = log.map((e) => ({ epoch: e.epoch, auc: e.valAuc }));
  let best: RunCurvesModel['best'] = null;
  if (result && result.bestEpoch !== null) best = { epoch: result.bestEpoch, auc: result.bestValAuc };
  else {
    const flagged = [...log].reverse().find((e) => e.best);
    if (flagged) best = { epoch: flagged.epoch, auc: flagged.valAuc };
  }
  const aucs = auc.map((a) => a.auc).filter((a): a is number => a !== null);
  const losses = loss.flatMap((l) => [l.train, l.val]);
  const check = spec.strategy === 'IWNE-CL' ? detail.pretrainCheck : null;
  const pretrain =
    spec.strategy === 'IWNE-CL'
      ? detail.pretrainLog.map((e) => ({ epoch: e.epoch, loss: e.loss, ...(check ? { chance: check.chanceLoss } : {}) }))
      : null;
  const done = log.length > 0 ? log[log.length - 1]!.epoch : 0;
  const summary = [
    { label: 'Run', value: detail.runId },
    { label: 'Dataset', value: spec.datasetId ?? '—' },
    { label: 'Model', value: `${spec.arch} at ${spec.inputSize} px, batch ${spec.batchSize}` },
    { label: 'Training', value: `${epochsText(spec.epochs)} at lr ${spec.lr}` },
  ];
  if (best)
    summary.push({
      label: 'Selected model',
      value: `epoch ${best.epoch}${best.auc === null ? ' (no validation AUC)' : `, validation AUC ${formatAuc(best.auc)}`}`,
    });
  if (result) summary.push({ label: 'Training images', value: `${result.trainImages} (validation ${result.validationImages})` });
  const images = preprocessingText(detail.preprocessing);
  if (images) summary.push({ label: 'Preprocessing', value: images });
  for (const phrase of extensionPhrases(spec)) summary.push({ label: 'Extended', value: phrase.replace(/^extended /, '') });
  return {
    runId: detail.runId,
    title: runLabel(spec),
    strategy: spec.strategy,
    progress: result
      ? result.stoppedByRequest
        ? runOutcomeText(result, spec.epochs)
        : `finished: ${result.finalEpoch} of ${epochsText(spec.epochs)}${result.stoppedEarly ? ' (stopped early)' : ''}`
      : `${done} of ${epochsText(spec.epochs)}`,
    loss,
    auc,
    best,
    pretrain,
    pretrainProgress: pretrain ? `MoCo pretraining: ${pretrain.length} of ${epochsText(spec.moco.epochs)}` : null,
    learning: check ? learningRows(check, detail.pretrainLog.at(-1)?.accuracy ?? null) : null,
    lossAxis: losses.length > 0 ? niceAxis(Math.min(...losses), Math.max(...losses)) : niceAxis(0, 2),
    aucAxis: aucs.length > 0 ? aucAxis(Math.min(...aucs), 1) : aucAxis(0, 1),
    pretrainAxis: pretrain
      ? pretrain.length > 0
        ? niceAxis(Math.min(...pretrain.map((p) => p.loss)), Math.max(...pretrain.map((p) => Math.max(p.loss, p.chance ?? p.loss))))
        : niceAxis(0, 10)
      : null,
    lossDescription: `${describeSeries(
      'Training loss',
      loss.map((l) => l.train),
    )} ${describeSeries(
      'Validation loss',
      loss.map((l) => l.val),
    )}`,
    aucDescription:
      best && best.auc !== null
        ? `${describeSeries('Validation AUC', aucs)} Best ${formatAuc(best.auc)} at epoch ${best.epoch}.`
        : describeSeries('Validation AUC', aucs),
    pretrainDescription: pretrain
      ? `${describeSeries(
          'MoCo InfoNCE loss',
          pretrain.map((p) => p.loss),
        )}${check ? ` Chance (ln(1 + K)) is ${formatMeasure(check.chanceLoss)}.` : ''}`
      : null,
    summary,
  };
}

/** The learning check as label/value rows: loss against chance, Acc@1, k-NN of the pretrained vs the random encoder. */
export function learningRows(
  check: PretrainLearningCheck,
  lastAccuracy: number | null,
): { rows: { label: string; value: string }[]; warnings: string[] } {
  const score = (s: KnnScore | null) => {
    const v = check.metric === 'auc' ? s?.auc : s?.balancedAccuracy;
    return v === null || v === undefined ? '—' : v.toFixed(3);
  };
  const what = check.metric === 'auc' ? 'k-NN AUC' : 'k-NN balanced accuracy';
  const rows = [
    {
      label: 'MoCo final loss',
      value:
        check.finalLoss === null
          ? '—'
          : `${check.finalLoss.toFixed(3)} (chance ${check.chanceLoss.toFixed(3)}, ${Math.round(100 * (check.lossVsChance ?? 1))} % of it)`,
    },
    ...(lastAccuracy === null ? [] : [{ label: 'MoCo Acc@1', value: `${(100 * lastAccuracy).toFixed(1)} % (last epoch)` }]),
    {
      label: what,
      value: `${score(check.pretrained)} pretrained vs ${score(check.random)} random (gain ${check.gain === null ? '—' : (check.gain >= 0 ? '+' : '−') + Math.abs(check.gain).toFixed(3)}; k = ${check.k}, ${check.images} images)`,
    },
  ];
  return { rows, warnings: check.warnings };
}

/** Delay before the next runs.get of a live run: at most one every `minIntervalMs` (throttle), 0 = now. */
export function throttleDelay(lastFetchAt: number | null, now: number, minIntervalMs: number): number {
  if (lastFetchAt === null) return 0;
  return Math.max(0, lastFetchAt + minIntervalMs - now);
}

/** What the run details offer to steer the run: "Finish after this epoch" while it trains, "Extend to N epochs" once it has ended. */
export interface RunSteeringModel {
  stop: {
    /** The button is shown (the run is being trained, by this app or any other process). */
    shown: boolean;
    enabled: boolean;
    /** The button's label, or what the pending request says. */
    label: string;
    /** One sentence under the button: who trains the run, or who asked. */
    hint: string;
  };
  extend: {
    shown: boolean;
    enabled: boolean;
    /** The smallest number of epochs accepted (one more than done) and the field's first value. */
    min: number;
    initial: number;
    hint: string;
  };
}

/** The steering controls of a run's details (pure). `busy` is true while a steering call is on its way. */
export function runSteering(
  detail: Pick<RunDetail, 'spec' | 'result' | 'log' | 'trainer' | 'stopRequest'>,
  busy = false,
): RunSteeringModel {
  const { spec, result, trainer, stopRequest } = detail;
  const done = result?.finalEpoch ?? (detail.log.length > 0 ? detail.log[detail.log.length - 1]!.epoch : 0);
  const training = result === null && trainer !== null;
  const stop: RunSteeringModel['stop'] = stopRequest
    ? {
        shown: training,
        enabled: false,
        label: 'Finishing after this epoch',
        hint: `Asked by ${stopRequest.requestedBy}: the run ends after its current epoch (epoch ${done + 1} of ${spec.epochs}), keeping its best model.`,
      }
    : {
        shown: training,
        enabled: training && !busy,
        label: 'Finish after this epoch',
        hint: training
          ? `Trained by ${trainer}. The run ends normally after its current epoch (epoch ${done + 1} of ${spec.epochs}): best model and metrics kept, and it can be extended later.`
          : '',
      };
  const earlyStopped = result?.stoppedEarly ?? false;
  const min = done + 1;
  const extend: RunSteeringModel['extend'] = {
    shown: result !== null && trainer === null,
    enabled: result !== null && trainer === null && !earlyStopped && !busy,
    min,
    initial: Math.max(min, result?.stoppedByRequest ? result.stoppedByRequest.of : 2 * spec.epochs),
    hint: earlyStopped
      ? `Early stopping ended this run at epoch ${done}: a longer run would have stopped there too, so it cannot be extended.`
      : `Continues from epoch ${done} with the same data and seed; the run records whether it then equals an uninterrupted run of the new length (it does unless its learning-rate schedule depends on the run length, like a cosine over the run).`,
  };
  return { stop, extend };
}
